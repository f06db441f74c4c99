// The per-environment program: reads the stack's config (stacks/Pulumi.<stack>.yaml) and composes the
// TroveGuestPipeline from it, so an admin changes config, not code. Secrets come from `pulumi config set --secret`.

import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { PipelineRegion, SshConnection, TroveGuestPipeline, TroveGuestPipelineArgs } from "../components/index";
import { checkPipelineArgsOfStack, TROVE_GUEST_PIPELINE_SCHEMA } from "../components/pipeline/pipeline";
import { didYouMean } from "../components/internal/closest-name";
import { ComponentInputError, FieldProblem } from "../components/internal/errors";
import { Rule } from "../components/internal/schema";

/** A region as the stack config names it: an OpenStack cloud from clouds.yaml and an optional region in it. */
export interface RegionConfig {
  name: string;
  /** Cloud name in clouds.yaml (OS_CLOUD). Default: the environment's OS_* settings. */
  cloud?: string;
  /** Region name inside that cloud. */
  region?: string;
  /** The region's Trove controller, where configuration parameters are loaded (see PipelineRegion). */
  troveController?: PipelineRegion["troveController"];
}

/** Whether the CLI handed this key over as a secret (`pulumi config set --secret`), as the runtime records it. */
function isStoredAsSecret(key: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  return runtime.isConfigSecret ? runtime.isConfigSecret(key) : true;
}

/** A secret setting, refused when the stack file holds it in plain text. */
function secretSetting(config: pulumi.Config, key: string): pulumi.Output<string> | undefined {
  const value = config.getSecret(key);
  if (value !== undefined && !isStoredAsSecret(`${config.name}:${key}`)) {
    throw new Error(
      `stack config: ${key} is stored in plain text in the stack file; remove it there and run pulumi config set --secret ${key} <value>`,
    );
  }
  return value;
}

/** The connection with the stack's SSH key, unless the connection names its own key or password. */
function withKey<T extends { connection?: SshConnection }>(
  target: T | undefined,
  key: pulumi.Output<string> | undefined,
): T | undefined {
  if (
    !target?.connection ||
    !key ||
    target.connection.privateKey !== undefined ||
    target.connection.password !== undefined
  )
    return target;
  return { ...target, connection: { ...target.connection, privateKey: key } };
}

/**
 * The pipeline fields a stack sets, each under its own key (`pulumi-trove:<field>`): every field of the pipeline's
 * schema, so a new field is a stack key without a change here, except those only code can give (`catalog`, an instance
 * of a class).
 */
export const PIPELINE_SETTINGS: readonly string[] = Object.entries(TROVE_GUEST_PIPELINE_SCHEMA.fields!)
  .filter(([, rule]) => rule.kind !== "instance")
  .map(([field]) => field);

/** One pipeline field from the stack config, read as its rule says: text as it is, true or false, JSON for the rest. */
function setting(config: pulumi.Config, field: string): unknown {
  const rule: Rule = TROVE_GUEST_PIPELINE_SCHEMA.fields![field]!;
  // Required: Pulumi names the key and the `pulumi config set` command when a stack leaves it out.
  switch (rule.kind) {
    case "string":
      return rule.optional ? config.get(field) : config.require(field);
    case "boolean":
      return rule.optional ? config.getBoolean(field) : config.requireBoolean(field);
    case "number":
      return rule.optional ? config.getNumber(field) : config.requireNumber(field);
    default:
      return rule.optional ? config.getObject(field) : config.requireObject(field);
  }
}

/** Builds the pipeline arguments from the stack's config. Kept apart from the program so tests can check it. */
export function pipelineArgsFromConfig(
  config: pulumi.Config,
  makeProvider: (r: RegionConfig) => openstack.Provider | undefined,
  dockerConfig: pulumi.Config = new pulumi.Config("docker"),
): TroveGuestPipelineArgs {
  // Every setting as written; the schema (pipelineFromConfig) judges them, so a value the program does not touch below
  // reaches the pipeline as it is.
  const given = Object.fromEntries(
    PIPELINE_SETTINGS.map((field) => [field, setting(config, field)]),
  ) as unknown as TroveGuestPipelineArgs & { regions?: RegionConfig[] };
  const registry = given.registry;
  const password = secretSetting(config, "registryPassword");
  if (registry.local?.auth && !password)
    throw new Error(
      "stack config: registry.local.auth is set but the password is not: pulumi config set --secret registryPassword <password>",
    );
  // A given certificate's key comes from the secret config; `tls: { generate: true }` needs none.
  const givenTls = registry.local?.tls && !("generate" in registry.local.tls) ? registry.local.tls : undefined;
  const tlsKey = secretSetting(config, "registryTlsKey");
  if (givenTls && !tlsKey)
    throw new Error(
      'stack config: registry.local.tls is set but its key is not: pulumi config set --secret registryTlsKey "$(cat registry.key)" (or use tls: { generate: true })',
    );
  if (registry.local?.auth && password) registry.local.auth.password = password;
  if (registry.existing && password) registry.existing.password = password;
  if (givenTls && tlsKey) givenTls.privateKeyPem = tlsKey;

  // One key for every controller the stack reaches over SSH: troveConfig.controller and each region's troveController.
  const sshKey = secretSetting(config, "controllerSshKey");
  const troveConfig = given.troveConfig;
  if (troveConfig && troveConfig.controller) troveConfig.controller = withKey(troveConfig.controller, sshKey)!;

  const guestImage = given.guestImage;
  const buildKey = secretSetting(config, "buildHostSshKey");
  if (guestImage.buildHost && buildKey) guestImage.buildHost.privateKey = buildKey;

  // The default docker provider reaches the registry host through the stack's `docker:host`; the backup builds must
  // run on the same engine, so they default to it too.
  const datastoreImages = given.datastoreImages;
  const dockerHost = dockerConfig.get("host");
  if (datastoreImages.dockerHost === undefined && dockerHost !== undefined) datastoreImages.dockerHost = dockerHost;

  // A region's other fields go on as written, so the schema refuses a misspelt one rather than the program dropping it.
  const regions = given.regions?.map((r): PipelineRegion => ({
    ...r,
    provider: makeProvider(r),
    troveController: withKey(r.troveController, sshKey),
  }));
  return { ...given, regions };
}

