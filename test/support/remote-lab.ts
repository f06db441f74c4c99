// The production-shaped lab the devstack-lab stack (stacks/Pulumi.devstack-lab.yaml) is applied to: the machines a
// real deployment reaches, each its own OpenSSH server on 127.0.0.1 with its own port, user and host key, under
// one directory (REMOTE_LAB_DIR):
//  - the Trove controller (`controller/`): user ptrove-stack, its trove.conf a copy of the running lab's (so the
//    parameter load reaches the lab's Trove database through its `[database] connection`), a trove-guestagent.conf,
//    and a stand-in `systemctl` that records each restart instead of restarting anything;
//  - the machine `pulumi` runs on, for devstack the controller too: a Trove checkout (`trove/`) whose
//    `integration/scripts/trovestack` is a stand-in that checks its arguments and environment as trovestack
//    build-image reads them and writes a real qcow2 with qemu-img; and the deploy user's HOME (`deploy-home/`).
// With `production` (stacks/Pulumi.production-lab.yaml), two more hosts:
//  - the build host (`build/`): user ptrove-builder, a Trove checkout in its home (`build/home/trove`) with the same
//    stand-in trovestack, and `build/home/images` for the image it builds;
//  - the registry host (`registry-host/`): user ptrove-deploy, in the `docker` group, whose sshd sets DOCKER_HOST
//    (`SetEnv`) to the zed lab's engine, so `docker system dial-stdio` there (what the docker provider and the docker
//    CLI run over `ssh://`) reaches that engine; the engine trusts the registry's certificate, made per run for
//    127.0.0.1, through `/etc/docker/certs.d/127.0.0.1:4443/ca.crt`, as an admin sets up a registry host.
//  The machine `pulumi` runs on reaches the registry host with the system `ssh` (the docker connection helper's): its
//  user's known_hosts (OpenSSH reads the passwd entry's home, not $HOME) gets the host's line, and an ssh-agent of
//  the lab holds the client key; both are taken back by `stop()`.
// The lab's Keystone, Glance, Trove, Docker engine and upstream registry are the running zed lab's (test/support/lab.ts).

import { ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  appendFileSync,
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createHash } from "node:crypto";
import { userInfo } from "node:os";
import * as path from "node:path";
import { stopProcess } from "./registry";
import { startSshd, TestSshd } from "./sshd";

export const REMOTE_LAB_DIR = "/tmp/pulumi-trove-remote-lab";
/** Ports and users as stacks/Pulumi.devstack-lab.yaml names them. */
export const CONTROLLER = { port: 16211, user: "ptrove-stack" } as const;
/** The production shape's hosts, as stacks/Pulumi.production-lab.yaml names them. */
export const BUILD_HOST = { port: 16201, user: "ptrove-builder" } as const;
export const REGISTRY_HOST = { port: 16202, user: "ptrove-deploy" } as const;
/** The TLS registry's port on the registry host. */
export const REGISTRY_PORT = 4443;

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
# Each build's disk differs (as a real one does: timestamps, the checkout's commit), so a rebuild is a new image.
raw="$out.raw"
printf 'stand-in guest image, built %s by %s\\n' "$(date +%s%N)" "$(id -un)" > "$raw"
truncate -s 16M "$raw"
qemu-img convert -q -f raw -O qcow2 "$raw" "$out"
rm -f "$raw"
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
  /** The production shape's hosts, when asked for. */
  production?: ProductionHosts;
  stop(): Promise<void>;
}

/** The build host and the registry host of the production shape. */
export interface ProductionHosts {
  buildHost: TestSshd;
  registryHost: TestSshd;
  /** The Trove checkout on the build host, and where its images go. */
  buildSource: string;
  buildImages: string;
  /** Builds the build host's stand-in trovestack recorded. */
  builds(): string[];
  /** The registry's certificate (self-signed for 127.0.0.1) and key, made for this run. */
  registryCertificate: string;
  registryKey: string;
  /** The registry's storage on the registry host (stacks/Pulumi.production-lab.yaml's storagePath). */
  registryStorage: string;
  /** SSH_AUTH_SOCK of the lab's ssh-agent holding the registry host's client key (the deploy user's agent). */
  agentSocket: string;
  /**
   * Every file under the build host's and the registry host's homes and the registry's storage, with its sha256 (but
   * the stand-in trovestack's record of builds).
   */
  hostFiles(): Record<string, string>;
}

/** Options of {@link startRemoteLab}. */
export interface RemoteLabOptions {
  /** Also start the production shape's build and registry hosts; the registry host's `docker` reaches `dockerHost`. */
  production?: { dockerHost: string };
}

function lines(file: string): string[] {
  return existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l !== "")
    : [];
}

function filesUnder(dir: string, digest = false): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, name);
    if (statSync(file).isFile())
      out[file] = digest ? createHash("sha256").update(readFileSync(file)).digest("hex") : readFileSync(file, "utf8");
  }
  return out;
}

function idsOf(user: string): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync("id", ["-u", user], { encoding: "utf8" })),
    gid: Number(execFileSync("id", ["-g", user], { encoding: "utf8" })),
  };
}

/** The known_hosts of the user running the tests, as OpenSSH finds it (the passwd entry's home). */
function userKnownHosts(): string {
  return path.join(userInfo().homedir, ".ssh", "known_hosts");
}

