// The per-environment program: reads the stack's config (stacks/Pulumi.<stack>.yaml) and composes the
// TroveGuestPipeline from it, so an admin changes config, not code. Secrets come from `pulumi config set --secret`.

import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { PipelineRegion, SshConnection, TroveGuestPipeline, TroveGuestPipelineArgs } from "../components/index";
import { pipelineWithCurrentNames, TROVE_GUEST_PIPELINE_SCHEMA } from "../components/pipeline";
import { checkArgs } from "../components/check-args";

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
    throw new Error(`stack config: ${key} is stored in plain text in the stack file; remove it there and run pulumi config set --secret ${key} <value>`);
  }
  return value;
}

/** The connection with the stack's SSH key, unless the connection names its own key or password. */
function withKey<T extends { connection?: SshConnection }>(target: T | undefined, key: pulumi.Output<string> | undefined): T | undefined {
  if (!target?.connection || !key || target.connection.privateKey !== undefined || target.connection.password !== undefined) return target;
  return { ...target, connection: { ...target.connection, privateKey: key } };
}

/** Builds the pipeline arguments from the stack's config. Kept apart from the program so tests can check it. */
export function pipelineArgsFromConfig(config: pulumi.Config, makeProvider: (r: RegionConfig) => openstack.Provider | undefined, dockerConfig: pulumi.Config = new pulumi.Config("docker")): TroveGuestPipelineArgs {
  const registry = config.requireObject<TroveGuestPipelineArgs["registry"]>("registry");
  const password = secretSetting(config, "registryPassword");
  if (registry.local?.auth && !password) throw new Error("stack config: registry.local.auth is set but the password is not: pulumi config set --secret registryPassword <password>");
  // A given certificate's key comes from the secret config; `tls: { generate: true }` needs none.
  const givenTls = registry.local?.tls && !("generate" in registry.local.tls) ? registry.local.tls : undefined;
  const tlsKey = secretSetting(config, "registryTlsKey");
  if (givenTls && !tlsKey) throw new Error("stack config: registry.local.tls is set but its key is not: pulumi config set --secret registryTlsKey \"$(cat registry.key)\" (or use tls: { generate: true })");
  if (registry.local?.auth && password) registry.local.auth.password = password;
  if (registry.existing && password) registry.existing.password = password;
  if (givenTls && tlsKey) givenTls.privateKeyPem = tlsKey;

  // One key for every controller the stack reaches over SSH: troveConfig.controller and each region's troveController.
  const sshKey = secretSetting(config, "controllerSshKey");
  const troveConfig = config.getObject<Exclude<TroveGuestPipelineArgs["troveConfig"], undefined>>("troveConfig");
  if (troveConfig && troveConfig.controller) troveConfig.controller = withKey(troveConfig.controller, sshKey)!;

  const guestImage = config.requireObject<TroveGuestPipelineArgs["guestImage"]>("guestImage");
  const buildKey = secretSetting(config, "buildHostSshKey");
  if (guestImage.buildHost && buildKey) guestImage.buildHost.privateKey = buildKey;

  // The default docker provider reaches the registry host through the stack's `docker:host`; the backup builds must
  // run on the same engine, so they default to it too.
  const datastoreImages = config.requireObject<TroveGuestPipelineArgs["datastoreImages"]>("datastoreImages");
  const dockerHost = dockerConfig.get("host");
  if (datastoreImages.dockerHost === undefined && dockerHost !== undefined) datastoreImages.dockerHost = dockerHost;

  const regions = config.getObject<RegionConfig[]>("regions");
  return {
    // Required: Pulumi names the key and the `pulumi config set` command when a stack leaves it out.
    troveRelease: config.require("troveRelease"),
    versions: config.requireObject("versions"),
    guestImage,
    glanceImage: config.getObject("glanceImage"),
    regions: regions?.map((r): PipelineRegion => ({ name: r.name, provider: makeProvider(r), cloud: r.cloud, region: r.region, troveController: withKey(r.troveController, sshKey) })),
    registry,
    datastoreImages,
    troveConfig,
    registration: config.getObject("registration"),
    allowUntested: config.getBoolean("allowUntested"),
    managementNetworkCidr: config.get("managementNetworkCidr"),
  };
}

/** Settings the program fills from secrets, by the pipeline field they end up in: the error names the secret's key. */
const SECRET_KEYS: ReadonlyArray<[RegExp, string]> = [
  [/^registry\.(local\.auth|existing)\.password$/, "registryPassword"],
  [/^registry\.local\.tls\.privateKeyPem$/, "registryTlsKey"],
  [/^guestImage\.buildHost\.privateKey$/, "buildHostSshKey"],
  [/^(troveConfig\.controller\.connection|regions\[\d+\]\.troveController\.connection)\.privateKey$/, "controllerSshKey"],
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

/**
 * The pipeline, its arguments first checked against the pipeline's schema under the stack config's names: a refused
 * value names its YAML key (or its secret's key), whether it is refused at once or when a secret resolves.
 */
function pipelineFromConfig(stack: string, args: TroveGuestPipelineArgs): TroveGuestPipeline {
  // A refusal is a ComponentInputError, which Pulumi's runner prints as its message alone, at once.
  const checked = checkArgs("stack config", `Pulumi.${stack}.yaml`, TROVE_GUEST_PIPELINE_SCHEMA, args, configKeyOf).args;
  // A key under its former name is warned about here, by its YAML key, and handed on under its name now.
  const current = pipelineWithCurrentNames(checked, configKeyOf);
  for (const w of current.warnings) void pulumi.log.warn(`stack config "Pulumi.${stack}.yaml": ${w}`);
  return new TroveGuestPipeline(stack, current.args);
}

/** Runs the program: one pipeline, and the stack outputs an admin (or a later stack) reads. */
export function main(): Record<string, pulumi.Input<unknown>> {
  const config = new pulumi.Config("pulumi-trove");
  const args = pipelineArgsFromConfig(config, (r) => (r.cloud || r.region ? new openstack.Provider(`openstack-${r.name}`, { cloud: r.cloud, region: r.region }) : undefined));
  const pipeline = pipelineFromConfig(pulumi.getStack(), args);
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
