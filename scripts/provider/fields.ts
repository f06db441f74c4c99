// `npm run provider:fields`: writes provider/fields.generated.ts, the TypeScript API's argument fields that the
// multi-language faces take as they are, one interface per face, each field with its TSDoc copied verbatim and its type
// written as the library's own (`GuestImageBuildArgs["troveRef"]`). Why generated: componentProviderHost's analyzer
// reads a field inherited through `Omit<...>` (a mapped type) as `Any` without a description, so a face cannot extend
// `Omit<GuestImageBuildArgs, "fetchImage">`; it extends the interface written here. `--check` (part of `npm run lint`)
// fails when the file differs from what the library's interfaces give, so a new or changed TypeScript field reaches
// every language with the next `npm run provider:fields`.

import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import ts from "typescript";

const ROOT = path.join(__dirname, "../..");
const OUT = path.join(ROOT, "provider/fields.generated.ts");

/** One generated interface: the library interface it copies and the fields it leaves to the face. */
export interface FieldsSpec {
  /** Name of the generated interface. */
  name: string;
  /** The library interface, as components/index.ts exports it. */
  from: string;
  /** Fields the face leaves out or declares in a shape of its own (see provider/shapes.ts). */
  omit: readonly string[];
}

/**
 * The interfaces provider/shapes.ts builds its faces from. Provider fields (`PipelineRegion.provider`,
 * `LocalRegistryArgs.dockerProvider`) are left out: the analyzer writes a provider as
 * `/<package>/v<version>/schema.json#/resources/<package>` (the class's `__pulumiType`, which for a provider is the
 * package name), a reference no schema has; other languages pass the provider with the `providers` resource option.
 */
export const FIELD_SPECS: readonly FieldsSpec[] = [
  { name: "GuestImageBuildFields", from: "GuestImageBuildArgs", omit: ["fetchImage"] },
  { name: "PipelineGuestImageFields", from: "GuestImageBuildArgs", omit: ["fetchImage", "preloadImages"] },
  { name: "GlanceImageFields", from: "GlanceImageArgs", omit: ["image", "catalog", "visibility"] },
  {
    name: "PipelineGlanceImageFields",
    from: "GlanceImageArgs",
    omit: [
      "image",
      "datastores",
      "retainedDatastores",
      "catalog",
      "guestOs",
      "guestOsRelease",
      "cloud",
      "region",
      "visibility",
    ],
  },
  { name: "LocalRegistryFields", from: "LocalRegistryArgs", omit: ["tls", "dockerProvider"] },
  { name: "PipelineRegionFields", from: "PipelineRegion", omit: ["provider"] },
  { name: "DatastoreImagesFields", from: "DatastoreImagesArgs", omit: ["catalog"] },
  {
    name: "PipelineDatastoreImagesFields",
    from: "DatastoreImagesArgs",
    omit: ["registry", "versions", "troveRelease", "catalog", "allowUntested"],
  },
  { name: "TroveConfigFields", from: "TroveConfigArgs", omit: ["catalog"] },
  {
    name: "PipelineTroveConfigFields",
    from: "TroveConfigArgs",
    omit: ["registry", "imageOptions", "catalog", "troveRelease"],
  },
  { name: "PipelineRegistrationFields", from: "PipelineRegistration", omit: ["whenInUse"] },
  { name: "DatastoreVersionFields", from: "DatastoreVersionArgs", omit: ["catalog"] },
  {
    name: "DatastoreConfigurationParametersFields",
    from: "DatastoreConfigurationParametersArgs",
    omit: ["rules", "catalog"],
  },
  { name: "ConfigurationParameterRuleFields", from: "ConfigurationParameterRule", omit: ["type", "min", "max"] },
  { name: "ParametersSyncSummaryFields", from: "ParametersSyncSummary", omit: ["inUse"] },
];

/** The property signatures of an exported interface of the library, with their leading comments, in source order. */
function interfaceMembers(program: ts.Program, name: string): Array<{ name: string; optional: boolean; doc: string }> {
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(path.join(ROOT, "components/index.ts"))!;
  const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(index)!).find((s) => s.name === name);
  if (!exported) throw new Error(`components/index.ts exports no ${name}`);
  const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const type = checker.getDeclaredTypeOfSymbol(symbol);
  return checker.getPropertiesOfType(type).map((prop) => {
    const decl = prop.valueDeclaration ?? prop.declarations?.[0];
    if (!decl) throw new Error(`${name}.${prop.name} has no declaration`);
    const source = decl.getSourceFile();
    const ranges = ts.getLeadingCommentRanges(source.text, decl.getFullStart()) ?? [];
    const jsdoc = ranges.filter((r) => source.text.slice(r.pos, r.pos + 3) === "/**").pop();
    // Output types have a few self-evident fields without TSDoc (`versionId`); they stay without a description.
    if (!jsdoc) return { name: prop.name, optional: (prop.flags & ts.SymbolFlags.Optional) !== 0, doc: "" };
    const doc = source.text
      .slice(jsdoc.pos, jsdoc.end)
      .split("\n")
      .map((line) => line.trim())
      .map((line, i) => (i === 0 ? line : ` ${line}`))
      .join("\n  ");
    return { name: prop.name, optional: (prop.flags & ts.SymbolFlags.Optional) !== 0, doc };
  });
}

/** The TypeScript API as the compiler sees it: a program rooted at components/index.ts. */
export function componentsProgram(): ts.Program {
  return ts.createProgram([path.join(ROOT, "components/index.ts")], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ["node"],
  });
}

/** The text of provider/fields.generated.ts. */
export function renderFields(): string {
  const program = componentsProgram();
  const imports = [...new Set(FIELD_SPECS.map((s) => s.from))].sort();
  const blocks = FIELD_SPECS.map((spec) => {
    const members = interfaceMembers(program, spec.from);
    for (const o of spec.omit)
      if (!members.some((m) => m.name === o))
        throw new Error(`${spec.name}: ${spec.from} has no field ${o} to leave out`);
    const fields = members
      .filter((m) => !spec.omit.includes(m.name))
      .map((m) => `${m.doc ? `  ${m.doc}\n` : ""}  ${m.name}${m.optional ? "?" : ""}: ${spec.from}["${m.name}"];`);
    return `/** ${spec.from}'s fields other than ${spec.omit.map((o) => `\`${o}\``).join(", ")}. */\nexport interface ${spec.name} {\n${fields.join("\n")}\n}\n`;
  });
  return [
    "// Generated by `npm run provider:fields` (scripts/provider/fields.ts) from the TSDoc and types of components/**/*.ts:",
    "// do not edit. The multi-language faces (provider/shapes.ts) extend these interfaces.",
    "",
    `import type { ${imports.join(", ")} } from "../components/index";`,
    "",
    blocks.join("\n"),
  ].join("\n");
}

function main(): void {
  const text = renderFields();
  if (!process.argv.includes("--check")) {
    writeFileSync(OUT, text);
    console.log(`${path.relative(ROOT, OUT)}: written`);
    return;
  }
  let current = "";
  try {
    current = readFileSync(OUT, "utf8");
  } catch {
    // missing: stale
  }
  if (current !== text) {
    console.error(
      `${path.relative(ROOT, OUT)} is stale: the library's argument fields changed. Run \`npm run provider:fields\` and commit the file.`,
    );
    process.exitCode = 1;
  }
}

if (require.main === module) main();
