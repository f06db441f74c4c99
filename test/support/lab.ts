// The local OpenStack lab (scripts/lab/lab.sh: real Keystone, Glance and Trove API on 127.0.0.1) for tests: reuse
// the one that runs (CI starts it in .ci/run; a developer runs `npm run lab:up`), or start it and stop it afterwards.
// One lab per Trove release (zed, 2025.1, 2026.2), each in its own directory and on its own ports, so tests can prove
// the same behaviour against every release. A lab that cannot start fails the tests with its log; it is never skipped.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..");
const LAB_SH = path.join(ROOT, "scripts", "lab", "lab.sh");

/** The Trove releases the lab runs: Debian 12's Trove 18, Debian 13's Trove 23, Debian unstable's Trove 26. */
export const TROVE_RELEASES = ["zed", "2025.1", "2026.2"] as const;
export type TroveRelease = (typeof TROVE_RELEASES)[number];

/**
 * The releases the real-service tests prove against: TROVE_LAB_RELEASES (comma-separated), else all of them in CI,
 * else the default lab's (TROVE_LAB_RELEASE, or zed) alone, so a developer needs no release roots.
 */
export function labReleases(env: NodeJS.ProcessEnv = process.env): TroveRelease[] {
  const asked = env.TROVE_LAB_RELEASES?.split(",")
    .map((r) => r.trim())
    .filter((r) => r !== "");
  const releases =
    asked && asked.length > 0 ? asked : env.CI === "true" ? [...TROVE_RELEASES] : [env.TROVE_LAB_RELEASE ?? "zed"];
  for (const r of releases)
    if (!(TROVE_RELEASES as readonly string[]).includes(r))
      throw new Error(`TROVE_LAB_RELEASES: ${r} is not one of ${TROVE_RELEASES.join(", ")}`);
  return releases as TroveRelease[];
}

export interface Lab {
  /** The Trove release it runs. */
  troveRelease: TroveRelease;
  /** The lab directory (`/tmp/pulumi-trove-lab` unless TROVE_LAB_DIR says otherwise). */
  dir: string;
  /** clouds.yaml holding the cloud `trove-lab`. */
  cloudsYaml: string;
  cloud: "trove-lab";
  /** Trove's configuration file (for the configuration-parameters program). */
  troveConf: string;
  /** A Python that imports this release's Trove (its root filesystem's, for the newer releases). */
  python: string;
  /** This release's Trove templates directory (`<datastore>/validation-rules.json`) on this machine. */
  troveTemplates: string;
  /** Trove's API port on 127.0.0.1. */
  trovePort: number;
  /** Environment for an OpenStack client: OS_CLIENT_CONFIG_FILE and OS_CLOUD. */
  env: NodeJS.ProcessEnv;
  /** Runs the `openstack` CLI against the lab; returns stdout, throws with stderr. */
  openstack(args: string[]): string;
  /** Value for DOCKER_HOST: the lab's private Docker engine. */
  dockerHost: string;
  /** Stops or starts one service, keeping its data. */
  service(action: "stop" | "start", name: "keystone" | "glance" | "trove" | "upstream" | "docker"): void;
  /** Stops the lab if this process started it. */
  release(): void;
}

/** lab.sh's environment for a release: TROVE_LAB_DIR and TROVE_LAB_PORT_OFFSET apply to TROVE_LAB_RELEASE's lab only. */
function labEnv(release: TroveRelease): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TROVE_LAB_RELEASE: release };
  if (release !== (process.env.TROVE_LAB_RELEASE ?? "zed")) {
    delete env.TROVE_LAB_DIR;
    delete env.TROVE_LAB_PORT_OFFSET;
  }
  return env;
}

function labDir(release: TroveRelease): string {
  return (
    labEnv(release).TROVE_LAB_DIR ?? (release === "zed" ? "/tmp/pulumi-trove-lab" : `/tmp/pulumi-trove-lab-${release}`)
  );
}

/** The settings lab.sh recorded when it started the lab (lab.env: RELEASE, OFFSET, DB, ROOT). */
function recordedSettings(dir: string): Record<string, string> {
  const file = path.join(dir, "lab.env");
  if (!existsSync(file)) return {};
  return Object.fromEntries(
    readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => {
        const [k, ...v] = l.split("=");
        const value = v.join("=");
        return [k!, value === "''" ? "" : value];
      }),
  );
}

