// Real CNCF distribution registries (Debian's docker-registry) on 127.0.0.1 for tests: plain HTTP, or TLS with our
// own CA and htpasswd basic auth. Each runs from a temp dir and is stopped by PID.

import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { requireTool } from "./tools";

export interface TestRegistry {
  address: string;
  /** PEM of the CA that signed the registry's certificate, for TLS registries. */
  caPem?: string;
  dir: string;
  stop(): Promise<void>;
  /** Tags of a repository, via the registry API (with curl, so the test does not depend on our code). */
  tags(repository: string): string[];
  /** The registry's log so far. */
  log(): Promise<string>;
}

/** Waits until something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.end();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

/** Stops a child process by PID and waits for it to exit. */
export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** Starts a registry on 127.0.0.1:port; with `secure`, TLS with a fresh CA and basic auth for user/password. */
export async function startRegistry(
  port: number,
  secure?: { username: string; password: string },
): Promise<TestRegistry> {
  requireTool("docker-registry", "docker-registry");
  const dir = mkdtempSync(path.join(tmpdir(), `registry-${port}-`));
  mkdirSync(path.join(dir, "storage"));
  const lines = [
    "version: 0.1",
    "log: {level: info}",
    `storage: {filesystem: {rootdirectory: ${dir}/storage}, delete: {enabled: true}}`,
    "http:",
    `  addr: 127.0.0.1:${port}`,
    "  secret: test-only-secret",
  ];
  let caPem: string | undefined;
  if (secure) {
    requireTool("openssl", "openssl");
    requireTool("htpasswd", "apache2-utils");
    const o = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    o([
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=pulumi-trove test CA",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
    ]);
    o([
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=127.0.0.1",
      "-keyout",
      "domain.key",
      "-out",
      "domain.csr",
    ]);
    writeFileSync(path.join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    o([
      "x509",
      "-req",
      "-in",
      "domain.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      "san.ext",
      "-out",
      "domain.crt",
    ]);
    caPem = execFileSync("cat", [path.join(dir, "ca.crt")], { encoding: "utf8" });
    execFileSync("htpasswd", ["-iBc", path.join(dir, "htpasswd"), secure.username], { input: secure.password });
    lines.push(
      `  tls: {certificate: ${dir}/domain.crt, key: ${dir}/domain.key}`,
      `auth: {htpasswd: {realm: test, path: ${dir}/htpasswd}}`,
    );
  }
  writeFileSync(path.join(dir, "config.yml"), `${lines.join("\n")}\n`);
  // The log goes to a file, not a pipe: tests block the event loop in spawnSync, and a full pipe would stall the
  // registry mid-request.
  const logFile = path.join(dir, "registry.log");
  const logFd = openSync(logFile, "a");
  const child = spawn("docker-registry", ["serve", path.join(dir, "config.yml")], { stdio: ["ignore", logFd, logFd] });
  closeSync(logFd);
  await waitForPort(port);
  const address = `127.0.0.1:${port}`;
  return {
    address,
    caPem,
    dir,
    log: async () => readFileSync(logFile, "utf8"),
    tags(repository) {
      const args = ["-fsS", `${secure ? "https" : "http"}://${address}/v2/${repository}/tags/list`];
      if (secure) args.push("--cacert", path.join(dir, "ca.crt"), "-u", `${secure.username}:${secure.password}`);
      const out = JSON.parse(execFileSync("curl", args, { encoding: "utf8" })) as { tags: string[] | null };
      return out.tags ?? [];
    },
    async stop() {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
