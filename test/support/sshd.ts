// A throwaway OpenSSH server on 127.0.0.1 for tests: its own host key, config and authorized key in a temp dir,
// run in the foreground (-D) as a child process and stopped by PID. By default it logs in root and accepts no
// environment (sshd's compiled-in AcceptEnv is empty; Debian's packaged sshd_config adds LANG LC_*); a lab host can
// name its own user (made with useradd, removed when the server stops) and the names its AcceptEnv lists.

import { ChildProcess, execFileSync, spawn, spawnSync, SpawnSyncReturns } from "node:child_process";
import {
  chmodSync,
  chownSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stopProcess, waitForPort } from "./registry";
import { requireTool } from "./tools";

export interface SshdOptions {
  /**
   * The login user. Default: root. Another name is made with `useradd` (home `<dir>/home`, shell /bin/bash) unless it
   * exists, and removed again by `stop()` when this server made it.
   */
  user?: string;
  /** sshd's AcceptEnv patterns. Default: none, as sshd's own default. */
  acceptEnv?: string[];
  /** The server's directory (made if missing, removed by `stop()`). Default: a new temp dir. */
  dir?: string;
  /** Supplementary groups of a user this server makes (`useradd -G`), e.g. `docker` for a Docker engine's socket. */
  groups?: string[];
  /** Variables sshd sets in every session (sshd_config `SetEnv`, OpenSSH 7.8+), as a host's own configuration would. */
  setEnv?: Record<string, string>;
}

export interface TestSshd {
  port: number;
  /** The login user. */
  user: string;
  /** The user's home directory on this "host". */
  home: string;
  /** The server's own directory (config, keys, log). */
  dir: string;
  /** The client's private key (OpenSSH PEM), as a Pulumi program would pass it. */
  privateKey: string;
  /** The server's host key, as a known_hosts line would carry it (`ssh-ed25519 AAAA…`). */
  hostPublicKey: string;
  /** The sshd process's PID. */
  readonly pid: number;
  /** Runs `command` over SSH as the login user, as @pulumi/command's remote.Command would: the command line, and stdin. */
  run(command: string, stdin?: string): SpawnSyncReturns<string>;
  /** Restarts the server (same port, user and client key) with a new host key; returns the new public key. */
  rotateHostKey(): Promise<string>;
  /** Replaces the authorized client key with a new one; returns the new private key (the old one is refused). */
  rotateClientKey(): string;
  /** The client key's file (mode 0600), for an `ssh-add` or `ssh -i`. */
  readonly clientKeyFile: string;
  /** Logins this server has accepted so far (`Accepted publickey for <user>` in its log). */
  logins(): number;
  stop(): Promise<void>;
}

function keygen(file: string): void {
  rmSync(file, { force: true });
  rmSync(`${file}.pub`, { force: true });
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", file]);
}

function userExists(user: string): boolean {
  return spawnSync("getent", ["passwd", user]).status === 0;
}

export async function startSshd(port: number, options: SshdOptions = {}): Promise<TestSshd> {
  requireTool("/usr/sbin/sshd", "openssh-server");
  requireTool("ssh", "openssh-client");
  const user = options.user ?? "root";
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), "sshd-"));
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  let home = "/root";
  let madeUser = false;
  if (user !== "root") {
    home = path.join(dir, "home");
    if (!userExists(user)) {
      requireTool("useradd", "passwd");
      // No password, but not locked: sshd without PAM refuses a locked account ("!" in shadow) even with a key.
      execFileSync("useradd", [
        "-M",
        "-d",
        home,
        "-s",
        "/bin/bash",
        "-p",
        "*",
        ...(options.groups?.length ? ["-G", options.groups.join(",")] : []),
        user,
      ]);
      madeUser = true;
    } else {
      home = execFileSync("getent", ["passwd", user], { encoding: "utf8" }).split(":")[5]!;
    }
    mkdirSync(home, { recursive: true });
    const ids = execFileSync("id", ["-u", user], { encoding: "utf8" }).trim();
    const gid = execFileSync("id", ["-g", user], { encoding: "utf8" }).trim();
    chownSync(home, Number(ids), Number(gid));
  }
  keygen(path.join(dir, "host_key"));
  keygen(path.join(dir, "client_key"));
  writeFileSync(path.join(dir, "authorized_keys"), readFileSync(path.join(dir, "client_key.pub")));
  chmodSync(path.join(dir, "authorized_keys"), 0o644);
  writeFileSync(
    path.join(dir, "sshd_config"),
    [
      `ListenAddress 127.0.0.1:${port}`,
      `HostKey ${dir}/host_key`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      `PidFile ${dir}/sshd.pid`,
      `AllowUsers ${user}`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      ...(options.acceptEnv?.length ? [`AcceptEnv ${options.acceptEnv.join(" ")}`] : []),
      ...(options.setEnv && Object.keys(options.setEnv).length
        ? [
            `SetEnv ${Object.entries(options.setEnv)
              .map(([k, v]) => `${k}=${v}`)
              .join(" ")}`,
          ]
        : []),
      "",
    ].join("\n"),
  );
  // sshd insists on its privilege-separation directory.
  spawnSync("mkdir", ["-p", "/run/sshd"]);

  let child: ChildProcess;
  const launch = async () => {
    // Logs go to a file: a pipe nobody reads while a test blocks in spawnSync would stall sshd.
    const logFd = openSync(path.join(dir, "sshd.log"), "a");
    child = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", path.join(dir, "sshd_config")], {
      stdio: ["ignore", logFd, logFd],
    });
    closeSync(logFd);
    try {
      await waitForPort(port);
    } catch (error) {
      throw new Error(`sshd did not start: ${readFileSync(path.join(dir, "sshd.log"), "utf8")}`, { cause: error });
    }
  };
  await launch();
  const hostKey = () => readFileSync(path.join(dir, "host_key.pub"), "utf8").split(" ").slice(0, 2).join(" ");
  const sshArgs = [
    "-F",
    "/dev/null",
    "-i",
    path.join(dir, "client_key"),
    "-p",
    String(port),
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    `${user}@127.0.0.1`,
  ];
  const server: TestSshd = {
    port,
    user,
    home,
    dir,
    privateKey: readFileSync(path.join(dir, "client_key"), "utf8"),
    hostPublicKey: hostKey(),
    get pid() {
      return child.pid!;
    },
    clientKeyFile: path.join(dir, "client_key"),
    logins: () =>
      readFileSync(path.join(dir, "sshd.log"), "utf8")
        .split("\n")
        .filter((l) => l.includes(`Accepted publickey for ${user} `)).length,
    run: (command, stdin) => spawnSync("ssh", [...sshArgs, command], { input: stdin ?? "", encoding: "utf8" }),
    async rotateHostKey() {
      await stopProcess(child);
      keygen(path.join(dir, "host_key"));
      await launch();
      server.hostPublicKey = hostKey();
      return server.hostPublicKey;
    },
    rotateClientKey() {
      keygen(path.join(dir, "client_key"));
      writeFileSync(path.join(dir, "authorized_keys"), readFileSync(path.join(dir, "client_key.pub")));
      server.privateKey = readFileSync(path.join(dir, "client_key"), "utf8");
      return server.privateKey;
    },
    async stop() {
      await stopProcess(child);
      if (madeUser) spawnSync("userdel", [user]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
