// The component package as the engine uses it: the plugin (provider/) laid out as npm ships it, started as the Node
// language host starts it (run-plugin, the engine's address, the port it prints), and driven over gRPC with Pulumi's
// stubs. GetSchema is compared field by field with the TypeScript API read from components/index.ts, so a field added
// to a TypeScript component reaches the schema or this test names it; Construct of the pipeline with the lab stack's
// settings (examples/lab.yaml), sent as the YAML runtime sends them through the engine harness, registers what the
// TypeScript lab stack registers; the examples' types and names are checked against the schema.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TroveGuestPipeline, TroveGuestPipelineArgs } from "../../components/index";
import { OperationResult, PulumiEngine, ResourceState } from "../support/engine/engine";
import { isSecret, plainObject, pulumiRequire, SPECIAL_SIG, UNKNOWN } from "../support/engine/wire";
import {
  buildPluginPackage,
  getSchema,
  HostLog,
  PluginPackage,
  ProviderHost,
  startLogEngine,
  startProviderHost,
} from "../support/provider-host";
import { ApiComponent, ApiField, normalizeDoc, readTypeScriptApi } from "../support/typescript-api";

/* eslint-disable @typescript-eslint/no-explicit-any -- the schema is JSON, the protobuf stubs are untyped */
const grpc = pulumiRequire("@grpc/grpc-js") as any;
const resrpc = pulumiRequire("./proto/resource_grpc_pb") as any;
const resproto = pulumiRequire("./proto/resource_pb") as any;
const engrpc = pulumiRequire("./proto/engine_grpc_pb") as any;
const engproto = pulumiRequire("./proto/engine_pb") as any;
const structproto = pulumiRequire("google-protobuf/google/protobuf/struct_pb") as any;
/** Pulumi's signature of an output value on the wire (sdk/nodejs/runtime/rpc.ts, specialOutputValueSig). */
const OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";

const ROOT = path.join(__dirname, "../..");

/** The components every language gets. */
const COMPONENTS = [
  "TroveGuestPipeline",
  "GuestImageBuild",
  "GlanceImage",
  "LocalRegistry",
  "DatastoreImages",
  "TroveConfig",
  "DatastoreVersion",
  "DatastoreConfigurationParameters",
] as const;

/** TypeScript fields the schema leaves out, by component and path (`*` any component), and why. */
const LEFT_OUT: Record<string, string> = {
  "*:catalog": "a DatastoreCatalog instance; other languages get the built-in catalog",
  "TroveGuestPipeline:regions[].provider":
    "a provider reference the analyzer writes as a $ref no schema has; given with the providers resource option",
  "TroveGuestPipeline:registry.local.dockerProvider": "as regions[].provider",
  "LocalRegistry:dockerProvider": "as regions[].provider",
};

/**
 * Fields whose shape differs from TypeScript's (a union, `false`, a literal type or a class): their description is the
 * face's own, and what they are converted to is judged by the library's schema (see provider/shapes.ts).
 */
const RESHAPED = new Set([
  "TroveGuestPipeline:guestImage",
  "TroveGuestPipeline:guestImage.preloadImages",
  "TroveGuestPipeline:guestImage.fetchImage",
  "TroveGuestPipeline:glanceImage",
  "TroveGuestPipeline:glanceImage.visibility",
  "TroveGuestPipeline:regions",
  "TroveGuestPipeline:registry",
  "TroveGuestPipeline:registry.local",
  "TroveGuestPipeline:registry.existing",
  "TroveGuestPipeline:registry.local.tls",
  "TroveGuestPipeline:registry.local.tls.generate",
  "TroveGuestPipeline:datastoreImages",
  "TroveGuestPipeline:troveConfig",
  "TroveGuestPipeline:registration",
  "TroveGuestPipeline:registration.whenInUse",
  "GuestImageBuild:fetchImage",
  "GlanceImage:image",
  "GlanceImage:visibility",
  "LocalRegistry:tls",
  "LocalRegistry:tls.generate",
  "DatastoreConfigurationParameters:rules",
  "DatastoreConfigurationParameters:rules.rules",
  "DatastoreConfigurationParameters:rules.rulesFile",
  "DatastoreConfigurationParameters:rules.rules[].type",
  "DatastoreConfigurationParameters:rules.rules[].min",
  "DatastoreConfigurationParameters:rules.rules[].max",
]);

