// The folders of components/ and the direction of their imports: internal/ (schemas, errors, shell, SSH, scripts)
// imports no feature folder; catalog/ only internal/; nothing but index.ts imports the pipeline; the DatastoreVersion
// provider's folder, which Pulumi serializes into the state, imports @pulumi/* for types only. And every resource's
// type token is what it was before the move (a token is part of each URN: a new one would replace the resources).

import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const COMPONENTS = path.join(__dirname, "..", "components");

interface ModuleImport {
  /** The importing module, relative to components/ (`trove/trove-config.ts`). */
  from: string;
  /** A module of components/ (relative to it) or a package name. */
  target: string;
  typeOnly: boolean;
  /** Whether it was written as a relative path. */
  relative: boolean;
}

function modules(): string[] {
  return readdirSync(COMPONENTS, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => path.relative(COMPONENTS, path.join(e.parentPath, e.name)).split(path.sep).join("/"));
}

function importsOf(file: string): ModuleImport[] {
  const source = ts.createSourceFile(file, readFileSync(path.join(COMPONENTS, file), "utf8"), ts.ScriptTarget.ES2022);
  const found: ModuleImport[] = [];
  for (const statement of source.statements) {
    if (!(ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) || !statement.moduleSpecifier)
      continue;
    const spec = (statement.moduleSpecifier as ts.StringLiteral).text;
    const typeOnly = ts.isImportDeclaration(statement) ? !!statement.importClause?.isTypeOnly : statement.isTypeOnly;
    const target = spec.startsWith(".") ? path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)) : spec;
    found.push({ from: file, target, typeOnly, relative: spec.startsWith(".") });
  }
  return found;
}

const known = new Set(modules());
const all = modules().flatMap(importsOf);
const local = all.filter((i) => i.relative);
const folderOf = (module: string) => (module.includes("/") ? module.split("/")[0]! : "");

describe("the layout of components/", () => {
  it("has only the public entry point at the top, and every module in one of the folders", () => {
    expect([...known].filter((m) => !m.includes("/"))).toEqual(["index.ts"]);
    expect([...new Set([...known].map(folderOf).filter((f) => f !== ""))].sort()).toEqual([
      "catalog",
      "image",
      "internal",
      "pipeline",
      "registry",
      "trove",
    ]);
  });

  it("resolves every relative import to a module of components/", () => {
    expect(local.length).toBeGreaterThan(0);
    expect(local.filter((i) => !known.has(`${i.target}.ts`))).toEqual([]);
  });

  it("imports nothing back up from internal/, and catalog/ only from internal/", () => {
    const upward = local.filter(
      (i) =>
        (folderOf(i.from) === "internal" && folderOf(i.target) !== "internal") ||
        (folderOf(i.from) === "catalog" && !["catalog", "internal"].includes(folderOf(i.target))),
    );
    expect(upward).toEqual([]);
  });

  it("lets only the entry point import the pipeline", () => {
    expect(
      local.filter(
        (i) => folderOf(i.target) === "pipeline" && folderOf(i.from) !== "pipeline" && i.from !== "index.ts",
      ),
    ).toEqual([]);
  });

  it("keeps @pulumi/* out of the serialized DatastoreVersion provider's folder, but for types", () => {
    const provider = all.filter((i) => i.from.startsWith("trove/version-provider/"));
    expect(provider.length).toBeGreaterThan(0);
    expect(provider.filter((i) => i.target.startsWith("@pulumi/") && !i.typeOnly)).toEqual([]);
  });

  it("keeps every type token and former token, which name the file a component lives in, not its folder", () => {
    const tokens = [...known].flatMap((file) =>
      [
        ...readFileSync(path.join(COMPONENTS, file), "utf8").matchAll(
          // However the call is laid out over lines (Prettier breaks it at 120 columns).
          /super\(\s*(?:"(pulumi-trove:[^"]+)",\s*name,\s*\{\},\s*(?:withFormerTypes\(\s*opts,\s*\[([^\]]*)\],?\s*\)|opts),?|\w+Provider,\s*name,[^;]*?,\s*opts,\s*"pulumi-trove",\s*"(\w+)",?)\s*\)/g,
        ),
      ].map((m) =>
        m[1] ? `${m[1]} ${(m[2] ?? "").replace(/\s+/g, " ").replace(/,\s*$/, "")}`.trim() : `dynamic ${m[3]}`,
      ),
    );
    expect(tokens.sort()).toEqual([
      "dynamic DatastoreVersion",
      "dynamic DatastoreVersionRetirement",
      "dynamic GlanceImageHistory",
      "dynamic GlanceQuotaCheck",
      'pulumi-trove:configuration-parameters:DatastoreConfigurationParameters "pulumi-trove:trove:DatastoreConfigurationParameters"',
      'pulumi-trove:datastore-images:DatastoreImages "pulumi-trove:images:DatastoreImages"',
      'pulumi-trove:glance-image:GlanceImage "pulumi-trove:glance:GlanceImage"',
      'pulumi-trove:guest-image-build:GuestImageBuild "pulumi-trove:guest-image:GuestImageBuild"',
      'pulumi-trove:local-registry:LocalRegistry "pulumi-trove:registry:LocalRegistry"',
      "pulumi-trove:pipeline:TroveGuestPipeline",
      'pulumi-trove:trove-config:TroveConfig "pulumi-trove:config:TroveConfig"',
    ]);
  });
});