/** Returns the running lab of a release (default: TROVE_LAB_RELEASE, or zed), starting it (about 25 s) when it is not running. */
export function ensureLab(
  release: TroveRelease = (process.env.TROVE_LAB_RELEASE as TroveRelease | undefined) ?? "zed",
): Lab {
  const lab = (args: string[]): { status: number; output: string } => {
    const r = spawnSync("bash", [LAB_SH, ...args], { encoding: "utf8", env: labEnv(release) });
    return { status: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
  };
  const dir = labDir(release);
  let startedHere = false;
  if (lab(["status"]).status !== 0) {
    const up = lab(["up"]);
    if (up.status !== 0) {
      const logs = [
        "keystone.log",
        "keystone-uwsgi.log",
        "glance-api.log",
        "glance-stdout.log",
        "trove-api.log",
        "manage.log",
        "mariadb.log",
      ]
        .map((f) => path.join(dir, "log", f))
        .filter(existsSync)
        .map((f) => `--- ${f}\n${readFileSync(f, "utf8").slice(-2000)}`);
      throw new Error(
        `the OpenStack lab (Trove ${release}) did not start (TROVE_LAB_RELEASE=${release} npm run lab:up):\n${up.output}\n${logs.join("\n")}`,
      );
    }
    startedHere = true;
  }
  const cloudsYaml = path.join(dir, "clouds.yaml");
  const env: NodeJS.ProcessEnv = { ...process.env, OS_CLIENT_CONFIG_FILE: cloudsYaml, OS_CLOUD: "trove-lab" };
  for (const k of Object.keys(env))
    if (/^OS_/.test(k) && k !== "OS_CLIENT_CONFIG_FILE" && k !== "OS_CLOUD") delete env[k];
  const settings = recordedSettings(dir);
  const root = settings.ROOT ?? "";
  return {
    troveRelease: release,
    dir,
    cloudsYaml,
    cloud: "trove-lab",
    troveConf: path.join(dir, "trove", "trove.conf"),
    python: existsSync(path.join(dir, "bin", "python3")) ? path.join(dir, "bin", "python3") : "/usr/bin/python3",
    troveTemplates: path.join(root, "/usr/lib/python3/dist-packages/trove/templates"),
    trovePort: 8779 + Number(settings.OFFSET ?? 0),
    dockerHost: `unix://${path.join(dir, "docker", "docker.sock")}`,
    env,
    openstack: (args) => execFileSync("openstack", args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
    service: (action, name) => {
      const r = lab([action, name]);
      if (r.status !== 0) throw new Error(`lab.sh ${action} ${name} failed: ${r.output}`);
    },
    release: () => {
      if (startedHere) lab(["down"]);
    },
  };
}

/**
 * The templates directory (`<datastore>/validation-rules.json`) of a release's packaged Trove, without starting its
 * lab: zed's is the host's; a newer one is in the root filesystem its lab recorded, or else the one lab.sh cached. So a
 * lab of one release can be given another release's real rules files. Throws, saying how to make it, when absent.
 */
export function releaseTemplates(release: TroveRelease): string {
  const inRoot = (root: string) => path.join(root, "/usr/lib/python3/dist-packages/trove/templates");
  if (release === "zed") return inRoot("/");
  const recorded = recordedSettings(labDir(release)).ROOT;
  if (recorded && existsSync(inRoot(recorded))) return inRoot(recorded);
  const cache = path.join(process.env.TROVE_LAB_ROOT_CACHE ?? "/var/cache/pulumi-trove-lab", "roots");
  const found = existsSync(cache)
    ? readdirSync(cache).filter((d) => d.startsWith(`${release}-`) && existsSync(inRoot(path.join(cache, d))))
    : [];
  if (found.length === 0)
    throw new Error(
      `no packaged Trove of ${release} here: start its lab once (TROVE_LAB_RELEASE=${release} npm run lab:up) to make its root under ${cache}`,
    );
  return inRoot(path.join(cache, found.sort().pop()!));
}

/** Write requests (POST, PUT, PATCH, DELETE) Trove's API has logged so far: what a no-op run must not add to. */
export function troveWriteCount(lab: Lab): number {
  const log = path.join(lab.dir, "log", "trove-api.log");
  if (!existsSync(log)) return 0;
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((line) => /"(POST|PUT|PATCH|DELETE) \/v1\.0\//.test(line)).length;
}

/**
 * A datastore version's configuration parameters as Trove lists them (the openstack CLI), beside the number of rules in
 * the release's own `validation-rules.json` of that datastore: equal once the rules are loaded in full.
 */
export function loadedParameters(lab: Lab, datastore: string, version: string): { listed: number; rules: number } {
  const rules = (
    JSON.parse(readFileSync(path.join(lab.troveTemplates, datastore, "validation-rules.json"), "utf8")) as {
      "configuration-parameters": unknown[];
    }
  )["configuration-parameters"].length;
  const listed = (
    JSON.parse(
      lab.openstack([
        "database",
        "configuration",
        "parameter",
        "list",
        version,
        "--datastore",
        datastore,
        "-f",
        "json",
      ]),
    ) as unknown[]
  ).length;
  return { listed, rules };
}
