// TroveGuestPipeline under Pulumi mocks: one build shared by every datastore, one Glance image per region tagged for
// every datastore, and the errors `pulumi preview` shows for a bad datastore list.

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { BUILTIN_DATASTORES, DatastoreCatalog } from "../../components/catalog/catalog";
import type { DatastoreVersionProperties } from "../../components/trove/version-provider/provider";
import { GLANCE_HISTORY_TYPE, glanceHistoryCreated, installMocks, MockState, valueOf } from "../support/pulumi-mocks";
import { testHostKey } from "../support/ssh-keys";
import { secret as wireSecret } from "../support/engine/wire";

const SHA = "c".repeat(64);
let mocks: MockState;
let p: typeof import("../../components/pipeline/pipeline.js");
let dv: typeof import("../../components/trove/version-provider/provider.js");

beforeAll(async () => {
  mocks = await installMocks({
    outputs: (type, name, inputs) => {
      if (name.includes("-publish-")) {
        // A secret environment reaches mocks wrapped: { <signature>: …, value }.
        const wrapped = inputs.environment as { value?: Record<string, string> } & Record<string, string>;
        const env = wrapped.value ?? wrapped;
        const digest = `sha256:${"f".repeat(64)}`;
        return {
          stdout: JSON.stringify({
            database: { reference: env.MIRROR_TARGET, digest },
            ...(env.BACKUP_REFERENCE ? { backup: { reference: env.BACKUP_REFERENCE, digest } } : {}),
          }),
        };
      }
      if (type.startsWith("command:"))
        return { stdout: `{"path":"/root/images/guest.qcow2","sha256":"${SHA}","sizeBytes":99}` };
      if (type === "docker:index/remoteImage:RemoteImage") return { imageId: "sha256:registry" };
      if (type === GLANCE_HISTORY_TYPE) return glanceHistoryCreated(inputs);
      if (type === "tls:index/selfSignedCert:SelfSignedCert")
        return { certPem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" };
      return undefined;
    },
  });
  p = await import("../../components/pipeline/pipeline.js");
  dv = await import("../../components/trove/version-provider/provider.js");
});

const guestImage = { buildCheckout: { dir: "/opt/stack/trove", ref: "stable/2024.1" } };
const base = {
  troveRelease: "zed",
  guestImage,
  registry: { local: { advertisedHost: "10.0.0.5" } },
  datastoreImages: { backupCheckout: { dir: "/opt/stack/trove" } },
};
const versions = [
  { datastore: "mysql", version: "5.7.29", default: true },
  { datastore: "mariadb", version: "10.4" },
  { datastore: "postgresql", version: "12" },
];

describe("TroveGuestPipeline", () => {
  it("builds once and uploads one Glance image tagged for every datastore", async () => {
    const pipeline = new p.TroveGuestPipeline("one", { ...base, versions });
    await mocks.waitFor("one-glance-image");
    expect(mocks.resources.filter((r) => r.name.startsWith("one-guest") && r.type.startsWith("command:"))).toHaveLength(
      1,
    );
    expect(mocks.named("one-glance-image").inputs.tags).toEqual(["trove", "mysql", "mariadb", "postgresql"]);
    expect(await valueOf(pipeline.glanceImageIds)).toEqual({ default: "one-glance-image-id" });
  });

  it("feeds several regions from one build", async () => {
    const pipeline = new p.TroveGuestPipeline("two", {
      ...base,
      versions,
      regions: [{ name: "east" }, { name: "west" }],
    });
    await mocks.waitFor("two-glance-west-image");
    expect(mocks.resources.filter((r) => r.name.startsWith("two-guest") && r.type.startsWith("command:"))).toHaveLength(
      1,
    );
    expect(await valueOf(pipeline.glanceImageIds)).toEqual({
      east: "two-glance-east-image-id",
      west: "two-glance-west-image-id",
    });
  });

  it("builds on the controller and uploads to every region from one copy of the image", async () => {
    const buildHost = { host: "10.0.0.5", user: "stack", privateKey: "KEY", hostKey: testHostKey() };
    new p.TroveGuestPipeline("far", {
      ...base,
      guestImage: { ...guestImage, buildHost },
      versions,
      regions: [{ name: "east" }, { name: "west" }],
    });
    await mocks.waitFor("far-glance-west-image");
    const commands = mocks.resources.filter((r) => r.name.startsWith("far-guest") && r.type.startsWith("command:"));
    expect(commands.map((r) => `${r.type} ${r.name}`)).toEqual([
      "command:remote:Command far-guest-build",
      "command:remote:Command far-guest-build-cleanup",
      "command:local:Command far-guest-fetch",
    ]);
    for (const region of ["east", "west"])
      expect(mocks.named(`far-glance-${region}-image`).dependsOn).toContain("far-guest-fetch");
  });

  it("publishes every version's images to its registry and configures Trove with the same names", async () => {
    const pipeline = new p.TroveGuestPipeline("full", {
      ...base,
      versions,
      datastoreImages: { backupCheckout: { dir: "/opt/stack/trove" }, backupTag: "1.1.0" },
    });
    expect(await valueOf(pipeline.registryAddress)).toBe("10.0.0.5:4000");
    const refs = await valueOf(pipeline.imageReferences);
    expect(Object.keys(refs)).toEqual(["mysql:5.7.29", "mariadb:10.4", "postgresql:12"]);
    expect(refs["mysql:5.7.29"]).toMatchObject({
      database: "10.0.0.5:4000/trove-datastores/mysql:5.7.29",
      backup: "10.0.0.5:4000/trove-datastores/db-backup-mysql5.7:1.1.0",
    });
    const guestConf = await valueOf(pipeline.troveConfig!.guestAgentConf);
    expect(guestConf).toContain(
      "[mysql]\ndocker_image = 10.0.0.5:4000/trove-datastores/mysql\nbackup_docker_image = 10.0.0.5:4000/trove-datastores/db-backup-mysql:1.1.0\n",
    );
    expect(guestConf).toContain("[guest_agent]\ncontainer_registry = 10.0.0.5:4000\n");
    expect(await valueOf(pipeline.troveConfig!.troveConf)).toBe(
      "[DEFAULT]\ndocker_insecure_registries = 10.0.0.5:4000\n",
    );
    expect(pipeline.versionSettings["mysql:5.7.29"]).toEqual({
      datastore: "mysql",
      name: "5.7.29",
      version: "5.7.29",
      manager: "mysql",
      imageTags: ["trove", "mysql"],
      default: true,
      active: true,
    });
    expect((await mocks.waitFor("full-registry-container")).inputs.networkMode).toBe("host");
  });

  it("uses an existing registry instead of running one", async () => {
    const pipeline = new p.TroveGuestPipeline("ext", {
      ...base,
      versions: [{ datastore: "mariadb", version: "10.4" }],
      registry: { existing: { address: "registry.example.com:443", insecure: false } },
      troveConfig: false,
    });
    expect(await valueOf(pipeline.registryAddress)).toBe("registry.example.com:443");
    expect(pipeline.localRegistry).toBeUndefined();
    expect(pipeline.troveConfig).toBeUndefined();
  });

  it("registers every version in Trove in each region, by the Glance tags, only after that region's Glance image exists", async () => {
    const pipeline = new p.TroveGuestPipeline("reg", {
      ...base,
      versions,
      regions: [
        { name: "east", cloud: "prod", region: "East" },
        { name: "west", cloud: "prod", region: "West" },
      ],
    });
    const east = await mocks.waitFor("reg-version-east-mysql-5-7-29");
    expect(east.type).toBe("pulumi-nodejs:dynamic/pulumi-trove:DatastoreVersion");
    expect(dv.versionStateOf(east.inputs as unknown as DatastoreVersionProperties)).toMatchObject({
      datastore: "mysql",
      name: "5.7.29",
      version: "5.7.29",
      manager: "mysql",
      imageTags: ["trove", "mysql"],
      default: true,
      active: true,
      cloud: "prod",
      region: "East",
    });
    expect(east.dependsOn).toContain("reg-glance-east-image");
    expect(east.dependsOn).not.toContain("reg-glance-west-image");
    expect((await mocks.waitFor("reg-version-west-postgresql-12")).dependsOn).toContain("reg-glance-west-image");
    expect(mocks.resources.filter((r) => r.name.startsWith("reg-version-"))).toHaveLength(6);
    expect(Object.keys(pipeline.versionResources.east!)).toEqual(["mysql:5.7.29", "mariadb:10.4", "postgresql:12"]);
    expect(Object.keys(await valueOf(pipeline.versionIds))).toEqual(["east", "west"]);
    // The former names of the three version outputs are the same objects.
    expect(pipeline.datastoreVersions).toBe(pipeline.versionSettings);
    expect(pipeline.registeredVersions).toBe(pipeline.versionResources);
    expect(pipeline.datastoreVersionIds).toBe(pipeline.versionIds);
    expect(mocks.resources.filter((r) => r.name.startsWith("reg-parameters-"))).toHaveLength(0);
  });

  it("loads each version's configuration parameters from the Trove checkout on the region's controller, after the version", async () => {
    const checkout = mkdtempSync(path.join(tmpdir(), "trove-"));
    for (const d of ["mysql", "mariadb", "postgresql"]) {
      mkdirSync(path.join(checkout, "trove/templates", d), { recursive: true });
      writeFileSync(
        path.join(checkout, "trove/templates", d, "validation-rules.json"),
        JSON.stringify({
          "configuration-parameters": [{ name: `${d}_rule`, restart_required: false, type: "boolean" }],
        }),
      );
    }
    new p.TroveGuestPipeline("par", {
      ...base,
      versions,
      regions: [
        { name: "east", troveController: { connection: { host: "10.0.0.5", user: "stack", hostKey: testHostKey() } } },
      ],
      registration: { loadConfigurationParameters: true, rulesSourceDir: checkout },
    });
    const load = await mocks.waitFor("par-parameters-east-postgresql-12-load");
    expect(JSON.parse(String(load.inputs.stdin))).toMatchObject({
      datastore: "postgresql",
      versionName: "12",
      versionNumber: "12",
      rules: [{ name: "postgresql_rule" }],
    });
    expect(load.parent).toBe("par-parameters-east-postgresql-12");
    expect((await mocks.waitFor("par-parameters-east-postgresql-12")).dependsOn).toContain(
      "par-version-east-postgresql-12",
    );
    expect(
      () =>
        new p.TroveGuestPipeline("par2", {
          ...base,
          versions,
          regions: [{ name: "east" }],
          registration: { loadConfigurationParameters: true, rulesSourceDir: checkout },
        }),
    ).toThrow(/regions\[0\].troveController .* is not valid \(the region's Trove controller/);
    expect(
      () =>
        new p.TroveGuestPipeline("par3", {
          ...base,
          versions: [{ datastore: "mariadb", version: "10.4" }],
          regions: [{ name: "east", troveController: {} }],
          registration: {
            loadConfigurationParameters: true,
            rulesSourceDir: mkdtempSync(path.join(tmpdir(), "trove-")),
          },
        }),
    ).toThrow(
      /registration.rulesSourceDir .* \(a Trove checkout holding trove\/templates\/mariadb\/validation-rules.json/,
    );
  });

  it("still takes the former names guestImage.troveSourceDir/troveRef, datastoreImages.troveSourceDir and registration.troveSourceDir, with one warning per object naming the fields now; refuses both names at once", async () => {
    const images = mkdtempSync(path.join(tmpdir(), "trove-images-"));
    const rules = mkdtempSync(path.join(tmpdir(), "trove-rules-"));
    mkdirSync(path.join(rules, "trove/templates/mysql"), { recursive: true });
    writeFileSync(
      path.join(rules, "trove/templates/mysql/validation-rules.json"),
      JSON.stringify({
        "configuration-parameters": [{ name: "mysql_rule", restart_required: false, type: "boolean" }],
      }),
    );
    const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    try {
      const pipeline = new p.TroveGuestPipeline("former", {
        ...base,
        versions: [{ datastore: "mysql", version: "5.7.29" }],
        regions: [
          {
            name: "east",
            troveController: { connection: { host: "10.0.0.5", user: "stack", hostKey: testHostKey() } },
          },
        ],
        guestImage: { troveSourceDir: "/opt/stack/trove", troveRef: "stable/2024.1" },
        datastoreImages: { troveSourceDir: images },
        registration: { loadConfigurationParameters: true, troveSourceDir: rules },
      });
      // Once each, by the pipeline; GuestImageBuild and DatastoreImages get the checkouts under their names now and say
      // nothing.
      expect(warn.mock.calls.map((c) => String(c[0])).filter((w) => w.includes("deprecated"))).toEqual([
        'TroveGuestPipeline "former": guestImage.troveSourceDir and guestImage.troveRef are deprecated: they are now guestImage.buildCheckout.dir and guestImage.buildCheckout.ref; the former names still work for now and will be removed in a later release',
        'TroveGuestPipeline "former": datastoreImages.troveSourceDir is deprecated: it is now datastoreImages.backupCheckout.dir; the former name still works for now and will be removed in a later release',
        'TroveGuestPipeline "former": registration.troveSourceDir is deprecated: it is now registration.rulesSourceDir; the former name still works for now and will be removed in a later release',
      ]);
      expect(pipeline.datastoreImages.resolved.backupSourceDir).toBe(images);
      expect(pipeline.resolved.rulesFiles).toEqual({
        mysql: path.join(rules, "trove/templates/mysql/validation-rules.json"),
      });
    } finally {
      warn.mockRestore();
    }
    expect((await mocks.waitFor("former-images-publish-mysql-5-7-29")).inputs.environment).toMatchObject({
      BACKUP_CONTEXT: `${images}/backup`,
    });
    expect(
      () =>
        new p.TroveGuestPipeline("both", {
          ...base,
          versions,
          guestImage: { ...guestImage, troveRef: "master" },
          datastoreImages: { troveSourceDir: "/a", backupCheckout: { dir: "/b" } },
          registration: { troveSourceDir: "/c", rulesSourceDir: "/d" },
        }),
    ).toThrow(
      'TroveGuestPipeline "both": 3 invalid inputs:\n  - guestImage.troveRef "master" is not valid (troveRef is the former name of buildCheckout.ref, and buildCheckout is given too; keep only buildCheckout)\n  - datastoreImages.troveSourceDir "/a" is not valid (troveSourceDir is the former name of backupCheckout.dir, and backupCheckout is given too; keep only backupCheckout)\n  - registration.troveSourceDir "/c" is not valid (troveSourceDir is the former name of rulesSourceDir, which is given too; keep only rulesSourceDir)',
    );
  });

  it("declares the same build and publish commands from the former checkout fields as from buildCheckout and backupCheckout", async () => {
    const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    let former: InstanceType<typeof p.TroveGuestPipeline>;
    let now: InstanceType<typeof p.TroveGuestPipeline>;
    try {
      former = new p.TroveGuestPipeline("oldnames", {
        ...base,
        versions,
        guestImage: { troveSourceDir: "/opt/stack/trove", troveRef: "stable/zed" },
        datastoreImages: { backupSourceDir: "/srv/trove", troveRef: "r1" },
      });
      now = new p.TroveGuestPipeline("newnames", {
        ...base,
        versions,
        guestImage: { buildCheckout: { dir: "/opt/stack/trove", ref: "stable/zed" } },
        datastoreImages: { backupCheckout: { dir: "/srv/trove", ref: "r1" } },
      });
    } finally {
      warn.mockRestore();
    }
    expect(former.guestImage.resolved).toEqual(now.guestImage.resolved);
    expect(former.datastoreImages.resolved.backupSourceDir).toBe("/srv/trove");
    expect(former.datastoreImages.resolved.troveRef).toBe("r1");
    const inputsOf = async (name: string, child: string) =>
      JSON.stringify((await mocks.waitFor(`${name}-${child}`)).inputs).replaceAll(name, "<name>");
    for (const child of ["guest-build", "images-publish-mysql-5-7-29", "images-publish-postgresql-12"])
      expect(await inputsOf("oldnames", child), child).toEqual(await inputsOf("newnames", child));
  });

  it("still takes a former troveRef left beside an image URL, or beside no backup build: it belongs to no checkout and is dropped, with its warning", async () => {
    const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    try {
      const pipeline = new p.TroveGuestPipeline("loneref", {
        ...base,
        versions,
        guestImage: { imageUrl: "https://example.com/guest.qcow2", troveRef: "m" },
        datastoreImages: { buildBackupImages: false, troveRef: "r1" },
      });
      expect(pipeline.guestImage.resolved.source).toEqual({ kind: "url", url: "https://example.com/guest.qcow2" });
      expect(warn.mock.calls.map((c) => String(c[0])).filter((w) => w.includes("deprecated"))).toEqual([
        'TroveGuestPipeline "loneref": guestImage.troveRef is deprecated: it is now guestImage.buildCheckout.ref; the former name still works for now and will be removed in a later release',
        'TroveGuestPipeline "loneref": datastoreImages.troveRef is deprecated: it is now datastoreImages.backupCheckout.ref; the former name still works for now and will be removed in a later release',
      ]);
    } finally {
      warn.mockRestore();
    }
    await mocks.waitFor("loneref-images-publish-mysql-5-7-29");
  });

  it("leaves registration out when asked", async () => {
    const pipeline = new p.TroveGuestPipeline("noreg", { ...base, versions, registration: false });
    await mocks.waitFor("noreg-glance-image");
    expect(pipeline.versionResources).toEqual({});
    expect(mocks.resources.filter((r) => r.name.startsWith("noreg-version"))).toHaveLength(0);
  });

  it("holds versions to the release's support matrix, patch releases of a supported line included", () => {
    const modern = { ...base, troveRelease: "2026.1", guestImage: { ...guestImage, guestOsRelease: "noble" } };
    const ok = p.resolveTroveGuestPipelineArgs("current", {
      ...modern,
      versions: [
        { datastore: "mysql", version: "8.4.3" },
        { datastore: "mariadb", version: "11.4" },
        { datastore: "postgresql", version: "17" },
      ],
    });
    expect(ok.versions.map((v) => v.version)).toEqual(["8.4.3", "11.4", "17"]);
    const stale = () =>
      new p.TroveGuestPipeline("stale", {
        ...modern,
        versions: [
          { datastore: "mysql", version: "5.7.29" },
          { datastore: "postgresql", version: "18" },
        ],
      });
    expect(stale).toThrow(
      /versions\[0\].version "5.7.29" is not valid \(Trove 2026.1 supports mysql 8.0, 8.4; set allowUntested: true to try it anyway\)/,
    );
    expect(stale).toThrow(
      /versions\[1\].version "18" is not valid \(Trove 2026.1 supports postgresql 16, 17; set allowUntested/,
    );
    // 2026.2 adds PostgreSQL 18; allowUntested lets an admin try a version the release's CI does not run.
    expect(
      p.resolveTroveGuestPipelineArgs("pg18", {
        ...modern,
        troveRelease: "2026.2",
        versions: [{ datastore: "postgresql", version: "18" }],
      }).troveRelease,
    ).toBe("2026.2");
    expect(
      p.resolveTroveGuestPipelineArgs("tried", {
        ...modern,
        allowUntested: true,
        versions: [{ datastore: "mysql", version: "5.7.29" }],
      }).versions,
    ).toHaveLength(1);
  });

  it("accepts noble guests only where upstream builds them (2025.2 and later)", () => {
    const noble = { ...guestImage, guestOsRelease: "noble" };
    expect(
      () => new p.TroveGuestPipeline("old", { ...base, troveRelease: "2025.1", guestImage: noble, versions }),
    ).toThrow(
      /GuestImageBuild "old-guest": guestOsRelease "noble" is not valid \(Trove 2025.1 supports jammy; set allowUntested: true/,
    );
    expect(
      () =>
        new p.TroveGuestPipeline("new", {
          ...base,
          troveRelease: "2025.2",
          guestImage: noble,
          versions: [{ datastore: "mysql", version: "8.4" }],
        }),
    ).not.toThrow();
  });

  it("warns about a user-added datastore's version outside its tested lines", () => {
    const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    try {
      const catalog = new DatastoreCatalog([
        {
          ...BUILTIN_DATASTORES.mysql!,
          name: "percona",
          manager: "percona",
          configSection: "percona",
          upstreamImage: "percona",
          backupImageName: "db-backup-percona",
          testedVersions: ["8.0"],
        },
      ]);
      p.resolveTroveGuestPipelineArgs("warned", {
        ...base,
        catalog,
        versions: [
          { datastore: "percona", version: "8.0.36" },
          { datastore: "percona", version: "9.1" },
        ],
      });
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
        'TroveGuestPipeline "warned": percona 9.1 is not a version we know works (tested: 8.0)',
      ]);
    } finally {
      warn.mockRestore();
    }
  });

  it("warns, naming the field and how to add TLS, when a registry beyond loopback speaks plain HTTP; a lab's or a TLS one is quiet", () => {
    const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    new p.TroveGuestPipeline("plain", { ...base, versions });
    new p.TroveGuestPipeline("tls", {
      ...base,
      versions,
      registry: { local: { advertisedHost: "10.0.0.5", tls: { generate: true } } },
    });
    new p.TroveGuestPipeline("lab", { ...base, versions, registry: { local: { advertisedHost: "127.0.0.1" } } });
    const messages = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes("plain HTTP"));
    warn.mockRestore();
    expect(messages).toEqual([
      expect.stringMatching(
        /^TroveGuestPipeline "plain": registry.local.tls is not set: the registry at 10.0.0.5:4000 speaks plain HTTP, .* add tls: \{ generate: true \}/,
      ),
    ]);
    expect(p.plainHttpRegistryWarning({ existing: { address: "registry.example.com:5000", insecure: true } })).toMatch(
      /^registry.existing.insecure is true: .* set insecure: false$/,
    );
    expect(
      p.plainHttpRegistryWarning({ existing: { address: "registry.example.com:5000", insecure: false } }),
    ).toBeUndefined();
  });

  it("warns, in one line naming the field, the address and the CIDR, when the registry is outside the management network on a release with network_isolation", async () => {
    expect(p.managementNetworkWarning("2024.2", "192.168.1.5:4000", "10.0.0.0/24")).toBe(
      "the registry address 192.168.1.5:4000 is outside managementNetworkCidr 10.0.0.0/24; Trove 2024.2 guests pull over the management network only (network_isolation is on by default), so they may not reach it",
    );
    expect(p.managementNetworkWarning("2024.2", "10.0.0.5:4000", "10.0.0.0/24")).toBeUndefined();
    expect(p.managementNetworkWarning("2024.1", "192.168.1.5:4000", "10.0.0.0/24")).toBeUndefined();
    expect(p.managementNetworkWarning("2026.2", "registry.example.com:443", "10.0.0.0/24")).toBeUndefined();
    expect(p.managementNetworkWarning("2026.2", "[fd00::5]:4000", "fd00::/64")).toBeUndefined();
    expect(p.managementNetworkWarning("2026.2", "[fd01::5]:4000", "fd00::/64")).toMatch(
      /^the registry address \[fd01::5\]:4000 is outside managementNetworkCidr fd00::\/64;/,
    );
    expect(p.managementNetworkWarning("2026.2", "10.0.0.5:4000", "fd00::/64")).toMatch(
      /is not in managementNetworkCidr fd00::\/64 \(another IP family\)/,
    );

    const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    try {
      const v = [{ datastore: "mysql", version: "5.7.29" }];
      new p.TroveGuestPipeline("isolated", {
        ...base,
        troveRelease: "2024.2",
        versions: v,
        managementNetworkCidr: "10.1.0.0/16",
      });
      new p.TroveGuestPipeline("inside", {
        ...base,
        troveRelease: "2024.2",
        versions: v,
        managementNetworkCidr: "10.0.0.0/24",
      });
      new p.TroveGuestPipeline("before22", {
        ...base,
        troveRelease: "2024.1",
        versions: v,
        managementNetworkCidr: "10.1.0.0/16",
      });
      new p.TroveGuestPipeline("existing", {
        ...base,
        troveRelease: "2025.1",
        versions: v,
        managementNetworkCidr: "10.1.0.0/16",
        registry: { existing: { address: pulumi.output("172.16.0.9:5000"), insecure: true } },
      });
      await valueOf(pulumi.output("settle"));
      await new Promise((r) => setTimeout(r, 50));
      expect(
        warn.mock.calls
          .map((c) => String(c[0]))
          .filter((w) => w.includes("managementNetworkCidr"))
          .sort(),
      ).toEqual([
        'TroveGuestPipeline "existing": the registry address 172.16.0.9:5000 is outside managementNetworkCidr 10.1.0.0/16; Trove 2025.1 guests pull over the management network only (network_isolation is on by default), so they may not reach it',
        'TroveGuestPipeline "isolated": the registry address 10.0.0.5:4000 is outside managementNetworkCidr 10.1.0.0/16; Trove 2024.2 guests pull over the management network only (network_isolation is on by default), so they may not reach it',
      ]);
    } finally {
      warn.mockRestore();
    }
  });

  it("preloads every database and backup image it publishes into the guest image, on request, and refuses it where trovestack cannot", async () => {
    const v = [{ datastore: "mysql", version: "8.4" }];
    new p.TroveGuestPipeline("preload", {
      ...base,
      troveRelease: "2026.2",
      allowUntested: true,
      guestImage: { ...guestImage, guestOsRelease: "noble", preloadImages: true },
      versions: v,
      datastoreImages: { backupCheckout: { dir: "/opt/stack/trove" }, buildBackupImages: true },
    } as never);
    const build = await mocks.waitFor("preload-guest-build");
    expect((build.inputs.environment as Record<string, string>).DIB_TROVE_DOCKER_IMAGES).toMatch(
      /^[^ ]*db-backup-mysql[^ ]* [^ ]*\/mysql:8\.4$/,
    );
    expect((build.inputs.triggers as string[]).some((t) => t.startsWith("preload:") && t.includes("/mysql:8.4"))).toBe(
      true,
    );
    expect(
      () =>
        new p.TroveGuestPipeline("nopreload", {
          ...base,
          troveRelease: "2026.1",
          allowUntested: true,
          guestImage: { ...guestImage, preloadImages: true },
          versions: v,
        }),
    ).toThrow(
      /GuestImageBuild "nopreload-guest": preloadImages "\(images\)" is not valid \(Trove 2026.1's trovestack does not read DIB_TROVE_DOCKER_IMAGES/,
    );
  });

  describe("rejects bad input at construction", () => {
    it.each([
      ["no versions", { versions: [] }, /versions "\[\]" is not valid \(list at least one datastore version/],
      [
        "an unknown datastore",
        { versions: [{ datastore: "oracle", version: "19" }] },
        /versions\[0\].datastore "oracle" is not valid \(known: mariadb, mysql, postgresql\)/,
      ],
      [
        "a malformed version",
        { versions: [{ datastore: "mysql", version: "5.7-latest" }] },
        /versions\[0\].version "5.7-latest" is not valid \(expected 1 to 4 dot-separated numbers/,
      ],
      [
        "a version twice",
        {
          versions: [
            { datastore: "mysql", version: "8.0" },
            { datastore: "mysql", version: "8.0" },
          ],
        },
        /versions "mysql:8.0" is not valid \(each datastore version once\)/,
      ],
      [
        "two defaults for one datastore",
        {
          versions: [
            { datastore: "mysql", version: "8.0", default: true },
            { datastore: "mysql", version: "5.7.29", default: true },
          ],
        },
        /versions\[1\].default "true" is not valid \(versions\[0\] \(mysql 8.0\) is already mysql's default; at most one default version per datastore\)/,
      ],
      [
        "an unknown Trove release",
        { versions, troveRelease: "victoria" },
        /troveRelease "victoria" is not valid \(known releases: zed, 2023.1/,
      ],
      [
        "no Trove release",
        { versions, troveRelease: undefined },
        /TroveGuestPipeline "bad": troveRelease undefined is not valid \(say which Trove release the controller runs \(known releases: zed, .*, 2026.2\)\)/,
      ],
      [
        "a malformed management network",
        { versions, managementNetworkCidr: "10.0.0.0/33" },
        /TroveGuestPipeline "bad": managementNetworkCidr "10.0.0.0\/33" is not valid \(expected an IPv4 or IPv6 network in CIDR notation, e.g. 10.0.0.0\/24 or fd00::\/64\)/,
      ],
      [
        "a management network without a prefix",
        { versions, managementNetworkCidr: "10.0.0.0" },
        /managementNetworkCidr "10.0.0.0" is not valid \(expected an IPv4 or IPv6 network in CIDR notation/,
      ],
      ["a region name with spaces", { versions, regions: [{ name: "Region One" }] }, /regions\[0\].name "Region One"/],
      [
        "two registries",
        { versions, registry: { local: { advertisedHost: "10.0.0.5" }, existing: { address: "r:1", insecure: true } } },
        /registry.existing .* is not valid \(give exactly one of local and existing\)/,
      ],
    ])("%s", (_label, extra, message) => {
      expect(() => new p.TroveGuestPipeline("bad", { ...base, ...(extra as object) } as never)).toThrow(message);
    });
  });
});

describe("resource names that survive a change of regions or a version rename", () => {
  it("names a version by datastore and number, so renaming it is an in-place update, not a new resource", async () => {
    const { versionLabel } = await import("../../components/pipeline/pipeline.js");
    expect(versionLabel({ datastore: "mysql", version: "5.7.29" })).toBe("mysql-5-7-29");
  });

  it("keeps the implicit region's unsuffixed names as aliases when a region is added or the list goes back to one", async () => {
    const { regionSuffix, previousRegionSuffixes } = await import("../../components/pipeline/pipeline.js");
    const implicit = [{ name: "default" }];
    expect(regionSuffix(implicit, implicit[0]!)).toBe("");
    expect(previousRegionSuffixes(implicit, implicit[0]!)).toEqual(["-default"]);
    const two = [{ name: "default" }, { name: "west" }];
    expect(regionSuffix(two, two[0]!)).toBe("-default");
    expect(previousRegionSuffixes(two, two[0]!)).toEqual([""]);
    const renamed = [{ name: "east" }, { name: "west" }];
    expect(previousRegionSuffixes(renamed, renamed[0]!)).toEqual([""]);
    // Only the first region takes over the implicit region's resources; a new region starts its own.
    expect(previousRegionSuffixes(renamed, renamed[1]!)).toEqual([]);
  });
});

describe("TroveGuestPipeline on day two", () => {
  it("keeps one record per region of the versions it serves, counted on a local controller or over SSH, and moves a default before clearing the old one", async () => {
    new p.TroveGuestPipeline("day", {
      ...base,
      troveRelease: "2025.1",
      versions: [
        { datastore: "mariadb", version: "10.4" },
        { datastore: "mariadb", version: "10.5", default: true },
      ],
      allowUntested: true,
      regions: [
        { name: "east", troveController: { troveConfPath: "/etc/trove/trove.conf" } },
        {
          name: "west",
          troveController: {
            connection: { host: "10.0.0.9", user: "stack", privateKey: pulumi.secret("KEY"), hostKey: testHostKey() },
          },
        },
      ],
      registration: { whenInUse: "fail" },
    });
    await mocks.waitFor("day-version-west-mariadb-10-4");
    expect(mocks.named("day-retirement-east").inputs).toMatchObject({
      serving: [
        { datastore: "mariadb", name: "10.4", version: "10.4" },
        { datastore: "mariadb", name: "10.5", version: "10.5" },
      ],
      whenInUse: "fail",
      where: "region east",
      counter: { python: "/usr/bin/python3", troveConfPath: "/etc/trove/trove.conf" },
    });
    // Over SSH, counted on the controller: its address, the default port, the host key as `<type> <base64>`, and the
    // key, secret (the mock's deserializer marks the whole object; the record's check uses the key and never stores
    // it: test/integration/day-two.test.ts reads the state).
    expect(mocks.named("day-retirement-west").inputs.counter).toEqual(
      wireSecret({
        python: "/usr/bin/python3",
        troveConfPath: "/etc/trove/trove.conf",
        connection: {
          host: "10.0.0.9",
          port: 22,
          user: "stack",
          privateKey: "KEY",
          hostKey: testHostKey().split(" ").slice(0, 2).join(" "),
        },
      }),
    );
    // The default's version is updated first: the other versions of its datastore wait for it.
    expect(mocks.named("day-version-east-mariadb-10-4").dependsOn).toContain("day-version-east-mariadb-10-5");
    expect(mocks.named("day-version-east-mariadb-10-5").dependsOn).not.toContain("day-version-east-mariadb-10-4");
  });

  it("refuses a region controller's connection without a host key (the usage count connects there), naming the field", () => {
    expect(
      () =>
        new p.TroveGuestPipeline("no-host-key", {
          ...base,
          versions,
          regions: [{ name: "east", troveController: { connection: { host: "10.0.0.9", user: "stack" } } }],
        }),
    ).toThrow(/regions\[0\]\.troveController\.connection\.hostKey.*required: the host's public key line/);
  });

  it("refuses an unknown whenInUse, naming the field and the values it takes", () => {
    expect(
      () => new p.TroveGuestPipeline("bad-when", { ...base, versions, registration: { whenInUse: "keep" as never } }),
    ).toThrow(/registration\.whenInUse.*"retire", "fail"|registration\.whenInUse.*retire.*fail/);
  });
});

describe("TroveGuestPipeline passes its release to TroveConfig (issue 25)", () => {
  it("on 2026.2 the config apply reports a leftover [service_credentials], and troveConfig.swift reaches trove.conf", async () => {
    const controller = {
      connection: { host: "10.0.0.5", user: "root", privateKey: pulumi.secret("KEY"), hostKey: testHostKey() },
    };
    const pipeline = new p.TroveGuestPipeline("r262", {
      ...base,
      troveRelease: "2026.2",
      versions: [{ datastore: "mysql", version: "8.4", default: true }],
      guestImage: { ...guestImage, guestOsRelease: "noble" },
      troveConfig: { controller, swift: { url: "http://10.0.0.5:8080/v1/AUTH_" } },
    });
    const apply = await mocks.waitFor("r262-config-apply");
    const request = JSON.parse(
      (apply.inputs.stdin as { value: string }).value,
    ) as import("../../components/trove/trove-config.js").EditorRequest;
    expect(request.files.map((f) => f.report)).toEqual([undefined, ["service_credentials"]]);
    expect(await valueOf(pipeline.troveConfig!.troveConf)).toContain("swift_url = http://10.0.0.5:8080/v1/AUTH_\n");
  });
});
