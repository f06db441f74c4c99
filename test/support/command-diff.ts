// What `pulumi up` does with a @pulumi/command Command when its declared inputs change, by the rules read in the
// provider's code (pulumi-command v1.2.1 provider/pkg/provider/{local,remote}, pulumi-go-provider v1.3.0 infer Diff):
//  - Command implements CustomUpdate, so a change replaces only under a `replaceOnChanges` path. The provider marks
//    `triggers` so, and the SDK sends `replaceOnChanges: ["triggers[*]"]` with every Command. A replace deletes and
//    creates: `create` runs.
//  - Any other changed input is an update: `update` runs, or `create` again when there is no `update`.
//  - No changed input: nothing runs.

import type { DeclaredResource } from "./pulumi-mocks";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Inputs as plain values: the runtime hands secrets to mocks wrapped in a signature object. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (SECRET_SIG in o && "value" in o) return plain(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

export type CommandStep = { step: "none" } | { step: "update" | "replace"; runs: string; changed: string[] };

export function commandStep(before: DeclaredResource, after: DeclaredResource): CommandStep {
  const keys = [...new Set([...Object.keys(before.inputs), ...Object.keys(after.inputs)])].filter(
    (k) => !k.startsWith("__"),
  );
  const changed = keys
    .filter((k) => JSON.stringify(plain(before.inputs[k])) !== JSON.stringify(plain(after.inputs[k])))
    .sort();
  if (changed.length === 0) return { step: "none" };
  const replacing = new Set(after.replaceOnChanges.map((p) => p.split(/[[.]/)[0]!));
  if (changed.some((k) => replacing.has(k))) return { step: "replace", runs: String(after.inputs.create), changed };
  return { step: "update", runs: String(after.inputs.update ?? after.inputs.create), changed };
}
