// What GlanceImage reads from the image file itself before an upload, and the Glance properties it sets by default:
// the virtual size (`qemu-img info --output=json`) for `min_disk`, the file's size for the quota check, and the
// guest OS's name and version for `os_distro` / `os_version` (what Nova's scheduler filters and Horizon show), next to
// `hw_rng_model=virtio` (a virtio RNG for the guest, as devstack's Trove plugin uploads the image).

import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

/** Release numbers of the guest OS releases the builds know, for `os_version`. @internal */
export const OS_RELEASE_VERSIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  ubuntu: { bionic: "18.04", focal: "20.04", jammy: "22.04", noble: "24.04" },
};

/**
 * The Glance properties set unless given: `hw_rng_model=virtio`, `os_distro` = the guest OS (`ubuntu`), `os_version`
 * = its release number (`22.04` for jammy; left out for a release not in {@link OS_RELEASE_VERSIONS}). Given
 * properties win.
 * @internal
 */
export function defaultImageProperties(guestOs: string, guestOsRelease: string): Record<string, string> {
  const version = OS_RELEASE_VERSIONS[guestOs]?.[guestOsRelease];
  return { hw_rng_model: "virtio", os_distro: guestOs, ...(version ? { os_version: version } : {}) };
}

/** `qemu-img info --output=json`'s answer, the fields used. @internal */
export interface QemuImgInfo {
  virtualSize: number;
  format: string;
}

/** Parses `qemu-img info --output=json`; throws naming what is missing. @internal */
export function parseQemuImgInfo(json: string): QemuImgInfo {
  const info = JSON.parse(json) as { "virtual-size"?: unknown; format?: unknown };
  if (typeof info["virtual-size"] !== "number" || !(info["virtual-size"] >= 0))
    throw new Error("qemu-img info: no virtual-size in its answer");
  return { virtualSize: info["virtual-size"], format: String(info.format ?? "") };
}

/** Glance's `min_disk` (GB; Nova reads it as GiB) for a virtual size in bytes: rounded up to a whole GiB, at least 1. @internal */
export function minDiskGbFor(virtualSizeBytes: number): number {
  return Math.max(1, Math.ceil(virtualSizeBytes / 2 ** 30));
}

/** What is read from an image file on this machine. @internal */
export interface ImageFileFacts {
  /** Bytes the upload sends. */
  fileBytes: number;
  /** The disk size instances of it need, from qemu-img. */
  virtualBytes: number;
}

/**
 * Reads an image file's size and virtual size (`qemu-img info --output=json <path>`); `undefined` when the file is
 * not on this machine yet (a preview before the build made it).
 * @internal
 */
export function readImageFileFacts(path: string, qemuImg = "qemu-img"): ImageFileFacts | undefined {
  if (!existsSync(path)) return undefined;
  let out: string;
  try {
    out = execFileSync(qemuImg, ["info", "--output=json", path], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message)
      .trim()
      .split("\n")
      .pop();
    throw new Error(`qemu-img info --output=json ${path} failed: ${stderr}`, { cause: error });
  }
  return { fileBytes: statSync(path).size, virtualBytes: parseQemuImgInfo(out).virtualSize };
}
