// Fields renamed because their old name said two things (issue 17): the former name keeps working for now, with a
// warning that names both, and giving both names at once is refused by the schema, so no caller has to guess which
// one wins. Kept apart from errors.ts and free of @pulumi/pulumi, like schema.ts, whose checks use it.

/** A field's former name and its name now. @internal */
export interface RenamedField {
  readonly former: string;
  readonly now: string;
}

/** What is refused when a field is given under both names. @internal */
export function bothNamesProblem(rename: RenamedField): string {
  return `${rename.former} is the former name of ${rename.now}, which is given too; keep only ${rename.now}`;
}

/** What the warning says when a former name is used; `former` and `now` as the user knows them (a field, a YAML key). @internal */
export function formerNameWarning(former: string, now: string): string {
  return `${former} is deprecated: it is now ${now}; the former name still works for now and will be removed in a later release`;
}

/** A schema's check between fields (`shape`'s `refine`): a field given under both names is refused. @internal */
export function renamedFieldPairs(
  renames: readonly RenamedField[],
): (value: object, report: (field: string, value: unknown, allowed: string) => void) => void {
  return (value, report) => {
    const given = value as Record<string, unknown>;
    for (const r of renames)
      if (given[r.former] !== undefined && given[r.now] !== undefined)
        report(r.former, given[r.former], bothNamesProblem(r));
  };
}

/**
 * The object with each former name moved to its name now (the object itself when it uses none), and the renames it
 * used, for the warnings. Both names given: the one now wins (the schema has refused that already).
 * @internal
 */
export function withCurrentNames<T extends object>(
  value: T,
  renames: readonly RenamedField[],
): { value: T; used: RenamedField[] } {
  const given = value as Record<string, unknown>;
  const used = renames.filter((r) => given[r.former] !== undefined);
  if (used.length === 0) return { value, used };
  const copy: Record<string, unknown> = { ...given };
  for (const r of used) {
    copy[r.now] ??= copy[r.former];
    delete copy[r.former];
  }
  return { value: copy as T, used };
}
