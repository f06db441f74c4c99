// Pulumi mocks for unit tests: records every resource a program declares, with its inputs, so tests can assert what
// a `pulumi preview` or `pulumi up` would send to the providers. Call `installMocks` before importing components.

import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/** One resource the program declared. */
export interface DeclaredResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** Logical name of the parent resource, if any. */
  parent?: string;
  /**
   * Logical names of the resources this one waits for, as the engine orders them: explicit `dependsOn` (a component
   * expanded to its children) and the resources whose Outputs feed its inputs.
   */
  dependsOn: string[];
  /** The `replaceOnChanges` paths sent to the engine (set by us, or by a provider SDK such as @pulumi/command's). */
  replaceOnChanges: string[];
  /** The aliases sent to the engine: a URN, or the parts of a spec that were set (the engine fills in the rest). */
  aliases: Array<{ urn?: string; name?: string; type?: string }>;
}

/** The logical name at the end of a URN. */
function urnName(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

// The mock monitor hands newResource only type, name and inputs; the dependencies the runtime computed are on the
// request. Record them from the request just before newResource runs (it is called synchronously by the monitor).
type Meta = Pick<DeclaredResource, "parent" | "dependsOn" | "replaceOnChanges" | "aliases">;
const NO_META: Meta = { dependsOn: [], replaceOnChanges: [], aliases: [] };
let pendingMeta: Meta = NO_META;
interface AliasMessage {
  getUrn(): string;
  getSpec(): { getName(): string; getType(): string } | undefined;
}
interface RegisterRequest {
  getParent(): string;
  getDependenciesList(): string[];
  getReplaceonchangesList(): string[];
  getAliasesList(): AliasMessage[];
  getPropertydependenciesMap(): { forEach(cb: (value: { getUrnsList(): string[] }, key: string) => void): void };
}
function recordDependencies(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the mock monitor is not part of the public API
  const mocksModule = require("@pulumi/pulumi/runtime/mocks") as {
    MockMonitor: { prototype: Record<string, unknown> };
  };
  const proto = mocksModule.MockMonitor.prototype;
  if (proto.__recordsDependencies) return;
  const original = proto.registerResource as (this: unknown, req: RegisterRequest, cb: unknown) => Promise<void>;
  proto.registerResource = function (this: unknown, req: RegisterRequest, cb: unknown) {
    const urns = new Set(req.getDependenciesList());
    req.getPropertydependenciesMap().forEach((value) => value.getUrnsList().forEach((u) => urns.add(u)));
    const aliases = req.getAliasesList().map((a) => {
      const spec = a.getSpec();
      return spec
        ? { ...(spec.getName() ? { name: spec.getName() } : {}), ...(spec.getType() ? { type: spec.getType() } : {}) }
        : { urn: a.getUrn() };
    });
    pendingMeta = {
      parent: req.getParent() ? urnName(req.getParent()) : undefined,
      dependsOn: [...urns].map(urnName),
      replaceOnChanges: req.getReplaceonchangesList(),
      aliases,
    };
    return original.call(this, req, cb);
  };
  proto.__recordsDependencies = true;
}

export interface MockState {
  resources: DeclaredResource[];
  /** Resources of one type token, e.g. `command:local:Command`. */
  ofType(type: string): DeclaredResource[];
  /** The one resource with this logical name; fails loudly when absent. */
  named(name: string): DeclaredResource;
  /** Waits (up to 5 s) until a resource with this logical name has been registered, and returns it. */
  waitFor(name: string): Promise<DeclaredResource>;
}

/** A DatastoreVersion's id is Trove's (a UUID; the parameters check it): one made from the name. Others: `<name>-id`. */
function mockId(type: string, name: string): string {
  if (type !== "pulumi-nodejs:dynamic/pulumi-trove:DatastoreVersion") return `${name}-id`;
  const hex = createHash("sha256").update(name).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Installs mocks that echo inputs back as state and give each resource a predictable id `<name>-id`. Per-type
 * extra outputs can be supplied, e.g. the checksum Glance would report.
 */
export async function installMocks(
  options: {
    preview?: boolean;
    /** Stack name the program sees (pulumi.getStack()). Default: `test`. */
    stack?: string;
    outputs?: (type: string, name: string, inputs: Record<string, unknown>) => Record<string, unknown> | undefined;
  } = {},
): Promise<MockState> {
  const resources: DeclaredResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, ...pendingMeta });
        pendingMeta = NO_META;
        const extra = options.outputs?.(args.type, args.name, args.inputs) ?? {};
        return { id: options.preview ? "" : mockId(args.type, args.name), state: { ...args.inputs, ...extra } };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        return args.inputs;
      },
    },
    "pulumi-trove",
    options.stack ?? "test",
    options.preview ?? false,
  );
  recordDependencies();
  return {
    resources,
    ofType: (type) => resources.filter((r) => r.type === type),
    named: (name) => {
      const found = resources.find((r) => r.name === name);
      if (!found) throw new Error(`no resource named ${name}; declared: ${resources.map((r) => r.name).join(", ")}`);
      return found;
    },
    waitFor: async (name) => {
      for (let i = 0; i < 500; i++) {
        const found = resources.find((r) => r.name === name);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`no resource named ${name} was registered; declared: ${resources.map((r) => r.name).join(", ")}`);
    },
  };
}

/** Resolves an Output's value in a test (undefined when unknown, as in preview). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Whether an Output is marked secret. */
export function isSecret<T>(output: pulumi.Output<T>): Promise<boolean> {
  return pulumi.isSecret(output);
}

/**
 * What this library's command resources print last, for mocks: the publish script's references and digests, the
 * config editor's summary, and otherwise a guest image's path, sha256 and size.
 */
export function commandStdout(name: string, sha256 = "c".repeat(64)): { stdout: string } {
  if (name.includes("-publish-"))
    return {
      stdout: JSON.stringify({
        database: { reference: "r:1/x:1", digest: `sha256:${"d".repeat(64)}` },
        backup: { reference: "r:1/b:1", digest: `sha256:${"d".repeat(64)}` },
      }),
    };
  if (name.endsWith("-apply")) return { stdout: '{"changed":[],"restarted":[]}' };
  return { stdout: `{"path":"/images/guest.qcow2","sha256":"${sha256}","sizeBytes":1}` };
}

/** The type token of GlanceImage's history resource (components/image/glance-rotation.ts). */
export const GLANCE_HISTORY_TYPE = "pulumi-nodejs:dynamic/pulumi-trove:GlanceImageHistory";

/**
 * What GlanceImage's history provider returns on create, for mocks: the upload recorded and serving (its real
 * behaviour is proved against Glance in test/integration/glance-rotation.test.ts).
 */
export function glanceHistoryCreated(inputs: Record<string, unknown>): Record<string, unknown> {
  return { servingId: inputs.uploadedId, history: [inputs.uploadedId], pinnedIds: [] };
}
