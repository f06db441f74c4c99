// The multi-language faces' argument shapes, and the pure functions that turn them into the TypeScript arguments.
// componentProviderHost's analyzer (@pulumi/pulumi/provider/experimental/analyzer.js) builds the package schema from
// these interfaces and refuses unions other than `T | undefined` and enums, intersections, literal types such as
// `true`, and class instances of this package (and reads a field inherited through `Omit<...>` as `Any`); so where a
// TypeScript argument has such a type, its face has an equivalent shape here. Every other field is the library's own,
// with its TSDoc (fields.generated.ts, generated from the library's interfaces). What the face gives is then judged
// by the library's own schema, so a bad value is refused with the TypeScript API's message.

import * as pulumi from "@pulumi/pulumi";
import type {
  ConfigurationParameterRule,
  DatastoreConfigurationParametersArgs,
  GlanceImageSource,
  ImageFetchArgs,
  LocalRegistryArgs,
  LocalRegistryGeneratedTls,
  LocalRegistryTls,
  PipelineRegistration,
  RegistryEndpoint,
  TroveGuestPipelineArgs,
  WhenVersionInUse,
} from "../components/index";
import { ComponentInputError } from "../components/index";
import type {
  ConfigurationParameterRuleFields,
  GlanceImageFields,
  GuestImageBuildFields,
  LocalRegistryFields,
  ParametersSyncSummaryFields,
  PipelineDatastoreImagesFields,
  PipelineGlanceImageFields,
  PipelineGuestImageFields,
  PipelineRegionFields,
  PipelineRegistrationFields,
  PipelineTroveConfigFields,
} from "./fields.generated";

/** `ImageFetchArgs`, or `{ enabled: false }` where TypeScript takes `false`. */
export interface ImageFetch extends ImageFetchArgs {
  /** `false`: leave the image on the build host (TypeScript's `fetchImage: false`); no other field may be set then. Default: `true`. */
  enabled?: boolean;
}

/** `GuestImageBuild`'s arguments with `fetchImage` as `{ enabled: false }` instead of `false`. */
export interface GuestImageBuildFaceArgs extends GuestImageBuildFields {
  /**
   * For a remote build: after each build, copy the image over SSH to where `pulumi` runs, checked against the build's
   * sha256, so `GlanceImage` can upload it. `{ enabled: false }`: leave the image on the build host. Default: copy to
   * `/var/tmp/pulumi-trove-images/<file name>`.
   */
  fetchImage?: ImageFetch;
}

/** The pipeline's `guestImage`: `GuestImageBuild`'s arguments, with `preloadImages` a boolean. */
export interface PipelineGuestImage extends PipelineGuestImageFields {
  /**
   * For a remote build: after each build, copy the image over SSH to where `pulumi` runs, checked against the build's
   * sha256, so `GlanceImage` can upload it. `{ enabled: false }`: leave the image on the build host. Default: copy to
   * `/var/tmp/pulumi-trove-images/<file name>`.
   */
  fetchImage?: ImageFetch;
  /**
   * Embed every database and backup image the pipeline publishes in the guest image (`DIB_TROVE_DOCKER_IMAGES`);
   * needs `allowUntested: true` and Trove 2026.2. Default: `false`.
   */
  preloadImages?: boolean;
}

/** `LocalRegistry`'s `tls`: a certificate of your own (`certificatePem`, `privateKeyPem`), or `generate: true`. */
export interface RegistryTls {
  /** PEM certificate (chain) the registry serves. Its SANs must cover `advertisedHost`. */
  certificatePem?: pulumi.Input<string>;
  /** PEM private key of the certificate; pass a `pulumi.secret`. */
  privateKeyPem?: pulumi.Input<string>;
  /** PEM of the CA that signed the certificate, handed to clients. Default: the certificate itself (self-signed). */
  caCertificatePem?: pulumi.Input<string>;
  /** `true`: generate a self-signed certificate (ECDSA P-256, SAN = `advertisedHost`) instead of giving one. */
  generate?: boolean;
  /** Validity of the certificate in days; a new certificate replaces it when this changes. Default: `825`. */
  validityDays?: number;
}

