// Real-service tests need real tools. Outside CI a missing tool skips the suite loudly; in CI it fails it.

import { spawnSync } from "node:child_process";

/** True when `name` is on PATH. */
export function hasTool(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v "$1" >/dev/null`, "sh", name]).status === 0;
}

/**
 * Ensures a tool exists. In CI (CI=true) its absence fails the suite; elsewhere it throws an error whose message says
 * which Debian package to install, which vitest reports as a failed hook: never a silent pass.
 */
export function requireTool(name: string, debianPackage: string): void {
  if (hasTool(name)) return;
  throw new Error(
    `${name} is not installed: run 'apt-get install -y ${debianPackage}' (or bash .ci/run, which installs everything the tests need)`,
  );
}
