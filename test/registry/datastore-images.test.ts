// DatastoreImages under Pulumi mocks: one command per version that mirrors the database image and builds the backup
// image, taking over the mirror command of the earlier two-command release by alias; the names Trove's guest agent
// will pull, the registry password kept secret, and the errors for input Trove cannot serve.

import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { installMocks, MockState, valueOf } from "../support/pulumi-mocks";

let mocks: MockState;
let d: typeof import("../../components/registry/datastore-images.js");

beforeAll(async () => {
  mocks = await installMocks({
    outputs: (type, _name, inputs) => {
      if (type !== "command:local:Command") return undefined;
      // A secret environment reaches mocks wrapped: { <signature>: …, value }.
      const wrapped = inputs.environment as { value?: Record<string, string> } & Record<string, string>;
      const env = wrapped.value ?? wrapped;
      const digest = `sha256:${"e".repeat(64)}`;
      const backup = env.BACKUP_REFERENCE
        ? { backup: { reference: env.BACKUP_REFERENCE, digest, logPath: env.BACKUP_LOG, built: true } }
        : {};
      return {
        stdout: JSON.stringify({ database: { reference: env.MIRROR_TARGET, digest, copied: true }, ...backup }),
      };
    },
  });
  d = await import("../../components/registry/datastore-images.js");
});

const registry = { address: "10.0.0.5:4000", insecure: true };

