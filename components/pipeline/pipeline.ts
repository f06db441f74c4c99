// The whole runbook as one component: one guest image build shared by every datastore, the image in Glance (per
// region), the registry and the datastore images, the datastore versions in Trove, and Trove's configuration.

import { existsSync } from "node:fs";
import { BlockList, isIP } from "node:net";
import * as path from "node:path";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import {
  DATASTORE_VERSION_SPEC_FIELDS,
  TROVE_RELEASE_RULE,
  DatastoreCatalog,
  DatastoreVersionSpec,
  defaultCatalog,
  isTestedVersion,
  releaseVersionProblem,
  TROVE_RELEASES,
  troveReleaseProblem,
} from "../catalog/catalog";
import {
  DATASTORE_CONFIGURATION_PARAMETERS_SCHEMA,
  DatastoreConfigurationParameters,
} from "../trove/configuration-parameters";
import { DATASTORE_VERSION_SCHEMA, DatastoreVersion } from "../trove/datastore-version";
import {
  DatastoreVersionRetirement,
  RetainedVersion,
  ServedVersion,
  UsageCounterArgs,
  WhenVersionInUse,
} from "../trove/version-retirement";
import { Problems } from "../internal/errors";
import {
  DATASTORE_IMAGES_FIELDS,
  DATASTORE_IMAGES_RENAMED,
  DATASTORE_IMAGES_SCHEMA,
  DatastoreImages,
  DatastoreImagesArgs,
  PublishedImages,
} from "../registry/datastore-images";
import {
  GLANCE_IMAGE_FIELDS,
  GLANCE_IMAGE_SCHEMA,
  GlanceImage,
  GlanceImageArgs,
  glanceImageTags,
} from "../image/glance-image";
import {
  GUEST_IMAGE_BUILD_FIELDS,
  GUEST_IMAGE_BUILD_RENAMED,
  GUEST_IMAGE_BUILD_SCHEMA,
  GuestImageBuild,
  guestImageBuildPairs,
  GuestImageBuildArgs,
} from "../image/guest-image-build";
import { LOCAL_REGISTRY_SCHEMA, LocalRegistry, LocalRegistryArgs } from "../registry/local-registry";
import { REGISTRY_ENDPOINT_SCHEMA, RegistryEndpoint } from "../registry/registry-endpoint";
import {
  TROVE_CONFIG_FIELDS,
  TROVE_CONFIG_SCHEMA,
  TroveConfig,
  TroveConfigArgs,
  troveConfigPairs,
} from "../trove/trove-config";
import { IMAGE_TAGS_RULE } from "../trove/version-provider/provider";
import { TROVE_CONTROLLER_SCHEMA, TroveController } from "../trove/trove-controller";
import { hostKeyOf, requireHostKey, SshConnection } from "../internal/ssh";
import { absolutePathProblem, cloudNameProblem, firstDuplicate, versionNumberProblem } from "../internal/validate";
import { CheckedArgs, checkArgs, checkedByParent } from "../internal/check-args";
import { FieldProblem } from "../internal/errors";
import { formerNameWarnings, RenamedField, renamedFieldPairs, withCurrentNames } from "../internal/renamed-fields";
import {
  absent,
  either,
  FieldRules,
  flag,
  instanceOf,
  isPlainObject,
  listOf,
  oneOfValues,
  optional,
  problemsOf,
  Rule,
  shape,
  text,
} from "../internal/schema";

/** One datastore version the pipeline serves: its images, its Trove registration. */
export interface PipelineDatastoreVersion extends DatastoreVersionSpec {
  /** Make this the datastore's default version in Trove. Default: `false`; at most one per datastore. */
  default?: boolean;
  /** Register the version as active. Default: `true`. */
  active?: boolean;
}

/** One OpenStack region (or cloud) that gets the Glance image and the datastore versions. */
export interface PipelineRegion {
  /** Short name used in resource names and outputs. Example: `regionone`. */
  name: string;
  /** The `@pulumi/openstack` provider for this region. Default: the default provider (`OS_*` / clouds.yaml). */
  provider?: openstack.Provider;
  /** clouds.yaml cloud the datastore versions are registered through. Default: `OS_CLOUD` or the `OS_*` variables. */
  cloud?: string;
  /** Region name inside that cloud. Default: the cloud's. */
  region?: string;
  /**
   * The region's Trove controller: where configuration parameters are loaded, and where what uses a version taken out
   * of `versions` is counted, at preview and at up (see `registration.whenInUse`). Default: none.
   */
  troveController?: TroveController;
}

/** How the pipeline registers its datastore versions in Trove. */
export interface PipelineRegistration {
  /** Manage versions that already exist in Trove instead of failing. Default: `false`. */
  adopt?: boolean;
  /**
   * Trove checkout on the machine running Pulumi whose `trove/templates/<datastore>/validation-rules.json` files are
   * loaded as each version's configuration parameters, on each region's `troveController`. A directory only, not a
   * checkout object: what is loaded is the files' content, which the parameters follow, so no ref is recorded.
   * Default: `datastoreImages.backupCheckout.dir` when `loadConfigurationParameters` is true.
   * Example: `/opt/stack/trove`.
   */
  rulesSourceDir?: string;
  /**
   * Former name of `rulesSourceDir` (it said "Trove checkout" without saying which one, or where). Still accepted,
   * with a warning; giving both is refused.
   * @deprecated Use `rulesSourceDir`.
   */
  troveSourceDir?: string;
  /** Load configuration parameters (needs `troveController` on every region). Default: `false`. */
  loadConfigurationParameters?: boolean;
  /**
   * What happens to a version taken out of `versions` while Trove reports it in use (by instances, backups or
   * configuration groups): `retire` keeps it, inactive and not default, with its configuration parameters and a Glance
   * image its tags find, says so in one warning line per version, and deletes it on the first up after nothing uses it;
   * `fail` stops the preview (or up) with that line instead. Usage is counted at preview (and again at up) with each
   * region's `troveController`, on this machine or over its SSH connection (which needs a `privateKey`, or this
   * machine's ssh-agent: ssh takes no password unattended); a region without one, or with a password only, shows the
   * version kept at preview and Trove's own DELETE decides at up. See docs/day-two.md.
   * Default: `retire`.
   */
  whenInUse?: WhenVersionInUse;
}

