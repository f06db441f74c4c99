// A throwaway OpenSSH server on 127.0.0.1 for tests: its own host key, config and authorized key in a temp dir,
// run in the foreground (-D) as a child process and stopped by PID.

import { ChildProcess, execFileSync, spawn, spawnSync, SpawnSyncReturns } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stopProcess, waitForPort } from "./registry";
import { requireTool } from "./tools";

export interface TestSshd {
  port: number;
  /** The client's private key (OpenSSH PEM), as a Pulumi program would pass it. */
  privateKey: string;
  /** The server's host key, as a known_hosts line would carry it (`ssh-ed25519 AAAA…`). */
  hostPublicKey: string;
  /** Runs `command` over SSH as root, as @pulumi/command's remote.Command would: the command line, and stdin. */
  run(command: string, stdin?: string): SpawnSyncReturns<string>;
  stop(): Promise<void>;
}

export async function startSshd(port: number): Promise<TestSshd> {
  requireTool("/usr/sbin/sshd", "openssh-server");
  requireTool("ssh", "openssh-client");
  const dir = mkdtempSync(path.join(tmpdir(), "sshd-"));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "host_key")]);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "client_key")]);
  writeFileSync(path.join(dir, "authorized_keys"), readFileSync(path.join(dir, "client_key.pub")));
  writeFileSync(
    path.join(dir, "sshd_config"),
    [
      `ListenAddress 127.0.0.1:${port}`,
      `HostKey ${dir}/host_key`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      `PidFile ${dir}/sshd.pid`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      "",
    ].join("\n"),
  );
  // sshd insists on its privilege-separation directory.
  spawnSync("mkdir", ["-p", "/run/sshd"]);
  // Logs go to a file: a pipe nobody reads while a test blocks in spawnSync would stall sshd.
  const logFd = openSync(path.join(dir, "sshd.log"), "a");
  const child: ChildProcess = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", path.join(dir, "sshd_config")], { stdio: ["ignore", logFd, logFd] });
  closeSync(logFd);
  try {
    await waitForPort(port);
  } catch (error) {
    throw new Error(`sshd did not start: ${readFileSync(path.join(dir, "sshd.log"), "utf8")}`, { cause: error });
  }
  const sshArgs = ["-i", path.join(dir, "client_key"), "-p", String(port), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", `UserKnownHostsFile=${dir}/known_hosts`, "-o", "LogLevel=ERROR", "root@127.0.0.1"];
  return {
    port,
    privateKey: readFileSync(path.join(dir, "client_key"), "utf8"),
    hostPublicKey: readFileSync(path.join(dir, "host_key.pub"), "utf8").split(" ").slice(0, 2).join(" "),
    run: (command, stdin) => spawnSync("ssh", [...sshArgs, command], { input: stdin ?? "", encoding: "utf8" }),
    async stop() {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
