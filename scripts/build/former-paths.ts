// The module paths of pulumi-trove 0.1.0 that a stack's state still names, kept working after the modules moved into
// folders. A dynamic provider (DatastoreVersion's, the retirement record's, GlanceImage's history and upload check) is
// serialized into each resource's state, and where the package sits in node_modules that text `require`s the package's
// modules by path (`pulumi-trove/dist/components/trove-client.js`); Pulumi runs the stored text for refresh and delete.

import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";

/**
 * Former module (a path under dist/components, without `.js`) -> the modules, in that folder, that now hold what it
 * exported: its file re-exports them all. A module whose export became private to its callers names its source instead.
 * test/package.test.ts runs 0.1.0's serialized providers (test/fixtures/providers-0.1.0.json) against the packed package.
 * A module a released provider requires that moves later needs its entry here, and that release's fixture beside 0.1.0's.
 */
export const FORMER_MODULE_PATHS: Record<string, string[] | { source: string }> = {
  schema: ["internal/schema"],
  "problem-text": ["internal/problem-text"],
  "datastore-version": ["trove/version-provider/provider", "trove/datastore-version"],
  "trove-client": ["trove/trove-client"],
  "glance-client": ["image/glance-client"],
  "glance-rotation": ["image/glance-rotation"],
  "configuration-parameters-sync": {
    source: 'exports.PARAMETERS_SYNC_PY = require("./internal/scripts/index.js").loadScript("sync-parameters.py");',
  },
};

/** The text of a former module's file. */
export function formerModuleText(name: string): string {
  const target = FORMER_MODULE_PATHS[name]!;
  const body = Array.isArray(target)
    ? `module.exports = Object.assign({}, ${target.map((t) => `require("./${t}.js")`).join(", ")});`
    : target.source;
  return `"use strict";\n// pulumi-trove 0.1.0's ${name}.js, which providers serialized into existing stacks require (scripts/build/former-paths.ts).\n${body}\n`;
}

if (require.main === module) {
  const dist = path.join(__dirname, "..", "..", "dist", "components");
  mkdirSync(dist, { recursive: true });
  for (const name of Object.keys(FORMER_MODULE_PATHS))
    writeFileSync(path.join(dist, `${name}.js`), formerModuleText(name));
}
