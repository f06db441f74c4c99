// Day two against the lab of each Trove release, through the engine harness (stacks/program.ts under Pulumi's own
// runner, DatastoreVersion and the retirement record in Pulumi's dynamic-provider host): a default moved and a version
// deactivated in place, in an order that never leaves the datastore without a default; versions taken out of the stack
// while instances, backups and configuration groups (rows written with Trove's own models, as Trove writes them) still
// use them: kept inactive with their parameters and a Glance image their tags find, in preview as at up; the strict
// mode refusing; deleted rows that still hold a version on MariaDB; and the clean removal once nothing uses them.
// The region's controller is this machine on 2025.1, and on zed and 2026.2 a throwaway sshd on 127.0.0.1 (root, its
// own host key, the stack's `controllerSshKey`), so the record counts over SSH there, as devstack and production do;
// there, the stack's state is also read for the key.

import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trove } from "../../components/trove/trove-client";
import { PulumiEngine } from "../support/engine/engine";
import { isSecret } from "../support/engine/wire";
import { startRegistry, TestRegistry } from "../support/registry";
import { startSshd, TestSshd } from "../support/sshd";
import { ensureLab, Lab, labReleases } from "../support/lab";
import { troveRest, TroveRest } from "../support/trove-rest";
import { imageTroveFinds } from "../support/openstack-apply";

const ROOT = path.join(__dirname, "..", "..");
const ROWS = path.join(__dirname, "../support/trove_rows.py");
const TENANT = "day-two-tenant";
/** The releases whose controller is reached over SSH (the others count on this machine), and each one's sshd port. */
const OVER_SSH: Record<string, number> = { zed: 16231, "2026.2": 16233 };
/**
 * Each release's registry the images are published to (the zed lab's upstream registry is only read): three releases
 * copying the same blobs into one registry at once made one copy fail in CI ("manifest blob unknown").
 */
const REGISTRY_PORT: Record<string, number> = { zed: 16241, "2025.1": 16242, "2026.2": 16243 };

/** The value with every secret replaced, as the engine encrypts secrets in the state: what is left is plain text. */
function withoutSecrets(value: unknown): unknown {
  if (isSecret(value)) return "[secret]";
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutSecrets(v)]));
  return value;
}

/** The private key's lines that carry key material (its base64 body). */
function keyLines(privateKey: string): string[] {
  return privateKey.split("\n").filter((l) => l.length >= 16 && !l.startsWith("-----"));
}

type Versions = Array<{
  datastore: string;
  version: string;
  default?: boolean;
  active?: boolean;
  upstreamTag?: string;
}>;
const FIRST: Versions = [
  { datastore: "mysql", version: "5.7.29", default: true },
  { datastore: "mariadb", version: "10.4", default: true },
  { datastore: "mariadb", version: "10.5", upstreamTag: "10.4" },
];

