// How the harness applies a command:remote:Command, following @pulumi/command 1.2's provider (Go source:
// provider/pkg/provider/remote/{connection,commandOutputs,commandController}.go, the same from v1.2.1 to 1.2.x main),
// with the OpenSSH client in place of Go's x/crypto/ssh:
//  - connect: user defaults to root, port to 22; with `hostKey`, only that key is accepted and only its algorithm is
//    offered (FixedHostKey, HostKeyAlgorithms = [the key's type]); without it, any host key is accepted. Auth: the
//    private key, then the password, then the agent at `agentSocketPath` or SSH_AUTH_SOCK; nothing from ~/.ssh or
//    the user's ssh_config. A failed dial (refused connection, host key, authentication) is retried up to
//    `dialErrorLimit` (default 10) more times, 100 ms apart growing 1.5x up to 5 s, then fails with
//    "after N failed attempts: …".
//  - one session per run: each `environment` entry is sent as an SSH env request, and a refused one (sshd accepts
//    only the names its AcceptEnv lists) fails the run before the command starts; PULUMI_COMMAND_STDOUT/STDERR (the
//    previous outputs, when non-empty and addPreviousOutputInEnv is not false) are sent the same way, a refusal being
//    a warning only. stdin is sent only when non-empty. The command string goes to sshd as is, so the remote user's
//    login shell runs it (`$SHELL -c`). A failed run is `Process exited with status N: running "<cmd>":` and the
//    output, stdout and stderr as they came.
//  - create runs `create` (nothing when absent); update runs `update`, else `create`, keeping the previous outputs when
//    neither is set; delete runs `delete` with the stored state; only `triggers` replace; read returns the state as
//    is (refresh never connects); stdout and stderr lose one trailing newline; the whole `connection` is secret.
// How OpenSSH is made to behave so: a ControlMaster connection is the dial (ssh -f -N returns once authenticated),
// the env requests and the command are sessions on it. OpenSSH sends env requests without asking for a reply, so
// whether sshd accepts a name is learnt by a session that sends each name with a throwaway value and lists its
// environment (`env`), before the real session. Not applied: `proxy`, `password` and encrypted keys (the harness
// fails the run, naming the field).

import { ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

/** What the provider reads from `connection` (with its schema defaults). */
export interface RemoteConnection {
  host: string;
  port?: number;
  user?: string;
  privateKey?: string;
  password?: string;
  privateKeyPassword?: string;
  agentSocketPath?: string;
  dialErrorLimit?: number;
  perDialTimeout?: number;
  hostKey?: string;
  proxy?: unknown;
}

/** A message the provider logs through the engine. */
export type RemoteLog = (severity: "info" | "warning" | "error", message: string) => void;

/** The provider's dial retry delays (pulumi/sdk go/common/util/retry defaults): 100 ms, x1.5, at most 5 s. */
export function dialDelays(dialErrorLimit: number): number[] {
  const delays: number[] = [];
  for (let i = 0, d = 100; i < dialErrorLimit; i++, d = Math.min(d * 1.5, 5000)) delays.push(d);
  return delays;
}

/** The known_hosts line that accepts exactly `hostKey` for host:port, as OpenSSH names a host on a port. */
export function knownHostsLine(host: string, port: number, hostKey: string): string {
  const [type, data] = hostKey.trim().split(/\s+/);
  return `${port === 22 ? host : `[${host}]:${port}`} ${type} ${data}`;
}

interface Spawned {
  code: number;
  stdout: string;
  stderr: string;
  both: string;
}

function runSsh(args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn("ssh", args, { env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const both: Buffer[] = [];
    child.stdout!.on("data", (d: Buffer) => (out.push(d), both.push(d)));
    child.stderr!.on("data", (d: Buffer) => (err.push(d), both.push(d)));
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(stdin ?? "");
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code: code ?? 255,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        both: Buffer.concat(both).toString(),
      }),
    );
  });
}

