// The runbook's image steps: mirror each datastore's upstream image into the private registry under the exact name
// Trove's guest agent will pull, and build and push the `db-backup-<datastore>` image from Trove's `backup/`.

import * as pulumi from "@pulumi/pulumi";
import {
  backupBuildArgs,
  backupBuildProblem,
  BackupImageContract,
  DATASTORE_VERSION_SPEC_FIELDS,
  TROVE_RELEASE_RULE,
  DatastoreCatalog,
  DatastoreVersionSpec,
  defaultCatalog,
  releaseVersionProblem,
  TROVE_RELEASES,
  troveReleaseProblem,
  TroveReleaseRules,
} from "../catalog/catalog";
import { Problems } from "../internal/errors";
import { datastoreImageNames, DatastoreImageNames } from "../catalog/image-naming";
import { REGISTRY_ENDPOINT_SCHEMA, RegistryEndpoint } from "./registry-endpoint";
import {
  absolutePathProblem,
  dockerHostProblem,
  firstDuplicate,
  gitRefProblem,
  registryPathProblem,
  repositoryProblem,
  tagProblem,
  versionNumberProblem,
} from "../internal/validate";
import { argsWithCurrentNames, checkArgs } from "../internal/check-args";
import { FieldRules, flag, instanceOf, listOf, optional, Rule, shape, text } from "../internal/schema";
import { loadScript, readScriptResult } from "../internal/scripts/index";
import { withFormerTypes } from "../internal/component-type";
import { RenamedField, renamedFieldPairs } from "../internal/renamed-fields";
import { TroveCheckout, troveCheckoutRule } from "../internal/checkout";
import { LeanLocalCommand } from "../internal/lean-command";