/** Arguments of {@link TroveGuestPipeline}. */
export interface TroveGuestPipelineArgs {
  /**
   * The datastore versions to serve, e.g. `[{ datastore: "mysql", version: "5.7.29", default: true },
   * { datastore: "mysql", version: "8.0" }, { datastore: "postgresql", version: "12" }]`. At least one.
   */
  versions: PipelineDatastoreVersion[];
  /**
   * Trove release of the controller (`zed` … `2026.2`; `troveReleaseSupport(release)` says what each supports):
   * decides the supported guest OS releases and datastore versions and how the guest agent names images. Required.
   * Example: `2026.1`.
   */
  troveRelease: string;
  /** Accept datastore versions (and, unless `guestImage` says otherwise, guest OS releases) outside the release's support. Default: `false`. */
  allowUntested?: boolean;
  /** Datastore catalog; add datastores here. Default: mysql, mariadb, postgresql. */
  catalog?: DatastoreCatalog;
  /**
   * The one guest image build (or existing image) shared by every datastore: {@link GuestImageBuildArgs}, except that
   * `preloadImages` is a boolean (default `false`). `preloadImages: true` embeds every database and backup image the
   * pipeline publishes in the guest image (`DIB_TROVE_DOCKER_IMAGES`); the build then waits for them, and a new set
   * of images rebuilds it. Only upstream master's trovestack (2026.2) reads it: needs `allowUntested: true` (see
   * `GuestImageBuild`).
   */
  guestImage: Omit<GuestImageBuildArgs, "preloadImages"> & { preloadImages?: boolean };
  /** Glance settings other than the image and its datastore tags (name, visibility, properties...). */
  glanceImage?: Omit<
    GlanceImageArgs,
    "image" | "datastores" | "retainedDatastores" | "catalog" | "guestOs" | "guestOsRelease" | "cloud" | "region"
  >;
  /**
   * Regions fed from the one build: each gets its own Glance image (and, where enabled, its datastore versions).
   * Default: one region named `default` using the default OpenStack provider.
   */
  regions?: PipelineRegion[];
  /**
   * The registry: `{ local: LocalRegistryArgs }` runs the runbook's registry container; `{ existing: RegistryEndpoint }`
   * uses one you already have. Exactly one of the two.
   */
  registry: { local: LocalRegistryArgs; existing?: undefined } | { existing: RegistryEndpoint; local?: undefined };
  /**
   * How the datastore images are mirrored and the backup images built (Trove checkout, repository, upstream...):
   * {@link DatastoreImagesArgs} other than registry, versions, troveRelease, catalog and allowUntested, which the
   * pipeline passes from its own.
   */
  datastoreImages: Omit<DatastoreImagesArgs, "registry" | "versions" | "troveRelease" | "catalog" | "allowUntested">;
  /**
   * Trove's registry configuration: {@link TroveConfigArgs} other than the registry, the image options and the
   * release, which the pipeline passes. Give `controller` to apply it over SSH. Set to `false` to leave it out. Default: rendered only
   * (see the `troveConfig` outputs).
   */
  troveConfig?: Omit<TroveConfigArgs, "registry" | "imageOptions" | "catalog" | "troveRelease"> | false;
  /**
   * Registering the datastore versions in Trove: each version is a `DatastoreVersion` in every region (found by the
   * Glance tags `trove`,`<datastore>`), created after that region's Glance image. Set to `false` to leave it out.
   * Default: registered, parameters not loaded.
   */
  registration?: PipelineRegistration | false;
  /**
   * The CIDR of Trove's management network (the network `network_isolation` keeps guests on), IPv4 or IPv6; a
   * malformed value is refused. Since 2024.2 `network_isolation` is on by default and guests pull images over that
   * network only, so the registry must be reachable there: when the registry's address is an IP outside this CIDR, on
   * such a release, the pipeline gives one warning naming the field, the address and the CIDR. A host name is not
   * judged. Default: not checked. Example: `10.0.0.0/24`.
   */
  managementNetworkCidr?: string;
}

/** How each version is registered in Trove. */
export interface PipelineVersionOutput {
  datastore: string;
  /** Trove version name. */
  name: string;
  /** Trove version number (= the database image tag). */
  version: string;
  /** Trove datastore manager. */
  manager: string;
  /** Glance tags Trove finds the image by (`trove`, `<datastore>`). */
  imageTags: string[];
  default: boolean;
  active: boolean;
}

/** Everything the pipeline needs, resolved and validated. @internal */
export interface ResolvedTroveGuestPipeline {
  versions: Array<
    Required<Pick<PipelineDatastoreVersion, "datastore" | "version" | "name" | "upstreamTag" | "default" | "active">>
  >;
  troveRelease: string;
  catalog: DatastoreCatalog;
  datastores: string[];
  regions: PipelineRegion[];
  /** Per datastore, the validation-rules.json to load; empty when parameters are not loaded. */
  rulesFiles: Record<string, string>;
  /** `datastoreImages`, under the fields' current names. */
  datastoreImages: TroveGuestPipelineArgs["datastoreImages"];
  /** The Trove checkout whose validation-rules.json files are loaded, when parameters are loaded. */
  rulesCheckout?: string;
  /** `registration`, under the fields' current names; false: not registered. */
  registration: Omit<PipelineRegistration, "troveSourceDir"> | false;
  /** The management network's CIDR, when given. */
  managementNetworkCidr?: string;
}

/** Checks an IPv4 or IPv6 CIDR such as `10.0.0.0/24` or `fd00::/64`. @internal */
export function cidrProblem(value: string): string | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(value);
  const family = m ? isIP(m[1]!) : 0;
  const max = family === 6 ? 128 : 32;
  return family !== 0 && Number(m![2]) <= max
    ? undefined
    : "expected an IPv4 or IPv6 network in CIDR notation, e.g. 10.0.0.0/24 or fd00::/64";
}

/**
 * The warning for a registry the guests may not reach: `address` (`host:port`) is an IP outside the management
 * network `cidr` while `troveRelease` keeps guests on that network (`network_isolation` on by default). `undefined`
 * when the host is a name (not judged here), inside the network, or the release does not isolate guests.
 * @internal
 */
