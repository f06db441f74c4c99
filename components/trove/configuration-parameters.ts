// The runbook's `trove-manage db_load_datastore_config_parameters <datastore> <version> <validation-rules.json>` as a
// component: the rules are loaded in full, kept in step (added, changed and removed rules are applied, where
// trove-manage only adds and updates) each time they change, loaded again onto a replaced version, and removed when the
// component is deleted, except what a database in use still needs (see PARAMETERS_SYNC_PY).

import { existsSync, readFileSync } from "node:fs";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { DatastoreCatalog, defaultCatalog } from "../catalog/catalog";
import { Problems } from "../internal/errors";
import { loadScript, readScriptResult } from "../internal/scripts/index";
import { shellCommand } from "../internal/shell";
import { remoteConnection, SshConnection } from "../internal/ssh";
import { TROVE_CONTROLLER_SCHEMA, TroveController } from "./trove-controller";
import { absolutePathProblem, plainNameProblem, uuidProblem, versionNumberProblem } from "../internal/validate";
import { checkArgs } from "../internal/check-args";
import {
  count,
  either,
  flag,
  input,
  instanceOf,
  isPlainObject,
  listOf,
  oneOfValues,
  optional,
  Rule,
  shape,
  text,
} from "../internal/schema";
import { withFormerTypes } from "../internal/component-type";

// It runs PARAMETERS_SYNC_PY on the Trove controller (over SSH, or on this machine) with the Python Trove runs under,
// because Trove's REST API accepts only integer and string rules.

/**
 * The sync program (internal/scripts/sync-parameters.py, which says what it does), run with `python3 -c`: the request
 * comes on stdin, and the argument `delete` removes every rule of the version instead.
 */
const PARAMETERS_SYNC_PY = loadScript("sync-parameters.py");

/** One configuration parameter rule, as in Trove's `validation-rules.json`. */
export interface ConfigurationParameterRule {
  /** Option name. Example: `max_connections`. */
  name: string;
  /** Whether changing it needs a database restart. */
  restart_required: boolean;
  /** Value type: `integer`, `string`, `boolean` or `float`. */
  type: "integer" | "string" | "boolean" | "float";
  /** Smallest value; an integer, or a string of digits for values beyond 2^53 (Trove's MySQL rules use 2^64-1). */
  min?: number | string;
  /** Largest value; as `min`. */
  max?: number | string;
}

/** @deprecated Renamed {@link TroveController} (one type for the controller, whichever step uses it). */
export type TroveControllerHost = TroveController;

/** Arguments of {@link DatastoreConfigurationParameters}. */
export interface DatastoreConfigurationParametersArgs {
  /** Catalog datastore name. Example: `mysql`. */
  datastore: string;
  /** Trove version name; the version must exist (put this after its `DatastoreVersion`). Example: `5.7.29`. */
  versionName: string;
  /** Trove version number, when versions share a name. Default: not used. */
  versionNumber?: string;
  /**
   * The rules: a `validation-rules.json` file on this machine (e.g. `<trove>/trove/templates/mysql/validation-rules.json`
   * of a Trove checkout; MySQL's 2^64-1 limits are kept exact), or the rules themselves.
   */
  rules: { rulesFile: string } | { rules: ConfigurationParameterRule[] };
  /** Where to run: the controller over SSH, or this machine. */
  controller: TroveController;
  /**
   * Trove's id of the version (e.g. `DatastoreVersion.versionId`): a replaced version gets its rules loaded again, the
   * rules are removed before the version is deleted, and the delete removes exactly that version's rules. Default: not
   * tracked (the version is found by name; give `dependsOn` on the version so the rules go first on destroy).
   */
  versionId?: pulumi.Input<string>;
  /** Catalog for the datastore check. Default: the built-in catalog. */
  catalog?: DatastoreCatalog;
}

/** The request the sync program reads from stdin. @internal */
export interface ParametersSyncRequest {
  configFile: string;
  datastore: string;
  versionName: string;
  versionNumber?: string;
  /** Trove's id of the version, when tracked: the version is found by it. */
  versionId?: string;
  rules: ConfigurationParameterRule[];
}

/** What one sync did. */
export interface ParametersSyncSummary {
  versionId: string;
  added: string[];
  changed: string[];
  removed: string[];
  /**
   * Rules kept although they were to go: on a load, those a configuration group of the version still sets; on the
   * component's delete, every rule while Trove reports the version in use (then `inUse` says by what).
   */
  kept: string[];
  /** On a delete that kept the rules: what uses the version, as Trove's own version delete counts it. */
  inUse?: { instances: number; backups: number; configurations: number };
  unchanged: number;
}

const RULE_TYPES = ["integer", "string", "boolean", "float"];

/**
 * Parses a validation-rules.json text. Integers beyond 2^53 (MySQL's 2^64-1 limits) are kept exactly, as strings of
 * digits, because JSON.parse would round them.
 * @internal
 */
