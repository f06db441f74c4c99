// `npm run docs`: regenerates the generated sections of README.md and docs/*.md (the argument tables in
// docs/components.md, from the components' TSDoc; the checks tables in docs/checks.md, from the schemas) in place.
// `npm run docs:check` (part of `npm run lint`): fails, naming each stale section and its file, when a file differs
// from what the TSDoc and schemas give. To add a kind of section, register its renderer in RENDERERS and put
// `<!-- generated:<kind> <argument> -->` … `<!-- /generated -->` in one of those files.

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ApiModel, argsRenderer, loadApiModel } from "./args";
import { checksRenderer } from "./checks";
import { renderSections, sectionId, SectionRenderer } from "./sections";

const ROOT = path.join(__dirname, "../..");

/** The documents that may hold generated sections, relative to the repository's root. */
export function documents(): string[] {
  const docs = readdirSync(path.join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort();
  return ["README.md", ...docs.map((f) => `docs/${f}`)];
}

let model: Promise<ApiModel> | undefined;
const apiModel = (): Promise<ApiModel> => (model ??= loadApiModel());

/** Section renderers by marker kind. */
export const RENDERERS: Readonly<Record<string, SectionRenderer>> = {
  args: argsRenderer(apiModel),
  checks: checksRenderer,
};

async function main(): Promise<void> {
  const check = process.argv.includes("--check");
  const stale: string[] = [];
  for (const file of documents()) {
    const current = readFileSync(path.join(ROOT, file), "utf8");
    const { text, changed } = await renderSections(current, RENDERERS);
    if (!check) {
      if (text !== current) writeFileSync(path.join(ROOT, file), text);
      console.log(
        changed.length === 0
          ? `${file}: up to date`
          : `${file}: regenerated ${changed.map((s) => sectionId(s.kind, s.argument)).join(", ")}`,
      );
    } else if (text !== current) {
      stale.push(
        ...changed.map((s) => `  ${file} line ${s.line}: <!-- generated:${sectionId(s.kind, s.argument)} -->`),
      );
    }
  }
  if (stale.length === 0) return;
  console.error(
    `docs are stale: ${stale.length} generated section(s) differ from the TSDoc and schemas in components/**/*.ts:\n${stale.join("\n")}\nRun \`npm run docs\` and commit the files (edit the TSDoc or the schema, not the tables).`,
  );
  process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(`docs: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