export function managementNetworkWarning(troveRelease: string, address: string, cidr: string): string | undefined {
  if (!TROVE_RELEASES[troveRelease]?.networkIsolationByDefault || cidrProblem(cidr)) return undefined;
  const host = address.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
  const family = isIP(host);
  const [network, prefix] = cidr.split("/") as [string, string];
  if (family === 0 || family !== isIP(network))
    return family === 0
      ? undefined
      : `the registry address ${address} is not in managementNetworkCidr ${cidr} (another IP family); Trove ${troveRelease} guests pull over the management network only (network_isolation is on by default), so they may not reach it`;
  const list = new BlockList();
  list.addSubnet(network, Number(prefix), family === 6 ? "ipv6" : "ipv4");
  if (list.check(host, family === 6 ? "ipv6" : "ipv4")) return undefined;
  return `the registry address ${address} is outside managementNetworkCidr ${cidr}; Trove ${troveRelease} guests pull over the management network only (network_isolation is on by default), so they may not reach it`;
}

/** Key of a datastore version in the pipeline's outputs: `mysql:5.7.29`. @internal */
export function versionKey(v: { datastore: string; version: string }): string {
  return `${v.datastore}:${v.version}`;
}

/** The part of a resource name that tells regions apart: none for the one implicit region. @internal */
export function regionSuffix(
  regions: readonly Pick<PipelineRegion, "name">[],
  region: Pick<PipelineRegion, "name">,
): string {
  return regions.length === 1 && region.name === "default" ? "" : `-${region.name}`;
}

/**
 * The other suffixes a region's resources had, or would have had, under another list of regions: a stack that adds a
 * region (its first region was the implicit `default`, named without a suffix), or goes back to the one implicit
 * region, keeps its resources instead of replacing them under a new name.
 * @internal
 */
export function previousRegionSuffixes(
  regions: readonly Pick<PipelineRegion, "name">[],
  region: Pick<PipelineRegion, "name">,
): string[] {
  const current = regionSuffix(regions, region);
  const candidates = [...(regions[0] === region ? [""] : []), ...(region.name === "default" ? ["", "-default"] : [])];
  return candidates.filter((s, i) => s !== current && candidates.indexOf(s) === i);
}

/** The part of a version's resource names that identifies it: datastore and version number (a rename is in place). @internal */
export function versionLabel(v: { datastore: string; version: string }): string {
  return `${v.datastore}-${v.version}`.replace(/[^A-Za-z0-9-]/g, "-");
}

/** Aliases for a resource named `<prefix><suffix>-<label>` whose earlier names had other suffixes or labels. */
function aliasesFor(
  prefix: string,
  suffixes: { now: string; before: string[] },
  labels: { now: string; before: string[] } = { now: "", before: [] },
): pulumi.Alias[] {
  const names = new Set<string>();
  for (const s of [suffixes.now, ...suffixes.before])
    for (const l of [labels.now, ...labels.before]) names.add(`${prefix}${s}${l ? `-${l}` : ""}`);
  names.delete(`${prefix}${suffixes.now}${labels.now ? `-${labels.now}` : ""}`);
  return [...names].map((n) => ({ name: n }));
}

/**
 * A warning for a registry that speaks plain HTTP on an address other than loopback (a lab's): guests pull the images,
 * and send the registry password, unencrypted, and Trove must list it in `docker_insecure_registries`. Names the field
 * and how to add TLS. `undefined` for a TLS registry, a loopback one, or one whose `insecure` is not known yet.
 * @internal
 */
export function plainHttpRegistryWarning(registry: TroveGuestPipelineArgs["registry"]): string | undefined {
  const loopback = (host: string) => /^(127\.|localhost$|\[::1\]$|::1$)/.test(host);
  if (registry.local) {
    if (registry.local.tls !== undefined || loopback(registry.local.advertisedHost)) return undefined;
    return `registry.local.tls is not set: the registry at ${registry.local.advertisedHost}:${registry.local.port ?? 4000} speaks plain HTTP, so the guests pull images${registry.local.auth ? " and send the registry password" : ""} unencrypted and Trove must trust it as an insecure registry; add tls: { generate: true } (a self-signed certificate the pipeline hands to Trove) or tls: { certificatePem } with the registryTlsKey secret`;
  }
  const e = registry.existing;
  if (!e || e.insecure !== true || typeof e.address !== "string" || loopback(e.address.replace(/:\d+$/, "")))
    return undefined;
  return `registry.existing.insecure is true: the registry at ${e.address} is reached over plain HTTP (or without checking its certificate), so the guests pull images unencrypted; serve it over TLS, give its CA as caCertificatePem and set insecure: false`;
}

/** Picks the named fields of a schema's field rules. */
function pick<T, K extends keyof T>(fields: FieldRules<T>, keys: readonly K[]): FieldRules<Pick<T, K>> {
  return Object.fromEntries(keys.map((k) => [k, fields[k]])) as unknown as FieldRules<Pick<T, K>>;
}

/** The fields of {@link PipelineRegistration} renamed, by their former names. @internal */
export const PIPELINE_REGISTRATION_RENAMED: readonly RenamedField[] = [
  { former: "troveSourceDir", now: "rulesSourceDir" },
];

/**
 * `guestImage`, `datastoreImages` and `registration` under their fields' current names, and a warning per object a
 * former name moved into (or per flat rename), naming each field as `field` names it (the pipeline's field, or the
 * stack config's key).
 * @internal
 */
export function pipelineWithCurrentNames<
  T extends Pick<TroveGuestPipelineArgs, "guestImage" | "datastoreImages" | "registration">,
>(args: T, field: (path: string) => string = (path) => path): { args: T; warnings: string[] } {
  const guestImage = withCurrentNames(args.guestImage, GUEST_IMAGE_BUILD_RENAMED);
  const images = withCurrentNames(args.datastoreImages, DATASTORE_IMAGES_RENAMED);
  const registration = args.registration
    ? withCurrentNames(args.registration, PIPELINE_REGISTRATION_RENAMED)
    : { value: args.registration, used: [] };
  const under = (prefix: string) => (path: string) => field(`${prefix}.${path}`);
  const warnings = [
    ...formerNameWarnings(guestImage.used, under("guestImage")),
    ...formerNameWarnings(images.used, under("datastoreImages")),
    ...formerNameWarnings(registration.used, under("registration")),
  ];
  if (warnings.length === 0) return { args, warnings };
  return {
    args: { ...args, guestImage: guestImage.value, datastoreImages: images.value, registration: registration.value },
    warnings,
  };
}