/** One SSH connection to the command's host, as the provider dials it. */
class RemoteSession {
  private readonly dir = mkdtempSync(path.join(tmpdir(), "remote-command-"));
  private readonly socket = path.join(this.dir, "master");
  private readonly common: string[];
  private readonly target: string;

  constructor(
    private readonly c: Required<
      Pick<RemoteConnection, "host" | "port" | "user" | "dialErrorLimit" | "perDialTimeout">
    > &
      RemoteConnection,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    const opts: Record<string, string> = {
      BatchMode: "yes",
      LogLevel: "ERROR",
      ConnectTimeout: String(c.perDialTimeout || 3600),
      PasswordAuthentication: "no",
      KbdInteractiveAuthentication: "no",
      IdentitiesOnly: "yes",
      CheckHostIP: "no",
      ControlPath: this.socket,
    };
    if (c.hostKey !== undefined) {
      const known = path.join(this.dir, "known_hosts");
      writeFileSync(known, `${knownHostsLine(c.host, c.port, c.hostKey)}\n`);
      Object.assign(opts, {
        StrictHostKeyChecking: "yes",
        UserKnownHostsFile: known,
        GlobalKnownHostsFile: "/dev/null",
        HostKeyAlgorithms: c.hostKey.trim().split(/\s+/)[0]!,
      });
    } else {
      Object.assign(opts, {
        StrictHostKeyChecking: "no",
        UserKnownHostsFile: "/dev/null",
        GlobalKnownHostsFile: "/dev/null",
      });
    }
    const agent = c.agentSocketPath ?? (env.SSH_AUTH_SOCK || undefined);
    opts.IdentityAgent = agent ?? "none";
    const identity: string[] = [];
    if (c.privateKey !== undefined) {
      const key = path.join(this.dir, "key");
      writeFileSync(key, c.privateKey.endsWith("\n") ? c.privateKey : `${c.privateKey}\n`, { mode: 0o600 });
      identity.push("-i", key);
    }
    if (c.privateKey === undefined && agent === undefined) opts.PubkeyAuthentication = "no";
    this.common = [
      "-F",
      "/dev/null",
      "-p",
      String(c.port),
      "-l",
      c.user,
      ...identity,
      ...Object.entries(opts).flatMap(([k, v]) => ["-o", `${k}=${v}`]),
    ];
    this.target = c.host;
  }

  /** The provider's Dial: retried on any failure, with its delays. */
  async dial(): Promise<void> {
    const delays = dialDelays(this.c.dialErrorLimit < 0 ? Number.MAX_SAFE_INTEGER : this.c.dialErrorLimit);
    for (let attempt = 0; ; attempt++) {
      // The master forwards a session's env only for the names its own SendEnv lists: all of them, each session
      // sending only what it means to.
      const r = await runSsh(
        [
          ...this.common,
          "-o",
          "ControlMaster=yes",
          "-o",
          "ControlPersist=yes",
          "-o",
          "SendEnv=*",
          "-f",
          "-N",
          this.target,
        ],
        this.env,
      );
      if (r.code === 0) return;
      if (attempt >= delays.length) throw new Error(`after ${attempt} failed attempts: ${r.stderr.trim()}`);
      await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
    }
  }

  /** The names of `names` that sshd accepts as env requests (the rest it refuses). */
  async acceptedEnv(names: string[]): Promise<Set<string>> {
    if (names.length === 0) return new Set();
    const token = `probe-${randomBytes(6).toString("hex")}`;
    const env = { ...this.env, ...Object.fromEntries(names.map((n) => [n, token])) };
    const r = await runSsh(
      [...this.common, ...names.flatMap((n) => ["-o", `SendEnv=${n}`]), "-T", this.target, "env"],
      env,
    );
    if (r.code !== 0) throw new Error(`ssh: the session could not start: ${r.stderr.trim()}`);
    const seen = new Set(
      r.stdout
        .split("\n")
        .filter((l) => l.endsWith(`=${token}`))
        .map((l) => l.slice(0, -token.length - 1)),
    );
    return new Set(names.filter((n) => seen.has(n)));
  }