/** Fields of a union's members that the face folds into one object (`tls`: a certificate, or `generate`). */
const FACE_ONLY: Record<string, string> = {
  "TroveGuestPipeline:guestImage.fetchImage.enabled": "TypeScript's fetchImage: false",
  "GuestImageBuild:fetchImage.enabled": "TypeScript's fetchImage: false",
  "TroveGuestPipeline:troveConfig.enabled": "TypeScript's troveConfig: false",
  "TroveGuestPipeline:registration.enabled": "TypeScript's registration: false",
};

/** TypeScript outputs the schema leaves out, and why. */
const OUTPUTS_LEFT_OUT: Record<string, string> = {};

/** Outputs the faces add: TypeScript gives them through a child component. */
const OUTPUTS_ADDED: Record<string, string> = {
  "TroveGuestPipeline:troveConf": "TypeScript: pipeline.troveConfig.troveConf",
  "TroveGuestPipeline:guestAgentConf": "TypeScript: pipeline.troveConfig.guestAgentConf",
  "TroveGuestPipeline:versionSettings": "TypeScript: a plain object, known at preview",
  "DatastoreConfigurationParameters:ruleCount": "TypeScript: a plain number",
};

let apiCache: ApiComponent[] | undefined;
/** The TypeScript API, read once. */
const tsApi = (): ApiComponent[] => (apiCache ??= readTypeScriptApi(COMPONENTS));

let pkg: PluginPackage;
let host: ProviderHost;
let engine: { address: string; stop(): void };
let schema: any;
const logs: HostLog[] = [];

beforeAll(async () => {
  pkg = buildPluginPackage();
  engine = await startLogEngine(logs);
  host = await startProviderHost(pkg.pluginDir, engine.address);
  schema = await getSchema(host);
});

afterAll(async () => {
  await host?.stop();
  engine?.stop();
  pkg?.remove();
});

/** The schema type a property holds, through lists and maps, or undefined for a plain value. */
function typeOf(prop: any): any {
  const ref: string | undefined =
    prop.$ref ?? prop.items?.$ref ?? prop.additionalProperties?.$ref ?? prop.additionalProperties?.items?.$ref;
  if (!ref?.startsWith("#/types/")) return undefined;
  return schema.types[ref.slice("#/types/".length)];
}

const key = (component: string, path: string) => `${component}:${path}`;
const bare = (path: string) => path.replace(/\[\]/g, "");

/** Every difference between the TypeScript fields and the schema's properties, one line each. */
function differences(
  component: string,
  fields: ApiField[],
  props: Record<string, any>,
  required: string[],
  prefix: string,
): string[] {
  const problems: string[] = [];
  const tsNames = new Set(fields.map((f) => f.name));
  for (const f of fields) {
    const k = key(component, f.path);
    if (LEFT_OUT[k] || LEFT_OUT[`*:${f.name}`]) {
      if (props[f.name]) problems.push(`${k}: left out on purpose, yet in the schema`);
      continue;
    }
    const prop = props[f.name];
    if (!prop) {
      problems.push(`${k}: in the TypeScript API, not in the schema`);
      continue;
    }
    if (!RESHAPED.has(k) && !RESHAPED.has(bare(k))) {
      if (normalizeDoc(prop.description) !== f.doc)
        problems.push(
          `${k}: description ${JSON.stringify(normalizeDoc(prop.description))} is not the TSDoc ${JSON.stringify(f.doc)}`,
        );
      if (required.includes(f.name) === f.optional)
        problems.push(`${k}: ${f.optional ? "optional" : "required"} in TypeScript, not in the schema`);
    } else if (!normalizeDoc(prop.description)) {
      problems.push(`${k}: reshaped field without a description`);
    }
    if (f.fields.length > 0) {
      const nested = typeOf(prop);
      if (!nested) problems.push(`${k}: an object in TypeScript, a plain value in the schema`);
      else problems.push(...differences(component, f.fields, nested.properties, nested.required ?? [], f.path));
    }
  }
  for (const name of Object.keys(props)) {
    const k = key(component, prefix ? `${prefix}.${name}` : name);
    if (!tsNames.has(name) && !FACE_ONLY[bare(k)] && !FACE_ONLY[k])
      problems.push(`${k}: in the schema, not in the TypeScript API`);
  }
  return problems;
}

