// Step 1 of the runbook: build the Trove guest image with `trovestack build-image` (or take an existing image file or a
// published URL instead). The build runs once, and again only when an input that shapes the image changes: those inputs
// are the build command's `triggers`, the only inputs @pulumi/command replaces on.

import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import * as path from "node:path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { releaseGuestOsProblem, TROVE_RELEASE_RULE, TROVE_RELEASES, troveReleaseProblem } from "../catalog/catalog";
import { Problems } from "../internal/errors";
import {
  checkImageFetch,
  FETCH_DELETE_SCRIPT,
  FETCH_SCRIPT,
  FETCH_UPDATE_SCRIPT,
  fetchDestination,
  IMAGE_FETCH_SCHEMA,
  ImageFetchArgs,
  ImageFetchEnvironment,
} from "./image-fetch";
import { hostKeyOf, remoteConnection, SSH_CONNECTION_SCHEMA, SshConnection } from "../internal/ssh";
import { shellCommand, withExports } from "../internal/shell";
import { argsWithCurrentNames, checkArgs } from "../internal/check-args";
import {
  either,
  FieldRules,
  flag,
  input,
  isPlainObject,
  listOf,
  mapOf,
  oneOfValues,
  optional,
  Rule,
  shape,
  text,
} from "../internal/schema";
import {
  absolutePathProblem,
  environmentNameProblem,
  gitRefProblem,
  httpUrlProblem,
  imageReferenceProblem,
  plainNameProblem,
  singleLineProblem,
  linuxUserProblem,
} from "../internal/validate";
import { loadScript, readScriptResult } from "../internal/scripts/index";
import { withFormerTypes } from "../internal/component-type";
import { TroveCheckout, troveCheckoutRule } from "../internal/checkout";
import { RenamedField, renamedFieldPairs } from "../internal/renamed-fields";

// Any other change (the build host's key or address, this library's script text) is an update, and the update only
// checks that the image the last build made is still there with its recorded sha256. trovestack's output goes to a log
// file beside the image; the command's own output, which Pulumi keeps in the state, holds only a bounded progress tail
// and the result.

/** Guest OS and releases that Trove's CI builds and tests (runbook: "only ubuntu and jammy are fully tested"). @internal */
export const SUPPORTED_GUEST_OS: Readonly<Record<string, readonly string[]>> = Object.freeze({ ubuntu: ["jammy"] });

/** Image file extensions diskimage-builder can write, and the Glance disk format each one is. @internal */
export const IMAGE_FORMATS: Readonly<Record<string, string>> = Object.freeze({
  qcow2: "qcow2",
  raw: "raw",
  vhd: "vhd",
});

/** The cloud-init datasource Trove needs since Yoga (instances get their files from the metadata service). @internal */
export const REQUIRED_DATASOURCE = "OpenStack";

/** @deprecated A bare alias of {@link SshConnection}, which `buildHost` takes; removed in 0.2.0 (CHANGELOG.md). */
export type BuildHostConnection = SshConnection;

/** Arguments of {@link GuestImageBuild}. */
export interface GuestImageBuildArgs {
  /**
   * The Trove checkout the image is built from, on the build host (`buildHost`, else where `pulumi` runs): the build
   * runs `trovestack` in `dir`'s `integration/scripts`, and the image records `ref`. A change of either rebuilds the
   * image. `ref` default: for a local build, the checkout's `git rev-parse HEAD` read when the program runs; for a
   * remote build, `unknown` (set it!). Required unless `existingImagePath` or `imageUrl` is given.
   * Example: `{ dir: "/opt/stack/trove", ref: "stable/2026.1" }`.
   */
  buildCheckout?: TroveCheckout;
  /**
   * Former name of `buildCheckout.dir` (a separate `troveRef` named the ref of this checkout and, in
   * `DatastoreImages`, of another one). Still accepted until 0.2.0, with a warning; giving it with `buildCheckout`
   * is refused.
   * @deprecated Use `buildCheckout: { dir }`.
   */
  troveSourceDir?: string;
  /**
   * Former name of `buildCheckout.ref`. Still accepted until 0.2.0, with a warning; giving it with `buildCheckout` is
   * refused.
   * @deprecated Use `buildCheckout: { dir, ref }`.
   */
  troveRef?: string;
  /** Guest OS (`guest_os`); others than ubuntu only with `allowUntested: true`. Default: `ubuntu`. */
  guestOs?: string;
  /**
   * Guest OS release (`guest_os_release`). With `troveRelease`, one of the release's guest OS releases (`noble` too
   * from 2025.2); without it, `jammy`; others only with `allowUntested: true`. Default: `jammy`.
   */
  guestOsRelease?: string;
  /**
   * Dev mode (`dev_mode`): the guest agent fetches Trove's code from the controller at boot, so the image must be
   * built on the controller. Default: `true`, as in the runbook.
   */
  devMode?: boolean;
  /** User created in the guest (`guest_username`). Default: `ubuntu`. */
  guestUsername?: string;
  /**
   * Where the image is written (`output_image_path`); its extension picks the format (qcow2, raw, vhd). May start
   * with `$HOME/`. Default: `$HOME/images/trove-guest-<os>-<release>-dev.qcow2` (without `-dev` when devMode is false).
   */
  outputImagePath?: string;
  /**
   * `HOST_SCP_USERNAME`: the controller user the guest agent copies Trove's code from. Dev mode only.
   * Default: unset (trovestack then uses the build user). Example: `stack` in devstack.
   */
  hostScpUsername?: string;
  /**
   * `DIB_CLOUD_INIT_DATASOURCES`. Must include `OpenStack` (since Yoga, Trove does not use a config drive by default).
   * Default: `["ConfigDrive", "OpenStack"]` (trovestack's own).
   */
  cloudInitDatasources?: string[];
  /** Extra diskimage-builder elements directory (`DIB_LOCAL_ELEMENTS_PATH`). The image is rebuilt when it changes. */
  localElementsPath?: string;
  /**
   * Extra environment for trovestack (e.g. `GUEST_IMAGESIZE`, DIB mirror settings). Values must not be secrets.
   * The image is rebuilt when they change. Example: `{ GUEST_IMAGESIZE: "6" }`.
   */
  environment?: Record<string, string>;
  /**
   * Build on this host over SSH instead of where `pulumi` runs; with neither `privateKey` nor `password`, your
   * ssh-agent logs in. `hostKey` is required (see "Host keys" in docs/components.md). Default: build locally.
   */
  buildHost?: SshConnection;
  /**
   * For a remote build: after each build, copy the image over SSH to where `pulumi` runs, checked against the
   * build's sha256, so {@link GlanceImage} can upload it. Needs `buildHost.privateKey` (or, without key and password,
   * your own ssh-agent); ssh cannot log in with a password unattended. `false`: leave the image on the build host.
   * Default: copy to `/var/tmp/pulumi-trove-images/<file name>`.
   */
  fetchImage?: ImageFetchArgs | false;
  /**
   * Trove release the image is for (`zed` … `2026.2`): decides the guest OS releases accepted (`noble` and `jammy`
   * from 2025.2, `jammy` before). Default: none, and only `jammy` is accepted. The pipeline passes its own.
   */
  troveRelease?: string;
  /** Accept a guest OS or release the Trove release does not support (without `troveRelease`: other than ubuntu/jammy). Default: `false`. */
  allowUntested?: boolean;
  /**
   * Docker image references to embed in the guest image (trovestack's `DIB_TROVE_DOCKER_IMAGES`, sorted, each once),
   * so instances start without pulling them. The build host pulls them from where the references point (it must reach the registry), and
   * a new list rebuilds the image. Only upstream master's trovestack (2026.2) reads the variable, and no released
   * branch does yet: needs `troveRelease` `2026.2` and `allowUntested: true`, and is refused on every other release
   * (their trovestack would embed nothing). Default: none. The pipeline passes the
   * references it publishes when `guestImage.preloadImages` is true. Example: `["10.0.0.5:4000/trove/mysql:8.4"]`.
   */
  preloadImages?: pulumi.Input<string[]>;
  /** Skip the build and use this existing local image file (on the machine running `pulumi`). Its extension gives the format. */
  existingImagePath?: string;
  /**
   * Skip the build and upload the image published at this URL. The machine running `pulumi` downloads it (into
   * GlanceImage's fixed cache directory) and uploads it to Glance, checked against its checksum. Its extension gives
   * the format.
   */
  imageUrl?: string;
}

