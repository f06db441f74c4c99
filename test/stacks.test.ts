// Each stack's program evaluated under Pulumi mocks with its real stacks/Pulumi.<stack>.yaml: the graph an admin
// gets from `pulumi preview --stack <stack>`, without the engine (which cannot run here).

import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it, vi } from "vitest";
import { installMocks, MockState, valueOf } from "./support/pulumi-mocks";
import { labStackFiles, loadStackConfig, stackMockOutputs } from "./support/stack-config";

async function evaluate(
  stack: string,
  secrets: Record<string, string> = {},
  overrides: Record<string, unknown> = {},
): Promise<{ mocks: MockState; outputs: Record<string, pulumi.Input<unknown>> }> {
  vi.resetModules();
  const mocks = await installMocks({
    stack,
    outputs: (type, name) => stackMockOutputs(type, name),
  });
  loadStackConfig(stack, secrets, overrides);
  const program = await import("../stacks/program.js");
  return { mocks, outputs: program.main() };
}

describe("stack lab", () => {
  it("runs everything on 127.0.0.1 with a local image and the lab cloud", async () => {
    // The files `npm run lab:up` makes, when the lab is not up.
    labStackFiles();
    const { mocks, outputs } = await evaluate("lab");
    const container = await mocks.waitFor("lab-registry-container");
    expect(container.inputs.envs).toEqual(["REGISTRY_HTTP_ADDR=127.0.0.1:4000"]);
    expect((await mocks.waitFor("openstack-lab")).inputs).toMatchObject({ cloud: "trove-lab" });
    expect(mocks.ofType("openstack:images/image:Image")).toHaveLength(1);
    expect(
      mocks.resources
        .filter((r) => r.name.includes("-publish-"))
        .map((r) => r.name)
        .sort(),
    ).toEqual([
      "lab-images-publish-mariadb-10-4",
      "lab-images-publish-mysql-5-7-29",
      "lab-images-publish-postgresql-12",
    ]);
    expect(mocks.ofType("command:remote:Command")).toEqual([]);
    const versions = mocks.ofType("pulumi-nodejs:dynamic/pulumi-trove:DatastoreVersion");
    // A DatastoreVersion declares its datastore, version number and cloud in one property
    // (components/trove/version-provider/provider.ts).
    const identities = versions.map((v) => v.inputs.identity as Record<string, unknown>);
    expect(identities.map((i) => `${String(i.datastore)}:${String(i.version)}:${String(i.cloud)}`).sort()).toEqual([
      "mariadb:10.4:trove-lab",
      "mysql:5.7.29:trove-lab",
      "postgresql:12:trove-lab",
    ]);
    const load = await mocks.waitFor("lab-parameters-lab-postgresql-12-load");
    expect(load.type).toBe("command:local:Command");
    expect(JSON.parse(String(load.inputs.stdin)).configFile).toBe("/tmp/pulumi-trove-lab/trove/trove.conf");
    expect(await valueOf(pulumi.output(outputs.registryAddress))).toBe("127.0.0.1:4000");
    // The version outputs under their names now, and under their former names for the stacks that read those.
    expect(Object.keys(await valueOf(pulumi.output(outputs.versionSettings)))).toEqual([
      "mysql:5.7.29",
      "mariadb:10.4",
      "postgresql:12",
    ]);
    expect(outputs.datastoreVersions).toBe(outputs.versionSettings);
    expect(outputs.datastoreVersionIds).toBe(outputs.versionIds);
  });
});

describe("stack devstack", () => {
  it("builds in dev mode with HOST_SCP_USERNAME=stack and applies the config to the controller", async () => {
    const { mocks } = await evaluate("devstack", { controllerSshKey: "KEY" });
    expect((await mocks.waitFor("devstack-guest-build")).inputs.environment).toMatchObject({
      HOST_SCP_USERNAME: "stack",
    });
    const apply = await mocks.waitFor("devstack-config-apply");
    expect(JSON.stringify(apply.inputs.connection)).toContain("10.0.0.5");
  });
});

describe("stack production", () => {
  it("feeds two regions from one build, with an auth+TLS registry and secrets from config", async () => {
    const { mocks, outputs } = await evaluate("production", {
      registryPassword: "s3cret",
      registryTlsKey: "TLSKEY",
      controllerSshKey: "KEY",
      buildHostSshKey: "BUILDKEY",
    });
    await mocks.waitFor("production-glance-west-image");
    expect(mocks.resources.filter((r) => r.name === "production-guest-build")).toHaveLength(1);
    // Built on the build host, copied back once, uploaded to both regions from the copy; the key only on the copy's stdin.
    const build = mocks.named("production-guest-build");
    expect(build.type).toBe("command:remote:Command");
    expect(JSON.stringify(build.inputs.connection)).toContain("image-builder.db.example.com");
    const fetch = await mocks.waitFor("production-guest-fetch");
    expect(fetch.inputs.environment).toMatchObject({
      FETCH_HOST: "image-builder.db.example.com",
      FETCH_USER: "builder",
      FETCH_LOCAL_PATH: "/srv/pulumi-trove/images/trove-guest-ubuntu-noble.qcow2",
    });
    expect(JSON.stringify([fetch.inputs.create, fetch.inputs.environment])).not.toContain("BUILDKEY");
    for (const region of ["east", "west"])
      expect(mocks.named(`production-glance-${region}-image`).dependsOn).toContain("production-guest-fetch");
    expect(
      mocks
        .ofType("openstack:images/image:Image")
        .map((r) => r.name)
        .sort(),
    ).toEqual(["production-glance-east-image", "production-glance-west-image"]);
    // A remote build: trovestack's arguments are quoted exports in front of the script.
    expect(String((await mocks.waitFor("production-guest-build")).inputs.create)).toContain(
      "export PULUMI_TROVE_BUILD_GUEST_OS=ubuntu\nexport PULUMI_TROVE_BUILD_GUEST_OS_RELEASE=noble\nexport PULUMI_TROVE_BUILD_DEV_MODE=false\nexport PULUMI_TROVE_BUILD_GUEST_USERNAME=ubuntu\n",
    );
    const container = await mocks.waitFor("production-registry-container");
    expect(container.inputs.envs).toContain("REGISTRY_AUTH=htpasswd");
    expect(container.inputs.envs).toContain("REGISTRY_HTTP_TLS_KEY=/certs/domain.key");
    expect(JSON.stringify(container.inputs)).not.toContain("s3cret");
    expect(mocks.resources.filter((r) => r.name.includes("-publish-"))).toHaveLength(6);
    expect(await valueOf(pulumi.output(outputs.registryAddress))).toBe("registry.db.example.com:443");
  });

  it("refuses to run without the registry password secret", async () => {
    await expect(evaluate("production", { registryTlsKey: "TLSKEY" })).rejects.toThrow(
      /pulumi config set --secret registryPassword/,
    );
  });
});

