// Where a component meets its schema (schema.ts): the arguments checked before anything is declared, and each
// `pulumi.Input` replaced by an Output that is checked when it resolves. Kept apart from schema.ts, which must not
// import @pulumi/pulumi: DatastoreVersion's provider runs the schema's walk, and whatever that code references is
// serialized into the provider (the SDK would make it five times larger).

import * as pulumi from "@pulumi/pulumi";
import { ComponentInputError, FieldProblem } from "./errors";
import { formerNameWarnings, RenamedField, withCurrentNames } from "./renamed-fields";
import { checkValue, problemsOf, Rule, shape } from "./schema";

/**
 * Arguments a composing component (the pipeline) built for a child from arguments it has checked itself: per arguments
 * object, the fields its schema has checked already, with the child's rules and its checks between fields, under the
 * names the composing component's user wrote. Module-private; only the pipeline marks arguments
 * ({@link checkedByParent}, internal: not in the published declarations).
 */
const fieldsCheckedByParent = new WeakMap<object, ReadonlySet<string>>();

/**
 * Marks `args` as built by a composing component whose schema has checked `fields` (reusing the child's rules, under
 * the composing component's field names): the child's `checkArgs` then checks only the other fields, the values the
 * parent computed itself (another child's outputs), with the child's own rules and messages. Returns `args`.
 * @internal
 */
export function checkedByParent<T extends object>(args: T, fields: readonly (keyof T & string)[]): T {
  fieldsCheckedByParent.set(args, new Set(fields));
  return args;
}

/** The schema of the fields a parent has not checked (its checks between fields are the parent's, see above). */
function uncheckedPart(rule: Rule, checked: ReadonlySet<string>): Rule {
  const rest = Object.fromEntries(Object.entries(rule.fields!).filter(([k]) => !checked.has(k)));
  return shape(rule.accepts, rest as never);
}

/** Arguments that passed their schema, with every Input replaced by an Output that is checked when it resolves. @internal */
export interface CheckedArgs<T> {
  /** The arguments to use from here on. */
  readonly args: T;
  /**
   * Names the resource a late refusal is reported on (call right after `super`): Pulumi then prints the message alone,
   * attached to the resource, instead of a stack trace.
   */
  attach(resource: pulumi.Resource): void;
  /**
   * The arguments came from a composing component that checked them (see {@link checkedByParent}): what it does once
   * for its user (e.g. moving former field names to their names now, with a warning) is done already.
   */
  readonly byParent: boolean;
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
  const byParent = typeof args === "object" && args !== null ? fieldsCheckedByParent.get(args) : undefined;
  if (byParent) return checkRest(component, name, uncheckedPart(rule, byParent), args as T & object);
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
  return { args: value as T, attach: (resource) => (owner = resource), byParent: false };
}

/**
 * A child's check of arguments its parent built: only the fields the parent has not checked, walked with the child's
 * rules (a value of the parent's own making, e.g. another child's output, is refused as the child always refused it);
 * none left: no walk at all.
 */
function checkRest<T extends object>(component: string, name: string, rest: Rule, args: T): CheckedArgs<T> {
  if (Object.keys(rest.fields!).length === 0) return { args, attach: () => undefined, byParent: true };
  const given = args as Record<string, unknown>;
  const part = Object.fromEntries(Object.keys(rest.fields!).flatMap((k) => (k in given ? [[k, given[k]]] : [])));
  const inner = checkArgs(component, name, rest, part);
  return { args: { ...given, ...(inner.args as object) } as T, attach: inner.attach, byParent: true };
}

/**
 * A component's checked arguments under their fields' current names, and a warning per former name used (per object
 * the former names moved into); as they are when a composing component built them, which has moved its own and warned.
 * @internal
 */
export function argsWithCurrentNames<T extends object>(
  checked: CheckedArgs<T>,
  renames: readonly RenamedField[],
): { args: T; warnings: string[] } {
  if (checked.byParent) return { args: checked.args, warnings: [] };
  const { value, used } = withCurrentNames(checked.args, renames);
  return { args: value, warnings: formerNameWarnings(used) };
}
