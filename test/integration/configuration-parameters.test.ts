// DatastoreConfigurationParameters against the lab of each Trove release: the commands the component declares (taken
// from the declaration under mocks) are run with bash, the request on stdin, as @pulumi/command would run them on the
// controller, with that release's own Python and Trove code against its Trove database (MariaDB, as operators run
// it); what they did is read back through Trove's REST API, and from the database itself.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  ConfigurationParameterRule,
  DatastoreConfigurationParametersArgs,
  ParametersSyncSummary,
} from "../../components/trove/configuration-parameters";
import { ensureLab, Lab, labReleases, releaseTemplates } from "../support/lab";
import { installMocks } from "../support/pulumi-mocks";
import { ParameterView, troveRest, TroveRest } from "../support/trove-rest";

const RUN = String(Date.now() % 1_000_000);

describe.each(labReleases())("DatastoreConfigurationParameters against the lab's Trove %s", (release) => {
  let lab: Lab;
  let api: TroveRest;
  let imageFile: string;
  let imageId: string;
  const created: string[] = [];

  /** Declares the component; returns its command's inputs (create, delete, stdin). */
  async function declare(
    name: string,
    args: Omit<DatastoreConfigurationParametersArgs, "controller">,
  ): Promise<Record<string, unknown>> {
    const mocks = await installMocks();
    const { DatastoreConfigurationParameters } = await import("../../components/trove/configuration-parameters.js");
    new DatastoreConfigurationParameters(name, {
      ...args,
      controller: { troveConfPath: lab.troveConf, python: lab.python },
    });
    return (await mocks.waitFor(`${name}-load`)).inputs;
  }

  /** Runs one of the declared commands as @pulumi/command would; returns the summary it prints. */
  function run(inputs: Record<string, unknown>, which: "create" | "delete"): ParametersSyncSummary {
    const stdout = execFileSync("bash", ["-c", String(inputs[which])], {
      input: String(inputs.stdin),
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
    });
    return JSON.parse(stdout.trim().split("\n").pop()!) as ParametersSyncSummary;
  }

  async function load(
    name: string,
    args: Omit<DatastoreConfigurationParametersArgs, "controller">,
  ): Promise<ParametersSyncSummary> {
    return run(await declare(name, args), "create");
  }

  const listParameters = (versionId: string): Promise<ParameterView[]> => api.parameters(versionId);

  function templateRules(datastore: string): ConfigurationParameterRule[] {
    return (
      JSON.parse(readFileSync(`${lab.troveTemplates}/${datastore}/validation-rules.json`, "utf8")) as {
        "configuration-parameters": ConfigurationParameterRule[];
      }
    )["configuration-parameters"];
  }

  /** A query against the lab's Trove database (MariaDB, unix socket in the lab directory). */
  function sql(query: string): { status: number; out: string } {
    const r = spawnSync(
      "mariadb",
      [
        "--no-defaults",
        `--socket=${path.join(lab.dir, "run", "mysqld.sock")}`,
        "-uroot",
        "-N",
        "-B",
        "trove",
        "-e",
        query,
      ],
      { encoding: "utf8" },
    );
    return { status: r.status ?? 1, out: `${r.stdout}${r.stderr}`.trim() };
  }

  async function createVersion(datastore: string, version: string): Promise<string> {
    const id = await api.createVersion(datastore, version, [`params${RUN}`]);
    created.push(id);
    return id;
  }

  const versionIds = async (datastore: string): Promise<string[]> => (await api.versions(datastore)).map((v) => v.id);

  beforeAll(async () => {
    lab = ensureLab(release);
    api = await troveRest(lab);
    // Trove checks a version's image tags when it is created: give it an image of its own.
    imageFile = path.join(mkdtempSync(path.join(tmpdir(), "params-")), "guest.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", imageFile, "16M"]);
    imageId = lab
      .openstack([
        "image",
        "create",
        `params-${RUN}`,
        "--disk-format",
        "qcow2",
        "--container-format",
        "bare",
        "--tag",
        `params${RUN}`,
        "--file",
        imageFile,
        "-f",
        "value",
        "-c",
        "id",
      ])
      .trim();
    await createVersion("postgresql", `12.${RUN}`);
    await createVersion("mysql", `5.7.${RUN}`);
  }, 300_000);

  afterAll(async () => {
    for (const id of created) await api.deleteVersion(id).catch(() => undefined); // some are deleted by the tests
    lab.openstack(["image", "delete", imageId]);
    rmSync(path.dirname(imageFile), { recursive: true, force: true });
    lab.release();
  });

  it("loads PostgreSQL's rules in full, boolean and float ones too, and a second run changes nothing", async () => {
    const version = `12.${RUN}`;
    const rulesFile = `${lab.troveTemplates}/postgresql/validation-rules.json`;
    const first = await load(`pg-${RUN}`, { datastore: "postgresql", versionName: version, rules: { rulesFile } });
    expect(first).toMatchObject({ versionId: created[0], changed: [], removed: [] });
    expect(first.added).toHaveLength(templateRules("postgresql").length);

    const listed = await listParameters(first.versionId);
    expect(listed).toHaveLength(templateRules("postgresql").length);
    const types = new Set(listed.map((p) => p.type));
    expect([...types].sort()).toEqual(["boolean", "float", "integer", "string"]);
    for (const rule of templateRules("postgresql").filter((r) => r.type === "integer")) {
      const shown = listed.find((p) => p.name === rule.name)!;
      expect({
        name: shown.name,
        type: shown.type,
        min: shown.min,
        max: shown.max,
        restart_required: shown.restart_required,
      }).toEqual({
        name: rule.name,
        type: "integer",
        min: rule.min,
        max: rule.max,
        restart_required: rule.restart_required,
      });
    }

    const again = await load(`pg-${RUN}`, { datastore: "postgresql", versionName: version, rules: { rulesFile } });
    expect(again).toMatchObject({ added: [], changed: [], removed: [], unchanged: templateRules("postgresql").length });
  });

  it("keeps the rules in step: an added, a changed and a removed rule are applied, the rest left alone", async () => {
    const version = `12.${RUN}`;
    const rules = templateRules("postgresql");
    const edited: ConfigurationParameterRule[] = [
      ...rules
        .filter((r) => r.name !== "array_nulls")
        .map((r) => (r.name === "max_connections" ? { ...r, max: 5000 } : r)),
      { name: "pulumi_trove_test", restart_required: true, type: "boolean" },
    ];
    const summary = await load(`pg-${RUN}`, {
      datastore: "postgresql",
      versionName: version,
      rules: { rules: edited },
    });
    expect(summary).toMatchObject({
      added: ["pulumi_trove_test"],
      changed: ["max_connections"],
      removed: ["array_nulls"],
      unchanged: rules.length - 2,
    });
    const listed = await listParameters(summary.versionId);
    expect(listed.map((p) => p.name)).not.toContain("array_nulls");
    expect(listed.find((p) => p.name === "max_connections")!.max).toBe(5000);
    expect(listed.find((p) => p.name === "pulumi_trove_test")).toMatchObject({
      type: "boolean",
      restart_required: true,
    });
  });

  /** A release's own rules file (its packaged Trove), e.g. 2026.2's PostgreSQL rules. */
  const releaseFile = (r: "zed" | "2025.1" | "2026.2", datastore: string) =>
    `${releaseTemplates(r)}/${datastore}/validation-rules.json`;
  const namesIn = (file: string) =>
    parseRules(file)
      .map((r) => r.name)
      .sort();
  const parseRules = (file: string) =>
    (JSON.parse(readFileSync(file, "utf8")) as { "configuration-parameters": ConfigurationParameterRule[] })[
      "configuration-parameters"
    ];

  it("after a load, a rule the release's file no longer has is gone from Trove too: PostgreSQL's files of 26, 18, 23, then 26 again", async () => {
    const version = `16.${RUN}`;
    const id = await createVersion("postgresql", version);
    const step = async (r: "zed" | "2025.1" | "2026.2") => {
      const summary = await load(`pg-up-${RUN}`, {
        datastore: "postgresql",
        versionName: version,
        rules: { rulesFile: releaseFile(r, "postgresql") },
        versionId: id,
      });
      // Trove itself lists exactly the file's rules.
      expect((await listParameters(id)).map((p) => p.name).sort()).toEqual(namesIn(releaseFile(r, "postgresql")));
      return summary;
    };
    expect((await step("2026.2")).added).toHaveLength(namesIn(releaseFile("2026.2", "postgresql")).length);
    // The names that differ, read from the packaged files: 26 has archive_* (upstream 0604f0ec) and wal_keep_size
    // (9ae2392d), 23 has wal_keep_size, 18 neither.
    expect(await step("zed")).toMatchObject({
      added: [],
      changed: [],
      removed: ["archive_command", "archive_mode", "archive_timeout", "wal_keep_size"],
      kept: [],
    });
    expect(await step("2025.1")).toMatchObject({ added: ["wal_keep_size"], changed: [], removed: [] });
    expect(await step("2026.2")).toMatchObject({
      added: ["archive_command", "archive_mode", "archive_timeout"],
      changed: [],
      removed: [],
    });
  });

  it("MySQL's files of 26 and 18 differ in bounds only (upstream 33b9d8ff, 2026.2): loading 18's after 26's restores 18's bounds", async () => {
    const version = `8.0.${RUN}`;
    const id = await createVersion("mysql", version);
    const rulesOf = (r: "zed" | "2026.2") => ({ rulesFile: releaseFile(r, "mysql") });
    expect(
      (
        await load(`my-up-${RUN}`, {
          datastore: "mysql",
          versionName: version,
          rules: rulesOf("2026.2"),
          versionId: id,
        })
      ).added,
    ).toHaveLength(namesIn(releaseFile("2026.2", "mysql")).length);
    expect((await listParameters(id)).find((p) => p.name === "innodb_log_buffer_size")).toMatchObject({ min: 1048576 });
    const back = await load(`my-up-${RUN}`, {
      datastore: "mysql",
      versionName: version,
      rules: rulesOf("zed"),
      versionId: id,
    });
    expect(back).toMatchObject({
      added: [],
      removed: [],
      changed: [
        "innodb_ft_result_cache_limit",
        "innodb_log_buffer_size",
        "innodb_log_write_ahead_size",
        "innodb_max_purge_lag_delay",
        "innodb_open_files",
      ],
    });
    const listed = await listParameters(id);
    expect(listed.find((p) => p.name === "innodb_log_buffer_size")).toMatchObject({ min: 262144, max: 4294967295 });
    expect(listed.find((p) => p.name === "innodb_open_files")).toMatchObject({ max: 4294967295 });
    // 18's rule has no max: Trove shows none.
    expect(listed.find((p) => p.name === "innodb_ft_result_cache_limit")!.max).toBeUndefined();
  });

  it("keeps what a configuration group of the version needs: the removed rule it sets, and every rule on delete while Trove reports the version in use", async () => {
    const version = `17.${RUN}`;
    const id = await createVersion("postgresql", version);
    const inputs26 = await declare(`pg-use-${RUN}`, {
      datastore: "postgresql",
      versionName: version,
      rules: { rulesFile: releaseFile("2026.2", "postgresql") },
      versionId: id,
    });
    run(inputs26, "create");
    // A configuration group, created through Trove's API (which checks the value against the loaded rules).
    const group = await api.createConfiguration(`use-${RUN}`, "postgresql", version, { archive_timeout: 60 });
    try {
      const inputs18 = await declare(`pg-use-${RUN}`, {
        datastore: "postgresql",
        versionName: version,
        rules: { rulesFile: releaseFile("zed", "postgresql") },
        versionId: id,
      });
      const r = spawnSync("bash", ["-c", String(inputs18.create)], { input: String(inputs18.stdin), encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout.trim().split("\n").pop()!) as ParametersSyncSummary;
      expect(summary).toMatchObject({
        removed: ["archive_command", "archive_mode", "wal_keep_size"],
        kept: ["archive_timeout"],
      });
      expect(r.stderr).toContain(
        `pulumi-trove: datastore version postgresql ${version}: kept archive_timeout, no longer in the rules, because a configuration group of the version sets it`,
      );
      expect((await listParameters(id)).map((p) => p.name)).toContain("archive_timeout");
      // The component's delete while the group exists: nothing is removed, and it says why.
      const held = spawnSync("bash", ["-c", String(inputs18.delete)], {
        input: String(inputs18.stdin),
        encoding: "utf8",
      });
      expect(held.status, held.stderr).toBe(0);
      const heldSummary = JSON.parse(held.stdout.trim().split("\n").pop()!) as ParametersSyncSummary;
      const count = namesIn(releaseFile("zed", "postgresql")).length + 1;
      expect(heldSummary).toMatchObject({ removed: [], inUse: { instances: 0, backups: 0, configurations: 1 } });
      expect(heldSummary.kept).toHaveLength(count);
      expect(held.stderr).toContain(
        `pulumi-trove: datastore version postgresql ${version} is in use by 0 instances, 0 backups, 1 configuration groups: its ${count} configuration parameters are kept`,
      );
      expect(await listParameters(id)).toHaveLength(count);
    } finally {
      await api.deleteConfiguration(group);
    }
    // Once nothing uses the version, the next load removes the rule, and a delete removes every rule.
    const after = await declare(`pg-use-${RUN}`, {
      datastore: "postgresql",
      versionName: version,
      rules: { rulesFile: releaseFile("zed", "postgresql") },
      versionId: id,
    });
    expect(run(after, "create")).toMatchObject({ removed: ["archive_timeout"], kept: [] });
    expect(run(after, "delete")).toMatchObject({ removed: expect.arrayContaining(["max_connections"]), kept: [] });
    expect(await listParameters(id)).toEqual([]);
  });

  it("loads MySQL's 2^64-1 limits exactly, stored in MariaDB as trove-manage stores them", async () => {
    const version = `5.7.${RUN}`;
    const summary = await load(`my-${RUN}`, {
      datastore: "mysql",
      versionName: version,
      rules: { rulesFile: `${lab.troveTemplates}/mysql/validation-rules.json` },
    });
    expect(summary.added).toHaveLength(templateRules("mysql").length);
    // JSON.parse would round the number: the raw answer shows the digits Trove returns.
    expect(await api.parameterText(summary.versionId, "sort_buffer_size")).toMatch(/"max": ?18446744073709551615[,}]/);
    expect(
      sql(
        `SELECT max_size FROM datastore_configuration_parameters WHERE name = 'sort_buffer_size' AND datastore_version_id = '${summary.versionId}'`,
      ),
    ).toEqual({ status: 0, out: "18446744073709551615" });
  });

  it("fails clearly for a version Trove does not have, and changes nothing", async () => {
    const inputs = await declare(`missing-${RUN}`, {
      datastore: "mysql",
      versionName: `9.9.${RUN}`,
      rules: { rules: [{ name: "x", restart_required: false, type: "string" }] },
    });
    const error = (() => {
      try {
        run(inputs, "create");
        return "";
      } catch (e) {
        return String((e as { stderr?: string }).stderr);
      }
    })();
    expect(error).toMatch(new RegExp(`datastore version mysql 9\\.9\\.${RUN} not found in Trove`));
  });

  it("deleting the component removes the version's rules and leaves the version", async () => {
    const version = `13.${RUN}`;
    const id = await createVersion("postgresql", version);
    const inputs = await declare(`del-${RUN}`, {
      datastore: "postgresql",
      versionName: version,
      rules: { rulesFile: `${lab.troveTemplates}/postgresql/validation-rules.json` },
      versionId: id,
    });
    expect(run(inputs, "create").added).toHaveLength(templateRules("postgresql").length);
    const summary = run(inputs, "delete");
    expect(summary).toMatchObject({ versionId: id, added: [], changed: [] });
    expect(summary.removed).toHaveLength(templateRules("postgresql").length);
    expect(await listParameters(id)).toEqual([]);
    expect(await versionIds("postgresql")).toContain(id);
    // Deleting again (the version gone too) is not an error: nothing is left to remove.
    await api.deleteVersion(id);
    expect(run(inputs, "delete")).toMatchObject({ removed: [] });
  });

  it("MariaDB's foreign key refuses to delete a version that still has rules; destroy removes the rules first, then the version", async () => {
    const version = `5.8.${RUN}`;
    const id = await createVersion("mysql", version);
    const inputs = await declare(`fk-${RUN}`, {
      datastore: "mysql",
      versionName: version,
      rules: { rulesFile: `${lab.troveTemplates}/mysql/validation-rules.json` },
      versionId: id,
    });
    run(inputs, "create");
    // The constraint behind it, as MariaDB reports it (SQLite, the lab's old database, did not enforce it):
    //   ERROR 1451 (23000) ... Cannot delete or update a parent row: a foreign key constraint fails
    //   (`trove`.`datastore_configuration_parameters`, CONSTRAINT `datastore_configuration_parameters_ibfk_1`
    //   FOREIGN KEY (`datastore_version_id`) REFERENCES `datastore_versions` (`id`))
    const refused = sql(`DELETE FROM datastore_versions WHERE id = '${id}'`);
    expect(refused.status).not.toBe(0);
    expect(refused.out).toMatch(
      /ERROR 1451 .*a foreign key constraint fails .*datastore_configuration_parameters.*REFERENCES `datastore_versions`/,
    );
    // Destroy, in Pulumi's order (the command depends on the version's id): the rules, then the version.
    expect(run(inputs, "delete").removed).toHaveLength(templateRules("mysql").length);
    expect(
      sql(`SELECT COUNT(*) FROM datastore_configuration_parameters WHERE datastore_version_id = '${id}'`).out,
    ).toBe("0");
    await api.deleteVersion(id);
    expect(await versionIds("mysql")).not.toContain(id);
  });

  it("a replaced version gets the rules loaded onto the new one, and the old command's delete leaves them alone", async () => {
    const version = `5.9.${RUN}`;
    const rulesFile = `${lab.troveTemplates}/mysql/validation-rules.json`;
    const oldId = await createVersion("mysql", version);
    const before = await declare(`repl-${RUN}`, {
      datastore: "mysql",
      versionName: version,
      rules: { rulesFile },
      versionId: oldId,
    });
    run(before, "create");
    // DatastoreVersion replaces delete-before-replace; Pulumi first deletes what depends on the old id (our command),
    // then the version, creates the new version, and creates the command again with the new id.
    run(before, "delete");
    await api.deleteVersion(oldId);
    const newId = await createVersion("mysql", version);
    const after = await declare(`repl-${RUN}`, {
      datastore: "mysql",
      versionName: version,
      rules: { rulesFile },
      versionId: newId,
    });
    expect(after.triggers).toEqual([newId]);
    expect(run(after, "create")).toMatchObject({ versionId: newId, changed: [], removed: [] });
    expect(await listParameters(newId)).toHaveLength(templateRules("mysql").length);
    // Create-before-delete (the command replaced on its own): the old command's delete runs last, on the old id only.
    expect(run(before, "delete")).toMatchObject({ removed: [] });
    expect(await listParameters(newId)).toHaveLength(templateRules("mysql").length);
  });
});
