// A private Docker engine for tests: dockerd with its own data root and socket, vfs storage, no bridge and no
// iptables changes (so nothing outside loopback is touched), stopped by PID with its leftovers unmounted.

import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stopProcess } from "./registry";
import { requireTool } from "./tools";

/** The docker client: Debian's /usr/bin/docker, which matches Debian's engine, or else the one on PATH. */
export const DOCKER_CLIENT = existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker";

export interface TestDockerEngine {
  /** Value for DOCKER_HOST. */
  host: string;
  /** Runs the Debian docker client against this engine. */
  docker(args: string[], input?: string): string;
  stop(): Promise<void>;
}

export async function startDockerEngine(): Promise<TestDockerEngine> {
  requireTool("dockerd", "docker.io");
  const dir = mkdtempSync(path.join(tmpdir(), "dockerd-"));
  for (const d of ["root", "exec"]) mkdirSync(path.join(dir, d));
  const socket = path.join(dir, "docker.sock");
  const child: ChildProcess = spawn(
    "dockerd",
    [
      "--data-root",
      path.join(dir, "root"),
      "--exec-root",
      path.join(dir, "exec"),
      "--pidfile",
      path.join(dir, "dockerd.pid"),
      "-H",
      `unix://${socket}`,
      "--storage-driver=vfs",
      "--iptables=false",
      "--ip6tables=false",
      "--bridge=none",
      "--ip-masq=false",
    ],
    { stdio: "ignore" },
  );
  const host = `unix://${socket}`;
  const docker = (args: string[], input?: string) =>
    execFileSync(DOCKER_CLIENT, args, {
      env: { ...process.env, DOCKER_HOST: host },
      encoding: "utf8",
      input,
      stdio: ["pipe", "pipe", "pipe"],
    });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      docker(["info", "--format", "{{.ServerVersion}}"]);
      break;
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`dockerd did not start: ${String(error)}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return {
    host,
    docker,
    async stop() {
      await stopProcess(child);
      spawnSync("umount", [path.join(dir, "exec/netns/default")], { stdio: "ignore" });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
