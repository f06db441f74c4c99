// Runtime schemas of the public `Args` types. TypeScript checks the types only for TypeScript callers; stack config is
// YAML and many callers write plain JavaScript, so every component checks its arguments against its schema before it
// declares anything: the type, the shape (no unknown keys, no missing required ones) and the content of every field,
// nested ones included.

import { didYouMean } from "./closest-name";
import { FieldProblem } from "./problem-text";

// A plain value is checked at once; a `pulumi.Input` (an Output or a Promise) is checked when it resolves, with the
// same message, and the component uses the checked value, so nothing a check refuses reaches a script, a request body
// or a config file.
//
// Hand-written rather than a schema library: the schemas must take `pulumi.Input`s and check them later, name the
// field as the user wrote it, hide secrets in messages, and be read back by the generated tests and the list of
// checks in docs/checks.md; `ArgsSchema<T>` makes the compiler insist that every field of the interface has a rule, so
// a new field cannot be left unchecked.

/** What kind of value a rule accepts; the generated tests produce wrong values per kind. @internal */
export type RuleKind =
  "string" | "number" | "boolean" | "enum" | "array" | "record" | "object" | "oneOf" | "instance" | "any";

/** A rule for one field. Build rules with the functions below, not by hand. @internal */
export interface Rule {
  readonly kind: RuleKind;
  /** What the field accepts, in words: shown in messages (`expected …`) and in docs/checks.md. */
  readonly accepts: string;
  /** The field may be left out (`undefined`). */
  readonly optional: boolean;
  /** The field may be a `pulumi.Input` (an Output or a Promise), checked when it resolves. */
  readonly input: boolean;
  /** What a missing required value is told, when the rule's own words are not enough. */
  readonly missing?: string;
  /** The value is shown as `(secret)` in messages. */
  readonly secret: boolean;
  /** Checks the content of a value of the right type; returns what is allowed, or undefined when it is fine. */
  readonly content?: (value: never) => string | undefined;
  /** object: the rule of each field. */
  readonly fields?: Readonly<Record<string, Rule>>;
  /** object: checks between fields (pairs), run when every field is fine on its own. */
  readonly refine?: (value: never, report: (field: string, value: unknown, allowed: string) => void) => void;
  /** array: the rule of each item; record: the rule of each value. */
  readonly item?: Rule;
  /** record: checks each key. */
  readonly key?: (key: string) => string | undefined;
  /** enum: the allowed values. */
  readonly values?: readonly (string | number | boolean)[];
  /** number: a whole number; number: range; array: length range. */
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** array: what a list of the wrong length is told, when not `expected <accepts>` (e.g. a service's own limit). */
  readonly sizeProblem?: string;
  /** oneOf: the alternatives, and which one a value means (by its keys), or undefined when it means none. */
  readonly options?: readonly Rule[];
  readonly pick?: (value: unknown) => number | undefined;
  /** instance: the class. */
  readonly ctor?: abstract new (...args: never[]) => unknown;
}

/** A rule per field of `T`: the compiler refuses a schema that leaves a field of the interface out. @internal */
export type FieldRules<T> = { readonly [K in keyof T]-?: Rule };

const base = { optional: false, input: false, secret: false } as const;

/** A string; `content` says what is wrong with one, or returns undefined. @internal */
export function text(accepts: string, content?: (value: string) => string | undefined): Rule {
  return { ...base, kind: "string", accepts, content: content as Rule["content"] };
}

/** A whole number (or any finite number with `integer: false`) from `min` to `max`. @internal */
export function count(min: number, max: number, opts: { integer?: boolean; accepts?: string } = {}): Rule {
  const integer = opts.integer ?? true;
  return {
    ...base,
    kind: "number",
    integer,
    min,
    max,
    accepts: opts.accepts ?? `${integer ? "a whole number" : "a number"} from ${min} to ${max}`,
  };
}

/** `true` or `false`. @internal */
export function flag(): Rule {
  return { ...base, kind: "boolean", accepts: "true or false" };
}

/** One of a few fixed values. @internal */
export function oneOfValues(values: readonly (string | number | boolean)[]): Rule {
  return { ...base, kind: "enum", values, accepts: `one of: ${values.map((v) => String(v)).join(", ")}` };
}

/** A list whose items follow `item`, with `min` to `max` items. @internal */
export function listOf(
  item: Rule,
  opts: { min?: number; max?: number; accepts?: string; sizeProblem?: string } = {},
): Rule {
  const min = opts.min ?? 0;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  const size =
    min > 0 && max < Number.MAX_SAFE_INTEGER
      ? `${min} to ${max} `
      : min > 0
        ? `at least ${min} `
        : max < Number.MAX_SAFE_INTEGER
          ? `at most ${max} `
          : "";
  return {
    ...base,
    kind: "array",
    item,
    min,
    max,
    accepts: opts.accepts ?? `a list of ${size}items, each ${item.accepts}`,
    ...(opts.sizeProblem ? { sizeProblem: opts.sizeProblem } : {}),
  };
}

/** A map from keys (checked by `key`) to values following `item`. @internal */
export function mapOf(item: Rule, key: (k: string) => string | undefined, accepts: string): Rule {
  return { ...base, kind: "record", item, key, accepts };
}

/** An object with exactly these fields (unknown keys are refused: a typo in YAML must not pass silently). @internal */
export function shape<T>(
  accepts: string,
  fields: FieldRules<T>,
  refine?: (value: T, report: (field: string, value: unknown, allowed: string) => void) => void,
): Rule {
  return { ...base, kind: "object", accepts, fields: fields as Record<string, Rule>, refine: refine as Rule["refine"] };
}

/** One of several alternatives (object shapes, `false`, an instance), told apart by `pick` (the index, or undefined). @internal */
export function either(accepts: string, options: readonly Rule[], pick: (value: unknown) => number | undefined): Rule {
  return { ...base, kind: "oneOf", accepts, options, pick };
}

/** An instance of a class (a provider, a catalog, a component). @internal */
export function instanceOf(ctor: abstract new (...args: never[]) => unknown, accepts: string): Rule {
  return { ...base, kind: "instance", ctor, accepts };
}

/** Anything (for fields whose content another check owns). @internal */
export function anything(accepts: string): Rule {
  return { ...base, kind: "any", accepts };
}

/** A field that must be left out (the other alternative of a union uses it). @internal */
export function absent(accepts: string): Rule {
  return { ...base, optional: true, kind: "enum", values: [], accepts };
}

/** The rule, with the field allowed to be left out. @internal */
export function optional(rule: Rule): Rule {
  return { ...rule, optional: true };
}

/** The rule, with the field allowed to be a `pulumi.Input` checked when it resolves. @internal */
export function input(rule: Rule): Rule {
  return { ...rule, input: true };
}

/** The rule, with its own words for a missing value. @internal */
export function required(rule: Rule, missing: string): Rule {
  return { ...rule, missing };
}

/** The rule, with the value hidden in messages. @internal */
export function secret(rule: Rule): Rule {
  return { ...rule, secret: true };
}

/** Whether a value is known only later: an Output or a Promise. @internal */
export function isDeferred(value: unknown): boolean {
  // The mark `pulumi.Output.isInstance` reads, read here without @pulumi/pulumi: the walk below also runs inside
  // DatastoreVersion's serialized provider, where a reference to the SDK would be serialized with it (5x the size).
  if (typeof value !== "object" || value === null) return false;
  return (
    (value as { __pulumiOutput?: unknown }).__pulumiOutput === true ||
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** Whether a value is a plain object (what YAML maps and object literals are), for `either`'s pick functions. @internal */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function typeOfValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object")
    return isPlainObject(value) ? "an object" : `an instance of ${(value as object).constructor?.name ?? "a class"}`;
  return `a ${typeof value}`;
}

function join(field: string, key: string): string {
  return field === "" ? key : `${field}.${key}`;
}

/** What an unknown field is told: the field it most likely misspells, or, when none is close, every field allowed. @internal */
export function unknownFieldProblem(given: string, known: readonly string[]): string {
  return `unknown field; ${didYouMean(given, known, "allowed")}`;
}

/** Where a walk reports problems and values to check later. */
interface Sink {
  problems: FieldProblem[];
  /** undefined: Inputs are not allowed to be deferred here (the value has resolved). */
  defer?: (field: string, rule: Rule, value: unknown) => unknown;
}

function report(sink: Sink, rule: Rule, field: string, value: unknown, allowed: string): void {
  sink.problems.push({ field, value: rule.secret && value !== undefined ? "(secret)" : value, allowed });
}

/**
 * Checks `value` against `rule`; returns the value the component should use (the same value, or a copy in which each
 * Input is replaced by its checked Output).
 */
function walk(rule: Rule, value: unknown, field: string, sink: Sink): unknown {
  if (value === undefined) {
    if (!rule.optional) report(sink, rule, field, undefined, rule.missing ?? `required: ${rule.accepts}`);
    return value;
  }
  if (rule.input && sink.defer && isDeferred(value)) return sink.defer(field, rule, value);
  if (isDeferred(value)) {
    report(sink, rule, field, "(an Output or Promise)", `must be known when the program runs: ${rule.accepts}`);
    return value;
  }
  const refuse = (allowed: string): unknown => {
    report(sink, rule, field, value, allowed);
    return value;
  };
  const wrongType = (hint = ""): unknown => refuse(`expected ${rule.accepts}, got ${typeOfValue(value)}${hint}`);
  const unquote = (what: string) => (typeof value === "string" ? ` (in YAML, write ${what} without quotes)` : "");
  switch (rule.kind) {
    case "string":
      if (typeof value !== "string") return wrongType();
      break;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) return wrongType(unquote("the number"));
      if ((rule.integer && !Number.isInteger(value)) || value < rule.min! || value > rule.max!)
        return refuse(`expected ${rule.accepts}`);
      break;
    case "boolean":
      if (typeof value !== "boolean") return wrongType(unquote("true or false"));
      break;
    case "enum":
      if (!rule.values!.includes(value as string))
        return refuse(rule.values!.length > 0 ? `allowed: ${rule.values!.join(", ")}` : rule.accepts);
      break;
    case "instance":
      if (!(value instanceof (rule.ctor as abstract new () => unknown))) return wrongType();
      break;
    case "any":
      break;
    case "array": {
      if (!Array.isArray(value)) return wrongType();
      if (value.length < rule.min! || value.length > rule.max!)
        report(sink, rule, field, value, rule.sizeProblem ?? `expected ${rule.accepts}`);
      let copy: unknown[] | undefined;
      value.forEach((item, i) => {
        const checked = walk(rule.item!, item, `${field}[${i}]`, sink);
        if (checked !== item) (copy ??= [...value])[i] = checked;
      });
      return copy ?? value;
    }
    case "record": {
      if (!isPlainObject(value)) return wrongType();
      let copy: Record<string, unknown> | undefined;
      for (const [k, v] of Object.entries(value)) {
        const keyProblem = rule.key!(k);
        if (keyProblem !== undefined)
          sink.problems.push({ field: join(field, k), value: k, allowed: `key not allowed: ${keyProblem}` });
        const checked = walk(rule.item!, v, join(field, k), sink);
        if (checked !== v) (copy ??= { ...value })[k] = checked;
      }
      return copy ?? value;
    }
    case "object": {
      if (!isPlainObject(value)) return wrongType();
      const known = rule.fields!;
      const before = sink.problems.length;
      for (const k of Object.keys(value)) {
        if (!Object.hasOwn(known, k))
          sink.problems.push({ field: join(field, k), value: k, allowed: unknownFieldProblem(k, Object.keys(known)) });
      }
      let copy: Record<string, unknown> | undefined;
      for (const [k, r] of Object.entries(known)) {
        const checked = walk(r, value[k], join(field, k), sink);
        if (checked !== value[k]) (copy ??= { ...value })[k] = checked;
      }
      if (rule.refine && sink.problems.length === before) {
        (rule.refine as (v: unknown, r: (f: string, v: unknown, a: string) => void) => void)(value, (f, v, a) =>
          sink.problems.push({ field: join(field, f), value: v, allowed: a }),
        );
      }
      return copy ?? value;
    }
    case "oneOf": {
      const chosen = rule.pick!(value);
      if (chosen === undefined) return wrongType();
      return walk(rule.options![chosen]!, value, field, sink);
    }
  }
  const problem = rule.content?.(value as never);
  if (problem !== undefined) report(sink, rule, field, value, problem);
  return value;
}

/** The problems of one value, not deferring anything (for values that have resolved, and for dynamic providers' `check`). @internal */
export function problemsOf(rule: Rule, value: unknown, field = ""): FieldProblem[] {
  const sink: Sink = { problems: [] };
  walk(rule, value, field, sink);
  return sink.problems;
}

/**
 * Checks a value, handing each deferred Input (at a field whose rule allows one) to `defer`, whose result takes the
 * Input's place in the returned value. @internal
 */
export function checkValue(
  rule: Rule,
  value: unknown,
  defer: (field: string, rule: Rule, value: unknown) => unknown,
): { value: unknown; problems: FieldProblem[] } {
  const sink: Sink = { problems: [], defer };
  const checked = walk(rule, value, "", sink);
  return { value: checked, problems: sink.problems };
}

/** Every field path of a schema, nested ones included (`buildHost.port`, `versions[].version`), with its rule. @internal */
export function fieldsOf(rule: Rule, field = ""): Array<{ field: string; rule: Rule }> {
  const out: Array<{ field: string; rule: Rule }> = [];
  const visit = (r: Rule, f: string) => {
    if (f !== "") out.push({ field: f, rule: r });
    if (r.kind === "object") for (const [k, child] of Object.entries(r.fields!)) visit(child, join(f, k));
    if (r.kind === "array") visit(r.item!, `${f}[]`);
    if (r.kind === "record") visit(r.item!, `${f}.<key>`);
    if (r.kind === "oneOf")
      for (const o of r.options!)
        if (o.kind === "object") for (const [k, child] of Object.entries(o.fields!)) visit(child, join(f, k));
  };
  visit(rule, field);
  return out;
}
