// The `args` section kind: a table of an exported interface's fields (field, type, default, description), read from
// the TSDoc with TypeDoc. The default column comes from the comment's "Default: …" sentence, or "required" for a
// field that is not optional; the type is the annotation as written in the source, shortened.

import * as path from "node:path";
import {
  Application,
  Comment,
  CommentDisplayPart,
  Converter,
  DeclarationReflection,
  ProjectReflection,
  ReflectionKind,
} from "typedoc";
import ts from "typescript";
import { SectionContext, SectionRenderer } from "./sections";

/** One row of an args table. */
export interface ArgRow {
  field: string;
  /** The type annotation as written (already shortened). */
  type: string;
  optional: boolean;
  /** The TSDoc summary as Markdown, on one line; block tags such as `@deprecated` appended. */
  doc: string;
}

/** The public API's interfaces, read once per run. */
export interface ApiModel {
  /** The rows of interface `name`, in source order (inherited fields first); undefined when there is no such interface. */
  rows(name: string): ArgRow[] | undefined;
  /** For a type alias of another type (`BuildHostConnection = SshConnection`), that type's name. */
  aliasOf(name: string): string | undefined;
}

const root = path.join(__dirname, "../..");

/** Reads `components/index.ts`'s exports with TypeDoc, keeping each field's type annotation as written. */
export async function loadApiModel(): Promise<ApiModel> {
  const app = await Application.bootstrap({
    entryPoints: [path.join(root, "components/index.ts")],
    tsconfig: path.join(root, "tsconfig.build.json"),
    // `npm run typecheck` checks the code; here only the comments and annotations matter.
    skipErrorChecking: true,
    sort: ["source-order"],
    logLevel: "Warn",
    // The tables need no links to source lines (they would need a git remote, which a CI clone may not have).
    disableSources: true,
  });
  const written = new Map<DeclarationReflection, string>();
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Property)) return;
    const declaration = context.getSymbolFromReflection(reflection)?.declarations?.[0];
    if (
      declaration &&
      (ts.isPropertySignature(declaration) || ts.isPropertyDeclaration(declaration)) &&
      declaration.type
    ) {
      written.set(reflection, declaration.type.getText());
    }
  });
  const project = await app.convert();
  if (!project) throw new Error("TypeDoc could not read components/index.ts");
  return {
    rows: (name) => interfaceRows(project, name, written),
    aliasOf: (name) => {
      const found = project.getChildByName(name);
      return found instanceof DeclarationReflection &&
        found.kindOf(ReflectionKind.TypeAlias) &&
        found.type?.type === "reference"
        ? found.type.name
        : undefined;
    },
  };
}

function interfaceRows(
  project: ProjectReflection,
  name: string,
  written: Map<DeclarationReflection, string>,
): ArgRow[] | undefined {
  const found = project.getChildByName(name);
  if (!(found instanceof DeclarationReflection) || !found.kindOf(ReflectionKind.Interface)) return undefined;
  return (found.children ?? [])
    .filter((c) => c.kindOf(ReflectionKind.Property))
    .map((c) => ({
      field: c.name,
      type: shortenType(written.get(c) ?? c.type?.toString() ?? "unknown"),
      optional: c.flags.isOptional,
      doc: commentMarkdown(c.comment),
    }));
}

function displayParts(parts: readonly CommentDisplayPart[]): string {
  return parts.map((p) => (p.kind === "inline-tag" ? `\`${p.text}\`` : p.text)).join("");
}

/** The comment's summary as one line of Markdown, with `@deprecated` kept as a sentence. */
export function commentMarkdown(comment: Comment | undefined): string {
  if (!comment) return "";
  let text = displayParts(comment.summary);
  const deprecated = comment.getTag("@deprecated");
  if (deprecated)
    text += ` Deprecated${deprecated.content.length > 0 ? `: ${displayParts(deprecated.content).trim()}` : "."}`;
  return text.replace(/\s+/g, " ").trim();
}