describe("DatastoreImages", () => {
  it("mirrors each version under its version tag and builds its backup image, one command per version, on Trove 18 names", async () => {
    const images = new d.DatastoreImages("zed", {
      registry,
      versions: [
        { datastore: "mysql", version: "5.7.29" },
        { datastore: "mysql", version: "8.0" },
        { datastore: "postgresql", version: "12" },
      ],
      troveRelease: "zed",
      allowUntested: true, // mysql 8.0 on Trove 18: its CI ran 5.7 only
      backupCheckout: { dir: "/opt/stack/trove" },
      backupTag: "1.1.0",
    });
    expect(await valueOf(images.images)).toEqual({
      "mysql:5.7.29": {
        database: "10.0.0.5:4000/trove-datastores/mysql:5.7.29",
        databaseDigest: `sha256:${"e".repeat(64)}`,
        backup: "10.0.0.5:4000/trove-datastores/db-backup-mysql5.7:1.1.0",
        backupBuildLog: "/var/tmp/pulumi-trove-logs/zed-backup-mysql-5-7-29.log",
      },
      "mysql:8.0": {
        database: "10.0.0.5:4000/trove-datastores/mysql:8.0",
        databaseDigest: `sha256:${"e".repeat(64)}`,
        backup: "10.0.0.5:4000/trove-datastores/db-backup-mysql8.0:1.1.0",
        backupBuildLog: "/var/tmp/pulumi-trove-logs/zed-backup-mysql-8-0.log",
      },
      "postgresql:12": {
        database: "10.0.0.5:4000/trove-datastores/postgres:12",
        databaseDigest: `sha256:${"e".repeat(64)}`,
        backup: "10.0.0.5:4000/trove-datastores/db-backup-postgresql:1.1.0",
        backupBuildLog: "/var/tmp/pulumi-trove-logs/zed-backup-postgresql-12.log",
      },
    });
    expect(await valueOf(images.guestAgentOptions)).toEqual({
      mysql: {
        dockerImage: "10.0.0.5:4000/trove-datastores/mysql",
        backupDockerImage: "10.0.0.5:4000/trove-datastores/db-backup-mysql:1.1.0",
      },
      postgresql: {
        dockerImage: "10.0.0.5:4000/trove-datastores/postgres",
        backupDockerImage: "10.0.0.5:4000/trove-datastores/db-backup-postgresql:1.1.0",
      },
    });
    const commands = mocks.resources.filter((r) => r.type === "command:local:Command" && r.name.startsWith("zed-"));
    expect(commands.map((r) => r.name).sort()).toEqual([
      "zed-publish-mysql-5-7-29",
      "zed-publish-mysql-8-0",
      "zed-publish-postgresql-12",
    ]);
    const mysql = mocks.named("zed-publish-mysql-5-7-29").inputs;
    expect([mysql.create, mysql.update]).toEqual([d.PUBLISH_SCRIPT, d.PUBLISH_SCRIPT]);
    expect(mysql.environment).toMatchObject({
      MIRROR_SOURCE: "docker.io/library/mysql:5.7.29",
      MIRROR_TARGET: "10.0.0.5:4000/trove-datastores/mysql:5.7.29",
      MIRROR_UPSTREAM_INSECURE: "false",
    });
    // The mirror's triggers: a source or target change replaces; the backup's inputs reach the script, which decides.
    expect(mysql.triggers).toEqual(["docker.io/library/mysql:5.7.29", "10.0.0.5:4000/trove-datastores/mysql:5.7.29"]);
    const pg = mocks.named("zed-publish-postgresql-12").inputs;
    expect(pg.environment).toMatchObject({
      BACKUP_CONTEXT: "/opt/stack/trove/backup",
      BACKUP_DATASTORE: "postgresql",
      BACKUP_VERSION: "12",
      BACKUP_TROVE_REF: "unknown",
      BACKUP_REFERENCE: "10.0.0.5:4000/trove-datastores/db-backup-postgresql:1.1.0",
      BACKUP_LOG: "/var/tmp/pulumi-trove-logs/zed-backup-postgresql-12.log",
    });
    expect(d.PUBLISH_SCRIPT).toContain('cd -- "$BACKUP_CONTEXT"');
    expect(d.PUBLISH_SCRIPT).toContain(
      'docker build --network host --build-arg "DATASTORE=${BACKUP_BUILD_DATASTORE:-$BACKUP_DATASTORE}" --build-arg "DATASTORE_VERSION=${BACKUP_BUILD_VERSION:-$BACKUP_VERSION}" --label "$BACKUP_SOURCE_LABEL=$source" -t "$ref" .',
    );
    expect(d.PUBLISH_SCRIPT).toContain(`BACKUP_SOURCE_LABEL=${d.BACKUP_SOURCE_LABEL}\n`);
  });

  it("takes over the mirror command of the two-command release by an alias to its name", async () => {
    new d.DatastoreImages("older", {
      registry,
      versions: [{ datastore: "mysql", version: "8.0" }],
      troveRelease: "2026.1",
      backupCheckout: { dir: "/t", ref: "stable/2026.1" },
    });
    const publish = await mocks.waitFor("older-publish-mysql-8-0");
    expect(publish.aliases).toContainEqual(expect.objectContaining({ name: "older-mirror-mysql-8-0" }));
    expect(publish.inputs.environment).toMatchObject({ BACKUP_TROVE_REF: "stable/2026.1" });
    expect(mocks.resources.some((r) => r.name.startsWith("older-mirror") || r.name.startsWith("older-backup"))).toBe(
      false,
    );
  });

  it("names the step whose result is missing", () => {
    const steps = {
      mirror: 'DatastoreImages "x": the mirror of docker.io/library/mysql:8.0',
      backup: 'DatastoreImages "x": the backup image build of mysql:8.0',
    };
    const database = { reference: "r:1/m:8.0", digest: "sha256:1" };
    expect(d.parsePublishResult(JSON.stringify({ database, backup: database }), steps)).toEqual({
      database,
      backup: database,
    });
    expect(d.parsePublishResult(JSON.stringify({ database }), { mirror: steps.mirror })).toEqual({ database });
    expect(() => d.parsePublishResult("oops", steps)).toThrow(
      /^DatastoreImages "x": the mirror of docker.io\/library\/mysql:8.0 did not report its result \(its last output line is not JSON\)/,
    );
    expect(() => d.parsePublishResult(JSON.stringify({ database }), steps)).toThrow(
      /^DatastoreImages "x": the backup image build of mysql:8.0 did not report its result/,
    );
  });

  it("gives each version its own backup image on Trove 21+ (tagless option)", async () => {
    const images = new d.DatastoreImages("caracal", {
      registry,
      versions: [
        { datastore: "postgresql", version: "16" },
        { datastore: "postgresql", version: "17" },
      ],
      backupCheckout: { dir: "/t" },
      troveRelease: "2025.2",
    });
    const all = await valueOf(images.images);
    expect(all["postgresql:17"]!.backup).toBe("10.0.0.5:4000/trove-datastores/db-backup-postgresql:17");
    expect((await valueOf(images.guestAgentOptions)).postgresql!.backupDockerImage).toBe(
      "10.0.0.5:4000/trove-datastores/db-backup-postgresql",
    );
  });

  it("passes the registry password by environment, as a secret, never in the script", async () => {
    const images = new d.DatastoreImages("auth", {
      registry: { ...registry, username: "trove", password: pulumi.secret("s3cret") },
      versions: [{ datastore: "mariadb", version: "10.4" }],
      troveRelease: "zed",
      buildBackupImages: false,
    });
    const mirror = await mocks.waitFor("auth-publish-mariadb-10-4");
    expect(String(mirror.inputs.create)).not.toContain("s3cret");
    // The environment reaches the provider wrapped as a secret, so state holds it encrypted.
    expect(Object.keys(mirror.inputs.environment as object)).toContain("4dabf18193072939515e22adb298388d");
    // No backup images: no backup variables, and the result has none.
    expect(JSON.stringify(mirror.inputs.environment)).not.toContain("BACKUP_");
    expect((await valueOf(images.images))["mariadb:10.4"]).toEqual({
      database: "10.0.0.5:4000/trove-datastores/mariadb:10.4",
      databaseDigest: `sha256:${"e".repeat(64)}`,
    });
  });

  it("still takes its former fields troveSourceDir, backupSourceDir and troveRef, with one warning naming backupCheckout, and declares what backupCheckout declares; refuses a former field beside backupCheckout", async () => {
    const common = { registry, versions: [{ datastore: "postgresql", version: "17" }], troveRelease: "2026.1" };
    const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    let pair: InstanceType<typeof d.DatastoreImages>;
    let current: InstanceType<typeof d.DatastoreImages>;
    try {
      new d.DatastoreImages("former", { ...common, troveSourceDir: "/srv/trove" });
      pair = new d.DatastoreImages("formerpair", {
        ...common,
        backupSourceDir: "/srv/trove",
        troveRef: "stable/2026.1",
      });
      current = new d.DatastoreImages("checkoutobject", {
        ...common,
        backupCheckout: { dir: "/srv/trove", ref: "stable/2026.1" },
      });
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
        'DatastoreImages "former": troveSourceDir is deprecated: it is now backupCheckout.dir; the former name still works for now and will be removed in a later release',
        'DatastoreImages "formerpair": backupSourceDir and troveRef are deprecated: they are now backupCheckout.dir and backupCheckout.ref; the former names still work for now and will be removed in a later release',
      ]);
    } finally {
      warn.mockRestore();
    }
    expect((await mocks.waitFor("former-publish-postgresql-17")).inputs.environment).toMatchObject({
      BACKUP_CONTEXT: "/srv/trove/backup",
      BACKUP_TROVE_REF: "unknown",
    });
    // The former fields and the checkout object resolve alike and give the publish command the same inputs (its log
    // file is named for the component).
    const plain = (r: typeof current.resolved) => ({
      ...r,
      plans: r.plans.map((p) => ({ ...p, names: p.names("r:1") })),
    });
    expect(plain(pair.resolved)).toEqual(plain(current.resolved));
    const inputsOf = async (name: string) =>
      JSON.stringify((await mocks.waitFor(`${name}-publish-postgresql-17`)).inputs).replaceAll(name, "<name>");
    expect(await inputsOf("formerpair")).toEqual(await inputsOf("checkoutobject"));

    const refused = (name: string, extra: object) => () =>
      new d.DatastoreImages(name, { ...common, ...extra } as never);
    expect(refused("both", { troveSourceDir: "/a", backupCheckout: { dir: "/b" } })).toThrow(
      'DatastoreImages "both": troveSourceDir "/a" is not valid (troveSourceDir is the former name of backupCheckout.dir, and backupCheckout is given too; keep only backupCheckout).',
    );
    expect(refused("ref", { troveRef: "r1", backupCheckout: { dir: "/b", ref: "r2" } })).toThrow(
      'DatastoreImages "ref": troveRef "r1" is not valid (troveRef is the former name of backupCheckout.ref, and backupCheckout is given too; keep only backupCheckout).',
    );
    // The chain of renames: both former names of the directory at once.
    expect(refused("chain", { troveSourceDir: "/a", backupSourceDir: "/b" })).toThrow(
      'DatastoreImages "chain": troveSourceDir "/a" is not valid (troveSourceDir and backupSourceDir are both former names of backupCheckout.dir; keep only backupCheckout.dir).',
    );
  });

  it.each([
    [
      "two postgresql versions on Trove 18",
      {
        versions: [
          { datastore: "postgresql", version: "12" },
          { datastore: "postgresql", version: "12.4" },
        ],
      },
      /versions "postgresql:12 and postgresql:12.4" is not valid \(Trove zed pulls one backup image for both .*set troveRelease to 2024.1 or later/,
    ],
    [
      "an unknown datastore",
      { versions: [{ datastore: "redis", version: "7" }] },
      /versions\[0\].datastore "redis" is not valid \(known: mariadb, mysql, postgresql\)/,
    ],
    [
      "no Trove checkout for the backups",
      { versions: [{ datastore: "mysql", version: "8.0" }], backupCheckout: undefined },
      /backupCheckout undefined is not valid \(the Trove checkout whose backup\/ builds the backup images/,
    ],
    [
      "a version too long to be its own Docker tag",
      { versions: [{ datastore: "mysql", version: "1".repeat(130) }], allowUntested: true },
      /versions\[0\].upstreamTag "1{77}\.\.\." is not valid \(use up to 128 letters/,
    ],
    [
      "a bad repository",
      { versions: [{ datastore: "mysql", version: "8.0" }], repository: "Trove Datastores" },
      /repository "Trove Datastores" is not valid/,
    ],
    ["no versions", { versions: [] }, /versions "\[\]" is not valid/],
    [
      "no Trove release",
      { versions: [{ datastore: "mysql", version: "5.7.29" }], troveRelease: undefined },
      /DatastoreImages "bad": troveRelease undefined is not valid \(say which Trove release the controller runs \(known releases: zed, 2023.1, 2023.2, 2024.1, 2024.2, 2025.1, 2025.2, 2026.1, 2026.2\)\)/,
    ],
    [
      "a version Trove 2026.2 does not support",
      { versions: [{ datastore: "postgresql", version: "12" }], troveRelease: "2026.2" },
      /versions\[0\].version "12" is not valid \(Trove 2026.2 supports postgresql 16, 17, 18; set allowUntested: true to try it anyway\)/,
    ],
  ])("rejects %s", (_label, extra, message) => {
    expect(
      () =>
        new d.DatastoreImages("bad", {
          registry,
          backupCheckout: { dir: "/t" },
          troveRelease: "zed",
          ...(extra as object),
        } as never),
    ).toThrow(message);
  });
});

describe("DatastoreImages and the backup image's contract (issue 25)", () => {
  it("records 2026.2's contract with the guest agent in the backup label, so a change of release rebuilds the image", async () => {
    const { execFileSync } = await import("node:child_process");
    const path = await import("node:path");
    new d.DatastoreImages("c261", {
      registry,
      versions: [{ datastore: "mysql", version: "8.4" }],
      troveRelease: "2026.1",
      backupCheckout: { dir: "/t" },
    });
    new d.DatastoreImages("c262", {
      registry,
      versions: [{ datastore: "mysql", version: "8.4" }],
      troveRelease: "2026.2",
      backupCheckout: { dir: "/t" },
    });
    const env261 = (await mocks.waitFor("c261-publish-mysql-8-4")).inputs.environment as Record<string, string>;
    const env262 = (await mocks.waitFor("c262-publish-mysql-8-4")).inputs.environment as Record<string, string>;
    expect(env261.BACKUP_CONTRACT).toBeUndefined();
    expect(env262.BACKUP_CONTRACT).toBe("swift-preauth");
    // The label the script compares with the registry's image: same checkout and ref, another contract.
    const label = (env: Record<string, string>) =>
      execFileSync(
        "bash",
        [
          "-c",
          `. ${JSON.stringify(path.join(__dirname, "..", "..", "components", "internal", "scripts", "images.sh"))}; backup_source`,
        ],
        { env: { PATH: process.env.PATH, ...env }, encoding: "utf8" },
      ).trim();
    expect(label(env261)).toBe("trove unknown; mysql 8.4; /t/backup");
    expect(label(env262)).toBe("trove unknown; mysql 8.4; /t/backup; contract swift-preauth");
  });
});

describe("DatastoreImages and the backup image's install.sh (issue 25, point 4)", () => {
  it("refuses, before anything runs, a MySQL version whose backup image the release's install.sh cannot build, even with allowUntested", () => {
    expect(() =>
      d.resolveDatastoreImagesArgs("old", {
        registry,
        versions: [{ datastore: "mysql", version: "5.7.44" }],
        troveRelease: "2025.2",
        allowUntested: true,
        backupCheckout: { dir: "/t" },
      }),
    ).toThrow(
      /DatastoreImages "old": versions\[0\]\.version "5\.7\.44" is not valid \(Trove 2025\.2's backup image \(backup\/install\.sh\) installs Percona XtraBackup for MySQL 8\.0 and 8\.4 only, so the backup image of MySQL 5\.7 cannot be built; list a version of those lines, or set buildBackupImages: false and publish backup images yourself\)/,
    );
    expect(() =>
      d.resolveDatastoreImagesArgs("new-on-zed", {
        registry,
        versions: [{ datastore: "mysql", version: "8.4.3" }],
        troveRelease: "zed",
        allowUntested: true,
        backupCheckout: { dir: "/t" },
      }),
    ).toThrow(
      /Trove zed's backup image \(backup\/install\.sh\) installs Percona XtraBackup for MySQL 5\.7 and 8\.0 only/,
    );
    // Without backup images, only the support matrix speaks (and allowUntested waives it).
    expect(() =>
      d.resolveDatastoreImagesArgs("nobackup", {
        registry,
        versions: [{ datastore: "mysql", version: "5.7.44" }],
        troveRelease: "2025.2",
        allowUntested: true,
        buildBackupImages: false,
      }),
    ).not.toThrow();
    expect(
      () =>
        new d.DatastoreImages("comp", {
          registry,
          versions: [{ datastore: "mysql", version: "9.1.0" }],
          troveRelease: "2026.2",
          allowUntested: true,
          backupCheckout: { dir: "/t" },
        }),
    ).toThrow(/MySQL 9\.1 cannot be built/);
  });

  it("passes MySQL's version to the backup build as install.sh compares it: its line, inside DATASTORE on Trove 18-20", () => {
    const env = (troveRelease: string, datastore: string, version: string) => {
      const s = d.resolveDatastoreImagesArgs("args", {
        registry,
        versions: [{ datastore, version }],
        troveRelease,
        allowUntested: true,
        backupCheckout: { dir: "/t" },
      });
      return d.publishEnvironment("args", s, s.plans[0]!, { database: "r/db", backup: "r/backup" });
    };
    expect(env("zed", "mysql", "5.7.29")).toMatchObject({
      BACKUP_DATASTORE: "mysql",
      BACKUP_VERSION: "5.7.29",
      BACKUP_BUILD_DATASTORE: "mysql5.7",
      BACKUP_BUILD_VERSION: "5.7",
    });
    expect(env("2026.1", "mysql", "8.4.4")).toMatchObject({
      BACKUP_DATASTORE: "mysql",
      BACKUP_VERSION: "8.4.4",
      BACKUP_BUILD_VERSION: "8.4",
    });
    expect(env("2026.1", "mysql", "8.4.4")).not.toHaveProperty("BACKUP_BUILD_DATASTORE");
    expect(env("2026.1", "mysql", "8.4")).not.toHaveProperty("BACKUP_BUILD_VERSION");
    expect(env("2026.1", "postgresql", "17.4")).not.toHaveProperty("BACKUP_BUILD_VERSION");
    expect(d.PUBLISH_SCRIPT).toContain(
      '--build-arg "DATASTORE=${BACKUP_BUILD_DATASTORE:-$BACKUP_DATASTORE}" --build-arg "DATASTORE_VERSION=${BACKUP_BUILD_VERSION:-$BACKUP_VERSION}"',
    );
  });
});
