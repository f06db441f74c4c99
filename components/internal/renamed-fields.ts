// Fields renamed because their old name said two things (issues 17 and 26): the former name keeps working for now, with
// a warning that names both, and giving both names at once is refused by the schema, so no caller has to guess which
// one wins. A field may move into an object (`troveRef` is now `buildCheckout.ref`). Kept apart from errors.ts and free
// of @pulumi/pulumi, like schema.ts, whose checks use it.

/**
 * A field's former name and its name now: a field of the same object (`rulesSourceDir`), or one level down, in an
 * object of that object (`buildCheckout.dir`). Two former names may have the same name now (a chain of renames).
 * @internal
 */
export interface RenamedField {
  readonly former: string;
  readonly now: string;
  /**
   * For a field moved into an object: the field of that object (`buildCheckout.dir`) without which it is dropped
   * rather than moved. A former `troveRef` given without a checkout directory builds nothing and is recorded nowhere;
   * moved alone it would make a checkout without its required `dir`, which the components' schemas refuse.
   */
  readonly onlyWith?: string;
}

/** The object a field now lives in (`buildCheckout` for `buildCheckout.dir`), or undefined for a flat rename. */
function parentOf(now: string): string | undefined {
  const dot = now.indexOf(".");
  return dot < 0 ? undefined : now.slice(0, dot);
}

/** What is refused when a field is given under both names. @internal */
export function bothNamesProblem(rename: RenamedField): string {
  const parent = parentOf(rename.now);
  return parent === undefined
    ? `${rename.former} is the former name of ${rename.now}, which is given too; keep only ${rename.now}`
    : `${rename.former} is the former name of ${rename.now}, and ${parent} is given too; keep only ${parent}`;
}

/** What is refused when two former names of one field are given. @internal */
export function twoFormerNamesProblem(first: string, second: string, now: string): string {
  return `${first} and ${second} are both former names of ${now}; keep only ${now}`;
}

/** What the warning says when a former name is used; `former` and `now` as the user knows them (a field, a YAML key). @internal */
export function formerNameWarning(former: string, now: string): string {
  return `${former} is deprecated: it is now ${now}; the former name still works for now and will be removed in a later release`;
}

/**
 * A schema's check between fields (`shape`'s `refine`): a field given under its former name and its name now (or,
 * for a field now inside an object, that object) is refused, and so are two former names of one field.
 * @internal
 */
export function renamedFieldPairs(
  renames: readonly RenamedField[],
): (value: object, report: (field: string, value: unknown, allowed: string) => void) => void {
  return (value, report) => {
    const given = value as Record<string, unknown>;
    renames.forEach((r, i) => {
      if (given[r.former] === undefined) return;
      const parent = parentOf(r.now);
      if ((parent !== undefined ? given[parent] : given[r.now]) !== undefined)
        report(r.former, given[r.former], bothNamesProblem(r));
      else {
        const earlier = renames.slice(0, i).find((o) => o.now === r.now && given[o.former] !== undefined);
        if (earlier)
          report(earlier.former, given[earlier.former], twoFormerNamesProblem(earlier.former, r.former, r.now));
      }
    });
  };
}

/**
 * The object with each former name moved to its name now (the object itself when it uses none), and the renames it
 * used, for the warnings. Both names given: the one now wins (the schema has refused that already). A field moved into
 * an object that is not given makes that object, with only the moved fields; one whose `onlyWith` field is not there
 * is dropped (a former `troveRef` without a `troveSourceDir`), with its warning still.
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
  // Objects the user gave are kept as they are; only the ones made here take moved fields.
  const made = new Set<string>();
  for (const r of used) {
    const parent = parentOf(r.now);
    if (parent === undefined) copy[r.now] ??= copy[r.former];
    else {
      if (copy[parent] === undefined) {
        copy[parent] = {};
        made.add(parent);
      }
      if (made.has(parent)) {
        const inner = copy[parent] as Record<string, unknown>;
        inner[r.now.slice(parent.length + 1)] ??= copy[r.former];
      }
    }
    delete copy[r.former];
  }
  for (const r of used) {
    const parent = parentOf(r.now);
    if (r.onlyWith === undefined || parent === undefined || !made.has(parent)) continue;
    const inner = copy[parent] as Record<string, unknown>;
    if (inner[r.onlyWith.slice(parent.length + 1)] !== undefined) continue;
    delete inner[r.now.slice(parent.length + 1)];
    if (Object.keys(inner).length === 0) delete copy[parent];
  }
  return { value: copy as T, used };
}

/**
 * One warning per object the used former names moved into (or per flat rename): `field` names a field as the user
 * knows it (`guestImage.troveSourceDir`, a YAML key), from its path in the value (`troveSourceDir`).
 * @internal
 */
export function formerNameWarnings(
  used: readonly RenamedField[],
  field: (path: string) => string = (p) => p,
): string[] {
  const groups = new Map<string, RenamedField[]>();
  for (const r of used) {
    const key = parentOf(r.now) ?? `=${r.now}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) =>
    g.length === 1
      ? formerNameWarning(field(g[0]!.former), field(g[0]!.now))
      : `${g.map((r) => field(r.former)).join(" and ")} are deprecated: they are now ${g.map((r) => field(r.now)).join(" and ")}; the former names still work for now and will be removed in a later release`,
  );
}
