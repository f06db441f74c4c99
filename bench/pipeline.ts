// How long the program takes to declare a pipeline of 1, 10 and 100 datastore versions under Pulumi mocks, and its
// peak memory. Each size runs in fresh processes (3 runs, median), so memory figures do not leak between sizes.
// `--against <revision or checkout>` also times 100 versions in another version of this repository (a revision is
// extracted with git archive into a temporary directory), alternating with this one, 5 runs each: on a shared
// machine only a ratio measured in one sitting means much.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { machineLine, median, writeBenchmarkSection } from "./support";

interface Run {
  n: number;
  elapsedMs: number;
  resources: number;
  maxRssMiB: number;
}

function runOnce(n: number, checkout = path.join(__dirname, "..")): Run {
  const out = execFileSync(
    process.execPath,
    ["--import", "tsx", path.join(checkout, "bench", "pipeline-declare.ts"), String(n)],
    { encoding: "utf8", cwd: checkout },
  );
  return JSON.parse(out.trim().split("\n").pop()!) as Run;
}

/** Ours and another version's median time for `n` versions, runs alternating. */
function compare(against: string, n: number, runs: number): { ours: number; theirs: number; commit: string } {
  const repo = path.join(__dirname, "..");
  const isCheckout = existsSync(against);
  const commit = execFileSync(
    "git",
    ["-C", isCheckout ? against : repo, "log", "-1", "--format=%h", ...(isCheckout ? [] : [against])],
    { encoding: "utf8" },
  ).trim();
  const checkout = isCheckout ? path.resolve(against) : mkdtempSync(path.join(tmpdir(), "bench-against-"));
  try {
    if (!isCheckout) {
      execFileSync("bash", ["-c", 'git -C "$1" archive "$2" | tar -x -C "$3"', "-", repo, commit, checkout]);
      symlinkSync(path.join(repo, "node_modules"), path.join(checkout, "node_modules"));
    }
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < runs; i++) {
      ours.push(runOnce(n).elapsedMs);
      theirs.push(runOnce(n, checkout).elapsedMs);
    }
    return { ours: median(ours), theirs: median(theirs), commit };
  } finally {
    if (!isCheckout) {
      // The node_modules link first, by itself, so that nothing can follow it into the real node_modules.
      if (existsSync(path.join(checkout, "node_modules"))) unlinkSync(path.join(checkout, "node_modules"));
      rmSync(checkout, { recursive: true, force: true });
    }
  }
}

const againstAt = process.argv.indexOf("--against");
const against = againstAt > 0 ? process.argv[againstAt + 1] : undefined;

const sizes = [1, 10, 100];
const rows = sizes.map((n) => {
  const runs = [runOnce(n), runOnce(n), runOnce(n)];
  return {
    n,
    ms: median(runs.map((r) => r.elapsedMs)),
    resources: runs[0]!.resources,
    rss: median(runs.map((r) => r.maxRssMiB)),
  };
});
const base = rows[0]!;
const table = [
  "| versions | resources declared | declare time (median of 3) | ms per version beyond 1 | peak RSS |",
  "|---:|---:|---:|---:|---:|",
  ...rows.map(
    (r) =>
      `| ${r.n} | ${r.resources} | ${r.ms.toFixed(0)} ms | ${r.n === 1 ? "-" : ((r.ms - base.ms) / (r.n - 1)).toFixed(2)} | ${r.rss.toFixed(0)} MiB |`,
  ),
].join("\n");
const pair = against ? compare(against, 100, 5) : undefined;
const comparison = pair
  ? `\n\nAgainst commit ${pair.commit} (\`--against\`, 100 versions, 5 runs each, alternating): ${pair.ours.toFixed(0)} ms here, ${pair.theirs.toFixed(0)} ms there (medians), a ratio of **${(pair.ours / pair.theirs).toFixed(2)}**.`
  : "";
writeBenchmarkSection(
  "Declaring a pipeline under mocks",
  `${machineLine()} \`npx tsx bench/pipeline.ts\`: a \`TroveGuestPipeline\` of N datastore versions (mysql, mariadb and postgresql in turn), declared under \`pulumi.runtime.setMocks\` in a fresh Node process per run; time from construction until the last resource reached the mocks.\n\n${table}\n\nLinear growth shows as a flat "ms per version" column; the fixed part (the registry and guest image build, and serializing the \`DatastoreVersion\` provider once, 0.4 to 0.5 s of it) is the 1-version row. Where the time per version goes (\`node --cpu-prof --import tsx bench/pipeline-declare.ts 100\`): mostly stack traces the SDK captures for four promises per top-level property of each resource; per version, \`DatastoreImages\` declares one \`command:local:Command\` (as a \`LeanLocalCommand\`, 7 properties; 0.15 s per 100 versions in a CPU profile) and the pipeline one \`DatastoreVersion\` (9 properties; 0.2 s per 100).${comparison}`,
);
console.log(table);
if (pair)
  console.log(
    `against ${pair.commit}: ${pair.ours.toFixed(0)} ms vs ${pair.theirs.toFixed(0)} ms, ratio ${(pair.ours / pair.theirs).toFixed(2)}`,
  );