export function parseValidationRules(text: string): ConfigurationParameterRule[] {
  const exact = text.replace(/("(?:min|max)"\s*:\s*)(-?\d{16,})(?=\s*[,}\]])/g, '$1"$2"');
  const parsed = JSON.parse(exact) as { "configuration-parameters"?: unknown };
  if (!Array.isArray(parsed["configuration-parameters"]))
    throw new Error('expected an object with a "configuration-parameters" list');
  return parsed["configuration-parameters"] as ConfigurationParameterRule[];
}

/** Why a rule is not valid, or undefined. @internal */
export function ruleProblem(rule: ConfigurationParameterRule): string | undefined {
  if (typeof rule !== "object" || rule === null) return "expected an object with name, restart_required and type";
  if (typeof rule.name !== "string" || !/^[A-Za-z0-9_.-]{1,128}$/.test(rule.name))
    return "name: expected letters, digits, '_', '.' or '-' (at most 128)";
  if (typeof rule.restart_required !== "boolean") return "restart_required: expected true or false";
  if (!RULE_TYPES.includes(rule.type)) return `type: expected one of ${RULE_TYPES.join(", ")}`;
  for (const key of ["min", "max"] as const) {
    const v = rule[key];
    if (v === undefined) continue;
    const ok = (typeof v === "number" && Number.isSafeInteger(v)) || (typeof v === "string" && /^-?\d{1,39}$/.test(v));
    if (!ok) return `${key}: expected an integer (a string of digits beyond 2^53)`;
  }
  return undefined;
}

/** Everything the component needs, resolved and validated. @internal */
export interface ResolvedDatastoreConfigurationParameters {
  request: ParametersSyncRequest;
  python: string;
  /** The controller over SSH; undefined: run on this machine. */
  connection?: SshConnection;
  /** Trove's id of the version, when tracked (see {@link DatastoreConfigurationParametersArgs.versionId}). */
  versionId?: pulumi.Input<string>;
}

const RULE_BOUND = either(
  "a number, or a string of digits",
  [
    count(-Number.MAX_VALUE, Number.MAX_VALUE, { integer: false, accepts: "a number" }),
    text("a string of digits", (v) =>
      /^-?\d+(\.\d+)?$/.test(v) ? undefined : "expected digits, e.g. 18446744073709551615",
    ),
  ],
  (v) => (typeof v === "number" ? 0 : typeof v === "string" ? 1 : undefined),
);

/** The schema of {@link ConfigurationParameterRule}. @internal */
export const CONFIGURATION_PARAMETER_RULE_SCHEMA: Rule = shape<ConfigurationParameterRule>(
  "{ name, restart_required, type, min?, max? }",
  {
    name: text("an option name such as max_connections", (v) =>
      /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/.test(v)
        ? undefined
        : "expected an option name: letters, digits, '_', '.' or '-'",
    ),
    restart_required: flag(),
    type: oneOfValues(["integer", "string", "boolean", "float"]),
    min: optional(RULE_BOUND),
    max: optional(RULE_BOUND),
  },
);

/** The schema of {@link DatastoreConfigurationParametersArgs}. @internal */
export const DATASTORE_CONFIGURATION_PARAMETERS_SCHEMA: Rule = shape<DatastoreConfigurationParametersArgs>(
  "configuration parameters arguments",
  {
    datastore: text("a datastore name, e.g. mysql", (v) => plainNameProblem(v)),
    versionName: text("a version name", (v) => plainNameProblem(v)),
    versionNumber: optional(text("a version number", versionNumberProblem)),
    rules: either(
      "{ rulesFile } or { rules: [...] }",
      [
        shape<{ rulesFile: string }>("{ rulesFile }", {
          rulesFile: text("an absolute path of a validation-rules.json on this machine", absolutePathProblem),
        }),
        shape<{ rules: ConfigurationParameterRule[] }>("{ rules }", {
          rules: listOf(CONFIGURATION_PARAMETER_RULE_SCHEMA),
        }),
      ],
      (v) => (isPlainObject(v) ? ("rulesFile" in v ? 0 : 1) : undefined),
    ),
    controller: TROVE_CONTROLLER_SCHEMA,
    versionId: optional(input(text("Trove's id of the version", uuidProblem))),
    catalog: optional(instanceOf(DatastoreCatalog, "a DatastoreCatalog")),
  },
);

/**
 * Applies defaults, reads the rules and checks them, and checks the datastore against the catalog (the constructor
 * has checked every field's content against DATASTORE_CONFIGURATION_PARAMETERS_SCHEMA first; rules read from a file
 * are checked only here); throws one error naming every bad field.
 * @internal
 */
