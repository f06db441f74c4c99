// DatastoreConfigurationParameters against the lab: the command the component declares (taken from the declaration
// under mocks) is run with bash, its request on stdin, as @pulumi/command would run it on the controller, against the
// lab Trove's database; what it did is read back through Trove's API with the openstack CLI.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConfigurationParameterRule, DatastoreConfigurationParametersArgs, ParametersSyncSummary } from "../../components/configuration-parameters";
import { ensureLab, Lab } from "../support/lab";
import { installMocks } from "../support/pulumi-mocks";

const RUN = String(Date.now() % 1_000_000);
const TEMPLATES = "/usr/lib/python3/dist-packages/trove/templates";
let lab: Lab;
const created: string[] = [];

/** Declares the component and runs the command it declares, as @pulumi/command would; returns the summary. */
async function load(name: string, args: Omit<DatastoreConfigurationParametersArgs, "controller">): Promise<ParametersSyncSummary> {
  const mocks = await installMocks();
  const { DatastoreConfigurationParameters } = await import("../../components/configuration-parameters.js");
  new DatastoreConfigurationParameters(name, { ...args, controller: { troveConfPath: lab.troveConf } });
  const { inputs } = await mocks.waitFor(`${name}-load`);
  const stdout = execFileSync("bash", ["-c", String(inputs.create)], { input: String(inputs.stdin), encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
  return JSON.parse(stdout.trim().split("\n").pop()!) as ParametersSyncSummary;
}

function runLoad(name: string, args: Omit<DatastoreConfigurationParametersArgs, "controller">): Promise<string> {
  return load(name, args).then(
    () => "",
    (e: { stderr?: string; message: string }) => e.stderr ?? e.message,
  );
}

function listParameters(datastore: string, version: string): Array<{ Name: string; Type: string; "Min Size": number | "-"; "Max Size": number | "-"; "Restart Required": boolean }> {
  return JSON.parse(lab.openstack(["database", "configuration", "parameter", "list", version, "--datastore", datastore, "-f", "json"])) as never;
}

function templateRules(datastore: string): ConfigurationParameterRule[] {
  return (JSON.parse(readFileSync(`${TEMPLATES}/${datastore}/validation-rules.json`, "utf8")) as { "configuration-parameters": ConfigurationParameterRule[] })["configuration-parameters"];
}

let imageFile: string;
let imageId: string;

beforeAll(() => {
  lab = ensureLab();
  // Trove checks a version's image tags when it is created: give it an image of its own.
  imageFile = path.join(mkdtempSync(path.join(tmpdir(), "params-")), "guest.qcow2");
  execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", imageFile, "16M"]);
  imageId = lab.openstack(["image", "create", `params-${RUN}`, "--disk-format", "qcow2", "--container-format", "bare", "--tag", `params${RUN}`, "--file", imageFile, "-f", "value", "-c", "id"]).trim();
  for (const [datastore, version] of [["postgresql", `12.${RUN}`], ["mysql", `5.7.${RUN}`]] as const) {
    lab.openstack(["datastore", "version", "create", version, datastore, datastore, "", "--image-tags", `params${RUN}`, "--active"]);
    created.push(JSON.parse(lab.openstack(["datastore", "version", "show", version, "--datastore", datastore, "-f", "json"])).id as string);
  }
}, 120_000);

afterAll(() => {
  for (const id of created) lab.openstack(["datastore", "version", "delete", id]);
  lab.openstack(["image", "delete", imageId]);
  rmSync(path.dirname(imageFile), { recursive: true, force: true });
  lab.release();
});

describe("DatastoreConfigurationParameters against the lab's Trove", () => {
  it("loads PostgreSQL's rules in full, boolean and float ones too, and a second run changes nothing", async () => {
    const version = `12.${RUN}`;
    const rulesFile = `${TEMPLATES}/postgresql/validation-rules.json`;
    const first = await load(`pg-${RUN}`, { datastore: "postgresql", versionName: version, rules: { rulesFile } });
    expect(first).toMatchObject({ versionId: created[0], changed: [], removed: [] });
    expect(first.added).toHaveLength(templateRules("postgresql").length);

    const listed = listParameters("postgresql", version);
    expect(listed).toHaveLength(templateRules("postgresql").length);
    const types = new Set(listed.map((p) => p.Type));
    expect([...types].sort()).toEqual(["boolean", "float", "integer", "string"]);
    // The CLI shows an absent size as "-".
    for (const rule of templateRules("postgresql").filter((r) => r.type === "integer")) {
      expect(listed.find((p) => p.Name === rule.name)).toEqual({ Name: rule.name, Type: "integer", "Min Size": rule.min ?? "-", "Max Size": rule.max ?? "-", "Restart Required": rule.restart_required });
    }

    const again = await load(`pg-${RUN}`, { datastore: "postgresql", versionName: version, rules: { rulesFile } });
    expect(again).toMatchObject({ added: [], changed: [], removed: [], unchanged: templateRules("postgresql").length });
  });

  it("keeps the rules in step: an added, a changed and a removed rule are applied, the rest left alone", async () => {
    const version = `12.${RUN}`;
    const rules = templateRules("postgresql");
    const edited: ConfigurationParameterRule[] = [
      ...rules.filter((r) => r.name !== "array_nulls").map((r) => (r.name === "max_connections" ? { ...r, max: 5000 } : r)),
      { name: "pulumi_trove_test", restart_required: true, type: "boolean" },
    ];
    const summary = await load(`pg-${RUN}`, { datastore: "postgresql", versionName: version, rules: { rules: edited } });
    expect(summary).toMatchObject({ added: ["pulumi_trove_test"], changed: ["max_connections"], removed: ["array_nulls"], unchanged: rules.length - 2 });
    const listed = listParameters("postgresql", version);
    expect(listed.map((p) => p.Name)).not.toContain("array_nulls");
    expect(listed.find((p) => p.Name === "max_connections")!["Max Size"]).toBe(5000);
    expect(listed.find((p) => p.Name === "pulumi_trove_test")).toMatchObject({ Type: "boolean", "Restart Required": true });
  });

  it("loads MySQL's 2^64-1 limits exactly, which trove-manage cannot on SQLite", async () => {
    const version = `5.7.${RUN}`;
    const summary = await load(`my-${RUN}`, { datastore: "mysql", versionName: version, rules: { rulesFile: `${TEMPLATES}/mysql/validation-rules.json` } });
    expect(summary.added).toHaveLength(templateRules("mysql").length);
    // The CLI's JSON would round the number; the raw table shows the digits Trove returns.
    const table = lab.openstack(["database", "configuration", "parameter", "show", version, "sort_buffer_size", "--datastore", "mysql", "-f", "value", "-c", "max"]);
    expect(table.trim()).toBe("18446744073709551615");
  });

  it("fails clearly for a version Trove does not have, and changes nothing", async () => {
    const error = await runLoad(`missing-${RUN}`, { datastore: "mysql", versionName: `9.9.${RUN}`, rules: { rules: [{ name: "x", restart_required: false, type: "string" }] } });
    expect(error).toMatch(new RegExp(`datastore version mysql 9\\.9\\.${RUN} not found in Trove`));
  });
});