/** `LocalRegistry`'s arguments with `tls` as one object. */
export interface LocalRegistryOptions extends LocalRegistryFields {
  /** Serve HTTPS with this certificate, or `{ generate: true }` for a self-signed one. Default: plain HTTP. */
  tls?: RegistryTls;
}

/** One region of the pipeline: its provider comes from the component's `providers` resource option. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- a face of its own name: the analyzer reads `args` and schema types as interfaces, by name
export interface PipelineRegionSpec extends PipelineRegionFields {}

/** The pipeline's `registry`: exactly one of `local` and `existing`. */
export interface PipelineRegistry {
  /** Run the runbook's registry container. */
  local?: LocalRegistryOptions;
  /** Use a registry you already have. */
  existing?: RegistryEndpoint;
}

/** `GlanceImage`'s arguments other than those the pipeline passes, with `visibility` as text. */
export interface PipelineGlanceImage extends PipelineGlanceImageFields {
  /** Glance visibility: `private`, `shared`, `community` or `public`. Default: `private`, as in the runbook. */
  visibility?: string;
}

/** `GlanceImage`'s arguments: the image given as a file or URL, `visibility` as text, and the built-in catalog. */
export interface GlanceImageFaceArgs extends GlanceImageFields {
  /**
   * The image to upload: a file (`path`) or a URL (`url`) and its `diskFormat`; from a `GuestImageBuild`, pass its
   * `localImagePath`, `diskFormat` and `sha256` outputs.
   */
  image: GlanceImageSource;
  /** Glance visibility: `private`, `shared`, `community` or `public`. Default: `private`, as in the runbook. */
  visibility?: string;
}

/** The pipeline's `datastoreImages`: `DatastoreImages`' arguments other than those the pipeline passes. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- a face of its own name: the analyzer reads `args` and schema types as interfaces, by name
export interface PipelineDatastoreImages extends PipelineDatastoreImagesFields {}

/** The pipeline's `troveConfig`, or `{ enabled: false }` where TypeScript takes `false`. */
export interface PipelineTroveConfig extends PipelineTroveConfigFields {
  /** `false`: leave Trove's registry configuration out (TypeScript's `troveConfig: false`). Default: `true`. */
  enabled?: boolean;
}

/** The pipeline's `registration`, with `whenInUse` as text, or `{ enabled: false }` where TypeScript takes `false`. */
export interface PipelineRegistrationOptions extends PipelineRegistrationFields {
  /** `false`: register no datastore version (TypeScript's `registration: false`). Default: `true`. */
  enabled?: boolean;
  /**
   * What happens to a version taken out of `versions` while Trove reports it in use: `retire` (keep it inactive, warn,
   * delete it once unused) or `fail` (stop the preview). Default: `retire`.
   */
  whenInUse?: string;
}

/** One configuration parameter rule, with `type` as text and `min`/`max` as text of digits. */
export interface ConfigurationParameterRuleSpec extends ConfigurationParameterRuleFields {
  /** Value type: `integer`, `string`, `boolean` or `float`. */
  type: string;
  /** Smallest value, as digits (values beyond 2^53 stay exact, as Trove's MySQL 2^64-1). Example: `"0"`. */
  min?: string;
  /** Largest value; as `min`. */
  max?: string;
}

/** `DatastoreConfigurationParameters`' `rules`: exactly one of `rulesFile` and `rules`. */
export interface ConfigurationParameterRules {
  /** A `validation-rules.json` file on this machine, e.g. `<trove>/trove/templates/mysql/validation-rules.json`. */
  rulesFile?: string;
  /** The rules themselves. */
  rules?: ConfigurationParameterRuleSpec[];
}

/** What uses a datastore version, as Trove's own version delete counts it. */
export interface VersionUsage {
  /** Instances of the version. */
  instances: number;
  /** Backups of the version. */
  backups: number;
  /** Configuration groups of the version. */
  configurations: number;
}

/** `DatastoreConfigurationParameters`' `summary`, with `inUse` as a named type. */
export interface ParametersSummary extends ParametersSyncSummaryFields {
  /** On a delete that kept the rules: what uses the version. */
  inUse?: VersionUsage;
}

