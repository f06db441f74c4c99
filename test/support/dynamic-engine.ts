// Runs a Pulumi dynamic resource the way the engine does, without the engine (which cannot run here): the provider is
// taken from the `__provider` text that `pulumi.dynamic.Resource` serialized under mocks and loaded from that text as
// the dynamic-provider host does, so what runs is what Pulumi would store and run; the lifecycle follows the engine's
// rules for one resource: create when there is no state; otherwise diff, then nothing, update, or (when diff names
// replacement fields) delete-before-replace or create-before-delete; refresh calls read; destroy calls delete.
// The stored state is the provider's outputs (not merged with inputs), as the engine stores it. Inputs and
// outputs cross a JSON boundary, as they cross gRPC, so `undefined` values disappear as they would.

import Module from "node:module";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";

/** Loads a serialized dynamic provider (the `__provider` input) as Pulumi's dynamic-provider host does. */
export function loadDynamicProvider(serialized: string, cwd = process.cwd()): pulumi.dynamic.ResourceProvider {
  const filename = path.join(cwd, "__dynamic_provider.js");
  const m = new Module(filename) as Module & { _compile(code: string, filename: string): void };
  m.filename = filename;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(cwd);
  m._compile(serialized, filename);
  return (m.exports as { handler(): pulumi.dynamic.ResourceProvider }).handler();
}

const wire = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** The state the engine stores: the provider's outputs, plus the serialized provider (as the host adds it back). */
function withProvider(
  outs: Record<string, unknown> | undefined,
  from: Record<string, unknown>,
): Record<string, unknown> {
  return { ...wire(outs ?? {}), __provider: from.__provider };
}

export type Step = "create" | "update" | "replace" | "same";

/** One dynamic resource's state across `pulumi up`, `refresh` and `destroy` runs. */
export class DynamicResourceRunner {
  state?: { id: string; outs: Record<string, unknown> };
  /** Steps taken by each `up`, in order. */
  readonly history: Step[] = [];

  constructor(readonly provider: pulumi.dynamic.ResourceProvider) {}

  /** Builds a runner from the inputs a `pulumi.dynamic.Resource` declared under mocks. */
  static fromDeclaration(inputs: Record<string, unknown>): DynamicResourceRunner {
    if (typeof inputs.__provider !== "string") throw new Error("the declaration has no serialized __provider");
    return new DynamicResourceRunner(loadDynamicProvider(inputs.__provider));
  }

  /** `pulumi up` for this resource with these inputs. */
  async up(declared: Record<string, unknown>): Promise<Step> {
    const inputs = wire(declared);
    const step = await this.apply(inputs);
    this.history.push(step);
    return step;
  }

  private async apply(inputs: Record<string, unknown>): Promise<Step> {
    const p = this.provider;
    if (!this.state) {
      const created = await p.create(inputs);
      this.state = { id: created.id, outs: withProvider(created.outs, inputs) };
      return "create";
    }
    const diff = p.diff ? await p.diff(this.state.id, this.state.outs, inputs) : { changes: true };
    if (!diff.changes) return "same";
    if (diff.replaces && diff.replaces.length > 0) {
      if (diff.deleteBeforeReplace) {
        await p.delete?.(this.state.id, this.state.outs);
        this.state = undefined;
        const created = await p.create(inputs);
        this.state = { id: created.id, outs: withProvider(created.outs, inputs) };
      } else {
        const old = this.state;
        const created = await p.create(inputs);
        this.state = { id: created.id, outs: withProvider(created.outs, inputs) };
        await p.delete?.(old.id, old.outs);
      }
      return "replace";
    }
    if (!p.update) throw new Error("the provider has no update, but diff asked for one");
    const updated = await p.update(this.state.id, this.state.outs, inputs);
    this.state = { id: this.state.id, outs: withProvider(updated.outs, inputs) };
    return "update";
  }

  /** `pulumi refresh`: state becomes what the provider reads; a resource that is gone leaves the state. */
  async refresh(): Promise<void> {
    if (!this.state || !this.provider.read) return;
    const read = await this.provider.read(this.state.id, this.state.outs);
    this.state = read.id ? { id: read.id, outs: withProvider(read.props, this.state.outs) } : undefined;
  }

  /** `pulumi destroy`. */
  async destroy(): Promise<void> {
    if (!this.state) return;
    await this.provider.delete?.(this.state.id, this.state.outs);
    this.state = undefined;
  }
}
