// `npm run docs`: regenerates the README's generated sections (the argument tables, from the components' TSDoc) in
// place. `npm run docs:check` (part of `npm run lint`): fails, naming each stale section, when README.md differs
// from what the TSDoc gives. To add a kind of section, register its renderer in RENDERERS and put
// `<!-- generated:<kind> <argument> -->` … `<!-- /generated -->` in the README.

import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ApiModel, argsRenderer, loadApiModel } from "./args";
import { checksRenderer } from "./checks";
import { renderSections, sectionId, SectionRenderer } from "./sections";

const README = path.join(__dirname, "../../README.md");

let model: Promise<ApiModel> | undefined;
const apiModel = (): Promise<ApiModel> => (model ??= loadApiModel());

/** Section renderers by marker kind. */
export const RENDERERS: Readonly<Record<string, SectionRenderer>> = {
  args: argsRenderer(apiModel),
  checks: checksRenderer,
};

async function main(): Promise<void> {
  const check = process.argv.includes("--check");
  const current = readFileSync(README, "utf8");
  const { text, changed } = await renderSections(current, RENDERERS);
  if (!check) {
    if (text !== current) writeFileSync(README, text);
    console.log(changed.length === 0 ? "README.md: up to date" : `README.md: regenerated ${changed.map((s) => sectionId(s.kind, s.argument)).join(", ")}`);
    return;
  }
  if (text === current) return;
  const stale = changed.map((s) => `  line ${s.line}: <!-- generated:${sectionId(s.kind, s.argument)} -->`);
  console.error(`README.md is stale: ${changed.length} generated section(s) differ from the TSDoc in components/*.ts:\n${stale.join("\n")}\nRun \`npm run docs\` and commit README.md (edit the TSDoc, not the tables).`);
  process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(`docs: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
