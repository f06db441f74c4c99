// Step 2 of the runbook: upload the guest image to Glance, private, tagged `trove` plus every datastore that uses it,
// so Trove finds it by tags. A new upload happens only when the image's checksum changes.

import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { DatastoreCatalog, defaultCatalog } from "../catalog/catalog";
import { Problems } from "../internal/errors";
import { GuestImageBuild, IMAGE_FORMATS } from "./guest-image-build";
import {
  absolutePathProblem,
  cloudNameProblem,
  firstDuplicate,
  httpUrlProblem,
  plainNameProblem,
  sha256Problem,
  singleLineProblem,
  uuidProblem,
} from "../internal/validate";
import { checkArgs } from "../internal/check-args";
import {
  count,
  either,
  FieldRules,
  flag,
  input,
  instanceOf,
  isPlainObject,
  listOf,
  mapOf,
  oneOfValues,
  optional,
  Rule,
  shape,
  text,
} from "../internal/schema";
import { withFormerTypes } from "../internal/component-type";
import { ImageHistoryState, imageHistoryProvider, UploadCheckInputs, uploadCheckProvider } from "./glance-rotation";
import { defaultImageProperties, minDiskGbFor, readImageFileFacts } from "./image-facts";

// How @pulumi/openstack (terraform-provider-openstack's images_image_v2) behaves, and what we do about it:
// - it uploads from the machine running `pulumi`: a local file as it is, a URL downloaded first into
//   `imageCachePath`, whose default is the provider process's `$HOME/.terraform/image_cache`. That default lands in
//   the state, so every machine with another HOME (CI, a colleague) sees a diff. We set a fixed path.
// - `webDownload` would have Glance fetch the URL itself; it needs the cloud's `web-download` import method and
//   Glance's own way out to the URL, and it cannot be combined with `verifyChecksum`. We keep the provider's download,
//   which works on every cloud and is checked, and say so in the docs.
// - a new checksum replaces the image (new upload first, then the old image is deleted), and Glance refuses to delete
//   a protected image, so `protected: true` would fail every replacement halfway; it is refused.
// - min_disk_gb is ForceNew: the default taken from the image's virtual size is part of the upload, so it changes
//   only with the image.
// Rotation (glance-rotation.ts): the upload resource keeps its image in Glance when a new checksum replaces it
// (`retainOnDelete`), and a history resource decides which kept image carries the tags, which are untagged and which
// are deleted; the upload's tags are ignored after its creation, because the history owns them from then on.

/** The Glance image property that records the uploaded file's sha256; a change to it replaces (re-uploads) the image. @internal */
export const SHA256_PROPERTY = "trove_guest_image_sha256";

/**
 * Where the provider keeps images it downloads from a URL before uploading them: a fixed path, the same on every
 * machine that runs the stack (the provider's default depends on the user's HOME, and sits in the state).
 * @internal
 */
export const GLANCE_IMAGE_CACHE_PATH = "/var/tmp/pulumi-trove-image-cache";

/** An image given by hand instead of a {@link GuestImageBuild}. */
export interface GlanceImageSource {
  /** Local path of the image file to upload. Either this or `url`. */
  path?: pulumi.Input<string>;
  /**
   * URL of the image. The machine running `pulumi` downloads it into `/var/tmp/pulumi-trove-image-cache` and uploads it
   * (Glance's `web-download` is not used). A file already cached for the same URL is reused. Either this or `path`.
   */
  url?: string;
  /** Disk format: `qcow2`, `raw` or `vhd`. */
  diskFormat: string;
  /** sha256 of the file; when it changes, the image is uploaded again. Example: the output of `sha256sum`. */
  sha256?: pulumi.Input<string>;
}

