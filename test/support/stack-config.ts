// Loads a stack's config (stacks/Pulumi.<stack>.yaml) into the Pulumi runtime, secrets marked as the CLI marks them,
// so a test can evaluate stacks/program.ts as `pulumi up --stack <stack>` would.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";

/** `overrides` replace (or add) stack-file keys, as a test's edit of the file would; `undefined` removes one. */
export function loadStackConfig(
  stack: string,
  secrets: Record<string, string> = {},
  overrides: Record<string, unknown> = {},
): void {
  const file = parse(readFileSync(path.join(__dirname, `../../stacks/Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...file.config, ...overrides }))
    if (v !== undefined) config[k] = typeof v === "string" ? v : JSON.stringify(v);
  for (const [k, v] of Object.entries(secrets)) config[`pulumi-trove:${k}`] = v;
  pulumi.runtime.setAllConfig(
    config,
    Object.keys(secrets).map((k) => `pulumi-trove:${k}`),
  );
}

/**
 * The files the lab stack's program reads from the lab's directory (its guest image, the rules files of the Trove
 * checkout), as `npm run lab:up` makes them; made here, as stand-ins, only when the lab has not made them.
 */
export function labStackFiles(lab = "/tmp/pulumi-trove-lab"): void {
  const image = `${lab}/images/trove-guest-ubuntu-jammy-dev.qcow2`;
  if (!existsSync(image)) {
    mkdirSync(`${lab}/images`, { recursive: true });
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", image, "16M"]);
  }
  for (const d of ["mysql", "mariadb", "postgresql"]) {
    const rules = `${lab}/trove-source/trove/templates/${d}/validation-rules.json`;
    if (!existsSync(rules)) {
      mkdirSync(path.dirname(rules), { recursive: true });
      writeFileSync(rules, '{"configuration-parameters": []}');
    }
  }
}

/**
 * What the mocked providers answer for the resources a stack's program reads back: each publish command's result, the
 * build's image, the registry image's id; undefined for the rest (the mocks then echo the inputs).
 */
export function stackMockOutputs(type: string, name: string): Record<string, unknown> | undefined {
  if (name.includes("-publish-"))
    return {
      stdout: JSON.stringify({
        database: { reference: "r:1/x:1", digest: `sha256:${"a".repeat(64)}` },
        backup: { reference: "r:1/b:1", digest: `sha256:${"a".repeat(64)}` },
      }),
    };
  if (type.startsWith("command:"))
    return { stdout: `{"path":"/images/guest.qcow2","sha256":"${"b".repeat(64)}","sizeBytes":1}` };
  if (type === "docker:index/remoteImage:RemoteImage") return { imageId: "sha256:registry" };
  return undefined;
}
