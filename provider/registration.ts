// Registration's multi-language faces: `pulumi-trove:index:DatastoreVersion`, a component around the TypeScript
// DatastoreVersion (a dynamic resource, which componentProviderHost cannot serve: it serves components only), and
// `pulumi-trove:index:DatastoreConfigurationParameters`.

import * as pulumi from "@pulumi/pulumi";
import type { DatastoreConfigurationParametersFields, DatastoreVersionFields } from "./fields.generated";
import { DatastoreConfigurationParameters as Parameters, DatastoreVersion as Version } from "../components/index";
import { ConfigurationParameterRules, ParametersSummary, parameterRulesArgs } from "./shapes";
import { TYPE_PREFIX } from "./tokens";

/** `DatastoreVersion`'s arguments other than `catalog` (a TypeScript class instance: the built-in catalog is used). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- a face of its own name: the analyzer reads `args` and schema types as interfaces, by name
export interface DatastoreVersionFaceArgs extends DatastoreVersionFields {}

/**
 * One datastore version registered in Trove (`openstack datastore version create`), as a component holding the
 * TypeScript `DatastoreVersion` resource under the same name.
 */
export class DatastoreVersion extends pulumi.ComponentResource {
  /** Trove's id of the version. */
  public readonly versionId: pulumi.Output<string>;
  /** Whether the version is active, as Trove reports it. */
  public readonly active: pulumi.Output<boolean>;

  constructor(name: string, args: DatastoreVersionFaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}DatastoreVersion`, name, {}, opts);
    const version = new Version(name, args, { parent: this });
    this.versionId = version.versionId;
    this.active = version.active;
    this.registerOutputs({ versionId: this.versionId, active: this.active });
  }
}

/** `DatastoreConfigurationParameters`' arguments, with `rules` as one object and the built-in catalog. */
export interface DatastoreConfigurationParametersFaceArgs extends DatastoreConfigurationParametersFields {
  /** The rules: `rulesFile`, a `validation-rules.json` file on this machine, or `rules`, the rules themselves. Exactly one. */
  rules: ConfigurationParameterRules;
}

/** A datastore version's configuration parameters, kept in step with the rules (`trove-manage db_load_datastore_config_parameters`). */
export class DatastoreConfigurationParameters extends pulumi.ComponentResource {
  /** How many rules were given. */
  public readonly ruleCount: pulumi.Output<number>;
  /**
   * What the last load did: rule names added, changed and removed, and how many were already right (unknown in
   * preview).
   */
  public readonly summary: pulumi.Output<ParametersSummary | undefined>;

  constructor(name: string, args: DatastoreConfigurationParametersFaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}DatastoreConfigurationParameters`, name, {}, opts);
    const parameters = new Parameters(name, { ...args, rules: parameterRulesArgs(args.rules) }, { parent: this });
    this.ruleCount = pulumi.output(parameters.ruleCount);
    this.summary = parameters.summary;
    this.registerOutputs({ ruleCount: this.ruleCount, summary: this.summary });
  }
}
