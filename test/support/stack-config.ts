// Loads a stack's config (stacks/Pulumi.<stack>.yaml) into the Pulumi runtime, secrets marked as the CLI marks them,
// so a test can evaluate stacks/program.ts as `pulumi up --stack <stack>` would.

import { readFileSync } from "node:fs";
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
