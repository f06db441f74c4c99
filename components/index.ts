// pulumi-trove: the OpenStack Trove guest-image lifecycle as Pulumi components. This file only re-exports, by name,
// what users of the package need: the components, their arguments and the types those arguments and outputs use,
// the catalog of datastores and Trove releases, the validation error, and the few pure functions the README offers.
// Everything else is internal (its TSDoc says so, and the published declarations leave it out); tests import it from
// its module. test/package.test.ts holds the list of these names: a name added here is added there too.

// The pipeline that composes every step, and its arguments.
export { TroveGuestPipeline } from "./pipeline";
export type { TroveGuestPipelineArgs, PipelineDatastoreVersion, PipelineRegion, PipelineRegistration, PipelineVersionOutput } from "./pipeline";

// One component per runbook step, each with its arguments and the types they use.
export { GuestImageBuild } from "./guest-image-build";
export type { GuestImageBuildArgs, BuildHostConnection } from "./guest-image-build";
export type { ImageFetchArgs } from "./image-fetch";
export { GlanceImage } from "./glance-image";
export type { GlanceImageArgs, GlanceImageSource } from "./glance-image";
export { LocalRegistry } from "./local-registry";
export type { LocalRegistryArgs, LocalRegistryAuth, LocalRegistryTls, LocalRegistryGeneratedTls } from "./local-registry";
export type { RegistryEndpoint } from "./registry-endpoint";
export { DatastoreImages } from "./datastore-images";
export type { DatastoreImagesArgs, PublishedImages } from "./datastore-images";
export { TroveConfig, renderTroveConfig, renderIni } from "./trove-config";
export type { TroveConfigArgs, TroveConfigTarget, TroveControllerTarget, ControllerConnection, GuestAgentImageOptions, TroveConfigValues, IniSections } from "./trove-config";
export { DatastoreVersion } from "./datastore-version";
export type { DatastoreVersionArgs } from "./datastore-version";
export type { WhenVersionInUse, RetainedVersion, ServedVersion } from "./version-retirement";
export { DatastoreConfigurationParameters } from "./configuration-parameters";
export type { DatastoreConfigurationParametersArgs, ConfigurationParameterRule, TroveControllerHost, ParametersSyncSummary } from "./configuration-parameters";
export type { TroveController } from "./trove-controller";
export type { SshConnection } from "./ssh";

// The catalog: datastores, Trove releases and what each supports.
export { DatastoreCatalog, defaultCatalog, BUILTIN_DATASTORES, TROVE_RELEASES, troveReleaseSupport, knownTroveReleases } from "./catalog";
export type { DatastoreDefinition, DatastoreVersionSpec, TroveRelease, TroveReleaseRules, BackupImageNaming, ReleaseEvidence } from "./catalog";

// Image names as Trove's guest agent computes them.
export { datastoreImageNames, troveBackupImage } from "./image-naming";
export type { DatastoreImageNames } from "./image-naming";

// Errors and shell quoting.
export { ComponentInputError } from "./errors";
export type { FieldProblem } from "./errors";
export { shellQuote } from "./shell";
