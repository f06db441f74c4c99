// Applies the resources one component declares to the lab, for component-level tests (a whole stack goes through
// test/support/engine instead, as Pulumi runs it): the component runs under Pulumi's mocks, and the mock's newResource
// applies each resource with the engine's resource models (engine/resource-models.ts: local commands, docker images
// and containers, providers) before it answers, so the runtime's own dependency tracking orders everything.

import * as pulumi from "@pulumi/pulumi";
import type { Lab } from "./lab";
import { modelFor, ModelContext } from "./engine/resource-models";
import { plain } from "./engine/wire";

/** What was applied, to undo it afterwards. */
export interface LabExecution {
  applied: Array<{ type: string; name: string; id: string; outputs: Record<string, unknown> }>;
  /** First error, if a resource could not be applied. */
  errors: string[];
  /** Deletes what the run created, last first. */
  cleanUp(): Promise<void>;
}

/** Runs `program` under mocks, each declared resource applied to the lab; returns what was applied and the result. */
export async function executeAgainstLab<T>(
  lab: Lab,
  stack: string,
  program: () => T,
): Promise<{ execution: LabExecution; result: T }> {
  const ctx: ModelContext = { providerConfig: { host: lab.dockerHost }, env: process.env };
  const execution: LabExecution = {
    applied: [],
    errors: [],
    async cleanUp() {
      for (const r of [...execution.applied].reverse())
        await modelFor(r.type)
          .delete(ctx, r.id, r.outputs)
          .catch(() => undefined);
    },
  };
  await pulumi.runtime.setMocks(
    {
      async newResource(
        args: pulumi.runtime.MockResourceArgs,
      ): Promise<{ id: string; state: Record<string, unknown> }> {
        const inputs = plain(args.inputs) as Record<string, unknown>;
        if (!args.custom) return { id: "", state: inputs };
        try {
          const { id, outputs } = await modelFor(args.type).create(ctx, inputs);
          execution.applied.push({ type: args.type, name: args.name, id, outputs });
          return { id, state: outputs };
        } catch (error) {
          execution.errors.push(`${args.type} ${args.name}: ${(error as Error).message}`);
          throw error;
        }
      },
      call(args: pulumi.runtime.MockCallArgs) {
        return args.inputs;
      },
    },
    "pulumi-trove",
    stack,
    false,
  );
  return { execution, result: program() };
}