/** Where the image comes from, after defaults and validation. @internal */
export type GuestImageSource =
  | {
      kind: "build";
      /** What {@link renderBuildScript} renders the build from; the constructor adds the preloaded images. */
      scriptInputs: BuildScriptInputs;
      environmentTriggers: Record<string, string>;
      outputImagePath: string;
      remote: boolean;
      /** For a remote build whose image is copied here: where to. */
      fetch?: { path: string };
      /** For a remote build: the host it runs on (the checked connection, its Inputs as given). */
      buildHost?: SshConnection;
      /** Image references to embed, known once published: the constructor adds them to the environment and triggers. */
      preloadImages?: pulumi.Input<string[]>;
    }
  | { kind: "file"; path: string }
  | { kind: "url"; url: string };

/** Everything {@link GuestImageBuild} needs, resolved and validated. @internal */
export interface ResolvedGuestImageBuild {
  guestOs: string;
  guestOsRelease: string;
  devMode: boolean;
  guestUsername: string;
  diskFormat: string;
  troveRef: string;
  cloudInitDatasources: string[];
  source: GuestImageSource;
  /** Values that shape the image; a change to any of them rebuilds it. */
  triggers: string[];
  /** Things the admin should know that do not stop the run (logged as warnings by the component). */
  warnings: string[];
}

/** How the program runs: a preview (`pulumi preview`, or the preview step of `up`) never needs the deploy machine's files. @internal */
export interface ResolveContext {
  dryRun: boolean;
}

/** A path that is safe for trovestack, which passes it to `rm`, `mkdir` and `dirname` unquoted. */
const TROVESTACK_SAFE_PATH = /^(\$HOME\/|\/)[A-Za-z0-9._/+-]+$/;

/** The format diskimage-builder and Glance use for an image path, from its extension; undefined if unknown. */
export function imageFormatOf(imagePath: string): string | undefined {
  const ext = path
    .extname(imagePath.split("?")[0] ?? "")
    .slice(1)
    .toLowerCase();
  return Object.hasOwn(IMAGE_FORMATS, ext) ? IMAGE_FORMATS[ext] : undefined;
}

/** trovestack's default output path for an OS, release and mode. @internal */
export function defaultOutputImagePath(guestOs: string, guestOsRelease: string, devMode: boolean): string {
  return `$HOME/images/trove-guest-${guestOs}-${guestOsRelease}${devMode ? "-dev" : ""}.qcow2`;
}

/**
 * diskimage-builder's CI element: its root.d writes an apt.conf.d file that accepts unauthenticated packages and
 * insecure repositories into the image, on any build host (it does not check for a CI mirror first). trovestack adds
 * it to its element list on master (Trove 26, 2026.2); no environment variable takes it out again.
 * @internal
 */
export const UNSIGNED_APT_ELEMENT = "openstack-ci-mirrors";

/** Build environment variables that make diskimage-builder's Ubuntu build skip signature checks. @internal */
export const UNSIGNED_APT_ENVIRONMENT = ["DIB_DISTRIBUTION_MIRROR_UBUNTU_INSECURE"] as const;

/** What the build script is rendered from. */
export interface BuildScriptInputs {
  troveSourceDir: string;
  guestOs: string;
  guestOsRelease: string;
  devMode: boolean;
  guestUsername: string;
  outputImagePath: string;
  environment: Record<string, string>;
  /**
   * For a production build on a release whose image build bakes the checkout's `git HEAD` (2026.2): the ref the
   * script pins the guest agent to, through `DIB_REPOLOCATION_guest_agent` / `DIB_REPOREF_guest_agent`. Not a
   * trigger: the ref is one already (`trove:<dir>@<ref>`).
   */
  guestAgentRef?: string;
}

/**
 * `DIB_TROVE_DOCKER_IMAGES` for a list of image references: sorted, each once, space separated (so the same set is
 * the same trigger). Throws for a reference that is not one (imageReferenceProblem: none splits or reads as
 * `source=target`).
 * @internal
 */
export function preloadImagesValue(references: readonly string[]): string {
  for (const r of references) {
    if (imageReferenceProblem(r))
      throw new Error(
        `GuestImageBuild: preloadImages ${JSON.stringify(r)} is not valid (expected an image reference such as 10.0.0.5:4000/trove/mysql:8.4, without spaces or '=')`,
      );
  }
  return [...new Set(references)].sort().join(" ");
}

