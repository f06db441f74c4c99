// Copying a guest image built on a remote build host to the machine where `pulumi` runs, so GlanceImage can upload it
// from there. The copy goes over SSH; the private key reaches the script on stdin only and lives in a private ssh-agent
// for the copy's duration, never in argv, a file or the log.

import * as path from "node:path";
import { Problems } from "../internal/errors";
import { anything, optional, Rule, shape, text } from "../internal/schema";
import { loadScript } from "../internal/scripts/index";
import { absolutePathProblem } from "../internal/validate";

// The copy lands beside its destination under a hidden name and is moved into place only when its sha256 equals the
// build's, so a failed or damaged copy never leaves a half-written image at the destination. ssh checks the build host
// against `buildHost.hostKey`, the same key @pulumi/command's remote build checks, through a known_hosts file the
// script writes for the one connection.

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
 * The fetch script (internal/scripts/fetch-image.sh): it reads the private key from stdin (empty stdin: use the
 * caller's own ssh-agent or keys), copies the remote file with `ssh … cat`, checking the host against FETCH_HOST_KEY
 * only, checks the copy's sha256 and prints the build script's JSON line for the local copy.
 */
export const FETCH_SCRIPT = loadScript("fetch-image.sh");

/**
 * The fetch's `update` (internal/scripts/fetch-image-update.sh): what runs when an input other than the build's
 * sha256 or the destination changes (the build host's key, address or user, the private key, this library's script
 * text). A local copy that still has the build's sha256 is reported as it is, without touching the build host; a
 * missing or changed copy is copied again, as on create.
 */
export const FETCH_UPDATE_SCRIPT = loadScript("fetch-image-update.sh");

/**
 * The fetch's `delete` (internal/scripts/fetch-image-delete.sh): removes the local copy when it is still the image
 * this copy brought (its sha256), so a destroy leaves this machine as it was, and a replacement, which copies the new
 * image to the same path before the old copy is deleted, keeps the new one.
 */
export const FETCH_DELETE_SCRIPT = loadScript("fetch-image-delete.sh");

/** The local path a remote build's image is copied to: the one given, or the default directory plus the file name. @internal */
export function fetchDestination(outputImagePath: string, fetch: ImageFetchArgs | undefined): string {
  return fetch?.path ?? path.posix.join(DEFAULT_FETCH_DIRECTORY, path.posix.basename(outputImagePath));
}

/** Checks the fetch settings of a remote build, recording each problem under `fetchImage.<field>`. @internal */
export function checkImageFetch(fetch: ImageFetchArgs | undefined, outputImagePath: string, problems: Problems): void {
  const destination = fetchDestination(outputImagePath, fetch);
  // A given path has passed the schema, and the default one is made of the output's file name.
  const extension = path.posix.extname(outputImagePath);
  problems.check(
    path.posix.extname(destination) === extension,
    "fetchImage.path",
    destination,
    `expected the image's own extension (${extension}), which gives Glance its format`,
  );
  problems.check(
    fetch?.knownHostsFile === undefined,
    "fetchImage.knownHostsFile",
    fetch?.knownHostsFile,
    "no longer used: the copy checks the build host against buildHost.hostKey, as the build does; remove it and set buildHost.hostKey",
  );
}
