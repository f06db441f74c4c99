// A remote build and the copy of its image to where `pulumi` runs, for real: a throwaway sshd on 127.0.0.1 is the
// build host; GuestImageBuild's remote build command runs over it (with a stand-in trovestack that writes an image
// with the real qemu-img), then the fetch script runs with bash exactly as the component declares it, the private key
// on stdin. What this proves: the copy is byte for byte, checked against the build's sha256, never half-written, the
// key never leaves stdin and the private agent, the copy talks only to a host presenting `buildHost.hostKey`, and the
// update scripts (build and fetch) report what is there without building or copying again.

import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  parseBuiltImage,
  renderBuildScript,
  renderBuildUpdateScript,
  resolveGuestImageBuildArgs,
} from "../../components/image/guest-image-build";
import { FETCH_SCRIPT, FETCH_UPDATE_SCRIPT, ImageFetchEnvironment } from "../../components/image/image-fetch";
import { shellCommand } from "../../components/internal/shell";
import { startSshd, TestSshd } from "../support/sshd";
import { requireTool } from "../support/tools";

const SSH_PORT = 16023;
let sshd: TestSshd;
let work: string;
let trove: string;

const STAND_IN = `#!/bin/bash
# Stand-in for trovestack build-image on the build host: writes an image of the requested format with qemu-img.
set -eu
[ "$1" = build-image ] || exit 2
echo build >> "$(dirname "$0")/invocations"
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

type FetchEnv = Partial<ImageFetchEnvironment> &
  Pick<ImageFetchEnvironment, "FETCH_REMOTE_PATH" | "FETCH_SHA256" | "FETCH_LOCAL_PATH">;

/** Runs a fetch script as the component's command.local.Command would: bash -c, its environment, the key on stdin. */
function fetch(env: FetchEnv, key: string = sshd.privateKey, script = FETCH_SCRIPT) {
  const full: ImageFetchEnvironment = {
    FETCH_HOST: "127.0.0.1",
    FETCH_PORT: String(SSH_PORT),
    FETCH_USER: "root",
    FETCH_HOST_KEY: sshd.hostPublicKey,
    FETCH_INSECURE_IGNORE_HOST_KEY: "false",
    ...env,
  };
  // A clean environment, without the caller's ssh-agent: the script must start its own.
  return spawnSync("/bin/bash", ["-c", script], {
    env: { PATH: process.env.PATH, HOME: work, ...full },
    input: key,
    encoding: "utf8",
  });
}

/** How many times the stand-in trovestack ran. */
function builds(): number {
  const file = path.join(trove, "integration/scripts/invocations");
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean).length : 0;
}

describe("a remote build, copied here", () => {
  it("builds on the build host over SSH, then copies the image here byte for byte, checked against the build's sha256", async () => {
    const remoteOut = path.join(work, "build-host/images/trove-guest-ubuntu-jammy-dev.qcow2");
    const settings = resolveGuestImageBuildArgs("it", {
      buildCheckout: { dir: trove, ref: "master" },
      outputImagePath: remoteOut,
      buildHost: {
        host: "127.0.0.1",
        port: SSH_PORT,
        user: "root",
        privateKey: sshd.privateKey,
        hostKey: `[127.0.0.1]:${SSH_PORT} ${sshd.hostPublicKey}`,
      },
      fetchImage: { path: path.join(work, "here/guest.qcow2") },
    });
    if (settings.source.kind !== "build" || !settings.source.fetch)
      throw new Error("expected a remote build with a fetch");
    // The command the component gives @pulumi/command's remote.Command, run over the real sshd.
    const build = sshd.run(shellCommand(["bash", "-c", renderBuildScript(settings.source.scriptInputs)]));
    expect(build.stderr).toContain(
      `pulumi-trove: building ${remoteOut} with trovestack; full log: ${remoteOut}.build.log`,
    );
    expect(build.status).toBe(0);
    const built = parseBuiltImage(build.stdout);
    expect(built.path).toBe(remoteOut);

    const agentsBefore = agentCount();
    const result = fetch({
      FETCH_REMOTE_PATH: built.path,
      FETCH_SHA256: built.sha256,
      FETCH_LOCAL_PATH: settings.source.fetch.path,
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const copied = parseBuiltImage(result.stdout);
    expect(copied).toEqual({ path: settings.source.fetch.path, sha256: built.sha256, sizeBytes: built.sizeBytes });
    expect(readFileSync(copied.path).equals(readFileSync(remoteOut))).toBe(true);
    const info = JSON.parse(execFileSync("qemu-img", ["info", "--output=json", copied.path], { encoding: "utf8" })) as {
      format: string;
    };
    expect(info.format).toBe("qcow2");
    expect(readdirSync(path.dirname(copied.path))).toEqual(["guest.qcow2"]);
    // The private agent that held the key is gone, and the host key was checked without writing the user's known_hosts.
    expect(await agentCountSettles(agentsBefore)).toBe(agentsBefore);
    expect(existsSync(path.join(work, ".ssh/known_hosts"))).toBe(false);
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
    expect(result.stderr).toContain(
      `fetch: the copy of ${remote} has sha256 ${sha256Of(remote)}, but the build reported ${"0".repeat(64)}`,
    );
    expect(readFileSync(local, "utf8")).toBe("the previous good copy");
    expect(readdirSync(path.dirname(local))).toEqual(["guest.qcow2"]);
  });

  it("says which host and file it could not copy: a missing file, a key the host refuses, a key that is not a key", () => {
    const local = path.join(work, "fail/guest.qcow2");
    const missing = fetch({
      FETCH_REMOTE_PATH: "/nonexistent/guest.qcow2",
      FETCH_SHA256: "0".repeat(64),
      FETCH_LOCAL_PATH: local,
    });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("No such file or directory");
    expect(missing.stderr).toContain(
      `fetch: could not copy /nonexistent/guest.qcow2 from root@127.0.0.1:${SSH_PORT} over ssh`,
    );

    const otherKey = path.join(work, "other_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", otherKey]);
    const refused = fetch(
      { FETCH_REMOTE_PATH: "/etc/hostname", FETCH_SHA256: "0".repeat(64), FETCH_LOCAL_PATH: local },
      readFileSync(otherKey, "utf8"),
    );
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("Permission denied");
    expect(refused.stderr).toContain("fetch: could not copy /etc/hostname");

    const garbage = fetch(
      { FETCH_REMOTE_PATH: "/etc/hostname", FETCH_SHA256: "0".repeat(64), FETCH_LOCAL_PATH: local },
      "not a key",
    );
    expect(garbage.status).toBe(1);
    expect(garbage.stderr).toContain("fetch: the build host's private key was refused by ssh-add");
    expect(existsSync(path.dirname(local)) ? readdirSync(path.dirname(local)) : []).toEqual([]);
  });

  it("refuses a build host that does not present buildHost.hostKey, and says so; copies from the one that does", () => {
    const impostor = path.join(work, "impostor_host_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", impostor]);
    const wrong = readFileSync(`${impostor}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
    const local = path.join(work, "pinned/hostname.qcow2");
    const refused = fetch({
      FETCH_REMOTE_PATH: "/etc/hostname",
      FETCH_SHA256: sha256Of("/etc/hostname"),
      FETCH_LOCAL_PATH: local,
      FETCH_HOST_KEY: wrong,
    });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      `fetch: 127.0.0.1:${SSH_PORT} did not present the host key in buildHost.hostKey; nothing was copied`,
    );
    expect(existsSync(local)).toBe(false);
    const accepted = fetch({
      FETCH_REMOTE_PATH: "/etc/hostname",
      FETCH_SHA256: sha256Of("/etc/hostname"),
      FETCH_LOCAL_PATH: local,
      FETCH_HOST_KEY: sshd.hostPublicKey,
    });
    expect(accepted.stderr).toBe("");
    expect(accepted.status).toBe(0);
    expect(readFileSync(local, "utf8")).toBe(readFileSync("/etc/hostname", "utf8"));
  });

  it("connects without a host key only when the admin opted out by name", () => {
    const local = path.join(work, "optout/hostname.qcow2");
    const noKey = fetch({
      FETCH_REMOTE_PATH: "/etc/hostname",
      FETCH_SHA256: sha256Of("/etc/hostname"),
      FETCH_LOCAL_PATH: local,
      FETCH_HOST_KEY: "",
    });
    expect(noKey.status).toBe(1);
    expect(noKey.stderr).toContain(
      "fetch: no host key for 127.0.0.1: set buildHost.hostKey (or buildHost.insecureIgnoreHostKey: true)",
    );
    const optedOut = fetch({
      FETCH_REMOTE_PATH: "/etc/hostname",
      FETCH_SHA256: sha256Of("/etc/hostname"),
      FETCH_LOCAL_PATH: local,
      FETCH_HOST_KEY: "",
      FETCH_INSECURE_IGNORE_HOST_KEY: "true",
    });
    expect(optedOut.status).toBe(0);
  });
});

