// DatastoreImages' scripts, exactly as the component renders them, run against real registries (Debian's CNCF
// docker-registry), real skopeo and a private Docker engine on 127.0.0.1. "Upstream" is a second local registry
// holding small stand-in images named like the real ones, since there is no Docker Hub here. Also: the scripts wait
// for a registry that starts after them (and never retry a refused password), and the backup build's update
// rebuilds only what the registry lost.

import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKUP_BUILD_SCRIPT, BACKUP_UPDATE_SCRIPT, backupEnvironment, MIRROR_SCRIPT, mirrorEnvironment, parseScriptResult, resolveDatastoreImagesArgs } from "../../components/datastore-images";
import { loadScript } from "../../components/scripts/index";
import { startDockerEngine, TestDockerEngine } from "../support/docker-engine";
import { pushStandIn } from "../../scripts/lab/stand-in-images";
import { startRegistry, TestRegistry } from "../support/registry";

const CREDS = { username: "trove", password: "s3cret pass'word" };
let upstream: TestRegistry;
let target: TestRegistry;
let secure: TestRegistry;
let engine: TestDockerEngine;
let trove: string;
const upstreamDigests: Record<string, string> = {};

beforeAll(async () => {
  [upstream, target, secure] = await Promise.all([startRegistry(15010), startRegistry(15011), startRegistry(15012, CREDS)]);
  upstreamDigests["mysql:5.7.29"] = pushStandIn(upstream.address, "mysql", "5.7.29");
  upstreamDigests["postgres:12"] = pushStandIn(upstream.address, "postgres", "12");
  engine = await startDockerEngine();
  trove = mkdtempSync(path.join(tmpdir(), "trove-src-"));
  mkdirSync(path.join(trove, "backup"));
  // Same shape as Trove's backup/Dockerfile: build args DATASTORE and DATASTORE_VERSION, used at build time.
  writeFileSync(
    path.join(trove, "backup/Dockerfile"),
    `FROM ${upstream.address}/mysql:5.7.29\nARG DATASTORE="mysql"\nARG DATASTORE_VERSION="8.4"\nCOPY . /opt/trove/backup\nRUN echo "$DATASTORE $DATASTORE_VERSION" > /etc/backup-info\n`,
  );
  writeFileSync(path.join(trove, "backup/main.py"), "print('backup')\n");
});

afterAll(async () => {
  await Promise.all([upstream?.stop(), target?.stop(), secure?.stop(), engine?.stop()]);
  if (trove) rmSync(trove, { recursive: true, force: true });
});

/** The component's plan for one version against a registry, as the pipeline would resolve it. */
function plan(versions: Array<{ datastore: string; version: string }>, registry: string, extra: object = {}) {
  return resolveDatastoreImagesArgs("it", { registry: { address: registry, insecure: true }, versions, troveRelease: "zed", upstreamRegistry: upstream.address, upstreamInsecure: true, backupSourceDir: trove, ...extra });
}

/** A script and the variables the component's command gives it. */
type Script = { script: string; env: Record<string, string> };
const mirrorScript = (source: string, target: string, upstreamInsecure: boolean): Script => ({ script: MIRROR_SCRIPT, env: mirrorEnvironment(source, target, upstreamInsecure) });
const backupScript = (dir: string, datastore: string, version: string, ref: string, log: string, mode: "create" | "update" = "create"): Script => ({
  script: mode === "update" ? BACKUP_UPDATE_SCRIPT : BACKUP_BUILD_SCRIPT,
  env: backupEnvironment(dir, datastore, version, ref, log),
});

/** Runs a script as the component's command.local.Command does: bash -c, its variables in the environment. */
function run(s: Script, env: Record<string, string>) {
  return spawnSync("/bin/bash", ["-c", s.script], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...s.env, ...env }, encoding: "utf8" });
}

/** Starts a script; resolves with its exit and output. `onStderr` sees stderr as it comes. */
function start(s: Script, env: Record<string, string>, onStderr: (soFar: string) => void) {
  const child = spawn("/bin/bash", ["-c", s.script], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...s.env, ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
    onStderr(stderr);
  });
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => child.on("close", (status) => resolve({ status, stdout, stderr })));
}

const logFile = (name: string) => path.join(trove, "logs", `${name}.log`);

function digestOf(ref: string, opts: string[] = ["--tls-verify=false"]): string {
  return execFileSync("skopeo", ["inspect", ...opts, "--format", "{{.Digest}}", `docker://${ref}`], { encoding: "utf8" }).trim();
}

