// The runbook steps' multi-language faces: `pulumi-trove:index:<Component>` for GuestImageBuild, GlanceImage,
// LocalRegistry, DatastoreImages and TroveConfig. Each turns its arguments into the TypeScript component's
// (shapes.ts) and builds that component as its one child, under the same name.

import * as pulumi from "@pulumi/pulumi";
import type { GlanceImageArgs, GuestAgentImageOptions, PublishedImages } from "../components/index";
import type { DatastoreImagesFields, TroveConfigFields } from "./fields.generated";
import {
  DatastoreImages as Images,
  GlanceImage as Glance,
  GuestImageBuild as Build,
  LocalRegistry as Registry,
  TroveConfig as Config,
} from "../components/index";
import {
  GlanceImageFaceArgs,
  GuestImageBuildFaceArgs,
  LocalRegistryOptions,
  TroveConfigApplyReport,
  defined,
  fetchImageArgs,
  localRegistryArgs,
} from "./shapes";
import { TYPE_PREFIX } from "./tokens";

/** Builds the Trove guest image with `trovestack build-image` (or takes an existing file or URL). */
export class GuestImageBuild extends pulumi.ComponentResource {
  /** Path of the image file (on the build host for a remote build); undefined for a URL source. */
  public readonly imagePath: pulumi.Output<string | undefined>;
  /** The published URL, for a URL source. */
  public readonly imageUrl: pulumi.Output<string | undefined>;
  /** Glance disk format, from the file extension: `qcow2`, `raw` or `vhd`. Known at preview time. */
  public readonly diskFormat: pulumi.Output<string>;
  /** sha256 of the image file; undefined for a URL source. */
  public readonly sha256: pulumi.Output<string | undefined>;
  /** Size of the image file in bytes; undefined for a URL source. */
  public readonly sizeBytes: pulumi.Output<number | undefined>;
  /**
   * The build's full log, `<image>.build.log` beside the image (on the build host for a remote build); undefined
   * when nothing is built. The state keeps only a bounded progress tail.
   */
  public readonly buildLogPath: pulumi.Output<string | undefined>;
  /**
   * Path of an image file where `pulumi` runs, for an upload from here: the build's output for a local build or an
   * existing file, the copy for a remote build with `fetchImage`; undefined otherwise.
   */
  public readonly localImagePath: pulumi.Output<string | undefined>;

  constructor(name: string, args: GuestImageBuildFaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}GuestImageBuild`, name, {}, opts);
    const ctx = { component: "GuestImageBuild", name };
    const build = new Build(
      name,
      defined({ ...args, fetchImage: fetchImageArgs(ctx, "fetchImage", args.fetchImage) }),
      { parent: this },
    );
    this.imagePath = build.imagePath;
    this.imageUrl = build.imageUrl;
    this.diskFormat = build.diskFormat;
    this.sha256 = build.sha256;
    this.sizeBytes = build.sizeBytes;
    this.buildLogPath = build.buildLogPath;
    this.localImagePath = build.localImagePath;
    this.registerOutputs({
      imagePath: this.imagePath,
      imageUrl: this.imageUrl,
      diskFormat: this.diskFormat,
      sha256: this.sha256,
      sizeBytes: this.sizeBytes,
      buildLogPath: this.buildLogPath,
      localImagePath: this.localImagePath,
    });
  }
}

/** Uploads the guest image to Glance, tagged for each datastore, keeping the last images to roll back to. */
export class GlanceImage extends pulumi.ComponentResource {
  /** Glance image id of the image that serves (carries the tags): the newest upload unless `serve` says otherwise. */
  public readonly imageId: pulumi.Output<string>;
  /** Glance image id of the newest upload. */
  public readonly uploadedImageId: pulumi.Output<string>;
  /** The images of this stack kept in Glance, newest first (the serving one among them). */
  public readonly keptImageIds: pulumi.Output<string[]>;
  /** Glance image name. */
  public readonly name: pulumi.Output<string>;
  /** Tags on the serving image: `trove`, each datastore, each retained datastore. */
  public readonly tags: pulumi.Output<string[]>;
  /** Glance's checksum of the newest upload's data. */
  public readonly checksum: pulumi.Output<string>;
  /** Disk format of the upload. */
  public readonly diskFormat: pulumi.Output<string>;

  constructor(name: string, args: GlanceImageFaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}GlanceImage`, name, {}, opts);
    const glance = new Glance(
      name,
      defined({ ...args, image: defined(args.image), visibility: args.visibility as GlanceImageArgs["visibility"] }),
      { parent: this },
    );
    this.imageId = glance.imageId;
    this.uploadedImageId = glance.uploadedImageId;
    this.keptImageIds = glance.keptImageIds;
    this.name = glance.name;
    this.tags = glance.tags;
    this.checksum = glance.checksum;
    this.diskFormat = glance.diskFormat;
    this.registerOutputs({
      imageId: this.imageId,
      uploadedImageId: this.uploadedImageId,
      keptImageIds: this.keptImageIds,
      name: this.name,
      tags: this.tags,
      checksum: this.checksum,
      diskFormat: this.diskFormat,
    });
  }
}

