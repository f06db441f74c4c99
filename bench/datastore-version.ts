// Registering datastore versions in the lab's Trove, in one run, three ways: Trove's REST API itself (a POST with a
// token already in hand: the floor), DatastoreVersion (the provider Pulumi serializes, loaded once as the
// dynamic-provider host loads it and driven through the engine's lifecycle by test/support/dynamic-engine.ts), and the
// runbook's `openstack datastore version create ... --image-tags ... --active`. Each with about 10 and about 200
// versions in Trove, one at a time and (the REST floor and ours) as many at once as Pulumi's default parallelism
// (4 x CPUs). Then a no-op run of our versions in a new provider process: Trove's write requests counted in its log,
// Keystone's token requests in its own. Everything it creates (a datastore, a Glance image, the versions) is deleted at
// the end. Needs the lab: `npm run lab:up` (started here if not).
//   npx tsx bench/datastore-version.ts [versions per measurement, default 50]

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { DynamicResourceRunner, loadDynamicProvider } from "../test/support/dynamic-engine";
import { ensureLab, Lab, troveWriteCount } from "../test/support/lab";
import { installMocks } from "../test/support/pulumi-mocks";
import { machineLine, median, writeBenchmarkSection } from "./support";

/** Pulumi's default number of resource operations at once: 4 x GOMAXPROCS (pkg/cmd/pulumi/operations/up.go). */
const PULUMI_PARALLEL = 4 * os.availableParallelism();

interface Raw {
  endpoint: string;
  token: string;
}