/**
 * The build script (internal/scripts/build-guest-image.sh). It builds into a hidden partial file beside the output
 * (same extension, so trovestack picks the same format), moves it into place only when trovestack succeeds, and
 * prints one JSON line with the image's path, sha256, size and log file, which it also keeps beside the image as the
 * build's record. trovestack's output goes whole to `<image>.build.log`; stderr gets a bounded progress tail while it
 * runs, and the log's last lines if it fails. A failed build removes the partial file and leaves any previous image
 * untouched. A production build (devMode false) first refuses a checkout that names {@link UNSIGNED_APT_ELEMENT}.
 * It reads {@link buildScriptEnvironment}.
 */
export const BUILD_SCRIPT = loadScript("build-guest-image.sh");

/**
 * The build's `update` (internal/scripts/check-guest-image.sh): what runs when an input that does not shape the
 * image changes (the build host's key, address or user, the private key, this library's script text). It builds
 * nothing: it reports the image the last build made if it is still there with the sha256 that build recorded beside
 * it, and otherwise fails with what to run to build again. An image without a record (built by an older
 * pulumi-trove) is taken as built. It reads {@link buildUpdateEnvironment}.
 */
export const BUILD_UPDATE_SCRIPT = loadScript("check-guest-image.sh");

/**
 * The remote build's cleanup (internal/scripts/remove-guest-image.sh), run when the stack is destroyed: removes the
 * image, its record and its log from the build host while the image is still the one the build made (its sha256).
 * It reads {@link buildCleanupEnvironment}.
 */
export const BUILD_CLEANUP_SCRIPT = loadScript("remove-guest-image.sh");

/** What the cleanup script reads: the image the build made (its path as the build printed it) and its sha256. @internal */
export function buildCleanupEnvironment(image: BuiltImage): Record<string, string> {
  return { PULUMI_TROVE_BUILD_OUTPUT: image.path, PULUMI_TROVE_BUILD_SHA256: image.sha256 };
}

/** The script that reports an existing image file's path, sha256 and size, in the build script's JSON shape. */
export const DESCRIBE_SCRIPT = loadScript("describe-image.sh");

/** What the build script reads: trovestack's arguments, then trovestack's own environment. */
export function buildScriptEnvironment(s: BuildScriptInputs): Record<string, string> {
  return {
    PULUMI_TROVE_BUILD_SCRIPTS_DIR: path.posix.join(s.troveSourceDir, "integration/scripts"),
    PULUMI_TROVE_BUILD_OUTPUT: s.outputImagePath,
    PULUMI_TROVE_BUILD_GUEST_OS: s.guestOs,
    PULUMI_TROVE_BUILD_GUEST_OS_RELEASE: s.guestOsRelease,
    PULUMI_TROVE_BUILD_DEV_MODE: String(s.devMode),
    PULUMI_TROVE_BUILD_GUEST_USERNAME: s.guestUsername,
    ...(s.guestAgentRef !== undefined
      ? { PULUMI_TROVE_BUILD_CHECKOUT: s.troveSourceDir, PULUMI_TROVE_BUILD_GUEST_AGENT_REF: s.guestAgentRef }
      : {}),
    ...s.environment,
  };
}

/** What the update script reads: the image (`$HOME/…` allowed) and what to run to build it again. */
export function buildUpdateEnvironment(outputImagePath: string, replaceHint: string): Record<string, string> {
  return { PULUMI_TROVE_BUILD_OUTPUT: outputImagePath, PULUMI_TROVE_BUILD_REBUILD_HINT: replaceHint };
}

/**
 * The build script as one self-contained text for `bash -c` on a build host (over SSH, where @pulumi/command's
 * `environment` would need sshd's AcceptEnv): {@link buildScriptEnvironment} as quoted `export` lines, then the script.
 */
export function renderBuildScript(s: BuildScriptInputs): string {
  return withExports(buildScriptEnvironment(s), BUILD_SCRIPT);
}

/** The update script as one self-contained text for `bash -c` on a build host, as {@link renderBuildScript}. */
export function renderBuildUpdateScript(outputImagePath: string, replaceHint: string): string {
  return withExports(buildUpdateEnvironment(outputImagePath, replaceHint), BUILD_UPDATE_SCRIPT);
}

/** What the build and describe scripts print. @internal */
export interface BuiltImage {
  path: string;
  sha256: string;
  sizeBytes: number;
  /** The build's full log (on the build host), for a build. */
  logPath?: string;
}

/** Reads the JSON line the build, update, describe or fetch script prints last; `step` names it in the error. @internal */
export function parseBuiltImage(stdout: string | undefined, step = "the image build"): BuiltImage {
  return readScriptResult<BuiltImage>(step, stdout, (v) => {
    const b = v as BuiltImage;
    return typeof b?.path === "string" && /^[0-9a-f]{64}$/.test(String(b.sha256)) && Number.isInteger(b.sizeBytes);
  });
}