/** What `TroveConfig`'s config editor reports (TypeScript's `TroveConfigApplied`). */
export interface TroveConfigApplyReport {
  /** Files that changed. */
  changed: string[];
  /** Restart commands that ran. */
  restarted: string[];
  /** Per file path, the retired sections it still has (only for releases that retire some). */
  present?: Record<string, string[]>;
}

/** Where a face's value came from, for the error a conversion raises. */
export interface FaceContext {
  component: string;
  name: string;
}

/** The object without its `undefined` fields, so the library's "exactly one of" checks see what was given. */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * `{ enabled: false }` as `false`, anything else without `enabled`. `enabled: false` with other fields is refused,
 * naming them: TypeScript's `false` has none, and silently dropping them would hide a mistake.
 */
export function enabledOr<T extends object>(
  ctx: FaceContext,
  field: string,
  value: (T & { enabled?: boolean }) | undefined,
): T | false | undefined {
  if (value === undefined) return undefined;
  const { enabled, ...rest } = value;
  if (enabled !== false) return rest as T;
  const others = Object.keys(defined(rest));
  if (others.length > 0) {
    throw new ComponentInputError(ctx.component, ctx.name, [
      {
        field: `${field}.enabled`,
        value: false,
        allowed: `with enabled: false, leave out ${others.map((k) => `${field}.${k}`).join(", ")}`,
      },
    ]);
  }
  return false;
}

/** The face's `fetchImage` as `GuestImageBuildArgs`' `fetchImage`. */
export function fetchImageArgs(
  ctx: FaceContext,
  field: string,
  value: ImageFetch | undefined,
): ImageFetchArgs | false | undefined {
  return enabledOr<ImageFetchArgs>(ctx, field, value);
}

/** The face's `tls` as `LocalRegistryArgs`' `tls`: the fields given, which the library's schema then judges. */
export function registryTlsArgs(
  value: RegistryTls | undefined,
): LocalRegistryTls | LocalRegistryGeneratedTls | undefined {
  return value === undefined ? undefined : (defined(value) as LocalRegistryTls | LocalRegistryGeneratedTls);
}

/** The face's `LocalRegistry` arguments as the library's. */
export function localRegistryArgs(value: LocalRegistryOptions): LocalRegistryArgs {
  return defined({ ...value, tls: registryTlsArgs(value.tls) });
}

/** The face's guest image as the pipeline's. */
export function pipelineGuestImageArgs(
  ctx: FaceContext,
  value: PipelineGuestImage,
): TroveGuestPipelineArgs["guestImage"] {
  return defined({ ...value, fetchImage: fetchImageArgs(ctx, "guestImage.fetchImage", value.fetchImage) });
}

/** The face's registry as the pipeline's: the one given (both or neither go on as given, for the schema to refuse). */
export function pipelineRegistryArgs(value: PipelineRegistry): TroveGuestPipelineArgs["registry"] {
  const given = defined({ ...value, local: value.local && localRegistryArgs(value.local) });
  return given as TroveGuestPipelineArgs["registry"];
}

/** The face's glance settings as the pipeline's (visibility goes on as text, for the schema to judge). */
export function pipelineGlanceImageArgs(value: PipelineGlanceImage | undefined): TroveGuestPipelineArgs["glanceImage"] {
  return value === undefined ? undefined : (defined(value) as TroveGuestPipelineArgs["glanceImage"]);
}

/** The face's registration as the pipeline's. */
export function pipelineRegistrationArgs(
  ctx: FaceContext,
  value: PipelineRegistrationOptions | undefined,
): TroveGuestPipelineArgs["registration"] {
  const given = enabledOr<PipelineRegistrationOptions>(ctx, "registration", value);
  return given === false || given === undefined
    ? given
    : (defined({ ...given, whenInUse: given.whenInUse as WhenVersionInUse | undefined }) as PipelineRegistration);
}

/** The face's rules as `DatastoreConfigurationParametersArgs`' `rules` (both or neither go on, for the schema to refuse). */
export function parameterRulesArgs(value: ConfigurationParameterRules): DatastoreConfigurationParametersArgs["rules"] {
  const rules = value.rules?.map((r) => defined(r) as unknown as ConfigurationParameterRule);
  return defined({ ...value, rules }) as DatastoreConfigurationParametersArgs["rules"];
}