/** The runbook's private Docker registry (`registry:2` on the host network), optionally with htpasswd auth and TLS. */
export class LocalRegistry extends pulumi.ComponentResource {
  /** `host:port` of the registry. */
  public readonly address: pulumi.Output<string>;
  /** True when the registry speaks plain HTTP (then Trove needs `docker_insecure_registries`). */
  public readonly insecure: pulumi.Output<boolean>;
  /** Basic-auth user name, when auth is on. */
  public readonly username: pulumi.Output<string | undefined>;
  /** Basic-auth password (secret), when auth is on. */
  public readonly password: pulumi.Output<string | undefined>;
  /** CA certificate PEM clients must trust, when TLS is on. */
  public readonly caCertificatePem: pulumi.Output<string | undefined>;

  constructor(name: string, args: LocalRegistryOptions, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}LocalRegistry`, name, {}, opts);
    const registry = new Registry(name, localRegistryArgs(args), { parent: this });
    this.address = registry.address;
    this.insecure = registry.insecure;
    this.username = registry.username;
    this.password = registry.password;
    this.caCertificatePem = registry.caCertificatePem;
    this.registerOutputs({
      address: this.address,
      insecure: this.insecure,
      username: this.username,
      password: this.password,
      caCertificatePem: this.caCertificatePem,
    });
  }
}

/** `DatastoreImages`' arguments other than `catalog` (a TypeScript class instance: the built-in catalog is used). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- a face of its own name: the analyzer reads `args` and schema types as interfaces, by name
export interface DatastoreImagesFaceArgs extends DatastoreImagesFields {}

/** Mirrors the datastore images into the registry and builds the backup images. */
export class DatastoreImages extends pulumi.ComponentResource {
  /** Per `<datastore>:<version>`: the database (and backup) references and the database digest. */
  public readonly images: pulumi.Output<Record<string, PublishedImages>>;
  /** Per datastore: the `docker_image` and `backup_docker_image` option values for the guest agent. */
  public readonly guestAgentOptions: pulumi.Output<Record<string, GuestAgentImageOptions>>;

  constructor(name: string, args: DatastoreImagesFaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}DatastoreImages`, name, {}, opts);
    const images = new Images(name, args, { parent: this });
    this.images = images.images;
    this.guestAgentOptions = images.guestAgentOptions;
    this.registerOutputs({ images: this.images, guestAgentOptions: this.guestAgentOptions });
  }
}

/** `TroveConfig`'s arguments other than `catalog` (a TypeScript class instance: the built-in catalog is used). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- a face of its own name: the analyzer reads `args` and schema types as interfaces, by name
export interface TroveConfigFaceArgs extends TroveConfigFields {}

/** Trove's registry configuration, rendered, and merged into the controller's files over SSH when `controller` is given. */
export class TroveConfig extends pulumi.ComponentResource {
  /** The `trove.conf` options, as INI text. */
  public readonly troveConf: pulumi.Output<string>;
  /** The guest agent config options, as INI text (secret: it holds the registry password). */
  public readonly guestAgentConf: pulumi.Output<string>;
  /**
   * What the last apply changed and restarted (empty when render-only), and the retired sections the controller's
   * files still have (`present`: per file, e.g. `[service_credentials]` on 2026.2), which are warned about, not removed.
   */
  public readonly applied: pulumi.Output<TroveConfigApplyReport | undefined>;

  constructor(name: string, args: TroveConfigFaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}TroveConfig`, name, {}, opts);
    const config = new Config(name, args, { parent: this });
    this.troveConf = config.troveConf;
    this.guestAgentConf = config.guestAgentConf;
    this.applied = config.applied;
    this.registerOutputs({ troveConf: this.troveConf, guestAgentConf: this.guestAgentConf, applied: this.applied });
  }
}
