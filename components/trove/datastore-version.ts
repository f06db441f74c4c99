// The runbook's `openstack datastore version create <version> <datastore> <manager> "" --image-tags trove,<datastore>
// --active --default` as one idempotent resource: a Pulumi dynamic provider that talks to Trove's management API
// (`/mgmt/datastore-versions`). Configuration parameters are a separate component (configuration-parameters.ts),
// because Trove's API cannot store boolean and float rules.

import * as pulumi from "@pulumi/pulumi";
import { DatastoreCatalog, defaultCatalog } from "../catalog/catalog";
import { Problems } from "../internal/errors";
import { cloudNameProblem, plainNameProblem, uuidProblem, versionNumberProblem } from "../internal/validate";
import { checkArgs } from "../internal/check-args";
import { flag, input, instanceOf, listOf, optional, Rule, shape, text } from "../internal/schema";
import { datastoreVersionProvider, DatastoreVersionState, IMAGE_TAGS_RULE } from "./version-provider/provider";

// The provider, which Pulumi serializes into each version's state, is version-provider/provider.ts.

/** Arguments of {@link DatastoreVersion}. */
export interface DatastoreVersionArgs {
  /** Catalog datastore name (`mysql`, `mariadb`, `postgresql`, or one you added to `catalog`). Example: `mysql`. */
  datastore: string;
  /** Version number; Trove's guest agent pulls `<docker_image>:<this>`. Example: `5.7.29`. */
  version: string;
  /** Version name. Default: the version number. */
  name?: string;
  /** Datastore manager. Default: the catalog's (`mysql`, `mariadb`, `postgresql`). */
  manager?: string;
  /** Glance image id: Trove uses this one image. Either this or `imageTags`. Default: tags. */
  imageId?: pulumi.Input<string>;
  /**
   * Glance tags: Trove uses the newest active image that has all of them. At most 5, each at most 20 characters.
   * Default: `["trove", <datastore>]`.
   */
  imageTags?: string[];
  /** Whether the version is active (the CLI's `--active`). Default: `true`. */
  active?: boolean;
  /** Whether it is the datastore's default version (the CLI's `--default`). Default: `false`. */
  default?: boolean;
  /** Packages, as the CLI's `packages` argument. Default: none. */
  packages?: string[];
  /** Manage a version that already exists in Trove instead of failing. Default: `false`. */
  adopt?: boolean;
  /** clouds.yaml cloud to use. Default: `OS_CLOUD` or the `OS_*` variables. */
  cloud?: string;
  /** Region. Default: the cloud's. */
  region?: string;
  /** Catalog for the datastore check and default manager. Default: the built-in catalog. */
  catalog?: DatastoreCatalog;
}

/** The schema of {@link DatastoreVersionArgs}. @internal */
export const DATASTORE_VERSION_SCHEMA: Rule = shape<DatastoreVersionArgs>(
  "datastore version arguments",
  {
    datastore: text("a datastore name, e.g. mysql", (v) => plainNameProblem(v)),
    version: text("a version number, e.g. 8.0.41", versionNumberProblem),
    name: optional(text("a version name", (v) => plainNameProblem(v))),
    manager: optional(text("a datastore manager name", (v) => plainNameProblem(v))),
    imageId: optional(input(text("a Glance image id", uuidProblem))),
    imageTags: optional(IMAGE_TAGS_RULE),
    active: optional(flag()),
    default: optional(flag()),
    packages: optional(listOf(text("a package name", (v) => plainNameProblem(v, 255)))),
    adopt: optional(flag()),
    cloud: optional(text("a clouds.yaml cloud name", cloudNameProblem)),
    region: optional(text("a region name", cloudNameProblem)),
    catalog: optional(instanceOf(DatastoreCatalog, "a DatastoreCatalog")),
  },
  (a, report) => {
    if (a.imageId !== undefined && a.imageTags !== undefined)
      report("imageTags", a.imageTags, "give imageId or imageTags, not both");
  },
);

/**
 * Applies defaults and checks the datastore against the catalog (each field's content is DATASTORE_VERSION_SCHEMA's,
 * checked first by the constructor); throws one error naming every bad field.
 * @internal
 */
export function resolveDatastoreVersionArgs(
  name: string,
  args: DatastoreVersionArgs,
): Omit<DatastoreVersionState, "imageId"> {
  const problems = new Problems("DatastoreVersion", name);
  const catalog = args.catalog ?? defaultCatalog;
  const def = catalog.find(args.datastore);
  problems.check(def !== undefined, "datastore", args.datastore, catalog.describeKnown());
  problems.throwIfAny();
  const versionName = args.name ?? args.version;
  const manager = args.manager ?? def?.manager ?? "";
  return {
    datastore: args.datastore,
    name: versionName,
    version: args.version,
    manager,
    ...(args.imageId === undefined ? { imageTags: args.imageTags ?? ["trove", args.datastore] } : {}),
    active: args.active ?? true,
    default: args.default ?? false,
    packages: args.packages ?? [],
    adopt: args.adopt ?? false,
    ...(args.cloud ? { cloud: args.cloud } : {}),
    ...(args.region ? { region: args.region } : {}),
  };
}

/**
 * A datastore version registered in Trove and kept in step with its arguments: image, tags, active, default, packages
 * and name change in place; a new datastore, version number, cloud or region replaces it. `pulumi refresh` reads back
 * what Trove has.
 */
export class DatastoreVersion extends pulumi.dynamic.Resource {
  /** Trove's id of the version. */
  declare public readonly versionId: pulumi.Output<string>;
  /** Whether the version is active, as Trove reports it. */
  declare public readonly active: pulumi.Output<boolean>;

  constructor(name: string, args: DatastoreVersionArgs, opts?: pulumi.CustomResourceOptions) {
    const checked = checkArgs("DatastoreVersion", name, DATASTORE_VERSION_SCHEMA, args);
    const { datastore, version, cloud, region, adopt, imageTags, ...inPlace } = resolveDatastoreVersionArgs(
      name,
      checked.args,
    );
    // Only properties that have a value (each costs the SDK four promises); versionId is an output.
    const image = checked.args.imageId !== undefined ? { imageId: checked.args.imageId } : { imageTags };
    const identity = {
      datastore,
      version,
      adopt,
      ...(cloud !== undefined ? { cloud } : {}),
      ...(region !== undefined ? { region } : {}),
    };
    super(
      datastoreVersionProvider,
      name,
      { ...inPlace, ...image, identity, versionId: undefined },
      opts,
      "pulumi-trove",
      "DatastoreVersion",
    );
    checked.attach(this);
  }
}
