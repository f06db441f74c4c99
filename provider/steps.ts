// The runbook steps' multi-language faces: `pulumi-trove:index:<Component>` for GuestImageBuild, GlanceImage,
// LocalRegistry, DatastoreImages and TroveConfig. Each turns its arguments into the TypeScript component's
// (shapes.ts) and builds that component as its one child, under the same name.

import * as pulumi from "@pulumi/pulumi";
import type { GlanceImageArgs, PublishedImages } from "../components/index";
import type { DatastoreImagesFields, TroveConfigFields } from "./fields.generated";
import { DatastoreImages as Images, GlanceImage as Glance, GuestImageBuild as Build, LocalRegistry as Registry, TroveConfig as Config } from "../components/index";
import { GlanceImageFaceArgs, GuestImageBuildFaceArgs, LocalRegistryFaceArgs, defined, fetchImageArgs, localRegistryArgs } from "./shapes";
import { TYPE_PREFIX } from "./tokens";

/** Builds the Trove guest image with `trovestack build-image` (or takes an existing file or URL). */
export class GuestImageBuild extends pulumi.ComponentResource {
  /** Path of the image (on the build host for a remote build). */
  public readonly imagePath: pulumi.Output<string | undefined>;
  /** The image's URL, when given by `imageUrl`. */
  public readonly imageUrl: pulumi.Output<string | undefined>;
  /** Disk format, from the file's extension: `qcow2`, `raw` or `vhd`. */
  public readonly diskFormat: pulumi.Output<string>;
  /** sha256 of the image file. */
  public readonly sha256: pulumi.Output<string | undefined>;
  /** Size of the image file in bytes. */
  public readonly sizeBytes: pulumi.Output<number | undefined>;
  /** trovestack's whole output, beside the image. */
  public readonly buildLogPath: pulumi.Output<string | undefined>;
  /** The image file where `pulumi` runs, for the upload. */
  public readonly localImagePath: pulumi.Output<string | undefined>;

  constructor(name: string, args: GuestImageBuildFaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}GuestImageBuild`, name, {}, opts);
    const ctx = { component: "GuestImageBuild", name };
    const build = new Build(name, defined({ ...args, fetchImage: fetchImageArgs(ctx, "fetchImage", args.fetchImage) }), { parent: this });
    this.imagePath = build.imagePath;
    this.imageUrl = build.imageUrl;
    this.diskFormat = build.diskFormat;
    this.sha256 = build.sha256;
    this.sizeBytes = build.sizeBytes;
    this.buildLogPath = build.buildLogPath;
    this.localImagePath = build.localImagePath;
    this.registerOutputs({ imagePath: this.imagePath, imageUrl: this.imageUrl, diskFormat: this.diskFormat, sha256: this.sha256, sizeBytes: this.sizeBytes, buildLogPath: this.buildLogPath, localImagePath: this.localImagePath });
  }
}

/** Uploads the guest image to Glance, tagged for each datastore, keeping the last images to roll back to. */
export class GlanceImage extends pulumi.ComponentResource {
  /** The Glance image that serves (carries the tags). */
  public readonly imageId: pulumi.Output<string>;
  /** The newest upload. */
  public readonly uploadedImageId: pulumi.Output<string>;
  /** The images of this stack kept in Glance, newest first. */
  public readonly keptImageIds: pulumi.Output<string[]>;
  /** Glance image name. */
  public readonly name: pulumi.Output<string>;
  /** The serving image's tags. */
  public readonly tags: pulumi.Output<string[]>;
  /** sha256 of the uploaded file. */
  public readonly checksum: pulumi.Output<string>;
  /** Disk format. */
  public readonly diskFormat: pulumi.Output<string>;

  constructor(name: string, args: GlanceImageFaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}GlanceImage`, name, {}, opts);
    const glance = new Glance(name, defined({ ...args, image: defined(args.image), visibility: args.visibility as GlanceImageArgs["visibility"] }), { parent: this });
    this.imageId = glance.imageId;
    this.uploadedImageId = glance.uploadedImageId;
    this.keptImageIds = glance.keptImageIds;
    this.name = glance.name;
    this.tags = glance.tags;
    this.checksum = glance.checksum;
    this.diskFormat = glance.diskFormat;
    this.registerOutputs({ imageId: this.imageId, uploadedImageId: this.uploadedImageId, keptImageIds: this.keptImageIds, name: this.name, tags: this.tags, checksum: this.checksum, diskFormat: this.diskFormat });
  }
}

/** The runbook's private Docker registry (`registry:2` on the host network), optionally with htpasswd auth and TLS. */
export class LocalRegistry extends pulumi.ComponentResource {
  /** `host:port` of the registry. */
  public readonly address: pulumi.Output<string>;
  /** True when clients must use plain HTTP or skip TLS verification. */
  public readonly insecure: pulumi.Output<boolean>;
  /** User name for basic auth, when set. */
  public readonly username: pulumi.Output<string | undefined>;
  /** Password for basic auth, when set (secret). */
  public readonly password: pulumi.Output<string | undefined>;
  /** PEM of the CA clients must trust, when TLS is on. */
  public readonly caCertificatePem: pulumi.Output<string | undefined>;

  constructor(name: string, args: LocalRegistryFaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}LocalRegistry`, name, {}, opts);
    const registry = new Registry(name, localRegistryArgs(args), { parent: this });
    this.address = registry.address;
    this.insecure = registry.insecure;
    this.username = registry.username;
    this.password = registry.password;
    this.caCertificatePem = registry.caCertificatePem;
    this.registerOutputs({ address: this.address, insecure: this.insecure, username: this.username, password: this.password, caCertificatePem: this.caCertificatePem });
  }
}

/** `DatastoreImages`' arguments other than `catalog` (a TypeScript class instance: the built-in catalog is used). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the schema names the type after this interface
export interface DatastoreImagesFaceArgs extends DatastoreImagesFields {}

/** Mirrors the datastore images into the registry and builds the backup images. */
export class DatastoreImages extends pulumi.ComponentResource {
  /** Per `datastore:version`: the database and backup images as the guest agent pulls them. */
  public readonly images: pulumi.Output<Record<string, PublishedImages>>;

  constructor(name: string, args: DatastoreImagesFaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}DatastoreImages`, name, {}, opts);
    const images = new Images(name, args, { parent: this });
    this.images = images.images;
    this.registerOutputs({ images: this.images });
  }
}

/** `TroveConfig`'s arguments other than `catalog` (a TypeScript class instance: the built-in catalog is used). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the schema names the type after this interface
export interface TroveConfigFaceArgs extends TroveConfigFields {}

/** Trove's registry configuration, rendered, and merged into the controller's files over SSH when `controller` is given. */
export class TroveConfig extends pulumi.ComponentResource {
  /** The trove.conf options. */
  public readonly troveConf: pulumi.Output<string>;
  /** The guest agent options (secret). */
  public readonly guestAgentConf: pulumi.Output<string>;

  constructor(name: string, args: TroveConfigFaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}TroveConfig`, name, {}, opts);
    const config = new Config(name, args, { parent: this });
    this.troveConf = config.troveConf;
    this.guestAgentConf = config.guestAgentConf;
    this.registerOutputs({ troveConf: this.troveConf, guestAgentConf: this.guestAgentConf });
  }
}

