// shellQuote is the only way a value reaches a shell. These tests send random strings, quotes and shell
// metacharacters included, through the real bash and check each arrives as exactly one argument, unchanged.

import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shellCommand, shellExports, shellQuote } from "../../components/internal/shell";

/** Runs one bash that, for each quoted value, prints the argument count and the first argument, NUL-separated. */
function throughBash(values: string[]): Array<{ count: number; first: string }> {
  const script = values.map((v) => `set -- ${shellQuote(v)}; printf '%d\\0%s\\0' "$#" "$1"`).join("\n");
  const out = execFileSync("bash", ["-c", script], { encoding: "utf8" });
  const parts = out.split("\0");
  return values.map((_, i) => ({ count: Number(parts[2 * i]), first: parts[2 * i + 1] ?? "" }));
}

const nastyChars = fc.constantFrom(..."';|&$()`\"\\ \t\n*?[]{}<>!#~%^=,.-_/".split(""), "$(id)", "${HOME}", "'\\''");
const anyText = fc
  .oneof(
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.array(fc.oneof(nastyChars, fc.string({ maxLength: 3 })), { maxLength: 12 }).map((a) => a.join("")),
  )
  .filter((s) => !s.includes("\0"));

describe("shellQuote", () => {
  it("delivers any string through bash as one argument, byte for byte", () => {
    fc.assert(
      fc.property(fc.array(anyText, { minLength: 1, maxLength: 25 }), (values) => {
        const got = throughBash(values);
        got.forEach((g, i) => {
          expect(g.count).toBe(1);
          expect(g.first).toBe(values[i]);
        });
      }),
      { numRuns: 60 },
    );
  });

  it("leaves plain words readable and quotes everything else", () => {
    expect(shellQuote("mysql")).toBe("mysql");
    expect(shellQuote("10.0.0.5:4000/trove-datastores/mysql:5.7.29")).toBe(
      "10.0.0.5:4000/trove-datastores/mysql:5.7.29",
    );
    expect(shellQuote("")).toBe("''");
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote("$(rm -rf /)")).toBe("'$(rm -rf /)'");
  });

  it("refuses NUL, which no argv can carry", () => {
    expect(() => shellQuote("a\0b")).toThrow(/NUL/);
  });
});

describe("shellCommand", () => {
  it("keeps every argument separate through bash", () => {
    fc.assert(
      fc.property(fc.array(anyText, { minLength: 1, maxLength: 8 }), (args) => {
        const out = execFileSync("bash", ["-c", `printf '%s\\0' ${shellCommand(args)}`], { encoding: "utf8" });
        expect(out.split("\0").slice(0, -1)).toEqual(args);
      }),
      { numRuns: 40 },
    );
  });
});

describe("shellExports", () => {
  it("exports values unchanged", () => {
    fc.assert(
      fc.property(anyText, (value) => {
        const out = execFileSync("bash", ["-c", `${shellExports({ DIB_X: value })}\nprintf '%s' "$DIB_X"`], {
          encoding: "utf8",
        });
        expect(out).toBe(value);
      }),
      { numRuns: 30 },
    );
  });

  it("rejects variable names a shell would misread", () => {
    expect(() => shellExports({ "A;B": "x" })).toThrow(/not a valid variable name/);
  });
});