/** A token and Trove's endpoint with plain fetch (not our client, so our provider's token requests stay countable). */
async function rawSession(lab: Lab): Promise<Raw> {
  const { parse } = await import("yaml");
  const auth = (
    parse(readFileSync(lab.cloudsYaml, "utf8")) as { clouds: Record<string, { auth: Record<string, string> }> }
  ).clouds[lab.cloud]!.auth;
  const body = {
    auth: {
      identity: {
        methods: ["password"],
        password: {
          user: { name: auth.username, domain: { name: auth.user_domain_name ?? "Default" }, password: auth.password },
        },
      },
      scope: { project: { name: auth.project_name, domain: { name: auth.project_domain_name ?? "Default" } } },
    },
  };
  const r = await fetch(`${auth.auth_url!.replace(/\/+$/, "")}/auth/tokens`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const catalog = (
    (await r.json()) as {
      token: {
        project: { id: string };
        catalog: Array<{ type: string; endpoints: Array<{ interface: string; url: string }> }>;
      };
    }
  ).token;
  const url = catalog.catalog.find((s) => s.type === "database")!.endpoints.find((e) => e.interface === "public")!.url;
  return { endpoint: url.replace("%(tenant_id)s", catalog.project.id), token: r.headers.get("x-subject-token")! };
}

/** One request to Trove; a request refused by Trove's rate limit (413 with Retry-After, not handled) is sent again after the wait. */
async function rest(
  raw: Raw,
  method: string,
  apiPath: string,
  body?: unknown,
  expect?: number,
): Promise<{ status: number; json: unknown }> {
  let r: Response;
  let text: string;
  for (;;) {
    r = await fetch(`${raw.endpoint}${apiPath}`, {
      method,
      headers: { "X-Auth-Token": raw.token, "Content-Type": "application/json", Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    text = await r.text();
    if (r.status !== 413 || !r.headers.get("retry-after")) break;
    await new Promise((resolve) => setTimeout(resolve, Math.max(250, 1000 * Number(r.headers.get("retry-after")))));
  }
  if (expect !== undefined && r.status !== expect)
    throw new Error(`${method} ${apiPath}: HTTP ${r.status}: ${text.slice(0, 200)}`);
  return { status: r.status, json: text ? JSON.parse(text) : undefined };
}

/** Runs the tasks with at most `limit` at once; returns each task's duration in ms. */
async function pool(tasks: Array<() => Promise<unknown>>, limit: number): Promise<number[]> {
  const times: number[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        const t0 = performance.now();
        await tasks[i]!();
        times[i] = performance.now() - t0;
      }
    }),
  );
  return times;
}

/** Wall time of `run`, in ms. */
async function wall(run: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await run();
  return performance.now() - t0;
}

/** Requests Trove refused as over its rate limit (200 per minute, method and project, by default), from its log. */
function troveRateLimited(lab: Lab): number {
  return readFileSync(path.join(lab.dir, "log", "trove-api.log"), "utf8")
    .split("\n")
    .filter((line) => / HTTP\/1\.1" 413 /.test(line)).length;
}

/** Password authentications Keystone logged for this OpenStack global request id. */
function keystoneTokenRequests(lab: Lab, requestId: string): number {
  return readFileSync(path.join(lab.dir, "log", "keystone.log"), "utf8")
    .split("\n")
    .filter((line) => line.includes(`keystone.common.password_hashing [${requestId} `)).length;
}

interface Row {
  how: string;
  present: number;
  mode: string;
  median: number;
  perVersion: number;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 50);
  const lab = ensureLab();
  for (const k of Object.keys(process.env)) if (k.startsWith("OS_")) delete process.env[k];
  process.env.OS_CLIENT_CONFIG_FILE = lab.cloudsYaml;
  const run = String(Date.now() % 100_000);
  const datastore = `bench-${run}`;
  const tag = `b${run}`;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const raw = await rawSession(lab);
  const rateLimitedBefore = troveRateLimited(lab);
  const file = execFileSync(
    "bash",
    ["-c", `f=$(mktemp --suffix .qcow2) && qemu-img create -q -f qcow2 "$f" 16M && echo "$f"`],
    { encoding: "utf8" },
  ).trim();
  const imageId = lab
    .openstack([
      "image",
      "create",
      `bench-${run}`,
      "--disk-format",
      "qcow2",
      "--container-format",
      "bare",
      "--tag",
      "trove",
      "--tag",
      tag,
      "--file",
      file,
      "-f",
      "value",
      "-c",
      "id",
    ])
    .trim();
  const versionBody = (v: string) => ({
    version: {
      name: v,
      datastore_name: datastore,
      datastore_manager: "mysql",
      image_tags: ["trove", tag],
      active: true,
      default: false,
      version: v,
      packages: [],
    },
  });
  const inDatastore = async () =>
    (
      (await rest(raw, "GET", `/datastores/${datastore}/versions`)).json as
        { versions: Array<{ id: string; name: string; version: string }> } | undefined
    )?.versions ?? [];
  const heldByTrove = async () =>
    ((await rest(raw, "GET", "/mgmt/datastore-versions")).json as { versions: unknown[] }).versions.length;
  /** Deletes this run's versions whose name starts with the prefix. */
  const remove = async (prefix: string) => {
    for (const v of (await inDatastore()).filter((x) => x.name.startsWith(prefix)))
      await rest(raw, "DELETE", `/mgmt/datastore-versions/${v.id}`, undefined, 202);
  };

  // Our provider, as Pulumi stores it and as the host loads it: once per serialized text and process.
  const mocks = await installMocks();
  const { DatastoreVersion } = await import("../components/trove/datastore-version.js");
  const { BUILTIN_DATASTORES, DatastoreCatalog } = await import("../components/catalog/catalog.js");
  // A datastore of this run's own, so the lab's other users never see these versions.
  const catalog = new DatastoreCatalog([{ ...BUILTIN_DATASTORES.mysql!, name: datastore }]);
  const client = await import("../components/trove/trove-client.js");
  delete (globalThis as Record<string, unknown>)[client.CLIENT_STATE_PROPERTY];
  const requestId = client.runRequestId();
  let declared = 0;
  const declare = async (version: string) => {
    const name = `v${declared++}`;
    new DatastoreVersion(name, { datastore, version, imageTags: ["trove", tag], cloud: lab.cloud, catalog });
    return (await mocks.waitFor(name)).inputs;
  };
  const provider = loadDynamicProvider(String((await declare(`0.${run}`)).__provider));

  const rows: Row[] = [];
  let firstCreate = 0;
  let noop = { writes: -1, tokens: -1, changed: -1, medianMs: 0 };
  let duplicates = 0;
  let missing = 0;
  let fillers = 0;
  const presentCounts: number[] = [];
  const versions = (code: number) => Array.from({ length: count }, (_, i) => `${code}.${run}.${i}`);

  try {
    for (const [phase, target] of [10, 200].entries()) {
      // Fill Trove up to the target with versions in the datastore the creates go to (a per-datastore list would grow too).
      while ((await heldByTrove()) < target)
        await rest(raw, "POST", "/mgmt/datastore-versions", versionBody(`99.${run}.${fillers++}`), 202);
      const present = await heldByTrove();
      presentCounts.push(present);
      log(`${present} versions in Trove`);
      const code = (k: number) => 10 * (phase + 1) + k;

      // One at a time: a create of the floor (Trove's own, a token in hand), then one of ours, in turn, so that both see
      // the same load on this shared machine. Ours run as `pulumi up --parallel 1` would run them.
      const seqInputs = await Promise.all(versions(code(3)).map((v) => declare(v)));
      const seqRunners = seqInputs.map(() => new DynamicResourceRunner(provider));
      const floorSeq: number[] = [];
      const ours: number[] = [];
      for (const [i, v] of versions(code(1)).entries()) {
        floorSeq.push(await wall(() => rest(raw, "POST", "/mgmt/datastore-versions", versionBody(v), 202)));
        ours.push(await wall(() => seqRunners[i]!.up(seqInputs[i]!)));
      }
      await remove(`${code(1)}.`);
      if (phase === 0) firstCreate = ours[0]!;
      rows.push({
        how: "REST floor",
        present,
        mode: "1 at a time",
        median: median(floorSeq),
        perVersion: floorSeq.reduce((a, b) => a + b, 0) / count,
      });
      rows.push({
        how: "`DatastoreVersion`",
        present,
        mode: "1 at a time",
        median: median(ours),
        perVersion: ours.reduce((a, b) => a + b, 0) / count,
      });
      log(`floor ${median(floorSeq).toFixed(1)} ms, ours ${median(ours).toFixed(1)} ms`);

      if (phase === 0) {
        // A no-op run in a new provider process (a new `pulumi up`): every version "same", no write, no token. This
        // process's token is put back afterwards, so the measurements that follow are not charged a new one.
        const held = Object.getOwnPropertyDescriptor(globalThis, client.CLIENT_STATE_PROPERTY)!;
        delete (globalThis as Record<string, unknown>)[client.CLIENT_STATE_PROPERTY];
        const noopId = client.runRequestId();
        const writesBefore = troveWriteCount(lab);
        const steps: string[] = [];
        const times = await pool(
          seqRunners.map((r, i) => async () => steps.push(await r.up(seqInputs[i]!))),
          PULUMI_PARALLEL,
        );
        noop = {
          writes: troveWriteCount(lab) - writesBefore,
          tokens: keystoneTokenRequests(lab, noopId),
          changed: steps.filter((s) => s !== "same").length,
          medianMs: median(times),
        };
        Object.defineProperty(globalThis, client.CLIENT_STATE_PROPERTY, held);
      }
      await remove(`${code(3)}.`);

      // As many at once as Pulumi's default parallelism: the floor, then ours (all created, none twice).
      let floorPar: number[] = [];
      const floorParWall = await wall(
        async () =>
          (floorPar = await pool(
            versions(code(2)).map((v) => () => rest(raw, "POST", "/mgmt/datastore-versions", versionBody(v), 202)),
            PULUMI_PARALLEL,
          )),
      );
      await remove(`${code(2)}.`);
      rows.push({
        how: "REST floor",
        present,
        mode: `${PULUMI_PARALLEL} at once`,
        median: median(floorPar),
        perVersion: floorParWall / count,
      });
      const parInputs = await Promise.all(versions(code(4)).map((v) => declare(v)));
      let oursPar: number[] = [];
      const oursParWall = await wall(
        async () =>
          (oursPar = await pool(
            parInputs.map((inputs) => () => new DynamicResourceRunner(provider).up(inputs)),
            PULUMI_PARALLEL,
          )),
      );
      const listed = (await inDatastore()).filter((x) => x.name.startsWith(`${code(4)}.`)).map((x) => x.version);
      duplicates += listed.length - new Set(listed).size;
      missing += versions(code(4)).filter((v) => !listed.includes(v)).length;
      rows.push({
        how: "`DatastoreVersion`",
        present,
        mode: `${PULUMI_PARALLEL} at once`,
        median: median(oursPar),
        perVersion: oursParWall / count,
      });
      await remove(`${code(4)}.`);

      // The runbook's CLI, one process per version as an admin (or a script) runs it.
      const cli = await pool(
        versions(code(5)).map(
          (v) => async () =>
            lab.openstack([
              "datastore",
              "version",
              "create",
              v,
              datastore,
              "mysql",
              "",
              "--image-tags",
              `trove,${tag}`,
              "--active",
            ]),
        ),
        1,
      );
      rows.push({
        how: "`openstack datastore version create` (runbook)",
        present,
        mode: "1 at a time",
        median: median(cli),
        perVersion: cli.reduce((a, b) => a + b, 0) / count,
      });
      log(`cli ${median(cli).toFixed(0)} ms`);
      await remove(`${code(5)}.`);
    }
  } finally {
    await remove("");
    await rest(raw, "DELETE", `/datastores/${datastore}`);
    lab.openstack(["image", "delete", imageId]);
    lab.release();
  }

  const tokens = keystoneTokenRequests(lab, requestId);
  const rateLimited = troveRateLimited(lab) - rateLimitedBefore;
  const cell = (how: string, present: number, mode: string) =>
    rows.find((r) => r.how === how && r.present === present && r.mode === mode)!;
  const floor10 = cell("REST floor", presentCounts[0]!, "1 at a time").median;
  const ours10 = cell("`DatastoreVersion`", presentCounts[0]!, "1 at a time").median;
  const cli10 = cell("`openstack datastore version create` (runbook)", presentCounts[0]!, "1 at a time").median;
  const ours200 = cell("`DatastoreVersion`", presentCounts[1]!, "1 at a time").median;
  const floor200 = cell("REST floor", presentCounts[1]!, "1 at a time").median;
  const cli200 = cell("`openstack datastore version create` (runbook)", presentCounts[1]!, "1 at a time").median;
  const table = [
    "| how | versions in Trove | creates | median per create | wall time per version |",
    "|---|---:|---|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.how} | ${r.present} | ${count}, ${r.mode} | ${r.median.toFixed(1)} ms | ${r.perVersion.toFixed(1)} ms |`,
    ),
  ].join("\n");
  const body = `${machineLine()} \`npx tsx bench/datastore-version.ts\` against the lab (\`npm run lab:up\`: Debian 12 Keystone, Glance and Trove API on 127.0.0.1, SQLite, one trove-api worker), one run. The REST floor is Trove's own create, \`POST /mgmt/datastore-versions\` with a token already in hand; ours is the provider Pulumi serializes, loaded as the dynamic-provider host loads it and run through the engine's lifecycle; "${PULUMI_PARALLEL} at once" is Pulumi's default parallelism here (4 x CPUs). Trove held the number of versions shown at the start of each measurement (in all datastores: the lab is shared; the bench adds versions up to that number in the datastore the creates go to, and deletes each measurement's versions before the next). One at a time, a create of the floor and one of ours alternate, so both see the same load.

${table}

- Ours / REST floor, one at a time, per-create medians: **${(ours10 / floor10).toFixed(2)}x** with ${presentCounts[0]} versions in Trove, **${(ours200 / floor200).toFixed(2)}x** with ${presentCounts[1]}; CLI / ours: **${(cli10 / ours10).toFixed(0)}x** and **${(cli200 / ours200).toFixed(0)}x**.
- ${presentCounts[0]} vs ${presentCounts[1]} versions in Trove, ours: ${ours10.toFixed(1)} vs ${ours200.toFixed(1)} ms per create. A create is a lookup by datastore and name, the POST, and one lookup after it (Trove answers 202 with no body); no list of versions.
- Keystone token requests by our provider for all ${4 * count} creates: **${tokens}** (counted in keystone.log by the run's global request id); the first create, which fetched it, took ${firstCreate.toFixed(0)} ms. Before this change each create asked for a token and listed every version twice.
- ${PULUMI_PARALLEL} at once: ${2 * count - missing} of ${2 * count} versions created, ${duplicates} duplicates; at most 4 requests in flight to Trove (our client's bound per endpoint), which a single trove-api worker saturates at 2 to 4.
- Requests Trove refused as over its rate limit during the run (200 per minute, method and project; the lab is shared): ${rateLimited}. Our client and this script send them again after the Retry-After Trove names.
- No-op run of the ${count} versions in a new provider process: **${noop.writes} write requests** in Trove's log, **${noop.tokens} token requests** in Keystone's, ${noop.changed} resources changed, ${noop.medianMs.toFixed(2)} ms median per resource (the diff only).`;
  writeBenchmarkSection("Registering datastore versions", body);
  console.log(body);
  if (noop.writes !== 0 || noop.tokens !== 0 || noop.changed !== 0 || duplicates !== 0 || missing !== 0)
    process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