// The releases run side by side: each has its own lab (Keystone, Glance, Trove, MariaDB) and its own repository.
describe.concurrent("day two", () => {
  for (const release of labReleases()) {
    describe(`on Trove ${release}`, () => {
      let lab: Lab;
      let engine: PulumiEngine;
      let sshd: TestSshd | undefined;
      let registry: TestRegistry | undefined;
      let api: TroveRest;
      // A guest image file of this test's own: the lab's image file is rewritten by the lab stack's test, in another
      // lane, and a changed file is a new image.
      let image: string;
      const rows = (...args: string[]) =>
        JSON.parse(
          execFileSync(lab.python, ["-c", readFileSync(ROWS, "utf8"), lab.troveConf, ...args], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
          })
            .trim()
            .split("\n")
            .pop()!,
        ) as Record<string, unknown>;
      // Trove's REST API for the reads (the CLI spends seconds starting, three labs at once).
      const parameterCount = async (id: string) => (await api.parameters(id)).length;
      const shown = (id: string) => api.version(id);
      const gone = async (id: string) =>
        api.version(id).then(
          () => false,
          (e: { status?: number }) => e.status === 404 || e.status === 400,
        );
      const datastoreDefault = async (d: string) =>
        ((await trove(api.session, "GET", `/datastores/${d}`)) as { datastore: { default_version?: string } }).datastore
          .default_version;
      const configFor = (versions: Versions, registration: Record<string, unknown> = {}) => ({
        "pulumi-trove:troveRelease": release,
        "pulumi-trove:allowUntested": true,
        "pulumi-trove:versions": versions,
        "pulumi-trove:guestImage": { existingImagePath: image },
        "pulumi-trove:glanceImage": { name: `trove-guest-day-two-${release}` },
        "pulumi-trove:regions": [
          {
            name: "lab",
            cloud: "trove-lab",
            troveController: {
              troveConfPath: lab.troveConf,
              python: lab.python,
              ...(sshd
                ? { connection: { host: "127.0.0.1", port: sshd.port, user: sshd.user, hostKey: sshd.hostPublicKey } }
                : {}),
            },
          },
        ],
        // A registry of this run's own stands in for an existing one: nothing to run, nothing to build.
        "pulumi-trove:registry": { existing: { address: registry!.address, insecure: true } },
        "pulumi-trove:datastoreImages": {
          upstreamRegistry: "127.0.0.1:5001",
          upstreamInsecure: true,
          buildBackupImages: false,
          repository: `day-two-${release.replace(".", "-")}`,
        },
        "pulumi-trove:registration": {
          loadConfigurationParameters: true,
          rulesSourceDir: path.dirname(path.dirname(lab.troveTemplates)),
          ...registration,
        },
        "pulumi-trove:troveConfig": false,
      });
      const ids = () => (engine.stackOutputs as { versionIds: Record<string, Record<string, string>> }).versionIds.lab!;
      const warnings = (r: { logs: Array<{ severity: string; message: string }> }) =>
        r.logs.filter((l) => l.severity === "warning").map((l) => l.message);

      beforeAll(async () => {
        lab = ensureLab(release);
        ensureLab("zed"); // its upstream registry
        api = await troveRest(lab);
        image = path.join(lab.dir, "images", "day-two-guest.qcow2");
        mkdirSync(path.dirname(image), { recursive: true });
        execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", image, "16M"]);
        const env: NodeJS.ProcessEnv = { ...process.env, OS_CLIENT_CONFIG_FILE: lab.cloudsYaml };
        for (const k of Object.keys(env)) if (/^OS_/.test(k) && k !== "OS_CLIENT_CONFIG_FILE") delete env[k];
        if (OVER_SSH[release]) sshd = await startSshd(OVER_SSH[release]);
        registry = await startRegistry(REGISTRY_PORT[release]!);
        engine = new PulumiEngine({
          root: ROOT,
          stack: "lab",
          env,
          ...(sshd ? { secrets: { controllerSshKey: sshd.privateKey } } : {}),
        });
      }, 300_000);

      afterAll(async () => {
        // Whatever failed, the lab is left as it was: the rows go first, so that Trove lets the versions go.
        try {
          if (lab) rows("purge", TENANT);
        } catch (error) {
          console.error(`day two on Trove ${release}: the test rows could not be purged: ${String(error)}`);
        }
        if (engine?.state.length) {
          engine.options.configOverrides = configFor(FIRST);
          await engine.destroy();
        }
        if (image) rmSync(image, { force: true });
        // After destroy, whose parameter deletes run on the controller.
        await sshd?.stop();
        await registry?.stop();
      }, 300_000);

      it("moves the default and deactivates in place; keeps what databases use, inactive, in preview and at up; refuses in strict mode; removes it once nothing uses it", async () => {
        engine.options.configOverrides = configFor(FIRST);
        const first = await engine.up();
        expect(first.errors, first.programOutput).toEqual([]);
        const created = { ...ids() };
        const published = (engine.stackOutputs as { imageReferences: Record<string, { database: string }> })
          .imageReferences;
        const images = ["mysql:5.7.29", "mariadb:10.4"].map((k) => published[k]!.database);
        const imageId = (engine.stackOutputs as { glanceImageIds: Record<string, string> }).glanceImageIds.lab!;
        expect(await datastoreDefault("mariadb")).toBe(created["mariadb:10.4"]);

        // Default moved to 10.5 and 10.4 deactivated: two in-place updates, the new default's first.
        const moved: Versions = [
          FIRST[0]!,
          { datastore: "mariadb", version: "10.4", active: false },
          { datastore: "mariadb", version: "10.5", upstreamTag: "10.4", default: true },
        ];
        engine.options.configOverrides = configFor(moved);
        const movePreview = await engine.preview();
        expect(movePreview.errors).toEqual([]);
        expect(movePreview.changes.map((c) => [c.op, c.name, c.changes])).toEqual([
          ["update", "lab-version-lab-mariadb-10-5", ["default"]],
          ["update", "lab-version-lab-mariadb-10-4", ["active", "default"]],
        ]);
        const move = await engine.up();
        expect(move.errors).toEqual([]);
        expect(move.changes.map((c) => c.name)).toEqual([
          "lab-version-lab-mariadb-10-5",
          "lab-version-lab-mariadb-10-4",
        ]);
        expect(ids()).toEqual(created);
        expect(await datastoreDefault("mariadb")).toBe(created["mariadb:10.5"]);
        expect((await shown(created["mariadb:10.4"]!)).active).toBe(false);

        // Databases on 10.4 and on mysql 5.7.29: an instance; a backup and a configuration group.
        const [instance, , group] = rows(
          "add",
          "instance",
          created["mariadb:10.4"]!,
          TENANT,
          "add",
          "backup",
          created["mysql:5.7.29"]!,
          TENANT,
          "add",
          "configuration",
          created["mysql:5.7.29"]!,
          TENANT,
        ).ids as string[];
        const mysqlParameters = await parameterCount(created["mysql:5.7.29"]!);
        const mariadbParameters = await parameterCount(created["mariadb:10.4"]!);
        expect(mysqlParameters).toBeGreaterThan(0);

        // Both taken out of the stack (mysql altogether): the preview already says they are kept, and deletes nothing.
        const onlyNew: Versions = [{ datastore: "mariadb", version: "10.5", upstreamTag: "10.4", default: true }];
        engine.options.configOverrides = configFor(onlyNew);
        const loginsBefore = sshd?.logins();
        const retirePreview = await engine.preview();
        expect(retirePreview.errors).toEqual([]);
        // Over SSH, the preview counted on the controller: one login (the parameter loads run nothing in a preview).
        if (sshd) expect(sshd.logins()).toBe(loginsBefore! + 1);
        // Only the publish steps of the images go (their delete removes nothing from the registry: the images stay).
        const removes = (r: typeof retirePreview) =>
          r.changes.filter((c) => (c.op === "delete" || c.op === "replace") && !/-images-publish-/.test(c.name));
        expect(removes(retirePreview)).toEqual([]);
        const lines = [
          "mysql 5.7.29 in region lab kept inactive: in use by 0 instances, 1 backup, 1 configuration group; it is removed by the first up after they are gone",
          "mariadb 10.4 in region lab kept inactive: in use by 1 instance, 0 backups, 0 configuration groups; it is removed by the first up after they are gone",
        ];
        for (const l of lines) expect(warnings(retirePreview).join("\n")).toContain(`TroveGuestPipeline "lab": ${l}`);
        expect(warnings(retirePreview).join("\n")).not.toContain("no longer listed:");
        const retire = await engine.up();
        expect(retire.errors).toEqual([]);
        expect(removes(retire)).toEqual([]);
        if (sshd) {
          // The key reached the controller's commands as a secret, and the record never kept it: the state's plain
          // text (its secrets taken out, as the engine encrypts them) holds no line of it, nor does the record at all.
          const material = keyLines(sshd.privateKey);
          expect(material.length).toBeGreaterThan(0);
          const plainState = JSON.stringify(withoutSecrets(engine.state));
          const record = JSON.stringify(engine.state.filter((r) => r.type.endsWith(":DatastoreVersionRetirement")));
          expect(record).toContain(`"connection":{"host":"127.0.0.1","port":${sshd.port},"user":"root"}`);
          for (const line of material) {
            expect(plainState).not.toContain(line);
            expect(record).not.toContain(line);
          }
          expect(JSON.stringify(engine.state)).toContain(material[0]);
        }
        for (const ref of images)
          execFileSync("skopeo", ["inspect", "--tls-verify=false", "--raw", `docker://${ref}`], { stdio: "pipe" });
        expect(retire.changes.map((c) => c.name)).toContain("lab-version-lab-mysql-5-7-29");
        expect(
          (engine.stackOutputs as { retiredVersions: Record<string, Array<{ reason: string }>> }).retiredVersions
            .lab!.map((r) => r.reason)
            .sort(),
        ).toEqual([...lines].sort());
        // Still in Trove, inactive, with every parameter, and Trove's own lookup still finds the image by their tags.
        for (const key of ["mysql:5.7.29", "mariadb:10.4"]) expect((await shown(created[key]!)).active).toBe(false);
        // mysql is no longer listed at all: Trove's own lookup still finds the image by its tags.
        const servingNow = (engine.stackOutputs as { glanceImageIds: Record<string, string> }).glanceImageIds.lab!;
        expect(imageTroveFinds(lab, (await shown(created["mysql:5.7.29"]!)).image_tags)).toBe(servingNow);
        expect(servingNow).toBe(imageId);
        expect(await parameterCount(created["mysql:5.7.29"]!)).toBe(mysqlParameters);
        expect(await parameterCount(created["mariadb:10.4"]!)).toBe(mariadbParameters);
        expect(await datastoreDefault("mariadb")).toBe(created["mariadb:10.5"]);

        // A replacement of the versions in use: the region's place named explicitly (`region: RegionOne`, the cloud's
        // own) replaces every version it holds, and a replacement deletes first. Refused at preview and at up, before
        // anything runs: each version, its parameters and the image its tags find stay as they were.
        const placed: Record<string, unknown> = { ...configFor(onlyNew) };
        placed["pulumi-trove:regions"] = [
          { ...(placed["pulumi-trove:regions"] as Array<Record<string, unknown>>)[0]!, region: "RegionOne" },
        ];
        engine.options.configOverrides = placed;
        const movedLines = [
          'mysql 5.7.29 in region lab is still in use by 0 instances, 1 backup, 1 configuration group, and its region moves from cloud "trove-lab", the cloud\'s region to cloud "trove-lab", region "RegionOne", which replaces the version',
          "mariadb 10.4 in region lab is still in use by 1 instance, 0 backups, 0 configuration groups, and its region moves from",
        ];
        for (const run of [await engine.preview(), await engine.up()]) {
          expect(run.ok).toBe(false);
          for (const l of movedLines) expect(run.errors.join("\n")).toContain(l);
          // Only the region's provider (its region) and the Glance quota check, which reads, follow the new place.
          expect(
            run.changes
              .filter((c) => c.type !== "pulumi:providers:openstack" && !c.name.endsWith("-quota"))
              .map((c) => [c.op, c.name]),
          ).toEqual([]);
        }
        for (const key of ["mysql:5.7.29", "mariadb:10.4", "mariadb:10.5"])
          expect((await shown(created[key]!)).id).toBe(created[key]);
        expect(await parameterCount(created["mysql:5.7.29"]!)).toBe(mysqlParameters);
        expect(await parameterCount(created["mariadb:10.4"]!)).toBe(mariadbParameters);
        expect(imageTroveFinds(lab, (await shown(created["mariadb:10.4"]!)).image_tags)).toBe(imageId);

        // Strict: the same change fails the preview with the line that says what uses the version and how to go on.
        engine.options.configOverrides = configFor(onlyNew, { whenInUse: "fail" });
        const strict = await engine.preview();
        expect(strict.ok).toBe(false);
        expect(strict.errors.join("\n")).toContain(
          'mariadb 10.4 in region lab is still in use by 1 instance, 0 backups, 0 configuration groups, and registration.whenInUse is "fail"',
        );

        // What used them is deleted, as Trove deletes (rows marked deleted): MariaDB's foreign keys still hold the
        // version (Trove could not delete it), so it stays, and the preview says why. Configurations have no such key.
        rows("delete", "configuration", group!, "instance", instance!);
        engine.options.configOverrides = configFor(onlyNew);
        const heldBack = await engine.preview();
        expect(heldBack.errors).toEqual([]);
        expect(warnings(heldBack).join("\n")).toContain(
          "mysql 5.7.29 in region lab kept inactive: in use by 0 instances, 1 backup, 0 configuration groups",
        );
        expect(warnings(heldBack).join("\n")).toContain(
          "mariadb 10.4 in region lab kept inactive: not in use, but Trove's database still holds 1 deleted instance and 0 deleted backups that refer to it (MySQL/MariaDB foreign keys), so Trove cannot delete it",
        );

        // Once nothing refers to them any more, the next up deletes them for real.
        rows("purge", TENANT);
        const clean = await engine.up();
        expect(clean.errors).toEqual([]);
        const deleted = clean.changes
          .filter((c) => c.op === "delete")
          .map((c) => c.name)
          .sort();
        expect(deleted).toEqual(
          expect.arrayContaining([
            "lab-parameters-lab-mariadb-10-4",
            "lab-parameters-lab-mysql-5-7-29",
            "lab-version-lab-mariadb-10-4",
            "lab-version-lab-mysql-5-7-29",
          ]),
        );
        expect((engine.stackOutputs as { retiredVersions: Record<string, unknown[]> }).retiredVersions.lab).toEqual([]);
        expect(await gone(created["mariadb:10.4"]!)).toBe(true);
        expect(await gone(created["mysql:5.7.29"]!)).toBe(true);
        expect((await shown(created["mariadb:10.5"]!)).active).toBe(true);
      }, 900_000);
    });
  }
});