describe("the stack's keys", () => {
  it("are the pipeline's fields, from its schema, and the secrets; catalog, a class instance, is for code only", async () => {
    const program = await import("../stacks/program.js");
    const { TROVE_GUEST_PIPELINE_SCHEMA } = await import("../components/pipeline/pipeline.js");
    expect(program.PIPELINE_SETTINGS).toEqual(
      Object.keys(TROVE_GUEST_PIPELINE_SCHEMA.fields!).filter((f) => f !== "catalog"),
    );
    expect(program.STACK_SETTINGS).toEqual([
      ...program.PIPELINE_SETTINGS,
      "registryPassword",
      "registryTlsKey",
      "buildHostSshKey",
      "controllerSshKey",
    ]);
  });

  it("an unknown key of the stack's namespace is refused with the key it most likely means; a secret's value is not shown; other namespaces are not ours", async () => {
    const program = await import("../stacks/program.js");
    const given = {
      "pulumi-trove:versions": "[]",
      "pulumi-trove:versionz": "[]",
      "pulumi-trove:registryPasword": "s3cret",
      "pulumi-trove:colour": "blue",
      "docker:host": "ssh://h",
      "openstack:cloud": "c",
    };
    const problems = program.unknownStackKeys(given, (k) => k === "pulumi-trove:registryPasword");
    expect(problems).toEqual([
      {
        field: "pulumi-trove:colour",
        value: "blue",
        allowed: `not a setting of this stack; settings: ${program.STACK_SETTINGS.join(", ")}`,
      },
      {
        field: "pulumi-trove:registryPasword",
        value: "(secret)",
        allowed: "not a setting of this stack; did you mean pulumi-trove:registryPassword?",
      },
      {
        field: "pulumi-trove:versionz",
        value: "[]",
        allowed: "not a setting of this stack; did you mean pulumi-trove:versions?",
      },
    ]);
  });

  it("every problem at once: an unknown key beside a bad value, in one error", async () => {
    const run = evaluate(
      "lab",
      {},
      { "pulumi-trove:versionz": [], "pulumi-trove:managementNetworkCidr": "10.0.0.0/33" },
    );
    await expect(run).rejects.toThrow(
      /^stack config "Pulumi\.lab\.yaml": 2 invalid inputs:\n {2}- pulumi-trove:versionz "\[\]" is not valid \(not a setting of this stack; did you mean pulumi-trove:versions\?\)\n {2}- pulumi-trove:managementNetworkCidr "10\.0\.0\.0\/33" is not valid/,
    );
  });

  it("a misspelt key stands in for the setting it misses: the key is told, not the missing setting", async () => {
    const run = evaluate(
      "lab",
      {},
      { "pulumi-trove:versions": undefined, "pulumi-trove:versionz": [{ datastore: "mysql", version: "5.7.29" }] },
    );
    await expect(run).rejects.toThrow(
      /pulumi-trove:versionz .* \(not a setting of this stack; did you mean pulumi-trove:versions\?\)\.$/,
    );
  });

  it("what a component of the pipeline refuses is refused by the stack's check, under the YAML key, before anything is declared", async () => {
    // TroveConfig's cloud-init needs its controller; the pipeline's schema checks it for TroveConfig.
    const run = evaluate("lab", {}, { "pulumi-trove:troveConfig": { cloudInit: { mysql: "#cloud-config" } } });
    await expect(run).rejects.toThrow(
      'stack config "Pulumi.lab.yaml": pulumi-trove:troveConfig.cloudInit "[\\"mysql\\"]" is not valid (cloud-init files are written to the controller: set controller too).',
    );
  });

  it("a region's misspelt field is refused, not dropped", async () => {
    const run = evaluate(
      "lab",
      {},
      { "pulumi-trove:regions": [{ name: "lab", cloud: "trove-lab", regoin: "RegionOne" }] },
    );
    await expect(run).rejects.toThrow(
      'stack config "Pulumi.lab.yaml": pulumi-trove:regions[0].regoin "regoin" is not valid (unknown field; did you mean region?).',
    );
  });
});
