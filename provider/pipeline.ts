// The pipeline's multi-language face: `pulumi-trove:index:TroveGuestPipeline`, as a Python, Go, .NET, Java or YAML
// program sees it. It turns its arguments into TroveGuestPipelineArgs (shapes.ts) and builds the TypeScript
// TroveGuestPipeline as its one child, under the same name, so the same resources are declared and a bad value is
// refused with the same message.

import * as pulumi from "@pulumi/pulumi";
import type {
  PipelineDatastoreVersion,
  PipelineVersionOutput,
  PublishedImages,
  RetainedVersion,
} from "../components/index";
import { TroveGuestPipeline as Pipeline } from "../components/index";
import {
  PipelineDatastoreImages,
  PipelineGlanceImage,
  PipelineGuestImage,
  PipelineRegionSpec,
  PipelineRegistrationOptions,
  PipelineRegistry,
  PipelineTroveConfig,
  enabledOr,
  pipelineGlanceImageArgs,
  pipelineGuestImageArgs,
  pipelineRegistrationArgs,
  pipelineRegistryArgs,
} from "./shapes";
import { TYPE_PREFIX } from "./tokens";

/** The pipeline's arguments as every Pulumi language gives them (the TypeScript API's, in shapes the schema can carry). */
export interface TroveGuestPipelineArgs {
  /**
   * The datastore versions to serve, e.g. `[{ datastore: "mysql", version: "5.7.29", default: true },
   * { datastore: "mysql", version: "8.0" }, { datastore: "postgresql", version: "12" }]`. At least one.
   */
  versions: PipelineDatastoreVersion[];
  /**
   * Trove release of the controller (`zed` … `2026.2`; `troveReleaseSupport(release)` says what each supports):
   * decides the supported guest OS releases and datastore versions and how the guest agent names images. Required.
   * Example: `2026.1`.
   */
  troveRelease: string;
  /** Accept datastore versions (and, unless `guestImage` says otherwise, guest OS releases) outside the release's support. Default: `false`. */
  allowUntested?: boolean;
  /** The one guest image build (or existing image) shared by every datastore: `GuestImageBuild`'s arguments, with `preloadImages` a boolean. */
  guestImage: PipelineGuestImage;
  /** Glance settings other than the image and its datastore tags (name, visibility, properties...). */
  glanceImage?: PipelineGlanceImage;
  /**
   * Regions fed from the one build: each gets its own Glance image (and, where enabled, its datastore versions).
   * Default: one region named `default` using the default OpenStack provider. A region's OpenStack provider is the
   * component's `providers` resource option (TypeScript's `PipelineRegion.provider`).
   */
  regions?: PipelineRegionSpec[];
  /** The registry: `local` runs the runbook's registry container; `existing` uses one you already have. Exactly one of the two. */
  registry: PipelineRegistry;
  /** How the datastore images are mirrored and the backup images built: `DatastoreImages`' arguments other than those the pipeline passes. */
  datastoreImages: PipelineDatastoreImages;
  /**
   * Trove's registry configuration: `TroveConfig`'s arguments other than those the pipeline passes. Give `controller`
   * to apply it over SSH; `{ enabled: false }` leaves it out. Default: rendered only.
   */
  troveConfig?: PipelineTroveConfig;
  /**
   * Registering the datastore versions in Trove, in every region, after that region's Glance image; `{ enabled: false }`
   * leaves it out. Default: registered, parameters not loaded.
   */
  registration?: PipelineRegistrationOptions;
  /**
   * The CIDR of Trove's management network (the network `network_isolation` keeps guests on), IPv4 or IPv6; a
   * malformed value is refused. Since 2024.2 `network_isolation` is on by default and guests pull images over that
   * network only, so the registry must be reachable there: when the registry's address is an IP outside this CIDR, on
   * such a release, the pipeline gives one warning naming the field, the address and the CIDR. A host name is not
   * judged. Default: not checked. Example: `10.0.0.0/24`.
   */
  managementNetworkCidr?: string;
}

/**
 * The whole Trove guest-image lifecycle: guest image build, Glance upload per region, private registry, datastore and
 * backup images, Trove configuration and datastore version registration.
 */
export class TroveGuestPipeline extends pulumi.ComponentResource {
  /** Glance image id per region name. */
  public readonly glanceImageIds: pulumi.Output<Record<string, string>>;
  /** `host:port` of the registry. */
  public readonly registryAddress: pulumi.Output<string>;
  /** Per `<datastore>:<version>`, the image references Trove's guest agent pulls. */
  public readonly imageReferences: pulumi.Output<Record<string, PublishedImages>>;
  /** Per region name, per `<datastore>:<version>`, Trove's id of the registered version (known once it exists). */
  public readonly versionIds: pulumi.Output<Record<string, Record<string, string>>>;
  /**
   * Per `datastore:version`, what it is registered as (name, number, manager, image tags, default, active); known at
   * preview. TypeScript: `pipeline.versionSettings`, a plain object.
   */
  public readonly versionSettings: pulumi.Output<Record<string, PipelineVersionOutput>>;
  /**
   * Per region name, the versions taken out of `versions` that Trove still needs, kept inactive, each with its
   * one-line reason (see docs/day-two.md); known at preview where usage is counted.
   */
  public readonly retiredVersions: pulumi.Output<Record<string, RetainedVersion[]>>;
  /** The rendered trove.conf options (empty with `troveConfig: { enabled: false }`). */
  public readonly troveConf: pulumi.Output<string>;
  /** The rendered guest agent options (secret; empty with `troveConfig: { enabled: false }`). */
  public readonly guestAgentConf: pulumi.Output<string>;

  constructor(name: string, args: TroveGuestPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}TroveGuestPipeline`, name, {}, opts);
    const ctx = { component: "TroveGuestPipeline", name };
    const troveConfig = enabledOr<PipelineTroveConfig>(ctx, "troveConfig", args.troveConfig);
    const pipeline = new Pipeline(
      name,
      {
        ...args,
        guestImage: pipelineGuestImageArgs(ctx, args.guestImage),
        glanceImage: pipelineGlanceImageArgs(args.glanceImage),
        registry: pipelineRegistryArgs(args.registry),
        troveConfig,
        registration: pipelineRegistrationArgs(ctx, args.registration),
      },
      { parent: this },
    );
    this.glanceImageIds = pipeline.glanceImageIds;
    this.registryAddress = pipeline.registryAddress;
    this.imageReferences = pipeline.imageReferences;
    this.versionIds = pipeline.versionIds;
    this.versionSettings = pulumi.output(pipeline.versionSettings);
    this.retiredVersions = pipeline.retiredVersions;
    this.troveConf = pipeline.troveConfig?.troveConf ?? pulumi.output("");
    this.guestAgentConf = pipeline.troveConfig?.guestAgentConf ?? pulumi.secret("");
    this.registerOutputs({
      glanceImageIds: this.glanceImageIds,
      registryAddress: this.registryAddress,
      imageReferences: this.imageReferences,
      versionIds: this.versionIds,
      versionSettings: this.versionSettings,
      retiredVersions: this.retiredVersions,
      troveConf: this.troveConf,
      guestAgentConf: this.guestAgentConf,
    });
  }
}