describe("the component package's schema (GetSchema from the plugin host)", () => {
  it("serves exactly the public components, as pulumi-trove:index:<Component>, with the package's name and version", () => {
    expect(schema.name).toBe("pulumi-trove");
    expect(schema.version).toBe(
      (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version,
    );
    expect(Object.keys(schema.resources).sort()).toEqual(COMPONENTS.map((c) => `pulumi-trove:index:${c}`).sort());
    for (const r of Object.values<any>(schema.resources)) expect(r.isComponent).toBe(true);
    // No provider references (see LEFT_OUT): the schema depends on no other package.
    expect(schema.dependencies).toEqual([]);
  });

  it("has every argument field of the TypeScript API, nested ones too, with its TSDoc and whether it is required", () => {
    const api = tsApi();
    const problems = api.flatMap((c) => {
      const resource = schema.resources[`pulumi-trove:index:${c.name}`];
      return differences(c.name, c.args, resource.inputProperties, resource.requiredInputs ?? [], "");
    });
    expect(problems).toEqual([]);
  });

  it("has every pulumi.Output of the TypeScript components as an output, with its TSDoc", () => {
    const api = tsApi();
    const problems = api.flatMap((c) => {
      const outputs = schema.resources[`pulumi-trove:index:${c.name}`].properties as Record<string, any>;
      const missing = c.outputs
        .filter((o) => !OUTPUTS_LEFT_OUT[key(c.name, o.name)] && !outputs[o.name])
        .map((o) => `${c.name}.${o.name}: not an output`);
      const docs = c.outputs
        .filter((o) => outputs[o.name] && normalizeDoc(outputs[o.name].description) !== o.doc)
        .map(
          (o) =>
            `${c.name}.${o.name}: description ${JSON.stringify(normalizeDoc(outputs[o.name].description))} is not the TSDoc ${JSON.stringify(o.doc)}`,
        );
      const extra = Object.keys(outputs)
        .filter((o) => !c.outputs.some((t) => t.name === o) && !OUTPUTS_ADDED[key(c.name, o)])
        .map((o) => `${c.name}.${o}: an output TypeScript does not have`);
      return [...missing, ...docs, ...extra];
    });
    expect(problems).toEqual([]);
  });

  it("marks nothing secret: the analyzer has no secret marking, so secrets travel by value (see the Construct test)", () => {
    expect(JSON.stringify(schema)).not.toMatch(/"secret"\s*:/);
  });

  it("logs nothing to the engine while serving the schema", () => {
    expect(logs).toEqual([]);
  });
});

// ---- Construct: the pipeline built through the plugin, as the engine asks it for a YAML (or Python...) program ----

/** One resource of a YAML program: its type token, properties as the file has them, and `options.providers`. */
interface YamlResource {
  name: string;
  type: string;
  properties: Record<string, unknown>;
  /** Names of the provider resources in `options.providers` (`${name}`). */
  providers?: string[];
}

/** The resources of a Pulumi YAML program file, their `pulumi-trove:<Component>` types written as full tokens. */
function yamlProgram(file: string): { name: string; resources: YamlResource[] } {
  const doc = parse(readFileSync(path.join(ROOT, file), "utf8")) as {
    name: string;
    resources: Record<
      string,
      { type: string; properties?: Record<string, unknown>; options?: { providers?: string[] } }
    >;
  };
  const resources = Object.entries(doc.resources).map(([name, r]) => {
    // Pulumi YAML reads `pkg:Type` as `pkg:index:Type`.
    const parts = r.type.split(":");
    const providers = r.options?.providers?.map((p) => /^\$\{([\w-]+)\}$/.exec(p)![1]!);
    return {
      name,
      type: parts.length === 2 ? `${parts[0]}:index:${parts[1]}` : r.type,
      properties: r.properties ?? {},
      ...(providers ? { providers } : {}),
    };
  });
  return { name: doc.name, resources };
}

/**
 * A stand-in for the YAML language runtime, run by the engine harness in place of a Node program: it registers the
 * stack, then each resource as a remote component with its properties as they are (plain values; the runtime's
 * interpolations aside, which these programs do not use), as the runtime sends them to the monitor.
 */
function yamlRuntime(
  project: string,
  stack: string,
  resources: YamlResource[],
  outputs = new Map<string, Record<string, unknown>>(),
) {
  return async (address: string): Promise<{ exitCode: number | null; output: string }> => {
    const monitor = new resrpc.ResourceMonitorClient(address, grpc.credentials.createInsecure());
    const engineClient = new engrpc.EngineClient(address, grpc.credentials.createInsecure());
    const call = <T>(f: (cb: (err: any, r: T) => void) => void) =>
      new Promise<T>((resolve, reject) =>
        f((err, r) => (err ? reject(new Error(err.details ?? err.message)) : resolve(r))),
      );
    try {
      const stackReq = new resproto.RegisterResourceRequest();
      stackReq.setType("pulumi:pulumi:Stack");
      stackReq.setName(`${project}-${stack}`);
      stackReq.setObject(structproto.Struct.fromJavaScript({}));
      const stackUrn: string = (await call<any>((cb) => monitor.registerResource(stackReq, cb))).getUrn();
      const root = new engproto.SetRootResourceRequest();
      root.setUrn(stackUrn);
      await call((cb) => engineClient.setRootResource(root, cb));
      // Provider references (`urn::id`; in a preview a new provider's id is unknown), by resource name.
      const refs = new Map<string, string>();
      for (const r of resources) {
        const req = new resproto.RegisterResourceRequest();
        req.setType(r.type);
        req.setName(r.name);
        req.setParent(stackUrn);
        req.setObject(structproto.Struct.fromJavaScript(r.properties as any));
        const isProvider = r.type.startsWith("pulumi:providers:");
        // A provider is a custom resource the runtime registers itself; a component package's type is remote.
        if (isProvider) req.setCustom(true);
        else req.setRemote(true);
        for (const name of r.providers ?? []) {
          const ref = refs.get(name)!;
          req.getProvidersMap().set(ref.split("::")[2]!.slice("pulumi:providers:".length), ref);
        }
        const resp = await call<any>((cb) => monitor.registerResource(req, cb));
        outputs.set(r.name, (resp.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>);
        if (isProvider) refs.set(r.name, `${resp.getUrn()}::${resp.getId() || UNKNOWN}`);
      }
      return { exitCode: 0, output: "" };
    } catch (error) {
      return { exitCode: 1, output: (error as Error).message };
    } finally {
      monitor.close();
      engineClient.close();
    }
  };
}

/** The environment of a CI runner with no cloud credentials and no Docker engine (as test/stack-preview.test.ts). */
function bareEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  for (const k of Object.keys(env)) if (/^OS_/.test(k) || k === "DOCKER_HOST") delete env[k];
  return env;
}

/** `type::name` of a resource, and of its parent (through the URN the parent was registered under). */
function graph(
  resources: ResourceState[],
  leaveOut: (r: ResourceState) => boolean,
  skipLevel: (r: ResourceState) => boolean,
): string[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const label = (r: ResourceState) => `${r.type}::${r.name}`;
  const parentOf = (r: ResourceState): ResourceState | undefined => {
    let p = r.parent ? byUrn.get(r.parent) : undefined;
    while (p && skipLevel(p)) p = p.parent ? byUrn.get(p.parent) : undefined;
    return p;
  };
  return resources
    .filter((r) => !leaveOut(r) && !skipLevel(r) && r.type !== "pulumi:pulumi:Stack")
    .map(
      (r) =>
        `${label(r)} <- ${parentOf(r)?.type === "pulumi:pulumi:Stack" ? "(stack)" : parentOf(r) ? label(parentOf(r)!) : "(none)"}`,
    )
    .sort();
}

/** examples/lab.yaml's resources with its pipeline replaced. */
const withPipeline = (pipeline: YamlResource): YamlResource[] =>
  yamlProgram("examples/lab.yaml").resources.map((r) => (r.type === pipeline.type ? pipeline : r));

/** The pipeline resource of a YAML program. */
const pipelineOf = (resources: YamlResource[]): YamlResource =>
  resources.find((r) => r.type === "pulumi-trove:index:TroveGuestPipeline")!;

describe("Construct through the plugin host, driven by the engine harness as for a YAML program", () => {
  let home: string;
  let componentHost: ProviderHost;
  let tsPreview: OperationResult;

  beforeAll(async () => {
    home = mkdtempSync(path.join(tmpdir(), "plugin-home-"));
    componentHost = await startProviderHost(pkg.pluginDir, engine.address, bareEnv(home));
    tsPreview = await new PulumiEngine({ root: ROOT, stack: "lab", env: bareEnv(home) }).preview();
  });

  afterAll(async () => {
    await componentHost?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  /** What the YAML program's resources got back from the engine (a component: Construct's state), by name. */
  const mlOutputs = new Map<string, Record<string, unknown>>();
  const mlPreview = (resources: YamlResource[]) =>
    new PulumiEngine({
      root: ROOT,
      stack: "lab",
      env: bareEnv(home),
      runProgram: yamlRuntime("pulumi-trove", "lab", resources, mlOutputs),
      features: ["outputValues"],
      componentProviders: { "pulumi-trove": `127.0.0.1:${componentHost.port}` },
    }).preview();

  it("examples/lab.yaml gives the pipeline exactly the lab stack's settings", () => {
    const stackFile = parse(readFileSync(path.join(ROOT, "stacks/Pulumi.lab.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    const settings = Object.fromEntries(
      Object.entries(stackFile.config).map(([k, v]) => [k.replace(/^pulumi-trove:/, ""), v]),
    );
    const lab = yamlProgram("examples/lab.yaml").resources;
    expect(lab.map((r) => `${r.type} ${r.name}`)).toEqual([
      "pulumi:providers:openstack openstack-lab",
      "pulumi-trove:index:TroveGuestPipeline lab",
    ]);
    expect(pipelineOf(lab).properties).toEqual(settings);
    // The provider the TypeScript stack builds for the region: `openstack-<region>` with the region's cloud.
    expect(lab[0]!.properties).toEqual({ cloud: "trove-lab" });
    expect(pipelineOf(lab).providers).toEqual(["openstack-lab"]);
  });

  it("registers the resources the TypeScript lab stack registers: same types, names, parents, inputs and providers", async () => {
    expect(tsPreview.errors, tsPreview.programOutput).toEqual([]);
    const ml = await mlPreview(yamlProgram("examples/lab.yaml").resources);
    expect(ml.errors, ml.programOutput).toEqual([]);
    // One level more: the multi-language face around the pipeline.
    const isFace = (r: ResourceState) => r.type.startsWith("pulumi-trove:index:");
    const tsGraph = graph(
      tsPreview.resources,
      () => false,
      () => false,
    );
    const mlGraph = graph(ml.resources, () => false, isFace);
    expect(mlGraph).toEqual(tsGraph);
    expect(ml.resources.filter(isFace).map((r) => `${r.type}::${r.name}`)).toEqual([
      "pulumi-trove:index:TroveGuestPipeline::lab",
    ]);
    // The same inputs, resource by resource (a dynamic resource's serialized provider aside: its code is loaded from
    // the plugin's copy of the package, so its file paths differ; and the provider's own, which the SDKs write
    // differently: the TypeScript SDK adds its `version`), and the same provider for each.
    const isProvider = (r: ResourceState) => r.type.startsWith("pulumi:providers:");
    const inputs = (rs: ResourceState[]) =>
      Object.fromEntries(
        rs
          .filter((r) => r.custom && !isProvider(r))
          .map((r) => [`${r.type}::${r.name}`, { ...plainObject(r.inputs), __provider: undefined }]),
      );
    expect(inputs(ml.resources)).toEqual(inputs(tsPreview.resources));
    const providers = (rs: ResourceState[]) =>
      Object.fromEntries(
        rs.filter((r) => r.custom).map((r) => [`${r.type}::${r.name}`, r.provider?.split("::")[3] ?? r.provider]),
      );
    expect(providers(ml.resources)).toEqual(providers(tsPreview.resources));
    expect(Object.values(providers(ml.resources))).toContain("openstack-lab");
    expect(plainObject(ml.resources.find(isProvider)!.inputs).cloud).toBe("trove-lab");
  });

  it("returns the outputs as the TypeScript stack exports them in a preview: versionSettings known, registryAddress unknown until the container exists", async () => {
    const ml = await mlPreview(yamlProgram("examples/lab.yaml").resources);
    expect(ml.errors, ml.programOutput).toEqual([]);
    const state = plainObject(mlOutputs.get("lab")! as Record<string, unknown>);
    expect(state.registryAddress).toBe(UNKNOWN);
    expect(tsPreview.outputs.registryAddress).toBe(UNKNOWN);
    expect(state.versionSettings).toEqual(tsPreview.outputs.versionSettings);
    expect(Object.keys(state).sort()).toEqual(
      Object.keys(schema.resources["pulumi-trove:index:TroveGuestPipeline"].properties).sort(),
    );
  });

  it("keeps a secret secret by its value (the schema marks none): the registry password reaches the same resources, secret", async () => {
    // TypeScript: the lab stack with basic auth, its password from `pulumi config set --secret registryPassword`.
    const auth = { username: "trove" };
    const tsAuth = await new PulumiEngine({
      root: ROOT,
      stack: "lab",
      env: bareEnv(home),
      secrets: { registryPassword: "s3cret" },
      configOverrides: {
        "pulumi-trove:registry": {
          local: {
            ...(pipelineOf(yamlProgram("examples/lab.yaml").resources).properties.registry as { local: object }).local,
            auth,
          },
        },
      },
    }).preview();
    expect(tsAuth.errors, tsAuth.programOutput).toEqual([]);
    // YAML: `password: ${registryPassword}` of a secret config key, which the runtime sends as a secret output value.
    const lab = pipelineOf(yamlProgram("examples/lab.yaml").resources);
    const registry = lab.properties.registry as { local: Record<string, unknown> };
    const password = { [SPECIAL_SIG]: OUTPUT_VALUE_SIG, value: "s3cret", secret: true };
    const ml = await mlPreview(
      withPipeline({
        ...lab,
        properties: { ...lab.properties, registry: { local: { ...registry.local, auth: { ...auth, password } } } },
      }),
    );
    expect(ml.errors, ml.programOutput).toEqual([]);
    /** Paths of the secret values in a wire value, e.g. `environment.REGISTRY_PASSWORD`. */
    const secretPaths = (v: unknown, at: string): string[] => {
      if (isSecret(v)) return [at];
      if (Array.isArray(v)) return v.flatMap((x, i) => secretPaths(x, `${at}[${i}]`));
      if (v && typeof v === "object")
        return Object.entries(v).flatMap(([k, x]) => secretPaths(x, at ? `${at}.${k}` : k));
      return [];
    };
    /** A wire value with its secrets blanked out: what would be stored in plain text. */
    const inTheClear = (v: unknown): unknown =>
      isSecret(v)
        ? "[secret]"
        : Array.isArray(v)
          ? v.map(inTheClear)
          : v && typeof v === "object"
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, inTheClear(x)]))
            : v;
    const secrets = (rs: ResourceState[]) =>
      Object.fromEntries(
        rs
          .filter((r) => r.custom)
          .map((r) => [`${r.type}::${r.name}`, secretPaths(r.inputs, "").sort()] as const)
          .filter(([, paths]) => paths.length > 0),
      );
    const tsSecrets = secrets(tsAuth.resources);
    expect(Object.keys(tsSecrets).length).toBeGreaterThan(0);
    expect(secrets(ml.resources)).toEqual(tsSecrets);
    // Nowhere in plain text.
    for (const r of ml.resources) expect(JSON.stringify(inTheClear(r.inputs)), r.name).not.toContain("s3cret");
  });

  it("refuses a bad value with the TypeScript API's one-line message", async () => {
    const lab = pipelineOf(yamlProgram("examples/lab.yaml").resources);
    const bad = { ...lab, properties: { ...lab.properties, versions: [{ datastore: "mysql", version: "9.9" }] } };
    pulumi.runtime.setMocks(
      { newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs },
      "pulumi-trove",
      "lab",
      true,
    );
    let expected = "";
    try {
      new TroveGuestPipeline("lab", bad.properties as unknown as TroveGuestPipelineArgs);
    } catch (e) {
      expected = (e as Error).message;
    }
    expect(expected).toMatch(/^TroveGuestPipeline "lab": versions\[0\]/);
    expect(expected).not.toContain("\n");
    const ml = await mlPreview(withPipeline(bad));
    expect(ml.ok).toBe(false);
    expect(ml.errors).toContain(`pulumi-trove:index:TroveGuestPipeline lab: ${expected}`);
  });
});

// ---- The examples in other languages, checked against the served schema ----

/** Python's name for a schema property, as Pulumi's Python code generator writes it (`troveRelease` → `trove_release`). */
function pythonName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
}

/** Every problem of a YAML value against a schema property: unknown fields, missing required ones, wrong kinds. */
function yamlProblems(value: unknown, prop: any, at: string): string[] {
  if (typeof value === "string" && /^\$\{[^}]+\}$/.test(value)) return []; // an interpolation: its type is the source's
  const target = prop.$ref?.startsWith("#/types/") ? schema.types[prop.$ref.slice("#/types/".length)] : prop;
  if (target.type === "array")
    return Array.isArray(value)
      ? value.flatMap((v, i) => yamlProblems(v, target.items, `${at}[${i}]`))
      : [`${at}: a list in the schema`];
  if (target.type === "object" && target.additionalProperties) {
    return value && typeof value === "object"
      ? Object.entries(value).flatMap(([k, v]) => yamlProblems(v, target.additionalProperties, `${at}.${k}`))
      : [`${at}: a map in the schema`];
  }
  if (target.properties) return objectProblems(value, target.properties, target.required ?? [], at);
  const kinds: Record<string, string> = { string: "string", number: "number", integer: "number", boolean: "boolean" };
  // The YAML runtime turns a number or a boolean written for a string property into its text.
  if (target.type === "string" && (typeof value === "number" || typeof value === "boolean")) return [];
  return kinds[target.type] && typeof value !== kinds[target.type]
    ? [`${at}: ${JSON.stringify(value)} is not a ${target.type}`]
    : [];
}

