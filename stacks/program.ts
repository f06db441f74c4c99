// The per-environment program: reads the stack's config (stacks/Pulumi.<stack>.yaml) and composes the
// TroveGuestPipeline from it, so an admin changes config, not code. Secrets come from `pulumi config set --secret`.

import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { PipelineRegion, TroveGuestPipeline, TroveGuestPipelineArgs } from "../components/index";

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

/** Builds the pipeline arguments from the stack's config. Kept apart from the program so tests can check it. */
export function pipelineArgsFromConfig(config: pulumi.Config, makeProvider: (r: RegionConfig) => openstack.Provider | undefined): TroveGuestPipelineArgs {
  const registry = config.requireObject<TroveGuestPipelineArgs["registry"]>("registry");
  const password = config.getSecret("registryPassword");
  if (registry.local?.auth && !password) throw new Error("stack config: registry.local.auth is set but the password is not: pulumi config set --secret registryPassword <password>");
  // A given certificate's key comes from the secret config; `tls: { generate: true }` needs none.
  const givenTls = registry.local?.tls && !("generate" in registry.local.tls) ? registry.local.tls : undefined;
  const tlsKey = config.getSecret("registryTlsKey");
  if (givenTls && !tlsKey) throw new Error("stack config: registry.local.tls is set but its key is not: pulumi config set --secret registryTlsKey \"$(cat registry.key)\" (or use tls: { generate: true })");
  if (registry.local?.auth && password) registry.local.auth.password = password;
  if (registry.existing && password) registry.existing.password = password;
  if (givenTls && tlsKey) givenTls.privateKeyPem = tlsKey;

  const troveConfig = config.getObject<Exclude<TroveGuestPipelineArgs["troveConfig"], undefined>>("troveConfig");
  const sshKey = config.getSecret("controllerSshKey");
  if (troveConfig && troveConfig.controller && sshKey) troveConfig.controller.connection.privateKey = sshKey;

  const guestImage = config.requireObject<TroveGuestPipelineArgs["guestImage"]>("guestImage");
  const buildKey = config.getSecret("buildHostSshKey");
  if (guestImage.buildHost && buildKey) guestImage.buildHost.privateKey = buildKey;

  const regions = config.getObject<RegionConfig[]>("regions");
  return {
    troveRelease: config.get("troveRelease"),
    versions: config.requireObject("versions"),
    guestImage,
    glanceImage: config.getObject("glanceImage"),
    regions: regions?.map((r): PipelineRegion => ({ name: r.name, provider: makeProvider(r), cloud: r.cloud, region: r.region, troveController: r.troveController })),
    registry,
    datastoreImages: config.requireObject("datastoreImages"),
    troveConfig,
    registration: config.getObject("registration"),
  };
}

/** Runs the program: one pipeline, and the stack outputs an admin (or a later stack) reads. */
export function main(): Record<string, pulumi.Input<unknown>> {
  const config = new pulumi.Config("pulumi-trove");
  const args = pipelineArgsFromConfig(config, (r) => (r.cloud || r.region ? new openstack.Provider(`openstack-${r.name}`, { cloud: r.cloud, region: r.region }) : undefined));
  const pipeline = new TroveGuestPipeline(pulumi.getStack(), args);
  return {
    glanceImageIds: pipeline.glanceImageIds,
    registryAddress: pipeline.registryAddress,
    imageReferences: pipeline.imageReferences,
    datastoreVersions: pipeline.datastoreVersions,
    datastoreVersionIds: pipeline.datastoreVersionIds,
    troveConf: pipeline.troveConfig?.troveConf,
    guestAgentConf: pipeline.troveConfig?.guestAgentConf,
  };
}