  /** One session running `cmd` with the accepted env values and stdin. */
  exec(cmd: string, envValues: Record<string, string>, stdin: string | undefined): Promise<Spawned> {
    const names = Object.keys(envValues);
    return runSsh(
      [...this.common, ...names.flatMap((n) => ["-o", `SendEnv=${n}`]), "-T", this.target, cmd],
      { ...this.env, ...envValues },
      stdin,
    );
  }

  async close(): Promise<void> {
    await runSsh([...this.common, "-O", "exit", this.target], this.env).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function resolveConnection(raw: unknown): ConstructorParameters<typeof RemoteSession>[0] {
  const c = (raw ?? {}) as RemoteConnection;
  if (typeof c.host !== "string" || c.host === "") throw new Error("connection.host is required");
  const unsupported = (["proxy", "password", "privateKeyPassword"] as const).filter((k) => c[k] !== undefined);
  if (unsupported.length > 0)
    throw new Error(
      `connection.${unsupported.join(", connection.")}: not applied by the harness (test/support/engine/remote-command.ts)`,
    );
  return {
    ...c,
    host: c.host,
    port: Number(c.port ?? 22),
    user: c.user ?? "root",
    dialErrorLimit: c.dialErrorLimit ?? 10,
    perDialTimeout: c.perDialTimeout ?? 15,
  };
}

/** The previous outputs the provider passes on, by the env names it uses. */
export const PREVIOUS_OUTPUT_NAMES = { stdout: "PULUMI_COMMAND_STDOUT", stderr: "PULUMI_COMMAND_STDERR" } as const;

/**
 * Runs `cmd` as the provider's `run` does, for a resource with `inputs` and (for update and delete) the previous
 * `stdout`/`stderr`. Returns the new stdout and stderr, each without one trailing newline.
 */
export async function runRemote(
  inputs: Record<string, unknown>,
  cmd: string,
  previous: { stdout?: unknown; stderr?: unknown },
  env: NodeJS.ProcessEnv,
  log: RemoteLog,
): Promise<{ stdout: string; stderr: string }> {
  const session = new RemoteSession(resolveConnection(inputs.connection), env);
  try {
    await session.dial();
    const environment = (inputs.environment as Record<string, string> | undefined) ?? {};
    const prev: Record<string, string> = {};
    if (inputs.addPreviousOutputInEnv !== false) {
      if (previous.stdout) prev[PREVIOUS_OUTPUT_NAMES.stdout] = String(previous.stdout);
      if (previous.stderr) prev[PREVIOUS_OUTPUT_NAMES.stderr] = String(previous.stderr);
    }
    const accepted = await session.acceptedEnv([...Object.keys(environment), ...Object.keys(prev)]);
    for (const name of Object.keys(environment)) {
      if (!accepted.has(name)) {
        log(
          "error",
          `the SSH server refused environment variable '${name}': it passes only the names its AcceptEnv lists (or put 'NAME=value' in front of the command for a POSIX shell)`,
        );
        throw new Error(`could not set environment variable "${name}": ssh: setenv failed`);
      }
    }
    for (const name of Object.keys(prev)) {
      if (!accepted.has(name))
        log(
          "warning",
          `the SSH server refused environment variable '${name}' (the previous output): it passes only the names its AcceptEnv lists`,
        );
    }
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...environment, ...prev })) if (accepted.has(k)) values[k] = v;
    const stdin = typeof inputs.stdin === "string" && inputs.stdin.length > 0 ? inputs.stdin : undefined;
    const r = await session.exec(cmd, values, stdin);
    if (r.code !== 0)
      throw new Error(`Process exited with status ${r.code}: running ${JSON.stringify(cmd)}:\n${r.both}`);
    return { stdout: r.stdout.replace(/\n$/, ""), stderr: r.stderr.replace(/\n$/, "") };
  } finally {
    await session.close();
  }
}

/** A provider-style resource id: the name and 8 random hex digits (resource.NewUniqueHex). */
export function uniqueId(): string {
  return `command-${randomBytes(4).toString("hex")}`;
}
