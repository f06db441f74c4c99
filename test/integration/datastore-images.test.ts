// DatastoreImages' scripts, exactly as the component renders them, run against real registries (Debian's CNCF
// docker-registry), real skopeo and a private Docker engine on 127.0.0.1. "Upstream" is a second local registry
// holding small stand-in images named like the real ones, since there is no Docker Hub here.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseScriptResult, renderBackupBuildScript, renderMirrorScript, resolveDatastoreImagesArgs } from "../../components/datastore-images";
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
  return resolveDatastoreImagesArgs("it", { registry: { address: registry, insecure: true }, versions, upstreamRegistry: upstream.address, upstreamInsecure: true, troveSourceDir: trove, ...extra });
}

function run(script: string, env: Record<string, string>) {
  return spawnSync("/bin/bash", ["-c", script], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, encoding: "utf8" });
}

function digestOf(ref: string, opts: string[] = ["--tls-verify=false"]): string {
  return execFileSync("skopeo", ["inspect", ...opts, "--format", "{{.Digest}}", `docker://${ref}`], { encoding: "utf8" }).trim();
}

describe("mirroring with skopeo", () => {
  it("publishes upstream mysql:5.7.29 as <registry>/trove-datastores/mysql:5.7.29 with the upstream digest", () => {
    const s = plan([{ datastore: "mysql", version: "5.7.29" }], target.address);
    const p = s.plans[0]!;
    const names = p.names(target.address);
    const r = run(renderMirrorScript(p.source, names.database, true), { REGISTRY_ADDRESS: target.address, REGISTRY_INSECURE: "true" });
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
    const r = run(renderMirrorScript(p.source, p.names(target.address).database, true), { REGISTRY_ADDRESS: target.address, REGISTRY_INSECURE: "true" });
    expect(r.status).toBe(0);
    expect(parseScriptResult(r.stdout).copied).toBe(false);
    const after = (await target.log()).split("\n").filter((l) => /http\.request\.method=(PUT|POST) .*http\.request\.uri="?\/v2\/trove-datastores\//.test(l)).length;
    expect(before).toBeGreaterThan(0); // the first copy's uploads are in the log, so the log can show a second one
    expect(after).toBe(before);
  });

  it("mirrors postgres under the upstream name with the version tag Trove pulls", () => {
    const p = plan([{ datastore: "postgresql", version: "12" }], target.address).plans[0]!;
    expect(p.source).toBe(`${upstream.address}/postgres:12`);
    const r = run(renderMirrorScript(p.source, p.names(target.address).database, true), { REGISTRY_ADDRESS: target.address, REGISTRY_INSECURE: "true" });
    expect(r.status).toBe(0);
    expect(digestOf(`${target.address}/trove-datastores/postgres:12`)).toBe(upstreamDigests["postgres:12"]);
  });

  describe("to a registry with TLS (our own CA) and basic auth", () => {
    const env = (password: string, ca = secure.caPem!) => ({ REGISTRY_ADDRESS: secure.address, REGISTRY_INSECURE: "false", REGISTRY_USERNAME: CREDS.username, REGISTRY_PASSWORD: password, REGISTRY_CA_PEM: ca });
    const script = () => {
      const p = plan([{ datastore: "mysql", version: "5.7.29" }], secure.address).plans[0]!;
      return renderMirrorScript(p.source, p.names(secure.address).database, true);
    };

    it("mirrors with the right password, trusting only our CA", () => {
      const r = run(script(), env(CREDS.password));
      expect(r.stderr).toBe("");
      expect(parseScriptResult(r.stdout).digest).toBe(upstreamDigests["mysql:5.7.29"]);
      expect(secure.tags("trove-datastores/mysql")).toEqual(["5.7.29"]);
    });

    it("keeps the password out of argv and output", () => {
      const r = run(`${script()}\ncat /proc/$$/cmdline`, env(CREDS.password));
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
    const p = plan([{ datastore: "mysql", version: "9.9.9" }], target.address).plans[0]!;
    const r = run(renderMirrorScript(p.source, p.names(target.address).database, true), { REGISTRY_ADDRESS: target.address, REGISTRY_INSECURE: "true" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^pulumi-trove: cannot read upstream image 127.0.0.1:15010\/mysql:9.9.9: .*manifest unknown/);
  });

  it("says when the registry is down", () => {
    const p = plan([{ datastore: "mysql", version: "5.7.29" }], "127.0.0.1:15099").plans[0]!;
    const r = run(renderMirrorScript(p.source, p.names("127.0.0.1:15099").database, true), { REGISTRY_ADDRESS: "127.0.0.1:15099", REGISTRY_INSECURE: "true" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^pulumi-trove: cannot reach registry 127.0.0.1:15099 .*connection refused/);
  });
});

describe("backup images built with docker", () => {
  it("builds Trove's backup/ with DATASTORE and DATASTORE_VERSION and pushes it where Trove 18 looks for it", () => {
    const p = plan([{ datastore: "mysql", version: "5.7.29" }], target.address, { backupTag: "1.1.0" }).plans[0]!;
    const names = p.names(target.address);
    expect(names.backup).toBe(`${target.address}/trove-datastores/db-backup-mysql5.7:1.1.0`);
    const r = run(renderBackupBuildScript(trove, "mysql", "5.7.29", names.backup), { DOCKER_HOST: engine.host, REGISTRY_ADDRESS: target.address, REGISTRY_INSECURE: "true" });
    expect(r.status, r.stderr).toBe(0);
    const out = parseScriptResult(r.stdout);
    expect(out.reference).toBe(names.backup);
    expect(out.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(target.tags("trove-datastores/db-backup-mysql5.7")).toEqual(["1.1.0"]);
    engine.docker(["rmi", "-f", names.backup]);
    expect(engine.docker(["run", "--rm", "--network", "host", names.backup, "cat", "/etc/backup-info"]).trim()).toBe("mysql 5.7.29");
  });

  it("logs in with the password on stdin to push to an auth registry", () => {
    const ref = `${secure.address}/trove-datastores/db-backup-mysql8.0:latest`;
    const r = run(renderBackupBuildScript(trove, "mysql", "8.0", ref), { DOCKER_HOST: engine.host, REGISTRY_ADDRESS: secure.address, REGISTRY_USERNAME: CREDS.username, REGISTRY_PASSWORD: CREDS.password });
    expect(r.status, r.stderr).toBe(0);
    expect(secure.tags("trove-datastores/db-backup-mysql8.0")).toEqual(["latest"]);
    const refused = run(renderBackupBuildScript(trove, "mysql", "8.0", ref), { DOCKER_HOST: engine.host, REGISTRY_ADDRESS: secure.address, REGISTRY_USERNAME: CREDS.username, REGISTRY_PASSWORD: "wrong" });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^pulumi-trove: registry 127.0.0.1:15012 refused the credentials: .*401/m);
  });
});
