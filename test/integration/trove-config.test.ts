// Trove's configuration, checked with Trove itself (Debian 12's python3-trove, run by /usr/bin/python3):
// 1. the rendered files load through Trove's own option definitions (oslo.config) with every value as intended;
// 2. for every datastore version of a sample pipeline, the images Trove's guest-agent code computes from the rendered
//    config exist in a real registry after DatastoreImages' scripts ran; a wrong config makes that check fail;
// 3. the files are merged into existing ones over SSH (a throwaway sshd on 127.0.0.1), a second run changes nothing,
//    and the restart commands run only on change.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderBackupBuildScript, renderMirrorScript, resolveDatastoreImagesArgs } from "../../components/datastore-images";
import { EditorRequest, renderApplyCommand, renderIni, renderTroveConfig } from "../../components/trove-config";
import { startDockerEngine, TestDockerEngine } from "../support/docker-engine";
import { pushStandIn } from "../../scripts/lab/stand-in-images";
import { startRegistry, TestRegistry } from "../support/registry";
import { startSshd, TestSshd } from "../support/sshd";
import { requireTool } from "../support/tools";

const PYTHON = "/usr/bin/python3";
const TROVE_IMAGES = path.join(__dirname, "../support/trove_images.py");
const SAMPLE = [
  { datastore: "mysql", version: "5.7.29" },
  { datastore: "mysql", version: "8.0" },
  { datastore: "mariadb", version: "10.4" },
  { datastore: "postgresql", version: "12" },
];

