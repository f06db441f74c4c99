// Pulumi mocks for unit tests: records every resource a program declares, with its inputs, so tests can assert what
// a `pulumi preview` or `pulumi up` would send to the providers. Call `installMocks` before importing components.

import * as pulumi from "@pulumi/pulumi";

/** One resource the program declared. */
export interface DeclaredResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** Names of the resources (by logical name) in dependsOn and in Output inputs, as the engine would order them. */
  parent?: string;
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

/**
 * Installs mocks that echo inputs back as state and give each resource a predictable id `<name>-id`. Per-type
 * extra outputs can be supplied, e.g. the checksum Glance would report.
 */
export async function installMocks(options: {
  preview?: boolean;
  /** Stack name the program sees (pulumi.getStack()). Default: `test`. */
  stack?: string;
  outputs?: (type: string, name: string, inputs: Record<string, unknown>) => Record<string, unknown> | undefined;
} = {}): Promise<MockState> {
  const resources: DeclaredResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        const extra = options.outputs?.(args.type, args.name, args.inputs) ?? {};
        return { id: options.preview ? "" : `${args.name}-id`, state: { ...args.inputs, ...extra } };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        return args.inputs;
      },
    },
    "pulumi-trove",
    options.stack ?? "test",
    options.preview ?? false,
  );
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