// Mirroring uses skopeo (driven by @pulumi/command): it copies registry to registry without a Docker daemon, keeps
// the upstream manifest and its digest byte for byte (`--all --preserve-digests`), and lets the script compare
// digests first, so a target that already holds the upstream digest is not copied again. The backup images need a
// real build, so they use the Docker CLI (`docker build` with Trove's build args, then `docker push`).
//
// One command per datastore version does both (internal/scripts/publish-images.sh), because each resource costs a
// program time to declare (the pipeline of issue 16: 100 versions in under 1.5 s under mocks), and the two steps
// share their inputs anyway. Its `create` and `update` are the same script, and each step decides from the registry
// what is left to do: the mirror compares digests; the backup image carries a label recording what it was built from
// (Trove ref, datastore, version, build context), and is built only when the registry's image is missing or carries
// another. So a change of the upstream or of the credentials copies what differs and never rebuilds a current backup
// image, and a new checkout dir or ref (`backupCheckout`) rebuilds it. Each script's first contact with the private
// registry waits for it to answer (a registry created in the same `pulumi up` may still be starting).

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
   * The Trove checkout the backup images are built from, on the machine running Pulumi: `dir`'s `backup/` directory
   * holds the backup image's Dockerfile, and each backup image's label records `ref`. A change of either rebuilds the
   * backup images. `ref` default: `unknown`. Required when building backups.
   * Example: `{ dir: "/opt/stack/trove", ref: "stable/2026.1" }`.
   */
  backupCheckout?: TroveCheckout;
  /**
   * Former name of `backupCheckout.dir`. Still accepted until 0.2.0, with a warning; giving it with `backupCheckout`
   * is refused.
   * @deprecated Use `backupCheckout: { dir }`.
   */
  backupSourceDir?: string;
  /**
   * Earlier former name of `backupCheckout.dir` (it said "Trove checkout" without saying which one, or where). Still
   * accepted until 0.2.0, with a warning; giving it with `backupCheckout` is refused.
   * @deprecated Use `backupCheckout: { dir }`.
   */
  troveSourceDir?: string;
  /**
   * Former name of `backupCheckout.ref` (the guest image build's `troveRef` named another checkout's ref). Still
   * accepted until 0.2.0, with a warning; giving it with `backupCheckout` is refused.
   * @deprecated Use `backupCheckout: { dir, ref }`.
   */
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
export interface ResolvedDatastoreImages {
  /** The registry to publish to (the schema's checked endpoint). */
  registry: RegistryEndpoint;
  /** `DOCKER_HOST` for the backup builds; undefined: the Docker CLI's default. */
  dockerHost?: string;
  repository: string;
  troveRelease: string;
  backupTag: string;
  buildBackupImages: boolean;
  /** The backup images' Trove checkout's directory (`backupCheckout.dir`, or a former name of it). */
  backupSourceDir?: string;
  /** Its ref (`backupCheckout.ref`, or its former name `troveRef`); `unknown` when not given. */
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
 * The one script of each version's command (internal/scripts/publish-images.sh), its `create` and its `update`:
 * mirrors the database image (copying only when the target's digest differs), then, when {@link backupEnvironment}'s
 * variables are set, builds and pushes the backup image only when the registry's is missing or was built from another
 * source (its label). Prints `{"database":{…},"backup":{…}}` ({@link parsePublishResult}); a failure names the step.
 * It reads {@link mirrorEnvironment}, {@link backupEnvironment} and the registry's variables.
 */
export const PUBLISH_SCRIPT = loadScript("publish-images.sh");

/** The label of a backup image that records what it was built from (internal/scripts/images.sh). */
export const BACKUP_SOURCE_LABEL = "pulumi-trove.backup-source";

/** What the mirror script reads: the upstream image, the target image, and whether upstream is plain HTTP. */
export function mirrorEnvironment<T extends pulumi.Input<string> = string>(
  source: string,
  target: T,
  upstreamInsecure: boolean,
): Record<string, string | T> {
  return { MIRROR_SOURCE: source, MIRROR_TARGET: target, MIRROR_UPSTREAM_INSECURE: String(upstreamInsecure) };
}

/**
 * What the backup step reads: the build context, the build args, the Trove ref (recorded in the image's label with
 * the context and build args), the image and the log file; and, for a release whose guest agent talks to the backup
 * image another way than Trove 18-25 did (`swift-preauth`, 2026.2), that contract as `BACKUP_CONTRACT`, which the
 * label records too: an image built for the earlier contract is then rebuilt, even from the same checkout and ref.
 * The earlier contract adds nothing, so images built before the label recorded contracts stay current.
 */
export function backupEnvironment<T extends pulumi.Input<string> = string>(
  backupSourceDir: string,
  datastore: string,
  version: string,
  target: T,
  logFile: string,
  troveRef = "unknown",
  contract: BackupImageContract = "keystone-reauth",
): Record<string, string | T> {
  return {
    BACKUP_CONTEXT: `${backupSourceDir.replace(/\/+$/, "")}/backup`,
    BACKUP_DATASTORE: datastore,
    BACKUP_VERSION: version,
    BACKUP_TROVE_REF: troveRef,
    BACKUP_REFERENCE: target,
    BACKUP_LOG: logFile,
    ...(contract !== "keystone-reauth" ? { BACKUP_CONTRACT: contract } : {}),
  };
}

/**
 * The release's build args for the backup image (`backupBuildArgs` in catalog.ts), as `BACKUP_BUILD_DATASTORE` and
 * `BACKUP_BUILD_VERSION`, only where they differ from the datastore and version (MySQL's): so the label, which
 * records the datastore and version, stays the same for the images that built before.
 * @internal
 */
export function backupBuildArgEnvironment(
  rules: TroveReleaseRules,
  datastore: string,
  version: string,
): Record<string, string> {
  const a = backupBuildArgs(rules, datastore, version);
  return {
    ...(a.DATASTORE !== datastore ? { BACKUP_BUILD_DATASTORE: a.DATASTORE } : {}),
    ...(a.DATASTORE_VERSION !== version ? { BACKUP_BUILD_VERSION: a.DATASTORE_VERSION } : {}),
  };
}

/** The full log of a version's backup build: one file per DatastoreImages and version, under {@link LOG_DIRECTORY}. @internal */
export function backupLogFile(name: string, plan: DatastoreImagePlan): string {
  return `${LOG_DIRECTORY}/${name}-backup-${plan.key.replace(/[:.]/g, "-")}.log`;
}

/**
 * What a version's publish command reads, apart from the registry: the mirror's variables, and the backup step's when
 * backup images are built. `names` are the image references (Outputs in the component). @internal
 */
export function publishEnvironment<T extends pulumi.Input<string> = string>(
  name: string,
  s: ResolvedDatastoreImages,
  plan: DatastoreImagePlan,
  names: { database: T; backup: T },
): Record<string, string | T> {
  return {
    ...mirrorEnvironment(plan.source, names.database, s.upstreamInsecure),
    ...(s.buildBackupImages
      ? backupEnvironment(
          s.backupSourceDir!,
          plan.spec.datastore,
          plan.spec.version,
          names.backup,
          backupLogFile(name, plan),
          s.troveRef,
          TROVE_RELEASES[s.troveRelease]!.backupImageContract,
        )
      : {}),
    ...(s.buildBackupImages
      ? backupBuildArgEnvironment(TROVE_RELEASES[s.troveRelease]!, plan.spec.datastore, plan.spec.version)
      : {}),
  };
}

/** What the mirror and backup scripts print last. */
export interface ImageScriptResult {
  reference: string;
  digest: string;
  copied?: boolean;
  built?: boolean;
  logPath?: string;
}

function isImageScriptResult(v: unknown): v is ImageScriptResult {
  return typeof (v as ImageScriptResult)?.reference === "string" && typeof (v as ImageScriptResult).digest === "string";
}

/** What the publish script prints last: the mirror's result, and the backup step's when it ran. */
export interface PublishScriptResult {
  database: ImageScriptResult;
  backup?: ImageScriptResult;
}

/**
 * Reads the JSON line the publish script prints last. `steps` name the mirror and, when a backup image is expected,
 * its build, e.g. `DatastoreImages "main": the mirror of docker.io/library/mysql:8.0`; the error names the step whose
 * result is missing.
 */
export function parsePublishResult(
  stdout: string | undefined,
  steps: { mirror: string; backup?: string },
): PublishScriptResult {
  const result = readScriptResult<PublishScriptResult>(steps.mirror, stdout, (v) =>
    isImageScriptResult((v as PublishScriptResult)?.database),
  );
  if (steps.backup !== undefined && !isImageScriptResult(result.backup)) {
    throw new Error(
      `${steps.backup} did not report its result (the script's result has no "backup" of the right shape); its result: ${JSON.stringify(JSON.stringify(result).slice(0, 200))}`,
    );
  }
  return result;
}

/** The fields of {@link DatastoreImagesArgs}' schema (the pipeline's `datastoreImages` takes most of them). @internal */
export const DATASTORE_IMAGES_FIELDS: FieldRules<DatastoreImagesArgs> = {
  registry: REGISTRY_ENDPOINT_SCHEMA,
  versions: listOf(
    shape<DatastoreVersionSpec>("{ datastore, version, name?, upstreamTag? }", DATASTORE_VERSION_SPEC_FIELDS),
  ),
  repository: optional(text("a repository path such as trove-datastores", repositoryProblem)),
  troveRelease: TROVE_RELEASE_RULE,
  allowUntested: optional(flag()),
  backupTag: optional(text("a Docker tag", tagProblem)),
  buildBackupImages: optional(flag()),
  backupCheckout: optional(troveCheckoutRule("on this machine")),
  backupSourceDir: optional(
    text(
      "an absolute path of a Trove checkout on this machine (former name of backupCheckout.dir)",
      absolutePathProblem,
    ),
  ),
  troveSourceDir: optional(
    text(
      "an absolute path of a Trove checkout on this machine (former name of backupCheckout.dir)",
      absolutePathProblem,
    ),
  ),
  troveRef: optional(text("a git branch, tag or commit (former name of backupCheckout.ref)", gitRefProblem)),
  upstreamRegistry: optional(text("a registry host and path such as docker.io/library", registryPathProblem)),
  upstreamInsecure: optional(flag()),
  dockerHost: optional(text("a Docker engine address (DOCKER_HOST)", dockerHostProblem)),
  catalog: optional(instanceOf(DatastoreCatalog, "a DatastoreCatalog")),
};

/**
 * The fields of {@link DatastoreImagesArgs} renamed, by their former names (the pipeline's `datastoreImages` too):
 * `troveSourceDir` was renamed `backupSourceDir` first, and both are now `backupCheckout.dir`.
 * @internal
 */
export const DATASTORE_IMAGES_RENAMED: readonly RenamedField[] = [
  { former: "troveSourceDir", now: "backupCheckout.dir" },
  { former: "backupSourceDir", now: "backupCheckout.dir" },
  { former: "troveRef", now: "backupCheckout.ref", onlyWith: "backupCheckout.dir" },
];

/** The schema of {@link DatastoreImagesArgs}. @internal */
export const DATASTORE_IMAGES_SCHEMA: Rule = shape<DatastoreImagesArgs>(
  "datastore images arguments",
  DATASTORE_IMAGES_FIELDS,
  renamedFieldPairs(DATASTORE_IMAGES_RENAMED),
);

/**
 * Applies defaults and makes the checks between fields and against the catalog and the release (the constructor has
 * checked every field's content against DATASTORE_IMAGES_SCHEMA first, and given the fields their current names);
 * throws one error naming every bad field.
 * @internal
 */
export function resolveDatastoreImagesArgs(name: string, args: DatastoreImagesArgs): ResolvedDatastoreImages {
  const problems = new Problems("DatastoreImages", name);
  const catalog = args.catalog ?? defaultCatalog;
  const repository = args.repository ?? "trove-datastores";
  const troveRelease = args.troveRelease;
  const backupTag = args.backupTag ?? "latest";
  const buildBackupImages = args.buildBackupImages ?? true;
  const upstreamRegistry = args.upstreamRegistry ?? "docker.io/library";
  const backupSourceDir = args.backupCheckout?.dir;
  const troveRef = args.backupCheckout?.ref ?? "unknown";

  // The schema has refused an unknown release and a bad version number; a known one selects the rules below.
  const releaseOk = troveReleaseProblem(troveRelease) === undefined;
  problems.check(args.versions.length > 0, "versions", args.versions, "list at least one datastore version");
  if (buildBackupImages)
    problems.check(
      backupSourceDir !== undefined,
      "backupCheckout",
      args.backupCheckout,
      "the Trove checkout whose backup/ builds the backup images ({ dir, ref? }); or set buildBackupImages: false",
    );

  const plans: DatastoreImagePlan[] = [];
  args.versions.forEach((v, i) => {
    const at = `versions[${i}]`;
    const known = problems.check(
      catalog.find(v.datastore) !== undefined,
      `${at}.datastore`,
      v.datastore,
      catalog.describeKnown(),
    );
    const versionOk = versionNumberProblem(v.version) === undefined;
    const upstreamTag = v.upstreamTag ?? v.version;
    // The schema checks a given upstreamTag; the one taken from the version is a tag only up to 128 characters.
    if (v.upstreamTag === undefined) problems.report(`${at}.upstreamTag`, upstreamTag, tagProblem(upstreamTag));
    if (!known || !versionOk || !releaseOk) return;
    if (!args.allowUntested)
      problems.report(
        `${at}.version`,
        v.version,
        releaseVersionProblem(TROVE_RELEASES[troveRelease]!, v.datastore, v.version),
      );
    // Not waived by allowUntested: install.sh stops on another MySQL line whatever we allow.
    if (buildBackupImages)
      problems.report(
        `${at}.version`,
        v.version,
        backupBuildProblem(TROVE_RELEASES[troveRelease]!, v.datastore, v.version),
      );
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
      if (other < i)
        problems.add(
          "versions",
          `${backups[other]!.key} and ${b.key}`,
          `Trove ${troveRelease} pulls one backup image for both (${b.backup.replace("registry:1/", "")}); list one of them, or set troveRelease to 2024.1 or later if your controller runs it`,
        );
    });
  }
  problems.throwIfAny();
  return {
    registry: args.registry,
    dockerHost: args.dockerHost,
    repository,
    troveRelease,
    backupTag,
    buildBackupImages,
    backupSourceDir,
    troveRef,
    upstreamRegistry,
    upstreamInsecure: args.upstreamInsecure ?? false,
    plans,
  };
}

/** The environment the scripts read the registry from; the password and CA stay secret in state. */
function registryClientEnvironment(
  registry: RegistryEndpoint,
  dockerHost?: string,
): Record<string, pulumi.Input<string>> {
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
 * in the private registry under the names Trove's guest agent computes: one command per version.
 */
export class DatastoreImages extends pulumi.ComponentResource {
  /** Per `<datastore>:<version>`: the database (and backup) references and the database digest. */
  public readonly images: pulumi.Output<Record<string, PublishedImages>>;
  /** Per datastore: the `docker_image` and `backup_docker_image` option values for the guest agent. */
  public readonly guestAgentOptions: pulumi.Output<Record<string, { dockerImage: string; backupDockerImage: string }>>;
  /** The arguments as resolved: defaults applied, checked. @internal */
  public readonly resolved: ResolvedDatastoreImages;

  constructor(name: string, args: DatastoreImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before anything is declared; from here on, every Input is the checked one.
    const checked = checkArgs("DatastoreImages", name, DATASTORE_IMAGES_SCHEMA, args);
    // The pipeline hands its own arguments over under their names now, and has warned about the former ones.
    const current = argsWithCurrentNames(checked, DATASTORE_IMAGES_RENAMED);
    for (const w of current.warnings) void pulumi.log.warn(`DatastoreImages "${name}": ${w}`);
    args = current.args;
    const s = resolveDatastoreImagesArgs(name, args);
    super(
      "pulumi-trove:datastore-images:DatastoreImages",
      name,
      {},
      withFormerTypes(opts, ["pulumi-trove:images:DatastoreImages"]),
    );
    checked.attach(this);
    this.resolved = s;
    const address = pulumi.output(s.registry.address);
    const environment = registryClientEnvironment(s.registry, s.dockerHost);

    const entries = s.plans.map((plan) => {
      const slug = plan.key.replace(/[:.]/g, "-");
      const names = address.apply((a) => plan.names(a));
      const steps = {
        mirror: `DatastoreImages "${name}": the mirror of ${plan.source}`,
        backup: s.buildBackupImages ? `DatastoreImages "${name}": the backup image build of ${plan.key}` : undefined,
      };
      // One per version: the lean declaration keeps its cost to the SDK low (lean-command.ts); the engine sees a Command.
      const publish = new LeanLocalCommand(
        `${name}-publish-${slug}`,
        {
          // The script checks the registry before each step: run again, it is the re-check, so update runs it too.
          create: PUBLISH_SCRIPT,
          update: PUBLISH_SCRIPT,
          interpreter: ["/bin/bash", "-c"],
          // Key by key, so what is known in a preview (all but the registry's address, perhaps) stays known.
          environment: {
            ...environment,
            ...publishEnvironment(name, s, plan, { database: names.database, backup: names.backup }),
          },
          addPreviousOutputInEnv: false,
          // The mirror's triggers, unchanged: a stack of the two-command release keeps its mirror as this command
          // (an update, not a replacement); a backup input that changes is an update the script acts on.
          triggers: [plan.source, names.database],
        },
        { parent: this, aliases: [{ name: `${name}-mirror-${slug}` }] },
      );
      const published = publish.stdout.apply((out): PublishedImages => {
        const r = parsePublishResult(out, steps);
        const database = { database: r.database.reference, databaseDigest: r.database.digest };
        const b = steps.backup !== undefined ? r.backup : undefined;
        return b ? { ...database, backup: b.reference, ...(b.logPath ? { backupBuildLog: b.logPath } : {}) } : database;
      });
      return [plan.key, published] as const;
    });

    this.images = pulumi.all(Object.fromEntries(entries)) as pulumi.Output<Record<string, PublishedImages>>;
    this.guestAgentOptions = address.apply((a) => {
      const options: Record<string, { dockerImage: string; backupDockerImage: string }> = {};
      for (const plan of s.plans) {
        const n = plan.names(a);
        options[plan.spec.datastore] = {
          dockerImage: n.dockerImageOption,
          backupDockerImage: n.backupDockerImageOption,
        };
      }
      return options;
    });
    this.registerOutputs({ images: this.images, guestAgentOptions: this.guestAgentOptions });
  }
}
