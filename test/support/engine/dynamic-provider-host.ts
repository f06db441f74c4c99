// Pulumi's own dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`), started as the engine starts a provider
// plugin: a child process given the engine's address, which prints the port of its gRPC `ResourceProvider` server.
// The harness calls it as the engine does: Configure once, then Check, Diff, Create, Read, Update and Delete with the
// resource's properties, which carry the serialized provider (`__provider`). The host reports acceptSecrets=false, so
// properties cross as plain values.

import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { plainObject, pulumiRequire, toStruct, Wire } from "./wire";

/* eslint-disable @typescript-eslint/no-explicit-any -- the generated protobuf stubs are untyped from here */
const grpc = pulumiRequire("@grpc/grpc-js") as any;
const provrpc = pulumiRequire("./proto/provider_grpc_pb") as any;
const provproto = pulumiRequire("./proto/provider_pb") as any;

/** The host's answer to Diff. */
export interface HostDiff {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
}

export class DynamicProviderHost {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: any,
    readonly stderr: string[],
  ) {}

  /** Starts the host from the project's node_modules and configures it. */
  static async start(root: string, engineAddress: string, env: NodeJS.ProcessEnv): Promise<DynamicProviderHost> {
    const hostPath = path.join(root, "node_modules", "@pulumi", "pulumi", "cmd", "dynamic-provider");
    const child = spawn(process.execPath, [hostPath, engineAddress], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stderr: string[] = [];
    child.stderr!.on("data", (d: Buffer) => stderr.push(d.toString()));
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const line = out.split("\n")[0]!.trim();
        if (/^\d+$/.test(line) && out.includes("\n")) resolve(line);
      });
      child.on("exit", (code) =>
        reject(new Error(`the dynamic-provider host exited (${code}) before it listened: ${stderr.join("")}`)),
      );
    });
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const host = new DynamicProviderHost(child, client, stderr);
    const req = new provproto.ConfigureRequest();
    req.setArgs(toStruct({}));
    req.setAcceptsecrets(true);
    req.setAcceptresources(true);
    await host.call("configure", req);
    return host;
  }

  private call(method: string, req: unknown): Promise<any> {
    return new Promise((resolve, reject) => {
      this.client[method](req, (err: (Error & { details?: string }) | null, resp: any) => {
        if (err) reject(new Error(err.details || err.message));
        else resolve(resp);
      });
    });
  }

  async check(urn: string, olds: Wire, news: Wire): Promise<Record<string, unknown>> {
    const req = new provproto.CheckRequest();
    req.setUrn(urn);
    req.setOlds(toStruct(plainObject(olds)));
    req.setNews(toStruct(plainObject(news)));
    const resp = await this.call("check", req);
    const failures = resp.getFailuresList().map((f: any) => `${f.getProperty()}: ${f.getReason()}`);
    if (failures.length > 0) throw new Error(`check failed: ${failures.join("; ")}`);
    return resp.getInputs().toJavaScript();
  }

  async diff(urn: string, id: string, olds: Wire, news: Wire): Promise<HostDiff> {
    const req = new provproto.DiffRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setOlds(toStruct(plainObject(olds)));
    req.setNews(toStruct(plainObject(news)));
    const resp = await this.call("diff", req);
    return {
      changes: resp.getChanges() !== provproto.DiffResponse.DiffChanges.DIFF_NONE,
      replaces: resp.getReplacesList(),
      deleteBeforeReplace: resp.getDeletebeforereplace(),
    };
  }

  async create(urn: string, properties: Wire): Promise<{ id: string; outputs: Record<string, unknown> }> {
    const req = new provproto.CreateRequest();
    req.setUrn(urn);
    req.setProperties(toStruct(plainObject(properties)));
    const resp = await this.call("create", req);
    return { id: resp.getId(), outputs: resp.getProperties().toJavaScript() };
  }

  async read(
    urn: string,
    id: string,
    properties: Wire,
    inputs: Wire,
  ): Promise<{ id: string; outputs: Record<string, unknown> } | undefined> {
    const req = new provproto.ReadRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setProperties(toStruct(plainObject(properties)));
    req.setInputs(toStruct(plainObject(inputs)));
    const resp = await this.call("read", req);
    return resp.getId() ? { id: resp.getId(), outputs: resp.getProperties().toJavaScript() } : undefined;
  }

  async update(urn: string, id: string, olds: Wire, news: Wire): Promise<Record<string, unknown>> {
    const req = new provproto.UpdateRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setOlds(toStruct(plainObject(olds)));
    req.setNews(toStruct(plainObject(news)));
    const resp = await this.call("update", req);
    return resp.getProperties().toJavaScript();
  }

  async delete(urn: string, id: string, properties: Wire): Promise<void> {
    const req = new provproto.DeleteRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setProperties(toStruct(plainObject(properties)));
    await this.call("delete", req);
  }

  /** Stops the host process (the engine kills its plugins at the end of an operation). */
  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    await exited;
  }
}