/** Arguments of {@link GlanceImage}. */
export interface GlanceImageArgs {
  /**
   * The image to upload: a {@link GuestImageBuild} (its `localImagePath`, or its URL), or a file or URL described by
   * hand.
   */
  image: GuestImageBuild | GlanceImageSource;
  /**
   * Datastores that use this image; each becomes a tag next to `trove`, so `--image-tags trove,<datastore>` finds it.
   * At least one. Example: `["mysql", "postgresql"]`.
   */
  datastores: string[];
  /** Glance image name. Default: `trove-guest-<os>-<release>` (`trove-guest-ubuntu-jammy`). */
  name?: string;
  /** Glance visibility. Default: `private`, as in the runbook. */
  visibility?: "private" | "shared" | "community" | "public";
  /**
   * Minimum disk in GB for instances of this image, passed to Glance (`min_disk`). Default: the image's virtual size
   * (`qemu-img info --output=json` on the machine running `pulumi`), rounded up to a whole GiB; unset for an image
   * given by URL.
   */
  minDiskGb?: number;
  /** Minimum RAM in MB for instances of this image, passed to Glance. Default: unset. */
  minRamMb?: number;
  /**
   * Glance properties, over the defaults `hw_rng_model=virtio`, `os_distro=<guest OS>` (`ubuntu`) and
   * `os_version=<its release number>` (`22.04` for jammy, `24.04` for noble). Example: `{ hw_rng_model: "none" }`.
   */
  properties?: Record<string, string>;
  /**
   * Must stay `false`; `true` is refused: a new checksum replaces the image, uploading the new one and then deleting
   * the old one, and Glance refuses (403) to delete a protected image. Protect the image in Glance yourself if you
   * must, and unprotect it before the next new image. Default: `false`.
   */
  protected?: boolean;
  /** Catalog the datastore names are checked against. Default: the built-in catalog. */
  catalog?: DatastoreCatalog;
  /** Guest OS, for the default name when `image` is given by hand. Default: `ubuntu`. */
  guestOs?: string;
  /** Guest OS release, for the default name when `image` is given by hand. Default: `jammy`. */
  guestOsRelease?: string;
  /**
   * How many guest images of this stack stay in Glance, the serving one included: with 2, a new image serves and the
   * one before stays, untagged, to roll back to; the next new image deletes the oldest. 0 and 1 keep the serving image
   * only: the one before is deleted once the new one serves, as earlier releases did. An image a Trove datastore
   * version pins by id (or listed in `keepImageIds`) is kept beyond the count until nothing pins it; it is deleted at
   * the next update of the history. Default: `2`.
   */
  keepImages?: number;
  /**
   * Which kept image carries the tags Trove looks images up by: `newest` (the last upload), `previous` (the image
   * before the one serving when this is set; it keeps serving, whatever is uploaded after, until `newest` is set
   * again), or a Glance image id among the kept ones. The rollback: `pulumi config set --path
   * 'pulumi-trove:glanceImage.serve' previous`, then `pulumi up`. Default: `newest`.
   */
  serve?: string;
  /** Images of this stack never deleted while listed here, as if a version pinned them. Default: none. */
  keepImageIds?: pulumi.Input<string[]>;
  /**
   * Datastores the pipeline no longer lists whose versions are still in use: their tags stay on the serving image,
   * after `trove` and `datastores` (each tag once), so those versions keep finding an image. Default: none.
   * Example: `["postgresql"]`.
   */
  retainedDatastores?: pulumi.Input<string[]>;
  /**
   * Before a new upload, compare the file's size with the Glance quota the cloud reports (`GET /v2/info/usage`, unified
   * limits: `image_size_total`, `image_count_total`) and fail naming the quota and the size instead of an HTTP 413
   * after the image record exists. An upload that would take the usage past `image_size_total` fails: Glance 2026.2
   * refuses it, Zed and 2025.1 accept it and refuse the next one; `false` uploads anyway. Clouds without unified
   * limits report none, and nothing is compared. Default: `true`.
   */
  checkQuota?: boolean;
  /**
   * Before deleting an image beyond `keepImages`, ask Trove's management API (admin) which images its datastore
   * versions pin by id, and keep those. Set `false` where the credentials cannot list datastore versions. Default:
   * `true` (a cloud without Trove in its catalog has no pins).
   */
  checkTrovePins?: boolean;
  /** clouds.yaml cloud the history and quota check talk to Glance (and Trove) through. Default: `OS_CLOUD` or the `OS_*` variables. */
  cloud?: string;
  /** Region inside that cloud. Default: the cloud's. */
  region?: string;
}

