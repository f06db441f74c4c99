// Copying a guest image built on a remote build host to the machine where `pulumi` runs, so GlanceImage can upload
// it from there. The copy goes over SSH; the private key reaches the script on stdin only and lives in a private
// ssh-agent for the copy's duration, never in argv, a file or the log. The copy lands beside its destination under a
// hidden name and is moved into place only when its sha256 equals the build's, so a failed or damaged copy never
// leaves a half-written image at the destination.

import * as path from "node:path";
import { Problems } from "./errors";
import { absolutePathProblem } from "./validate";

/** Where a remote build's image is copied by default: a fixed path, so every machine running the stack agrees on it. */
export const DEFAULT_FETCH_DIRECTORY = "/var/tmp/pulumi-trove-images";

/** How the image of a remote build is copied here. */
export interface ImageFetchArgs {
  /**
   * Local path the image is copied to. Glance uploads from it; a change of path uploads the image again. Default:
   * `/var/tmp/pulumi-trove-images/<file name of outputImagePath>`.
   */
  path?: string;
  /**
   * known_hosts file that ssh checks the build host's key against; an unknown host is added to it on first use
   * (`StrictHostKeyChecking=accept-new`), a changed key is refused. Default: ssh's own (`~/.ssh/known_hosts`).
   */
  knownHostsFile?: string;
}

/** Variables the fetch script reads; everything that varies reaches it through these, never as shell code. */
export interface ImageFetchEnvironment {
  FETCH_HOST: string;
  FETCH_PORT: string;
  FETCH_USER: string;
  FETCH_REMOTE_PATH: string;
  FETCH_SHA256: string;
  FETCH_LOCAL_PATH: string;
  /** Empty for ssh's default. */
  FETCH_KNOWN_HOSTS: string;
}

/**
 * The fetch script, fixed text: it reads the private key from stdin (empty stdin: use the caller's own ssh-agent or
 * keys), copies the remote file with `ssh … cat`, checks its sha256 and prints the build script's JSON line for the
 * local copy. The remote path is single-quoted for the remote POSIX shell.
 */
export const FETCH_SCRIPT = [
  "set -euo pipefail",
  'dest="$FETCH_LOCAL_PATH"',
  'dir=$(dirname -- "$dest"); base=$(basename -- "$dest")',
  'mkdir -p -- "$dir"',
  'partial="$dir/.partial-$$-$base"',
  "agent_started=''",
  'cleanup() { rm -f -- "$partial"; if [ -n "$agent_started" ]; then ssh-agent -k >/dev/null 2>&1 || true; fi; }',
  "trap cleanup EXIT",
  "key=$(cat)",
  'if [ -n "$key" ]; then',
  '  eval "$(ssh-agent -s)" >/dev/null; agent_started=1',
  // printf is a bash builtin: the key goes down a pipe, never into a process's argv.
  "  printf '%s\\n' \"$key\" | ssh-add -q - 2>/dev/null || { echo \"fetch: the build host's private key was refused by ssh-add (not a valid private key?)\" >&2; exit 1; }",
  "fi",
  "unset key",
  "opts=(-n -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o LogLevel=ERROR -p \"$FETCH_PORT\" -l \"$FETCH_USER\")",
  'if [ -n "$FETCH_KNOWN_HOSTS" ]; then opts+=(-o "UserKnownHostsFile=$FETCH_KNOWN_HOSTS"); fi',
  "remote_path=${FETCH_REMOTE_PATH//\\'/\\'\\\\\\'\\'}",
  "if ! ssh \"${opts[@]}\" -- \"$FETCH_HOST\" \"cat -- '$remote_path'\" > \"$partial\"; then",
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

/** The local path a remote build's image is copied to: the one given, or the default directory plus the file name. */
export function fetchDestination(outputImagePath: string, fetch: ImageFetchArgs | undefined): string {
  return fetch?.path ?? path.posix.join(DEFAULT_FETCH_DIRECTORY, path.posix.basename(outputImagePath));
}

/** Checks the fetch settings of a remote build, recording each problem under `fetchImage.<field>`. */
export function checkImageFetch(fetch: ImageFetchArgs | undefined, outputImagePath: string, problems: Problems): void {
  const destination = fetchDestination(outputImagePath, fetch);
  if (problems.report("fetchImage.path", destination, absolutePathProblem(destination))) {
    const extension = path.posix.extname(outputImagePath);
    problems.check(path.posix.extname(destination) === extension, "fetchImage.path", destination, `expected the image's own extension (${extension}), which gives Glance its format`);
  }
  if (fetch?.knownHostsFile !== undefined) problems.report("fetchImage.knownHostsFile", fetch.knownHostsFile, absolutePathProblem(fetch.knownHostsFile));
}
