// pulumi-trove: the OpenStack Trove guest-image lifecycle as Pulumi components. This file only re-exports.

export * from "./errors";
export * from "./shell";
export * from "./ssh";
export * from "./validate";
export * from "./catalog";
export * from "./image-naming";
export * from "./registry-endpoint";
export * from "./image-fetch";
export * from "./guest-image-build";
export * from "./glance-image";
export * from "./local-registry";
export * from "./datastore-images";
export * from "./datastore-version";
export * from "./configuration-parameters";
export * from "./configuration-parameters-sync";
export * from "./trove-config";
export * from "./trove-config-editor";
export * from "./trove-client";
export * from "./pipeline";
