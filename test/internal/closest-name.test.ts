// "Did you mean …?": the suggestion a misspelt field or stack key gets (components/internal/closest-name.ts).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { closestName, editDistance } from "../../components/internal/closest-name";
import { unknownFieldProblem } from "../../components/internal/schema";

describe("closestName", () => {
  const settings = [
    "versions",
    "troveRelease",
    "allowUntested",
    "guestImage",
    "glanceImage",
    "regions",
    "registry",
    "datastoreImages",
    "troveConfig",
    "registration",
    "managementNetworkCidr",
    "registryPassword",
  ];

  it.each([
    ["versionz", "versions"],
    ["version", "versions"],
    ["troverelease", "troveRelease"],
    ["allowUntestd", "allowUntested"],
    ["managmentNetworkCIDR", "managementNetworkCidr"],
    ["registryPasword", "registryPassword"],
    ["registy", "registry"],
  ])("suggests %s -> %s", (given, meant) => {
    expect(closestName(given, settings)).toBe(meant);
  });

  it("suggests nothing when no known name is close: a guess would mislead", () => {
    expect(closestName("password", settings)).toBeUndefined();
    expect(closestName("certificatePem", ["generate", "validityDays"])).toBeUndefined();
    expect(closestName("x", [])).toBeUndefined();
  });

  it("takes the nearest name, and the first listed on a tie", () => {
    expect(closestName("registr", ["registry", "registration"])).toBe("registry");
    expect(closestName("ab", ["ax", "xb"])).toBe("ax");
  });

  it("edit distance: zero only for the same text, symmetric, never more than the longer text", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    fc.assert(
      fc.property(fc.string({ maxLength: 16 }), fc.string({ maxLength: 16 }), (a, b) => {
        const d = editDistance(a, b);
        expect(d === 0).toBe(a === b);
        expect(editDistance(b, a)).toBe(d);
        expect(d).toBeLessThanOrEqual(Math.max(a.length, b.length));
        expect(d).toBeGreaterThanOrEqual(Math.abs(a.length - b.length));
      }),
    );
  });

  it("an unknown field is told the field it most likely misspells, else every field allowed", () => {
    expect(unknownFieldProblem("troveref", ["troveSourceDir", "troveRef"])).toBe(
      "unknown field; did you mean troveRef?",
    );
    expect(unknownFieldProblem("certificatePem", ["generate", "validityDays"])).toBe(
      "unknown field; allowed: generate, validityDays",
    );
  });
});
