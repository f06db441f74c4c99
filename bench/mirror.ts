// Mirroring a 200 MB image into the Trove registry, in one run: with the publish script DatastoreImages declares,
// its mirror step alone (skopeo, registry to registry, digest kept), and with the runbook's `docker pull` / `docker tag` / `docker push`
// through the lab's Docker engine. The upstream is the lab's registry on 127.0.0.1:5001 (`npm run lab:up`, started
// here if not running); each method gets a fresh target registry per run. Figures: wall time (median of 3), bytes
// written into the target's storage, bytes the engine stored locally, whether the digest survived, and the ratio.
//   npx tsx bench/mirror.ts [megabytes]

import { execFileSync, spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { mirrorEnvironment, parsePublishResult, PUBLISH_SCRIPT } from "../components/registry/datastore-images";
import { pushStandIn } from "../scripts/lab/stand-in-images";
import { DOCKER_CLIENT } from "../test/support/docker-engine";
import { ensureLab } from "../test/support/lab";
import { startRegistry, TestRegistry } from "../test/support/registry";
import { machineLine, median, writeBenchmarkSection } from "./support";

const MB = 2 ** 20;

function du(dir: string): number {
  return Number(execFileSync("du", ["-sb", dir], { encoding: "utf8" }).split("\t")[0]);
}

function digestOf(ref: string): string {
  return execFileSync("skopeo", ["inspect", "--tls-verify=false", "--format", "{{.Digest}}", `docker://${ref}`], {
    encoding: "utf8",
  }).trim();
}

async function main(): Promise<void> {
  const size = Number(process.argv[2] ?? 200);
  const lab = ensureLab();
  const docker = (args: string[]) =>
    execFileSync(DOCKER_CLIENT, args, {
      env: { ...process.env, DOCKER_HOST: lab.dockerHost },
      encoding: "utf8",
      maxBuffer: 64 * MB,
    }).trim();
  const source = `127.0.0.1:5001/bench-big:${size}mb`;
  const upstreamDigest = pushStandIn("127.0.0.1:5001", "bench-big", `${size}mb`, size * MB);
  const dockerRoot = `${lab.dir}/docker/root`;

  interface Run {
    ms: number;
    targetBytes: number;
    digestKept: boolean;
    engineBytes: number;
  }
  const ours: Run[] = [];
  const viaDocker: Run[] = [];
  let second: { ms: number; targetBytes: number; copied: boolean } | undefined;
  for (let i = 0; i < 3; i++) {
    // Ours: the script DatastoreImages declares, run as @pulumi/command runs it.
    let target: TestRegistry = await startRegistry(15060 + i);
    const destination = `${target.address}/trove-datastores/bench:${size}`;
    // A version's publish command without backup images (buildBackupImages: false): the mirror alone.
    const script = PUBLISH_SCRIPT;
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/root",
      REGISTRY_ADDRESS: target.address,
      REGISTRY_INSECURE: "true",
    };
    let t0 = performance.now();
    const vars = { ...env, ...mirrorEnvironment(source, destination, true) };
    let r = spawnSync("/bin/bash", ["-c", script], { env: vars, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`mirror script failed: ${r.stderr}`);
    ours.push({
      ms: performance.now() - t0,
      targetBytes: du(`${target.dir}/storage`),
      digestKept: digestOf(destination) === upstreamDigest,
      engineBytes: 0,
    });
    if (i === 0) {
      t0 = performance.now();
      const before = du(`${target.dir}/storage`);
      r = spawnSync("/bin/bash", ["-c", script], { env: vars, encoding: "utf8" });
      second = {
        ms: performance.now() - t0,
        targetBytes: du(`${target.dir}/storage`) - before,
        copied: parsePublishResult(r.stdout, { mirror: "the mirror script" }).database.copied === true,
      };
    }
    await target.stop();

    // The runbook: pull into the engine, tag, push. The engine starts without the image each time.
    target = await startRegistry(15070 + i);
    const tagged = `${target.address}/trove-datastores/bench:${size}`;
    for (const ref of [source, tagged])
      spawnSync(DOCKER_CLIENT, ["rmi", "-f", ref], { env: { ...process.env, DOCKER_HOST: lab.dockerHost } });
    const engineBefore = du(dockerRoot);
    t0 = performance.now();
    docker(["pull", "-q", source]);
    docker(["tag", source, tagged]);
    docker(["push", "-q", tagged]);
    const ms = performance.now() - t0;
    viaDocker.push({
      ms,
      targetBytes: du(`${target.dir}/storage`),
      digestKept: digestOf(tagged) === upstreamDigest,
      engineBytes: du(dockerRoot) - engineBefore,
    });
    docker(["rmi", "-f", source, tagged]);
    await target.stop();
  }
  lab.release();

  const m = (runs: Run[]) => median(runs.map((x) => x.ms));
  const row = (label: string, runs: Run[]) =>
    `| ${label} | ${(m(runs) / 1000).toFixed(1)} s | ${(median(runs.map((x) => x.targetBytes)) / MB).toFixed(0)} MiB | ${(median(runs.map((x) => x.engineBytes)) / MB).toFixed(0)} MiB | ${runs.every((x) => x.digestKept) ? "yes" : "no"} |`;
  const table = [
    "| method | time (median of 3) | written to the target registry | stored in the Docker engine | upstream digest kept |",
    "|---|---:|---:|---:|---|",
    row("`DatastoreImages` publish script, mirror step (skopeo, registry to registry)", ours),
    row("runbook: `docker pull` + `tag` + `push`", viaDocker),
  ].join("\n");
  const body = `${machineLine()} \`npx tsx bench/mirror.ts\`: a ${size} MiB single-layer image of random data (incompressible) in the lab's upstream registry (127.0.0.1:5001), mirrored into a fresh \`docker-registry\` on 127.0.0.1 for each run; docker through the lab's engine (vfs storage driver), which starts each run without the image.

${table}

Ratio docker / ours (median time): **${(m(viaDocker) / m(ours)).toFixed(1)}x**. A second run of the publish script against a target that already holds the digest: ${(second!.ms / 1000).toFixed(2)} s, ${second!.targetBytes} bytes written, copied: ${String(second!.copied)}.

Why the difference: skopeo streams the compressed blobs from one registry to the other once; docker downloads them, decompresses and unpacks the layer into its storage driver, then reads it back, compresses it again and uploads it.`;
  writeBenchmarkSection("Mirroring a 200 MB image", body);
  console.log(body);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
