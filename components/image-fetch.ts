// Copying a guest image built on a remote build host to the machine where `pulumi` runs, so GlanceImage can upload
// it from there. The copy goes over SSH; the private key reaches the script on stdin only and lives in a private
// ssh-agent for the copy's duration, never in argv, a file or the log. The copy lands beside its destination under a
// hidden name and is moved into place only when its sha256 equals the build's, so a failed or damaged copy never
// leaves a half-written image at the destination. ssh checks the build host against `buildHost.hostKey`, the same key
// @pulumi/command's remote build checks, through a known_hosts file the script writes for the one connection.

import * as path from "node:path";
import { Problems } from "./errors";
import { anything, optional, Rule, shape, text } from "./schema";
import { absolutePathProblem } from "./validate";

/** Where a remote build's image is copied by default: a fixed path, so every machine running the stack agrees on it. @internal */
export const DEFAULT_FETCH_DIRECTORY = "/var/tmp/pulumi-trove-images";

/** How the image of a remote build is copied here. */
export interface ImageFetchArgs {
  /**
   * Local path the image is copied to. Glance uploads from it; a change of path uploads the image again. Default:
   * `/var/tmp/pulumi-trove-images/<file name of outputImagePath>`.
   */
  path?: string;
  /**
   * No longer used: the copy checks the build host against `buildHost.hostKey`, like the build itself. Setting it is
   * an error that says so, rather than a setting silently ignored.
   * @deprecated use `buildHost.hostKey`.
   */
  knownHostsFile?: string;
}

/** The schema of {@link ImageFetchArgs}. @internal */
export const IMAGE_FETCH_SCHEMA: Rule = shape<ImageFetchArgs>("{ path? }", {
  path: optional(text("an absolute path on this machine", absolutePathProblem)),
  knownHostsFile: optional(anything("nothing: no longer used (set buildHost.hostKey)")),
});

/** Variables the fetch script reads; everything that varies reaches it through these, never as shell code. @internal */
export interface ImageFetchEnvironment {
  FETCH_HOST: string;
  FETCH_PORT: string;
  FETCH_USER: string;
  FETCH_REMOTE_PATH: string;
  FETCH_SHA256: string;
  FETCH_LOCAL_PATH: string;
  /** The build host's key, `<type> <base64>`; empty only with FETCH_INSECURE_IGNORE_HOST_KEY=true. */
  FETCH_HOST_KEY: string;
  /** `true` when the admin set `buildHost.insecureIgnoreHostKey`; otherwise `false`. */
  FETCH_INSECURE_IGNORE_HOST_KEY: string;
}

/**
 * The fetch script, fixed text: it reads the private key from stdin (empty stdin: use the caller's own ssh-agent or
 * keys), copies the remote file with `ssh … cat`, checking the host against FETCH_HOST_KEY only, checks the copy's
 * sha256 and prints the build script's JSON line for the local copy. The remote path is single-quoted for the remote
 * POSIX shell.
 * @internal
 */
