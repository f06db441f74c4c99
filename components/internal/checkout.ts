// A Trove git checkout as the components take it: its directory and the git ref it holds, in one object per use (the
// guest image build's, the backup images'), so that a ref always says which checkout it is the ref of (issue 26).

import { optional, Rule, shape, text } from "./schema";
import { absolutePathProblem, gitRefProblem } from "./validate";

/** A Trove git checkout: where it is, and the git ref it holds. */
export interface TroveCheckout {
  /** Absolute path of the checkout. Example: `/opt/stack/trove`. */
  dir: string;
  /**
   * Git branch, tag or commit the checkout holds: the images built from it record it (the guest image; the backup
   * images' labels), so a new ref rebuilds them. Default: for `buildCheckout`, a local build's `git rev-parse HEAD`,
   * else `unknown`; for `backupCheckout`, `unknown`. Example: `stable/2026.1` or a commit id.
   */
  ref?: string;
}

/** The rule of a checkout field; `where` says where the directory is (`on the build host`, `on this machine`). @internal */
export function troveCheckoutRule(where: string): Rule {
  return shape<TroveCheckout>(`{ dir, ref? }: a Trove checkout ${where} and its git ref`, {
    dir: text(`an absolute path (of a Trove checkout ${where})`, absolutePathProblem),
    ref: optional(text("a git branch, tag or commit", gitRefProblem)),
  });
}