/** The checkout's current commit, or undefined when it is not a readable git checkout here. */
function localGitHead(dir: string): string | undefined {
  try {
    return execFileSync("git", ["-C", dir, "rev-parse", "HEAD"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return undefined;
  }
}

/** The fields of {@link GuestImageBuildArgs}' schema (the pipeline's `guestImage` takes them too). @internal */
export const GUEST_IMAGE_BUILD_FIELDS: FieldRules<GuestImageBuildArgs> = {
  buildCheckout: optional(troveCheckoutRule("on the build host")),
  troveSourceDir: optional(
    text(
      "an absolute path (of a Trove checkout on the build host; former name of buildCheckout.dir)",
      absolutePathProblem,
    ),
  ),
  troveRef: optional(text("a git branch, tag or commit (former name of buildCheckout.ref)", gitRefProblem)),
  guestOs: optional(text("a guest OS name, e.g. ubuntu", (v) => plainNameProblem(v, 32))),
  guestOsRelease: optional(text("a guest OS release, e.g. jammy or noble", (v) => plainNameProblem(v, 32))),
  devMode: optional(flag()),
  guestUsername: optional(text("a Linux user name", linuxUserProblem)),
  outputImagePath: optional(
    text("a path on the build host, absolute or starting with $HOME/", (v) =>
      TROVESTACK_SAFE_PATH.test(v)
        ? undefined
        : "expected an absolute path or one starting with $HOME/, of letters, digits, '.', '_', '+', '-' and '/' (trovestack does not quote it)",
    ),
  ),
  hostScpUsername: optional(text("a Linux user name", linuxUserProblem)),
  cloudInitDatasources: optional(
    listOf(
      text("a cloud-init datasource name such as OpenStack", (v) =>
        /^[A-Za-z0-9]+$/.test(v) ? undefined : "expected a cloud-init datasource name such as OpenStack or ConfigDrive",
      ),
      { min: 1 },
    ),
  ),
  localElementsPath: optional(text("an absolute path on the build host", absolutePathProblem)),
  environment: optional(
    mapOf(
      text("a one-line value", singleLineProblem),
      environmentNameProblem,
      "a map of environment variable names to one-line values",
    ),
  ),
  buildHost: optional(SSH_CONNECTION_SCHEMA),
  fetchImage: optional(
    either("{ path? } or false", [IMAGE_FETCH_SCHEMA, oneOfValues([false])], (v) =>
      v === false ? 1 : isPlainObject(v) ? 0 : undefined,
    ),
  ),
  troveRelease: optional(TROVE_RELEASE_RULE),
  allowUntested: optional(flag()),
  preloadImages: optional(input(listOf(text("an image reference", imageReferenceProblem)))),
  existingImagePath: optional(text("an absolute path of an image file on this machine", absolutePathProblem)),
  imageUrl: optional(text("an http:// or https:// URL", httpUrlProblem)),
};

/** The schema of {@link GuestImageBuildArgs}. @internal */
export const GUEST_IMAGE_BUILD_SCHEMA: Rule = shape<GuestImageBuildArgs>(
  "guest image build arguments",
  GUEST_IMAGE_BUILD_FIELDS,
  (a, report) => guestImageBuildPairs(a, report),
);

/** The fields of {@link GuestImageBuildArgs} renamed, by their former names (the pipeline's `guestImage` too). @internal */
export const GUEST_IMAGE_BUILD_RENAMED: readonly RenamedField[] = [
  { former: "troveSourceDir", now: "buildCheckout.dir" },
  { former: "troveRef", now: "buildCheckout.ref", onlyWith: "buildCheckout.dir" },
];

/** The guest image build's fields that only make sense together (the pipeline's `guestImage` checks them too). @internal */
export function guestImageBuildPairs(
  a: Omit<GuestImageBuildArgs, "preloadImages">,
  report: (field: string, value: unknown, allowed: string) => void,
): void {
  renamedFieldPairs(GUEST_IMAGE_BUILD_RENAMED)(a, report);
  if (a.existingImagePath !== undefined && a.imageUrl !== undefined)
    report("imageUrl", a.imageUrl, "give either existingImagePath or imageUrl, not both");
}

/** The defaults every source kind shares, resolved; the source resolvers read them. */
interface CommonImageDefaults {
  guestOs: string;
  guestOsRelease: string;
  devMode: boolean;
  guestUsername: string;
  cloudInitDatasources: string[];
  environment: Record<string, string>;
  /** Whether `troveRelease` is unset or known. */
  releaseOk: boolean;
}

/** What a source resolver adds to the resolved arguments; no `source` when its own fields are not valid (the problems say why). */
interface ResolvedSource {
  source?: GuestImageSource;
  /** Undefined when the extension is not known (reported): the resolved arguments keep `qcow2`. */
  diskFormat?: string;
  triggers: string[];
  troveRef?: string;
}

const UNKNOWN_EXTENSION = `unknown image extension; known: ${Object.keys(IMAGE_FORMATS).join(", ")}`;

/** An existing image file on the machine running `pulumi`. */
function resolveFileSource(p: string, problems: Problems, warnings: string[], context: ResolveContext): ResolvedSource {
  const format = imageFormatOf(p);
  const diskFormat = problems.check(format !== undefined, "existingImagePath", p, UNKNOWN_EXTENSION)
    ? format
    : undefined;
  const triggers: string[] = [];
  if (existsSync(p)) {
    const st = statSync(p);
    // Size and mtime are cheap to read on every run; a change re-reads the checksum, which re-uploads the image.
    triggers.push(`file:${p}`, `size:${st.size}`, `mtime:${st.mtimeMs}`);
  } else if (context.dryRun) {
    warnings.push(
      `existingImagePath ${p} is not on this machine: the preview goes on without it; pulumi up needs it here`,
    );
    triggers.push(`file:${p}`);
  } else {
    problems.add("existingImagePath", p, "no such file on this machine");
  }
  return { source: { kind: "file", path: p }, diskFormat, triggers };
}

/** A published image URL. */
function resolveUrlSource(url: string, problems: Problems): ResolvedSource {
  // The schema has checked that it is an http:// or https:// URL.
  const format = imageFormatOf(new URL(url).pathname);
  const diskFormat = problems.check(format !== undefined, "imageUrl", url, UNKNOWN_EXTENSION) ? format : undefined;
  return { source: { kind: "url", url }, diskFormat, triggers: [`url:${url}`] };
}

/** Checks trovestack's own options and the extra environment of a build from `buildCheckout`. */
function checkBuildOptions(
  args: GuestImageBuildArgs,
  common: CommonImageDefaults,
  troveSourceDir: string,
  problems: Problems,
  warnings: string[],
): void {
  const { devMode, cloudInitDatasources, environment, releaseOk } = common;
  problems.check(
    cloudInitDatasources.includes(REQUIRED_DATASOURCE),
    "cloudInitDatasources",
    cloudInitDatasources,
    `must include "OpenStack": since Yoga, Trove no longer uses a config drive by default, so cloud-init must read the metadata service to inject the guest agent's files`,
  );
  if (args.hostScpUsername !== undefined) {
    problems.check(
      devMode,
      "hostScpUsername",
      args.hostScpUsername,
      "only used in dev mode; remove it or set devMode: true",
    );
  }
  if (!devMode) {
    for (const key of UNSIGNED_APT_ENVIRONMENT)
      problems.check(
        !Object.hasOwn(environment, key),
        `environment.${key}`,
        environment[key],
        "makes apt in the image accept unsigned packages; not allowed in a production build (devMode false)",
      );
    const debootstrap = environment.DIB_DEBOOTSTRAP_EXTRA_ARGS;
    problems.check(
      debootstrap === undefined || !/--no-check-(gpg|sig)/.test(debootstrap),
      "environment.DIB_DEBOOTSTRAP_EXTRA_ARGS",
      debootstrap,
      "must not turn off signature checks in a production build (devMode false)",
    );
    if (releaseOk && args.troveRelease !== undefined && TROVE_RELEASES[args.troveRelease]!.trovestackAddsCiMirrors) {
      warnings.push(
        `Trove ${args.troveRelease}'s trovestack adds diskimage-builder's ${UNSIGNED_APT_ELEMENT} element (its apt settings accept unsigned packages): this production build (devMode false) will stop before trovestack runs unless ${troveSourceDir} no longer names it`,
      );
    }
  }
  if (args.preloadImages !== undefined) {
    problems.check(
      !Object.hasOwn(environment, "DIB_TROVE_DOCKER_IMAGES"),
      "environment.DIB_TROVE_DOCKER_IMAGES",
      environment.DIB_TROVE_DOCKER_IMAGES,
      "set it with preloadImages, not both",
    );
    const rules = releaseOk && args.troveRelease !== undefined ? TROVE_RELEASES[args.troveRelease]! : undefined;
    if (rules === undefined)
      problems.add(
        "preloadImages",
        "(images)",
        "needs troveRelease: only a trovestack that reads DIB_TROVE_DOCKER_IMAGES (upstream master, 2026.2) embeds images",
      );
    else if (!rules.trovestackEmbedsDockerImages)
      problems.add(
        "preloadImages",
        "(images)",
        `Trove ${rules.release}'s trovestack does not read DIB_TROVE_DOCKER_IMAGES, so the image would embed nothing; only upstream master (2026.2) does`,
      );
    else
      problems.check(
        args.allowUntested === true,
        "preloadImages",
        "(images)",
        `only upstream master's trovestack (Trove ${rules.release}) reads DIB_TROVE_DOCKER_IMAGES, and no released branch does yet; set allowUntested: true to try it anyway`,
      );
  }
  for (const key of Object.keys(environment)) {
    problems.check(
      !["DIB_CLOUD_INIT_DATASOURCES", "HOST_SCP_USERNAME", "DIB_LOCAL_ELEMENTS_PATH"].includes(key),
      `environment.${key}`,
      key,
      "set it with its own argument (cloudInitDatasources, hostScpUsername, localElementsPath)",
    );
  }
}

/** Checks that a remote build's image can be copied here (unless `fetchImage: false`). */
function checkBuildHost(args: GuestImageBuildArgs, outputImagePath: string, problems: Problems): void {
  if (args.buildHost === undefined) {
    problems.check(
      args.fetchImage === undefined,
      "fetchImage",
      args.fetchImage,
      "only for a remote build: give buildHost, or remove fetchImage",
    );
  } else if (args.fetchImage !== false) {
    checkImageFetch(args.fetchImage, outputImagePath, problems);
    problems.check(
      !(args.buildHost.password !== undefined && args.buildHost.privateKey === undefined),
      "buildHost.password",
      "(secret)",
      "copying the image here needs buildHost.privateKey (ssh cannot log in with a password unattended); give a key, or set fetchImage: false and upload the image from the build host yourself",
    );
  }
}

/** The checkout's ref: as given, else (local build) its HEAD, else `unknown` with a warning. */
function resolveTroveRef(
  args: GuestImageBuildArgs,
  troveSourceDir: string,
  problems: Problems,
  warnings: string[],
): string {
  const given = args.buildCheckout?.ref;
  let troveRef = given ?? "unknown";
  if (given === undefined) {
    const head = args.buildHost === undefined ? localGitHead(troveSourceDir) : undefined;
    if (head) troveRef = head;
    else
      warnings.push(
        `buildCheckout.ref is not set and ${troveSourceDir} is not a git checkout readable here, so the image is recorded as built from "unknown": a machine that can read the checkout would see a different value and rebuild; set buildCheckout.ref`,
      );
  }
  problems.check(
    /^[A-Za-z0-9._/@+-]{1,200}$/.test(troveRef),
    "buildCheckout.ref",
    troveRef,
    "expected a git ref or commit id",
  );
  return troveRef;
}

/**
 * The ref a production build pins the baked guest agent to, on a release whose image build bakes the checkout's own
 * `git HEAD` (upstream 867b6b26, 2026.2): `buildCheckout.ref`, so the image holds what the stack says, whatever the checkout's
 * HEAD is then. Undefined in dev mode (the guest agent fetches the controller's code at boot), on other releases
 * (they clone the element's pinned branch), and when the environment names the guest agent's source itself.
 */
function pinnedGuestAgentRef(
  args: GuestImageBuildArgs,
  common: CommonImageDefaults,
  troveRef: string,
  problems: Problems,
  warnings: string[],
): string | undefined {
  const rules = common.releaseOk && args.troveRelease !== undefined ? TROVE_RELEASES[args.troveRelease]! : undefined;
  if (common.devMode || !rules?.trovestackBakesCheckoutHead) return undefined;
  const location = common.environment.DIB_REPOLOCATION_guest_agent;
  if (location !== undefined) {
    const ref = common.environment.DIB_REPOREF_guest_agent;
    warnings.push(
      `environment.DIB_REPOLOCATION_guest_agent is set: the guest agent is baked from ${location} at ${ref ?? "the element's own ref (master; set DIB_REPOREF_guest_agent too)"}, not from buildCheckout.ref ${troveRef}`,
    );
    return undefined;
  }
  problems.check(
    troveRef !== "unknown",
    "buildCheckout.ref",
    troveRef,
    `Trove ${rules.release}'s image build bakes the guest agent from the checkout's git HEAD (upstream 867b6b26), and a production build (devMode false) pins it to buildCheckout.ref: set buildCheckout.ref to the commit, tag or branch to bake`,
  );
  return troveRef;
}

/** A build with trovestack from `buildCheckout`, here or on `buildHost`. No source while any problem is recorded. */
function resolveBuildSource(
  args: GuestImageBuildArgs,
  common: CommonImageDefaults,
  troveSourceDir: string,
  problems: Problems,
  warnings: string[],
): ResolvedSource {
  const { guestOs, guestOsRelease, devMode, guestUsername, cloudInitDatasources, environment } = common;
  // A given outputImagePath has passed the schema's TROVESTACK_SAFE_PATH; the default is made of plain names.
  const outputImagePath = args.outputImagePath ?? defaultOutputImagePath(guestOs, guestOsRelease, devMode);
  let diskFormat: string | undefined;
  const format = imageFormatOf(outputImagePath);
  if (problems.check(format !== undefined, "outputImagePath", outputImagePath, UNKNOWN_EXTENSION)) diskFormat = format;
  checkBuildOptions(args, common, troveSourceDir, problems, warnings);
  checkBuildHost(args, outputImagePath, problems);
  const troveRef = resolveTroveRef(args, troveSourceDir, problems, warnings);
  const guestAgentRef = pinnedGuestAgentRef(args, common, troveRef, problems, warnings);

  const buildEnvironment: Record<string, string> = { DIB_CLOUD_INIT_DATASOURCES: cloudInitDatasources.join(", ") };
  if (devMode && args.hostScpUsername !== undefined) buildEnvironment.HOST_SCP_USERNAME = args.hostScpUsername;
  if (args.localElementsPath !== undefined) buildEnvironment.DIB_LOCAL_ELEMENTS_PATH = args.localElementsPath;
  Object.assign(buildEnvironment, environment);
  if (problems.any) return { diskFormat, triggers: [], troveRef };

  const scriptInputs: BuildScriptInputs = {
    troveSourceDir,
    guestOs,
    guestOsRelease,
    devMode,
    guestUsername,
    outputImagePath,
    environment: buildEnvironment,
    ...(guestAgentRef !== undefined ? { guestAgentRef } : {}),
  };
  const remote = args.buildHost !== undefined;
  const fetch =
    remote && args.fetchImage !== false ? { path: fetchDestination(outputImagePath, args.fetchImage) } : undefined;
  return {
    source: {
      kind: "build",
      scriptInputs,
      environmentTriggers: buildEnvironment,
      outputImagePath,
      remote,
      fetch,
      buildHost: args.buildHost,
      preloadImages: args.preloadImages,
    },
    diskFormat,
    triggers: [
      `trove:${troveSourceDir}@${troveRef}`,
      `os:${guestOs}/${guestOsRelease}`,
      `dev:${devMode}`,
      `user:${guestUsername}`,
      `out:${outputImagePath}`,
      `env:${JSON.stringify(buildEnvironment)}`,
    ],
    troveRef,
  };
}

/** Checks the guest OS and release against the Trove release (or the tested pair). */
function checkGuestOs(args: GuestImageBuildArgs, common: CommonImageDefaults, problems: Problems): void {
  const { guestOs, guestOsRelease, releaseOk } = common;
  const supportedReleases =
    guestOs === "ubuntu" && args.troveRelease !== undefined && releaseOk
      ? TROVE_RELEASES[args.troveRelease]!.guestOsReleases
      : SUPPORTED_GUEST_OS[guestOs];
  if (!args.allowUntested && releaseOk) {
    if (
      problems.check(
        supportedReleases !== undefined,
        "guestOs",
        guestOs,
        `supported: ${Object.keys(SUPPORTED_GUEST_OS).join(", ")}; set allowUntested: true to try it anyway`,
      )
    ) {
      if (guestOs === "ubuntu" && args.troveRelease !== undefined)
        problems.report(
          "guestOsRelease",
          guestOsRelease,
          releaseGuestOsProblem(TROVE_RELEASES[args.troveRelease]!, guestOsRelease),
        );
      else
        problems.check(
          supportedReleases!.includes(guestOsRelease),
          "guestOsRelease",
          guestOsRelease,
          `supported: ${supportedReleases!.join(", ")}; set allowUntested: true to try it anyway`,
        );
    }
  }
}

/**
 * Applies defaults and validates; throws one error naming every bad field. Pure but for reading local file facts; in a
 * preview, a local file that is absent is a warning (the preview may run where the image is not, e.g. in CI). `args` use
 * the fields' current names; `formerNames` are the warnings of the former names the constructor moved.
 * @internal
 */
export function resolveGuestImageBuildArgs(
  name: string,
  args: GuestImageBuildArgs,
  context: ResolveContext = { dryRun: false },
  formerNames: string[] = [],
): ResolvedGuestImageBuild {
  const problems = new Problems("GuestImageBuild", name);
  const warnings: string[] = [...formerNames];
  // The schema has refused an unknown release; a known one selects the guest OS releases accepted.
  const releaseOk = args.troveRelease === undefined || troveReleaseProblem(args.troveRelease) === undefined;
  const common: CommonImageDefaults = {
    guestOs: args.guestOs ?? "ubuntu",
    guestOsRelease: args.guestOsRelease ?? "jammy",
    devMode: args.devMode ?? true,
    guestUsername: args.guestUsername ?? "ubuntu",
    cloudInitDatasources: args.cloudInitDatasources ?? ["ConfigDrive", "OpenStack"],
    environment: args.environment ?? {},
    releaseOk,
  };
  checkGuestOs(args, common, problems);

  const checkoutDir = args.buildCheckout?.dir;
  const sources = [args.existingImagePath, args.imageUrl, checkoutDir].filter((v) => v !== undefined).length;
  if (sources === 0)
    problems.add(
      "buildCheckout",
      undefined,
      "give buildCheckout to build, or existingImagePath or imageUrl to skip the build",
    );

  let resolved: ResolvedSource = { triggers: [] };
  if (args.existingImagePath !== undefined)
    resolved = resolveFileSource(args.existingImagePath, problems, warnings, context);
  else if (args.imageUrl !== undefined) resolved = resolveUrlSource(args.imageUrl, problems);
  else if (checkoutDir !== undefined) resolved = resolveBuildSource(args, common, checkoutDir, problems, warnings);

  if (args.preloadImages !== undefined && checkoutDir === undefined)
    problems.add(
      "preloadImages",
      "(images)",
      "only for a build (buildCheckout); an existing image or URL is used as it is",
    );
  problems.throwIfAny();
  const { guestOs, guestOsRelease, devMode, guestUsername, cloudInitDatasources } = common;
  return {
    guestOs,
    guestOsRelease,
    devMode,
    guestUsername,
    diskFormat: resolved.diskFormat ?? "qcow2",
    troveRef: resolved.troveRef ?? args.buildCheckout?.ref ?? "unknown",
    cloudInitDatasources,
    source: resolved.source!,
    triggers: resolved.triggers,
    warnings,
  };
}

/** What the fetch script reads on stdin: the build host's private key as a secret, or "" to use your own ssh-agent. @internal */
export function fetchStdin(c: SshConnection): pulumi.Output<string> {
  return pulumi.secret(pulumi.output(c.privateKey).apply((k) => k ?? ""));
}

/** A build source, as {@link resolveGuestImageBuildArgs} gives it. */
type BuildSource = Extract<GuestImageSource, { kind: "build" }>;

/** What the resources of a file or build source print (the build script's JSON line), and where a copy lands here. */
interface DeclaredImage {
  stdout: pulumi.Output<string>;
  /** For a remote build whose image is copied here: the copy's path. */
  localImagePath?: pulumi.Output<string | undefined>;
}

/**
 * The build's script inputs and triggers, with the preloaded images once they are published: the build's environment
 * and a trigger are made from them, so a new set of images rebuilds the image.
 */
function buildInputsOf(
  source: BuildSource,
  triggers: string[],
): { inputs: pulumi.Input<BuildScriptInputs>; triggers: pulumi.Input<unknown>[] } {
  const preload =
    source.preloadImages !== undefined ? pulumi.output(source.preloadImages).apply(preloadImagesValue) : undefined;
  if (!preload) return { inputs: source.scriptInputs, triggers };
  return {
    inputs: preload.apply((v) => ({
      ...source.scriptInputs,
      environment: { ...source.scriptInputs.environment, DIB_TROVE_DOCKER_IMAGES: v },
    })),
    triggers: [...triggers, preload.apply((v) => `preload:${v}`)],
  };
}

/**
 * What a forced rebuild takes, for the update's error message. A plain string: an input made from the component's
 * URN would make the build wait for all of the component's children, the fetch among them.
 */
function replaceHintOf(name: string): string {
  return `pulumi up --replace <URN of ${name}-build> (pulumi stack --show-urns lists it)`;
}

/** A build on the build host over SSH, and the copy of its image here when `fetch` is set. */
function declareRemoteBuild(
  name: string,
  parent: pulumi.Resource,
  source: BuildSource,
  c: SshConnection,
  triggers: string[],
): DeclaredImage {
  const { inputs, triggers: buildTriggers } = buildInputsOf(source, triggers);
  const connection = remoteConnection(c, { component: "GuestImageBuild", name, field: "buildHost" });
  const build = new command.remote.Command(
    `${name}-build`,
    {
      connection,
      // sshd passes a command's `environment` only for the names its AcceptEnv lists, so the values go as quoted
      // `export` lines in front of the script, inside the one `bash -c` argument.
      create: pulumi.output(inputs).apply((i) => shellCommand(["bash", "-c", renderBuildScript(i)])),
      update: shellCommand(["bash", "-c", renderBuildUpdateScript(source.outputImagePath, replaceHintOf(name))]),
      // Not needed (the update reads the record beside the image), and sshd drops it unless it accepts the name.
      addPreviousOutputInEnv: false,
      triggers: buildTriggers,
    },
    { parent },
  );
  // The image the build printed (its path and sha256): what the cleanup removes and the copy brings here.
  const built = build.stdout.apply((out) =>
    parseBuiltImage(out, `GuestImageBuild "${name}": the image build on ${c.host}`),
  );
  declareBuildCleanup(name, parent, build, built, connection);
  return {
    stdout: build.stdout,
    localImagePath: source.fetch ? declareFetch(name, parent, build, built, c, source.fetch.path) : undefined,
  };
}

/**
 * What removes the remote build's image from the build host when the stack is destroyed: a command with only a
 * `delete`, made from the image the build printed. The build itself has no `delete`: a replacement builds to the same
 * path before the old build is deleted, and that delete would remove the new image. This one is only updated by a
 * rebuild (its `delete` holds the new sha256), runs nothing then, and never connects before the destroy.
 */
function declareBuildCleanup(
  name: string,
  parent: pulumi.Resource,
  build: command.remote.Command,
  built: pulumi.Output<BuiltImage>,
  connection: command.types.input.remote.ConnectionArgs,
): void {
  new command.remote.Command(
    `${name}-build-cleanup`,
    {
      connection,
      delete: built.apply((b) =>
        shellCommand(["bash", "-c", withExports(buildCleanupEnvironment(b), BUILD_CLEANUP_SCRIPT)]),
      ),
      addPreviousOutputInEnv: false,
    },
    { parent, dependsOn: [build] },
  );
}

/** The copy of a remote build's image to `localPath` here, checked against the build's sha256; its path. */
function declareFetch(
  name: string,
  parent: pulumi.Resource,
  build: command.remote.Command,
  built: pulumi.Output<BuiltImage>,
  c: SshConnection,
  localPath: string,
): pulumi.Output<string | undefined> {
  const environment: Record<keyof ImageFetchEnvironment, pulumi.Input<string>> = {
    FETCH_HOST: c.host,
    FETCH_PORT: pulumi.output(c.port ?? 22).apply(String),
    FETCH_USER: c.user,
    FETCH_REMOTE_PATH: built.path,
    FETCH_SHA256: built.sha256,
    FETCH_LOCAL_PATH: localPath,
    FETCH_HOST_KEY: hostKeyOf(c) ?? "",
    FETCH_INSECURE_IGNORE_HOST_KEY: String(c.insecureIgnoreHostKey === true),
  };
  const fetch = new command.local.Command(
    `${name}-fetch`,
    {
      create: FETCH_SCRIPT,
      update: FETCH_UPDATE_SCRIPT,
      delete: FETCH_DELETE_SCRIPT,
      interpreter: ["/bin/bash", "-c"],
      environment,
      // The key reaches the script on stdin only; as a secret it is encrypted in state.
      stdin: fetchStdin(c),
      addPreviousOutputInEnv: false,
      triggers: [built.sha256, localPath],
    },
    { parent, dependsOn: [build] },
  );
  return fetch.stdout.apply(
    (out) => parseBuiltImage(out, `GuestImageBuild "${name}": the copy of the image here`).path,
  );
}

/** A build where `pulumi` runs. */
function declareLocalBuild(
  name: string,
  parent: pulumi.Resource,
  source: BuildSource,
  triggers: string[],
): DeclaredImage {
  const { inputs, triggers: buildTriggers } = buildInputsOf(source, triggers);
  const build = new command.local.Command(
    `${name}-build`,
    {
      create: BUILD_SCRIPT,
      update: BUILD_UPDATE_SCRIPT,
      interpreter: ["/bin/bash", "-c"],
      environment: pulumi.output(inputs).apply((i) => ({
        ...buildScriptEnvironment(i),
        ...buildUpdateEnvironment(source.outputImagePath, replaceHintOf(name)),
      })),
      // The update reads the record beside the image; the previous output is not needed.
      addPreviousOutputInEnv: false,
      triggers: buildTriggers,
    },
    { parent },
  );
  return { stdout: build.stdout };
}

/** The description (path, sha256, size) of an existing image file. */
function declareDescribe(name: string, parent: pulumi.Resource, imagePath: string, triggers: string[]): DeclaredImage {
  // Describing a file is cheap and has no side effect: an update describes it again.
  const describe = new command.local.Command(
    `${name}-describe`,
    {
      create: DESCRIBE_SCRIPT,
      update: DESCRIBE_SCRIPT,
      interpreter: ["/bin/bash", "-c"],
      environment: { PULUMI_TROVE_IMAGE: imagePath },
      addPreviousOutputInEnv: false,
      triggers,
    },
    { parent },
  );
  return { stdout: describe.stdout };
}

/** The image as {@link GlanceImage} uploads it: its format and OS (for the default name), and where its data is. @internal */
export interface GuestImageGlanceSource {
  diskFormat: string;
  guestOs: string;
  guestOsRelease: string;
  /** The file where `pulumi` runs, when there is one ({@link GuestImageBuild.localImagePath}). */
  localFilePath: pulumi.Output<string | undefined>;
  /** The published URL, for a URL source. */
  url: pulumi.Output<string | undefined>;
  sha256: pulumi.Output<string | undefined>;
  /** Whether the image was built on a remote build host. */
  remote: boolean;
  /** Whether `localFilePath` will hold the image. */
  availableLocally: boolean;
}

/**
 * Builds the Trove guest image with `trovestack build-image`, locally or on a build host over SSH, or describes an
 * existing image file or URL. Outputs the image's location, format, sha256 and size for {@link GlanceImage}.
 */
export class GuestImageBuild extends pulumi.ComponentResource {
  /** Path of the image file (on the build host for a remote build); undefined for a URL source. */
  public readonly imagePath: pulumi.Output<string | undefined>;
  /** The published URL, for a URL source. */
  public readonly imageUrl: pulumi.Output<string | undefined>;
  /** Glance disk format, from the file extension: `qcow2`, `raw` or `vhd`. Known at preview time. */
  public readonly diskFormat: pulumi.Output<string>;
  /** sha256 of the image file; undefined for a URL source. */
  public readonly sha256: pulumi.Output<string | undefined>;
  /** Size of the image file in bytes; undefined for a URL source. */
  public readonly sizeBytes: pulumi.Output<number | undefined>;
  /**
   * The build's full log, `<image>.build.log` beside the image (on the build host for a remote build); undefined when
   * nothing is built. The state keeps only a bounded progress tail.
   */
  public readonly buildLogPath: pulumi.Output<string | undefined>;
  /** Whether the image was built on a remote build host rather than where `pulumi` runs. */
  public readonly remote: boolean;
  /**
   * Path of an image file where `pulumi` runs, for an upload from here: the build's output for a local build or an
   * existing file, the copy for a remote build with `fetchImage`; undefined otherwise.
   */
  public readonly localImagePath: pulumi.Output<string | undefined>;
  /** Whether {@link localImagePath} will hold the image: false for a URL and for a remote build with `fetchImage: false`. */
  public readonly availableLocally: boolean;
  /** The arguments as resolved (OS, release, mode, triggers), for composing components. @internal */
  public readonly resolved: ResolvedGuestImageBuild;
  /** The image as {@link GlanceImage} takes it. @internal */
  public readonly glanceSource: GuestImageGlanceSource;

  constructor(name: string, args: GuestImageBuildArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before anything is declared; from here on, every Input is the checked one.
    const checked = checkArgs("GuestImageBuild", name, GUEST_IMAGE_BUILD_SCHEMA, args);
    // The former names (troveSourceDir, troveRef) under their names now; the pipeline hands its own on renamed already.
    const current = argsWithCurrentNames(checked, GUEST_IMAGE_BUILD_RENAMED);
    args = current.args;
    const resolved = resolveGuestImageBuildArgs(name, args, { dryRun: pulumi.runtime.isDryRun() }, current.warnings);
    super(
      "pulumi-trove:guest-image-build:GuestImageBuild",
      name,
      {},
      withFormerTypes(opts, ["pulumi-trove:guest-image:GuestImageBuild"]),
    );
    checked.attach(this);
    this.resolved = resolved;
    for (const warning of resolved.warnings) pulumi.log.warn(`GuestImageBuild "${name}": ${warning}`, this);
    this.diskFormat = pulumi.output(resolved.diskFormat);
    const source = resolved.source;
    this.remote = source.kind === "build" && source.remote;
    this.availableLocally =
      source.kind === "file" || (source.kind === "build" && (!source.remote || source.fetch !== undefined));

    if (source.kind === "url") {
      this.imagePath = pulumi.output(undefined);
      this.imageUrl = pulumi.output(source.url);
      this.localImagePath = pulumi.output(undefined);
      this.sha256 = pulumi.output(undefined);
      this.sizeBytes = pulumi.output(undefined);
      this.buildLogPath = pulumi.output(undefined);
    } else {
      const declared =
        source.kind === "file"
          ? declareDescribe(name, this, source.path, resolved.triggers)
          : source.buildHost
            ? declareRemoteBuild(name, this, source, source.buildHost, resolved.triggers)
            : declareLocalBuild(name, this, source, resolved.triggers);
      const built = declared.stdout.apply((out) =>
        parseBuiltImage(
          out,
          `GuestImageBuild "${name}": the image ${source.kind === "build" ? "build" : "description"}`,
        ),
      );
      this.imagePath = built.path;
      this.localImagePath = declared.localImagePath ?? (this.remote ? pulumi.output(undefined) : built.path);
      this.imageUrl = pulumi.output(undefined);
      this.sha256 = built.sha256;
      this.sizeBytes = built.sizeBytes;
      this.buildLogPath = built.apply((b) => b.logPath);
    }
    this.glanceSource = {
      diskFormat: resolved.diskFormat,
      guestOs: resolved.guestOs,
      guestOsRelease: resolved.guestOsRelease,
      localFilePath: this.localImagePath,
      url: this.imageUrl,
      sha256: this.sha256,
      remote: this.remote,
      availableLocally: this.availableLocally,
    };

    this.registerOutputs({
      imagePath: this.imagePath,
      imageUrl: this.imageUrl,
      localImagePath: this.localImagePath,
      diskFormat: this.diskFormat,
      sha256: this.sha256,
      sizeBytes: this.sizeBytes,
      buildLogPath: this.buildLogPath,
    });
  }
}
