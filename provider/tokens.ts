// Type tokens of the multi-language faces. componentProviderHost names every component `<package>:index:<Class>`
// (provider.js, validateResourceType: only the module `index`), so a face cannot carry the TypeScript component's
// token (`pulumi-trove:pipeline:TroveGuestPipeline`); it registers this one and builds the TypeScript component as its
// child, whose own token, name and children stay as a TypeScript program declares them.

/** The package name componentProviderHost serves (package.json `name`) and its one module. */
export const TYPE_PREFIX = "pulumi-trove:index:";