function objectProblems(value: unknown, properties: Record<string, any>, required: string[], at: string): string[] {
  if (!value || typeof value !== "object" || Array.isArray(value)) return [`${at}: an object in the schema`];
  const given = value as Record<string, unknown>;
  return [
    ...Object.keys(given)
      .filter((k) => !properties[k])
      .map((k) => `${at}.${k}: not in the schema`),
    ...required.filter((k) => given[k] === undefined).map((k) => `${at}.${k}: required by the schema`),
    ...Object.entries(given)
      .filter(([k]) => properties[k])
      .flatMap(([k, v]) => yamlProblems(v, properties[k], `${at}.${k}`)),
  ];
}

/** What a Python program imports, calls (with keyword names) and reads, by Python's own parser. */
interface PythonUse {
  imports: string[];
  calls: Array<{ func: string; keywords: string[]; line: number }>;
  attributes: Array<{ of: string; name: string; line: number }>;
}

const PYTHON_READER = `
import ast, json, sys
tree = ast.parse(open(sys.argv[1]).read())
alias = {}
imports, calls, attributes, made = [], [], [], {}
for node in ast.walk(tree):
    if isinstance(node, ast.Import):
        for a in node.names:
            imports.append(a.name); alias[a.asname or a.name] = a.name
for node in ast.walk(tree):
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute) and isinstance(node.value.func.value, ast.Name) and alias.get(node.value.func.value.id) == "pulumi_pulumi_trove":
        for t in node.targets:
            if isinstance(t, ast.Name): made[t.id] = node.value.func.attr
for node in ast.walk(tree):
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and alias.get(node.func.value.id) == "pulumi_pulumi_trove":
        calls.append({"func": node.func.attr, "keywords": [k.arg for k in node.keywords], "line": node.lineno})
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in made:
        attributes.append({"of": made[node.value.id], "name": node.attr, "line": node.lineno})
print(json.dumps({"imports": imports, "calls": calls, "attributes": attributes}))
`;

