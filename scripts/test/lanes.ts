// Runs the test files in lanes side by side, each lane one or more vitest processes in turn, whose files run one after
// the other. Lanes are split by what the files share. The files that write Trove versions get one lane per Trove
// release (their versions, parameters and Trove outages stay inside that release's lab, so the releases run side by
// side; TROVE_LAB_RELEASES names the lane's one release); the stacks applied to the zed lab come after the zed lane's
// other files, and the production shape, whose second region is the 2025.1 lab, waits for the 2025.1 lane too. The
// image steps share fixed registry ports and the zed lab's Docker engine (lane "images"); the Glance rotation has
// images and tags of its own (lane "glance"); everything else (lane "unit": mocks and Pulumi's runner in preview, no
// service written to) runs file-parallel. The lanes off the critical path run under nice (NICENESS). Prints each
// lane's output when it ends, then the failed tests again, each lane's wall and CPU time (a cgroup per step), the
// totals, and fails if any lane failed, any test was skipped under CI=true, or a test file is in no lane.
//
// Usage: tsx scripts/test/lanes.ts [--lane <name>]...   (npm test runs all of them; a lane alone does not wait)

import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..", "..");
const integration = (names: string[]) => names.map((n) => `test/integration/${n}.test.ts`);

/** One vitest process of a lane: its files in order, the releases they prove, and the lanes to wait for first. */
interface Step {
  files: string[];
  /** TROVE_LAB_RELEASES for the step (else the caller's). */
  releases?: string;
  /** Lanes that must have ended before the step starts (they write to the same labs). */
  after?: string[];
}

/** Files that write Trove versions into the lab of each release they prove. */
const PER_RELEASE = integration(["day-two", "configuration-parameters", "datastore-version"]);
/** Stacks applied to the zed lab, with the versions day-two also uses there. */
const ZED_STACKS = integration(["lab-stack", "devstack-lab-stack"]);
/** The production shape: its regions are the zed lab and the 2025.1 lab, with the versions day-two uses there too. */
const TWO_REGION_STACKS = integration(["production-lab-stack"]);

/** Lane name -> its steps, in the order they run; `null`: every test file no lane names, file-parallel. */
export const LANES: Record<string, Step[] | null> = {
  "trove-zed": [
    { files: [...PER_RELEASE, ...ZED_STACKS], releases: "zed" },
    { files: TWO_REGION_STACKS, releases: "zed,2025.1", after: ["trove-2025.1"] },
  ],
  "trove-2025.1": [{ files: PER_RELEASE, releases: "2025.1" }],
  "trove-2026.2": [{ files: PER_RELEASE, releases: "2026.2" }],
  images: [
    {
      files: integration([
        "trove-config",
        "datastore-images",
        "local-registry",
        "image-fetch",
        "guest-image-build",
        "remote-command",
        "version-retirement-ssh",
      ]),
    },
  ],
  // Glance images of its own (own names and tags) and the versions that pin them: nothing the other lanes read.
  glance: [{ files: integration(["glance-rotation"]) }],
  unit: null, // every other test file, with file parallelism (they share nothing)
};

/**
 * How much a lane yields the CPU (nice), by lane; unnamed lanes 0. The two cores are the bottleneck: the lane that
 * ends last (the zed lab's, whose stacks come after its per-release files, and the 2025.1 lane it waits for) keeps
 * full priority, the others give way, so that all end closer together instead of the zed lane finishing alone.
 */
export const NICENESS: Record<string, number> = { "trove-2026.2": 2, images: 3, glance: 3, unit: 4 };

function allTestFiles(dir = "test"): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return rel === "test/support" || rel === "test/fixtures" ? [] : allTestFiles(rel);
    return e.name.endsWith(".test.ts") ? [rel] : [];
  });
}

/** The files no lane names: the unit lane's. */
function unclaimedFiles(): string[] {
  const taken = new Set(Object.values(LANES).flatMap((steps) => (steps ?? []).flatMap((step) => step.files)));
  return allTestFiles()
    .filter((f) => !taken.has(f))
    .sort();
}

function stepsOf(lane: string): Step[] {
  return LANES[lane] ?? [{ files: unclaimedFiles() }];
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
  /** Each failed test: its file, full name and the start of its failure message. */
  failures: string[];
  /** CPU seconds its processes used (undefined: not measured, no writable CPU-accounting cgroup). */
  cpu?: number;
  seconds: number;
}

/**
 * A CPU-accounting cgroup for one step, so that every process it starts (also those that outlive vitest, such as SSH
 * masters) is counted: cgroup v1's cpuacct, or v2's root; undefined where neither can be written (then not measured).
 */