export function resolveDatastoreConfigurationParametersArgs(
  name: string,
  args: DatastoreConfigurationParametersArgs,
): ResolvedDatastoreConfigurationParameters {
  const problems = new Problems("DatastoreConfigurationParameters", name);
  const catalog = args.catalog ?? defaultCatalog;
  problems.check(catalog.find(args.datastore) !== undefined, "datastore", args.datastore, catalog.describeKnown());
  const python = args.controller.python ?? "/usr/bin/python3";
  const configFile = args.controller.troveConfPath ?? "/etc/trove/trove.conf";

  let rules: ConfigurationParameterRule[] = [];
  let field = "rules.rules";
  if ("rulesFile" in args.rules) {
    field = "rules.rulesFile";
    if (!existsSync(args.rules.rulesFile) && pulumi.runtime.isDryRun()) {
      // A preview may run where the rules file is not (CI): go on without the rules, and say so.
      pulumi.log.warn(
        `DatastoreConfigurationParameters "${name}": rules.rulesFile ${args.rules.rulesFile} is not on this machine: the preview shows no rules; pulumi up reads the file here`,
      );
    } else {
      try {
        rules = parseValidationRules(readFileSync(args.rules.rulesFile, "utf8"));
      } catch (error) {
        problems.add(
          field,
          args.rules.rulesFile,
          `a readable validation-rules.json: ${(error as Error).message.split("\n")[0]}`,
        );
      }
    }
  } else {
    rules = args.rules.rules;
  }
  const bad = rules.map((r, i) => [i, ruleProblem(r)] as const).filter(([, p]) => p !== undefined);
  if (bad.length > 0) {
    const [i, problem] = bad[0]!;
    problems.add(
      `${field}[${i}]`,
      rules[i],
      `${problem}${bad.length > 1 ? `; ${bad.length - 1} more rules are invalid` : ""}`,
    );
  }
  const names = rules.map((r) => r?.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  problems.check(duplicate === undefined, field, duplicate, "each parameter name once");
  problems.throwIfAny();

  const request: ParametersSyncRequest = {
    configFile,
    datastore: args.datastore,
    versionName: args.versionName,
    ...(args.versionNumber ? { versionNumber: args.versionNumber } : {}),
    rules,
  };
  return { request, python, connection: args.controller.connection, versionId: args.versionId };
}

/**
 * The shell command that runs the sync program with the controller's Python; the request goes on stdin. `delete`
 * removes every rule of the version instead.
 * @internal
 */
export function renderParametersSyncCommand(python: string, mode: "sync" | "delete" = "sync"): string {
  return shellCommand([python, "-c", PARAMETERS_SYNC_PY, ...(mode === "delete" ? ["delete"] : [])]);
}

/**
 * A datastore version's configuration parameters (the rules Trove checks users' configuration groups against),
 * loaded in full and kept in step with the given rules: on each change, new rules are added, changed ones updated
 * and missing ones removed (a rule a configuration group still sets is kept, and reported in `summary.kept`). A no-op
 * `pulumi up` runs nothing. Deleting the component removes the version's rules, unless Trove reports the version in
 * use (instances, backups, configuration groups): then they are all kept, and said so; with `versionId`, a replaced
 * version gets the rules loaded onto the new one.
 */
export class DatastoreConfigurationParameters extends pulumi.ComponentResource {
  /** Number of rules loaded. */
  public readonly ruleCount: number;
  /** What the last load did: rule names added, changed and removed, and how many were already right (unknown in preview). */
  public readonly summary: pulumi.Output<ParametersSyncSummary | undefined>;

  constructor(name: string, args: DatastoreConfigurationParametersArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before anything is declared; from here on, every Input is the checked one.
    const checked = checkArgs(
      "DatastoreConfigurationParameters",
      name,
      DATASTORE_CONFIGURATION_PARAMETERS_SCHEMA,
      args,
    );
    args = checked.args;
    const resolved = resolveDatastoreConfigurationParametersArgs(name, args);
    super(
      "pulumi-trove:configuration-parameters:DatastoreConfigurationParameters",
      name,
      {},
      withFormerTypes(opts, ["pulumi-trove:trove:DatastoreConfigurationParameters"]),
    );
    checked.attach(this);
    this.ruleCount = resolved.request.rules.length;
    // A change of rules changes stdin: an update, which runs the sync again (nothing removed first). A new version
    // id replaces the command: the old one's delete removes the old version's rules (by id, so never the new
    // version's), the new one loads the rules onto the new version.
    const common = {
      create: renderParametersSyncCommand(resolved.python),
      delete: renderParametersSyncCommand(resolved.python, "delete"),
      // Not read by the sync; over SSH, sshd would refuse it (AcceptEnv) and the provider warn at every update and delete.
      addPreviousOutputInEnv: false,
      stdin: pulumi
        .output(resolved.versionId)
        .apply((versionId) => JSON.stringify(versionId ? { ...resolved.request, versionId } : resolved.request)),
      ...(resolved.versionId !== undefined ? { triggers: [resolved.versionId] } : {}),
    };
    const sync = resolved.connection
      ? new command.remote.Command(
          `${name}-load`,
          { ...common, connection: remoteConnection(resolved.connection) },
          { parent: this },
        )
      : new command.local.Command(`${name}-load`, common, { parent: this });
    this.summary = sync.stdout.apply((out) =>
      out
        ? readScriptResult<ParametersSyncSummary>(`DatastoreConfigurationParameters "${name}": the parameter sync`, out)
        : undefined,
    );
    this.registerOutputs({ ruleCount: this.ruleCount, summary: this.summary });
  }
}