describe("the examples in Pulumi YAML and Python, against the schema the plugin serves", () => {
  it.each(["examples/basic.yaml", "examples/lab.yaml"])(
    "%s: every resource type, property and required property is the schema's",
    (file) => {
      const program = yamlProgram(file);
      // Resources of other packages (the OpenStack provider) are those packages' schemas' business.
      const problems = program.resources
        .filter((r) => r.type.startsWith("pulumi-trove:"))
        .flatMap((r) => {
          const resource = schema.resources[r.type];
          if (!resource) return [`${r.name}: no resource ${r.type} in the schema`];
          return objectProblems(r.properties, resource.inputProperties, resource.requiredInputs ?? [], r.name);
        });
      expect(problems).toEqual([]);
      // The outputs it reads are the component's.
      const outputs =
        (parse(readFileSync(path.join(ROOT, file), "utf8")) as { outputs?: Record<string, string> }).outputs ?? {};
      for (const [key, ref] of Object.entries(outputs)) {
        const [name, output] = /^\$\{(\w+)\.(\w+)\}$/.exec(ref)!.slice(1) as [string, string];
        const r = program.resources.find((x) => x.name === name)!;
        expect(schema.resources[r.type].properties[output], `${file} outputs.${key}`).toBeDefined();
      }
    },
  );

  it("examples/basic.yaml declares what examples/basic.ts declares: the same pipeline arguments", () => {
    const yaml = yamlProgram("examples/basic.yaml").resources[0]!;
    const ts = readFileSync(path.join(ROOT, "examples/basic.ts"), "utf8");
    expect(ts).toContain(`new TroveGuestPipeline("${yaml.name}"`);
    // Every top-level argument of the TypeScript example, and no other.
    const tsArgs = [...ts.matchAll(/^ {2}(\w+): /gm)].map((m) => m[1]).sort();
    expect(Object.keys(yaml.properties).sort()).toEqual(tsArgs);
  });

  it("examples/basic.py imports the generated SDK and uses only its classes, arguments and outputs (Python's names of the schema's)", () => {
    const read = spawnSync("python3", ["-c", PYTHON_READER, path.join(ROOT, "examples/basic.py")], {
      encoding: "utf8",
    });
    expect(read.stderr).toBe("");
    const use = JSON.parse(read.stdout) as PythonUse;
    expect(use.imports.sort()).toEqual(["pulumi", "pulumi_pulumi_trove"]);
    // Python's classes: each component by its name, each type as `<Type>Args`.
    const classes = new Map<string, { keywords: string[]; required: string[] }>();
    for (const [token, r] of Object.entries<any>(schema.resources))
      classes.set(token.split(":")[2]!, {
        keywords: [...Object.keys(r.inputProperties).map(pythonName), "opts"],
        required: (r.requiredInputs ?? []).map(pythonName),
      });
    for (const [token, t] of Object.entries<any>(schema.types))
      classes.set(`${token.split(":")[2]}Args`, {
        keywords: Object.keys(t.properties).map(pythonName),
        required: (t.required ?? []).map(pythonName),
      });
    const problems = use.calls.flatMap((c) => {
      const cls = classes.get(c.func);
      if (!cls) return [`line ${c.line}: the SDK has no class ${c.func}`];
      return [
        ...c.keywords.filter((k) => !cls.keywords.includes(k)).map((k) => `line ${c.line}: ${c.func} takes no ${k}`),
        ...cls.required.filter((k) => !c.keywords.includes(k)).map((k) => `line ${c.line}: ${c.func} needs ${k}`),
      ];
    });
    for (const a of use.attributes) {
      const outputs = Object.keys(schema.resources[`pulumi-trove:index:${a.of}`]?.properties ?? {}).map(pythonName);
      if (!outputs.includes(a.name)) problems.push(`line ${a.line}: ${a.of} has no output ${a.name}`);
    }
    expect(problems).toEqual([]);
    expect(use.calls.map((c) => c.func)).toContain("TroveGuestPipeline");
  });
});
