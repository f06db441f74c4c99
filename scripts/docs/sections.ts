// Generated sections of a Markdown file: the text between `<!-- generated:<kind> <argument> -->` and
// `<!-- /generated -->` is owned by the renderer registered for <kind>; everything around the markers is prose and is
// kept as written. A new kind of section is one more entry in the registry the caller passes (see tables.ts).

/** What a renderer may use besides its argument: the whole document and the anchors of its headings. */
export interface SectionContext {
  /** The document as read, before any section is replaced. */
  readonly document: string;
  /**
   * For each generated section (`<kind> <argument>`), the GitHub anchor of the nearest heading above it, so that a
   * renderer can link to another section: `anchorOf("args", "SshConnection")` → `sshconnection`.
   */
  anchorOf(kind: string, argument: string): string | undefined;
}

/** Renders one section's Markdown (without the markers) from the marker's argument, e.g. an interface name. */
export type SectionRenderer = (argument: string, context: SectionContext) => string | Promise<string>;

/** One generated section as found in the document. */
export interface Section {
  kind: string;
  argument: string;
  /** Offsets of the text between the opening marker's line and the closing marker. */
  start: number;
  end: number;
  /** 1-based line of the opening marker. */
  line: number;
}

const OPENING = /<!-- generated:([a-z][a-z0-9-]*)(?:[ \t]+([^\s>][^>]*?))?[ \t]*-->[ \t]*\n/g;
const CLOSING = "<!-- /generated -->";

/** Finds every generated section; throws on a marker that is not closed, or closed by the next opening. */
export function findSections(document: string): Section[] {
  const sections: Section[] = [];
  for (const m of document.matchAll(OPENING)) {
    const start = m.index + m[0].length;
    const line = document.slice(0, m.index).split("\n").length;
    const end = document.indexOf(CLOSING, start);
    const nextOpening = document.slice(start).search(/<!-- generated:/);
    if (end < 0 || (nextOpening >= 0 && start + nextOpening < end)) {
      throw new Error(
        `line ${line}: <!-- generated:${m[1]} ${m[2] ?? ""} --> has no ${CLOSING} before the next section`,
      );
    }
    sections.push({ kind: m[1]!, argument: (m[2] ?? "").trim(), start, end, line });
  }
  return sections;
}

/** GitHub's anchor for a heading's text: lower case, punctuation dropped, spaces as dashes. */
export function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function headingAnchors(document: string): Array<{ offset: number; anchor: string }> {
  const seen = new Map<string, number>();
  const anchors: Array<{ offset: number; anchor: string }> = [];
  let inFence = false;
  let offset = 0;
  for (const line of document.split("\n")) {
    if (/^\s*```/.test(line)) inFence = !inFence;
    const m = inFence ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m) {
      const base = githubSlug(m[1]!);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.push({ offset, anchor: n === 0 ? base : `${base}-${n}` });
    }
    offset += line.length + 1;
  }
  return anchors;
}

/** A section's identity in messages and lookups: `args GlanceImageArgs`. */
export function sectionId(kind: string, argument: string): string {
  return argument ? `${kind} ${argument}` : kind;
}

/**
 * Renders every section with the renderer registered for its kind and returns the document with the sections
 * replaced, and which sections changed.
 */
export async function renderSections(
  document: string,
  renderers: Readonly<Record<string, SectionRenderer>>,
): Promise<{ text: string; changed: Section[] }> {
  const sections = findSections(document);
  const unknown = sections.filter((s) => !Object.hasOwn(renderers, s.kind));
  if (unknown.length > 0) {
    const known = Object.keys(renderers).sort().join(", ");
    throw new Error(
      unknown.map((s) => `line ${s.line}: no renderer for section kind "${s.kind}" (known: ${known})`).join("\n"),
    );
  }
  const headings = headingAnchors(document);
  const anchors = new Map<string, string>();
  for (const s of sections) {
    const above = headings.filter((h) => h.offset < s.start).pop();
    if (above) anchors.set(sectionId(s.kind, s.argument), above.anchor);
  }
  const context: SectionContext = { document, anchorOf: (kind, argument) => anchors.get(sectionId(kind, argument)) };
  let text = "";
  let at = 0;
  const changed: Section[] = [];
  for (const s of sections) {
    const body = (await renderers[s.kind]!(s.argument, context)).replace(/\n*$/, "\n");
    if (body !== document.slice(s.start, s.end)) changed.push(s);
    text += document.slice(at, s.start) + body;
    at = s.end;
  }
  return { text: text + document.slice(at), changed };
}
