// Runs GuestImageBuild's build script, exactly as the component declares it, with bash. The real trovestack needs
// sudo, diskimage-builder from PyPI and the internet, none of which exist here, so the Trove checkout in this test has
// a stand-in `integration/scripts/trovestack` that records its arguments and environment and writes an image of the
// requested format with the real qemu-img. What this proves: argument passing, environment, the output format,
// the checksum, that a failed build leaves neither a partial file nor a damaged previous image, that a build's output
// of megabytes lands whole in its log file while what Pulumi would keep stays small, and that the update script
// reports the built image without running trovestack.

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
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  parseBuiltImage,
  renderBuildScript,
  renderBuildUpdateScript,
  resolveGuestImageBuildArgs,
} from "../../components/image/guest-image-build";
import { PROGRESS_MAX_LINES } from "../support/progress";
import { requireTool } from "../support/tools";

let work: string;
let trove: string;
let home: string;

const STAND_IN = `#!/bin/bash
# Stand-in for trovestack build-image: records what it was given, then writes an image with qemu-img.
set -eu
[ "$1" = build-image ] || { echo "unexpected command $1" >&2; exit 2; }
out=$6
printf '%s\\n' "$@" > "$TEST_RECORD.args"
echo build >> "$TEST_RECORD.invocations"
env | grep -E '^(DIB_|HOST_SCP_USERNAME|GUEST_)' | sort > "$TEST_RECORD.env"
# A chatty build: TEST_LOG_LINES numbered lines of 100 characters, half on stdout and half on stderr, as DIB prints.
pad=$(printf 'x%.0s' {1..82})
for ((i = 1; i <= \${TEST_LOG_LINES:-0}; i++)); do printf 'dib step %08d %s\\n' "$i" "$pad" >&$((1 + i % 2)); done
if [ -n "\${TEST_FAIL_HALFWAY:-}" ]; then echo partial > "$out"; echo "diskimage-builder failed" >&2; exit 1; fi
qemu-img create -q -f "\${out##*.}" "$out" 16M
`;

