// How the harness applies each kind of custom resource our stacks declare, following each provider's documented
// semantics (the plugins themselves cannot be installed here), with the real services' own clients:
//  - command:local:Command (@pulumi/command 1.2): only `triggers` (and `replaceOnChanges`) replace; any other change
//    is an update, which runs `update`, or `create` again when there is none; `delete` runs on delete; previous
//    stdout/stderr reach updates and deletes in PULUMI_COMMAND_STDOUT/STDERR unless addPreviousOutputInEnv is false;
//    stdout/stderr lose one trailing newline; refresh reads nothing. command:remote:Command over OpenSSH, as its
//    provider connects and runs (remote-command.ts).
//  - docker RemoteImage and Container (@pulumi/docker 5, terraform-provider-docker): the docker CLI against the
//    provider's host (its `host` setting, else DOCKER_HOST); every Container input and RemoteImage's name replace;
//    refresh drops what is gone.
//  - openstack images.Image (@pulumi/openstack 3.15, terraform-provider-openstack): Glance's v2 API as the provider
//    calls it (../glance-rest.ts) with the provider's cloud and region; name, tags, visibility, properties and
//    protected update in place (one JSON patch), the rest replace.
//  - providers: no effect; the engine keeps their inputs.
// A resource type not listed here fails the run: nothing is skipped silently.

import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { DOCKER_CLIENT } from "../docker-engine";
import { createImage, deleteImage, glanceSession, GlanceShown, showImage, updateImage } from "../glance-rest";
import { RemoteLog, runRemote, uniqueId } from "./remote-command";
import { changedKeys, sameValue } from "./wire";

const run = promisify(execFile);

/** What a model needs besides the resource: its provider's configuration (explicit or from the stack's config). */
export interface ModelContext {
  providerConfig: Record<string, unknown>;
  /** The environment of `pulumi`, which provider plugins inherit. */
  env: NodeJS.ProcessEnv;
  /** What the provider logs for the resource (warnings, errors), as the engine shows it. */
  log?: RemoteLog;
}

/** The differences a model sees between the stored inputs and the new ones. */
export interface ModelDiff {
  changes: string[];
  replaces: string[];
}

/** One kind of resource: diff (pure), and its effects. Values are plain (secrets unwrapped). */
export interface ResourceModel {
  diff(olds: Record<string, unknown>, news: Record<string, unknown>, replaceOnChanges: readonly string[]): ModelDiff;
  create(ctx: ModelContext, inputs: Record<string, unknown>): Promise<{ id: string; outputs: Record<string, unknown> }>;
  update(
    ctx: ModelContext,
    id: string,
    oldOutputs: Record<string, unknown>,
    inputs: Record<string, unknown>,
  ): Promise<Record<string, unknown>>;
  /** The resource as the service has it now, or undefined when it is gone. */
  read(ctx: ModelContext, id: string, outputs: Record<string, unknown>): Promise<Record<string, unknown> | undefined>;
  delete(ctx: ModelContext, id: string, outputs: Record<string, unknown>): Promise<void>;
  /** Outputs the provider's schema marks secret whatever the inputs were. */
  secretOutputs?: readonly string[];
}

/** Diff by a list of fields that replace; every other changed field updates. */
function diffBy(replaceFields: readonly string[] | "all", ignore: readonly string[] = []) {
  return (
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
    replaceOnChanges: readonly string[],
  ): ModelDiff => {
    const changes = changedKeys(olds, news, ignore);
    const replaces = changes.filter(
      (k) =>
        replaceFields === "all" ||
        replaceFields.includes(k) ||
        replaceOnChanges.some((r) => r === k || r.startsWith(`${k}.`) || r === "*"),
    );
    return { changes, replaces };
  };
}

const notApplied = (what: string) => async (): Promise<never> => {
  throw new Error(
    `${what} is previewed only: the harness cannot apply it (see test/support/engine/resource-models.ts)`,
  );
};

// ---- @pulumi/command ----

const COMMAND_OUTPUTS = ["stdout", "stderr", "assets", "archive"];

