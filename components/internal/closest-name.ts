// "Did you mean …?" for a name nobody declared (a field of a component's args, a stack-config key): the known name a
// typo most likely stands for. Free of @pulumi/pulumi, like schema.ts, whose walk uses it inside DatastoreVersion's
// serialized provider.

/** The number of one-letter insertions, deletions and substitutions that turn `a` into `b` (Levenshtein). @internal */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The known name closest to `given`, letter case aside (`troveref` is `troveRef`), or undefined when none is close
 * enough to be a typo of it: at most a third of its letters wrong, and at least two always allowed. A tie goes to
 * the name listed first.
 * @internal
 */
export function closestName(given: string, known: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(given.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(given.toLowerCase(), name.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** What an unknown name is told: `did you mean <prefix><closest>?`, or, when none is close, `<listLabel>: <every name>`. @internal */
export function didYouMean(given: string, known: readonly string[], listLabel: string, prefix = ""): string {
  const near = closestName(given, known);
  return near === undefined ? `${listLabel}: ${known.join(", ")}` : `did you mean ${prefix}${near}?`;
}
