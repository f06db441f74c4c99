// Runs GuestImageBuild's build script, exactly as the component declares it, with bash. The real trovestack needs
// sudo, diskimage-builder from PyPI and the internet, none of which exist here, so the Trove checkout in this test has
// a stand-in `integration/scripts/trovestack` that records its arguments and environment and writes an image of the
// requested format with the real qemu-img. What this proves: argument passing, environment, the output format,
// the checksum, and that a failed build leaves neither a partial file nor a damaged previous image.

import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBuiltImage, renderBuildScript, resolveGuestImageBuildArgs } from "../../components/guest-image-build";
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
env | grep -E '^(DIB_|HOST_SCP_USERNAME|GUEST_)' | sort > "$TEST_RECORD.env"
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
    result: spawnSync("/bin/bash", ["-c", settings.source.script], { env: { PATH: process.env.PATH, HOME: home, TEST_RECORD: record, ...env }, encoding: "utf8" }),
  };
}

describe("the GuestImageBuild script, run for real", () => {
  it("passes the runbook's arguments and environment to trovestack and reports the image", () => {
    const { result, record } = runBuild({ troveSourceDir: trove, troveRef: "master", hostScpUsername: "stack" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const built = parseBuiltImage(result.stdout);
    const expected = path.join(home, "images/trove-guest-ubuntu-jammy-dev.qcow2");
    expect(built.path).toBe(expected);
    const args = readFileSync(`${record}.args`, "utf8").trim().split("\n");
    expect(args.slice(0, 5)).toEqual(["build-image", "ubuntu", "jammy", "true", "ubuntu"]);
    expect(path.dirname(args[5]!)).toBe(path.dirname(expected));
    expect(path.basename(args[5]!)).toMatch(/^\.partial-\d+-trove-guest-ubuntu-jammy-dev\.qcow2$/);
    expect(readFileSync(`${record}.env`, "utf8")).toBe("DIB_CLOUD_INIT_DATASOURCES=ConfigDrive, OpenStack\nHOST_SCP_USERNAME=stack\n");
    const info = JSON.parse(execFileSync("qemu-img", ["info", "--output=json", expected], { encoding: "utf8" })) as { format: string };
    expect(info.format).toBe("qcow2");
    const bytes = readFileSync(expected);
    expect(built.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(built.sizeBytes).toBe(bytes.length);
    expect(readdirSync(path.dirname(expected))).toEqual(["trove-guest-ubuntu-jammy-dev.qcow2"]);
  });

  it("builds the format the output extension names", () => {
    const out = path.join(work, "out/guest.raw");
    const { result, settings } = runBuild({ troveSourceDir: trove, troveRef: "master", devMode: false, outputImagePath: out });
    expect(result.status).toBe(0);
    expect(settings.diskFormat).toBe("raw");
    const info = JSON.parse(execFileSync("qemu-img", ["info", "--output=json", out], { encoding: "utf8" })) as { format: string };
    expect(info.format).toBe("raw");
    expect(readFileSync(`${path.join(work, "record")}.args`, "utf8").split("\n")[3]).toBe("false");
  });

  it("leaves the previous image untouched and no partial file when the build fails", () => {
    const out = path.join(work, "keep/guest.qcow2");
    expect(runBuild({ troveSourceDir: trove, troveRef: "master", outputImagePath: out }).result.status).toBe(0);
    const before = readFileSync(out);
    const { result } = runBuild({ troveSourceDir: trove, troveRef: "master", outputImagePath: out }, { TEST_FAIL_HALFWAY: "1" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("diskimage-builder failed");
    expect(readFileSync(out).equals(before)).toBe(true);
    expect(readdirSync(path.dirname(out))).toEqual(["guest.qcow2"]);
  });

  it("keeps a hostile environment value as data", () => {
    const marker = path.join(work, "pwned");
    const { result, record } = runBuild({ troveSourceDir: trove, troveRef: "master", environment: { GUEST_IMAGESIZE: `5'; touch ${marker}; echo '` } });
    expect(result.status).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(readFileSync(`${record}.env`, "utf8")).toContain(`GUEST_IMAGESIZE=5'; touch ${marker}; echo '`);
  });
});

describe("render", () => {
  it("is what the component declares", () => {
    const settings = resolveGuestImageBuildArgs("it", { troveSourceDir: "/t", troveRef: "m" });
    expect(settings.source.kind === "build" && settings.source.script).toBe(
      renderBuildScript({ troveSourceDir: "/t", guestOs: "ubuntu", guestOsRelease: "jammy", devMode: true, guestUsername: "ubuntu", outputImagePath: "$HOME/images/trove-guest-ubuntu-jammy-dev.qcow2", environment: { DIB_CLOUD_INIT_DATASOURCES: "ConfigDrive, OpenStack" } }),
    );
  });
});
