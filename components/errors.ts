// Validation errors for components: every bad field of one component is collected and reported in one message,
// so `pulumi preview` fails once, with everything the user has to fix.

/** One bad input: which field, what value was given, and what is allowed. */
export interface FieldProblem {
  /** Dotted path of the field, e.g. `versions[1].version`. */
  field: string;
  /** The offending value, shown quoted in the message. */
  value: unknown;
  /** What is allowed instead, e.g. `supported: jammy`. */
  allowed: string;
}

/** Thrown at construction when a component's arguments are invalid. */
export class ComponentInputError extends Error {
  constructor(
    readonly component: string,
    readonly resourceName: string,
    readonly problems: readonly FieldProblem[],
  ) {
    super(formatProblems(component, resourceName, problems));
    this.name = "ComponentInputError";
  }
}

/** Renders a value for an error message without ever printing something long or multi-line verbatim. @internal */
export function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  const clipped = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return JSON.stringify(clipped);
}

/** @internal */
export function formatProblems(component: string, resourceName: string, problems: readonly FieldProblem[]): string {
  const lines = problems.map((p) => `${p.field} ${describeValue(p.value)} is not valid (${p.allowed})`);
  if (lines.length === 1) return `${component} "${resourceName}": ${lines[0]}.`;
  return `${component} "${resourceName}": ${lines.length} invalid inputs:\n${lines.map((l) => `  - ${l}`).join("\n")}`;
}

/**
 * Collects problems while a component resolves its arguments, then throws them all at once.
 * Usage: `const v = new Problems("GlanceImage", name); v.check(...); v.throwIfAny();`
 * @internal
 */
export class Problems {
  private readonly list: FieldProblem[] = [];

  constructor(
    private readonly component: string,
    private readonly resourceName: string,
  ) {}

  /** Records a problem when `ok` is false. Returns `ok`, so callers can skip dependent checks. */
  check(ok: boolean, field: string, value: unknown, allowed: string): boolean {
    if (!ok) this.list.push({ field, value, allowed });
    return ok;
  }

  /** Records a problem unconditionally. */
  add(field: string, value: unknown, allowed: string): void {
    this.list.push({ field, value, allowed });
  }

  /** Records the problem a validator returned, if any. */
  report(field: string, value: unknown, problem: string | undefined): boolean {
    if (problem !== undefined) this.list.push({ field, value, allowed: problem });
    return problem === undefined;
  }

  get any(): boolean {
    return this.list.length > 0;
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new ComponentInputError(this.component, this.resourceName, this.list);
  }
}