async function runLocal(
  ctx: ModelContext,
  inputs: Record<string, unknown>,
  script: string,
  previous?: Record<string, unknown>,
): Promise<{ stdout: string; stderr: string }> {
  const [shell, ...flags] = (inputs.interpreter as string[] | undefined) ?? ["/bin/sh", "-c"];
  const env: NodeJS.ProcessEnv = { ...ctx.env, ...((inputs.environment as Record<string, string> | undefined) ?? {}) };
  if (previous && inputs.addPreviousOutputInEnv !== false) {
    env.PULUMI_COMMAND_STDOUT = String(previous.stdout ?? "");
    env.PULUMI_COMMAND_STDERR = String(previous.stderr ?? "");
  }
  const child = execFile(shell!, [...flags, script], {
    env,
    cwd: (inputs.dir as string | undefined) ?? process.cwd(),
    maxBuffer: 256 * 2 ** 20,
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout!.on("data", (d: Buffer) => stdout.push(Buffer.from(d)));
  child.stderr!.on("data", (d: Buffer) => stderr.push(Buffer.from(d)));
  child.stdin!.on("error", () => undefined);
  child.stdin!.end(inputs.stdin === undefined ? "" : String(inputs.stdin));
  const code = await new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (c) => resolve(c ?? 1));
  });
  const out = Buffer.concat(stdout).toString().replace(/\n$/, "");
  const err = Buffer.concat(stderr).toString().replace(/\n$/, "");
  if (code !== 0) throw new Error(`command exited with ${code}: ${err.split("\n").slice(-3).join(" | ")}`);
  return { stdout: out, stderr: err };
}

export const localCommand: ResourceModel = {
  diff: diffBy(["triggers"], COMMAND_OUTPUTS),
  async create(ctx, inputs) {
    const result = await runLocal(ctx, inputs, String(inputs.create));
    return { id: `command-${Math.random().toString(36).slice(2, 10)}`, outputs: { ...inputs, ...result } };
  },
  async update(ctx, _id, old, inputs) {
    const script = inputs.update ?? inputs.create;
    const result =
      script === undefined
        ? { stdout: String(old.stdout ?? ""), stderr: String(old.stderr ?? "") }
        : await runLocal(ctx, inputs, String(script), old);
    return { ...inputs, ...result };
  },
  async read(_ctx, _id, outputs) {
    return outputs;
  },
  async delete(ctx, _id, outputs) {
    if (outputs.delete !== undefined) await runLocal(ctx, outputs, String(outputs.delete), outputs);
  },
};

const remoteLog = (ctx: ModelContext): RemoteLog => ctx.log ?? (() => undefined);

export const remoteCommand: ResourceModel = {
  diff: diffBy(["triggers"], COMMAND_OUTPUTS),
  async create(ctx, inputs) {
    const result =
      inputs.create === undefined
        ? { stdout: "", stderr: "" }
        : await runRemote(inputs, String(inputs.create), {}, ctx.env, remoteLog(ctx));
    return { id: uniqueId(), outputs: { ...inputs, ...result } };
  },
  async update(ctx, _id, old, inputs) {
    // The new inputs with the previous outputs, which a run replaces; the previous outputs reach the run's env.
    const previous = { stdout: String(old.stdout ?? ""), stderr: String(old.stderr ?? "") };
    const script = inputs.update ?? inputs.create;
    const result =
      script === undefined ? previous : await runRemote(inputs, String(script), previous, ctx.env, remoteLog(ctx));
    return { ...inputs, ...result };
  },
  // No Read in the provider: refresh keeps the state and never connects.
  read: async (_ctx, _id, outputs) => outputs,
  async delete(ctx, _id, outputs) {
    if (outputs.delete !== undefined)
      await runRemote(outputs, String(outputs.delete), outputs, ctx.env, remoteLog(ctx));
  },
  secretOutputs: ["connection"],
};

// ---- @pulumi/docker ----

async function docker(ctx: ModelContext, args: string[]): Promise<string> {
  const host = (ctx.providerConfig.host as string | undefined) ?? ctx.env.DOCKER_HOST;
  return (
    await run(DOCKER_CLIENT, args, { env: { ...ctx.env, ...(host ? { DOCKER_HOST: host } : {}) } })
  ).stdout.trim();
}

