// `pulumi up` of the production shape (stacks/Pulumi.production-lab.yaml) as Pulumi runs it, through the engine
// harness, every remote step over real SSH: the image built by the stand-in trovestack on the build host (its own
// sshd) and copied back here, the TLS and auth registry run by the registry host's Docker engine reached as the docker
// provider reaches it (`docker:host: ssh://…`: the system ssh running `docker system dial-stdio` there), the backup
// images built by that engine, the Trove config written and restarted on the controller over SSH, the image uploaded
// to Glance and the versions registered in two regions (the zed lab east, the 2025.1 lab west). One deployment is
// taken through up, a second up, refresh, a host-key change, a client-key rotation, a new checkout ref and destroy.

import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PulumiEngine } from "../support/engine/engine";
import { ensureLab, Lab, troveWriteCount } from "../support/lab";
import { ProductionHosts, REGISTRY_HOST, REGISTRY_PORT, RemoteLab, startRemoteLab } from "../support/remote-lab";
import { DOCKER_CLIENT } from "../support/docker-engine";
import { imagesTroveFinds } from "../support/openstack-apply";
import { labSnapshot } from "../support/lab-snapshot";

const ROOT = path.join(__dirname, "..", "..");
const STACK = "production-lab";
const DATASTORES = ["mysql", "mariadb", "postgresql"];
/** What a new build-host key (host key or client key) changes: the build, its cleanup and the copy, in place. */
const BUILD_UPDATED_IN_PLACE = [
  ["update", "production-lab-guest-build"],
  ["update", "production-lab-guest-build-cleanup"],
  ["update", "production-lab-guest-fetch"],
];
const REGISTRY_PASSWORD = randomBytes(12).toString("hex");
let east: Lab;
let west: Lab;
let remote: RemoteLab;
let hosts: ProductionHosts;
let engine: PulumiEngine;

/** The stack file's values with this run's host keys and registry certificate (an admin replaces the placeholders). */
function overrides(
  keys: { buildHost: string; controller: string },
  buildCheckout: Record<string, unknown> = {},
): Record<string, unknown> {
  const file = readFileSync(path.join(ROOT, "stacks", `Pulumi.${STACK}.yaml`), "utf8");
  expect(file.match(/hostKey: "ssh-ed25519 [A-Za-z0-9+/=]+"/g)).toHaveLength(2);
  const config = (parse(file) as { config: Record<string, unknown> }).config;
  const image = config["pulumi-trove:guestImage"] as {
    buildHost: Record<string, unknown>;
    buildCheckout: Record<string, unknown>;
  };
  image.buildHost.hostKey = keys.buildHost;
  image.buildCheckout = { ...image.buildCheckout, ...buildCheckout };
  const troveConfig = config["pulumi-trove:troveConfig"] as { controller: { connection: Record<string, unknown> } };
  troveConfig.controller.connection.hostKey = keys.controller;
  const registry = config["pulumi-trove:registry"] as { local: { tls: { certificatePem: string } } };
  registry.local.tls.certificatePem = hosts.registryCertificate;
  return {
    "pulumi-trove:guestImage": image,
    "pulumi-trove:troveConfig": troveConfig,
    "pulumi-trove:registry": registry,
  };
}

/** One clouds.yaml naming both regions' clouds, as an admin's names each cloud once. */
function writeCloudsYaml(): string {
  const cloudOf = (lab: Lab) =>
    (parse(readFileSync(lab.cloudsYaml, "utf8")) as { clouds: Record<string, unknown> }).clouds["trove-lab"];
  const file = path.join(remote.dir, "clouds.yaml");
  writeFileSync(file, stringify({ clouds: { "trove-lab": cloudOf(east), "trove-lab-2025.1": cloudOf(west) } }));
  return file;
}

/** Both labs' snapshots. */
async function labsSnapshot(): Promise<{
  east: Awaited<ReturnType<typeof labSnapshot>>;
  west: Awaited<ReturnType<typeof labSnapshot>>;
}> {
  const [e, w] = await Promise.all([labSnapshot(east), labSnapshot(west)]);
  return { east: e, west: w };
}

/** The Glance image Trove's own code picks for each datastore's versions in the lab (they are registered by tags). */
function versionImages(lab: Lab): string[] {
  return imagesTroveFinds(
    lab,
    DATASTORES.map((d) => ["trove", d]),
  );
}

/** SSH logins each host has accepted so far. */
function logins(): { build: number; registry: number; controller: number } {
  return {
    build: hosts.buildHost.logins(),
    registry: hosts.registryHost.logins(),
    controller: remote.controller.logins(),
  };
}

