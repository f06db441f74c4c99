// The runbook's image steps: mirror each datastore's upstream image into the private registry under the exact name
// Trove's guest agent will pull, and build and push the `db-backup-<datastore>` image from Trove's `backup/`.
//
// Mirroring uses skopeo (driven by @pulumi/command): it copies registry to registry without a Docker daemon, keeps
// the upstream manifest and its digest byte for byte (`--all --preserve-digests`), and lets the script compare
// digests first, so a target that already holds the upstream digest is not copied again. The backup images need a
// real build, so they use the Docker CLI (`docker build` with Trove's build args, then `docker push`).
//
// Each script's first contact with the private registry waits for it to answer (a registry created in the same
// `pulumi up` may still be starting), and each command has an `update` that does the cheap, right thing when an input
// that does not name the image changes (credentials, CA, this library's script text): the mirror compares digests
// again; the backup build checks that its image is still in the registry and rebuilds only if it is gone.

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { DATASTORE_VERSION_SPEC_FIELDS, TROVE_RELEASE_RULE, DatastoreCatalog, DatastoreVersionSpec, defaultCatalog, releaseVersionProblem, TROVE_RELEASES, troveReleaseProblem } from "./catalog";
import { Problems } from "./errors";
import { datastoreImageNames, DatastoreImageNames } from "./image-naming";
import { REGISTRY_ENDPOINT_SCHEMA, RegistryEndpoint } from "./registry-endpoint";
import { absolutePathProblem, dockerHostProblem, firstDuplicate, gitRefProblem, registryPathProblem, repositoryProblem, tagProblem, versionNumberProblem } from "./validate";
import { checkArgs } from "./check-args";
import { FieldRules, flag, instanceOf, listOf, optional, Rule, shape, text } from "./schema";
import { loadScript, readScriptResult } from "./scripts/index";
import { withFormerTypes } from "./component-type";
import { formerNameWarning, RenamedField, renamedFieldPairs, withCurrentNames } from "./renamed-fields";

/** Arguments of {@link DatastoreImages}. */
export interface DatastoreImagesArgs {
  /** The registry to publish to, e.g. `LocalRegistry.endpoint`. */
  registry: RegistryEndpoint;
  /** Datastore versions to publish images for. At least one. */
  versions: DatastoreVersionSpec[];
  /** Repository path inside the registry. Default: `trove-datastores` (the runbook's `YOUR_REGISTRY_REPO_NAME`). */
  repository?: string;
  /**
   * Trove release of the controller (`zed` … `2026.2`, see `troveReleaseSupport`): decides the backup image names and
   * which datastore versions are supported. Required: the rules differ between releases. On Trove 18-20, two versions
   * that would share a backup image are refused. Example: `2026.1`.
   */
  troveRelease: string;
  /** Accept datastore versions outside the release's support matrix. Default: `false`. */
  allowUntested?: boolean;
  /** Tag of the backup images on releases that need a tagged `backup_docker_image` (Trove 18-20). Default: `latest`. */
  backupTag?: string;
  /** Build and push the backup images. Default: `true`. */
  buildBackupImages?: boolean;
  /**
   * Trove checkout on the machine running Pulumi whose `backup/` directory holds the backup image's Dockerfile.
   * Required when building backups. Example: `/opt/stack/trove`.
   */
  backupSourceDir?: string;
  /**
   * Former name of `backupSourceDir` (it said "Trove checkout" without saying which one, or where). Still accepted,
   * with a warning; giving both is refused.
   * @deprecated Use `backupSourceDir`.
   */
  troveSourceDir?: string;
  /** Git ref of that checkout; the backup images are rebuilt when it changes. Default: `unknown`. */
  troveRef?: string;
  /** Registry and path the upstream images come from. Default: `docker.io/library`. Example: `quay.io/openstack.trove`. */
  upstreamRegistry?: string;
  /** The upstream registry speaks plain HTTP or has an untrusted certificate. Default: `false`. */
  upstreamInsecure?: boolean;
  /** `DOCKER_HOST` for the backup builds. Default: the Docker CLI's default. */
  dockerHost?: string;
  /** Catalog the datastore names are checked against. Default: the built-in catalog. */
  catalog?: DatastoreCatalog;
}

