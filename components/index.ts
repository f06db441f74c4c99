// pulumi-trove: the OpenStack Trove guest-image lifecycle as Pulumi components. This file only re-exports.

export * from "./errors.js";
export * from "./shell.js";
export * from "./ssh.js";
export * from "./validate.js";
export * from "./catalog.js";
export * from "./image-naming.js";
export * from "./registry-endpoint.js";
export * from "./image-fetch.js";
export * from "./guest-image-build.js";
export * from "./glance-image.js";
export * from "./local-registry.js";
export * from "./datastore-images.js";
export * from "./datastore-version.js";
export * from "./configuration-parameters.js";
export * from "./configuration-parameters-sync.js";
export * from "./trove-config.js";
export * from "./trove-config-editor.js";
export * from "./trove-client.js";
export * from "./pipeline.js";