let work: string;
beforeAll(() => {
  requireTool(PYTHON, "python3 (Debian's, with python3-trove from trove-api)");
  if (spawnSync(PYTHON, ["-c", "import trove.common.cfg"]).status !== 0) throw new Error("python3-trove is not installed: apt-get install -y trove-api");
  work = mkdtempSync(path.join(tmpdir(), "trove-config-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sampleConfig(registryAddress: string, imagesPlan = resolveDatastoreImagesArgs("sample", { registry: { address: registryAddress, insecure: true }, versions: SAMPLE, troveRelease: "zed", allowUntested: true, troveSourceDir: "/t", backupTag: "1.1.0" })) {
  const imageOptions: Record<string, { dockerImage: string; backupDockerImage: string }> = {};
  for (const p of imagesPlan.plans) {
    const n = p.names(registryAddress);
    imageOptions[p.spec.datastore] = { dockerImage: n.dockerImageOption, backupDockerImage: n.backupDockerImageOption };
  }
  return { plan: imagesPlan, rendered: renderTroveConfig({ registryAddress, insecure: true, username: "trove", password: "s3cret=#;x", imageOptions }) };
}

describe("rendered config read back through Trove's own option definitions", () => {
  it("gives every value as intended, for mysql, mariadb and postgresql", () => {
    const { rendered } = sampleConfig("10.0.0.5:4000");
    const troveConf = path.join(work, "trove.conf");
    const guestConf = path.join(work, "guest.conf");
    writeFileSync(troveConf, renderIni(rendered.troveConf));
    writeFileSync(guestConf, renderIni(rendered.guestAgentConf));
    const script = [
      "import json, sys",
      "from trove.common import cfg",
      "CONF = cfg.CONF",
      "CONF(args=[], project='trove', default_config_files=sys.argv[1:])",
      "out = {'docker_insecure_registries': CONF.docker_insecure_registries, 'guest_agent': {k: CONF.guest_agent[k] for k in ('container_registry', 'container_registry_username', 'container_registry_password')}}",
      "for s in ('mysql', 'mariadb', 'postgresql'): out[s] = {'docker_image': CONF[s].docker_image, 'backup_docker_image': CONF[s].backup_docker_image}",
      "print(json.dumps(out))",
    ].join("\n");
    const read = JSON.parse(execFileSync(PYTHON, ["-c", script, troveConf, guestConf], { encoding: "utf8" }));
    expect(read).toEqual({
      docker_insecure_registries: ["10.0.0.5:4000"],
      guest_agent: { container_registry: "10.0.0.5:4000", container_registry_username: "trove", container_registry_password: "s3cret=#;x" },
      mysql: { docker_image: "10.0.0.5:4000/trove-datastores/mysql", backup_docker_image: "10.0.0.5:4000/trove-datastores/db-backup-mysql:1.1.0" },
      mariadb: { docker_image: "10.0.0.5:4000/trove-datastores/mariadb", backup_docker_image: "10.0.0.5:4000/trove-datastores/db-backup-mariadb:1.1.0" },
      postgresql: { docker_image: "10.0.0.5:4000/trove-datastores/postgres", backup_docker_image: "10.0.0.5:4000/trove-datastores/db-backup-postgresql:1.1.0" },
    });
  });
});

describe("what Trove's guest agent pulls exists in the registry", () => {
  let upstream: TestRegistry;
  let target: TestRegistry;
  let engine: TestDockerEngine;
  let trove: string;

  beforeAll(async () => {
    [upstream, target] = await Promise.all([startRegistry(16051), startRegistry(16050)]);
    for (const [image, tag] of [["mysql", "5.7.29"], ["mysql", "8.0"], ["mariadb", "10.4"], ["postgres", "12"]] as const) pushStandIn(upstream.address, image, tag);
    engine = await startDockerEngine();
    trove = path.join(work, "trove");
    mkdirSync(path.join(trove, "backup"), { recursive: true });
    writeFileSync(path.join(trove, "backup/Dockerfile"), `FROM ${upstream.address}/mysql:5.7.29\nARG DATASTORE\nARG DATASTORE_VERSION\nRUN echo "$DATASTORE $DATASTORE_VERSION" > /etc/backup-info\n`);
    // Run DatastoreImages' own scripts, as its command resources would, for the sample pipeline.
    const plan = resolveDatastoreImagesArgs("sample", { registry: { address: target.address, insecure: true }, versions: SAMPLE, troveRelease: "zed", allowUntested: true, troveSourceDir: trove, backupTag: "1.1.0", upstreamRegistry: upstream.address, upstreamInsecure: true });
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: engine.host, REGISTRY_ADDRESS: target.address, REGISTRY_INSECURE: "true" };
    for (const p of plan.plans) {
      const n = p.names(target.address);
      for (const script of [renderMirrorScript(p.source, n.database, true), renderBackupBuildScript(trove, p.spec.datastore, p.spec.version, n.backup, path.join(work, "logs", `${p.spec.datastore}-${p.spec.version}.log`))]) {
        const r = spawnSync("/bin/bash", ["-c", script], { env, encoding: "utf8" });
        if (r.status !== 0) throw new Error(`DatastoreImages script failed: ${r.stderr}`);
      }
    }
  });

  afterAll(async () => {
    await Promise.all([upstream?.stop(), target?.stop(), engine?.stop()]);
  });

  /** Trove's answer for one version, given a guest agent config text. */
  function troveImages(configText: string, datastore: string, version: string): { database: string; backup: string } {
    const file = path.join(work, `guest-${datastore}-${version}.conf`);
    writeFileSync(file, configText);
    return JSON.parse(execFileSync(PYTHON, [TROVE_IMAGES, file, datastore, version], { encoding: "utf8" }));
  }

  function inRegistry(ref: string): boolean {
    return spawnSync("skopeo", ["inspect", "--tls-verify=false", "--raw", `docker://${ref}`], { stdio: "ignore" }).status === 0;
  }

  /** Every version's database and backup image, as Trove names them, that the registry lacks. */
  function missingImages(configText: string): string[] {
    return SAMPLE.flatMap(({ datastore, version }) => Object.values(troveImages(configText, datastore, version)).filter((ref) => !inRegistry(ref)));
  }

  it("holds every image Trove computes from the rendered config", () => {
    const guestConf = renderIni(sampleConfig(target.address).rendered.guestAgentConf);
    expect(troveImages(guestConf, "mysql", "5.7.29")).toEqual({ database: `${target.address}/trove-datastores/mysql:5.7.29`, backup: `${target.address}/trove-datastores/db-backup-mysql5.7:1.1.0` });
    expect(missingImages(guestConf)).toEqual([]);
  });

  it("catches the runbook's config: a tagless MySQL backup image and a [postgres] section", () => {
    const good = renderIni(sampleConfig(target.address).rendered.guestAgentConf);
    const runbook = good.replace(`db-backup-mysql:1.1.0`, "db-backup-mysql").replace("[postgresql]", "[postgres]");
    const missing = missingImages(runbook);
    expect(missing).toContain("postgres:12");
    expect(missing.some((ref) => ref.startsWith("127.0.0.15.7:"))).toBe(true);
  });
});

describe("applying over SSH into existing files", () => {
  let sshd: TestSshd;
  const troveConf = () => path.join(work, "etc/trove.conf");
  const guestConf = () => path.join(work, "etc/trove-guestagent.conf");
  const restartLog = () => path.join(work, "restarts.log");

  beforeAll(async () => {
    sshd = await startSshd(16022);
    mkdirSync(path.join(work, "etc"), { recursive: true });
    writeFileSync(troveConf(), "# Trove API config\n[DEFAULT]\ndebug = True\n# keep this comment\ntransport_url = rabbit://x\n\n[database]\nconnection = mysql+pymysql://trove@db/trove\n");
    writeFileSync(guestConf(), "[DEFAULT]\nlog_file = guest.log\n\n[mysql]\n# tuned by hand\ndocker_image = mysql\ninnodb_buffer_pool_size = 1G\n\n[guest_agent]\ncontainer_registry =\n");
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  function request(registryAddress: string): EditorRequest {
    const { rendered } = sampleConfig(registryAddress);
    return {
      files: [
        { path: troveConf(), sections: rendered.troveConf, restart: [`sh -c 'echo trove-taskmanager >> ${restartLog()}'`] },
        { path: guestConf(), sections: rendered.guestAgentConf, restart: [] },
      ],
      directories: { [path.join(work, "cloudinit")]: { "mysql.cloudinit": "#cloud-config\nntp: {servers: [10.0.0.1]}\n" } },
    };
  }

  function apply(req: EditorRequest) {
    const r = sshd.run(renderApplyCommand(PYTHON), JSON.stringify(req));
    if (r.status !== 0) throw new Error(`apply failed (${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout.trim()) as { changed: string[]; restarted: string[] };
  }

  it("merges the options and keeps every other section, option and comment", () => {
    const result = apply(request("10.0.0.5:4000"));
    expect(result.changed).toEqual([troveConf(), guestConf(), path.join(work, "cloudinit/mysql.cloudinit")]);
    expect(result.restarted).toEqual([`sh -c 'echo trove-taskmanager >> ${restartLog()}'`]);
    expect(readFileSync(restartLog(), "utf8")).toBe("trove-taskmanager\n");
    expect(readFileSync(troveConf(), "utf8")).toBe("# Trove API config\n[DEFAULT]\ndebug = True\n# keep this comment\ntransport_url = rabbit://x\ndocker_insecure_registries = 10.0.0.5:4000\n\n[database]\nconnection = mysql+pymysql://trove@db/trove\n");
    const guest = readFileSync(guestConf(), "utf8");
    expect(guest).toContain("[mysql]\n# tuned by hand\ndocker_image = 10.0.0.5:4000/trove-datastores/mysql\ninnodb_buffer_pool_size = 1G\nbackup_docker_image = 10.0.0.5:4000/trove-datastores/db-backup-mysql:1.1.0\n");
    expect(guest).toContain("[DEFAULT]\nlog_file = guest.log\n");
    expect(guest).toContain("[guest_agent]\ncontainer_registry = 10.0.0.5:4000\ncontainer_registry_username = trove\ncontainer_registry_password = s3cret=#;x\n");
    expect(guest).toContain("[postgresql]\ndocker_image = 10.0.0.5:4000/trove-datastores/postgres\n");
    expect(readFileSync(path.join(work, "cloudinit/mysql.cloudinit"), "utf8")).toContain("ntp:");
  });

  it("changes nothing and restarts nothing on a second run", () => {
    const before = readFileSync(guestConf(), "utf8");
    expect(apply(request("10.0.0.5:4000"))).toEqual({ changed: [], restarted: [] });
    expect(readFileSync(guestConf(), "utf8")).toBe(before);
    expect(readFileSync(restartLog(), "utf8")).toBe("trove-taskmanager\n");
  });

  it("restarts only for the file that changed", () => {
    const req = request("10.0.0.6:4000");
    req.files[0]!.sections = { DEFAULT: { docker_insecure_registries: "10.0.0.5:4000" } }; // trove.conf unchanged
    req.files[1]!.restart = [`sh -c 'echo guest >> ${restartLog()}'`];
    const result = apply(req);
    expect(result.changed).toEqual([guestConf()]);
    expect(readFileSync(restartLog(), "utf8")).toBe("trove-taskmanager\nguest\n");
  });

  it("keeps the password off the command line", () => {
    expect(renderApplyCommand(PYTHON)).not.toContain("s3cret");
  });

  it("writes nothing when a file is missing", () => {
    const req = request("10.0.0.9:4000");
    req.files.push({ path: path.join(work, "etc/missing.conf"), sections: { DEFAULT: { x: "1" } }, restart: [] });
    const before = readFileSync(troveConf(), "utf8");
    const r = sshd.run(renderApplyCommand(PYTHON), JSON.stringify(req));
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`pulumi-trove: missing config file(s) on the controller: ${path.join(work, "etc/missing.conf")}; nothing was changed`);
    expect(readFileSync(troveConf(), "utf8")).toBe(before);
  });
});
