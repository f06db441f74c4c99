// Carries out a Pulumi program against the real lab, without the engine (which cannot run here). The program runs
// under Pulumi's mocks, and the mock's newResource performs each resource's real effect before it answers, so the
// runtime's own dependency tracking orders everything: a resource is registered only once the Outputs it takes and
// the resources it dependsOn have resolved, as under `pulumi up`. Each resource is applied as follows:
//  - @pulumi/command local Commands: the `create` script run with the declared interpreter, environment and stdin;
//  - our dynamic providers (DatastoreVersion): the serialized provider run through the engine's lifecycle;
//  - @pulumi/openstack images.Image: created with Glance's own client (`openstack image create`) from the declared
//    name, formats, visibility, tags, properties and file, as that provider documents it;
//  - @pulumi/docker RemoteImage and Container: the docker CLI against the lab's engine (inspect, or pull; create,
//    upload files with `docker cp`, start), following the docker provider's documented behaviour;
//  - providers and components: nothing to apply.
// Any other resource type fails the run: nothing is skipped silently. Remote (SSH) commands are not part of the lab.

import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { DOCKER_CLIENT } from "./docker-engine";
import { DynamicResourceRunner } from "./dynamic-engine";
import type { Lab } from "./lab";
import { applyGlanceImage, removeGlanceImage } from "./openstack-apply";

const run = promisify(execFile);
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Inputs as plain values: the runtime hands secrets to mocks wrapped in a signature object. */
export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (SECRET_SIG in o && "value" in o) return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** One resource as it was applied. */
export interface AppliedResource {
  type: string;
  name: string;
  id: string;
  inputs: Record<string, unknown>;
  state: Record<string, unknown>;
  /** Milliseconds its effect took. */
  elapsedMs: number;
}

export interface LabExecution {
  applied: AppliedResource[];
  /** Dynamic resources by name, to destroy them afterwards. */
  dynamic: Map<string, DynamicResourceRunner>;
  /** Containers created, to remove them afterwards. */
  containers: string[];
  /** Glance images created, to delete them afterwards. */
  glanceImages: string[];
  /** First error, if a resource could not be applied. */
  errors: string[];
  /** Undoes what the run created in the lab (versions, images, containers). */
  cleanUp(): Promise<void>;
}

async function applyCommand(inputs: Record<string, unknown>): Promise<Record<string, unknown>> {
  const [shell, ...flags] = (inputs.interpreter as string[] | undefined) ?? ["/bin/sh", "-c"];
  const child = execFile(shell!, [...flags, String(inputs.create)], {
    env: { ...process.env, ...((inputs.environment as Record<string, string> | undefined) ?? {}) },
    cwd: (inputs.dir as string | undefined) ?? process.cwd(),
    maxBuffer: 64 * 2 ** 20,
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout!.on("data", (d: Buffer) => stdout.push(Buffer.from(d)));
  child.stderr!.on("data", (d: Buffer) => stderr.push(Buffer.from(d)));
  child.stdin!.end(inputs.stdin === undefined ? "" : String(inputs.stdin));
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? 1)));
  const out = Buffer.concat(stdout).toString().replace(/\n$/, "");
  const err = Buffer.concat(stderr).toString().replace(/\n$/, "");
  if (code !== 0) throw new Error(`command exited with ${code}: ${err.split("\n").slice(-3).join(" | ")}`);
  return { ...inputs, stdout: out, stderr: err };
}

async function docker(host: string, args: string[]): Promise<string> {
  return (await run(DOCKER_CLIENT, args, { env: { ...process.env, DOCKER_HOST: host } })).stdout.trim();
}

/** Applies a declared @pulumi/docker RemoteImage: inspect, or pull when the engine lacks it. */
export async function applyRemoteImage(host: string, inputs: Record<string, unknown>): Promise<Record<string, unknown>> {
  const name = String(inputs.name);
  let id = await docker(host, ["image", "inspect", "--format", "{{.Id}}", name]).catch(() => "");
  if (!id) {
    await docker(host, ["pull", "-q", name]);
    id = await docker(host, ["image", "inspect", "--format", "{{.Id}}", name]);
  }
  return { ...inputs, imageId: id, repoDigest: "" };
}

