// Trove's configuration, checked with each Trove release's own packaged code (the lab's `bin/python3` of Trove 18, 23
// and 26: Debian 12's, 13's and unstable's python3-trove):
// 1. the rendered files load through that release's option definitions (oslo.config) with every value as intended;
// 2. for every datastore version of a sample pipeline, the images that release's guest-agent code computes from the
//    rendered config exist in a real registry after DatastoreImages' scripts ran; a wrong config makes that check fail;
//    on Trove 26 the guest agent's fallback to a shorter backup tag is run against the registry too;
// 3. the files are merged into existing ones over SSH (a throwaway sshd on 127.0.0.1), a second run changes nothing,
//    and the restart commands run only on change.

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync, spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultCatalog, TROVE_RELEASES } from "../../components/catalog/catalog";
import {
  PUBLISH_SCRIPT,
  publishEnvironment,
  resolveDatastoreImagesArgs,
} from "../../components/registry/datastore-images";
import { resolveTroveBackupImage } from "../../components/catalog/image-naming";
import { EditorRequest, renderApplyCommand, renderIni, renderTroveConfig } from "../../components/trove/trove-config";
import { startDockerEngine, TestDockerEngine } from "../support/docker-engine";
import { ensureLab, Lab, labReleases, TroveRelease } from "../support/lab";
import { pushStandIn } from "../../scripts/lab/stand-in-images";
import { startRegistry, TestRegistry } from "../support/registry";
import { startSshd, TestSshd } from "../support/sshd";
import { requireTool } from "../support/tools";

const PYTHON = "/usr/bin/python3";
const TROVE_IMAGES = path.join(__dirname, "../support/trove_images.py");

/**
 * Per release, versions from its support matrix (zed adds MySQL 8.0, outside its CI's lines, to show two MySQL
 * backup images), and how the backup option is written: tagged on Trove 18-20, tagless (one image per version) after.
 */
const SAMPLES: Record<TroveRelease, Array<{ datastore: string; version: string }>> = {
  zed: [
    { datastore: "mysql", version: "5.7.29" },
    { datastore: "mysql", version: "8.0" },
    { datastore: "mariadb", version: "10.4" },
    { datastore: "postgresql", version: "12" },
  ],
  "2025.1": [
    { datastore: "mysql", version: "5.7.29" },
    { datastore: "mariadb", version: "10.4" },
    { datastore: "postgresql", version: "12" },
  ],
  "2026.2": [
    { datastore: "mysql", version: "8.4.3" },
    { datastore: "mariadb", version: "11.4" },
    { datastore: "postgresql", version: "18" },
  ],
};

