// Where a component meets its schema (schema.ts): the arguments checked before anything is declared, and each
// `pulumi.Input` replaced by an Output that is checked when it resolves. Kept apart from schema.ts, which must not
// import @pulumi/pulumi: DatastoreVersion's provider runs the schema's walk, and whatever that code references is
// serialized into the provider (the SDK would make it five times larger).

import * as pulumi from "@pulumi/pulumi";
import { ComponentInputError, FieldProblem } from "./errors";
import { checkValue, problemsOf, Rule } from "./schema";

/** Arguments that passed their schema, with every Input replaced by an Output that is checked when it resolves. @internal */
export interface CheckedArgs<T> {
  /** The arguments to use from here on. */
  readonly args: T;
  /**
   * Names the resource a late refusal is reported on (call right after `super`): Pulumi then prints the message alone,
   * attached to the resource, instead of a stack trace.
   */
  attach(resource: pulumi.Resource): void;
}

/**
 * Checks a component's arguments against its schema: throws one `ComponentInputError` naming every bad field, before
 * the component declares anything; returns the arguments with every Input wrapped in its check. `rename` turns a
 * field's path into the name the user knows it by (the stack program: the YAML key). `earlier`: problems the caller
 * found before (under the user's names already, e.g. a stack key the program does not know), reported first in the
 * same error.
 * @internal
 */
export function checkArgs<T>(
  component: string,
  name: string,
  rule: Rule,
  args: T,
  rename: (field: string) => string = (field) => field,
  earlier: readonly FieldProblem[] = [],
): CheckedArgs<T> {
  let owner: pulumi.Resource | undefined;
  const renamed = (problems: FieldProblem[]) => problems.map((p) => ({ ...p, field: rename(p.field) }));
  const { value, problems } = checkValue(rule, args, (field, fieldRule, input) =>
    (pulumi.output(input as pulumi.Input<string>) as pulumi.Output<unknown>).apply((resolved: unknown) => {
      const late = problemsOf({ ...fieldRule, optional: true }, resolved, field);
      if (late.length === 0) return resolved;
      const error = new ComponentInputError(component, name, renamed(late));
      // A ResourceError is printed as its message alone; any other error thrown here is printed with util.inspect.
      throw owner ? new pulumi.ResourceError(error.message, owner, true) : error;
    }),
  );
  if (earlier.length > 0 || problems.length > 0)
    throw new ComponentInputError(component, name, [...earlier, ...renamed(problems)]);
  return { args: value as T, attach: (resource) => (owner = resource) };
}
