// Runs the test files in lanes side by side, each lane one vitest process whose files run one after the other.
// Lanes are split by what the files share: the Trove versions of the labs (lane "trove": those files create and
// delete versions of the same datastores), the registries, Docker engines and Glance images of the image steps (lane
// "images": fixed registry ports, the lab's Docker engine), and everything else (lane "unit": mocks and Pulumi's
// runner in preview, no service written to). Most of a real-service test's time is spent waiting on a service, so
// three lanes on two cores roughly halve the wall time. Prints each lane's output when it ends, then the totals, and
// fails if any lane failed, any test was skipped under CI=true, or a test file is in no lane.
//
// Usage: tsx scripts/test/lanes.ts [--lane <name>]...   (npm test runs all of them)

import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..", "..");
const integration = (names: string[]) => names.map((n) => `test/integration/${n}.test.ts`);

/** Lane name -> its files, in the order they run. Files touching the same service's state share a lane. */
export const LANES: Record<string, string[] | null> = {
  trove: integration(["day-two", "lab-stack", "configuration-parameters", "datastore-version", "devstack-lab-stack", "production-lab-stack"]),
  images: integration(["glance-rotation", "trove-config", "datastore-images", "local-registry", "image-fetch", "guest-image-build", "remote-command"]),
  unit: null, // every other test file, with file parallelism (they share nothing)
};

function allTestFiles(dir = "test"): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return rel === "test/support" || rel === "test/fixtures" ? [] : allTestFiles(rel);
    return e.name.endsWith(".test.ts") ? [rel] : [];
  });
}

function filesOf(lane: string): string[] {
  const own = LANES[lane];
  if (own) return own;
  const taken = new Set(Object.values(LANES).flatMap((f) => f ?? []));
  return allTestFiles().filter((f) => !taken.has(f)).sort();
}

interface Totals {
  passed: number;
  failed: number;
  skipped: number;
  files: number;
}

interface LaneResult {
  lane: string;
  files: string[];
  code: number | null;
  output: string;
  totals?: Totals;
  seconds: number;
}

function runLane(lane: string, outDir: string): Promise<LaneResult> {
  const files = filesOf(lane);
  const report = path.join(outDir, `${lane}.json`);
  const args = ["vitest", "run", ...files, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`];
  if (LANES[lane] === null) args.push("--fileParallelism", "--maxWorkers=2");
  const started = Date.now();
  return new Promise<LaneResult>((resolve) => {
    const child = spawn("npx", args, { cwd: root, env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? "0" }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("close", (code) => {
      let totals: Totals | undefined;
      try {
        const r = JSON.parse(readFileSync(report, "utf8")) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number; testResults: unknown[] };
        totals = { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests, files: r.testResults.length };
      } catch {
        totals = undefined;
      }
      resolve({ lane, files, code, output, totals, seconds: Math.round((Date.now() - started) / 1000) });
    });
  });
}

const asked = process.argv.flatMap((a, i, all) => (all[i - 1] === "--lane" ? [a] : []));
for (const l of asked) if (!(l in LANES)) throw new Error(`--lane ${l}: not one of ${Object.keys(LANES).join(", ")}`);
const lanes = asked.length > 0 ? asked : Object.keys(LANES);

// Every test file belongs to exactly one lane (a file left out would silently not run).
const missing = Object.values(LANES).flatMap((f) => f ?? []).filter((f) => !allTestFiles().includes(f));
if (missing.length > 0) throw new Error(`lanes.ts names test files that do not exist: ${missing.join(", ")}`);

const outDir = mkdtempSync(path.join(tmpdir(), "pulumi-trove-lanes-"));
const started = Date.now();
void main();

async function main(): Promise<void> {
  const results = await Promise.all(lanes.map((l) => runLane(l, outDir)));
  rmSync(outDir, { recursive: true, force: true });

  let failed = false;
  for (const r of results) {
    console.log(`\n===== lane ${r.lane} (${r.files.length} files, ${r.seconds} s, exit ${r.code}) =====`);
    console.log(r.output);
    if (r.code !== 0 || !r.totals) failed = true;
  }
  const sum = (k: keyof Totals) => results.reduce((n, r) => n + (r.totals?.[k] ?? 0), 0);
  console.log(`lanes: ${results.map((r) => `${r.lane} ${r.seconds} s`).join(", ")}; wall ${Math.round((Date.now() - started) / 1000)} s`);
  console.log(`tests: ${sum("passed")} passed, ${sum("failed")} failed, ${sum("skipped")} skipped, in ${sum("files")} files`);
  if (process.env.CI === "true" && sum("skipped") > 0) {
    console.log("lanes: tests were skipped under CI=true, where every test must run");
    failed = true;
  }
  process.exit(failed ? 1 : 0);
}