/** One version's images, resolved. @internal */
export interface DatastoreImagePlan {
  /** `mysql:5.7.29`. */
  key: string;
  spec: Required<Pick<DatastoreVersionSpec, "datastore" | "version" | "upstreamTag">>;
  /** `<upstreamRegistry>/<upstreamImage>:<upstreamTag>`. */
  source: string;
  /** Names as a function of the registry address (known only at deploy time when the registry is a resource). */
  names: (registryAddress: string) => DatastoreImageNames;
}

/** Everything {@link DatastoreImages} needs, resolved and validated. @internal */
export interface DatastoreImagesSettings {
  /** The registry to publish to (the schema's checked endpoint). */
  registry: RegistryEndpoint;
  /** `DOCKER_HOST` for the backup builds; undefined: the Docker CLI's default. */
  dockerHost?: string;
  repository: string;
  troveRelease: string;
  backupTag: string;
  buildBackupImages: boolean;
  /** The backup images' Trove checkout (`backupSourceDir`, or its former name `troveSourceDir`). */
  troveSourceDir?: string;
  troveRef: string;
  upstreamRegistry: string;
  upstreamInsecure: boolean;
  plans: DatastoreImagePlan[];
}

/** The references a version ends up with. */
export interface PublishedImages {
  /** What the guest agent pulls as the database: `<registry>/<repo>/mysql:5.7.29`. */
  database: string;
  /** sha256 digest of the mirrored manifest, equal to upstream's. */
  databaseDigest: string;
  /** What the guest agent pulls for backups, when built. */
  backup?: string;
  /** The backup image's full `docker build` log, where `pulumi` runs, when built. */
  backupBuildLog?: string;
}

/** Where the backup builds' full logs go, one file per build command: a fixed path, the same on every machine. @internal */
export const LOG_DIRECTORY = "/var/tmp/pulumi-trove-logs";

/** Seconds a script waits, by default, for the private registry to answer its first request (registry.sh's default). */
export const REGISTRY_WAIT_SECONDS = 60;

/**
 * The mirror script (components/scripts/mirror-image.sh): reads the upstream manifest, compares its digest with what
 * the target holds, copies only when they differ, and prints `{"reference","digest","copied"}`. Errors name the image
 * and the registry. It reads {@link mirrorEnvironment} and the registry's variables.
 */
export const MIRROR_SCRIPT = loadScript("mirror-image.sh");

/**
 * The backup build script (components/scripts/build-backup-image.sh): Trove's `backup/` built with its build args,
 * pushed, and its pushed digest printed. The full `docker build` output goes to the log file; stderr gets a bounded
 * progress tail, and the log's last lines on a failure. It reads {@link backupEnvironment} and the registry's
 * variables.
 */
export const BACKUP_BUILD_SCRIPT = loadScript("build-backup-image.sh");

/**
 * The backup build's `update` (components/scripts/update-backup-image.sh): checks that the image is still in the
 * registry, reports it without building when it is, and builds and pushes only when the registry lost it.
 */
export const BACKUP_UPDATE_SCRIPT = loadScript("update-backup-image.sh");

/** What the mirror script reads: the upstream image, the target image, and whether upstream is plain HTTP. */
export function mirrorEnvironment<T extends pulumi.Input<string> = string>(source: string, target: T, upstreamInsecure: boolean): Record<string, string | T> {
  return { MIRROR_SOURCE: source, MIRROR_TARGET: target, MIRROR_UPSTREAM_INSECURE: String(upstreamInsecure) };
}

