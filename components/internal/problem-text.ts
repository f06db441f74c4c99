// How a refused value is told: the field, the value (clipped, never multi-line) and what is allowed. Kept apart from
// errors.ts, which imports @pulumi/pulumi: DatastoreVersion's provider uses these, and whatever its code references is
// serialized into the provider.

/** One bad input: which field, what value was given, and what is allowed. */
export interface FieldProblem {
  /** Dotted path of the field, e.g. `versions[1].version`. */
  field: string;
  /** The offending value, shown quoted in the message. */
  value: unknown;
  /** What is allowed instead, e.g. `supported: jammy`. */
  allowed: string;
}

/** Renders a value for an error message without ever printing something long or multi-line verbatim. @internal */
export function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  const clipped = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return JSON.stringify(clipped);
}

/** @internal */
export function formatProblems(component: string, resourceName: string, problems: readonly FieldProblem[]): string {
  const lines = problems.map((p) => `${p.field} ${describeValue(p.value)} is not valid (${p.allowed})`);
  if (lines.length === 1) return `${component} "${resourceName}": ${lines[0]}.`;
  return `${component} "${resourceName}": ${lines.length} invalid inputs:\n${lines.map((l) => `  - ${l}`).join("\n")}`;
}
