// `pulumi preview` of every stack as the Pulumi CLI runs it: the program started by Pulumi's own runner
// (@pulumi/pulumi/cmd/run, its bundled ts-node, PULUMI_CONFIG from the stack file checked against Pulumi.yaml),
// answered over gRPC by the test engine (test/support/engine). No cloud, no lab and no deploy-machine files: the
// environment has no OS_* variables, no DOCKER_HOST and an empty HOME. Each defect the first user met is a case here.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { DynamicProviderHost } from "./support/engine/dynamic-provider-host";
import { OperationResult, PulumiEngine, ResourceState } from "./support/engine/engine";
import { programConfig } from "./support/engine/project-config";
import { testHostKey } from "./support/ssh-keys";
import { isSecret, plain } from "./support/engine/wire";

const ROOT = path.join(__dirname, "..");
const home = mkdtempSync(path.join(tmpdir(), "preview-home-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** The environment of a CI runner or an admin's laptop that has no cloud credentials and no Docker engine. */
function bareEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  for (const k of Object.keys(env)) if (/^OS_/.test(k) || k === "DOCKER_HOST") delete env[k];
  return env;
}

const PRODUCTION_SECRETS = {
  registryPassword: "s3cret",
  registryTlsKey: "TLSKEY",
  controllerSshKey: "CONTROLLERKEY",
  buildHostSshKey: "BUILDKEY",
};

function preview(
  stack: string,
  secrets: Record<string, string> = {},
  configOverrides: Record<string, unknown> = {},
): Promise<OperationResult> {
  return new PulumiEngine({ root: ROOT, stack, secrets, configOverrides, env: bareEnv() }).preview();
}

const named = (r: OperationResult, name: string): ResourceState => {
  const found = r.resources.find((x) => x.name === name);
  if (!found) throw new Error(`no resource ${name}; declared: ${r.resources.map((x) => x.name).join(", ")}`);
  return found;
};
const warnings = (r: OperationResult) => r.logs.filter((l) => l.severity === "warning").map((l) => l.message.trim());

/** The stack file's values with its lab directory moved somewhere that does not exist. */
function labStackElsewhere(): Record<string, unknown> {
  const file = parse(readFileSync(path.join(ROOT, "stacks", "Pulumi.lab.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  return JSON.parse(
    JSON.stringify(file.config).replaceAll("/tmp/pulumi-trove-lab", "/nonexistent/pulumi-trove-lab"),
  ) as Record<string, unknown>;
}

describe("pulumi preview under Pulumi's own runner", () => {
  it.each([
    ["lab", {}],
    ["devstack", {}],
    ["production", PRODUCTION_SECRETS],
    // The production shape on the remote lab's addresses, previewed where nothing of the lab runs (its `up` is
    // test/integration/production-lab-stack.test.ts).
    ["production-lab", PRODUCTION_SECRETS],
  ] as const)("stack %s previews with no error, no cloud and no Docker engine", async (stack, secrets) => {
    const r = await preview(stack, secrets);
    expect(r.errors, r.programOutput).toEqual([]);
    expect(r.ok).toBe(true);
    // A first preview creates everything, and says so in Pulumi's words.
    expect(r.steps.every((s) => s.op === "create")).toBe(true);
    expect(r.summary).toMatch(/^Resources: \d+ created$/);
    expect(r.resources.find((x) => x.type === "pulumi:pulumi:Stack")?.name).toBe(`pulumi-trove-${stack}`);
    expect(
      r.resources.filter((x) => x.type === "pulumi-nodejs:dynamic/pulumi-trove:DatastoreVersion").length,
    ).toBeGreaterThan(0);
  });

  it("the stack file docs/stacks.md shows previews as it is written, with no error", async () => {
    // The YAML block an admin copies into stacks/Pulumi.mycloud.yaml, read as `pulumi --config-file` would read it.
    const docs = readFileSync(path.join(ROOT, "docs", "stacks.md"), "utf8");
    const example = /```yaml\n(# stacks\/Pulumi\.mycloud\.yaml\n[\s\S]*?)```/.exec(docs)?.[1];
    expect(example).toBeDefined();
    const configFile = path.join(home, "Pulumi.mycloud.yaml");
    writeFileSync(configFile, example!);
    const r = await new PulumiEngine({ root: ROOT, stack: "mycloud", configFile, env: bareEnv() }).preview();
    expect(r.errors, r.programOutput).toEqual([]);
    expect(r.resources.filter((x) => x.type === "pulumi-nodejs:dynamic/pulumi-trove:DatastoreVersion")).toHaveLength(2);
  });

  it("the lab stack previews where the lab's files are not, naming each missing file in one line", async () => {
    const r = await preview("lab", {}, labStackElsewhere());
    expect(r.errors, r.programOutput).toEqual([]);
    const w = warnings(r);
    expect(w).toContainEqual(
      expect.stringMatching(
        /^GuestImageBuild "lab-guest": existingImagePath \/nonexistent\/pulumi-trove-lab\/images\/trove-guest-ubuntu-jammy-dev\.qcow2 is not on this machine/,
      ),
    );
    for (const d of ["mysql", "mariadb", "postgresql"])
      expect(w).toContainEqual(
        expect.stringContaining(
          `rules.rulesFile /nonexistent/pulumi-trove-lab/trove-source/trove/templates/${d}/validation-rules.json is not on this machine`,
        ),
      );
    for (const line of w) expect(line).not.toContain("\n");
  });

  it("devstack records the pinned Trove ref, so a preview on any machine agrees with the controller's up", async () => {
    const r = await preview("devstack");
    // Its registry speaks plain HTTP (devstack's own does): the one warning says so, naming the field and the fix.
    expect(warnings(r)).toEqual([
      expect.stringMatching(
        /^TroveGuestPipeline "devstack": registry.local.tls is not set: the registry at 10.0.0.5:4000 speaks plain HTTP, .* add tls: \{ generate: true \}/,
      ),
    ]);
    const build = plain(named(r, "devstack-guest-build").inputs) as { triggers: string[] };
    expect(build.triggers).toContain("trove:/opt/stack/trove@stable/2026.1");
    const publish = named(r, "devstack-images-publish-mysql-8-4");
    expect((plain(publish.inputs) as { environment: Record<string, string> }).environment.BACKUP_TROVE_REF).toBe(
      "stable/2026.1",
    );
    // The one command per version takes over the two-command release's mirror command (the backup command is deleted).
    expect(publish.aliases).toContain(
      "urn:pulumi:devstack::pulumi-trove::pulumi-trove:pipeline:TroveGuestPipeline$pulumi-trove:datastore-images:DatastoreImages$command:local:Command::devstack-images-mirror-mysql-8-4",
    );
  });

  it("a stack file still using the former keys previews as before, with one warning per object naming the keys now, and the same resources as the file's checkouts; both names at once are refused", async () => {
    const former = {
      "pulumi-trove:guestImage": {
        troveSourceDir: "/opt/stack/trove",
        troveRef: "stable/2026.1",
        guestOsRelease: "noble",
        devMode: true,
        hostScpUsername: "stack",
      },
      "pulumi-trove:datastoreImages": { troveSourceDir: "/opt/stack/trove", troveRef: "stable/2026.1" },
      "pulumi-trove:registration": { troveSourceDir: "/opt/stack/trove" },
    };
    const r = await preview("devstack", {}, former);
    expect(r.errors, r.programOutput).toEqual([]);
    expect(warnings(r).filter((w) => w.includes("deprecated"))).toEqual([
      'stack config "Pulumi.devstack.yaml": pulumi-trove:guestImage.troveSourceDir and pulumi-trove:guestImage.troveRef are deprecated: they are now pulumi-trove:guestImage.buildCheckout.dir and pulumi-trove:guestImage.buildCheckout.ref; the former names still work for now and will be removed in a later release',
      'stack config "Pulumi.devstack.yaml": pulumi-trove:datastoreImages.troveSourceDir and pulumi-trove:datastoreImages.troveRef are deprecated: they are now pulumi-trove:datastoreImages.backupCheckout.dir and pulumi-trove:datastoreImages.backupCheckout.ref; the former names still work for now and will be removed in a later release',
      'stack config "Pulumi.devstack.yaml": pulumi-trove:registration.troveSourceDir is deprecated: it is now pulumi-trove:registration.rulesSourceDir; the former name still works for now and will be removed in a later release',
    ]);
    const backup = plain(named(r, "devstack-images-publish-mysql-8-4").inputs) as {
      environment: Record<string, string>;
    };
    expect(backup.environment.BACKUP_CONTEXT).toBe("/opt/stack/trove/backup");
    // The stack file's own keys (buildCheckout, backupCheckout) give the build and publish commands the same inputs.
    const current = await preview("devstack");
    expect(current.errors, current.programOutput).toEqual([]);
    for (const name of [
      "devstack-guest-build",
      "devstack-images-publish-mysql-8-4",
      "devstack-images-publish-postgresql-17",
    ])
      expect(plain(named(r, name).inputs), name).toEqual(plain(named(current, name).inputs));

    const both = await preview(
      "devstack",
      {},
      {
        "pulumi-trove:datastoreImages": {
          ...former["pulumi-trove:datastoreImages"],
          backupCheckout: { dir: "/opt/stack/trove" },
        },
      },
    );
    expect(both.ok).toBe(false);
    expect(both.errors.join("\n")).toContain(
      'stack config "Pulumi.devstack.yaml": 2 invalid inputs:\n  - pulumi-trove:datastoreImages.troveSourceDir "/opt/stack/trove" is not valid (troveSourceDir is the former name of backupCheckout.dir, and backupCheckout is given too; keep only backupCheckout)\n  - pulumi-trove:datastoreImages.troveRef "stable/2026.1" is not valid (troveRef is the former name of backupCheckout.ref, and backupCheckout is given too; keep only backupCheckout)',
    );
  }, 240_000);

  it("a Trove checkout that is not readable and no buildCheckout.ref is a warning naming buildCheckout.ref, not a silent 'unknown'", async () => {
    const guestImage = { buildCheckout: { dir: "/nonexistent/trove" }, devMode: true, hostScpUsername: "stack" };
    const r = await preview("devstack", {}, { "pulumi-trove:guestImage": guestImage });
    expect(r.errors).toEqual([]);
    expect(warnings(r)).toContainEqual(
      expect.stringMatching(
        /^GuestImageBuild "devstack-guest": buildCheckout.ref is not set and \/nonexistent\/trove is not a git checkout readable here.*; set buildCheckout.ref$/,
      ),
    );
  });

  it("a stack that adds a region to the implicit one keeps that region's Glance image and versions under their old names", async () => {
    const regions = [{ name: "default" }, { name: "west", cloud: "west" }];
    const r = await preview("devstack", {}, { "pulumi-trove:regions": regions });
    expect(r.errors).toEqual([]);
    const urn = (name: string, type: string) =>
      `urn:pulumi:devstack::pulumi-trove::pulumi-trove:pipeline:TroveGuestPipeline$${type}::${name}`;
    expect(named(r, "devstack-glance-default").aliases).toContain(
      urn("devstack-glance", "pulumi-trove:glance:GlanceImage"),
    );
    expect(named(r, "devstack-glance-default-image").aliases).toContain(
      urn("devstack-glance-image", "pulumi-trove:glance:GlanceImage$openstack:images/image:Image"),
    );
    expect(named(r, "devstack-version-default-mysql-8-4").aliases).toContain(
      urn("devstack-version-mysql-8-4", "pulumi-nodejs:dynamic/pulumi-trove:DatastoreVersion"),
    );
    // The new region's resources are its own: no alias could make them take over another region's. Their one alias
    // is their own name under the GlanceImage's earlier type token.
    expect(named(r, "devstack-glance-west-image").aliases).toEqual([
      urn("devstack-glance-west-image", "pulumi-trove:glance:GlanceImage$openstack:images/image:Image"),
    ]);
  });

  it("a stack of the two-command release: its mirror command is updated in place into the publish command, its backup command deleted", async () => {
    const engine = new PulumiEngine({ root: ROOT, stack: "devstack", env: bareEnv() });
    const first = await engine.preview();
    const publish = named(first, "devstack-images-publish-mysql-8-4");
    const images = publish.parent!;
    const inputs = plain(publish.inputs) as { environment: Record<string, string> } & Record<string, unknown>;
    // What the earlier release stored: the mirror with its own script and variables, and the backup build beside it.
    const olderScript = "# the earlier mirror-image.sh";
    const environment = Object.fromEntries(
      Object.entries(inputs.environment).filter(([k]) => !k.startsWith("BACKUP_")),
    );
    const state = (name: string, stored: Record<string, unknown>): ResourceState => ({
      ...publish,
      urn: `${images.split("::").slice(0, 2).join("::")}::${images.split("::")[2]}$command:local:Command::${name}`,
      name,
      id: name,
      inputs: stored as never,
      outputs: { ...stored, stdout: '{"reference":"r:1/x:1","digest":"sha256:1"}' } as never,
      aliases: [],
    });
    engine.state = [
      state("devstack-images-mirror-mysql-8-4", { ...inputs, create: olderScript, update: olderScript, environment }),
      state("devstack-images-backup-mysql-8-4", {
        ...inputs,
        create: "# the earlier build-backup-image.sh",
        update: "# the earlier update-backup-image.sh",
        triggers: [
          "/opt/stack/trove",
          "stable/2026.1",
          "mysql",
          "8.4",
          "10.0.0.5:4000/trove-datastores/db-backup-mysql:8.4",
        ],
      }),
    ];
    const r = await engine.preview();
    expect(r.errors, r.programOutput).toEqual([]);
    const step = (name: string) => r.steps.find((x) => x.name === name);
    expect(step("devstack-images-publish-mysql-8-4")).toMatchObject({
      op: "update",
      changes: ["create", "environment", "update"],
    });
    expect(step("devstack-images-backup-mysql-8-4")).toMatchObject({ op: "delete", type: "command:local:Command" });
    expect(r.steps.filter((x) => x.name.includes("-images-") && x.op === "replace")).toEqual([]);
  });

  it("production runs the registry container and the backup builds on the registry host's Docker engine", async () => {
    const r = await preview("production", PRODUCTION_SECRETS);
    const container = named(r, "production-registry-container");
    expect(container.provider).toBe("default_docker");
    expect(container.providerConfig).toEqual({ host: "ssh://deploy@registry.db.example.com" });
    const builds = r.resources.filter((x) => x.name.includes("-publish-") && x.type === "command:local:Command");
    expect(builds).toHaveLength(6);
    for (const b of builds)
      expect((plain(b.inputs) as { environment: Record<string, string> }).environment.DOCKER_HOST).toBe(
        "ssh://deploy@registry.db.example.com",
      );
  });

  it("controllerSshKey reaches every region's troveController, as a secret, with nothing in plain YAML", async () => {
    const regions = [
      {
        name: "east",
        cloud: "prod",
        region: "RegionEast",
        troveController: { connection: { host: "trove-east.example.com", user: "root", hostKey: testHostKey(4) } },
      },
      {
        name: "west",
        cloud: "prod",
        region: "RegionWest",
        troveController: { connection: { host: "trove-west.example.com", user: "root", hostKey: testHostKey(5) } },
      },
    ];
    const r = await preview("production", PRODUCTION_SECRETS, {
      "pulumi-trove:regions": regions,
      "pulumi-trove:registration": { loadConfigurationParameters: true },
    });
    expect(r.errors, r.programOutput).toEqual([]);
    const loads = r.resources.filter((x) => x.type === "command:remote:Command" && x.name.endsWith("-load"));
    expect(loads).toHaveLength(12);
    for (const load of loads) {
      // The connection arrives marked secret, because the key in it is (the engine encrypts it in state).
      expect(isSecret(load.inputs.connection)).toBe(true);
      expect((plain(load.inputs.connection) as { privateKey: string }).privateKey).toBe("CONTROLLERKEY");
    }
  });

  it("a registry password that cannot sit on one INI line fails the preview, naming the field, before anything is created", async () => {
    const r = await preview("production", { ...PRODUCTION_SECRETS, registryPassword: "line one\nline two" });
    expect(r.ok).toBe(false);
    expect(r.errors.join("\n")).toContain(
      `stack config "Pulumi.production.yaml": pulumi-trove:registryPassword "(secret)" is not valid (must not contain newlines or control characters).`,
    );
    expect(r.errors.join("\n")).not.toContain("line two");
  });

  it("a value of the wrong type in the stack's YAML fails the preview naming the YAML key, before anything is declared", async () => {
    const lab = parse(readFileSync(path.join(ROOT, "stacks/Pulumi.lab.yaml"), "utf8")).config as Record<
      string,
      Record<string, unknown>
    >;
    const guestImage = { ...lab["pulumi-trove:guestImage"], devMode: "false" };
    const r = await preview("lab", {}, { "pulumi-trove:guestImage": guestImage });
    expect(r.ok).toBe(false);
    expect(r.errors.join("\n")).toContain(
      'stack config "Pulumi.lab.yaml": pulumi-trove:guestImage.devMode "false" is not valid (expected true or false, got a string (in YAML, write true or false without quotes)).',
    );
    expect(r.resources.map((x) => x.type).filter((t) => !t.startsWith("pulumi:"))).toEqual([]);
    // Reported as a RunError: the message alone, not an unhandled exception with Pulumi's runner's stack trace.
    expect(r.errors.join("\n")).not.toContain("failed with an unhandled exception");
    expect(r.errors.join("\n")).not.toMatch(/\n\s+at /);
  });

  it("a value a component refuses is printed as its message alone, not as an unhandled exception with a stack", async () => {
    const r = await preview("lab", {}, { "pulumi-trove:versions": [{ datastore: "oracle", version: "19" }] });
    expect(r.ok).toBe(false);
    const text = r.errors.join("\n");
    expect(text).toContain(
      'TroveGuestPipeline "lab": versions[0].datastore "oracle" is not valid (known: mariadb, mysql, postgresql).',
    );
    expect(text).not.toContain("failed with an unhandled exception");
    expect(text).not.toMatch(/\n\s+at /);
  });

  it("a misspelt key in the stack file fails the preview in one line naming the key and the key it most likely means", async () => {
    const r = await preview("lab", {}, { "pulumi-trove:versionz": [{ datastore: "mysql", version: "5.7.29" }] });
    expect(r.ok).toBe(false);
    expect(r.errors.join("\n").trim()).toBe(
      'stack config "Pulumi.lab.yaml": pulumi-trove:versionz "[{\\"datastore\\":\\"mysql\\",\\"version\\":\\"5.7.29\\"}]" is not valid (not a setting of this stack; did you mean pulumi-trove:versions?).',
    );
    expect(r.resources.map((x) => x.type).filter((t) => !t.startsWith("pulumi:"))).toEqual([]);
  });

  it("managementNetworkCidr from the stack file reaches the pipeline: a malformed one fails the preview naming its key", async () => {
    const r = await preview("lab", {}, { "pulumi-trove:managementNetworkCidr": "not-a-cidr" });
    expect(r.ok).toBe(false);
    expect(r.errors.join("\n")).toContain(
      'stack config "Pulumi.lab.yaml": pulumi-trove:managementNetworkCidr "not-a-cidr" is not valid (expected an IPv4 or IPv6 network in CIDR notation, e.g. 10.0.0.0/24 or fd00::/64).',
    );
  });

  it("allowUntested from the stack file reaches the pipeline: a version the release does not support is refused without it, served with it", async () => {
    const versions = { "pulumi-trove:versions": [{ datastore: "mariadb", version: "10.5", default: true }] };
    const refused = await preview("lab", {}, versions);
    expect(refused.ok).toBe(false);
    expect(refused.errors.join("\n")).toContain(
      'TroveGuestPipeline "lab": versions[0].version "10.5" is not valid (Trove zed supports mariadb 10.4; set allowUntested: true to try it anyway).',
    );
    const allowed = await preview("lab", {}, { ...versions, "pulumi-trove:allowUntested": true });
    expect(allowed.errors, allowed.programOutput).toEqual([]);
    const identities = allowed.resources
      .filter((x) => x.type === "pulumi-nodejs:dynamic/pulumi-trove:DatastoreVersion")
      .map((x) => (plain(x.inputs) as { identity: { datastore: string; version: string } }).identity);
    expect(identities.map((i) => `${i.datastore} ${i.version}`)).toEqual(["mariadb 10.5"]);
  }, 240_000);

  it("a secret kept in plain text in the stack file is refused, saying how to set it", async () => {
    const r = await preview(
      "production",
      { registryTlsKey: "TLSKEY", controllerSshKey: "K", buildHostSshKey: "K" },
      { "pulumi-trove:registryPassword": "plain-text" },
    );
    expect(r.ok).toBe(false);
    expect(r.errors.join("\n")).toContain(
      "registryPassword is stored in plain text in the stack file; remove it there and run pulumi config set --secret registryPassword <value>",
    );
  });
});

describe("the stack's config, checked as the Pulumi CLI checks it before the program starts", () => {
  const project = mkdtempSync(path.join(tmpdir(), "project-config-"));
  afterAll(() => rmSync(project, { recursive: true, force: true }));
  const write = (pulumiYaml: string, stackYaml: string) => {
    writeFileSync(path.join(project, "Pulumi.yaml"), pulumiYaml);
    mkdirSync(path.join(project, "stacks"), { recursive: true });
    writeFileSync(path.join(project, "stacks", "Pulumi.dev.yaml"), stackYaml);
  };

  it("a typed key with no default is required (which is why Pulumi.yaml no longer declares the optional secrets)", () => {
    write(
      "name: p\nruntime: nodejs\nstackConfigDir: stacks\nconfig:\n  p:password:\n    type: string\n    secret: true\n  p:region:\n    type: string\n",
      "config: {}\n",
    );
    expect(() => programConfig(project, "dev")).toThrow(
      "Stack 'dev' is missing configuration values 'p:password' and 'p:region'",
    );
    expect(() => programConfig(project, "dev", { password: "x" })).toThrow(
      "Stack 'dev' is missing configuration value 'p:region'",
    );
  });

  it("applies defaults, checks types and refuses a declared secret given in plain text", () => {
    write(
      "name: p\nruntime: nodejs\nstackConfigDir: stacks\nconfig:\n  p:release:\n    type: string\n    default: zed\n  p:count:\n    type: integer\n    default: 2\n  p:token:\n    type: string\n    secret: true\n    default: x\n",
      "config:\n  p:count: three\n",
    );
    expect(() => programConfig(project, "dev")).toThrow(
      "Stack 'dev' with configuration key 'p:count' must be of type 'integer'",
    );
    write(
      "name: p\nruntime: nodejs\nstackConfigDir: stacks\nconfig:\n  p:token:\n    type: string\n    secret: true\n",
      "config:\n  p:token: plain\n",
    );
    expect(() => programConfig(project, "dev")).toThrow(
      "Stack 'dev' with configuration key 'p:token' must be encrypted as it's secret",
    );
    write(
      "name: p\nruntime: nodejs\nstackConfigDir: stacks\nconfig:\n  p:release:\n    type: string\n    default: zed\n",
      "config:\n  p:versions: [{ datastore: mysql }]\n",
    );
    expect(programConfig(project, "dev")).toEqual({
      config: { "p:versions": '[{"datastore":"mysql"}]', "p:release": "zed" },
      secretKeys: [],
    });
  });

  it("a stack that does not say which Trove release its controller runs is stopped before the program starts, naming the key", () => {
    expect(() => programConfig(ROOT, "lab", {}, { "pulumi-trove:troveRelease": undefined })).toThrow(
      "Stack 'lab' is missing configuration value 'pulumi-trove:troveRelease'",
    );
  });

  it("this project's stacks all pass it, with only the secrets production needs", () => {
    for (const stack of ["lab", "devstack"]) expect(() => programConfig(ROOT, stack)).not.toThrow();
    expect(programConfig(ROOT, "production", PRODUCTION_SECRETS).secretKeys.sort()).toEqual(
      Object.keys(PRODUCTION_SECRETS)
        .map((k) => `pulumi-trove:${k}`)
        .sort(),
    );
  });
});

describe("Pulumi's dynamic-provider host", () => {
  it("cannot import a resource: its Read needs the serialized provider from the state, which an import does not have", async () => {
    const host = await DynamicProviderHost.start(ROOT, "127.0.0.1:0", bareEnv());
    try {
      await expect(
        host.read(
          "urn:pulumi:lab::pulumi-trove::pulumi-nodejs:dynamic/pulumi-trove:DatastoreVersion::v",
          "some-id",
          {},
          {},
        ),
      ).rejects.toThrow();
    } finally {
      await host.stop();
    }
  });
});
