// pulumi-trove's component package: what `pulumi package add` serves to Python, Go, .NET, Java and YAML programs.
// Pulumi's Node plugin runner (`@pulumi/pulumi/cmd/run-plugin`) loads this module (package.json `main`, compiled)
// and hands every ComponentResource class it exports to componentProviderHost, whose analyzer reads the argument
// interfaces from these sources (tsconfig.json here) to build the schema. The TypeScript API is `components/index.ts`.

export { TroveGuestPipeline } from "./pipeline";
export type { TroveGuestPipelineArgs } from "./pipeline";
export { GuestImageBuild, GlanceImage, LocalRegistry, DatastoreImages, TroveConfig } from "./steps";
export type { DatastoreImagesFaceArgs, TroveConfigFaceArgs } from "./steps";
export { DatastoreVersion, DatastoreConfigurationParameters } from "./registration";
export type { DatastoreVersionFaceArgs, DatastoreConfigurationParametersFaceArgs } from "./registration";
export type * from "./shapes";
