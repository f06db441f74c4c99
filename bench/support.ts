// Shared by the benchmarks in bench/: each writes its figures into its own `## <title>` section of BENCHMARKS.md,
// replacing that section only, so the benchmarks can run one at a time in any order.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const BENCHMARKS = path.join(__dirname, "..", "BENCHMARKS.md");
const HEADER =
  "# Benchmarks\n\nFigures written by the scripts in `bench/` (`npm run bench`, or `npx tsx bench/<name>.ts`). Machines here are shared and noisy: read ratios and medians, not absolute times.\n";

/** Replaces (or appends) the `## <title>` section of BENCHMARKS.md with `body`. */
export function writeBenchmarkSection(title: string, body: string): void {
  const current = existsSync(BENCHMARKS) ? readFileSync(BENCHMARKS, "utf8") : HEADER;
  const heading = `## ${title}\n`;
  const section = `${heading}\n${body.trim()}\n`;
  const start = current.indexOf(heading);
  let next: string;
  if (start < 0) {
    next = `${current.trimEnd()}\n\n${section}`;
  } else {
    const after = current.indexOf("\n## ", start + heading.length);
    next = current.slice(0, start) + section + (after < 0 ? "" : current.slice(after));
  }
  writeFileSync(BENCHMARKS, next.endsWith("\n") ? next : `${next}\n`);
}

/** The median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Milliseconds with one decimal. */
export function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

/** One line describing the machine the figures come from. */
export function machineLine(): string {
  return `Measured on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB.`;
}
