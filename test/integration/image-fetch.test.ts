// A remote build and the copy of its image to where `pulumi` runs, for real: a throwaway sshd on 127.0.0.1 is the
// build host; GuestImageBuild's remote build command runs over it (with a stand-in trovestack that writes an image
// with the real qemu-img), then the fetch script runs with bash exactly as the component declares it, the private key
// on stdin. What this proves: the copy is byte for byte, checked against the build's sha256, never half-written, the
// key never leaves stdin and the private agent, and ssh's host key checking guards the copy.

import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBuiltImage, resolveGuestImageBuildArgs } from "../../components/guest-image-build";
import { FETCH_SCRIPT, ImageFetchEnvironment } from "../../components/image-fetch";
import { shellCommand } from "../../components/shell";
import { startSshd, TestSshd } from "../support/sshd";
import { requireTool } from "../support/tools";

const SSH_PORT = 16023;
let sshd: TestSshd;
let work: string;
let trove: string;
let knownHosts: string;

const STAND_IN = `#!/bin/bash
# Stand-in for trovestack build-image on the build host: writes an image of the requested format with qemu-img.
set -eu
[ "$1" = build-image ] || exit 2
qemu-img create -q -f "\${6##*.}" "$6" 8M
`;

beforeAll(async () => {
  requireTool("qemu-img", "qemu-utils");
  requireTool("ssh-agent", "openssh-client");
  sshd = await startSshd(SSH_PORT);
  work = mkdtempSync(path.join(tmpdir(), "trove-fetch-"));
  trove = path.join(work, "trove");
  mkdirSync(path.join(trove, "integration/scripts"), { recursive: true });
  writeFileSync(path.join(trove, "integration/scripts/trovestack"), STAND_IN);
  chmodSync(path.join(trove, "integration/scripts/trovestack"), 0o755);
  knownHosts = path.join(work, "known_hosts");
});

afterAll(async () => {
  await sshd?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function sha256Of(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/** How many ssh-agent processes run on this machine (read from /proc, which every Linux has). */
function agentCount(): number {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "ssh-agent";
      } catch {
        return false; // the process ended while we looked
      }
    }).length;
}