function stepCgroup(name: string): { procs: string; seconds(): number; remove(): void } | undefined {
  const v1 = "/sys/fs/cgroup/cpuacct";
  const v2 = "/sys/fs/cgroup";
  const base = existsSync(path.join(v1, "cpuacct.usage"))
    ? v1
    : existsSync(path.join(v2, "cgroup.controllers"))
      ? v2
      : undefined;
  if (!base) return undefined;
  const dir = path.join(base, `pulumi-trove-lanes-${process.pid}-${name}`);
  try {
    mkdirSync(dir);
  } catch {
    return undefined;
  }
  const procs = path.join(dir, base === v1 ? "tasks" : "cgroup.procs");
  return {
    procs,
    seconds: () =>
      base === v1
        ? Number(readFileSync(path.join(dir, "cpuacct.usage"), "utf8")) / 1e9
        : Number(/usage_usec (\d+)/.exec(readFileSync(path.join(dir, "cpu.stat"), "utf8"))?.[1] ?? 0) / 1e6,
    remove: () => {
      // What still runs in it (a daemon a test left, which the test's own cleanup stops) moves to the parent.
      for (const pid of readFileSync(procs, "utf8").split("\n").filter(Boolean)) {
        try {
          writeFileSync(path.join(base, base === v1 ? "tasks" : "cgroup.procs"), pid);
        } catch {
          // gone meanwhile
        }
      }
      try {
        rmdirSync(dir);
      } catch {
        // left for the machine's next boot; harmless
      }
    },
  };
}

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: Array<{
    name: string;
    message?: string;
    assertionResults: Array<{ status: string; fullName: string; failureMessages?: string[] }>;
  }>;
}

/** The failed tests of a vitest JSON report, each as a few lines that name it and say why (a file that failed to load too). */
function failuresOf(report: VitestReport): string[] {
  const excerpt = (text: string) =>
    text
      .split("\n")
      .filter((l) => !l.includes("node_modules"))
      .slice(0, 12)
      .map((l) => `    ${l}`)
      .join("\n");
  return report.testResults.flatMap((file) => {
    const rel = path.relative(root, file.name);
    const tests = file.assertionResults
      .filter((a) => a.status === "failed")
      .map((a) => `  ${rel} > ${a.fullName}\n${excerpt(a.failureMessages?.[0] ?? "(no message)")}`);
    return tests.length === 0 && file.message ? [`  ${rel}\n${excerpt(file.message)}`] : tests;
  });
}

