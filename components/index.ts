// pulumi-trove: the OpenStack Trove guest-image lifecycle as Pulumi components. This file only re-exports, by name,
// what users of the package need: the components, their arguments and the types those arguments and outputs use,
// the catalog of datastores and Trove releases, the validation error, and the few pure functions the README offers.
// Everything else is internal (its TSDoc says so, and the published declarations leave it out); tests import it from
// its module. test/package.test.ts holds the list of these names: a name added here is added there too.

// The pipeline that composes every step, and its arguments.
export { TroveGuestPipeline } from "./pipeline/pipeline";
export type {
  TroveGuestPipelineArgs,
  PipelineDatastoreVersion,
  PipelineRegion,
  PipelineRegistration,
  PipelineVersionOutput,
} from "./pipeline/pipeline";

// One component per runbook step, each with its arguments and the types they use.
export { GuestImageBuild } from "./image/guest-image-build";
export type { GuestImageBuildArgs, BuildHostConnection } from "./image/guest-image-build";
export type { ImageFetchArgs } from "./image/image-fetch";
export { GlanceImage } from "./image/glance-image";
export type { GlanceImageArgs, GlanceImageSource } from "./image/glance-image";
export { LocalRegistry } from "./registry/local-registry";
export type {
  LocalRegistryArgs,
  LocalRegistryAuth,
  LocalRegistryTls,
  LocalRegistryGeneratedTls,
} from "./registry/local-registry";
export type { RegistryEndpoint } from "./registry/registry-endpoint";
export { DatastoreImages } from "./registry/datastore-images";
export type { DatastoreImagesArgs, PublishedImages } from "./registry/datastore-images";
export { TroveConfig, renderTroveConfig, renderIni } from "./trove/trove-config";
export type {
  TroveConfigArgs,
  TroveConfigTarget,
  TroveControllerTarget,
  ControllerConnection,
  GuestAgentImageOptions,
  TroveConfigValues,
  IniSections,
} from "./trove/trove-config";
export { DatastoreVersion } from "./trove/datastore-version";
export type { DatastoreVersionArgs } from "./trove/datastore-version";
export type { WhenVersionInUse, RetainedVersion, ServedVersion } from "./trove/version-retirement";
export { DatastoreConfigurationParameters } from "./trove/configuration-parameters";
export type {
  DatastoreConfigurationParametersArgs,
  ConfigurationParameterRule,
  TroveControllerHost,
  ParametersSyncSummary,
} from "./trove/configuration-parameters";
export type { TroveController } from "./trove/trove-controller";
export type { SshConnection } from "./internal/ssh";
export type { TroveCheckout } from "./internal/checkout";

// The catalog: datastores, Trove releases and what each supports.
export {
  DatastoreCatalog,
  defaultCatalog,
  BUILTIN_DATASTORES,
  TROVE_RELEASES,
  troveReleaseSupport,
  knownTroveReleases,
} from "./catalog/catalog";
export type {
  DatastoreDefinition,
  DatastoreVersionSpec,
  TroveRelease,
  TroveReleaseRules,
  BackupImageNaming,
  ReleaseEvidence,
} from "./catalog/catalog";

// Image names as Trove's guest agent computes them.
export { datastoreImageNames, troveBackupImage } from "./catalog/image-naming";
export type { DatastoreImageNames } from "./catalog/image-naming";

// Errors and shell quoting.
export { ComponentInputError } from "./internal/errors";
export type { FieldProblem } from "./internal/errors";
export { shellQuote } from "./internal/shell";
