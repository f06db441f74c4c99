// The renamed-fields helpers as pure functions: a former name moves to its name now (flat, or into an object), the
// schema's pair check refuses both names at once and two former names of one field, and the warnings name each field
// as the caller knows it.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bothNamesProblem,
  formerNameWarnings,
  RenamedField,
  renamedFieldPairs,
  withCurrentNames,
} from "../../components/internal/renamed-fields";

const CHECKOUT: readonly RenamedField[] = [
  { former: "troveSourceDir", now: "backupCheckout.dir" },
  { former: "backupSourceDir", now: "backupCheckout.dir" },
  { former: "troveRef", now: "backupCheckout.ref", onlyWith: "backupCheckout.dir" },
];
const FLAT: readonly RenamedField[] = [{ former: "troveSourceDir", now: "rulesSourceDir" }];

function problems(renames: readonly RenamedField[], value: object): Array<[string, unknown, string]> {
  const out: Array<[string, unknown, string]> = [];
  renamedFieldPairs(renames)(value, (f, v, a) => out.push([f, v, a]));
  return out;
}

describe("withCurrentNames", () => {
  it("returns the very object when no former name is used", () => {
    const value = { backupCheckout: { dir: "/t" }, repository: "r" };
    expect(withCurrentNames(value, CHECKOUT)).toEqual({ value, used: [] });
    expect(withCurrentNames(value, CHECKOUT).value).toBe(value);
  });

  it("moves a flat rename, and fields into the object they now live in, leaving the given object untouched", () => {
    expect(withCurrentNames({ troveSourceDir: "/t", adopt: true }, FLAT)).toEqual({
      value: { rulesSourceDir: "/t", adopt: true },
      used: FLAT,
    });
    const given = { backupSourceDir: "/t", troveRef: "stable/2026.1", repository: "r" };
    const { value, used } = withCurrentNames(given, CHECKOUT);
    expect(value).toEqual({ backupCheckout: { dir: "/t", ref: "stable/2026.1" }, repository: "r" });
    expect(used).toEqual([CHECKOUT[1], CHECKOUT[2]]);
    expect(given).toEqual({ backupSourceDir: "/t", troveRef: "stable/2026.1", repository: "r" });
  });

  it("follows a chain of renames to the name now, and drops a ref given without its directory (still warned about)", () => {
    expect(withCurrentNames({ troveSourceDir: "/old" }, CHECKOUT).value).toEqual({ backupCheckout: { dir: "/old" } });
    expect(withCurrentNames({ troveRef: "m", repository: "r" }, CHECKOUT)).toEqual({
      value: { repository: "r" },
      used: [CHECKOUT[2]],
    });
    // Without onlyWith, a field moves alone.
    expect(withCurrentNames({ troveRef: "m" }, [{ former: "troveRef", now: "c.ref" }]).value).toEqual({
      c: { ref: "m" },
    });
  });

  it("moves any former values into the object as they are, and leaves the given object as it was", () => {
    fc.assert(
      fc.property(fc.string(), fc.option(fc.string(), { nil: undefined }), fc.string(), (dir, ref, repository) => {
        const given = { backupSourceDir: dir, ...(ref !== undefined ? { troveRef: ref } : {}), repository };
        const before = JSON.stringify(given);
        const { value, used } = withCurrentNames(given, CHECKOUT);
        expect(value).toEqual({ backupCheckout: ref !== undefined ? { dir, ref } : { dir }, repository });
        expect(used.map((r) => r.former)).toEqual(
          ref !== undefined ? ["backupSourceDir", "troveRef"] : ["backupSourceDir"],
        );
        expect(JSON.stringify(given)).toBe(before);
      }),
    );
  });

  it("keeps the name now when both are given (the schema has refused that already)", () => {
    const checkout = { dir: "/now" };
    const { value } = withCurrentNames({ troveSourceDir: "/old", troveRef: "m", backupCheckout: checkout }, CHECKOUT);
    expect(value).toEqual({ backupCheckout: { dir: "/now" } });
    expect((value as { backupCheckout: object }).backupCheckout).toBe(checkout);
    expect(withCurrentNames({ troveSourceDir: "/old", rulesSourceDir: "/now" }, FLAT).value).toEqual({
      rulesSourceDir: "/now",
    });
  });
});

describe("renamedFieldPairs", () => {
  it("says nothing for a former name alone, or the name now alone", () => {
    expect(problems(CHECKOUT, { backupSourceDir: "/t", troveRef: "m" })).toEqual([]);
    expect(problems(CHECKOUT, { backupCheckout: { dir: "/t", ref: "m" } })).toEqual([]);
    expect(problems(FLAT, { troveSourceDir: "/t" })).toEqual([]);
  });

  it("refuses a former name beside its name now, naming both", () => {
    expect(problems(FLAT, { troveSourceDir: "/a", rulesSourceDir: "/b" })).toEqual([
      [
        "troveSourceDir",
        "/a",
        "troveSourceDir is the former name of rulesSourceDir, which is given too; keep only rulesSourceDir",
      ],
    ]);
    // Beside the object, whether or not the object holds that field.
    expect(problems(CHECKOUT, { troveRef: "m", backupCheckout: { dir: "/b" } })).toEqual([
      [
        "troveRef",
        "m",
        "troveRef is the former name of backupCheckout.ref, and backupCheckout is given too; keep only backupCheckout",
      ],
    ]);
    expect(bothNamesProblem(CHECKOUT[0]!)).toBe(
      "troveSourceDir is the former name of backupCheckout.dir, and backupCheckout is given too; keep only backupCheckout",
    );
  });

  it("refuses two former names of one field once", () => {
    expect(problems(CHECKOUT, { troveSourceDir: "/a", backupSourceDir: "/b" })).toEqual([
      [
        "troveSourceDir",
        "/a",
        "troveSourceDir and backupSourceDir are both former names of backupCheckout.dir; keep only backupCheckout.dir",
      ],
    ]);
  });
});

describe("formerNameWarnings", () => {
  it("gives one warning per object the former names moved into, each field named as the caller names it", () => {
    const used = withCurrentNames({ troveSourceDir: "/t", troveRef: "m" }, CHECKOUT).used;
    expect(formerNameWarnings(used, (p) => `pulumi-trove:datastoreImages.${p}`)).toEqual([
      "pulumi-trove:datastoreImages.troveSourceDir and pulumi-trove:datastoreImages.troveRef are deprecated: they are now pulumi-trove:datastoreImages.backupCheckout.dir and pulumi-trove:datastoreImages.backupCheckout.ref; the former names still work for now and will be removed in a later release",
    ]);
    expect(formerNameWarnings(FLAT)).toEqual([
      "troveSourceDir is deprecated: it is now rulesSourceDir; the former name still works for now and will be removed in a later release",
    ]);
    expect(formerNameWarnings([])).toEqual([]);
  });
});