export const remoteImage: ResourceModel = {
  diff: diffBy(["name", "platform", "build", "pullTriggers", "triggers"], ["imageId", "repoDigest"]),
  async create(ctx, inputs) {
    const name = String(inputs.name);
    let id = await docker(ctx, ["image", "inspect", "--format", "{{.Id}}", name]).catch(() => "");
    if (!id) {
      await docker(ctx, ["pull", "-q", name]);
      id = await docker(ctx, ["image", "inspect", "--format", "{{.Id}}", name]);
    }
    return { id: `${id}${name}`, outputs: { ...inputs, imageId: id, repoDigest: "" } };
  },
  async update(_ctx, _id, old, inputs) {
    return { ...old, ...inputs };
  },
  async read(ctx, _id, outputs) {
    const id = await docker(ctx, ["image", "inspect", "--format", "{{.Id}}", String(outputs.name)]).catch(() => "");
    return id ? { ...outputs, imageId: id } : undefined;
  },
  async delete(ctx, _id, outputs) {
    if (outputs.keepLocally !== true) await docker(ctx, ["rmi", String(outputs.name)]).catch(() => undefined);
  },
};

const CONTAINER_INPUTS = new Set(["name", "image", "networkMode", "restart", "envs", "volumes", "uploads"]);

export const container: ResourceModel = {
  diff: diffBy("all", ["id", "exitCode", "containerLogs"]),
  async create(ctx, inputs) {
    const unsupported = Object.keys(inputs).filter((k) => !CONTAINER_INPUTS.has(k) && inputs[k] !== undefined);
    if (unsupported.length > 0)
      throw new Error(`container inputs not applied by the harness: ${unsupported.join(", ")}`);
    const args = ["create", "--name", String(inputs.name)];
    if (inputs.networkMode) args.push("--network", String(inputs.networkMode));
    if (inputs.restart) args.push("--restart", String(inputs.restart));
    for (const e of (inputs.envs as string[] | undefined) ?? []) args.push("--env", e);
    for (const v of (inputs.volumes as
      Array<{ hostPath: string; containerPath: string; readOnly?: boolean }> | undefined) ?? []) {
      mkdirSync(v.hostPath, { recursive: true });
      args.push("--volume", `${v.hostPath}:${v.containerPath}${v.readOnly ? ":ro" : ""}`);
    }
    args.push(String(inputs.image));
    const id = await docker(ctx, args);
    const uploads = (inputs.uploads as Array<{ file: string; content?: string }> | undefined) ?? [];
    if (uploads.length > 0) {
      const dir = mkdtempSync(path.join(tmpdir(), "uploads-"));
      try {
        for (const u of uploads) {
          const local = path.join(dir, u.file);
          mkdirSync(path.dirname(local), { recursive: true });
          writeFileSync(local, u.content ?? "");
        }
        for (const top of new Set(uploads.map((u) => u.file.split("/")[1]!)))
          await docker(ctx, ["cp", path.join(dir, top), `${id}:/${top}`]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    await docker(ctx, ["start", id]);
    // The provider waits until the container runs (mustRun defaults to true).
    const running = await docker(ctx, ["inspect", "--format", "{{.State.Running}}", id]);
    if (running !== "true")
      throw new Error(
        `container ${String(inputs.name)} is not running: ${await docker(ctx, ["logs", "--tail", "5", id]).catch(() => "")}`,
      );
    return { id, outputs: { ...inputs, id } };
  },
  update: notApplied("an in-place docker Container update"),
  async read(ctx, id, outputs) {
    const running = await docker(ctx, ["inspect", "--format", "{{.State.Running}}", id]).catch(() => "");
    return running ? outputs : undefined;
  },
  async delete(ctx, id) {
    await docker(ctx, ["rm", "-f", id]);
  },
};

// ---- @pulumi/openstack ----

function openstackEnv(ctx: ModelContext): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...ctx.env };
  if (ctx.providerConfig.cloud) env.OS_CLOUD = String(ctx.providerConfig.cloud);
  if (ctx.providerConfig.region) env.OS_REGION_NAME = String(ctx.providerConfig.region);
  return env;
}

/** Glance of the provider's cloud and region (the provider's `cloud`/`region`, else OS_CLOUD / OS_REGION_NAME). */
function glanceOf(ctx: ModelContext) {
  const env = openstackEnv(ctx);
  return glanceSession(env, env.OS_CLOUD, env.OS_REGION_NAME);
}

const IMAGE_UPDATABLE = ["name", "tags", "visibility", "properties", "protected", "hidden"];

export const glanceImage: ResourceModel = {
  // Everything else (formats, the file or URL, minimums, checksum verification, region) is ForceNew in the schema.
  diff(olds, news, replaceOnChanges) {
    const changes = changedKeys(olds, news, [
      "checksum",
      "sizeBytes",
      "status",
      "file",
      "id",
      "createdAt",
      "updatedAt",
      "metadata",
      "schema",
      "updateAt",
      "owner",
    ]);
    const replaces = changes.filter(
      (k) =>
        !IMAGE_UPDATABLE.includes(k) ||
        replaceOnChanges.some((r) => r === k || (r.startsWith(`${k}.`) && !sameProperty(olds, news, r))),
    );
    return { changes, replaces };
  },
  async create(ctx, inputs) {
    const shown = await createImage(await glanceOf(ctx), inputs);
    return { id: shown.id, outputs: { ...inputs, ...imageOutputs(shown) } };
  },
  async update(ctx, id, old, inputs) {
    return { ...inputs, ...imageOutputs(await updateImage(await glanceOf(ctx), id, old, inputs)) };
  },
  async read(ctx, id, outputs) {
    const shown = await showImage(await glanceOf(ctx), id);
    if (!shown) return undefined;
    const declared = Object.keys((outputs.properties as Record<string, string> | undefined) ?? {});
    const properties = Object.fromEntries(
      declared.filter((k) => k in shown.properties).map((k) => [k, String(shown.properties[k])]),
    );
    const declaredTags = (outputs.tags as string[] | undefined) ?? [];
    const tags = sameValue([...declaredTags].sort(), [...shown.tags].sort()) ? declaredTags : shown.tags;
    return { ...outputs, name: shown.name, tags, visibility: shown.visibility, properties, ...imageOutputs(shown) };
  },
  async delete(ctx, id) {
    await deleteImage(await glanceOf(ctx), id);
  },
};

function sameProperty(olds: Record<string, unknown>, news: Record<string, unknown>, dotted: string): boolean {
  const get = (o: unknown, keys: string[]): unknown =>
    keys.reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), o);
  const keys = dotted.split(".");
  return JSON.stringify(get(olds, keys)) === JSON.stringify(get(news, keys));
}