export const FETCH_SCRIPT = [
  "set -euo pipefail",
  'dest="$FETCH_LOCAL_PATH"',
  'dir=$(dirname -- "$dest"); base=$(basename -- "$dest")',
  'mkdir -p -- "$dir"',
  'partial="$dir/.partial-$$-$base"',
  "work=$(mktemp -d)",
  "agent_started=''",
  'cleanup() { rm -f -- "$partial"; rm -rf -- "$work"; if [ -n "$agent_started" ]; then ssh-agent -k >/dev/null 2>&1 || true; fi; }',
  "trap cleanup EXIT",
  // The host key: the one from buildHost.hostKey, under a fixed alias, in a known_hosts file of this run only; the
  // user's and the system's known_hosts play no part, so what is checked is exactly what the stack says.
  'if [ -n "${FETCH_HOST_KEY:-}" ]; then',
  "  printf 'pulumi-trove-build-host %s\\n' \"$FETCH_HOST_KEY\" > \"$work/known_hosts\"",
  '  host_opts=(-o StrictHostKeyChecking=yes -o HostKeyAlias=pulumi-trove-build-host -o "UserKnownHostsFile=$work/known_hosts" -o GlobalKnownHostsFile=/dev/null)',
  'elif [ "${FETCH_INSECURE_IGNORE_HOST_KEY:-}" = true ]; then',
  "  host_opts=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null)",
  "else",
  '  echo "fetch: no host key for $FETCH_HOST: set buildHost.hostKey (or buildHost.insecureIgnoreHostKey: true)" >&2; exit 1',
  "fi",
  "key=$(cat)",
  'if [ -n "$key" ]; then',
  '  eval "$(ssh-agent -s)" >/dev/null; agent_started=1',
  // printf is a bash builtin: the key goes down a pipe, never into a process's argv.
  "  printf '%s\\n' \"$key\" | ssh-add -q - 2>/dev/null || { echo \"fetch: the build host's private key was refused by ssh-add (not a valid private key?)\" >&2; exit 1; }",
  "fi",
  "unset key",
  'opts=(-n -o BatchMode=yes "${host_opts[@]}" -o LogLevel=ERROR -p "$FETCH_PORT" -l "$FETCH_USER")',
  "remote_path=${FETCH_REMOTE_PATH//\\'/\\'\\\\\\'\\'}",
  "if ! ssh \"${opts[@]}\" -- \"$FETCH_HOST\" \"cat -- '$remote_path'\" > \"$partial\" 2> \"$work/ssh.err\"; then",
  '  cat -- "$work/ssh.err" >&2',
  "  if grep -qE 'Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED' \"$work/ssh.err\"; then",
  '    echo "fetch: $FETCH_HOST:$FETCH_PORT did not present the host key in buildHost.hostKey; nothing was copied (check the key with ssh-keyscan and the host\'s /etc/ssh/ssh_host_*_key.pub)" >&2; exit 1',
  "  fi",
  '  echo "fetch: could not copy $FETCH_REMOTE_PATH from $FETCH_USER@$FETCH_HOST:$FETCH_PORT over ssh (see the ssh error above)" >&2; exit 1',
  "fi",
  'sha=$(sha256sum -- "$partial" | cut -d" " -f1)',
  'if [ "$sha" != "$FETCH_SHA256" ]; then',
  '  echo "fetch: the copy of $FETCH_REMOTE_PATH has sha256 $sha, but the build reported $FETCH_SHA256: the image on the build host changed since the build, or the copy was damaged; run pulumi up again" >&2; exit 1',
  "fi",
  'mv -f -- "$partial" "$dest"',
  'size=$(stat -c %s -- "$dest")',
  `printf '{"path":"%s","sha256":"%s","sizeBytes":%s}\\n' "$dest" "$sha" "$size"`,
].join("\n");

/**
 * The fetch's `update`: what runs when an input other than the build's sha256 or the destination changes (the build
 * host's key, address or user, the private key, this library's script text). A local copy that still has the build's
 * sha256 is reported as it is, without touching the build host; a missing or changed copy is copied again, as on
 * create.
 * @internal
 */
export const FETCH_UPDATE_SCRIPT = [
  "set -euo pipefail",
  'if [ -f "$FETCH_LOCAL_PATH" ] && [ "$(sha256sum -- "$FETCH_LOCAL_PATH" | cut -d" " -f1)" = "$FETCH_SHA256" ]; then',
  `  printf '{"path":"%s","sha256":"%s","sizeBytes":%s}\\n' "$FETCH_LOCAL_PATH" "$FETCH_SHA256" "$(stat -c %s -- "$FETCH_LOCAL_PATH")"`,
  "  exit 0",
  "fi",
  'echo "fetch: the local copy $FETCH_LOCAL_PATH is missing or is not the build\'s image (sha256 $FETCH_SHA256); copying it again" >&2',
  FETCH_SCRIPT,
].join("\n");

/** The local path a remote build's image is copied to: the one given, or the default directory plus the file name. @internal */
export function fetchDestination(outputImagePath: string, fetch: ImageFetchArgs | undefined): string {
  return fetch?.path ?? path.posix.join(DEFAULT_FETCH_DIRECTORY, path.posix.basename(outputImagePath));
}

/** Checks the fetch settings of a remote build, recording each problem under `fetchImage.<field>`. @internal */
export function checkImageFetch(fetch: ImageFetchArgs | undefined, outputImagePath: string, problems: Problems): void {
  const destination = fetchDestination(outputImagePath, fetch);
  if (problems.report("fetchImage.path", destination, absolutePathProblem(destination))) {
    const extension = path.posix.extname(outputImagePath);
    problems.check(path.posix.extname(destination) === extension, "fetchImage.path", destination, `expected the image's own extension (${extension}), which gives Glance its format`);
  }
  problems.check(fetch?.knownHostsFile === undefined, "fetchImage.knownHostsFile", fetch?.knownHostsFile, "no longer used: the copy checks the build host against buildHost.hostKey, as the build does; remove it and set buildHost.hostKey");
}
