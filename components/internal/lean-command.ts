// A `command:local:Command` declared with only the properties its caller sets and reads, for resources a program
// declares once per datastore version. @pulumi/command's class gives the SDK all 16 of its properties (12 inputs and 4
// outputs, set or not), and the SDK makes four promises for each, each capturing a formatted stack trace: most of the
// time it takes to declare a pipeline of many versions (issue 16).

import * as command from "@pulumi/command";
import { getVersion } from "@pulumi/command/utilities";
import * as pulumi from "@pulumi/pulumi";

// Undefined inputs never reach the engine, and the outputs the caller does not read are still in the state, so the
// request the engine receives is the same as the class's (test/internal/lean-command.test.ts compares the two): same type token,
// inputs, plugin version and replaceOnChanges; only the Outputs the program can read differ.

/** The inputs a {@link LeanLocalCommand} takes: those of `command.local.CommandArgs` this library sets. @internal */
export type LeanLocalCommandArgs = Pick<
  command.local.CommandArgs,
  "create" | "update" | "interpreter" | "environment" | "addPreviousOutputInEnv" | "triggers"
>;

/**
 * A `command:local:Command` (the same resource for the engine and the provider as `command.local.Command`) whose only
 * readable output is `stdout`. @internal
 */
export class LeanLocalCommand extends pulumi.CustomResource {
  /** What the command printed on stdout. */
  declare public readonly stdout: pulumi.Output<string>;

  constructor(name: string, args: LeanLocalCommandArgs, opts?: pulumi.CustomResourceOptions) {
    // As command.local.Command does: the package's version, then the caller's options, then triggers force a replace.
    const withDefaults = pulumi.mergeOptions(pulumi.mergeOptions({ version: getVersion() }, opts), {
      replaceOnChanges: ["triggers[*]"],
    });
    super("command:local:Command", name, { ...args, stdout: undefined }, withDefaults);
  }
}