function imageOutputs(shown: GlanceShown): Record<string, unknown> {
  return { checksum: shown.checksum ?? "", sizeBytes: shown.size ?? 0, status: shown.status };
}

// ---- providers and preview-only types ----

export const providerResource: ResourceModel = {
  diff: diffBy([]),
  create: async (_ctx, inputs) => ({ id: `provider-${Math.random().toString(36).slice(2, 10)}`, outputs: inputs }),
  update: async (_ctx, _id, _old, inputs) => inputs,
  read: async (_ctx, _id, outputs) => outputs,
  delete: async () => undefined,
};

const previewOnly = (type: string): ResourceModel => ({
  diff: diffBy("all"),
  create: notApplied(type),
  update: notApplied(type),
  read: async (_ctx, _id, outputs) => outputs,
  delete: notApplied(type),
});

/** The model for a resource type; dynamic resources go to Pulumi's dynamic-provider host instead. */
export function modelFor(type: string): ResourceModel {
  if (type.startsWith("pulumi:providers:")) return providerResource;
  switch (type) {
    case "command:local:Command":
      return localCommand;
    case "command:remote:Command":
      return remoteCommand;
    case "docker:index/remoteImage:RemoteImage":
      return remoteImage;
    case "docker:index/container:Container":
      return container;
    case "openstack:images/image:Image":
      return glanceImage;
    case "tls:index/privateKey:PrivateKey":
    case "tls:index/selfSignedCert:SelfSignedCert":
      return previewOnly(type);
    default:
      return {
        diff: diffBy("all"),
        create: notApplied(type),
        update: notApplied(type),
        read: notApplied(type),
        delete: notApplied(type),
      };
  }
}