beforeAll(() => {
  requireTool("qemu-img", "qemu-utils");
  work = mkdtempSync(path.join(tmpdir(), "trove-build-"));
  trove = path.join(work, "trove");
  home = path.join(work, "home");
  mkdirSync(path.join(trove, "integration/scripts"), { recursive: true });
  mkdirSync(home);
  writeFileSync(path.join(trove, "integration/scripts/trovestack"), STAND_IN);
  chmodSync(path.join(trove, "integration/scripts/trovestack"), 0o755);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function runBuild(args: Parameters<typeof resolveGuestImageBuildArgs>[1], env: Record<string, string> = {}) {
  const settings = resolveGuestImageBuildArgs("it", args);
  if (settings.source.kind !== "build") throw new Error("expected a build");
  const record = path.join(work, "record");
  return {
    settings,
    record,
    result: spawnSync("/bin/bash", ["-c", renderBuildScript(settings.source.scriptInputs)], {
      env: { PATH: process.env.PATH, HOME: home, TEST_RECORD: record, ...env },
      encoding: "utf8",
    }),
  };
}

describe("the GuestImageBuild script, run for real", () => {
  it("passes the runbook's arguments and environment to trovestack and reports the image", () => {
    const { result, record } = runBuild({ buildCheckout: { dir: trove, ref: "master" }, hostScpUsername: "stack" });
    const expected = path.join(home, "images/trove-guest-ubuntu-jammy-dev.qcow2");
    expect(result.stderr).toBe(`pulumi-trove: building ${expected} with trovestack; full log: ${expected}.build.log\n`);
    expect(result.status).toBe(0);
    const built = parseBuiltImage(result.stdout);
    expect(built.path).toBe(expected);
    expect(built.logPath).toBe(`${expected}.build.log`);
    const args = readFileSync(`${record}.args`, "utf8").trim().split("\n");
    expect(args.slice(0, 5)).toEqual(["build-image", "ubuntu", "jammy", "true", "ubuntu"]);
    expect(path.dirname(args[5]!)).toBe(path.dirname(expected));
    expect(path.basename(args[5]!)).toMatch(/^\.partial-\d+-trove-guest-ubuntu-jammy-dev\.qcow2$/);
    expect(readFileSync(`${record}.env`, "utf8")).toBe(
      "DIB_CLOUD_INIT_DATASOURCES=ConfigDrive, OpenStack\nHOST_SCP_USERNAME=stack\n",
    );
    const info = JSON.parse(execFileSync("qemu-img", ["info", "--output=json", expected], { encoding: "utf8" })) as {
      format: string;
    };
    expect(info.format).toBe("qcow2");
    const bytes = readFileSync(expected);
    expect(built.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(built.sizeBytes).toBe(bytes.length);
    // Beside the image: its log and its build record (the JSON line the update checks against), nothing half-made.
    expect(readdirSync(path.dirname(expected)).sort()).toEqual([
      "trove-guest-ubuntu-jammy-dev.qcow2",
      "trove-guest-ubuntu-jammy-dev.qcow2.build.json",
      "trove-guest-ubuntu-jammy-dev.qcow2.build.log",
    ]);
    expect(JSON.parse(readFileSync(`${expected}.build.json`, "utf8"))).toEqual(built);
  });

  it("builds the format the output extension names", () => {
    const out = path.join(work, "out/guest.raw");
    const { result, settings } = runBuild({
      buildCheckout: { dir: trove, ref: "master" },
      devMode: false,
      outputImagePath: out,
    });
    expect(result.status).toBe(0);
    expect(settings.diskFormat).toBe("raw");
    const info = JSON.parse(execFileSync("qemu-img", ["info", "--output=json", out], { encoding: "utf8" })) as {
      format: string;
    };
    expect(info.format).toBe("raw");
    expect(readFileSync(`${path.join(work, "record")}.args`, "utf8").split("\n")[3]).toBe("false");
  });

  it("leaves the previous image untouched and no partial file when the build fails", () => {
    const out = path.join(work, "keep/guest.qcow2");
    expect(runBuild({ buildCheckout: { dir: trove, ref: "master" }, outputImagePath: out }).result.status).toBe(0);
    const before = readFileSync(out);
    const { result } = runBuild(
      { buildCheckout: { dir: trove, ref: "master" }, outputImagePath: out },
      { TEST_FAIL_HALFWAY: "1" },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `pulumi-trove: trovestack build-image failed; its last lines (full log: ${out}.build.log):\ndiskimage-builder failed`,
    );
    expect(readFileSync(out).equals(before)).toBe(true);
    expect(readdirSync(path.dirname(out)).sort()).toEqual([
      "guest.qcow2",
      "guest.qcow2.build.json",
      "guest.qcow2.build.log",
    ]);
  });

  it("pins a 2026.2 production build's guest agent to buildCheckout.ref's commit, whatever the checkout's HEAD, and says so", () => {
    // A real git checkout with two commits, its HEAD on the second; buildCheckout.ref names the first (the script's messages still say troveRef: their text is the command's input).
    const checkout = path.join(work, "trove-git");
    mkdirSync(path.join(checkout, "integration/scripts"), { recursive: true });
    writeFileSync(path.join(checkout, "integration/scripts/trovestack"), STAND_IN);
    chmodSync(path.join(checkout, "integration/scripts/trovestack"), 0o755);
    const git = (...a: string[]) =>
      execFileSync("git", ["-C", checkout, "-c", "user.name=t", "-c", "user.email=t@example.com", ...a], {
        encoding: "utf8",
      }).trim();
    git("init", "-q");
    git("add", ".");
    git("commit", "-qm", "first");
    const first = git("rev-parse", "HEAD");
    git("tag", "pinned");
    git("commit", "-q", "--allow-empty", "-m", "second");
    const second = git("rev-parse", "HEAD");
    const out = path.join(work, "pin/guest.qcow2");
    const { result, record } = runBuild({
      buildCheckout: { dir: checkout, ref: "pinned" },
      devMode: false,
      troveRelease: "2026.2",
      guestOsRelease: "noble",
      outputImagePath: out,
    });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(
      `pulumi-trove: baking the guest agent from ${checkout} at ${first} (troveRef pinned; the checkout's HEAD is ${second}, which trovestack alone would have baked)\n`,
    );
    expect(readFileSync(`${record}.env`, "utf8")).toContain(
      `DIB_REPOLOCATION_guest_agent=${checkout}\nDIB_REPOREF_guest_agent=${first}\n`,
    );
    // At that ref, it says so; a ref the checkout lacks stops the build before trovestack runs.
    git("checkout", "-q", "pinned");
    expect(
      runBuild({
        buildCheckout: { dir: checkout, ref: "pinned" },
        devMode: false,
        troveRelease: "2026.2",
        guestOsRelease: "noble",
        outputImagePath: out,
      }).result.stderr,
    ).toContain(`at ${first} (troveRef pinned; the checkout is at troveRef)`);
    const invocations = readFileSync(`${record}.invocations`, "utf8");
    const missing = runBuild({
      buildCheckout: { dir: checkout, ref: "stable/2099.1" },
      devMode: false,
      troveRelease: "2026.2",
      guestOsRelease: "noble",
      outputImagePath: out,
    });
    expect(missing.result.status).toBe(3);
    expect(missing.result.stderr).toContain(
      `pulumi-trove: refusing a production build: troveRef stable/2099.1 is not a commit, tag or branch of the git checkout ${checkout}`,
    );
    expect(readFileSync(`${record}.invocations`, "utf8")).toBe(invocations);
  });

  it("keeps a hostile environment value as data", () => {
    const marker = path.join(work, "pwned");
    const { result, record } = runBuild({
      buildCheckout: { dir: trove, ref: "master" },
      environment: { GUEST_IMAGESIZE: `5'; touch ${marker}; echo '` },
    });
    expect(result.status).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(readFileSync(`${record}.env`, "utf8")).toContain(`GUEST_IMAGESIZE=5'; touch ${marker}; echo '`);
  });
});

describe("a production build from a trovestack that adds diskimage-builder's unsigned-apt CI element", () => {
  // A second stand-in checkout whose build scripts add openstack-ci-mirrors, as upstream master's functions_qemu does.
  const ciTrove = () => {
    const dir = path.join(work, "trove-ci-mirrors");
    if (!existsSync(dir)) {
      mkdirSync(path.join(dir, "integration/scripts"), { recursive: true });
      writeFileSync(path.join(dir, "integration/scripts/trovestack"), STAND_IN);
      chmodSync(path.join(dir, "integration/scripts/trovestack"), 0o755);
      writeFileSync(
        path.join(dir, "integration/scripts/functions_qemu"),
        'elements="base vm"\nelements="$elements openstack-ci-mirrors"\n',
      );
    }
    return dir;
  };
  const invocations = () =>
    existsSync(`${path.join(work, "record")}.invocations`)
      ? readFileSync(`${path.join(work, "record")}.invocations`, "utf8")
          .split("\n")
          .filter(Boolean).length
      : 0;

  it("is refused before trovestack runs, naming the element and the file, and leaves no image", () => {
    const out = path.join(work, "ci-prod/guest.qcow2");
    const before = invocations();
    const { result } = runBuild({
      buildCheckout: { dir: ciTrove(), ref: "master" },
      devMode: false,
      outputImagePath: out,
    });
    expect(result.status).toBe(3);
    expect(result.stderr).toContain(
      "pulumi-trove: refusing a production build (devMode false): this trovestack adds diskimage-builder's openstack-ci-mirrors element (named in: ./functions_qemu",
    );
    expect(invocations()).toBe(before);
    expect(existsSync(out)).toBe(false);
  });

  it("is refused when a local elements directory names the element (e.g. in an element-deps)", () => {
    const elements = path.join(work, "elements-ci");
    mkdirSync(path.join(elements, "my-guest"), { recursive: true });
    writeFileSync(path.join(elements, "my-guest/element-deps"), "openstack-ci-mirrors\n");
    const { result } = runBuild({
      buildCheckout: { dir: trove, ref: "master" },
      devMode: false,
      localElementsPath: elements,
      outputImagePath: path.join(work, "ci-local/guest.qcow2"),
    });
    expect(result.status).toBe(3);
    expect(result.stderr).toContain(`${elements}/my-guest/element-deps`);
  });

  it("passes from a checkout that does not name it, and a dev build (as upstream's CI) is not checked", () => {
    expect(
      runBuild({
        buildCheckout: { dir: trove, ref: "master" },
        devMode: false,
        outputImagePath: path.join(work, "clean-prod/guest.qcow2"),
      }).result.status,
    ).toBe(0);
    expect(
      runBuild({
        buildCheckout: { dir: ciTrove(), ref: "master" },
        outputImagePath: path.join(work, "ci-dev/guest.qcow2"),
      }).result.status,
    ).toBe(0);
  });
});

describe("a long build's output", () => {
  it("goes whole to the log file, while stdout and stderr (what Pulumi keeps in the state) stay small", () => {
    const out = path.join(work, "chatty/guest.qcow2");
    const lines = 12_000; // 12,000 lines of 100 characters: 1.2 MB
    const { result } = runBuild(
      { buildCheckout: { dir: trove, ref: "master" }, outputImagePath: out },
      { TEST_LOG_LINES: String(lines) },
    );
    expect(result.status).toBe(0);
    const log = readFileSync(`${out}.build.log`, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("dib step "));
    expect(log).toHaveLength(lines);
    expect(new Set(log.map((l) => l.slice(9, 17))).size).toBe(lines);
    expect(log.join("\n").length).toBeGreaterThan(1024 * 1024);
    // Progress shows while it runs (the first line at once), bounded: far below the 128 KiB a variable may hold.
    expect(result.stderr).toContain("trovestack: dib step 00000001");
    expect(result.stderr.split("\n").length).toBeLessThanOrEqual(PROGRESS_MAX_LINES + 3);
    expect(Buffer.byteLength(result.stderr)).toBeLessThan(64 * 1024);
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
    expect(parseBuiltImage(result.stdout).logPath).toBe(`${out}.build.log`);
  });

  it("shows the log's last lines, cut short, when the build fails", () => {
    const out = path.join(work, "chatty-fail/guest.qcow2");
    const { result } = runBuild(
      { buildCheckout: { dir: trove, ref: "master" }, outputImagePath: out },
      { TEST_LOG_LINES: "12000", TEST_FAIL_HALFWAY: "1" },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("dib step 00011999");
    expect(result.stderr).toContain("diskimage-builder failed");
    expect(Buffer.byteLength(result.stderr)).toBeLessThan(64 * 1024);
  });
});

describe("the update script (what runs when only the build host, its keys or this library's scripts change)", () => {
  const hint = "pulumi up --replace <URN of it-build>";
  const update = (out: string) =>
    spawnSync("/bin/bash", ["-c", renderBuildUpdateScript(out, hint)], {
      env: { PATH: process.env.PATH, HOME: home },
      encoding: "utf8",
    });
  const invocations = () =>
    existsSync(`${path.join(work, "record")}.invocations`)
      ? readFileSync(`${path.join(work, "record")}.invocations`, "utf8")
          .split("\n")
          .filter(Boolean).length
      : 0;

  it("reports the image the last build made, without running trovestack", () => {
    const out = path.join(work, "update/guest.qcow2");
    const built = parseBuiltImage(
      runBuild({ buildCheckout: { dir: trove, ref: "master" }, outputImagePath: out }).result.stdout,
    );
    const before = invocations();
    const result = update(out);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(parseBuiltImage(result.stdout)).toEqual(built);
    expect(invocations()).toBe(before);
  });

  it("fails, saying how to rebuild, when the image is gone or changed since the build", () => {
    const out = path.join(work, "update-gone/guest.qcow2");
    const built = parseBuiltImage(
      runBuild({ buildCheckout: { dir: trove, ref: "master" }, outputImagePath: out }).result.stdout,
    );
    const before = invocations();
    writeFileSync(out, "edited by hand");
    const changed = update(out);
    expect(changed.status).toBe(1);
    expect(changed.stderr).toContain(
      `but the last build recorded ${built.sha256} in ${out}.build.json: it changed since that build; an update does not rebuild it. To build it again: ${hint}`,
    );
    rmSync(out);
    const gone = update(out);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain(
      `pulumi-trove: the guest image ${out} that the last build made is not on the build host`,
    );
    expect(gone.stderr).toContain(`To build it again: ${hint}`);
    expect(invocations()).toBe(before);
  });

  it("takes an image built by an older pulumi-trove (no record beside it) as built, and records it", () => {
    const out = path.join(work, "update-old/guest.qcow2");
    mkdirSync(path.dirname(out), { recursive: true });
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", out, "8M"]);
    const result = update(out);
    expect(result.status).toBe(0);
    const sha = createHash("sha256").update(readFileSync(out)).digest("hex");
    expect(result.stderr).toContain(
      `no build record beside ${out} (built by an older pulumi-trove); taking the image as built: sha256 ${sha}`,
    );
    expect(parseBuiltImage(result.stdout).sha256).toBe(sha);
    expect(update(out).stderr).toBe("");
  });
});

describe("render", () => {
  it("is what the component declares", () => {
    const settings = resolveGuestImageBuildArgs("it", { buildCheckout: { dir: "/t", ref: "m" } });
    expect(settings.source.kind === "build" && renderBuildScript(settings.source.scriptInputs)).toBe(
      renderBuildScript({
        troveSourceDir: "/t",
        guestOs: "ubuntu",
        guestOsRelease: "jammy",
        devMode: true,
        guestUsername: "ubuntu",
        outputImagePath: "$HOME/images/trove-guest-ubuntu-jammy-dev.qcow2",
        environment: { DIB_CLOUD_INIT_DATASOURCES: "ConfigDrive, OpenStack" },
      }),
    );
  });
});