/**
 * Arguments the stack program has checked against TROVE_GUEST_PIPELINE_SCHEMA and given under their fields' current
 * names, each problem and warning under the name the user knows (the YAML key): the constructor takes them as they
 * are, so that the schema and the renaming run once.
 */
const checkedByTheStack = new WeakSet<TroveGuestPipelineArgs>();

/**
 * The stack program's check of the pipeline's arguments: the schema, with `rename` naming each field as the stack file
 * does (`earlier`: the problems it found before, reported first in the same error), then the fields' current names,
 * with a warning per former name used. The pipeline built from the returned arguments checks and renames nothing again.
 * @internal
 */
export function checkPipelineArgsOfStack(
  source: string,
  args: TroveGuestPipelineArgs,
  rename: (field: string) => string,
  earlier: readonly FieldProblem[],
): { args: TroveGuestPipelineArgs; warnings: string[] } {
  const checked = checkArgs("stack config", source, TROVE_GUEST_PIPELINE_SCHEMA, args, rename, earlier).args;
  const current = pipelineWithCurrentNames(checked, rename);
  checkedByTheStack.add(current.args);
  return current;
}

/**
 * A version's name and upstream tag default to its number, and the children take them filled in: each default is
 * checked with the rule the field has when given (a version number is a name of at most 64 characters, a tag of at most
 * 128, only when short enough), so that the pipeline refuses it here rather than a child after others are declared.
 */
function versionDefaults(
  v: PipelineDatastoreVersion,
  report: (field: string, value: unknown, allowed: string) => void,
): void {
  for (const field of ["name", "upstreamTag"] as const)
    if (v[field] === undefined)
      for (const p of problemsOf(DATASTORE_VERSION_SPEC_FIELDS[field], v.version, field))
        report(p.field, p.value, `${p.allowed}; ${field} is the version number unless given: give ${field}`);
}

/**
 * The checks between the pipeline's fields that its children's schemas make on what the pipeline hands them: each
 * registered version is found by the Glance tags `trove` and `<datastore>` (DatastoreVersion's `imageTags`, at most
 * 20 characters each), so a longer datastore name is refused here, under the field the user wrote.
 */
function pipelinePairs(
  a: TroveGuestPipelineArgs,
  report: (field: string, value: unknown, allowed: string) => void,
): void {
  if (a.registration === false) return;
  a.versions.forEach((v, i) => {
    for (const p of problemsOf(IMAGE_TAGS_RULE, glanceImageTags([v.datastore])))
      report(`versions[${i}].datastore`, v.datastore, `${p.allowed} (registration finds the image by this Glance tag)`);
  });
}

/**
 * The schema of {@link TroveGuestPipelineArgs}: every nested component's fields, with the component's own rules and its
 * checks between fields, checked before anything is declared. The children take what the pipeline builds from these
 * arguments without checking it again (see `checkedByThePipeline`), so this schema refuses whatever theirs would
 * (`test/args-schema.test.ts` proves it field by field).
 * @internal
 */
export const TROVE_GUEST_PIPELINE_SCHEMA: Rule = shape<TroveGuestPipelineArgs>(
  "pipeline arguments",
  {
    versions: listOf(
      shape<PipelineDatastoreVersion>(
        "{ datastore, version, name?, upstreamTag?, default?, active? }",
        {
          ...DATASTORE_VERSION_SPEC_FIELDS,
          default: optional(flag()),
          active: optional(flag()),
        },
        versionDefaults,
      ),
      { accepts: "a list of { datastore, version, name?, upstreamTag?, default?, active? }" },
    ),
    troveRelease: TROVE_RELEASE_RULE,
    allowUntested: optional(flag()),
    catalog: optional(instanceOf(DatastoreCatalog, "a DatastoreCatalog")),
    guestImage: shape<TroveGuestPipelineArgs["guestImage"]>(
      "guest image build arguments",
      { ...GUEST_IMAGE_BUILD_FIELDS, preloadImages: optional(flag()) },
      guestImageBuildPairs,
    ),
    glanceImage: optional(
      shape<NonNullable<TroveGuestPipelineArgs["glanceImage"]>>(
        "Glance image settings",
        pick(GLANCE_IMAGE_FIELDS, [
          "name",
          "visibility",
          "minDiskGb",
          "minRamMb",
          "properties",
          "protected",
          "keepImages",
          "serve",
          "keepImageIds",
          "checkQuota",
          "checkTrovePins",
        ] as const),
      ),
    ),
    regions: optional(
      listOf(
        shape<PipelineRegion>("{ name, provider?, cloud?, region?, troveController? }", {
          name: text("a short region name: lowercase letters, digits and '-'", (v) =>
            /^[a-z0-9][a-z0-9-]{0,30}$/.test(v) ? undefined : "expected lowercase letters, digits and '-'",
          ),
          provider: optional(instanceOf(openstack.Provider, "an openstack.Provider")),
          cloud: optional(text("a clouds.yaml cloud name", cloudNameProblem)),
          region: optional(text("a region name", cloudNameProblem)),
          troveController: optional(TROVE_CONTROLLER_SCHEMA),
        }),
      ),
    ),
    registry: either(
      "{ local: {...} } or { existing: {...} }",
      [
        shape<{ local: LocalRegistryArgs; existing?: undefined }>("{ local }", {
          local: LOCAL_REGISTRY_SCHEMA,
          existing: absent("give exactly one of local and existing"),
        }),
        shape<{ existing: RegistryEndpoint; local?: undefined }>("{ existing }", {
          existing: REGISTRY_ENDPOINT_SCHEMA,
          local: absent("give exactly one of local and existing"),
        }),
      ],
      (v) => (isPlainObject(v) ? ("local" in v ? 0 : "existing" in v ? 1 : undefined) : undefined),
    ),
    datastoreImages: shape<TroveGuestPipelineArgs["datastoreImages"]>(
      "datastore images settings",
      pick(DATASTORE_IMAGES_FIELDS, [
        "repository",
        "backupTag",
        "buildBackupImages",
        "backupCheckout",
        "backupSourceDir",
        "troveSourceDir",
        "troveRef",
        "upstreamRegistry",
        "upstreamInsecure",
        "dockerHost",
      ] as const),
      renamedFieldPairs(DATASTORE_IMAGES_RENAMED),
    ),
    troveConfig: optional(
      either(
        "{ controller?, cloudInit?, cloudinitLocation?, swift? } or false",
        [
          shape<Exclude<TroveGuestPipelineArgs["troveConfig"], false | undefined>>(
            "Trove configuration settings",
            pick(TROVE_CONFIG_FIELDS, ["controller", "cloudInit", "cloudinitLocation", "swift"] as const),
            troveConfigPairs,
          ),
          oneOfValues([false]),
        ],
        (v) => (v === false ? 1 : isPlainObject(v) ? 0 : undefined),
      ),
    ),
    registration: optional(
      either(
        "{ adopt?, rulesSourceDir?, loadConfigurationParameters?, whenInUse? } or false",
        [
          shape<PipelineRegistration>(
            "{ adopt?, rulesSourceDir?, loadConfigurationParameters?, whenInUse? }",
            {
              adopt: optional(flag()),
              rulesSourceDir: optional(
                text("an absolute path of a Trove checkout on this machine", absolutePathProblem),
              ),
              troveSourceDir: optional(
                text(
                  "an absolute path of a Trove checkout on this machine (former name of rulesSourceDir)",
                  absolutePathProblem,
                ),
              ),
              loadConfigurationParameters: optional(flag()),
              whenInUse: optional(oneOfValues(["retire", "fail"])),
            },
            renamedFieldPairs(PIPELINE_REGISTRATION_RENAMED),
          ),
          oneOfValues([false]),
        ],
        (v) => (v === false ? 1 : isPlainObject(v) ? 0 : undefined),
      ),
    ),
    managementNetworkCidr: optional(text("a CIDR such as 10.0.0.0/24", (v) => cidrProblem(v))),
  },
  pipelinePairs,
);

