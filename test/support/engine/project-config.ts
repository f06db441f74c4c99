// The stack configuration a Pulumi program receives, built the way the Pulumi CLI builds it before it starts the
// program: the stack file's `config:` merged with Pulumi.yaml's project config, which declares typed keys
// (`string`, `integer`, `boolean`, `array` with `items`), their defaults and whether they are secret. The checks and
// their messages follow Pulumi's `ValidateStackConfigAndApplyProjectConfig` (sdk/go/common/workspace): a typed key
// with no default and no stack value is missing; a value of the wrong type is refused; a secret key given in plain
// text is refused. Secret values here stand for `secure:` values the CLI would decrypt; they are passed separately.

import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/** One typed key of Pulumi.yaml's `config:`. */
interface ProjectConfigType {
  type?: "string" | "integer" | "boolean" | "array";
  items?: ProjectConfigType;
  default?: unknown;
  secret?: boolean;
  value?: unknown;
}

/** What the language host hands the program: PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS. */
export interface ProgramConfig {
  /** `"<namespace>:<key>"` to the value as text (lists and objects as JSON). */
  config: Record<string, string>;
  /** Keys whose values are secret. */
  secretKeys: string[];
}

/** The parts of Pulumi.yaml the harness needs. */
export interface ProjectFile {
  name: string;
  main: string;
  stackConfigDir: string;
  typescript: boolean;
  config: Record<string, ProjectConfigType | string | number | boolean>;
}

export function readProjectFile(root: string): ProjectFile {
  const raw = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as {
    name: string;
    main?: string;
    stackConfigDir?: string;
    runtime: string | { name: string; options?: { typescript?: boolean } };
    config?: ProjectFile["config"];
  };
  const typescript = typeof raw.runtime === "object" ? (raw.runtime.options?.typescript ?? true) : true;
  return {
    name: raw.name,
    main: raw.main ?? ".",
    stackConfigDir: raw.stackConfigDir ?? "",
    typescript,
    config: raw.config ?? {},
  };
}

function fullKey(project: string, key: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

function typeName(t: ProjectConfigType): string {
  return t.type === "array" && t.items ? `List<${typeName(t.items)}>` : (t.type ?? "unknown");
}

function matches(t: ProjectConfigType, value: unknown): boolean {
  switch (t.type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return typeof value === "number" ? Number.isInteger(value) : typeof value === "string" && /^-?\d+$/.test(value);
    case "boolean":
      return typeof value === "boolean" || value === "true" || value === "false";
    case "array":
      return Array.isArray(value) && (!t.items || value.every((v) => matches(t.items!, v)));
    default:
      return false;
  }
}

const asText = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value));

/**
 * The config a stack's program receives: the stack file's values plus `secrets` (what `pulumi config set --secret`
 * stored), checked against and completed from Pulumi.yaml. `overrides` replace stack-file values (a test's bad value);
 * an override of `undefined` removes the key. `configFile`: the stack file to read instead (`pulumi --config-file`).
 * Throws with Pulumi's own wording when the CLI would refuse to start the program.
 */
export function programConfig(
  root: string,
  stack: string,
  secrets: Record<string, string> = {},
  overrides: Record<string, unknown> = {},
  configFile?: string,
): ProgramConfig {
  const project = readProjectFile(root);
  const stackFile = parse(
    readFileSync(configFile ?? path.join(root, project.stackConfigDir, `Pulumi.${stack}.yaml`), "utf8"),
  ) as { config?: Record<string, unknown> } | null;
  const values = new Map<string, unknown>();
  for (const [k, v] of Object.entries({ ...(stackFile?.config ?? {}), ...overrides })) {
    // An override of `undefined` takes the key out of the stack file, as `pulumi config rm` would.
    if (v === undefined) values.delete(fullKey(project.name, k));
    else values.set(fullKey(project.name, k), v);
  }
  const secretKeys = new Set<string>();
  for (const [k, v] of Object.entries(secrets)) {
    values.set(fullKey(project.name, k), v);
    secretKeys.add(fullKey(project.name, k));
  }

  const missing: string[] = [];
  for (const [declared, spec] of Object.entries(project.config)) {
    const key = fullKey(project.name, declared);
    if (typeof spec !== "object" || spec === null) {
      if (!values.has(key)) values.set(key, spec);
      continue;
    }
    if (!spec.type) {
      if (!values.has(key) && spec.value !== undefined) values.set(key, spec.value);
      continue;
    }
    if (!values.has(key)) {
      if (spec.default !== undefined) values.set(key, spec.default);
      else if (spec.value !== undefined) values.set(key, spec.value);
      else missing.push(declared);
      continue;
    }
    if (spec.secret && !secretKeys.has(key))
      throw new Error(`Stack '${stack}' with configuration key '${declared}' must be encrypted as it's secret`);
    if (!matches(spec, values.get(key)))
      throw new Error(`Stack '${stack}' with configuration key '${declared}' must be of type '${typeName(spec)}'`);
  }
  if (missing.length > 0) {
    const list = missing.map((k) => `'${k}'`);
    const joined = list.length === 1 ? list[0] : `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}`;
    throw new Error(`Stack '${stack}' is missing configuration ${missing.length === 1 ? "value" : "values"} ${joined}`);
  }
  return { config: Object.fromEntries([...values].map(([k, v]) => [k, asText(v)])), secretKeys: [...secretKeys] };
}
