// The package as another team gets it: `npm pack` (which builds), the tarball unpacked into a fresh project's
// node_modules, the README's example program compiled against it with the TypeScript compiler, and the JavaScript
// loaded with Node. The other project's dependencies (@pulumi/*, typescript) are linked from ours, so nothing is
// downloaded. DatastoreVersion's provider, serialized from the compiled package, runs against a small Keystone and
// Trove of our own on 127.0.0.1.

import { execFile, execFileSync, spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSchema, HostLog, startLogEngine, startProviderHost } from "./support/provider-host";
import { FORMER_MODULE_PATHS } from "../scripts/build/former-paths";

const root = path.join(__dirname, "..");
let work: string;
let consumer: string;
let packedFiles: string[];

// The public API: every name dist/components/index.d.ts exports, and nothing else. A name added to
// components/index.ts is added here, on purpose.
const PUBLIC_API = [
  // The pipeline and the components, with their arguments and the types those arguments and outputs use
  "TroveGuestPipeline",
  "TroveGuestPipelineArgs",
  "PipelineDatastoreVersion",
  "PipelineRegion",
  "PipelineRegistration",
  "PipelineVersionOutput",
  "GuestImageBuild",
  "GuestImageBuildArgs",
  "BuildHostConnection",
  "ImageFetchArgs",
  "GlanceImage",
  "GlanceImageArgs",
  "GlanceImageSource",
  "LocalRegistry",
  "LocalRegistryArgs",
  "LocalRegistryAuth",
  "LocalRegistryTls",
  "LocalRegistryGeneratedTls",
  "RegistryEndpoint",
  "DatastoreImages",
  "DatastoreImagesArgs",
  "PublishedImages",
  "TroveConfig",
  "TroveConfigArgs",
  "TroveConfigTarget",
  "TroveControllerTarget",
  "ControllerConnection",
  "GuestAgentImageOptions",
  "DatastoreVersion",
  "DatastoreVersionArgs",
  "WhenVersionInUse",
  "RetainedVersion",
  "ServedVersion",
  "DatastoreConfigurationParameters",
  "DatastoreConfigurationParametersArgs",
  "ConfigurationParameterRule",
  "TroveControllerHost",
  "ParametersSyncSummary",
  "TroveController",
  "SshConnection",
  "TroveCheckout",
  // The catalog of datastores and Trove releases
  "DatastoreCatalog",
  "defaultCatalog",
  "BUILTIN_DATASTORES",
  "DatastoreDefinition",
  "DatastoreVersionSpec",
  "TROVE_RELEASES",
  "TroveRelease",
  "TroveReleaseRules",
  "BackupImageNaming",
  "ReleaseEvidence",
  "troveReleaseSupport",
  "knownTroveReleases",
  // The pure functions the README offers, and the validation error
  "datastoreImageNames",
  "DatastoreImageNames",
  "troveBackupImage",
  "renderTroveConfig",
  "TroveConfigValues",
  "renderIni",
  "IniSections",
  "shellQuote",
  "ComponentInputError",
  "FieldProblem",
];

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noEmit: true,
    types: ["node"],
    skipLibCheck: true,
  },
  include: ["*.ts"],
};