/**
 * Applies defaults and makes the checks between fields and against the catalog, the release and this machine's
 * files (the constructor, or the stack program, has checked every field's content against
 * TROVE_GUEST_PIPELINE_SCHEMA first, and given the fields their current names); throws one error naming every bad
 * field.
 * @internal
 */
export function resolveTroveGuestPipelineArgs(name: string, args: TroveGuestPipelineArgs): ResolvedTroveGuestPipeline {
  const problems = new Problems("TroveGuestPipeline", name);
  const catalog = args.catalog ?? defaultCatalog;
  const troveRelease = args.troveRelease;
  // The schema has refused an unknown release; a known one selects the rules below.
  const releaseOk = troveReleaseProblem(troveRelease) === undefined;
  problems.check(
    args.versions.length > 0,
    "versions",
    args.versions,
    `list at least one datastore version, e.g. { datastore: "mysql", version: "5.7.29" }`,
  );

  const versions = args.versions.map((v, i) => {
    const at = `versions[${i}]`;
    if (
      problems.check(catalog.find(v.datastore) !== undefined, `${at}.datastore`, v.datastore, catalog.describeKnown())
    ) {
      const def = catalog.get(v.datastore);
      const releaseLines = releaseOk ? TROVE_RELEASES[troveRelease]!.datastoreVersions[v.datastore] : undefined;
      if (releaseOk && !args.allowUntested && !versionNumberProblem(v.version))
        problems.report(
          `${at}.version`,
          v.version,
          releaseVersionProblem(TROVE_RELEASES[troveRelease]!, v.datastore, v.version),
        );
      // A datastore the release's matrix does not list (one the user added) is judged by its own tested versions.
      if (releaseLines === undefined && !versionNumberProblem(v.version) && !isTestedVersion(def, v.version)) {
        pulumi.log.warn(
          `TroveGuestPipeline "${name}": ${v.datastore} ${v.version} is not a version we know works (tested: ${def.testedVersions.join(", ")})`,
        );
      }
    }
    return {
      datastore: v.datastore,
      version: v.version,
      name: v.name ?? v.version,
      upstreamTag: v.upstreamTag ?? v.version,
      default: v.default ?? false,
      active: v.active ?? true,
    };
  });

  const dupVersion = firstDuplicate(versions.map(versionKey));
  problems.check(dupVersion === undefined, "versions", dupVersion, "each datastore version once");
  // Each second default names the first one, so the admin sees which two collide.
  const firstDefault = new Map<string, number>();
  versions.forEach((v, i) => {
    if (!v.default) return;
    const first = firstDefault.get(v.datastore);
    if (first === undefined) firstDefault.set(v.datastore, i);
    else
      problems.add(
        `versions[${i}].default`,
        true,
        `versions[${first}] (${v.datastore} ${versions[first]!.version}) is already ${v.datastore}'s default; at most one default version per datastore`,
      );
  });

  const regions = args.regions ?? [{ name: "default" }];
  problems.check(regions.length > 0, "regions", regions, "list at least one region, or leave regions out");
  const dupRegion = firstDuplicate(regions.map((r) => r.name));
  problems.check(dupRegion === undefined, "regions", dupRegion, "each region name once");

  const datastores = versions.map((v) => v.datastore).filter((d, i, all) => all.indexOf(d) === i);
  const rulesFiles: Record<string, string> = {};
  const registration = args.registration;
  let rulesCheckout: string | undefined;
  if (registration && registration.loadConfigurationParameters) {
    const checkout = registration.rulesSourceDir ?? args.datastoreImages.backupCheckout?.dir;
    rulesCheckout = checkout;
    if (
      problems.check(
        checkout !== undefined,
        "registration.rulesSourceDir",
        checkout,
        "the Trove checkout whose trove/templates/<datastore>/validation-rules.json to load",
      )
    ) {
      // An unknown datastore is already refused above, by name; it has no rules file to look for.
      for (const d of datastores.filter((known) => catalog.find(known) !== undefined)) {
        const file = path.join(checkout!, catalog.get(d).validationRulesPath);
        // A preview may run where the checkout is not (CI); DatastoreConfigurationParameters then says so in a warning.
        if (
          problems.check(
            existsSync(file) || pulumi.runtime.isDryRun(),
            "registration.rulesSourceDir",
            checkout,
            `a Trove checkout holding ${catalog.get(d).validationRulesPath} (${file} is missing)`,
          )
        )
          rulesFiles[d] = file;
      }
    }
    regions.forEach((r, i) =>
      problems.check(
        r.troveController !== undefined,
        `regions[${i}].troveController`,
        r.troveController,
        "the region's Trove controller (where configuration parameters are loaded), or set registration.loadConfigurationParameters: false",
      ),
    );
  }
  // Every region's controller connection is used (the usage count at preview, the parameter loads): each must say
  // which host key to expect, or opt out by name (the schema has checked a given key's content).
  regions.forEach((r, i) => {
    const c = r.troveController?.connection;
    if (c) requireHostKey(c, `regions[${i}].troveController.connection`, problems);
  });
  problems.throwIfAny();
  return {
    versions,
    troveRelease,
    catalog,
    datastores,
    regions,
    rulesFiles,
    rulesCheckout,
    managementNetworkCidr: args.managementNetworkCidr,
    datastoreImages: args.datastoreImages,
    registration: registration ?? {},
  };
}

