// The component package as the Pulumi engine runs it: the plugin directory laid out as the npm package ships it
// (compiled library and faces under dist/, provider/ with PulumiPlugin.yaml, package.json, tsconfig.json and the
// faces' sources), started the way the Node language host's RunPlugin starts a `runtime: nodejs` plugin
// (`node @pulumi/pulumi/cmd/run-plugin <plugin directory> <engine address>`, PULUMI_NODEJS_TYPESCRIPT=true), its port
// read from the first line it prints, and driven over gRPC with Pulumi's own stubs.

import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pulumiRequire } from "./engine/wire";

/* eslint-disable @typescript-eslint/no-explicit-any -- the generated protobuf stubs are untyped from here */
const grpc = pulumiRequire("@grpc/grpc-js") as any;
const provrpc = pulumiRequire("./proto/provider_grpc_pb") as any;
const provproto = pulumiRequire("./proto/provider_pb") as any;
const engrpc = pulumiRequire("./proto/engine_grpc_pb") as any;
const emptyproto = pulumiRequire("google-protobuf/google/protobuf/empty_pb") as any;

const ROOT = path.join(__dirname, "../..");

/** A package directory built for the test: `<dir>/provider` is the plugin directory. */
export interface PluginPackage {
  dir: string;
  pluginDir: string;
  remove(): void;
}

/**
 * Builds the package into a temporary directory as `npm pack` ships it: `tsc -p tsconfig.build.json` (declarations
 * stripped of internals, so the analyzer reads the faces against the published declarations, through provider/
 * tsconfig.json's rootDirs), the components' scripts, and provider/. Its node_modules links to ours.
 */
export function buildPluginPackage(): PluginPackage {
  const dir = mkdtempSync(path.join(tmpdir(), "pulumi-trove-plugin-"));
  execFileSync(
    process.execPath,
    [
      path.join(ROOT, "node_modules/typescript/bin/tsc"),
      "-p",
      path.join(ROOT, "tsconfig.build.json"),
      "--outDir",
      path.join(dir, "dist"),
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  cpSync(path.join(ROOT, "components/internal/scripts"), path.join(dir, "dist/components/internal/scripts"), {
    recursive: true,
    filter: (f) => !/\.ts$|__pycache__/.test(f),
  });
  const pluginDir = path.join(dir, "provider");
  mkdirSync(pluginDir);
  for (const f of readdirSync(path.join(ROOT, "provider")))
    cpSync(path.join(ROOT, "provider", f), path.join(pluginDir, f));
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return { dir, pluginDir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A log line the host sent to the engine (Engine.Log). */
export interface HostLog {
  severity: number;
  message: string;
}

/** A running provider host and a gRPC client of it. */
export interface ProviderHost {
  port: number;
  /** A `pulumirpc.ResourceProvider` client. */
  client: any;
  /** What the process printed (after the port) and wrote to stderr. */
  output(): string;
  /** Stops the host (by its PID) and waits for it to exit. */
  stop(): Promise<void>;
}

/** A minimal `pulumirpc.Engine` for a host started without the engine harness: it records Log calls. */
export async function startLogEngine(logs: HostLog[]): Promise<{ address: string; stop(): void }> {
  const server = new grpc.Server();
  server.addService(engrpc.EngineService, {
    log(call: any, cb: any) {
      logs.push({ severity: call.request.getSeverity(), message: call.request.getMessage() });
      cb(null, new emptyproto.Empty());
    },
    getRootResource(_call: any, cb: any) {
      cb({ code: grpc.status.UNIMPLEMENTED, details: "no root resource here" });
    },
    setRootResource(_call: any, cb: any) {
      cb({ code: grpc.status.UNIMPLEMENTED, details: "no root resource here" });
    },
  });
  const port: number = await new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err: Error | null, p: number) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}

/** Starts the plugin as the Node language host does and waits for the port it prints (at most `timeoutMs`). */
export function startProviderHost(
  pluginDir: string,
  engineAddress: string,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 120_000,
): Promise<ProviderHost> {
  // Found from the plugin directory, as the language host's locateModule finds it.
  const runPlugin = path.dirname(require.resolve("@pulumi/pulumi/cmd/run-plugin/index.js", { paths: [pluginDir] }));
  // The language host runs the plugin in the engine's working directory (req.Pwd): here a directory of its own.
  const pwd = mkdtempSync(path.join(tmpdir(), "pulumi-trove-plugin-pwd-"));
  const child: ChildProcess = spawn(process.execPath, [runPlugin, pluginDir, engineAddress], {
    cwd: pwd,
    env: { ...env, PULUMI_NODEJS_TYPESCRIPT: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(pwd, { recursive: true, force: true });
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop().then(() =>
        reject(new Error(`the provider host printed no port within ${timeoutMs} ms: ${stdout}${stderr}`)),
      );
    }, timeoutMs);
    const early = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`the provider host exited with ${code} before printing its port: ${stdout}${stderr}`));
    };
    child.on("exit", early);
    child.stdout!.on("data", (d: Buffer) => {
      const before = stdout;
      stdout += d.toString();
      const first = /^(\d+)\n/.exec(stdout);
      if (!first || /^(\d+)\n/.test(before)) return;
      clearTimeout(timer);
      child.off("exit", early);
      const port = Number(first[1]);
      const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      resolve({
        port,
        client,
        output: () => stdout.slice(first[0].length) + stderr,
        stop: async () => {
          client.close();
          await stop();
        },
      });
    });
  });
}

/** `GetSchema` (version 0), parsed. */
export function getSchema(host: ProviderHost): Promise<any> {
  const req = new provproto.GetSchemaRequest();
  req.setVersion(0);
  return new Promise((resolve, reject) =>
    host.client.getSchema(req, (err: Error | null, resp: any) =>
      err ? reject(err) : resolve(JSON.parse(resp.getSchema())),
    ),
  );
}
