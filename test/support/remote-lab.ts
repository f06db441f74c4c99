// The production-shaped lab the devstack-lab stack (stacks/Pulumi.devstack-lab.yaml) is applied to: the machines a
// real deployment reaches, each its own OpenSSH server on 127.0.0.1 with its own port, user and host key, under
// one directory (REMOTE_LAB_DIR):
//  - the Trove controller (`controller/`): user ptrove-stack, its trove.conf a copy of the running lab's (so the
//    parameter load reaches the lab's Trove database through its `[database] connection`), a trove-guestagent.conf,
//    and a stand-in `systemctl` that records each restart instead of restarting anything;
//  - the machine `pulumi` runs on, for devstack the controller too: a Trove checkout (`trove/`) whose
//    `integration/scripts/trovestack` is a stand-in that checks its arguments and environment as trovestack
//    build-image reads them and writes a real qcow2 with qemu-img; and the deploy user's HOME (`deploy-home/`).
// The lab's Keystone, Glance, Trove, Docker engine and upstream registry are the running zed lab's (test/support/lab.ts).

import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { startSshd, TestSshd } from "./sshd";

export const REMOTE_LAB_DIR = "/tmp/pulumi-trove-remote-lab";
/** Ports and users as stacks/Pulumi.devstack-lab.yaml names them. */
export const CONTROLLER = { port: 16211, user: "ptrove-stack" } as const;

/** The stand-in trovestack: refuses what the real `trovestack build-image` would not take, then writes a qcow2. */
const TROVESTACK = `#!/bin/bash
# Stand-in for trovestack build-image (integration/scripts/trovestack): checks its arguments and environment as the
# real one reads them (cmd_build_image: guest OS, release, dev mode, guest user name, output path; dev mode takes the
# controller user from HOST_SCP_USERNAME), records each build, and writes a real (small) qcow2 with qemu-img.
set -eu
fail() { echo "trovestack stand-in: $*" >&2; exit 2; }
[ "$#" -eq 6 ] || fail "expected: build-image <guest-os> <guest-release> <dev-mode> <guest-username> <output>; got $#: $*"
[ "$1" = build-image ] || fail "unknown command $1"
[ "$2" = ubuntu ] || fail "guest OS $2: only ubuntu is built"
case "$3" in focal|jammy|noble) ;; *) fail "guest release $3 unknown";; esac
case "$4" in true|false) ;; *) fail "dev mode must be true or false, not $4";; esac
[ -n "$5" ] || fail "guest user name empty"
out=$6
case "$out" in /*) ;; *) fail "output path $out is not absolute";; esac
[ -d "$(dirname "$out")" ] || fail "output directory $(dirname "$out") does not exist"
[ "$(basename "$PWD")" = scripts ] || fail "run from integration/scripts (it sources ./functions), not $PWD"
if [ "$4" = true ]; then [ -n "\${HOST_SCP_USERNAME:-}" ] || fail "dev mode without HOST_SCP_USERNAME"; fi
case ",\${DIB_CLOUD_INIT_DATASOURCES:-ConfigDrive, OpenStack}," in *OpenStack*) ;; *) fail "DIB_CLOUD_INIT_DATASOURCES lacks OpenStack";; esac
printf '%s %s\\n' "$*" "HOST_SCP_USERNAME=\${HOST_SCP_USERNAME:-}" >> "$(dirname "$0")/../../builds.log"
echo "diskimage-builder: building $out"
qemu-img create -q -f qcow2 "$out" 16M
`;

/** The stand-in systemctl on the controller: records `restart <unit>` in restarts.log. */
const SYSTEMCTL = `#!/bin/bash
set -eu
[ "$1" = restart ] || { echo "systemctl stand-in: only restart" >&2; exit 2; }
printf '%s\\n' "$*" >> "$(dirname "$0")/../restarts.log"
`;

export interface RemoteLab {
  dir: string;
  controller: TestSshd;
  /** The controller's trove.conf and trove-guestagent.conf. */
  troveConf: string;
  guestAgentConf: string;
  /** The Trove checkout where pulumi runs, and the deploy user's HOME. */
  troveSource: string;
  deployHome: string;
  /** Lines the stand-ins recorded: builds (trovestack) and restarts (systemctl). */
  builds(): string[];
  restarts(): string[];
  /** What a stack may change on the hosts: every file under the controller's etc/ and home, with its content. */
  hostFiles(): Record<string, string>;
  stop(): Promise<void>;
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l !== "") : [];
}

function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, name);
    if (statSync(file).isFile()) out[file] = readFileSync(file, "utf8");
  }
  return out;
}

/** Starts the lab's hosts beside the running Trove lab whose trove.conf is `labTroveConf`. */
export async function startRemoteLab(labTroveConf: string): Promise<RemoteLab> {
  const dir = REMOTE_LAB_DIR;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);

  const controller = await startSshd(CONTROLLER.port, { user: CONTROLLER.user, dir: path.join(dir, "controller") });
  const uid = Number(execFileSync("id", ["-u", CONTROLLER.user], { encoding: "utf8" }));
  const gid = Number(execFileSync("id", ["-g", CONTROLLER.user], { encoding: "utf8" }));
  const etc = path.join(controller.dir, "etc", "trove");
  mkdirSync(etc, { recursive: true });
  const troveConf = path.join(etc, "trove.conf");
  const guestAgentConf = path.join(etc, "trove-guestagent.conf");
  copyFileSync(labTroveConf, troveConf);
  writeFileSync(guestAgentConf, "[DEFAULT]\n");
  for (const p of [etc, troveConf, guestAgentConf]) chownSync(p, uid, gid);
  const bin = path.join(controller.dir, "bin");
  mkdirSync(bin);
  writeFileSync(path.join(bin, "systemctl"), SYSTEMCTL, { mode: 0o755 });
  writeFileSync(path.join(controller.dir, "restarts.log"), "");
  chownSync(path.join(controller.dir, "restarts.log"), uid, gid);

  const troveSource = path.join(dir, "trove");
  mkdirSync(path.join(troveSource, "integration", "scripts"), { recursive: true });
  writeFileSync(path.join(troveSource, "integration", "scripts", "trovestack"), TROVESTACK, { mode: 0o755 });
  const deployHome = path.join(dir, "deploy-home");
  mkdirSync(path.join(deployHome, "images"), { recursive: true });

  return {
    dir,
    controller,
    troveConf,
    guestAgentConf,
    troveSource,
    deployHome,
    builds: () => lines(path.join(troveSource, "builds.log")),
    restarts: () => lines(path.join(controller.dir, "restarts.log")),
    hostFiles: () => ({ ...filesUnder(etc), ...filesUnder(controller.home) }),
    async stop() {
      await controller.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