/** Everything {@link GlanceImage} needs, resolved and validated. @internal */
export interface ResolvedGlanceImage {
  name: string;
  diskFormat: string;
  containerFormat: "bare";
  visibility: "private" | "shared" | "community" | "public";
  tags: string[];
  properties: Record<string, string>;
  /** Given, else taken from the image file at deploy time. */
  minDiskGb?: number;
  minRamMb?: number;
  /** The tags with the retained datastores (known when they resolve). */
  allTags: pulumi.Output<string[]>;
  keepImages: number;
  serve: string;
  keepImageIds: pulumi.Input<string[]>;
  checkQuota: boolean;
  checkTrovePins: boolean;
  cloud?: string;
  region?: string;
  /** Where the upload reads the image: a file here or a URL (one of them set), and the sha256 recorded with it. */
  upload: {
    localFilePath: pulumi.Input<string | undefined> | undefined;
    url: pulumi.Output<string | undefined>;
    sha256: pulumi.Input<string | undefined> | undefined;
  };
}

/** The tags Trove looks the image up by: `trove` first, then each datastore once, in the order given. @internal */
export function glanceImageTags(datastores: readonly string[]): string[] {
  return ["trove", ...datastores.filter((d, i) => datastores.indexOf(d) === i)];
}

/** The schema of {@link GlanceImageSource}. @internal */
export const GLANCE_IMAGE_SOURCE_SCHEMA: Rule = shape<GlanceImageSource>(
  "{ path or url, diskFormat, sha256? }",
  {
    path: optional(input(text("an absolute path of the image file on this machine", absolutePathProblem))),
    url: optional(text("an http:// or https:// URL", httpUrlProblem)),
    diskFormat: oneOfValues(Object.values(IMAGE_FORMATS)),
    sha256: optional(input(text("a sha256 digest in hex", sha256Problem))),
  },
  (src, report) => {
    if ((src.path === undefined) === (src.url === undefined))
      report("path", src.path, "give exactly one of path and url");
  },
);

/** The fields of {@link GlanceImageArgs}' schema (the pipeline's `glanceImage` takes some of them). @internal */
export const GLANCE_IMAGE_FIELDS: FieldRules<GlanceImageArgs> = {
  image: either(
    "a GuestImageBuild, or { path or url, diskFormat, sha256? }",
    [instanceOf(GuestImageBuild, "a GuestImageBuild"), GLANCE_IMAGE_SOURCE_SCHEMA],
    (v) => (v instanceof GuestImageBuild ? 0 : isPlainObject(v) ? 1 : undefined),
  ),
  datastores: listOf(text("a datastore name", (v) => plainNameProblem(v))),
  name: optional(text("a Glance image name", (v) => plainNameProblem(v, 255))),
  visibility: optional(oneOfValues(["private", "shared", "community", "public"])),
  minDiskGb: optional(count(0, 100000)),
  minRamMb: optional(count(0, 100000000)),
  properties: optional(
    mapOf(
      text("a one-line value", singleLineProblem),
      (k) => (/^[A-Za-z0-9_:.-]{1,255}$/.test(k) ? undefined : "expected letters, digits, '_', ':', '.' or '-'"),
      "a map of Glance property names to one-line values",
    ),
  ),
  protected: optional(flag()),
  catalog: optional(instanceOf(DatastoreCatalog, "a DatastoreCatalog")),
  guestOs: optional(text("a guest OS name", (v) => plainNameProblem(v, 32))),
  guestOsRelease: optional(text("a guest OS release", (v) => plainNameProblem(v, 32))),
  keepImages: optional(count(0, 100)),
  serve: optional(
    text("newest, previous or a Glance image id", (v) =>
      v === "newest" || v === "previous" || uuidProblem(v) === undefined
        ? undefined
        : "expected newest, previous or a Glance image id",
    ),
  ),
  keepImageIds: optional(input(listOf(text("a Glance image id", uuidProblem)))),
  retainedDatastores: optional(
    input(
      listOf(
        text("a datastore name of at most 20 characters (a Glance tag Trove can ask for)", (v) =>
          plainNameProblem(v, 20),
        ),
      ),
    ),
  ),
  checkQuota: optional(flag()),
  checkTrovePins: optional(flag()),
  cloud: optional(text("a clouds.yaml cloud name", cloudNameProblem)),
  region: optional(text("a region name", cloudNameProblem)),
};

/** The schema of {@link GlanceImageArgs}. @internal */
export const GLANCE_IMAGE_SCHEMA: Rule = shape<GlanceImageArgs>("Glance image arguments", GLANCE_IMAGE_FIELDS);

/**
 * Applies defaults and makes the checks the schema cannot (the catalog, the build's image, the name taken from the
 * build, reserved and refused values); the constructor has checked every field's content against GLANCE_IMAGE_SCHEMA
 * first. Throws one error naming every bad field.
 * @internal
 */