describe("updates that must not rebuild or copy again", () => {
  it("the fetch's update reports an intact local copy without contacting the build host, and copies a lost one again", () => {
    const remote = path.join(work, "update-src.qcow2");
    writeFileSync(remote, randomBytes(1024 * 1024));
    const local = path.join(work, "update/guest.qcow2");
    const env = { FETCH_REMOTE_PATH: remote, FETCH_SHA256: sha256Of(remote), FETCH_LOCAL_PATH: local };
    expect(fetch(env).status).toBe(0);
    // A new build host address that nothing answers at: the intact copy is reported, nothing is copied.
    const unchanged = fetch({ ...env, FETCH_PORT: "1" }, sshd.privateKey, FETCH_UPDATE_SCRIPT);
    expect(unchanged.stderr).toBe("");
    expect(unchanged.status).toBe(0);
    expect(parseBuiltImage(unchanged.stdout)).toEqual({
      path: local,
      sha256: sha256Of(remote),
      sizeBytes: 1024 * 1024,
    });
    rmSync(local);
    const recopied = fetch(env, sshd.privateKey, FETCH_UPDATE_SCRIPT);
    expect(recopied.status).toBe(0);
    expect(recopied.stderr).toContain(`fetch: the local copy ${local} is missing or is not the build's image`);
    expect(readFileSync(local).equals(readFileSync(remote))).toBe(true);
  });

  it("the remote build's update, over SSH, reports the built image without running trovestack, and refuses a changed one", () => {
    const remoteOut = path.join(work, "update-host/images/guest.qcow2");
    const settings = resolveGuestImageBuildArgs("it", {
      buildCheckout: { dir: trove, ref: "master" },
      outputImagePath: remoteOut,
      buildHost: { host: "127.0.0.1", port: SSH_PORT, user: "root", hostKey: sshd.hostPublicKey },
      fetchImage: false,
    });
    if (settings.source.kind !== "build") throw new Error("expected a build");
    const before = builds();
    const built = parseBuiltImage(
      sshd.run(shellCommand(["bash", "-c", renderBuildScript(settings.source.scriptInputs)])).stdout,
    );
    expect(builds()).toBe(before + 1);
    const update = shellCommand([
      "bash",
      "-c",
      renderBuildUpdateScript(remoteOut, "pulumi up --replace <URN of it-build>"),
    ]);
    const again = sshd.run(update);
    expect(again.status).toBe(0);
    expect(parseBuiltImage(again.stdout)).toEqual(built);
    expect(builds()).toBe(before + 1);
    writeFileSync(remoteOut, "rebuilt by hand");
    const changed = sshd.run(update);
    expect(changed.status).toBe(1);
    expect(changed.stderr).toContain(
      `pulumi-trove: the guest image ${remoteOut} has sha256 ${sha256Of(remoteOut)}, but the last build recorded ${built.sha256}`,
    );
    expect(changed.stderr).toContain("To build it again: pulumi up --replace <URN of it-build>");
    expect(builds()).toBe(before + 1);
  });
});