describe("mirroring with skopeo", () => {
  it("publishes upstream mysql:5.7.29 as <registry>/trove-datastores/mysql:5.7.29 with the upstream digest", () => {
    const s = plan([{ datastore: "mysql", version: "5.7.29" }], target.address);
    const p = s.plans[0]!;
    const names = p.names(target.address);
    const r = run(mirrorScript(p.source, names.database, true), { REGISTRY_ADDRESS: target.address, REGISTRY_INSECURE: "true" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = parseScriptResult(r.stdout);
    expect(out).toEqual({ reference: `${target.address}/trove-datastores/mysql:5.7.29`, digest: upstreamDigests["mysql:5.7.29"], copied: true });
    expect(target.tags("trove-datastores/mysql")).toEqual(["5.7.29"]);
    expect(digestOf(names.database)).toBe(upstreamDigests["mysql:5.7.29"]);
  });

  it("copies nothing when the target already holds the upstream digest", async () => {
    const p = plan([{ datastore: "mysql", version: "5.7.29" }], target.address).plans[0]!;
    const before = (await target.log()).split("\n").filter((l) => /http\.request\.method=(PUT|POST) .*http\.request\.uri="?\/v2\/trove-datastores\//.test(l)).length;
    const r = run(mirrorScript(p.source, p.names(target.address).database, true), { REGISTRY_ADDRESS: target.address, REGISTRY_INSECURE: "true" });
    expect(r.status).toBe(0);
    expect(parseScriptResult(r.stdout).copied).toBe(false);
    const after = (await target.log()).split("\n").filter((l) => /http\.request\.method=(PUT|POST) .*http\.request\.uri="?\/v2\/trove-datastores\//.test(l)).length;
    expect(before).toBeGreaterThan(0); // the first copy's uploads are in the log, so the log can show a second one
    expect(after).toBe(before);
  });

  it("mirrors postgres under the upstream name with the version tag Trove pulls", () => {
    const p = plan([{ datastore: "postgresql", version: "12" }], target.address).plans[0]!;
    expect(p.source).toBe(`${upstream.address}/postgres:12`);
    const r = run(mirrorScript(p.source, p.names(target.address).database, true), { REGISTRY_ADDRESS: target.address, REGISTRY_INSECURE: "true" });
    expect(r.status).toBe(0);
    expect(digestOf(`${target.address}/trove-datastores/postgres:12`)).toBe(upstreamDigests["postgres:12"]);
  });

  describe("to a registry with TLS (our own CA) and basic auth", () => {
    const env = (password: string, ca = secure.caPem!) => ({ REGISTRY_ADDRESS: secure.address, REGISTRY_INSECURE: "false", REGISTRY_USERNAME: CREDS.username, REGISTRY_PASSWORD: password, REGISTRY_CA_PEM: ca });
    const script = () => {
      const p = plan([{ datastore: "mysql", version: "5.7.29" }], secure.address).plans[0]!;
      return mirrorScript(p.source, p.names(secure.address).database, true);
    };

    it("mirrors with the right password, trusting only our CA", () => {
      const r = run(script(), env(CREDS.password));
      expect(r.stderr).toBe("");
      expect(parseScriptResult(r.stdout).digest).toBe(upstreamDigests["mysql:5.7.29"]);
      expect(secure.tags("trove-datastores/mysql")).toEqual(["5.7.29"]);
    });

    it("keeps the password out of argv and output", () => {
      const r = run({ ...script(), script: `${script().script}\ncat /proc/$$/cmdline` }, env(CREDS.password));
      expect(r.stdout + r.stderr).not.toContain(CREDS.password);
    });

    it("fails with one clear line when the credentials are refused", () => {
      const r = run(script(), env("wrong"));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^pulumi-trove: cannot reach registry 127.0.0.1:15012 for 127.0.0.1:15012\/trove-datastores\/mysql:5.7.29: .*(unauthorized|authentication required)/);
      expect(r.stderr).not.toContain("wrong");
    });

    it("fails when the registry's CA is not trusted", () => {
      const r = run(script(), { ...env(CREDS.password), REGISTRY_CA_PEM: "" });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/cannot reach registry .*certificate/);
    });
  });

  it("says which upstream tag does not exist", () => {
    const p = plan([{ datastore: "mysql", version: "9.9.9" }], target.address, { allowUntested: true }).plans[0]!;
    const r = run(mirrorScript(p.source, p.names(target.address).database, true), { REGISTRY_ADDRESS: target.address, REGISTRY_INSECURE: "true" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^pulumi-trove: cannot read upstream image 127.0.0.1:15010\/mysql:9.9.9: .*manifest unknown/);
  });

  it("says when the registry is down, after waiting REGISTRY_WAIT_SECONDS for it", () => {
    const p = plan([{ datastore: "mysql", version: "5.7.29" }], "127.0.0.1:15099").plans[0]!;
    const r = run(mirrorScript(p.source, p.names("127.0.0.1:15099").database, true), { REGISTRY_ADDRESS: "127.0.0.1:15099", REGISTRY_INSECURE: "true", REGISTRY_WAIT_SECONDS: "2" });
    expect(r.status).toBe(1);
    expect(r.stderr.split("\n").filter((l) => l.includes("does not answer yet"))).toEqual(["pulumi-trove: registry 127.0.0.1:15099 does not answer yet; trying again in 1s", "pulumi-trove: registry 127.0.0.1:15099 does not answer yet; trying again in 2s"]);
    expect(r.stderr).toMatch(/^pulumi-trove: cannot reach registry 127.0.0.1:15099 .*connection refused/m);
  });
});

describe("backup images built with docker", () => {
  it("builds Trove's backup/ with DATASTORE and DATASTORE_VERSION and pushes it where Trove 18 looks for it", () => {
    const p = plan([{ datastore: "mysql", version: "5.7.29" }], target.address, { backupTag: "1.1.0" }).plans[0]!;
    const names = p.names(target.address);
    expect(names.backup).toBe(`${target.address}/trove-datastores/db-backup-mysql5.7:1.1.0`);
    const r = run(backupScript(trove, "mysql", "5.7.29", names.backup, logFile("mysql-5-7-29")), { DOCKER_HOST: engine.host, REGISTRY_ADDRESS: target.address, REGISTRY_INSECURE: "true" });
    expect(r.status, r.stderr).toBe(0);
    const out = parseScriptResult(r.stdout);
    expect(out.reference).toBe(names.backup);
    expect(out.built).toBe(true);
    // docker build's whole output is in the log; what Pulumi keeps is the bounded progress.
    expect(out.logPath).toBe(logFile("mysql-5-7-29"));
    expect(readFileSync(logFile("mysql-5-7-29"), "utf8")).toMatch(/Successfully built|naming to|writing image/);
    expect(out.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(target.tags("trove-datastores/db-backup-mysql5.7")).toEqual(["1.1.0"]);
    engine.docker(["rmi", "-f", names.backup]);
    expect(engine.docker(["run", "--rm", "--network", "host", names.backup, "cat", "/etc/backup-info"]).trim()).toBe("mysql 5.7.29");
  });

  it("logs in with the password on stdin to push to an auth registry", () => {
    const ref = `${secure.address}/trove-datastores/db-backup-mysql8.0:latest`;
    const r = run(backupScript(trove, "mysql", "8.0", ref, logFile("auth")), { DOCKER_HOST: engine.host, REGISTRY_ADDRESS: secure.address, REGISTRY_USERNAME: CREDS.username, REGISTRY_PASSWORD: CREDS.password });
    expect(r.status, r.stderr).toBe(0);
    expect(secure.tags("trove-datastores/db-backup-mysql8.0")).toEqual(["latest"]);
    const refused = run(backupScript(trove, "mysql", "8.0", ref, logFile("auth")), { DOCKER_HOST: engine.host, REGISTRY_ADDRESS: secure.address, REGISTRY_USERNAME: CREDS.username, REGISTRY_PASSWORD: "wrong" });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^pulumi-trove: registry 127.0.0.1:15012 refused the credentials: .*401/m);
    expect(refused.stderr).not.toContain("does not answer yet");
  });

  it("on update, reports the pushed image without building, and builds and pushes again only what the registry lost", () => {
    const p = plan([{ datastore: "postgresql", version: "12" }], target.address).plans[0]!;
    const ref = p.names(target.address).backup;
    const env = { DOCKER_HOST: engine.host, REGISTRY_ADDRESS: target.address, REGISTRY_INSECURE: "true" };
    const log = logFile("postgresql-12");
    const created = parseScriptResult(run(backupScript(trove, "postgresql", "12", ref, log), env).stdout);
    expect(created.built).toBe(true);
    rmSync(log);
    const update = backupScript(trove, "postgresql", "12", ref, log, "update");
    const unchanged = run(update, env);
    expect(unchanged.status, unchanged.stderr).toBe(0);
    expect(parseScriptResult(unchanged.stdout)).toMatchObject({ reference: ref, digest: created.digest, built: false });
    expect(existsSync(log)).toBe(false); // nothing was built
    // The registry loses the image: the update builds and pushes it again.
    execFileSync("skopeo", ["delete", "--tls-verify=false", `docker://${ref}`]);
    const rebuilt = run(update, env);
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    expect(rebuilt.stderr).toContain(`pulumi-trove: ${ref} is not in the registry any more; building and pushing it again`);
    expect(parseScriptResult(rebuilt.stdout).built).toBe(true);
    const [repository, tag] = ref.slice(target.address.length + 1).split(":");
    expect(target.tags(repository!)).toEqual([tag]);
  });
});

describe("a registry that starts after the script (created in the same pulumi up)", () => {
  it("the mirror waits for it to answer, then mirrors", async () => {
    const port = 15013;
    const p = plan([{ datastore: "mysql", version: "5.7.29" }], `127.0.0.1:${port}`).plans[0]!;
    let starting: Promise<TestRegistry> | undefined;
    const result = await start(mirrorScript(p.source, p.names(`127.0.0.1:${port}`).database, true), { REGISTRY_ADDRESS: `127.0.0.1:${port}`, REGISTRY_INSECURE: "true" }, (stderr) => {
      // Start the registry only once the script has found nothing there.
      if (!starting && stderr.includes("does not answer yet")) starting = startRegistry(port);
    });
    const late = await starting;
    try {
      expect(result.stderr).toContain(`pulumi-trove: registry 127.0.0.1:${port} does not answer yet; trying again in 1s`);
      expect(result.status, result.stderr).toBe(0);
      expect(parseScriptResult(result.stdout)).toMatchObject({ digest: upstreamDigests["mysql:5.7.29"], copied: true });
      expect(late!.tags("trove-datastores/mysql")).toEqual(["5.7.29"]);
    } finally {
      await late?.stop();
    }
  });

  it("the backup build's docker login waits for it too", async () => {
    const port = 15014;
    const ref = `127.0.0.1:${port}/trove-datastores/db-backup-mysql:late`;
    let starting: Promise<TestRegistry> | undefined;
    const result = await start(backupScript(trove, "mysql", "5.7.29", ref, logFile("late")), { DOCKER_HOST: engine.host, REGISTRY_ADDRESS: `127.0.0.1:${port}`, REGISTRY_USERNAME: CREDS.username, REGISTRY_PASSWORD: CREDS.password }, (stderr) => {
      if (!starting && stderr.includes("does not answer yet")) starting = startRegistry(port, CREDS);
    });
    const late = await starting;
    try {
      expect(result.stderr).toContain(`pulumi-trove: registry 127.0.0.1:${port} does not answer yet`);
      expect(result.status, result.stderr).toBe(0);
      expect(late!.tags("trove-datastores/db-backup-mysql")).toEqual(["late"]);
    } finally {
      await late?.stop();
    }
  });

  it("retries only while nothing answers: a refusal (401) is final, a refused connection is retried", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "first-contact-"));
    // A stand-in client that answers what TEST_ANSWERS lists, one answer per call, and counts its calls.
    const client = `answer() { n=$(( $(cat "${dir}/calls" 2>/dev/null || echo 0) + 1 )); echo "$n" > "${dir}/calls"; line=$(sed -n "\${n}p" <<< "$TEST_ANSWERS"); [ "$line" = ok ] && return 0; echo "$line" >&2; return 1; }`;
    const call = (answers: string[]) => {
      rmSync(path.join(dir, "calls"), { force: true });
      const r = spawnSync("/bin/bash", ["-c", `${loadScript("registry.sh")}
${client}
first_contact "${dir}/err" answer`], { env: { PATH: process.env.PATH, REGISTRY_ADDRESS: "r:1", TEST_ANSWERS: answers.join("\n") }, encoding: "utf8" });
      return { status: r.status, calls: Number(readFileSync(path.join(dir, "calls"), "utf8")) };
    };
    expect(call(['Error response from daemon: login attempt to http://r:1/v2/ failed with status: 401 Unauthorized', "ok"])).toEqual({ status: 1, calls: 1 });
    expect(call(["reading manifest latest: unauthorized: authentication required", "ok"])).toEqual({ status: 1, calls: 1 });
    expect(call(["manifest unknown", "ok"])).toEqual({ status: 1, calls: 1 });
    expect(call(['pinging container registry r:1: Get "http://r:1/v2/": dial tcp r:1: connect: connection refused', 'Get "http://r:1/v2/": EOF', "ok"])).toEqual({ status: 0, calls: 3 });
    rmSync(dir, { recursive: true, force: true });
  });
});