export function resolveGlanceImageArgs(name: string, args: GlanceImageArgs): ResolvedGlanceImage {
  const problems = new Problems("GlanceImage", name);
  const catalog = args.catalog ?? defaultCatalog;
  const image = args.image;
  const built = image instanceof GuestImageBuild ? image.glanceSource : undefined;
  const guestOs = built ? built.guestOs : (args.guestOs ?? "ubuntu");
  const guestOsRelease = built ? built.guestOsRelease : (args.guestOsRelease ?? "jammy");
  const imageName = args.name ?? `trove-guest-${guestOs}-${guestOsRelease}`;
  const visibility = args.visibility ?? "private";

  // A given name has passed the schema; one made from the build's OS names is checked here.
  if (args.name === undefined) problems.report("name", imageName, plainNameProblem(imageName, 255));
  problems.check(
    args.datastores.length > 0,
    "datastores",
    args.datastores,
    `list at least one datastore (${catalog.describeKnown()})`,
  );
  args.datastores.forEach((d, i) =>
    problems.check(catalog.find(d) !== undefined, `datastores[${i}]`, d, catalog.describeKnown()),
  );
  const dup = firstDuplicate(args.datastores);
  problems.check(dup === undefined, "datastores", dup, "each datastore once");

  let diskFormat: string;
  let upload: ResolvedGlanceImage["upload"];
  if (image instanceof GuestImageBuild) {
    const build = image.glanceSource;
    diskFormat = build.diskFormat;
    upload = { localFilePath: build.localFilePath, url: build.url, sha256: build.sha256 };
    problems.check(
      !build.remote || build.availableLocally,
      "image",
      "remote build with fetchImage: false",
      "the image stays on the build host, and Glance uploads from where pulumi runs: let GuestImageBuild copy it here (drop fetchImage: false), or pass { path, diskFormat, sha256 } of a copy",
    );
  } else {
    diskFormat = image.diskFormat;
    upload = { localFilePath: image.path, url: pulumi.output(image.url), sha256: image.sha256 };
  }
  for (const key of Object.keys(args.properties ?? {}))
    problems.check(
      key !== SHA256_PROPERTY,
      `properties.${key}`,
      key,
      "reserved: pulumi-trove records the image checksum there",
    );
  problems.check(
    args.protected !== true,
    "protected",
    args.protected,
    "a new image checksum replaces the image: the new one is uploaded, then the old one deleted, and Glance refuses to delete a protected image, so the next new image would fail halfway; leave protected unset",
  );
  problems.throwIfAny();

  const tags = glanceImageTags(args.datastores);
  return {
    name: imageName,
    diskFormat,
    containerFormat: "bare",
    visibility,
    tags,
    allTags: pulumi
      .output(args.retainedDatastores ?? [])
      .apply((retained) => glanceImageTags([...args.datastores, ...retained])),
    properties: { ...defaultImageProperties(guestOs, guestOsRelease), ...(args.properties ?? {}) },
    minDiskGb: args.minDiskGb,
    minRamMb: args.minRamMb,
    keepImages: args.keepImages ?? 2,
    serve: args.serve ?? "newest",
    keepImageIds: args.keepImageIds ?? [],
    checkQuota: args.checkQuota ?? true,
    checkTrovePins: args.checkTrovePins ?? true,
    cloud: args.cloud,
    region: args.region,
    upload,
  };
}

/** A history resource: the kept guest images, and the one serving (glance-rotation.ts). @internal */
export class GlanceImageHistory extends pulumi.dynamic.Resource {
  declare public readonly servingId: pulumi.Output<string>;
  declare public readonly history: pulumi.Output<string[]>;
  declare public readonly pinnedIds: pulumi.Output<string[]>;
  declare public readonly tags: pulumi.Output<string[]>;
  constructor(
    name: string,
    props: {
      [K in keyof Omit<ImageHistoryState, "servingId" | "history" | "pinnedIds">]: pulumi.Input<ImageHistoryState[K]>;
    },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      imageHistoryProvider,
      name,
      { ...props, servingId: undefined, history: undefined, pinnedIds: undefined },
      opts,
      "pulumi-trove",
      "GlanceImageHistory",
    );
  }
}

