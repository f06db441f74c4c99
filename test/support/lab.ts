// The local OpenStack lab (scripts/lab/lab.sh: real Keystone, Glance and Trove API on 127.0.0.1) for tests: reuse
// the one that runs (CI starts it in .ci/run; a developer runs `npm run lab:up`), or start it and stop it afterwards.
// A lab that cannot start fails the tests with its log; it is never skipped.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..");
const LAB_SH = path.join(ROOT, "scripts", "lab", "lab.sh");

export interface Lab {
  /** The lab directory (`/tmp/pulumi-trove-lab` unless TROVE_LAB_DIR says otherwise). */
  dir: string;
  /** clouds.yaml holding the cloud `trove-lab`. */
  cloudsYaml: string;
  cloud: "trove-lab";
  /** Trove's configuration file (for the configuration-parameters program). */
  troveConf: string;
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

function lab(args: string[]): { status: number; output: string } {
  const r = spawnSync("bash", [LAB_SH, ...args], { encoding: "utf8", env: process.env });
  return { status: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}

/** Returns the running lab, starting it (about 20 s) when it is not running. */
export function ensureLab(): Lab {
  const dir = process.env.TROVE_LAB_DIR ?? "/tmp/pulumi-trove-lab";
  let startedHere = false;
  if (lab(["status"]).status !== 0) {
    const up = lab(["up"]);
    if (up.status !== 0) {
      const logs = ["keystone.log", "glance-api.log", "trove-api.log", "manage.log"].map((f) => path.join(dir, "log", f)).filter(existsSync).map((f) => `--- ${f}\n${readFileSync(f, "utf8").slice(-2000)}`);
      throw new Error(`the OpenStack lab did not start (npm run lab:up):\n${up.output}\n${logs.join("\n")}`);
    }
    startedHere = true;
  }
  const cloudsYaml = path.join(dir, "clouds.yaml");
  const env: NodeJS.ProcessEnv = { ...process.env, OS_CLIENT_CONFIG_FILE: cloudsYaml, OS_CLOUD: "trove-lab" };
  for (const k of Object.keys(env)) if (/^OS_/.test(k) && k !== "OS_CLIENT_CONFIG_FILE" && k !== "OS_CLOUD") delete env[k];
  return {
    dir,
    cloudsYaml,
    cloud: "trove-lab",
    troveConf: path.join(dir, "trove", "trove.conf"),
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

/** Write requests (POST, PUT, PATCH, DELETE) Trove's API has logged so far: what a no-op run must not add to. */
export function troveWriteCount(lab: Lab): number {
  const log = path.join(lab.dir, "log", "trove-api.log");
  if (!existsSync(log)) return 0;
  return readFileSync(log, "utf8").split("\n").filter((line) => /"(POST|PUT|PATCH|DELETE) \/v1\.0\//.test(line)).length;
}
