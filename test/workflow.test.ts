// The CI workflow that previews every stack on pull requests and deploys the marked ones on main: validated against
// GitHub's published workflow schema (action-validator), and checked for what the team relies on.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = path.join(__dirname, "..");
const source = readFileSync(path.join(root, ".github/workflows/pulumi.yml"), "utf8");

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  if?: string;
  env?: Record<string, string>;
  steps: Step[];
  strategy?: { matrix: { stack: string } };
}
const workflow = parse(source) as { on: Record<string, unknown>; jobs: Record<string, Job> };

describe("the Pulumi workflow", () => {
  it("is a valid GitHub Actions workflow", () => {
    const result = validateWorkflow(source);
    expect(result.errors).toEqual([]);
  });

  it("fails validation when broken, so the check above can fail", () => {
    expect(
      validateWorkflow(source.replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest")).errors.length,
    ).toBeGreaterThan(0);
  });

  it("previews with a diff, posted on the PR, for each stack listed in stacks/preview-on-pr.json", () => {
    expect(Object.keys(workflow.on)).toEqual(["pull_request", "push"]);
    const preview = workflow.jobs.preview!;
    expect(preview.if).toContain("github.event_name == 'pull_request'");
    expect(preview.strategy?.matrix.stack).toBe("${{ fromJSON(needs.stacks.outputs.preview) }}");
    const pulumi = preview.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumi?.with).toMatchObject({
      command: "preview",
      diff: true,
      "comment-on-pr": true,
      "stack-name": "${{ matrix.stack }}",
    });
  });

  it("gives previews and deploys the cloud that stacks without regions use (the default OpenStack provider's OS_CLOUD)", () => {
    for (const job of [workflow.jobs.preview!, workflow.jobs.deploy!]) {
      expect(job.env).toMatchObject({
        OS_CLOUD: "${{ vars.OS_CLOUD }}",
        OS_CLIENT_CONFIG_FILE: expect.stringContaining(".ci-clouds.yaml"),
      });
    }
    // The stacks that previews run on pull requests include one without regions, which is why this matters.
    const previewed = JSON.parse(readFileSync(path.join(root, "stacks", "preview-on-pr.json"), "utf8")) as string[];
    expect(
      previewed.some(
        (stack) =>
          !readFileSync(path.join(root, "stacks", `Pulumi.${stack}.yaml`), "utf8").includes("pulumi-trove:regions"),
      ),
    ).toBe(true);
  });

  it("deploys on main only the stacks listed in stacks/deploy-on-main.json", () => {
    const deploy = workflow.jobs.deploy!;
    expect(deploy.if).toContain("github.event_name == 'push'");
    expect(deploy.strategy?.matrix.stack).toBe("${{ fromJSON(needs.stacks.outputs.deploy) }}");
    expect(deploy.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))?.with).toMatchObject({ command: "up" });
  });

  it("names only stacks that exist", () => {
    for (const list of ["preview-on-pr.json", "deploy-on-main.json"]) {
      const stacks = JSON.parse(readFileSync(path.join(root, "stacks", list), "utf8")) as string[];
      for (const stack of stacks)
        expect(existsSync(path.join(root, "stacks", `Pulumi.${stack}.yaml`)), `${list} names ${stack}`).toBe(true);
    }
  });

  it("has run steps that bash can parse, with secrets passed through the environment", () => {
    for (const job of Object.values(workflow.jobs)) {
      for (const step of job.steps.filter((s) => s.run)) {
        execFileSync("bash", ["-n", "-c", step.run!]);
        expect(step.run).not.toMatch(/\$\{\{\s*secrets\./);
      }
    }
  });
});
