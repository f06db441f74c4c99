// Why this module: a component's type token is part of the URN of the component and of every resource under it, so
// renaming a token would make Pulumi replace the whole tree. Tokens follow the name of the file a component lives in,
// not its folder (`pulumi-trove:<file>:<Class>`); a component whose token changed keeps its earlier ones as aliases,
// and Pulumi derives the children's earlier URNs from their parent's aliases, so a stack created by an earlier release
// keeps its resources.

import * as pulumi from "@pulumi/pulumi";

/**
 * The caller's options with the component's earlier type tokens added as aliases. The caller's own aliases are kept,
 * and each one that names no type is added again under every earlier type, since a resource created by an earlier
 * release carried both the earlier name and the earlier type (e.g. the pipeline's per-region renames).
 */
export function withFormerTypes(
  opts: pulumi.ComponentResourceOptions | undefined,
  formerTypes: readonly string[],
): pulumi.ComponentResourceOptions {
  const own = opts?.aliases ?? [];
  const ownUnderFormerTypes = own.flatMap((alias) =>
    isUntypedAlias(alias) ? formerTypes.map((type) => ({ ...alias, type })) : [],
  );
  return { ...opts, aliases: [...own, ...formerTypes.map((type) => ({ type })), ...ownUnderFormerTypes] };
}

/** An alias given as a plain object (not a URN, not an Output) that leaves the type as it is. */
function isUntypedAlias(alias: pulumi.Input<string | pulumi.Alias>): alias is pulumi.Alias {
  return (
    typeof alias === "object" &&
    alias !== null &&
    !pulumi.Output.isInstance(alias) &&
    !(alias instanceof Promise) &&
    (alias as pulumi.Alias).type === undefined
  );
}
