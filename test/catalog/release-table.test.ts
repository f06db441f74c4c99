// The README's release table against the catalog (issue 25, point 6): one row per release, every release once, the
// columns the catalog's facts fill, each row marked proved in CI or read from source as TROVE_RELEASES says.

import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { TROVE_RELEASES } from "../../components/catalog/catalog";

const README = readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");

/** The table's header cells and, per release, its row's cells by header; `as <release>` cells resolved. */
function releaseTable(): { header: string[]; rows: Record<string, Record<string, string>> } {
  const lines = README.split("\n");
  const start = lines.findIndex((l) => l.startsWith("| release (Trove) |"));
  const cells = (l: string) =>
    l
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
  const header = cells(lines[start]!);
  const rows: Record<string, Record<string, string>> = {};
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    const row = Object.fromEntries(header.map((h, i) => [h, cells(line)[i] ?? ""]));
    for (const [, release] of row["release (Trove)"]!.matchAll(/([a-z]+|\d{4}\.\d) \(\d+\)/g)) {
      rows[release!] = Object.fromEntries(
        Object.entries(row).map(([h, c]) => [
          h,
          c.replace(/^as ([a-z]+|\d{4}\.\d)\b/, (_m, other: string) => rows[other]?.[h] ?? `as ${other}`),
        ]),
      );
    }
  }
  return { header, rows };
}

describe("the README's release table", () => {
  const { header, rows } = releaseTable();

  it("has one row for every release the catalog knows, and the columns issue 25 adds", () => {
    expect(Object.keys(rows).sort()).toEqual(Object.keys(TROVE_RELEASES).sort());
    expect(header).toEqual(
      expect.arrayContaining([
        "backups reach Swift through",
        "MySQL backup images (`install.sh`)",
        "production image bakes the guest agent from",
        "rules files, beyond zed's",
        "evidence",
      ]),
    );
  });

  it("marks each row proved in CI or read from source as the catalog's evidence says", () => {
    for (const [release, row] of Object.entries(rows)) {
      expect(
        row.evidence!.startsWith(
          TROVE_RELEASES[release]!.evidence === "proved-in-ci" ? "proved in CI" : "read from source",
        ),
        release,
      ).toBe(true);
    }
  });

  it("says what the catalog says: the backup contract, install.sh's MySQL lines, and where a production image's guest agent comes from", () => {
    for (const [release, row] of Object.entries(rows)) {
      const r = TROVE_RELEASES[release]!;
      expect(row["backups reach Swift through"], release).toContain(`\`${r.backupImageContract}\``);
      expect(row["MySQL backup images (`install.sh`)"]!.startsWith(r.backupMysqlVersions.join(", ")), release).toBe(
        true,
      );
      expect(row["production image bakes the guest agent from"]!.includes("git HEAD"), release).toBe(
        r.trovestackBakesCheckoutHead,
      );
    }
  });
});