/** Removes exactly `line` from a known_hosts file (other lines, written meanwhile by others, stay); the file too when it was made here and is left empty. */
function removeKnownHostsLine(file: string, line: string, madeHere: boolean): void {
  if (!existsSync(file)) return;
  const kept = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== line);
  if (madeHere && kept.every((l) => l === "")) rmSync(file);
  else writeFileSync(file, kept.join("\n"));
}

/** Removes a directory made here when nothing else has been put in it. */
function removeIfEmpty(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}

/** Starts the production shape's build host and registry host under `dir`. */
async function startProductionHosts(
  dir: string,
  dockerHost: string,
): Promise<{ hosts: ProductionHosts; stop: () => Promise<void> }> {
  const buildHost = await startSshd(BUILD_HOST.port, { user: BUILD_HOST.user, dir: path.join(dir, "build") });
  const builder = idsOf(BUILD_HOST.user);
  const buildSource = path.join(buildHost.home, "trove");
  const scripts = path.join(buildSource, "integration", "scripts");
  mkdirSync(scripts, { recursive: true });
  writeFileSync(path.join(scripts, "trovestack"), TROVESTACK, { mode: 0o755 });
  const buildImages = path.join(buildHost.home, "images");
  mkdirSync(buildImages);
  for (const p of [
    buildSource,
    path.join(buildSource, "integration"),
    scripts,
    path.join(scripts, "trovestack"),
    buildImages,
  ])
    chownSync(p, builder.uid, builder.gid);

  const socket = dockerHost.replace(/^unix:\/\//, "");
  const registryHost = await startSshd(REGISTRY_HOST.port, {
    user: REGISTRY_HOST.user,
    dir: path.join(dir, "registry-host"),
    groups: ["docker"],
    setEnv: { DOCKER_HOST: `unix://${socket}` },
  });
  const registryStorage = path.join(registryHost.dir, "trove_registry");

  // The registry's certificate, and the engine's trust in it (dockerd reads certs.d at each registry request).
  const tls = path.join(dir, "registry-tls");
  mkdirSync(tls);
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      path.join(tls, "domain.key"),
      "-out",
      path.join(tls, "domain.crt"),
    ],
    { stdio: "ignore" },
  );
  const certsD = `/etc/docker/certs.d/127.0.0.1:${REGISTRY_PORT}`;
  const madeCertsD = !existsSync(path.dirname(certsD));
  mkdirSync(certsD, { recursive: true });
  copyFileSync(path.join(tls, "domain.crt"), path.join(certsD, "ca.crt"));

  // The deploy user's side: the registry host's line in known_hosts, and an agent holding the client key.
  const knownHosts = userKnownHosts();
  const madeKnownHosts = !existsSync(knownHosts);
  const knownLine = `[127.0.0.1]:${REGISTRY_HOST.port} ${registryHost.hostPublicKey}`;
  mkdirSync(path.dirname(knownHosts), { recursive: true, mode: 0o700 });
  appendFileSync(
    knownHosts,
    `${existsSync(knownHosts) && !readFileSync(knownHosts, "utf8").endsWith("\n") && readFileSync(knownHosts, "utf8") !== "" ? "\n" : ""}${knownLine}\n`,
  );
  const agentSocket = path.join(dir, "agent.sock");
  const agent: ChildProcess = spawn("ssh-agent", ["-D", "-a", agentSocket], { stdio: "ignore" });
  for (let i = 0; i < 100 && !existsSync(agentSocket); i++) await new Promise((r) => setTimeout(r, 20));
  execFileSync("ssh-add", ["-q", registryHost.clientKeyFile], {
    env: { ...process.env, SSH_AUTH_SOCK: agentSocket },
    stdio: "ignore",
  });

  const hosts: ProductionHosts = {
    buildHost,
    registryHost,
    buildSource,
    buildImages,
    builds: () => lines(path.join(buildSource, "builds.log")),
    registryCertificate: readFileSync(path.join(tls, "domain.crt"), "utf8"),
    registryKey: readFileSync(path.join(tls, "domain.key"), "utf8"),
    registryStorage,
    agentSocket,
    // The stand-in's own record of builds is the lab's, not the host's.
    hostFiles: () => {
      const files = {
        ...filesUnder(buildHost.home, true),
        ...filesUnder(registryHost.home, true),
        ...filesUnder(registryStorage, true),
      };
      delete files[path.join(buildSource, "builds.log")];
      return files;
    },
  };
  const stop = async () => {
    await stopProcess(agent);
    removeKnownHostsLine(knownHosts, knownLine, madeKnownHosts);
    rmSync(certsD, { recursive: true, force: true });
    if (madeCertsD) removeIfEmpty(path.dirname(certsD));
    await buildHost.stop();
    await registryHost.stop();
  };
  return { hosts, stop };
}

/** Starts the lab's hosts beside the running Trove lab whose trove.conf is `labTroveConf`. */
export async function startRemoteLab(labTroveConf: string, options: RemoteLabOptions = {}): Promise<RemoteLab> {
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
  const production = options.production ? await startProductionHosts(dir, options.production.dockerHost) : undefined;

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
    production: production?.hosts,
    async stop() {
      await production?.stop();
      await controller.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
