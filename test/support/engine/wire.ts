// Values as they cross Pulumi's gRPC boundary: google.protobuf.Struct holding the SDK's special objects (secrets,
// unknowns during preview). The harness keeps state in this wire form, so secrets stay marked, and hands plain values
// to the code that applies a resource.

import { createRequire } from "node:module";

/** Modules resolved from @pulumi/pulumi itself, so the harness uses the very copies its generated stubs use. */
export const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));

/** Pulumi's signature keys (runtime/rpc.js): `{ [SIG]: SECRET, value }` marks a secret. */
export const SPECIAL_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** The value the SDK sends for an input that is unknown during a preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type Wire = Record<string, unknown>;

interface StructModule {
  Struct: { fromJavaScript(value: Record<string, unknown>): unknown };
}
const structproto = pulumiRequire("google-protobuf/google/protobuf/struct_pb") as StructModule;

export function toStruct(value: Wire): unknown {
  return structproto.Struct.fromJavaScript(value);
}

export function isSecret(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SPECIAL_SIG] === SECRET_SIG;
}

export function secret(value: unknown): unknown {
  return isSecret(value) ? value : { [SPECIAL_SIG]: SECRET_SIG, value };
}

/** The value with every secret marker removed: what a provider that does not accept secrets receives. */
export function plain(value: unknown): unknown {
  if (isSecret(value)) return plain(value.value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

export function plainObject(value: Wire): Record<string, unknown> {
  return plain(value) as Record<string, unknown>;
}

/** Whether the SDK sent an unknown anywhere in the value (preview only). */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/** Outputs whose input of the same name was secret stay secret, as the engine keeps them; so do listed ones. */
export function keepSecrets(
  outputs: Record<string, unknown>,
  inputs: Wire,
  additionalSecretOutputs: readonly string[],
): Wire {
  return Object.fromEntries(
    Object.entries(outputs).map(([k, v]) => [
      k,
      isSecret(inputs[k]) || additionalSecretOutputs.includes(k) ? secret(v) : v,
    ]),
  );
}

export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined && v !== null)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

/** The keys whose plain values differ between two input sets. */
export function changedKeys(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  ignore: readonly string[] = [],
): string[] {
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
  return [...keys].filter((k) => !ignore.includes(k) && !sameValue(plain(olds[k]), plain(news[k]))).sort();
}