/** What the backup build (and its update) reads: the build context, the build args, the image and the log file. */
export function backupEnvironment<T extends pulumi.Input<string> = string>(troveSourceDir: string, datastore: string, version: string, target: T, logFile: string): Record<string, string | T> {
  return { BACKUP_CONTEXT: `${troveSourceDir.replace(/\/+$/, "")}/backup`, BACKUP_DATASTORE: datastore, BACKUP_VERSION: version, BACKUP_REFERENCE: target, BACKUP_LOG: logFile };
}

/** What the mirror and backup scripts print last. */
export interface ImageScriptResult {
  reference: string;
  digest: string;
  copied?: boolean;
  built?: boolean;
  logPath?: string;
}

/** Reads the JSON line a mirror or build script prints last; `step` names it in the error. */
export function parseScriptResult(stdout: string | undefined, step = "the image script"): ImageScriptResult {
  return readScriptResult<ImageScriptResult>(step, stdout, (v) => typeof (v as ImageScriptResult)?.reference === "string" && typeof (v as ImageScriptResult).digest === "string");
}

/** The fields of {@link DatastoreImagesArgs}' schema (the pipeline's `datastoreImages` takes most of them). @internal */
export const DATASTORE_IMAGES_FIELDS: FieldRules<DatastoreImagesArgs> = {
  registry: REGISTRY_ENDPOINT_SCHEMA,
  versions: listOf(shape<DatastoreVersionSpec>("{ datastore, version, name?, upstreamTag? }", DATASTORE_VERSION_SPEC_FIELDS)),
  repository: optional(text("a repository path such as trove-datastores", repositoryProblem)),
  troveRelease: TROVE_RELEASE_RULE,
  allowUntested: optional(flag()),
  backupTag: optional(text("a Docker tag", tagProblem)),
  buildBackupImages: optional(flag()),
  backupSourceDir: optional(text("an absolute path of a Trove checkout on this machine", absolutePathProblem)),
  troveSourceDir: optional(text("an absolute path of a Trove checkout on this machine (former name of backupSourceDir)", absolutePathProblem)),
  troveRef: optional(text("a git branch, tag or commit", gitRefProblem)),
  upstreamRegistry: optional(text("a registry host and path such as docker.io/library", registryPathProblem)),
  upstreamInsecure: optional(flag()),
  dockerHost: optional(text("a Docker engine address (DOCKER_HOST)", dockerHostProblem)),
  catalog: optional(instanceOf(DatastoreCatalog, "a DatastoreCatalog")),
};

/** The fields of {@link DatastoreImagesArgs} renamed, by their former names (the pipeline's `datastoreImages` too). @internal */
export const DATASTORE_IMAGES_RENAMED: readonly RenamedField[] = [{ former: "troveSourceDir", now: "backupSourceDir" }];

/** The schema of {@link DatastoreImagesArgs}. @internal */
export const DATASTORE_IMAGES_SCHEMA: Rule = shape<DatastoreImagesArgs>("datastore images arguments", DATASTORE_IMAGES_FIELDS, renamedFieldPairs(DATASTORE_IMAGES_RENAMED));

/**
 * Applies defaults and makes the checks between fields and against the catalog and the release (the constructor has
 * checked every field's content against DATASTORE_IMAGES_SCHEMA first); throws one error naming every bad field.
 * @internal
 */
