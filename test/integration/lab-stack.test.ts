// The whole `lab` stack against the real lab, without the Pulumi engine: stacks/program.ts runs with its real
// stacks/Pulumi.lab.yaml, and every resource it declares is carried out in dependency order by
// test/support/lab-executor.ts (scripts run as written, our dynamic provider as serialized, Glance and Docker through
// their own clients). At the end Trove lists each datastore version and resolves it to the Glance image, the
// configuration parameters are loaded, and the registry holds every image Trove's own guest-agent code derives from
// the rendered guest-agent config.

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ensureLab, Lab } from "../support/lab";
import { executeAgainstLab, LabExecution } from "../support/lab-executor";
import { imageTroveFinds } from "../support/openstack-apply";
import { loadStackConfig } from "../support/stack-config";

const TROVE_IMAGES = path.join(__dirname, "../support/trove_images.py");
let lab: Lab;
let execution: LabExecution | undefined;
let work: string;
const savedEnv = { ...process.env };

/** Resolves an Output, failing after `ms` (a resource whose effect failed never resolves). */
function settle<T>(output: pulumi.Output<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not resolve in ${ms} ms; errors: ${execution?.errors.join("; ") || "none"}`)), ms);
    output.apply((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

beforeAll(() => {
  lab = ensureLab();
  for (const k of Object.keys(process.env)) if (k.startsWith("OS_")) delete process.env[k];
  process.env.OS_CLIENT_CONFIG_FILE = lab.cloudsYaml;
  process.env.DOCKER_HOST = lab.dockerHost;
  work = mkdtempSync(path.join(tmpdir(), "lab-stack-"));
}, 120_000);

afterAll(async () => {
  await execution?.cleanUp();
  process.env = savedEnv;
  rmSync(work, { recursive: true, force: true });
  lab.release();
}, 120_000);

describe("the lab stack, carried out against the lab", () => {
  it("registers every datastore version on the Glance image, loads its parameters, and publishes every image the guest agent will pull", async () => {
    vi.resetModules();
    loadStackConfig("lab");
    const program = await import("../../stacks/program.js");
    const run = await executeAgainstLab(lab, "lab", () => program.main());
    execution = run.execution;
    const outputs = pulumi.output(run.result) as unknown as pulumi.Output<Record<string, unknown>>;
    const ids = (await settle(outputs.apply((o) => o.datastoreVersionIds), 240_000, "datastoreVersionIds")) as Record<string, Record<string, string>>;
    const glance = (await settle(outputs.apply((o) => o.glanceImageIds), 10_000, "glanceImageIds")) as Record<string, string>;
    const guestAgentConf = (await settle(outputs.apply((o) => o.guestAgentConf), 10_000, "guestAgentConf")) as string;
    // Parameters load after their version; wait for the last command to have been applied.
    for (let i = 0; i < 600 && execution.applied.filter((r) => r.name.includes("-parameters-") && r.type === "command:local:Command").length < 3; i++) await new Promise((r) => setTimeout(r, 100));
    expect(execution.errors).toEqual([]);

    // Every kind of resource the stack declares was applied for real.
    const types = new Set(execution.applied.map((r) => r.type));
    for (const t of ["command:local:Command", "openstack:images/image:Image", "docker:index/remoteImage:RemoteImage", "docker:index/container:Container", "pulumi-nodejs:dynamic/pulumi-trove:DatastoreVersion"]) expect(types).toContain(t);

    // Trove lists each version, and Trove's own lookup resolves its tags to the Glance image the stack uploaded.
    const expected = { "mysql:5.7.29": "mysql", "mariadb:10.4": "mariadb", "postgresql:12": "postgresql" };
    expect(Object.keys(ids.lab!).sort()).toEqual(Object.keys(expected).sort());
    for (const [key, datastore] of Object.entries(expected)) {
      const shown = JSON.parse(lab.openstack(["datastore", "version", "show", ids.lab![key]!, "-f", "json"])) as { name: string; image_tags: string[]; active: boolean };
      expect(shown).toMatchObject({ name: key.split(":")[1], active: true, image_tags: ["trove", datastore] });
      expect(imageTroveFinds(lab, shown.image_tags)).toBe(glance.lab);
    }
    const mysqlVersion = [...execution.dynamic.values()].find((r) => r.state?.outs.version === "5.7.29");
    expect(mysqlVersion?.state?.outs).toMatchObject({ datastore: "mysql", default: true });

    // The configuration parameters are Trove's own rules, in full.
    const pgRules = (JSON.parse(execFileSync("cat", ["/usr/lib/python3/dist-packages/trove/templates/postgresql/validation-rules.json"], { encoding: "utf8" })) as { "configuration-parameters": unknown[] })["configuration-parameters"];
    expect(JSON.parse(lab.openstack(["database", "configuration", "parameter", "list", "12", "--datastore", "postgresql", "-f", "json"]))).toHaveLength(pgRules.length);

    // Every image Trove's guest agent will pull, computed by Trove's own code from the rendered config, is in the registry.
    const conf = path.join(work, "trove-guestagent.conf");
    writeFileSync(conf, guestAgentConf);
    for (const [manager, version] of [["mysql", "5.7.29"], ["mariadb", "10.4"], ["postgresql", "12"]]) {
      const names = JSON.parse(execFileSync("/usr/bin/python3", [TROVE_IMAGES, conf, manager!, version!], { encoding: "utf8" }).trim().split("\n").pop()!) as { database: string; backup: string };
      for (const ref of [names.database, names.backup]) {
        expect(ref.startsWith("127.0.0.1:4000/")).toBe(true);
        execFileSync("skopeo", ["inspect", "--tls-verify=false", "--raw", `docker://${ref}`], { stdio: "pipe" });
      }
    }
  }, 300_000);
});