/** Applies a declared @pulumi/docker Container: create, copy the uploads in, start, check it runs. */
export async function applyContainer(host: string, inputs: Record<string, unknown>, containers: string[]): Promise<{ id: string; state: Record<string, unknown> }> {
  const args = ["create", "--name", String(inputs.name)];
  if (inputs.networkMode) args.push("--network", String(inputs.networkMode));
  if (inputs.restart) args.push("--restart", String(inputs.restart));
  for (const e of (inputs.envs as string[] | undefined) ?? []) args.push("--env", e);
  for (const v of (inputs.volumes as Array<{ hostPath: string; containerPath: string; readOnly?: boolean }> | undefined) ?? []) {
    mkdirSync(v.hostPath, { recursive: true });
    args.push("--volume", `${v.hostPath}:${v.containerPath}${v.readOnly ? ":ro" : ""}`);
  }
  const supported = new Set(["name", "image", "networkMode", "restart", "envs", "volumes", "uploads"]);
  const unsupported = Object.keys(inputs).filter((k) => !supported.has(k) && inputs[k] !== undefined);
  if (unsupported.length > 0) throw new Error(`container inputs not applied by this executor: ${unsupported.join(", ")}`);
  args.push(String(inputs.image));
  const id = await docker(host, args);
  containers.push(id);
  const uploads = (inputs.uploads as Array<{ file: string; content?: string }> | undefined) ?? [];
  if (uploads.length > 0) {
    const dir = mkdtempSync(path.join(tmpdir(), "uploads-"));
    try {
      for (const u of uploads) {
        const local = path.join(dir, u.file);
        mkdirSync(path.dirname(local), { recursive: true });
        writeFileSync(local, u.content ?? "");
      }
      for (const top of new Set(uploads.map((u) => u.file.split("/")[1]!))) await docker(host, ["cp", path.join(dir, top), `${id}:/${top}`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  await docker(host, ["start", id]);
  // The provider waits until the container runs (mustRun); so do we.
  const running = await docker(host, ["inspect", "--format", "{{.State.Running}}", id]);
  if (running !== "true") throw new Error(`container ${String(inputs.name)} is not running: ${await docker(host, ["logs", "--tail", "5", id]).catch(() => "")}`);
  return { id, state: { ...inputs, id } };
}

/** Runs `program` with every resource's effect applied to the lab; returns what was applied and its outputs. */
export async function executeAgainstLab<T>(lab: Lab, stack: string, program: () => T): Promise<{ execution: LabExecution; result: T }> {
  const execution: LabExecution = {
    applied: [],
    dynamic: new Map(),
    containers: [],
    glanceImages: [],
    errors: [],
    async cleanUp() {
      for (const runner of execution.dynamic.values()) await runner.destroy().catch(() => undefined);
      for (const id of execution.containers) await docker(lab.dockerHost, ["rm", "-f", id]).catch(() => undefined);
      for (const id of execution.glanceImages) removeGlanceImage(lab, id);
    },
  };
  await pulumi.runtime.setMocks(
    {
      async newResource(args: pulumi.runtime.MockResourceArgs): Promise<{ id: string; state: Record<string, unknown> }> {
        const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
        const t0 = Date.now();
        let id = `${args.name}-id`;
        let state: Record<string, unknown> = inputs;
        try {
          if (!args.custom || args.type.startsWith("pulumi:providers:")) {
            // components and providers: nothing to apply
          } else if (args.type === "command:local:Command") {
            state = await applyCommand(inputs);
          } else if (args.type.startsWith("pulumi-nodejs:dynamic/")) {
            const runner = DynamicResourceRunner.fromDeclaration(inputs);
            await runner.up(inputs);
            execution.dynamic.set(args.name, runner);
            id = runner.state!.id;
            state = runner.state!.outs;
          } else if (args.type === "openstack:images/image:Image") {
            id = applyGlanceImage(lab, inputs);
            execution.glanceImages.push(id);
            state = { ...inputs, id };
          } else if (args.type === "docker:index/remoteImage:RemoteImage") {
            state = await applyRemoteImage(lab.dockerHost, inputs);
          } else if (args.type === "docker:index/container:Container") {
            ({ id, state } = await applyContainer(lab.dockerHost, inputs, execution.containers));
          } else {
            throw new Error(`no way to apply ${args.type} against the lab`);
          }
        } catch (error) {
          execution.errors.push(`${args.type} ${args.name}: ${(error as Error).message}`);
          throw error;
        }
        execution.applied.push({ type: args.type, name: args.name, id, inputs, state, elapsedMs: Date.now() - t0 });
        return { id, state };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        return args.inputs;
      },
    },
    "pulumi-trove",
    stack,
    false,
  );
  return { execution, result: program() };
}