/** `pulumi.Input<string>` → `Input<string>`; `{ local: X; existing?: undefined }` → `{ local: X }`; one line. */
export function shortenType(type: string): string {
  return (
    type
      .replace(/\s+/g, " ")
      .replace(/\bpulumi\./g, "")
      .replace(/;?\s*[A-Za-z_$][\w$]*\?: undefined\s*;?/g, "")
      .replace(/\{\s+/g, "{ ")
      .replace(/\s*;?\s*\}/g, " }")
      // A type Prettier spread over lines (`Omit<\n  X,\n  "a"\n>`) reads as it would on one line.
      .replace(/<\s+/g, "<")
      .replace(/,?\s+>/g, ">")
      .trim()
  );
}

/** Offset just past the sentence that starts at `from`: a `.` outside code and parentheses, followed by a space or the end. */
function sentenceEnd(text: string, from: number): number {
  let code = false;
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (c === "`") code = !code;
    else if (code) continue;
    else if (c === "(") depth++;
    else if (c === ")") depth = Math.max(0, depth - 1);
    else if (
      c === "." &&
      depth === 0 &&
      (i + 1 === text.length || /\s/.test(text[i + 1]!)) &&
      !/\b(e\.g|i\.e)$/.test(text.slice(from, i))
    ) {
      return i + 1;
    }
  }
  return text.length;
}

/**
 * Splits a field's TSDoc into its default (the text of its "Default: …" sentence or clause) and the rest.
 * "Default: `4000`." → `4000`; "…for this region; default: the default provider." → "the default provider".
 */
export function splitDefault(doc: string): { defaultText?: string; rest: string } {
  const m = /(^|[.;]\s+|\.\s*)default: /i.exec(doc);
  if (!m) return { rest: doc };
  const valueStart = m.index + m[0].length;
  const end = sentenceEnd(doc, valueStart);
  const defaultText = doc.slice(valueStart, end).replace(/\.$/, "").trim();
  const keep = m[1]!.startsWith(";") ? "." : m[1]!.trimEnd();
  const rest = `${doc.slice(0, m.index)}${keep} ${doc.slice(end)}`
    .replace(/\s+/g, " ")
    .replace(/^[.\s]+/, "")
    .trim();
  return { defaultText, rest };
}

const cell = (text: string): string => text.replace(/\|/g, "\\|");

/** The Markdown table of rows; `link(typeName)` gives the anchor of a type's own table, if it has one. */
export function renderArgsTable(rows: readonly ArgRow[], link: (typeName: string) => string | undefined): string {
  const lines = ["| field | type | default | description |", "|---|---|---|---|"];
  for (const row of rows) {
    const { defaultText, rest } = splitDefault(row.doc);
    const required = !row.optional;
    const description = required ? rest.replace(/(^|\s)Required\.(\s|$)/, "$1").trim() : rest;
    // A type with a table of its own is linked: where the description names it, else in a "See …" at the end.
    let text = description;
    const seeAlso: string[] = [];
    for (const name of new Set(row.type.match(/\b[A-Z][A-Za-z0-9]*\b/g) ?? [])) {
      const anchor = link(name);
      if (anchor === undefined) continue;
      const linked = `[\`${name}\`](#${anchor})`;
      if (text.includes(`\`${name}\``)) text = text.replace(`\`${name}\``, linked);
      else seeAlso.push(linked);
    }
    if (seeAlso.length > 0) text = `${text}${text ? " " : ""}See ${seeAlso.join(", ")}.`;
    const defaultCell = required ? (defaultText ? `required; ${defaultText}` : "required") : (defaultText ?? "");
    lines.push(`| \`${row.field}\` | \`${cell(row.type)}\` | ${cell(defaultCell)} | ${cell(text)} |`);
  }
  return `${lines.join("\n")}\n`;
}

/** The `args` renderer: `<!-- generated:args GlanceImageArgs -->`. The model is read once, on first use. */
export function argsRenderer(model: () => Promise<ApiModel>): SectionRenderer {
  return async (name: string, context: SectionContext) => {
    const api = await model();
    const rows = api.rows(name);
    if (!rows) throw new Error(`args ${name}: components/index.ts exports no interface named ${JSON.stringify(name)}`);
    const anchor = (typeName: string): string | undefined =>
      typeName === name ? undefined : context.anchorOf("args", typeName);
    return renderArgsTable(
      rows,
      (typeName) => anchor(typeName) ?? (api.aliasOf(typeName) ? anchor(api.aliasOf(typeName)!) : undefined),
    );
  };
}