/** Every file under `dir`, as paths relative to it with `/` separators. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join("/"));
}

function tsc(): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", consumer], {
    encoding: "utf8",
  });
  return { status: r.status, output: r.stdout + r.stderr };
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), "pulumi-trove-pack-"));
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", work], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }),
  ) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packedFiles = packed[0]!.files.map((f) => f.path);
  consumer = path.join(work, "consumer");
  const installed = path.join(consumer, "node_modules/pulumi-trove");
  mkdirSync(installed, { recursive: true });
  execFileSync("tar", ["-xzf", path.join(work, packed[0]!.filename), "-C", installed, "--strip-components=1"]);
  // The rest of the consumer's node_modules: links to ours, as `npm install` would have resolved them.
  for (const entry of readdirSync(path.join(root, "node_modules"))) {
    if (entry.startsWith(".") || entry === "pulumi-trove") continue;
    symlinkSync(path.join(root, "node_modules", entry), path.join(consumer, "node_modules", entry));
  }
  writeFileSync(path.join(consumer, "tsconfig.json"), JSON.stringify(TSCONFIG));
  writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true }));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the published package", () => {
  it("ships the compiled library with its type declarations and the README, not the sources or tests", () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        "README.md",
        "package.json",
        "dist/components/index.js",
        "dist/components/index.d.ts",
        "dist/components/pipeline/pipeline.d.ts",
      ]),
    );
    // Beside the library: the component package (provider/, compiled in dist/provider/); see the plugin test below.
    expect(
      packedFiles.filter(
        (f) =>
          !f.startsWith("dist/components/") &&
          !f.startsWith("dist/provider/") &&
          !f.startsWith("provider/") &&
          !["README.md", "package.json", "LICENSE"].includes(f),
      ),
    ).toEqual([]);
    // The only TypeScript sources: the multi-language faces, which componentProviderHost's analyzer reads.
    expect(packedFiles.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.startsWith("provider/"))).toEqual(
      [],
    );
    // The scripts the components load at run time, beside the compiled loader.
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        "dist/components/internal/scripts/index.js",
        "dist/components/internal/scripts/lib.sh",
        "dist/components/internal/scripts/build-guest-image.sh",
        "dist/components/internal/scripts/sync-parameters.py",
        "dist/components/internal/scripts/edit-trove-config.py",
      ]),
    );
  });

  it("ships exactly each library module's JavaScript, declarations and source map, the README, package.json and the component package", () => {
    // Every module of every folder, and the script files beside the loader; Python's bytecode cache, where a script was
    // ever imported here, is not shipped (the build leaves it out).
    const sources = filesUnder(path.join(root, "components")).filter((f) => !f.split("/").includes("__pycache__"));
    const compiled = sources.flatMap((f) =>
      f.endsWith(".ts")
        ? [".js", ".js.map", ".d.ts"].map((ext) => `dist/components/${f.slice(0, -3)}${ext}`)
        : f.startsWith("internal/scripts/")
          ? [`dist/components/${f}`]
          : [],
    );
    // And 0.1.0's module paths that serialized providers in existing stacks require (scripts/build/former-paths.ts).
    const former = Object.keys(FORMER_MODULE_PATHS).map((m) => `dist/components/${m}.js`);
    // The component package: the plugin directory as it is, and its modules compiled.
    const plugin = readdirSync(path.join(root, "provider")).map((f) => `provider/${f}`);
    const faces = readdirSync(path.join(root, "provider"))
      .filter((f) => f.endsWith(".ts"))
      .flatMap((f) => [".js", ".js.map", ".d.ts"].map((ext) => `dist/provider/${f.slice(0, -3)}${ext}`));
    const intended = ["README.md", "package.json", ...compiled, ...former, ...plugin, ...faces];
    expect([...packedFiles].sort()).toEqual(intended.sort());
  });

  it("declares exactly the public API in index.d.ts, and no published declaration refers to an internal name", () => {
    const dist = path.join(consumer, "node_modules/pulumi-trove/dist/components");
    const declarations = filesUnder(dist)
      .filter((f) => f.endsWith(".d.ts"))
      .map((f) => path.join(dist, f));
    // Our declarations checked in full (skipLibCheck off for them), so a public declaration that names a type the
    // build stripped as internal fails here rather than turning into `any` for the user.
    const program = ts.createProgram(declarations, {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
      types: ["node"],
      typeRoots: [path.join(consumer, "node_modules/@types")],
    });
    const problems = declarations.flatMap((f) => {
      const source = program.getSourceFile(f)!;
      return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map(
        (d) => `${path.basename(f)}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`,
      );
    });
    expect(problems).toEqual([]);
    const index = program.getTypeChecker().getSymbolAtLocation(program.getSourceFile(path.join(dist, "index.d.ts"))!)!;
    const exported = program
      .getTypeChecker()
      .getExportsOfModule(index)
      .map((s) => s.name);
    expect(exported.sort()).toEqual([...PUBLIC_API].sort());
    expect(readFileSync(path.join(dist, "index.d.ts"), "utf8")).not.toContain("export *");
  });

  it("serves its components to other languages from the installed package: the plugin directory pulumi package add is given", async () => {
    // As `pulumi package add ./node_modules/pulumi-trove/provider` runs it: the Node language host's run-plugin, the
    // engine's address, the port it prints, GetSchema; the analyzer reads the faces against the shipped declarations.
    const logs: HostLog[] = [];
    const engine = await startLogEngine(logs);
    const host = await startProviderHost(path.join(consumer, "node_modules/pulumi-trove/provider"), engine.address);
    try {
      const schema = (await getSchema(host)) as { name: string; version: string; resources: Record<string, unknown> };
      expect(schema.name).toBe("pulumi-trove");
      expect(schema.version).toBe(
        (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version,
      );
      expect(Object.keys(schema.resources).sort()).toEqual(
        [
          "DatastoreConfigurationParameters",
          "DatastoreImages",
          "DatastoreVersion",
          "GlanceImage",
          "GuestImageBuild",
          "LocalRegistry",
          "TroveConfig",
          "TroveGuestPipeline",
        ].map((c) => `pulumi-trove:index:${c}`),
      );
      expect(logs).toEqual([]);
    } finally {
      await host.stop();
      engine.stop();
    }
  });

  it("compiles the README's example program, importing from 'pulumi-trove', with full types", () => {
    const example = readFileSync(path.join(root, "examples/basic.ts"), "utf8").replace(
      'from "../components"',
      'from "pulumi-trove"',
    );
    expect(example).toContain('from "pulumi-trove"');
    writeFileSync(path.join(consumer, "index.ts"), example);
    const result = tsc();
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });

  it("catches a misspelt argument at compile time, naming it", () => {
    writeFileSync(
      path.join(consumer, "typo.ts"),
      'import { DatastoreVersion } from "pulumi-trove";\nnew DatastoreVersion("v", { datastore: "mysql", version: "8.0", imageTag: ["trove"] });\n',
    );
    try {
      const result = tsc();
      expect(result.status).not.toBe(0);
      expect(result.output).toMatch(/typo\.ts.*'imageTag' does not exist in type 'DatastoreVersionArgs'/);
    } finally {
      rmSync(path.join(consumer, "typo.ts"));
    }
  });

  it("serializes DatastoreVersion's provider from the compiled package so that Pulumi's provider host can run it", () => {
    // As the engine would: declare under mocks, take the serialized __provider text, load it as the dynamic-provider
    // host loads it, and call create. The serialized text requires the package's modules from the consumer's
    // node_modules, as it will on the admin's machine. A cloud missing from clouds.yaml stops create before any
    // network call, after the provider has loaded its code and dependencies (yaml among them).
    writeFileSync(
      path.join(consumer, "clouds.yaml"),
      "clouds:\n  other:\n    auth: { auth_url: http://127.0.0.1:9/v3 }\n",
    );
    const script = `
      const pulumi = require("@pulumi/pulumi");
      const Module = require("node:module");
      const path = require("node:path");
      let declared;
      pulumi.runtime.setMocks({ newResource: (a) => { declared = a.inputs; return { id: "v", state: a.inputs }; }, call: (a) => a.inputs }, "p", "s", false);
      const { DatastoreVersion } = require("pulumi-trove");
      new DatastoreVersion("v", { datastore: "mysql", version: "8.0", cloud: "missing" });
      const wait = setInterval(async () => {
        if (!declared) return;
        clearInterval(wait);
        const filename = path.join(process.cwd(), "__dynamic_provider.js");
        const m = new Module(filename);
        m.filename = filename;
        m.paths = Module._nodeModulePaths(process.cwd());
        m._compile(declared.__provider, filename);
        try {
          await m.exports.handler().create(JSON.parse(JSON.stringify(declared)));
          console.log("created?!");
        } catch (e) {
          console.log(e.message);
        }
      }, 20);`;
    // A file, as a Pulumi program is (code given with `node -e` is serialized differently).
    writeFileSync(path.join(consumer, "declare-and-run.js"), script);
    const out = execFileSync(process.execPath, ["declare-and-run.js"], {
      cwd: consumer,
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: consumer },
    }).trim();
    expect(out).toBe(`cloud "missing" is not in ${path.join(consumer, "clouds.yaml")} (clouds there: other)`);
  });

  it("serializes DatastoreVersion's provider from the compiled package so that one provider process asks Keystone for one token", async () => {
    // Keystone and Trove answering as the real ones do, for creates only: a token; 400 "cannot be found" for a version
    // not created yet; 202 with no body for the create; the version once created.
    let tokens = 0;
    const created = new Map<string, string>();
    const server = createServer((req, res) => {
      const reply = (status: number, body?: unknown, headers: Record<string, string> = {}) =>
        res
          .writeHead(status, { "Content-Type": "application/json", ...headers })
          .end(body === undefined ? "" : JSON.stringify(body));
      let text = "";
      req.on("data", (chunk: Buffer) => (text += chunk.toString()));
      req.on("end", () => {
        const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        if (req.method === "POST" && req.url === "/v3/auth/tokens") {
          tokens++;
          const token = {
            issued_at: new Date().toISOString(),
            expires_at: new Date(Date.now() + 3_600_000).toISOString(),
            project: { id: "p" },
            catalog: [
              {
                type: "database",
                endpoints: [{ interface: "public", region_id: "R", url: `${base}/v1.0/%(tenant_id)s` }],
              },
            ],
          };
          return reply(201, { token }, { "X-Subject-Token": `t${tokens}` });
        }
        const shown = /^\/v1\.0\/p\/datastores\/mysql\/versions\/([\d.]+)$/.exec(req.url ?? "");
        if (shown)
          return created.has(shown[1]!)
            ? reply(200, { version: { id: created.get(shown[1]!), name: shown[1], version: shown[1] } })
            : reply(400, { badRequest: { message: `Datastore version '${shown[1]}' cannot be found.` } });
        if (req.method === "POST" && req.url === "/v1.0/p/mgmt/datastore-versions") {
          const v = (JSON.parse(text) as { version: { version: string } }).version.version;
          created.set(v, `id-${v}`);
          return reply(202);
        }
        return reply(404, { itemNotFound: { message: "no such path" } });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      writeFileSync(
        path.join(consumer, "clouds.yaml"),
        `clouds:\n  fake:\n    auth: { auth_url: 'http://127.0.0.1:${(server.address() as AddressInfo).port}/v3', username: u, password: p, project_name: p }\n    region_name: R\n`,
      );
      // Two versions declared, and each created through its own load of the provider text taken from its declaration
      // (the host would load one text once; separate loads share the token too, as different texts would).
      const script = `
        const pulumi = require("@pulumi/pulumi");
        const Module = require("node:module");
        const path = require("node:path");
        const declared = {};
        pulumi.runtime.setMocks({ newResource: (a) => { declared[a.name] = a.inputs; return { id: a.name, state: a.inputs }; }, call: (a) => a.inputs }, "p", "s", false);
        const { DatastoreVersion } = require("pulumi-trove");
        new DatastoreVersion("a", { datastore: "mysql", version: "8.0.1", cloud: "fake" });
        new DatastoreVersion("b", { datastore: "mysql", version: "8.0.2", cloud: "fake" });
        const load = (text) => {
          const filename = path.join(process.cwd(), "__dynamic_provider.js");
          const m = new Module(filename);
          m.filename = filename;
          m.paths = Module._nodeModulePaths(process.cwd());
          m._compile(text, filename);
          return m.exports.handler();
        };
        const wait = setInterval(async () => {
          if (!declared.a || !declared.b) return;
          clearInterval(wait);
          const ids = [];
          for (const name of ["a", "b"]) ids.push((await load(declared[name].__provider).create(JSON.parse(JSON.stringify(declared[name])))).id);
          console.log(ids.join(" "));
        }, 20);`;
      writeFileSync(path.join(consumer, "create-twice.js"), script);
      const { stdout } = await promisify(execFile)(process.execPath, ["create-twice.js"], {
        cwd: consumer,
        encoding: "utf8",
        env: { PATH: process.env.PATH, HOME: consumer, OS_CLIENT_CONFIG_FILE: path.join(consumer, "clouds.yaml") },
      });
      expect(stdout.trim()).toBe("id-8.0.1 id-8.0.2");
      expect(tokens).toBe(1);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("runs the providers pulumi-trove 0.1.0 serialized into existing stacks, which require its modules by their paths of then", () => {
    // Pulumi runs a resource's stored provider for refresh and delete. Where the package is in node_modules, the
    // serialized text requires its modules by path (pulumi-trove/dist/components/trove-client.js): the fixture holds
    // the four providers as 0.1.0 serialized them (main at 77189fa, built and loaded from a consumer's node_modules).
    writeFileSync(
      path.join(consumer, "clouds.yaml"),
      "clouds:\n  other:\n    auth: { auth_url: http://127.0.0.1:9/v3 }\n",
    );
    const script = `
      const Module = require("node:module");
      const path = require("node:path");
      const texts = require(${JSON.stringify(path.join(root, "test/fixtures/providers-0.1.0.json"))});
      const load = (text) => {
        const filename = path.join(process.cwd(), "__dynamic_provider.js");
        const m = new Module(filename);
        m.filename = filename;
        m.paths = Module._nodeModulePaths(process.cwd());
        m._compile(text, filename);
        return m.exports.handler();
      };
      (async () => {
        const out = {};
        for (const [name, text] of Object.entries(texts)) {
          // Every name the text reads from a module it requires is still exported there.
          const missing = [];
          for (const [, variable, spec] of text.matchAll(/const (\\w+) = require\\("([^"]+)"\\);/g)) {
            const mod = require(require.resolve(spec, { paths: [process.cwd()] }));
            const read = variable === "__pulumi_closure_import_exports" ? /\\bexports\\.(\\w+)/g : new RegExp("\\\\b" + variable + "\\\\.(\\\\w+)", "g");
            for (const [, key] of text.matchAll(read)) if (key !== "handler" && mod[key] === undefined) missing.push(spec + " " + key);
          }
          out[name] = { operations: Object.keys(load(text)).sort(), missing };
        }
        const provider = load(texts.datastoreVersionProvider);
        const stored = { name: "8.0", manager: "mysql", imageTags: ["trove", "mysql"], active: true, default: false, packages: [], identity: { datastore: "mysql", version: "8.0", adopt: false, cloud: "missing" } };
        out.check = (await provider.check({}, { ...stored, identity: { ...stored.identity, version: "eight" } })).failures.map((f) => f.property);
        out.create = await provider.create(stored).then(() => "created?!", (e) => e.message);
        console.log(JSON.stringify(out));
      })();`;
    writeFileSync(path.join(consumer, "former-providers.js"), script);
    const out = JSON.parse(
      execFileSync(process.execPath, ["former-providers.js"], {
        cwd: consumer,
        encoding: "utf8",
        env: { PATH: process.env.PATH, HOME: consumer },
      }),
    ) as Record<string, unknown>;
    expect(out).toEqual({
      datastoreVersionProvider: { operations: ["check", "create", "delete", "diff", "read", "update"], missing: [] },
      retirementProvider: { operations: ["check", "create", "delete", "diff", "read", "update"], missing: [] },
      imageHistoryProvider: { operations: ["check", "create", "delete", "diff", "read", "update"], missing: [] },
      uploadCheckProvider: { operations: ["create", "delete", "diff", "update"], missing: [] },
      check: ["version"],
      create: `cloud "missing" is not in ${path.join(consumer, "clouds.yaml")} (clouds there: other)`,
    });
  });

  it("loads with Node and exports every component", () => {
    const script =
      "const t = require('pulumi-trove'); console.log(Object.keys(t).filter((k) => typeof t[k] === 'function').sort().join(' '))";
    const exported = execFileSync(process.execPath, ["-e", script], { cwd: consumer, encoding: "utf8" })
      .trim()
      .split(" ");
    for (const component of [
      "TroveGuestPipeline",
      "GuestImageBuild",
      "GlanceImage",
      "LocalRegistry",
      "DatastoreImages",
      "TroveConfig",
      "DatastoreVersion",
      "DatastoreConfigurationParameters",
      "DatastoreCatalog",
    ]) {
      expect(exported).toContain(component);
    }
  });
});