/** Waits up to 3 s for the number of ssh-agents to fall back to `count` (a killed agent takes a moment to exit). */
async function agentCountSettles(count: number): Promise<number> {
  for (let i = 0; i < 30 && agentCount() !== count; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  return agentCount();
}

/** Runs the fetch script as the component's command.local.Command would: bash -c, its environment, the key on stdin. */
function fetch(env: Partial<ImageFetchEnvironment> & Pick<ImageFetchEnvironment, "FETCH_REMOTE_PATH" | "FETCH_SHA256" | "FETCH_LOCAL_PATH">, key: string = sshd.privateKey) {
  const full: ImageFetchEnvironment = { FETCH_HOST: "127.0.0.1", FETCH_PORT: String(SSH_PORT), FETCH_USER: "root", FETCH_KNOWN_HOSTS: knownHosts, ...env };
  // A clean environment, without the caller's ssh-agent: the script must start its own.
  return spawnSync("/bin/bash", ["-c", FETCH_SCRIPT], { env: { PATH: process.env.PATH, HOME: work, ...full }, input: key, encoding: "utf8" });
}

describe("a remote build, copied here", () => {
  it("builds on the build host over SSH, then copies the image here byte for byte, checked against the build's sha256", async () => {
    const remoteOut = path.join(work, "build-host/images/trove-guest-ubuntu-jammy-dev.qcow2");
    const settings = resolveGuestImageBuildArgs("it", {
      troveSourceDir: trove,
      troveRef: "master",
      outputImagePath: remoteOut,
      buildHost: { host: "127.0.0.1", port: SSH_PORT, user: "root", privateKey: sshd.privateKey },
      fetchImage: { path: path.join(work, "here/guest.qcow2"), knownHostsFile: knownHosts },
    });
    if (settings.source.kind !== "build" || !settings.source.fetch) throw new Error("expected a remote build with a fetch");
    // The command the component gives @pulumi/command's remote.Command, run over the real sshd.
    const build = sshd.run(shellCommand(["bash", "-c", settings.source.script]));
    expect(build.stderr).toBe("");
    expect(build.status).toBe(0);
    const built = parseBuiltImage(build.stdout);
    expect(built.path).toBe(remoteOut);

    const agentsBefore = agentCount();
    const result = fetch({ FETCH_REMOTE_PATH: built.path, FETCH_SHA256: built.sha256, FETCH_LOCAL_PATH: settings.source.fetch.path, FETCH_KNOWN_HOSTS: settings.source.fetch.knownHostsFile });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const copied = parseBuiltImage(result.stdout);
    expect(copied).toEqual({ path: settings.source.fetch.path, sha256: built.sha256, sizeBytes: built.sizeBytes });
    expect(readFileSync(copied.path).equals(readFileSync(remoteOut))).toBe(true);
    const info = JSON.parse(execFileSync("qemu-img", ["info", "--output=json", copied.path], { encoding: "utf8" })) as { format: string };
    expect(info.format).toBe("qcow2");
    expect(readdirSync(path.dirname(copied.path))).toEqual(["guest.qcow2"]);
    // The private agent that held the key is gone, and the unknown host was recorded on first use.
    expect(await agentCountSettles(agentsBefore)).toBe(agentsBefore);
    expect(readFileSync(knownHosts, "utf8")).toContain(sshd.hostPublicKey);
  });

  it("quotes the remote path for the remote shell: spaces, quotes and $ arrive as data", () => {
    const dir = path.join(work, "it's $HOME; a dir");
    mkdirSync(dir, { recursive: true });
    const remote = path.join(dir, "guest image.raw");
    writeFileSync(remote, randomBytes(3 * 1024 * 1024));
    const local = path.join(work, "here/quoted.raw");
    const result = fetch({ FETCH_REMOTE_PATH: remote, FETCH_SHA256: sha256Of(remote), FETCH_LOCAL_PATH: local });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(readFileSync(local).equals(readFileSync(remote))).toBe(true);
  });

  it("refuses a copy whose sha256 is not the build's, leaving the previous copy untouched and nothing half-written", () => {
    const remote = path.join(work, "changed.qcow2");
    writeFileSync(remote, "the image as rebuilt by hand after pulumi's build");
    const local = path.join(work, "keep/guest.qcow2");
    mkdirSync(path.dirname(local), { recursive: true });
    writeFileSync(local, "the previous good copy");
    const result = fetch({ FETCH_REMOTE_PATH: remote, FETCH_SHA256: "0".repeat(64), FETCH_LOCAL_PATH: local });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`fetch: the copy of ${remote} has sha256 ${sha256Of(remote)}, but the build reported ${"0".repeat(64)}`);
    expect(readFileSync(local, "utf8")).toBe("the previous good copy");
    expect(readdirSync(path.dirname(local))).toEqual(["guest.qcow2"]);
  });

  it("says which host and file it could not copy: a missing file, a key the host refuses, a key that is not a key", () => {
    const local = path.join(work, "fail/guest.qcow2");
    const missing = fetch({ FETCH_REMOTE_PATH: "/nonexistent/guest.qcow2", FETCH_SHA256: "0".repeat(64), FETCH_LOCAL_PATH: local });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("No such file or directory");
    expect(missing.stderr).toContain(`fetch: could not copy /nonexistent/guest.qcow2 from root@127.0.0.1:${SSH_PORT} over ssh`);

    const otherKey = path.join(work, "other_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", otherKey]);
    const refused = fetch({ FETCH_REMOTE_PATH: "/etc/hostname", FETCH_SHA256: "0".repeat(64), FETCH_LOCAL_PATH: local }, readFileSync(otherKey, "utf8"));
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("Permission denied");
    expect(refused.stderr).toContain("fetch: could not copy /etc/hostname");

    const garbage = fetch({ FETCH_REMOTE_PATH: "/etc/hostname", FETCH_SHA256: "0".repeat(64), FETCH_LOCAL_PATH: local }, "not a key");
    expect(garbage.status).toBe(1);
    expect(garbage.stderr).toContain("fetch: the build host's private key was refused by ssh-add");
    expect(existsSync(path.dirname(local)) ? readdirSync(path.dirname(local)) : []).toEqual([]);
  });

  it("refuses a build host whose key changed since it was first seen", () => {
    const pinned = path.join(work, "pinned_known_hosts");
    const impostor = path.join(work, "impostor_host_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", impostor]);
    const wrong = readFileSync(`${impostor}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
    writeFileSync(pinned, `[127.0.0.1]:${SSH_PORT} ${wrong}\n`);
    const result = fetch({ FETCH_REMOTE_PATH: "/etc/hostname", FETCH_SHA256: sha256Of("/etc/hostname"), FETCH_LOCAL_PATH: path.join(work, "pinned/hostname.qcow2"), FETCH_KNOWN_HOSTS: pinned });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    expect(existsSync(path.join(work, "pinned/hostname.qcow2"))).toBe(false);
  });
});