let work: string;
beforeAll(() => {
  requireTool(PYTHON, "python3 (Debian's, with python3-trove from trove-api)");
  work = mkdtempSync(path.join(tmpdir(), "trove-config-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sampleConfig(registryAddress: string, release: TroveRelease = "zed", extra: object = {}) {
  const plan = resolveDatastoreImagesArgs("sample", {
    registry: { address: registryAddress, insecure: true },
    versions: SAMPLES[release],
    troveRelease: release,
    allowUntested: release === "zed",
    backupCheckout: { dir: "/t" },
    backupTag: "1.1.0",
    ...extra,
  });
  const imageOptions: Record<string, { dockerImage: string; backupDockerImage: string }> = {};
  for (const p of plan.plans) {
    const n = p.names(registryAddress);
    imageOptions[p.spec.datastore] = { dockerImage: n.dockerImageOption, backupDockerImage: n.backupDockerImageOption };
  }
  return {
    plan,
    rendered: renderTroveConfig({
      registryAddress,
      insecure: true,
      username: "trove",
      password: "s3cret=#;x",
      imageOptions,
    }),
  };
}

describe.each(labReleases())("Trove %s's own code reads the rendered config and names the images", (release) => {
  let lab: Lab;
  /** Files the lab's Python reads: inside the lab directory, the one host directory its Trove root sees. */
  let labWork: string;
  let script: string;
  const sample = SAMPLES[release];
  const rules = TROVE_RELEASES[release]!;

  beforeAll(() => {
    lab = ensureLab(release);
    labWork = mkdtempSync(path.join(lab.dir, "trove-config-"));
    script = path.join(labWork, "trove_images.py");
    copyFileSync(TROVE_IMAGES, script);
    const version = execFileSync(
      lab.python,
      ["-c", "import pbr.version; print(pbr.version.VersionInfo('trove').version_string())"],
      { encoding: "utf8" },
    ).trim();
    expect(version.split(".")[0]).toBe(String(rules.troveMajor));
  });
  afterAll(() => {
    if (labWork) rmSync(labWork, { recursive: true, force: true });
    lab?.release();
  });

  it("gives every value as intended, for mysql, mariadb and postgresql", () => {
    const { rendered } = sampleConfig("10.0.0.5:4000", release);
    const troveConf = path.join(labWork, "trove.conf");
    const guestConf = path.join(labWork, "guest.conf");
    writeFileSync(troveConf, renderIni(rendered.troveConf));
    writeFileSync(guestConf, renderIni(rendered.guestAgentConf));
    const read = [
      "import json, sys",
      "from trove.common import cfg",
      "CONF = cfg.CONF",
      "CONF(args=[], project='trove', default_config_files=sys.argv[1:])",
      "out = {'docker_insecure_registries': CONF.docker_insecure_registries, 'guest_agent': {k: CONF.guest_agent[k] for k in ('container_registry', 'container_registry_username', 'container_registry_password')}}",
      "for s in ('mysql', 'mariadb', 'postgresql'): out[s] = {'docker_image': CONF[s].docker_image, 'backup_docker_image': CONF[s].backup_docker_image}",
      "print(json.dumps(out))",
    ].join("\n");
    const got = JSON.parse(execFileSync(lab.python, ["-c", read, troveConf, guestConf], { encoding: "utf8" }));
    const tag = rules.backupImageNaming === "tagged-only" ? ":1.1.0" : "";
    expect(got).toEqual({
      docker_insecure_registries: ["10.0.0.5:4000"],
      guest_agent: {
        container_registry: "10.0.0.5:4000",
        container_registry_username: "trove",
        container_registry_password: "s3cret=#;x",
      },
      mysql: {
        docker_image: "10.0.0.5:4000/trove-datastores/mysql",
        backup_docker_image: `10.0.0.5:4000/trove-datastores/db-backup-mysql${tag}`,
      },
      mariadb: {
        docker_image: "10.0.0.5:4000/trove-datastores/mariadb",
        backup_docker_image: `10.0.0.5:4000/trove-datastores/db-backup-mariadb${tag}`,
      },
      postgresql: {
        docker_image: "10.0.0.5:4000/trove-datastores/postgres",
        backup_docker_image: `10.0.0.5:4000/trove-datastores/db-backup-postgresql${tag}`,
      },
    });
  });

  it("the Swift endpoint: Trove's own swift_client takes swift_url (plus the project) or the catalog's swift_endpoint_type endpoint from the rendered trove.conf", () => {
    // On 2026.2 this is the URL the taskmanager hands the guests for their backups (taskmanager/models.py).
    const urlOf = (swift: { url?: string; endpointType?: string }) => {
      const file = path.join(labWork, "swift.conf");
      writeFileSync(
        file,
        renderIni(
          renderTroveConfig({ registryAddress: "10.0.0.5:4000", insecure: false, imageOptions: {}, swift }).troveConf,
        ),
      );
      const read = [
        "import sys",
        "from trove.common import cfg, clients",
        "from trove.common.context import TroveContext",
        "cfg.CONF(args=[], project='trove', default_config_files=[sys.argv[1]])",
        "catalog = [{'type': 'object-store', 'name': 'swift', 'endpoints': [{'region': 'RegionOne', 'publicURL': 'http://public:8080/v1/AUTH_p1', 'internalURL': 'http://internal:8080/v1/AUTH_p1'}]}]",
        "print(clients.swift_client(TroveContext(project_id='p1', auth_token='t', service_catalog=catalog)).url)",
      ].join("\n");
      return execFileSync(lab.python, ["-c", read, file], { encoding: "utf8" }).trim();
    };
    expect(urlOf({ url: "http://10.0.0.5:8080/v1/AUTH_" })).toBe("http://10.0.0.5:8080/v1/AUTH_p1");
    expect(urlOf({ endpointType: "internalURL" })).toBe("http://internal:8080/v1/AUTH_p1");
    expect(urlOf({})).toBe("http://public:8080/v1/AUTH_p1");
  });

  it("on 2026.2 the guest config's [service_credentials] is deprecated in the release's own option definitions; earlier releases read it", () => {
    const read =
      "from trove.common import cfg\nprint(all(o.deprecated_for_removal for o in cfg.service_credentials_opts if o.name in ('auth_url', 'region_name', 'username', 'password')))";
    expect(execFileSync(lab.python, ["-c", read], { encoding: "utf8" }).trim()).toBe(
      rules.backupImageContract === "swift-preauth" ? "True" : "False",
    );
  });

  describe("what the guest agent pulls exists in the registry", () => {
    let upstream: TestRegistry;
    let target: TestRegistry;
    let engine: TestDockerEngine;
    let trove: string;

    beforeAll(async () => {
      [upstream, target] = await Promise.all([startRegistry(16051), startRegistry(16050)]);
      for (const { datastore, version } of sample)
        pushStandIn(upstream.address, datastore === "postgresql" ? "postgres" : datastore, version);
      engine = await startDockerEngine();
      trove = path.join(work, `trove-${release}`);
      mkdirSync(path.join(trove, "backup"), { recursive: true });
      writeFileSync(
        path.join(trove, "backup/Dockerfile"),
        `FROM ${upstream.address}/${sample[0]!.datastore}:${sample[0]!.version}\nARG DATASTORE\nARG DATASTORE_VERSION\nRUN echo "$DATASTORE $DATASTORE_VERSION" > /etc/backup-info\n`,
      );
      // Run DatastoreImages' own scripts, as its command resources would, for the sample pipeline.
      const { plan } = sampleConfig(target.address, release, {
        backupCheckout: { dir: trove },
        upstreamRegistry: upstream.address,
        upstreamInsecure: true,
      });
      const env = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DOCKER_HOST: engine.host,
        REGISTRY_ADDRESS: target.address,
        REGISTRY_INSECURE: "true",
      };
      for (const p of plan.plans) {
        const n = p.names(target.address);
        const vars = {
          ...publishEnvironment("it", plan, p, n),
          BACKUP_LOG: path.join(work, "logs", `${release}-${p.spec.datastore}-${p.spec.version}.log`),
        };
        const r = spawnSync("/bin/bash", ["-c", PUBLISH_SCRIPT], { env: { ...env, ...vars }, encoding: "utf8" });
        if (r.status !== 0) throw new Error(`DatastoreImages' publish script failed: ${r.stderr}`);
      }
    }, 300_000);

    afterAll(async () => {
      await Promise.all([upstream?.stop(), target?.stop(), engine?.stop()]);
    });

    /** Trove's answer for one version, given a guest agent config text. */
    function troveImages(
      configText: string,
      datastore: string,
      version: string,
    ): { database: string; backup: string | null } {
      const file = path.join(labWork, `guest-${datastore}-${version}.conf`);
      writeFileSync(file, configText);
      return JSON.parse(execFileSync(lab.python, [script, file, datastore, version], { encoding: "utf8" }));
    }

    function inRegistry(ref: string): boolean {
      return (
        spawnSync("skopeo", ["inspect", "--tls-verify=false", "--raw", `docker://${ref}`], { stdio: "ignore" })
          .status === 0
      );
    }

    /** Every version's database and backup image, as Trove names them, that the registry lacks. */
    function missingImages(configText: string): string[] {
      return sample.flatMap(({ datastore, version }) =>
        Object.values(troveImages(configText, datastore, version))
          .map((ref) => ref ?? `(no backup image for ${datastore} ${version})`)
          .filter((ref) => !inRegistry(ref)),
      );
    }

    it("holds every image Trove computes from the rendered config, under the names image-naming.ts gives", () => {
      const { plan, rendered } = sampleConfig(target.address, release);
      const guestConf = renderIni(rendered.guestAgentConf);
      for (const p of plan.plans) {
        const n = p.names(target.address);
        expect(troveImages(guestConf, p.spec.datastore, p.spec.version)).toEqual({
          database: n.database,
          backup: n.backup,
        });
      }
      expect(missingImages(guestConf)).toEqual([]);
    });

    it("catches the runbook's config: a tagless MySQL backup image (broken on Trove 18-20 only) and a [postgres] section", () => {
      const good = renderIni(sampleConfig(target.address, release).rendered.guestAgentConf);
      const runbook = good.replace(/(db-backup-mysql)(:1\.1\.0)?\n/, "$1\n").replace("[postgresql]", "[postgres]");
      const missing = missingImages(runbook);
      expect(missing.some((ref) => ref.startsWith("postgres:"))).toBe(true);
      expect(
        missing.some((ref) => ref.startsWith(`127.0.0.1${sample[0]!.version.split(".").slice(0, 2).join(".")}:`)),
      ).toBe(rules.backupImageNaming === "tagged-only");
    });

    it("finds a backup image under a shorter tag only where the release falls back to one (Trove 26)", () => {
      // Publish the MariaDB backup image as `:11.8` only, and ask for version 11.8.2.
      const option = `${target.address}/trove-datastores/db-backup-mariadb`;
      const r = spawnSync(
        "skopeo",
        [
          "copy",
          "--src-tls-verify=false",
          "--dest-tls-verify=false",
          `docker://${upstream.address}/${sample[0]!.datastore}:${sample[0]!.version}`,
          `docker://${option}:11.8`,
        ],
        { encoding: "utf8" },
      );
      if (r.status !== 0) throw new Error(`skopeo copy failed: ${r.stderr}`);
      const conf = `[mariadb]\ndocker_image = ${target.address}/trove-datastores/mariadb\nbackup_docker_image = ${option}\n`;
      const trove = troveImages(conf, "mariadb", "11.8.2").backup;
      if (rules.backupImageNaming === "version-tag-fallback") {
        expect(trove).toBe(`${option}:11.8`);
        expect(resolveTroveBackupImage(option, defaultCatalog.get("mariadb"), "11.8.2", rules, inRegistry)).toBe(trove);
      } else {
        // Trove 21-25 pull the exact tag, which the registry lacks; Trove 18-20 pull the tagless option (`:latest`).
        expect(trove).toBe(rules.backupImageNaming === "version-tag" ? `${option}:11.8.2` : option);
        expect(inRegistry(trove!)).toBe(false);
        expect(
          resolveTroveBackupImage(option, defaultCatalog.get("mariadb"), "11.8.2", rules, inRegistry),
        ).toBeUndefined();
      }
    });
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
    writeFileSync(
      troveConf(),
      "# Trove API config\n[DEFAULT]\ndebug = True\n# keep this comment\ntransport_url = rabbit://x\n\n[database]\nconnection = mysql+pymysql://trove@db/trove\n",
    );
    writeFileSync(
      guestConf(),
      "[DEFAULT]\nlog_file = guest.log\n\n[mysql]\n# tuned by hand\ndocker_image = mysql\ninnodb_buffer_pool_size = 1G\n\n[guest_agent]\ncontainer_registry =\n",
    );
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  function request(registryAddress: string): EditorRequest {
    const { rendered } = sampleConfig(registryAddress);
    return {
      files: [
        {
          path: troveConf(),
          sections: rendered.troveConf,
          restart: [`sh -c 'echo trove-taskmanager >> ${restartLog()}'`],
        },
        { path: guestConf(), sections: rendered.guestAgentConf, restart: [] },
      ],
      directories: {
        [path.join(work, "cloudinit")]: { "mysql.cloudinit": "#cloud-config\nntp: {servers: [10.0.0.1]}\n" },
      },
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
    expect(readFileSync(troveConf(), "utf8")).toBe(
      "# Trove API config\n[DEFAULT]\ndebug = True\n# keep this comment\ntransport_url = rabbit://x\ndocker_insecure_registries = 10.0.0.5:4000\n\n[database]\nconnection = mysql+pymysql://trove@db/trove\n",
    );
    const guest = readFileSync(guestConf(), "utf8");
    expect(guest).toContain(
      "[mysql]\n# tuned by hand\ndocker_image = 10.0.0.5:4000/trove-datastores/mysql\ninnodb_buffer_pool_size = 1G\nbackup_docker_image = 10.0.0.5:4000/trove-datastores/db-backup-mysql:1.1.0\n",
    );
    expect(guest).toContain("[DEFAULT]\nlog_file = guest.log\n");
    expect(guest).toContain(
      "[guest_agent]\ncontainer_registry = 10.0.0.5:4000\ncontainer_registry_username = trove\ncontainer_registry_password = s3cret=#;x\n",
    );
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
    expect(r.stderr).toContain(
      `pulumi-trove: missing config file(s) on the controller: ${path.join(work, "etc/missing.conf")}; nothing was changed`,
    );
    expect(readFileSync(troveConf(), "utf8")).toBe(before);
  });

  it("a datastore retired entirely (its versions kept in Trove, none listed): the next apply, without its section, leaves its image options as written and restarts nothing", () => {
    // What the pipeline does on the up that takes mysql out of `versions` while a database still uses a mysql version:
    // TroveConfig's imageOptions are DatastoreImages' (the listed datastores only), so the apply that follows has no
    // [mysql] section, and the editor, which sets only what it is given, leaves the one it wrote before untouched.
    const etc = path.join(work, "etc-retired");
    mkdirSync(etc, { recursive: true });
    const guest = path.join(etc, "guest.conf");
    writeFileSync(path.join(etc, "trove.conf"), "[DEFAULT]\ndebug = True\n");
    writeFileSync(guest, "[DEFAULT]\nlog_file = guest.log\n");
    const requestFor = (versions: Array<{ datastore: string; version: string }>): EditorRequest => {
      const { rendered } = sampleConfig("10.0.0.5:4000", "zed", { versions });
      return {
        files: [
          {
            path: path.join(etc, "trove.conf"),
            sections: rendered.troveConf,
            restart: [`sh -c 'echo retired-trove >> ${restartLog()}'`],
          },
          {
            path: guest,
            sections: rendered.guestAgentConf,
            restart: [`sh -c 'echo retired-guest >> ${restartLog()}'`],
          },
        ],
        directories: {},
      };
    };
    const all = SAMPLES.zed;
    expect(requestFor(all).files[1]!.sections.mysql).toBeDefined();
    apply(requestFor(all));
    const written = readFileSync(guest, "utf8");
    const mysqlSection = /\[mysql\]\n(?:[^[]*\n)?/.exec(written)![0];
    expect(mysqlSection).toBe(
      "[mysql]\ndocker_image = 10.0.0.5:4000/trove-datastores/mysql\nbackup_docker_image = 10.0.0.5:4000/trove-datastores/db-backup-mysql:1.1.0\n\n",
    );
    const restarts = readFileSync(restartLog(), "utf8");

    const withoutMysql = requestFor(all.filter((v) => v.datastore !== "mysql"));
    expect(withoutMysql.files[1]!.sections.mysql).toBeUndefined();
    expect(apply(withoutMysql)).toEqual({ changed: [], restarted: [] });
    expect(readFileSync(guest, "utf8")).toBe(written);
    expect(readFileSync(restartLog(), "utf8")).toBe(restarts);
  });

  it("destroy's remove takes the applied options out again: the files as they were before the first apply, and the restart run", () => {
    const etc = path.join(work, "etc-destroy");
    mkdirSync(etc, { recursive: true });
    const originals = {
      [path.join(etc, "trove.conf")]: "[DEFAULT]\ndebug = True\n\n[database]\nconnection = x\n",
      [path.join(etc, "guest.conf")]: "[DEFAULT]\nlog_file = guest.log\n",
    };
    for (const [file, text] of Object.entries(originals)) writeFileSync(file, text);
    const { rendered } = sampleConfig("10.0.0.5:4000");
    const cloudinit = path.join(work, "cloudinit-destroy");
    const req: EditorRequest = {
      files: [
        {
          path: path.join(etc, "trove.conf"),
          sections: rendered.troveConf,
          restart: [`sh -c 'echo destroyed >> ${restartLog()}'`],
        },
        { path: path.join(etc, "guest.conf"), sections: rendered.guestAgentConf, restart: [] },
      ],
      directories: { [cloudinit]: { "mysql.cloudinit": "#cloud-config\n" } },
    };
    apply(req);
    const restartsBefore = readFileSync(restartLog(), "utf8");
    const r = sshd.run(renderApplyCommand(PYTHON, "remove"), JSON.stringify(req));
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({
      changed: [path.join(etc, "trove.conf"), path.join(etc, "guest.conf"), path.join(cloudinit, "mysql.cloudinit")],
      restarted: [`sh -c 'echo destroyed >> ${restartLog()}'`],
    });
    for (const [file, text] of Object.entries(originals)) expect(readFileSync(file, "utf8")).toBe(text);
    expect(existsSync(path.join(cloudinit, "mysql.cloudinit"))).toBe(false);
    expect(readFileSync(restartLog(), "utf8")).toBe(`${restartsBefore}destroyed\n`);
    // A second remove finds nothing to take out.
    expect(JSON.parse(sshd.run(renderApplyCommand(PYTHON, "remove"), JSON.stringify(req)).stdout.trim())).toEqual({
      changed: [],
      restarted: [],
    });
  });
});