/** Settings the program fills from secrets, by the pipeline field they end up in: the error names the secret's key. */
const SECRET_KEYS: ReadonlyArray<[RegExp, string]> = [
  [/^registry\.(local\.auth|existing)\.password$/, "registryPassword"],
  [/^registry\.local\.tls\.privateKeyPem$/, "registryTlsKey"],
  [/^guestImage\.buildHost\.privateKey$/, "buildHostSshKey"],
  [
    /^(troveConfig\.controller\.connection|regions\[\d+\]\.troveController\.connection)\.privateKey$/,
    "controllerSshKey",
  ],
];

/**
 * The stack-config key a pipeline field comes from, as the admin wrote it in Pulumi.<stack>.yaml:
 * `guestImage.buildHost.port` is `pulumi-trove:guestImage.buildHost.port`; a field filled from a secret names the
 * secret's key.
 */
export function configKeyOf(field: string): string {
  const secret = SECRET_KEYS.find(([pattern]) => pattern.test(field));
  return secret ? `pulumi-trove:${secret[1]}` : `pulumi-trove:${field}`;
}

/** Every key of the stack's own namespace the program reads: the pipeline's settings and the secrets. */
export const STACK_SETTINGS: readonly string[] = [...PIPELINE_SETTINGS, ...new Set(SECRET_KEYS.map(([, key]) => key))];

/**
 * The keys of the stack's namespace (`pulumi-trove:*`) the program does not read, each a problem naming the key the
 * admin most likely meant: without this a misspelt key would preview without a word. Other namespaces (`docker:host`,
 * `openstack:*`) belong to their providers. A secret's value is not shown.
 */
export function unknownStackKeys(
  given: Record<string, string>,
  isSecret: (key: string) => boolean,
  namespace = "pulumi-trove",
): FieldProblem[] {
  const prefix = `${namespace}:`;
  return Object.keys(given)
    .filter((key) => key.startsWith(prefix) && !STACK_SETTINGS.includes(key.slice(prefix.length)))
    .sort()
    .map((key) => ({
      field: key,
      value: isSecret(key) ? "(secret)" : given[key],
      allowed: `not a setting of this stack; ${didYouMean(key.slice(prefix.length), STACK_SETTINGS, "settings", prefix)}`,
    }));
}

/**
 * The pipeline, its arguments first checked against the pipeline's schema under the stack config's names: a refused
 * value names its YAML key (or its secret's key), whether it is refused at once or when a secret resolves. `unknown`:
 * the stack's unknown keys, reported in the same error.
 */
function pipelineFromConfig(
  stack: string,
  args: TroveGuestPipelineArgs,
  unknown: readonly FieldProblem[],
): TroveGuestPipeline {
  // A refusal is a ComponentInputError, which Pulumi's runner prints as its message alone, at once. A key under its
  // former name is warned about here, by its YAML key, and handed on under its name now; the pipeline checks and
  // renames nothing again.
  const current = checkPipelineArgsOfStack(`Pulumi.${stack}.yaml`, args, configKeyOf, unknown);
  for (const w of current.warnings) void pulumi.log.warn(`stack config "Pulumi.${stack}.yaml": ${w}`);
  return new TroveGuestPipeline(stack, current.args);
}

/** Runs the program: one pipeline, and the stack outputs an admin (or a later stack) reads. */
export function main(): Record<string, pulumi.Input<unknown>> {
  const stack = pulumi.getStack();
  const config = new pulumi.Config("pulumi-trove");
  const unknown = unknownStackKeys(pulumi.runtime.allConfig(), isStoredAsSecret, config.name);
  let args: TroveGuestPipelineArgs;
  try {
    args = pipelineArgsFromConfig(config, (r) =>
      r.cloud || r.region
        ? new openstack.Provider(`openstack-${r.name}`, { cloud: r.cloud, region: r.region })
        : undefined,
    );
  } catch (e) {
    // A misspelt key is often why a setting is missing (`versionz` for `versions`): the unknown keys are told instead.
    if (unknown.length > 0) throw new ComponentInputError("stack config", `Pulumi.${stack}.yaml`, unknown);
    throw e;
  }
  const pipeline = pipelineFromConfig(stack, args, unknown);
  return {
    glanceImageIds: pipeline.glanceImageIds,
    registryAddress: pipeline.registryAddress,
    imageReferences: pipeline.imageReferences,
    versionSettings: pipeline.versionSettings,
    versionIds: pipeline.versionIds,
    retiredVersions: pipeline.retiredVersions,
    // Deprecated: the former names of versionSettings and versionIds, kept for the stacks that read them by
    // StackReference until they move to the names above.
    datastoreVersions: pipeline.versionSettings,
    datastoreVersionIds: pipeline.versionIds,
    troveConf: pipeline.troveConfig?.troveConf,
    guestAgentConf: pipeline.troveConfig?.guestAgentConf,
  };
}
