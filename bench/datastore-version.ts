// Registering 50 datastore versions in the lab's Trove, in one run: through DatastoreVersion (the provider Pulumi
// serializes, driven through the engine's lifecycle by test/support/dynamic-engine.ts) and through the runbook's
// `openstack datastore version create ... --image-tags trove,mysql --active`. Then a no-op run of the 50 through our
// resource, with Trove's write requests counted from its own log. Needs the lab: `npm run lab:up` (started here if not).
//   npx tsx bench/datastore-version.ts [count]

import { execFileSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { loadCredentials, openTroveSession, trove } from "../components/trove-client";
import { DynamicResourceRunner } from "../test/support/dynamic-engine";
import { ensureLab, troveWriteCount } from "../test/support/lab";
import { installMocks } from "../test/support/pulumi-mocks";
import { machineLine, median, writeBenchmarkSection } from "./support";

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 50);
  const lab = ensureLab();
  for (const k of Object.keys(process.env)) if (k.startsWith("OS_")) delete process.env[k];
  process.env.OS_CLIENT_CONFIG_FILE = lab.cloudsYaml;
  const run = String(Date.now() % 100_000);
  const image = execFileSync("bash", ["-c", `f=$(mktemp --suffix .qcow2) && qemu-img create -q -f qcow2 "$f" 16M && echo "$f"`], { encoding: "utf8" }).trim();
  const imageId = lab.openstack(["image", "create", `bench-${run}`, "--disk-format", "qcow2", "--container-format", "bare", "--tag", "trove", "--tag", "mysql", "--file", image, "-f", "value", "-c", "id"]).trim();

  // Ours: one declaration per version, run as `pulumi up` would create it.
  const mocks = await installMocks();
  const { DatastoreVersion } = await import("../components/datastore-version.js");
  const runners: Array<{ runner: DynamicResourceRunner; inputs: Record<string, unknown> }> = [];
  for (let i = 0; i < count; i++) {
    new DatastoreVersion(`bench-${i}`, { datastore: "mysql", version: `7.${run}.${i}`, cloud: "trove-lab" });
    const { inputs } = await mocks.waitFor(`bench-${i}`);
    runners.push({ runner: DynamicResourceRunner.fromDeclaration(inputs), inputs });
  }
  const ours: number[] = [];
  for (const { runner, inputs } of runners) {
    const t0 = performance.now();
    await runner.up(inputs);
    ours.push(performance.now() - t0);
  }

  // The runbook's CLI, one process per version as an admin (or a script) runs it.
  const cli: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    lab.openstack(["datastore", "version", "create", `6.${run}.${i}`, "mysql", "mysql", "", "--image-tags", "trove,mysql", "--active"]);
    cli.push(performance.now() - t0);
  }

  // A no-op run: same inputs again, after a refresh; Trove must log no write.
  const writesBefore = troveWriteCount(lab);
  const noop: number[] = [];
  let changed = 0;
  for (const { runner, inputs } of runners) {
    const t0 = performance.now();
    if ((await runner.up(inputs)) !== "same") changed++;
    noop.push(performance.now() - t0);
  }
  for (const { runner } of runners) await runner.refresh();
  for (const { runner, inputs } of runners) if ((await runner.up(inputs)) !== "same") changed++;
  const noopWrites = troveWriteCount(lab) - writesBefore;

  // Clean up through the API (the CLI would take minutes).
  const session = await openTroveSession(loadCredentials(process.env, "trove-lab"));
  for (const { runner } of runners) await runner.destroy();
  const { versions } = (await trove(session, "GET", "/mgmt/datastore-versions")) as { versions: Array<{ id: string; name: string }> };
  for (const v of versions.filter((x) => x.name.startsWith(`6.${run}.`))) await trove(session, "DELETE", `/mgmt/datastore-versions/${v.id}`);
  lab.openstack(["image", "delete", imageId]);
  lab.release();

  const mOurs = median(ours);
  const mCli = median(cli);
  const table = [
    "| how | versions | median per version | total |",
    "|---|---:|---:|---:|",
    `| \`DatastoreVersion\` (create through the engine lifecycle) | ${count} | ${mOurs.toFixed(0)} ms | ${(ours.reduce((a, b) => a + b, 0) / 1000).toFixed(1)} s |`,
    `| \`openstack datastore version create\` (runbook) | ${count} | ${mCli.toFixed(0)} ms | ${(cli.reduce((a, b) => a + b, 0) / 1000).toFixed(1)} s |`,
    `| no-op run of \`DatastoreVersion\` (diff only) | ${count} | ${median(noop).toFixed(2)} ms | ${(noop.reduce((a, b) => a + b, 0) / 1000).toFixed(2)} s |`,
  ].join("\n");
  const body = `${machineLine()} \`npx tsx bench/datastore-version.ts\` against the lab (\`npm run lab:up\`: Debian 12 Keystone, Glance and Trove API on 127.0.0.1, SQLite), one run, the two methods one after the other.

${table}

Ratio CLI / ours, per-version medians: **${(mCli / mOurs).toFixed(1)}x**. Each of our creates authenticates (one Keystone token per operation, as the dynamic provider runs each operation on its own), lists the versions, posts, and lists again; most of the CLI's time is its own start-up (about 2 s, see ../shared/reference/openstack-lab-notes.md).

No-op run (the ${count} versions again, then \`refresh\` and again): **${noopWrites} write requests** (POST/PUT/PATCH/DELETE) in Trove's API log, ${changed} resources changed.`;
  writeBenchmarkSection("Registering datastore versions", body);
  console.log(body);
  if (noopWrites !== 0 || changed !== 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