/** One vitest process for a step; its exit code, output and totals (from vitest's JSON report). */
function runStep(
  lane: string,
  index: number,
  step: Step,
  outDir: string,
): Promise<Omit<LaneResult, "lane" | "seconds">> {
  const report = path.join(outDir, `${lane}-${index}.json`);
  const args = ["vitest", "run", ...step.files, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`];
  if (LANES[lane] === null) args.push("--fileParallelism", "--maxWorkers=2");
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? "0" };
  if (step.releases) env.TROVE_LAB_RELEASES = step.releases;
  return new Promise((resolve) => {
    // Through bash, which enters the step's accounting cgroup (its CPU, every process it starts included) and runs
    // vitest under `nice` for the lanes that yield to the critical path.
    const cgroup = stepCgroup(`${lane}-${index}`);
    const enter = 'if [ -n "$1" ]; then echo $$ > "$1"; fi; shift; exec "$@"';
    const child = spawn(
      "bash",
      ["-c", enter, "bash", cgroup?.procs ?? "", "nice", "-n", String(NICENESS[lane] ?? 0), "npx", ...args],
      { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("close", (code) => {
      let totals: Totals | undefined;
      let failures: string[] = [];
      try {
        const r = JSON.parse(readFileSync(report, "utf8")) as VitestReport;
        totals = {
          passed: r.numPassedTests,
          failed: r.numFailedTests,
          skipped: r.numPendingTests + r.numTodoTests,
          files: r.testResults.length,
        };
        failures = failuresOf(r);
      } catch {
        totals = undefined;
      }
      const cpu = cgroup ? cgroup.seconds() : undefined;
      cgroup?.remove();
      resolve({ files: step.files, code, output, totals, failures, cpu });
    });
  });
}

const asked = process.argv.flatMap((a, i, all) => (all[i - 1] === "--lane" ? [a] : []));
for (const l of asked) if (!(l in LANES)) throw new Error(`--lane ${l}: not one of ${Object.keys(LANES).join(", ")}`);
const lanes = asked.length > 0 ? asked : Object.keys(LANES);

// Every test file runs in some lane (a file left out would silently not run; the per-release files run once in each
// release's lane), none twice in one step, and a lane waits only for other lanes that exist.
const named = Object.values(LANES).flatMap((steps) => (steps ?? []).flatMap((step) => step.files));
const missing = named.filter((f) => !allTestFiles().includes(f));
if (missing.length > 0) throw new Error(`lanes.ts names test files that do not exist: ${missing.join(", ")}`);
for (const [lane, steps] of Object.entries(LANES)) {
  for (const step of steps ?? []) {
    const twice = step.files.filter((f, i) => step.files.indexOf(f) !== i);
    if (twice.length > 0) throw new Error(`lanes.ts: lane ${lane} names ${twice.join(", ")} twice in one step`);
    for (const other of step.after ?? [])
      if (!(other in LANES) || other === lane)
        throw new Error(`lanes.ts: lane ${lane} waits for ${other}, which is not another lane`);
  }
}

const outDir = mkdtempSync(path.join(tmpdir(), "pulumi-trove-lanes-"));
const started = Date.now();
const ended = new Map<string, Promise<LaneResult>>();
void main();

/** A lane's steps in order, each started once the lanes it waits for have ended (those not run here are not waited for). */
async function runLane(lane: string): Promise<LaneResult> {
  const laneStarted = Date.now();
  const parts: Array<Omit<LaneResult, "lane" | "seconds">> = [];
  for (const [index, step] of stepsOf(lane).entries()) {
    await Promise.all((step.after ?? []).map((other) => ended.get(other)));
    parts.push(await runStep(lane, index, step, outDir));
  }
  const totals = parts.every((p) => p.totals)
    ? parts.reduce<Totals>(
        (t, p) => ({
          passed: t.passed + p.totals!.passed,
          failed: t.failed + p.totals!.failed,
          skipped: t.skipped + p.totals!.skipped,
          files: t.files + p.totals!.files,
        }),
        { passed: 0, failed: 0, skipped: 0, files: 0 },
      )
    : undefined;
  return {
    lane,
    files: parts.flatMap((p) => p.files),
    code: parts.find((p) => p.code !== 0)?.code ?? 0,
    output: parts.map((p) => p.output).join("\n"),
    totals,
    failures: parts.flatMap((p) => p.failures),
    cpu: parts.every((p) => p.cpu !== undefined) ? Math.round(parts.reduce((t, p) => t + p.cpu!, 0)) : undefined,
    seconds: Math.round((Date.now() - laneStarted) / 1000),
  };
}

async function main(): Promise<void> {
  for (const lane of lanes) ended.set(lane, runLane(lane));
  const results = await Promise.all(lanes.map((l) => ended.get(l)!));
  rmSync(outDir, { recursive: true, force: true });

  let failed = false;
  for (const r of results) {
    console.log(`\n===== lane ${r.lane} (${r.files.length} files, ${r.seconds} s, exit ${r.code}) =====`);
    console.log(r.output);
    if (r.code !== 0 || !r.totals) failed = true;
  }
  // The failures again, last, where a reader of the run's tail (CI shows only that) sees them.
  const failures = results.flatMap((r) => r.failures.map((f) => `[${r.lane}]${f}`));
  if (failures.length > 0) console.log(`\nfailed tests:\n${failures.join("\n")}\n`);
  const sum = (k: keyof Totals) => results.reduce((n, r) => n + (r.totals?.[k] ?? 0), 0);
  console.log(
    `lanes: ${results.map((r) => `${r.lane} ${r.seconds} s`).join(", ")}; wall ${Math.round((Date.now() - started) / 1000)} s`,
  );
  // The CPU the lanes' own processes used (the labs' services, started before, are not counted): with two cores, the
  // wall time cannot go below half the sum.
  if (results.every((r) => r.cpu !== undefined))
    console.log(
      `cpu: ${results.map((r) => `${r.lane} ${r.cpu} s`).join(", ")}; sum ${results.reduce((t, r) => t + r.cpu!, 0)} s`,
    );
  else console.log("cpu: not measured (no writable CPU-accounting cgroup)");
  console.log(
    `tests: ${sum("passed")} passed, ${sum("failed")} failed, ${sum("skipped")} skipped, in ${sum("files")} files`,
  );
  if (process.env.CI === "true" && sum("skipped") > 0) {
    console.log("lanes: tests were skipped under CI=true, where every test must run");
    failed = true;
  }
  process.exit(failed ? 1 : 0);
}