/**
 * A child's arguments as the pipeline builds them, marked as checked (check-args.ts, `checkedByParent`): every field of
 * the child's schema came from the pipeline's arguments, which TROVE_GUEST_PIPELINE_SCHEMA has checked with the
 * child's own rules (and its checks between fields), except `computed`: values the pipeline makes from other
 * children's outputs (the registry endpoint, the image references, the build), which the child checks as it always has.
 */
function checkedByThePipeline<T extends object>(
  schema: Rule,
  args: T,
  computed: readonly (keyof T & string)[] = [],
): T {
  // A computed field left out (no preloaded images, no retirement record) is one the child's schema lets be left out.
  const given = computed.filter((f) => args[f] !== undefined) as readonly string[];
  const checked = Object.keys(schema.fields!).filter((f) => !given.includes(f));
  return checkedByParent(args, checked as (keyof T & string)[]);
}

/**
 * A region controller's connection as the retirement record's counter takes it: the default port, the host key
 * parsed (the resolver has checked it), the secrets as they are (Outputs stay secret; the record never stores them).
 */
function counterConnection(c: SshConnection): NonNullable<UsageCounterArgs["connection"]> {
  const hostKey = hostKeyOf(c);
  return {
    host: c.host,
    port: c.port ?? 22,
    user: c.user,
    ...(c.privateKey !== undefined ? { privateKey: c.privateKey } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    ...(hostKey !== undefined ? { hostKey } : {}),
    ...(c.insecureIgnoreHostKey === true ? { insecureIgnoreHostKey: true } : {}),
  };
}

/** The rules file of a retired version's datastore, when parameters are loaded and the checkout holds one. */
function retainedRulesFile(resolved: ResolvedTroveGuestPipeline, v: ServedVersion): string | undefined {
  if (resolved.rulesFiles[v.datastore] || !resolved.rulesCheckout || resolved.catalog.find(v.datastore) === undefined)
    return resolved.rulesFiles[v.datastore];
  const file = path.join(resolved.rulesCheckout, resolved.catalog.get(v.datastore).validationRulesPath);
  return existsSync(file) ? file : undefined;
}

/**
 * The Trove guest-image lifecycle for a list of datastore versions: one guest image build, the image in Glance tagged
 * for every datastore (in each region), the registry, every datastore's database and backup images in it, and Trove's
 * registry configuration, and each datastore version registered in Trove (with its configuration parameters, when
 * asked) once the Glance image exists.
 */
export class TroveGuestPipeline extends pulumi.ComponentResource {
  /** The guest image build. */
  public readonly guestImage: GuestImageBuild;
  /** The Glance image per region name. */
  public readonly glanceImages: Record<string, GlanceImage>;
  /** Glance image id per region name. */
  public readonly glanceImageIds: pulumi.Output<Record<string, string>>;
  /** The local registry, when the pipeline runs one. */
  public readonly localRegistry?: LocalRegistry;
  /** The registry every image is published to. */
  public readonly registry: RegistryEndpoint;
  /** `host:port` of the registry. */
  public readonly registryAddress: pulumi.Output<string>;
  /** The datastore and backup images. */
  public readonly datastoreImages: DatastoreImages;
  /** Per `<datastore>:<version>`, the image references Trove's guest agent pulls. */
  public readonly imageReferences: pulumi.Output<Record<string, PublishedImages>>;
  /** Trove's registry configuration, unless turned off. */
  public readonly troveConfig?: TroveConfig;
  /**
   * Per `<datastore>:<version>`, what the version is registered in Trove as (name, number, manager, image tags,
   * default, active): the same in every region, and known at preview.
   */
  public readonly versionSettings: Record<string, PipelineVersionOutput>;
  /** Per region name, per `<datastore>:<version>`, the `DatastoreVersion` resource (none when registration is off). */
  public readonly versionResources: Record<string, Record<string, DatastoreVersion>>;
  /** Per region name, per `<datastore>:<version>`, Trove's id of the registered version (known once it exists). */
  public readonly versionIds: pulumi.Output<Record<string, Record<string, string>>>;
  /** @deprecated Renamed `versionSettings` (the same object). */
  public get datastoreVersions(): Record<string, PipelineVersionOutput> {
    return this.versionSettings;
  }
  /** @deprecated Renamed `versionResources` (the same object). */
  public get registeredVersions(): Record<string, Record<string, DatastoreVersion>> {
    return this.versionResources;
  }
  /** @deprecated Renamed `versionIds` (the same Output). */
  public get datastoreVersionIds(): pulumi.Output<Record<string, Record<string, string>>> {
    return this.versionIds;
  }
  /**
   * Per region name, the versions taken out of `versions` that Trove still needs, kept inactive, each with its one-line
   * reason (see docs/day-two.md); known at preview where usage is counted.
   */
  public readonly retiredVersions: pulumi.Output<Record<string, RetainedVersion[]>>;
  /** The arguments as resolved: defaults applied, checked. @internal */
  public readonly resolved: ResolvedTroveGuestPipeline;

  constructor(name: string, args: TroveGuestPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before anything is declared (by the stack program, when it built them); from here on, every Input is the
    // checked one, and every field has its current name.
    let checked: CheckedArgs<TroveGuestPipelineArgs> | undefined;
    if (!checkedByTheStack.has(args)) {
      checked = checkArgs("TroveGuestPipeline", name, TROVE_GUEST_PIPELINE_SCHEMA, args);
      const current = pipelineWithCurrentNames(checked.args);
      for (const w of current.warnings) void pulumi.log.warn(`TroveGuestPipeline "${name}": ${w}`);
      args = current.args;
    }
    const resolved = resolveTroveGuestPipelineArgs(name, args);
    super("pulumi-trove:pipeline:TroveGuestPipeline", name, {}, opts);
    checked?.attach(this);
    this.resolved = resolved;

    if (args.registry.local) {
      this.localRegistry = new LocalRegistry(
        `${name}-registry`,
        checkedByThePipeline(LOCAL_REGISTRY_SCHEMA, { ...args.registry.local }),
        { parent: this },
      );
      this.registry = this.localRegistry.endpoint;
    } else {
      this.registry = args.registry.existing!;
    }
    this.registryAddress = pulumi.output(this.registry.address);
    const plainHttp = plainHttpRegistryWarning(args.registry);
    if (plainHttp) void pulumi.log.warn(`TroveGuestPipeline "${name}": ${plainHttp}`, this);
    const cidr = resolved.managementNetworkCidr;
    if (cidr !== undefined) {
      // A local registry's host is known at preview; an existing endpoint's address may be another resource's output.
      const address = args.registry.local
        ? pulumi.output(`${args.registry.local.advertisedHost}:${args.registry.local.port ?? 4000}`)
        : this.registryAddress;
      address.apply((a) => {
        const warning = managementNetworkWarning(resolved.troveRelease, a, cidr);
        if (warning) void pulumi.log.warn(`TroveGuestPipeline "${name}": ${warning}`, this);
      });
    }

    this.datastoreImages = new DatastoreImages(
      `${name}-images`,
      checkedByThePipeline(
        DATASTORE_IMAGES_SCHEMA,
        {
          ...resolved.datastoreImages,
          registry: this.registry,
          versions: resolved.versions.map(({ datastore, version, name, upstreamTag }) => ({
            datastore,
            version,
            name,
            upstreamTag,
          })),
          troveRelease: resolved.troveRelease,
          allowUntested: args.allowUntested,
          catalog: resolved.catalog,
        },
        // A local registry's endpoint is LocalRegistry's output; an existing one is the pipeline's own field.
        args.registry.local ? ["registry"] : [],
      ),
      { parent: this },
    );
    this.imageReferences = this.datastoreImages.images;

    // With preloadImages the build embeds the published images, so it comes after them.
    const { preloadImages, ...guestImage } = args.guestImage;
    const preload = preloadImages
      ? this.datastoreImages.images.apply((all) =>
          Object.values(all).flatMap((i) => [i.database, ...(i.backup ? [i.backup] : [])]),
        )
      : undefined;
    this.guestImage = new GuestImageBuild(
      `${name}-guest`,
      checkedByThePipeline(
        GUEST_IMAGE_BUILD_SCHEMA,
        {
          troveRelease: resolved.troveRelease,
          allowUntested: args.allowUntested,
          ...guestImage,
          preloadImages: preload,
        },
        ["preloadImages"],
      ),
      { parent: this },
    );

    // Per region, the record of the versions served: the ones taken out of `versions` that Trove still needs come back
    // as `retained` (known at preview), and keep their version, parameters and Glance tags (see version-retirement.ts).
    const retirements: Record<string, DatastoreVersionRetirement> = {};
    if (resolved.registration !== false) {
      const serving: ServedVersion[] = resolved.versions.map((v) => ({
        datastore: v.datastore,
        name: v.name,
        version: v.version,
      }));
      for (const region of resolved.regions) {
        const suffix = regionSuffix(resolved.regions, region);
        const controller = region.troveController;
        retirements[region.name] = new DatastoreVersionRetirement(
          `${name}-retirement${suffix}`,
          {
            serving,
            whenInUse: resolved.registration.whenInUse ?? "retire",
            where: suffix ? `region ${region.name}` : "",
            cloud: region.cloud,
            region: region.region,
            // Counted at preview (and up) with the controller's Python, on this machine or on the controller over SSH.
            counter: controller
              ? {
                  python: controller.python ?? "/usr/bin/python3",
                  troveConfPath: controller.troveConfPath ?? "/etc/trove/trove.conf",
                  ...(controller.connection ? { connection: counterConnection(controller.connection) } : {}),
                }
              : undefined,
          },
          { parent: this },
        );
      }
    }
    this.retiredVersions = pulumi.all(
      Object.fromEntries(Object.entries(retirements).map(([r, rec]) => [r, rec.retained.apply((l) => l ?? [])])),
    );

    this.glanceImages = {};
    for (const region of resolved.regions) {
      const suffix = regionSuffix(resolved.regions, region);
      const suffixes = { now: suffix, before: previousRegionSuffixes(resolved.regions, region) };
      const record = retirements[region.name];
      this.glanceImages[region.name] = new GlanceImage(
        `${name}-glance${suffix}`,
        checkedByThePipeline(
          GLANCE_IMAGE_SCHEMA,
          {
            ...(args.glanceImage ?? {}),
            image: this.guestImage,
            datastores: resolved.datastores,
            ...(record ? { retainedDatastores: record.retained.apply((l) => (l ?? []).map((v) => v.datastore)) } : {}),
            catalog: resolved.catalog,
            cloud: region.cloud,
            region: region.region,
          },
          ["image", "datastores", "retainedDatastores"],
        ),
        {
          parent: this,
          providers: region.provider ? { openstack: region.provider } : undefined,
          aliases: aliasesFor(`${name}-glance`, suffixes),
        },
      );
    }
    this.glanceImageIds = pulumi.all(
      Object.fromEntries(Object.entries(this.glanceImages).map(([r, img]) => [r, img.imageId])),
    );

    if (args.troveConfig !== false) {
      this.troveConfig = new TroveConfig(
        `${name}-config`,
        checkedByThePipeline(
          TROVE_CONFIG_SCHEMA,
          {
            ...(args.troveConfig ?? {}),
            registry: this.registry,
            // The listed datastores' options only. A datastore whose every version is retired (kept in Trove while in
            // use) keeps the options it was last given in the guest config: the editor sets only what it is given and
            // never removes an option on update, and its images stay in the registry under those names
            // (test/integration/trove-config.test.ts applies exactly that with the real editor). Recomputing them here
            // would name images never published when the registry, repository or release changed since.
            imageOptions: this.datastoreImages.guestAgentOptions,
            catalog: resolved.catalog,
            troveRelease: resolved.troveRelease,
          },
          // TroveConfig takes a narrower registry password (one INI line) than the pipeline's registry does.
          ["registry", "imageOptions"],
        ),
        // The options name images that must exist before Trove hands them to a guest.
        { parent: this, dependsOn: [this.datastoreImages] },
      );
    }

    this.versionSettings = Object.fromEntries(
      resolved.versions.map((v) => [
        versionKey(v),
        {
          datastore: v.datastore,
          name: v.name,
          version: v.version,
          manager: resolved.catalog.get(v.datastore).manager,
          imageTags: glanceImageTags([v.datastore]),
          default: v.default,
          active: v.active,
        },
      ]),
    );

    this.versionResources = {};
    if (resolved.registration !== false) {
      const registration = resolved.registration;
      for (const region of resolved.regions) {
        const suffix = regionSuffix(resolved.regions, region);
        const suffixes = { now: suffix, before: previousRegionSuffixes(resolved.regions, region) };
        const inRegion: Record<string, DatastoreVersion> = {};
        const declareVersion = (
          v: ServedVersion & { active: boolean; default: boolean },
          rulesFile: string | undefined,
          after: DatastoreVersion[],
          listed: boolean,
        ): DatastoreVersion => {
          // A version of `versions` was checked with the pipeline's arguments; a retained one comes from the
          // retirement record (the stack's state), which the children check as they always have.
          const checked = <T extends object>(schema: Rule, a: T, computed: readonly (keyof T & string)[]): T =>
            listed ? checkedByThePipeline(schema, a, computed) : a;
          // Named by datastore and number; earlier releases named them by datastore and version name.
          const label = versionLabel(v);
          const labels = {
            now: label,
            before: v.name !== v.version ? [versionLabel({ datastore: v.datastore, version: v.name })] : [],
          };
          const manager = resolved.catalog.get(v.datastore).manager;
          const version = new DatastoreVersion(
            `${name}-version${suffix}-${label}`,
            checked(
              DATASTORE_VERSION_SCHEMA,
              {
                datastore: v.datastore,
                version: v.version,
                name: v.name,
                manager,
                imageTags: glanceImageTags([v.datastore]),
                active: v.active,
                default: v.default,
                adopt: registration.adopt,
                cloud: region.cloud,
                region: region.region,
                catalog: resolved.catalog,
              },
              ["manager", "imageTags"],
            ),
            // Trove looks the image up by its tags when the version is created: the image must be in Glance first.
            {
              parent: this,
              dependsOn: [this.glanceImages[region.name]!, ...after],
              aliases: aliasesFor(`${name}-version`, suffixes, labels),
            },
          );
          if (rulesFile && region.troveController) {
            new DatastoreConfigurationParameters(
              `${name}-parameters${suffix}-${label}`,
              // By Trove's id (known in a preview of an update): a preview then shows the rules kept, not replaced.
              checked(
                DATASTORE_CONFIGURATION_PARAMETERS_SCHEMA,
                {
                  datastore: v.datastore,
                  versionName: v.name,
                  versionNumber: v.version,
                  rules: { rulesFile },
                  controller: region.troveController,
                  versionId: version.id,
                  catalog: resolved.catalog,
                },
                ["rules", "versionId"],
              ),
              { parent: this, dependsOn: [version], aliases: aliasesFor(`${name}-parameters`, suffixes, labels) },
            );
          }
          return version;
        };
        // Each datastore's default first, the others after it: a default that moves is set on the new version (Trove
        // then moves it) before the old one is told it is no longer the default, so the datastore always has one.
        const defaults: Record<string, DatastoreVersion> = {};
        for (const v of resolved.versions.filter((d) => d.default))
          defaults[v.datastore] = inRegion[versionKey(v)] = declareVersion(
            v,
            resolved.rulesFiles[v.datastore],
            [],
            true,
          );
        for (const v of resolved.versions.filter((d) => !d.default))
          inRegion[versionKey(v)] = declareVersion(
            v,
            resolved.rulesFiles[v.datastore],
            defaults[v.datastore] ? [defaults[v.datastore]!] : [],
            true,
          );
        this.versionResources[region.name] = inRegion;
        // Versions no longer listed that Trove still needs: declared again under their names, inactive and not default,
        // so that Pulumi updates them in place (and keeps their parameters) instead of deleting them.
        retirements[region.name]!.retained.apply((kept) => {
          for (const v of kept ?? []) {
            void pulumi.log.warn(`TroveGuestPipeline "${name}": ${v.reason}`, this);
            declareVersion(
              { ...v, active: false, default: false },
              retainedRulesFile(resolved, v),
              defaults[v.datastore] ? [defaults[v.datastore]!] : [],
              false,
            );
          }
        });
      }
    }
    this.versionIds = pulumi.all(
      Object.fromEntries(
        Object.entries(this.versionResources).map(([r, versions]) => [
          r,
          pulumi.all(Object.fromEntries(Object.entries(versions).map(([k, v]) => [k, v.versionId]))),
        ]),
      ),
    );

    this.registerOutputs({
      glanceImageIds: this.glanceImageIds,
      versionIds: this.versionIds,
      registryAddress: this.registryAddress,
      imageReferences: this.imageReferences,
      versionSettings: this.versionSettings,
      retiredVersions: this.retiredVersions,
    });
  }
}