export function resolveDatastoreImagesArgs(name: string, given: DatastoreImagesArgs): DatastoreImagesSettings {
  const problems = new Problems("DatastoreImages", name);
  const { value: args, used } = withCurrentNames(given, DATASTORE_IMAGES_RENAMED);
  for (const r of used) void pulumi.log.warn(`DatastoreImages "${name}": ${formerNameWarning(r.former, r.now)}`);
  const catalog = args.catalog ?? defaultCatalog;
  const repository = args.repository ?? "trove-datastores";
  const troveRelease = args.troveRelease;
  const backupTag = args.backupTag ?? "latest";
  const buildBackupImages = args.buildBackupImages ?? true;
  const upstreamRegistry = args.upstreamRegistry ?? "docker.io/library";
  const troveRef = args.troveRef ?? "unknown";

  const releaseOk = problems.report("troveRelease", troveRelease, troveReleaseProblem(troveRelease));
  problems.check(args.versions.length > 0, "versions", args.versions, "list at least one datastore version");
  if (buildBackupImages) problems.check(args.backupSourceDir !== undefined, "backupSourceDir", args.backupSourceDir, "the Trove checkout whose backup/ builds the backup images; or set buildBackupImages: false");

  const plans: DatastoreImagePlan[] = [];
  args.versions.forEach((v, i) => {
    const at = `versions[${i}]`;
    const known = problems.check(catalog.find(v.datastore) !== undefined, `${at}.datastore`, v.datastore, catalog.describeKnown());
    const versionOk = problems.report(`${at}.version`, v.version, versionNumberProblem(v.version));
    const upstreamTag = v.upstreamTag ?? v.version;
    // The schema checks a given upstreamTag; the one taken from the version is a tag only up to 128 characters.
    if (v.upstreamTag === undefined) problems.report(`${at}.upstreamTag`, upstreamTag, tagProblem(upstreamTag));
    if (!known || !versionOk || !releaseOk) return;
    if (!args.allowUntested) problems.report(`${at}.version`, v.version, releaseVersionProblem(TROVE_RELEASES[troveRelease]!, v.datastore, v.version));
    const def = catalog.get(v.datastore);
    plans.push({
      key: `${v.datastore}:${v.version}`,
      spec: { datastore: v.datastore, version: v.version, upstreamTag },
      source: `${upstreamRegistry}/${def.upstreamImage}:${upstreamTag}`,
      names: (address) => datastoreImageNames(address, repository, def, v.version, troveRelease, backupTag),
    });
  });

  const dup = firstDuplicate(plans.map((p) => p.key));
  problems.check(dup === undefined, "versions", dup, "each datastore version once");
  if (buildBackupImages && releaseOk && TROVE_RELEASES[troveRelease]!.backupImageNaming === "tagged-only") {
    // Names do not depend on the address for this check; any valid address gives the same collisions.
    const backups = plans.map((p) => ({ key: p.key, backup: p.names("registry:1").backup }));
    backups.forEach((b, i) => {
      const other = backups.findIndex((o) => o.backup === b.backup);
      if (other < i) problems.add("versions", `${backups[other]!.key} and ${b.key}`, `Trove ${troveRelease} pulls one backup image for both (${b.backup.replace("registry:1/", "")}); list one of them, or set troveRelease to 2024.1 or later if your controller runs it`);
    });
  }
  problems.throwIfAny();
  return { registry: args.registry, dockerHost: args.dockerHost, repository, troveRelease, backupTag, buildBackupImages, troveSourceDir: args.backupSourceDir, troveRef, upstreamRegistry, upstreamInsecure: args.upstreamInsecure ?? false, plans };
}

/** The environment the scripts read the registry from; the password and CA stay secret in state. */
function registryClientEnvironment(registry: RegistryEndpoint, dockerHost?: string): Record<string, pulumi.Input<string>> {
  const env: Record<string, pulumi.Input<string>> = {
    REGISTRY_ADDRESS: registry.address,
    REGISTRY_INSECURE: pulumi.output(registry.insecure).apply((i) => String(i)),
  };
  if (registry.username !== undefined) env.REGISTRY_USERNAME = registry.username;
  if (registry.password !== undefined) env.REGISTRY_PASSWORD = pulumi.secret(registry.password);
  if (registry.caCertificatePem !== undefined) env.REGISTRY_CA_PEM = registry.caCertificatePem;
  if (dockerHost !== undefined) env.DOCKER_HOST = dockerHost;
  return env;
}

/**
 * Every datastore version's database image mirrored from upstream, and its backup image built from Trove's `backup/`,
 * in the private registry under the names Trove's guest agent computes.
 */
