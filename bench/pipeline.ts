// How long the program takes to declare a pipeline of 1, 10 and 100 datastore versions under Pulumi mocks, and its
// peak memory. Each size runs in fresh processes (3 runs, median), so memory figures do not leak between sizes.

import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { machineLine, median, writeBenchmarkSection } from "./support";

interface Run {
  n: number;
  elapsedMs: number;
  resources: number;
  maxRssMiB: number;
}

function runOnce(n: number): Run {
  const out = execFileSync(process.execPath, ["--import", "tsx", path.join(__dirname, "pipeline-declare.ts"), String(n)], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop()!) as Run;
}

const sizes = [1, 10, 100];
const rows = sizes.map((n) => {
  const runs = [runOnce(n), runOnce(n), runOnce(n)];
  return { n, ms: median(runs.map((r) => r.elapsedMs)), resources: runs[0]!.resources, rss: median(runs.map((r) => r.maxRssMiB)) };
});
const base = rows[0]!;
const table = [
  "| versions | resources declared | declare time (median of 3) | ms per version beyond 1 | peak RSS |",
  "|---:|---:|---:|---:|---:|",
  ...rows.map((r) => `| ${r.n} | ${r.resources} | ${r.ms.toFixed(0)} ms | ${r.n === 1 ? "-" : ((r.ms - base.ms) / (r.n - 1)).toFixed(2)} | ${r.rss.toFixed(0)} MiB |`),
].join("\n");
writeBenchmarkSection(
  "Declaring a pipeline under mocks",
  `${machineLine()} \`npx tsx bench/pipeline.ts\`: a \`TroveGuestPipeline\` of N datastore versions (mysql, mariadb and postgresql in turn), declared under \`pulumi.runtime.setMocks\` in a fresh Node process per run; time from construction until the last resource reached the mocks.\n\n${table}\n\nLinear growth shows as a flat "ms per version" column; the fixed part (module loading, the guest image build) is the 1-version row.`,
);
console.log(table);
