// The TypeScript API as its declarations say it, read with the TypeScript compiler from components/index.ts: each
// component's argument fields (name, optional, TSDoc, nested object types) and its `pulumi.Output` members. The
// multi-language tests compare the served schema with this, so a field added to the TypeScript API and not to the
// schema fails a test instead of being forgotten.

import * as path from "node:path";
import ts from "typescript";
import { componentsProgram } from "../../scripts/provider/fields";

const ROOT = path.join(__dirname, "../..");

/** One argument field of the TypeScript API. */
export interface ApiField {
  /** Dotted path from the component's args, e.g. `registry.local.auth.password` (`[]` for list items). */
  path: string;
  name: string;
  optional: boolean;
  /** The TSDoc's text, whitespace collapsed. */
  doc: string;
  /** Fields of the object type(s) the field holds (through arrays, records, `Input<T>` and unions). */
  fields: ApiField[];
}

/** One component of the TypeScript API. */
export interface ApiComponent {
  name: string;
  args: ApiField[];
  /** Members typed `pulumi.Output<...>`, by name, with their TSDoc. */
  outputs: Array<{ name: string; doc: string }>;
}

/** Whitespace collapsed, as the schema's descriptions are compared. */
export function normalizeDoc(text: string | undefined): string {
  return (text ?? "").replace(/\s+/g, " ").trim();
}

/** The object types a field's value may be: through `Input<T>`, arrays, records and unions; classes and primitives aside. */
function objectTypes(checker: ts.TypeChecker, type: ts.Type, seen = new Set<ts.Type>()): ts.Type[] {
  if (seen.has(type)) return [];
  seen.add(type);
  if (type.isUnion()) return type.types.flatMap((t) => objectTypes(checker, t, seen));
  const symbol = type.getSymbol() ?? type.aliasSymbol;
  const name = symbol?.getName();
  if (name === "Promise" || name === "OutputInstance" || name === "Output") return [];
  if (!(type.flags & ts.TypeFlags.Object)) return [];
  if (checker.isArrayType(type))
    return objectTypes(checker, checker.getTypeArguments(type as ts.TypeReference)[0]!, seen);
  const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
  if (index) return objectTypes(checker, index.type, seen);
  // A class instance (a resource, the catalog) is not data another language can give.
  if (symbol && symbol.flags & ts.SymbolFlags.Class) return [];
  if (type.getCallSignatures().length > 0) return [];
  return [type];
}

function fieldsOf(checker: ts.TypeChecker, types: ts.Type[], prefix: string, depth: number): ApiField[] {
  const byName = new Map<string, ApiField>();
  for (const type of types) {
    for (const prop of checker.getPropertiesOfType(type)) {
      if (byName.has(prop.name)) continue;
      const decl = prop.valueDeclaration ?? prop.declarations?.[0];
      const propType = decl ? checker.getTypeOfSymbolAtLocation(prop, decl) : checker.getTypeOfSymbol(prop);
      const fieldPath = prefix ? `${prefix}.${prop.name}` : prop.name;
      const isList = checker.isArrayType(checker.getNonNullableType(propType));
      const nested =
        depth < 6
          ? fieldsOf(checker, objectTypes(checker, propType), isList ? `${fieldPath}[]` : fieldPath, depth + 1)
          : [];
      // A union member without the field (`{ local } | { existing }`) leaves it optional in that union.
      const optional =
        (prop.flags & ts.SymbolFlags.Optional) !== 0 || types.some((t) => !checker.getPropertyOfType(t, prop.name));
      byName.set(prop.name, {
        path: fieldPath,
        name: prop.name,
        optional,
        doc: normalizeDoc(ts.displayPartsToString(prop.getDocumentationComment(checker))),
        fields: nested,
      });
    }
  }
  return [...byName.values()];
}

/** The components of `components/index.ts` named here, as their declarations give them. */
export function readTypeScriptApi(components: readonly string[]): ApiComponent[] {
  const p = componentsProgram();
  const checker = p.getTypeChecker();
  const index = checker.getSymbolAtLocation(p.getSourceFile(path.join(ROOT, "components/index.ts"))!)!;
  const exports = checker.getExportsOfModule(index);
  return components.map((name) => {
    const exported = exports.find((s) => s.name === name);
    if (!exported) throw new Error(`components/index.ts exports no ${name}`);
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const classDecl = symbol.declarations!.find(ts.isClassDeclaration)!;
    const ctor = classDecl.members.find(ts.isConstructorDeclaration)!;
    const argsType = checker.getTypeAtLocation(ctor.parameters.find((p) => p.name.getText() === "args")!.type!);
    const instance = checker.getDeclaredTypeOfSymbol(symbol);
    const outputs = checker
      .getPropertiesOfType(instance)
      .filter((prop) => {
        const decl = prop.valueDeclaration;
        if (!decl || !ts.isPropertyDeclaration(decl) || decl.parent !== classDecl) return false;
        const text = decl.type?.getText() ?? "";
        return /^pulumi\.Output</.test(text);
      })
      .map((prop) => ({
        name: prop.name,
        doc: normalizeDoc(ts.displayPartsToString(prop.getDocumentationComment(checker))),
      }));
    return { name, args: fieldsOf(checker, [argsType], "", 0), outputs };
  });
}