/** The quota check before an upload (glance-rotation.ts). @internal */
export class GlanceQuotaCheck extends pulumi.dynamic.Resource {
  constructor(
    name: string,
    props: { [K in keyof UploadCheckInputs]: pulumi.Input<UploadCheckInputs[K]> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(uploadCheckProvider, name, { ...props, checked: undefined }, opts, "pulumi-trove", "GlanceQuotaCheck");
  }
}

/**
 * The guest image in Glance (`openstack image create <name> --private --disk-format <fmt> --container-format bare
 * --tag trove --tag <datastore>... --file <image>`), uploaded again whenever the file's sha256 changes; the last
 * `keepImages` uploads stay in Glance, the one that serves tagged, the others untagged, to roll back to.
 */
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
  /** The arguments as resolved (defaults applied, checked), for composing components. @internal */
  public readonly resolved: ResolvedGlanceImage;

  constructor(name: string, args: GlanceImageArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before anything is declared; from here on, every Input is the checked one.
    const checked = checkArgs("GlanceImage", name, GLANCE_IMAGE_SCHEMA, args);
    args = checked.args;
    const resolved = resolveGlanceImageArgs(name, args);
    super(
      "pulumi-trove:glance-image:GlanceImage",
      name,
      {},
      withFormerTypes(opts, ["pulumi-trove:glance:GlanceImage"]),
    );
    checked.attach(this);
    this.resolved = resolved;

    const { localFilePath, url, sha256 } = resolved.upload;
    const properties = pulumi
      .all([sha256, pulumi.output(resolved.properties)])
      .apply(([sha, extra]) => (sha ? { ...extra, [SHA256_PROPERTY]: sha } : extra));
    // Read on this machine once the file's path is known (a preview before the build leaves them unknown).
    const facts = pulumi.output(localFilePath).apply((p) => (p ? readImageFileFacts(p) : undefined));
    const minDiskGb = resolved.minDiskGb ?? facts.apply((f) => (f ? minDiskGbFor(f.virtualBytes) : undefined));

    const where = {
      ...(resolved.cloud !== undefined ? { cloud: resolved.cloud } : {}),
      ...(resolved.region !== undefined ? { region: resolved.region } : {}),
    };
    const quota =
      resolved.checkQuota && localFilePath !== undefined
        ? new GlanceQuotaCheck(
            `${name}-quota`,
            {
              label: `GlanceImage "${name}" (${resolved.name})`,
              sha256: pulumi
                .all([sha256, localFilePath, facts])
                .apply(([sha, p, f]) => sha ?? `${p ?? ""}:${f?.fileBytes ?? 0}`),
              sizeBytes: facts.apply((f) => f?.fileBytes ?? 0),
              ...where,
            },
            { parent: this },
          )
        : undefined;

    const image = new openstack.images.Image(
      `${name}-image`,
      {
        name: resolved.name,
        diskFormat: resolved.diskFormat,
        containerFormat: resolved.containerFormat,
        visibility: resolved.visibility,
        tags: resolved.allTags,
        properties,
        localFilePath: localFilePath as pulumi.Input<string>,
        imageSourceUrl: url as pulumi.Input<string>,
        minDiskGb: minDiskGb as pulumi.Input<number>,
        minRamMb: resolved.minRamMb,
        protected: false,
        imageCachePath: GLANCE_IMAGE_CACHE_PATH,
        verifyChecksum: true,
      },
      // Same name is fine in Glance, so the new image is uploaded before the old one leaves the upload resource: Trove,
      // which picks the newest active image with the tags, never sees a moment without one. The old image stays in
      // Glance (retainOnDelete); the history below untags or deletes it. The tags are the history's after creation.
      {
        parent: this,
        replaceOnChanges: [`properties.${SHA256_PROPERTY}`, "localFilePath", "imageSourceUrl"],
        retainOnDelete: true,
        ignoreChanges: ["tags"],
        ...(quota ? { dependsOn: [quota] } : {}),
      },
    );

    const history = new GlanceImageHistory(
      `${name}-history`,
      {
        uploadedId: image.id,
        keep: resolved.keepImages,
        tags: resolved.allTags,
        serve: resolved.serve,
        keepImageIds: resolved.keepImageIds,
        checkTrovePins: resolved.checkTrovePins,
        ...where,
      },
      { parent: this },
    );

    this.imageId = history.servingId;
    this.uploadedImageId = image.id;
    this.keptImageIds = history.history;
    this.name = image.name;
    this.tags = history.tags.apply((t) => t ?? []);
    this.checksum = image.checksum;
    this.diskFormat = image.diskFormat;
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