/** The registry's catalog as a client sees it, over TLS with this run's certificate, with or without the credentials. */
function registryCatalog(auth: boolean): { status: string; body: string } {
  const cacert = path.join(remote.dir, "registry-tls", "domain.crt");
  // curl's options on stdin (-K -): the password stays out of argv.
  const out = execFileSync(
    "curl",
    ["-sS", "-K", "-", "-w", "\n%{http_code}", `https://127.0.0.1:${REGISTRY_PORT}/v2/_catalog`],
    { input: `cacert = "${cacert}"\n${auth ? `user = "trove:${REGISTRY_PASSWORD}"\n` : ""}`, encoding: "utf8" },
  );
  const lines = out.trimEnd().split("\n");
  return { status: lines.pop()!, body: lines.join("\n") };
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

beforeAll(async () => {
  east = ensureLab("zed");
  west = ensureLab("2025.1");
  remote = await startRemoteLab(east.troveConf, { production: { dockerHost: east.dockerHost } });
  hosts = remote.production!;
  const env: NodeJS.ProcessEnv = {
    ...east.env,
    OS_CLIENT_CONFIG_FILE: writeCloudsYaml(),
    HOME: remote.deployHome,
    SSH_AUTH_SOCK: hosts.agentSocket,
  };
  // The docker provider and the backup builds follow the stack's docker:host, not the shell's.
  delete env.DOCKER_HOST;
  engine = new PulumiEngine({
    root: ROOT,
    stack: STACK,
    env,
    secrets: {
      registryPassword: REGISTRY_PASSWORD,
      registryTlsKey: hosts.registryKey,
      controllerSshKey: remote.controller.privateKey,
      buildHostSshKey: hosts.buildHost.privateKey,
    },
    configOverrides: overrides({
      buildHost: hosts.buildHost.hostPublicKey,
      controller: remote.controller.hostPublicKey,
    }),
  });
});

afterAll(async () => {
  if (engine?.state.length) await engine.destroy();
  await remote?.stop();
  east?.release();
  west?.release();
}, 180_000);

describe("pulumi up, up, refresh, a host-key change, a key rotation, a new checkout ref and destroy of the production shape, over real SSH", () => {
  it("builds on the build host, runs the TLS registry on the registry host over ssh://, feeds two regions; runs nothing twice; refuses a changed host key; rotates the key in place; rebuilds once for a new checkout ref; destroy leaves the labs as they were", async () => {
    const before = { ...(await labsSnapshot()), controller: remote.hostFiles(), hosts: hosts.hostFiles() };
    const t0 = Date.now();

    const up = await engine.up();
    expect(up.errors, up.programOutput).toEqual([]);
    expect(up.steps.every((s) => s.op === "create")).toBe(true);
    console.log(`production-lab: first up ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // trovestack ran once, on the build host as its user, with production's arguments (no dev mode), and the image
    // was copied back here with the build's sha256.
    expect(hosts.builds()).toEqual([
      expect.stringMatching(
        new RegExp(
          `^build-image ubuntu jammy false ubuntu ${hosts.buildImages}/\\S*trove-guest-ubuntu-jammy\\.qcow2 HOST_SCP_USERNAME=$`,
        ),
      ),
    ]);
    const built = path.join(hosts.buildImages, "trove-guest-ubuntu-jammy.qcow2");
    const copy = path.join(remote.deployHome, "images", "trove-guest-ubuntu-jammy.qcow2");
    expect(sha256(copy)).toBe(sha256(built));

    // The registry runs on the registry host's engine, reached over ssh:// as the deploy user; it serves TLS with this
    // run's certificate and refuses a client without the password; the images and backup images are in it.
    expect(hosts.registryHost.logins()).toBeGreaterThan(0);
    const overSsh = {
      ...process.env,
      DOCKER_HOST: `ssh://${REGISTRY_HOST.user}@127.0.0.1:${REGISTRY_HOST.port}`,
      SSH_AUTH_SOCK: hosts.agentSocket,
    };
    const running = execFileSync(DOCKER_CLIENT, ["ps", "--format", "{{.Names}}"], { env: overSsh, encoding: "utf8" });
    const container = engine.ofType("docker:index/container:Container")[0]!;
    expect(running.split("\n")).toContain((container.inputs as { name: string }).name);
    expect(registryCatalog(false).status).toBe("401");
    const listed = registryCatalog(true);
    expect(listed.status).toBe("200");
    const catalog = JSON.parse(listed.body) as { repositories: string[] };
    expect(catalog.repositories.sort()).toEqual(
      ["db-backup-mariadb", "db-backup-mysql5.7", "db-backup-postgresql", "mariadb", "mysql", "postgres"].map(
        (r) => `trove-datastores/${r}`,
      ),
    );
    // The backup images were built by the registry host's engine (the stack's docker:host), which pushed them.
    const engineImages = execFileSync(DOCKER_CLIENT, ["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"], {
      env: overSsh,
      encoding: "utf8",
    }).split("\n");
    for (const r of ["db-backup-mariadb", "db-backup-mysql5.7", "db-backup-postgresql"])
      expect(engineImages).toContain(`127.0.0.1:${REGISTRY_PORT}/trove-datastores/${r}:1.1.0`);

    // Both regions have the image and the three versions on it.
    const outputs = engine.stackOutputs as {
      glanceImageIds: Record<string, string>;
      versionIds: Record<string, Record<string, string>>;
      troveConf: string;
      guestAgentConf: string;
    };
    for (const [region, lab] of [
      ["east", east],
      ["west", west],
    ] as const) {
      expect(versionImages(lab)).toEqual(DATASTORES.map(() => outputs.glanceImageIds[region]));
    }

    // The controller's files have the options, written over SSH; the guest agent's name the TLS registry's images.
    const conf = readFileSync(remote.troveConf, "utf8");
    const guestAgentConf = readFileSync(remote.guestAgentConf, "utf8");
    for (const line of outputs.troveConf.split("\n").filter((l) => l.includes(" = "))) expect(conf).toContain(line);
    for (const line of outputs.guestAgentConf.split("\n").filter((l) => l.includes(" = ")))
      expect(guestAgentConf).toContain(line);
    expect(guestAgentConf).toContain(`docker_image = 127.0.0.1:${REGISTRY_PORT}/trove-datastores/mysql`);
    // A TLS registry needs no option in trove.conf (no docker_insecure_registries): it did not change, so nothing
    // restarted (the guest agent's file is read when an instance is made).
    expect(conf).toBe(before.controller[remote.troveConf]);
    expect(remote.restarts()).toEqual([]);

    // A second up has nothing to do and runs nothing: no SSH login on any host, no build, no write to either Trove.
    const seen = logins();
    const writes = { east: troveWriteCount(east), west: troveWriteCount(west) };
    let t = Date.now();
    const again = await engine.up();
    console.log(`production-lab: second up ${((Date.now() - t) / 1000).toFixed(1)} s`);
    expect(again.errors).toEqual([]);
    expect(again.changes).toEqual([]);
    expect(logins()).toEqual(seen);
    expect(hosts.builds()).toHaveLength(1);
    expect({ east: troveWriteCount(east), west: troveWriteCount(west) }).toEqual(writes);

    // refresh reads everything back and finds nothing changed. Only the registry host is contacted (the docker
    // provider reads its container and image there); a remote command has nothing to read.
    t = Date.now();
    const refresh = await engine.refresh();
    console.log(`production-lab: refresh ${((Date.now() - t) / 1000).toFixed(1)} s`);
    expect(refresh.errors).toEqual([]);
    expect(refresh.changes).toEqual([]);
    expect(logins()).toMatchObject({ build: seen.build, controller: seen.controller });
    expect(logins().registry).toBeGreaterThan(seen.registry);

    // The build host is rebuilt: a new host key, and the admin rotates the build key with it (the new one authorized
    // there, the old one no longer). With the new key in the secret but the old host key in the stack, the up is
    // refused at the connection: nothing runs on the build host, nothing is rebuilt or uploaded.
    const oldHostKey = hosts.buildHost.hostPublicKey;
    const newHostKey = await hosts.buildHost.rotateHostKey();
    const newClientKey = hosts.buildHost.rotateClientKey();
    engine.options.secrets = { ...engine.options.secrets, buildHostSshKey: newClientKey };
    engine.options.configOverrides = overrides({ buildHost: oldHostKey, controller: remote.controller.hostPublicKey });
    const labsBefore = await labsSnapshot();
    const loginsBefore = logins();
    const buildLogins = loginsBefore.build;
    t = Date.now();
    const refused = await engine.up();
    console.log(`production-lab: refused up ${((Date.now() - t) / 1000).toFixed(1)} s`);
    expect(refused.ok).toBe(false);
    expect(refused.errors.join("\n")).toMatch(
      /production-lab-guest-build: after 10 failed attempts: .*Host key verification failed/s,
    );
    expect(logins()).toEqual(loginsBefore);
    expect(hosts.builds()).toHaveLength(1);
    expect(await labsSnapshot()).toEqual(labsBefore);

    // With the new host key in the stack, the build and the copy are updated in place: the build's update checks the
    // image is still there (one login), the copy here still has the build's sha256 (no login); no rebuild, no upload.
    engine.options.configOverrides = overrides({ buildHost: newHostKey, controller: remote.controller.hostPublicKey });
    t = Date.now();
    const rotated = await engine.up();
    console.log(`production-lab: key rotation up ${((Date.now() - t) / 1000).toFixed(1)} s`);
    expect(rotated.errors).toEqual([]);
    expect(rotated.changes.map((c) => [c.op, c.name]).sort()).toEqual(BUILD_UPDATED_IN_PLACE);
    expect(hosts.buildHost.logins()).toBe(buildLogins + 1);
    expect(hosts.builds()).toHaveLength(1);
    expect(await labsSnapshot()).toEqual(labsBefore);

    // The build key alone rotated (the new one authorized on the build host, the old one no longer, the new one in
    // the secret): updated in place again, one login with the new key to check the image; no rebuild, no upload, no
    // write to Trove.
    const writesBefore = { east: troveWriteCount(east), west: troveWriteCount(west) };
    engine.options.secrets = { ...engine.options.secrets, buildHostSshKey: hosts.buildHost.rotateClientKey() };
    const rekeyed = await engine.up();
    expect(rekeyed.errors).toEqual([]);
    expect(rekeyed.changes.map((c) => [c.op, c.name]).sort()).toEqual(BUILD_UPDATED_IN_PLACE);
    expect(hosts.buildHost.logins()).toBe(buildLogins + 2);
    expect(hosts.builds()).toHaveLength(1);
    expect(await labsSnapshot()).toEqual(labsBefore);
    expect({ east: troveWriteCount(east), west: troveWriteCount(west) }).toEqual(writesBefore);

    // A new buildCheckout.ref: exactly one rebuild on the build host, one upload per region, and every version follows.
    const previousImages = { ...outputs.glanceImageIds };
    t = Date.now();
    engine.options.configOverrides = overrides(
      { buildHost: newHostKey, controller: remote.controller.hostPublicKey },
      { ref: "zed-eol" },
    );
    const rebuilt = await engine.up();
    console.log(`production-lab: rebuild up ${((Date.now() - t) / 1000).toFixed(1)} s`);
    expect(rebuilt.errors).toEqual([]);
    expect(hosts.builds()).toHaveLength(2);
    expect(sha256(copy)).toBe(sha256(built));
    expect(
      rebuilt.changes
        .filter((c) => c.type === "openstack:images/image:Image")
        .map((c) => [c.op, c.name])
        .sort(),
    ).toEqual([
      ["replace", "production-lab-glance-east-image"],
      ["replace", "production-lab-glance-west-image"],
    ]);
    const now = engine.stackOutputs as typeof outputs;
    for (const [region, lab] of [
      ["east", east],
      ["west", west],
    ] as const) {
      expect(now.glanceImageIds[region]).not.toBe(previousImages[region]);
      expect(versionImages(lab)).toEqual(DATASTORES.map(() => now.glanceImageIds[region]));
    }
    expect(remote.restarts()).toEqual([]);

    // destroy: every resource deleted; both labs and the controller's files as they were before the first up.
    t = Date.now();
    const destroy = await engine.destroy();
    console.log(
      `production-lab: destroy ${((Date.now() - t) / 1000).toFixed(1)} s; in all ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    expect(destroy.errors).toEqual([]);
    expect(engine.state).toEqual([]);
    expect(await labsSnapshot()).toEqual({ east: before.east, west: before.west });
    expect(remote.hostFiles()).toEqual(before.controller);
    // The build host and this machine: the image, its record and log, and its copy here are gone. The registry host
    // keeps only the registry's storage (the docker provider deletes the container, not its bind-mounted directory):
    // the images the stack pushed, which an admin removes by hand if wanted (README, Stacks).
    const after = hosts.hostFiles();
    const stored = Object.keys(after).filter((f) => f.startsWith(`${hosts.registryStorage}/`));
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.every((f) => f.startsWith(`${hosts.registryStorage}/docker/registry/v2/`))).toBe(true);
    for (const f of stored) delete after[f];
    expect(after).toEqual(before.hosts);
    expect(existsSync(copy)).toBe(false);
  }, 600_000);
});