export class DatastoreImages extends pulumi.ComponentResource {
  /** Per `<datastore>:<version>`: the database (and backup) references and the database digest. */
  public readonly images: pulumi.Output<Record<string, PublishedImages>>;
  /** Per datastore: the `docker_image` and `backup_docker_image` option values for the guest agent. */
  public readonly guestAgentOptions: pulumi.Output<Record<string, { dockerImage: string; backupDockerImage: string }>>;
  /** The resolved settings. @internal */
  public readonly settings: DatastoreImagesSettings;

  constructor(name: string, args: DatastoreImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before anything is declared; from here on, every Input is the checked one.
    const checked = checkArgs("DatastoreImages", name, DATASTORE_IMAGES_SCHEMA, args);
    args = checked.args;
    const s = resolveDatastoreImagesArgs(name, args);
    super("pulumi-trove:datastore-images:DatastoreImages", name, {}, withFormerTypes(opts, ["pulumi-trove:images:DatastoreImages"]));
    checked.attach(this);
    this.settings = s;
    const address = pulumi.output(s.registry.address);
    const environment = registryClientEnvironment(s.registry, s.dockerHost);

    const entries = s.plans.map((plan) => {
      const slug = plan.key.replace(/[:.]/g, "-");
      const names = address.apply((a) => plan.names(a));
      const mirror = new command.local.Command(
        `${name}-mirror-${slug}`,
        {
          create: MIRROR_SCRIPT,
          // The mirror script compares digests and copies only what differs: run again, it is the re-check.
          update: MIRROR_SCRIPT,
          interpreter: ["/bin/bash", "-c"],
          // Key by key, so what is known in a preview (all but the registry's address, perhaps) stays known.
          environment: { ...environment, ...mirrorEnvironment(plan.source, names.database, s.upstreamInsecure) },
          addPreviousOutputInEnv: false,
          triggers: [plan.source, names.database],
        },
        { parent: this },
      );
      const mirrored = mirror.stdout.apply((out) => parseScriptResult(out, `DatastoreImages "${name}": the mirror of ${plan.source}`));
      let backup: pulumi.Output<{ reference: string; logPath?: string } | undefined> = pulumi.output(undefined);
      if (s.buildBackupImages) {
        const logFile = `${LOG_DIRECTORY}/${name}-backup-${slug}.log`;
        const build = new command.local.Command(
          `${name}-backup-${slug}`,
          {
            create: BACKUP_BUILD_SCRIPT,
            update: BACKUP_UPDATE_SCRIPT,
            interpreter: ["/bin/bash", "-c"],
            environment: { ...environment, ...backupEnvironment(s.troveSourceDir!, plan.spec.datastore, plan.spec.version, names.backup, logFile) },
            addPreviousOutputInEnv: false,
            triggers: [s.troveSourceDir!, s.troveRef, plan.spec.datastore, plan.spec.version, names.backup],
          },
          { parent: this },
        );
        backup = build.stdout.apply((out) => parseScriptResult(out, `DatastoreImages "${name}": the backup image build of ${plan.key}`));
      }
      const published = pulumi.all([mirrored, backup]).apply(([m, b]): PublishedImages => {
        const database = { database: m.reference, databaseDigest: m.digest };
        return b ? { ...database, backup: b.reference, ...(b.logPath ? { backupBuildLog: b.logPath } : {}) } : database;
      });
      return [plan.key, published] as const;
    });

    this.images = pulumi.all(Object.fromEntries(entries)) as pulumi.Output<Record<string, PublishedImages>>;
    this.guestAgentOptions = address.apply((a) => {
      const options: Record<string, { dockerImage: string; backupDockerImage: string }> = {};
      for (const plan of s.plans) {
        const n = plan.names(a);
        options[plan.spec.datastore] = { dockerImage: n.dockerImageOption, backupDockerImage: n.backupDockerImageOption };
      }
      return options;
    });
    this.registerOutputs({ images: this.images, guestAgentOptions: this.guestAgentOptions });
  }
}
