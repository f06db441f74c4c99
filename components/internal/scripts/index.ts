// The shell and Python programs the components run live as files of their own beside this module (linted in CI by
// shellcheck and py_compile) and are read from there when the library loads: from components/internal/scripts under
// ts-node, tsx or vitest, from dist/components/internal/scripts once built (the build copies them). A command resource
// gets a script's whole text, so a machine that runs the stack needs no file of ours at a fixed path; what varies reaches
// the script by environment, stdin or quoted assignments in front of it, never by editing its text.

import { readFileSync } from "node:fs";
import * as path from "node:path";

/**
 * A shell script includes another file of this directory with exactly this line (after a `# shellcheck source=<file>`
 * directive), which works when the script is run as a file, as tests and shellcheck do.
 */
const INCLUDE = /^\. "\$\(dirname -- "\$\{BASH_SOURCE\[0\]\}"\)\/([A-Za-z0-9_.-]+)"$/;

const cache = new Map<string, string>();

function read(name: string): string {
  const file = path.join(__dirname, name);
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(
      `pulumi-trove: cannot read its script ${file} (${(error as Error).message}); the package is incomplete`,
      { cause: error },
    );
  }
}

function inline(name: string, included: Set<string>): string {
  included.add(name);
  return read(name)
    .split("\n")
    .map((line) => {
      const m = INCLUDE.exec(line);
      if (!m) return line;
      return included.has(m[1]!) ? `# (${m[1]} is already included above)` : inline(m[1]!, included);
    })
    .join("\n");
}

/**
 * The text of a script of this directory, self-contained: in a shell script, each include line is replaced by the
 * included file's text (each file once), so that `bash -c <text>` runs it anywhere. Read once per process.
 */
export function loadScript(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = name.endsWith(".sh") ? inline(name, new Set()) : read(name);
    cache.set(name, text);
  }
  return text;
}

/** A script and the variables it reads, for a local command (`environment`) or, rendered, for a remote one. */
export interface ScriptCommand {
  script: string;
  environment: Record<string, string>;
}

/**
 * Reads the result a script prints as the last line of its stdout: one JSON value. `step` names what ran, for the
 * error, e.g. `GuestImageBuild "main": the image build`; `valid` checks the value's shape. Throws when the line is
 * missing, is not JSON, or has the wrong shape, quoting (the start of) the line.
 */
export function readScriptResult<T>(
  step: string,
  stdout: string | undefined,
  valid: (value: unknown) => boolean = (v) => typeof v === "object" && v !== null,
): T {
  const line = (stdout ?? "").trim().split("\n").pop()!.trim();
  let value: unknown;
  let problem: string;
  if (line === "") {
    problem = "it printed nothing";
  } else {
    try {
      value = JSON.parse(line);
      if (valid(value)) return value as T;
      problem = "its last output line is JSON of the wrong shape";
    } catch {
      problem = "its last output line is not JSON";
    }
  }
  throw new Error(
    `${step} did not report its result (${problem}); last output line: ${JSON.stringify(line.slice(0, 200))}`,
  );
}
