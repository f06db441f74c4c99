// A small stand-in for the Pulumi engine, so tests can run a stack's program the way `pulumi preview`, `up`,
// `refresh` and `destroy` run it, with Pulumi's own code wherever it ships in npm. It is test support, not a product.
//
// What is Pulumi's own: the program runs under `@pulumi/pulumi/cmd/run` (what the Node language host spawns: same
// flags, PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS, PULUMI_NODEJS_TYPESCRIPT, working directory, bundled ts-node),
// talks gRPC to us through the generated stubs in `@pulumi/pulumi/proto`, and dynamic resources run in Pulumi's
// dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`). What is modelled here, following the engine's
// documented behaviour: config checked against Pulumi.yaml before the program starts (project-config.ts); URNs;
// in a preview, a new resource's outputs are its inputs and the rest unknown; a diff per provider (resource-models.ts;
// dynamic resources ask the host); create, update, replace (create-before-delete unless delete-before-replace, the
// old one deleted at the end), same; aliases by URN; deleting what the program no longer declares; refresh via each
// provider's read; destroy in reverse order of registration (a valid dependency order, since the SDK registers a
// resource only once its dependencies have resolved). Not modelled: plugins (providers other than dynamic ones are
// applied with the services' own clients), custom timeouts, protect, import, stack transforms, invokes, output
// values and resource references (the monitor says it does not support them). ignoreChanges (top-level properties:
// the stored input is kept in place of the new one, for an update; a create uses the new one) and retainOnDelete
// (the provider's delete is not called, for a delete, a replaced resource's delete or a destroy) are modelled.
// Remote components (a multi-language component package): a RegisterResource with `remote` is answered, as the engine
// answers it, by the package's provider host's Construct, given this monitor's address; the provider registers the
// component and its children here. A program other than a Node one (a YAML program, say) is run by `runProgram`.

import { ChildProcess, spawn } from "node:child_process";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DynamicProviderHost } from "./dynamic-provider-host";
import { ProgramConfig, programConfig, readProjectFile } from "./project-config";
import { modelFor, ModelContext } from "./resource-models";
import {
  changedKeys,
  containsUnknown,
  keepSecrets,
  plain,
  plainObject,
  pulumiRequire,
  sameValue,
  toStruct,
  Wire,
} from "./wire";

/* eslint-disable @typescript-eslint/no-explicit-any -- the generated protobuf stubs are untyped from here */
const grpc = pulumiRequire("@grpc/grpc-js") as any;
const resrpc = pulumiRequire("./proto/resource_grpc_pb") as any;
const resproto = pulumiRequire("./proto/resource_pb") as any;
const engrpc = pulumiRequire("./proto/engine_grpc_pb") as any;
const engproto = pulumiRequire("./proto/engine_pb") as any;
const emptyproto = pulumiRequire("google-protobuf/google/protobuf/empty_pb") as any;
const provrpc = pulumiRequire("./proto/provider_grpc_pb") as any;
const provproto = pulumiRequire("./proto/provider_pb") as any;
const plugproto = pulumiRequire("./proto/plugin_pb") as any;

const STACK_TYPE = "pulumi:pulumi:Stack";
/** Where every program run's ts-node keeps what it compiled (see runProgram). */
const TS_NODE_CACHE = path.join(tmpdir(), "pulumi-trove-ts-node-cache");
const SEVERITIES = ["debug", "info", "warning", "error"] as const;
/** What the harness's monitor says yes to when the SDK asks (SupportsFeature). */
const SUPPORTED_FEATURES = new Set(["secrets", "deletedWith"]);

/** One resource in the stack's state. Inputs and outputs keep the wire form (secrets marked). */
export interface ResourceState {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  id: string;
  parent?: string;
  /** Explicit provider reference (`urn::id`), or `default_<package>`. */
  provider?: string;
  /** The provider's configuration as the resource saw it (plain). */
  providerConfig: Record<string, unknown>;
  inputs: Wire;
  outputs: Wire;
  dependencies: string[];
  /** URNs the resource was known by before (its aliases, as the SDK computed them). */
  aliases: string[];
  /** The resource option: deleting it leaves the cloud's resource in place. */
  retainOnDelete?: boolean;
}

export type StepOp = "create" | "update" | "replace" | "delete" | "same";

export interface Step {
  op: StepOp;
  urn: string;
  type: string;
  name: string;
  /** Fields whose change caused the step. */
  changes?: string[];
}

export interface LogEntry {
  severity: (typeof SEVERITIES)[number];
  message: string;
  urn?: string;
}

/** The outcome of one preview, up, refresh or destroy. */
export interface OperationResult {
  ok: boolean;
  exitCode: number | null;
  steps: Step[];
  logs: LogEntry[];
  /** Errors: the program's own and failed resource operations, one line each. */
  errors: string[];
  /** The stack outputs (plain), after an up or preview. */
  outputs: Record<string, unknown>;
  /** The program's stdout and stderr. */
  programOutput: string;
  /** Steps that change something (create, update, replace, delete). */
  changes: Step[];
  /** Pulumi's closing line, e.g. `Resources: 2 created, 21 unchanged`. */
  summary: string;
  /** The resources the program declared (preview and up), as registered. */
  resources: ResourceState[];
}

export interface EngineOptions {
  /** The project directory (Pulumi.yaml). */
  root: string;
  stack: string;
  /** Values `pulumi config set --secret` would hold, by key without namespace. */
  secrets?: Record<string, string>;
  /** Stack-file values to replace, e.g. a bad value for a test. */
  configOverrides?: Record<string, unknown>;
  /** The stack file to read instead of `<stackConfigDir>/Pulumi.<stack>.yaml`, as `pulumi --config-file` takes it. */
  configFile?: string;
  /** Environment of `pulumi` (the program and the plugins inherit it). Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** `--parallel`. Default: 16. */
  parallel?: number;
  /**
   * Runs the program instead of `@pulumi/pulumi/cmd/run` (a stand-in for another language's runtime): it gets this
   * engine's monitor and engine address (one server serves both) and whether this is a preview.
   */
  runProgram?: (address: string, dryRun: boolean) => Promise<{ exitCode: number | null; output: string }>;
  /** Features the monitor supports besides `secrets` and `deletedWith`, e.g. `outputValues` for remote components. */
  features?: string[];
  /** The `pulumirpc.ResourceProvider` address of each component package (by package name), for remote components. */
  componentProviders?: Record<string, string>;
}

function makeUrn(stack: string, project: string, parent: string | undefined, type: string, name: string): string {
  const parentType = parent ? parent.split("::")[2]! : STACK_TYPE;
  const qualified = parentType === STACK_TYPE ? type : `${parentType}$${type}`;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

function packageOf(type: string): string {
  return type.startsWith("pulumi:providers:") ? type.slice("pulumi:providers:".length) : type.split(":")[0]!;
}

const isDynamic = (type: string) => type.startsWith("pulumi-nodejs:dynamic/");

function finish(
  steps: Step[],
  logs: LogEntry[],
  errors: string[],
  extra: {
    exitCode: number | null;
    outputs?: Record<string, unknown>;
    programOutput?: string;
    resources?: ResourceState[];
  },
): OperationResult {
  const changes = steps.filter((s) => s.op !== "same");
  const counts = new Map<string, number>();
  for (const s of steps) counts.set(s.op, (counts.get(s.op) ?? 0) + 1);
  const words: Record<StepOp, string> = {
    create: "created",
    update: "updated",
    replace: "replaced",
    delete: "deleted",
    same: "unchanged",
  };
  const parts = (["create", "update", "replace", "delete", "same"] as StepOp[])
    .filter((op) => counts.has(op))
    .map((op) => `${counts.get(op)} ${words[op]}`);
  return {
    ok: errors.length === 0 && (extra.exitCode === 0 || extra.exitCode === null),
    exitCode: extra.exitCode,
    steps,
    logs,
    errors,
    outputs: extra.outputs ?? {},
    programOutput: extra.programOutput ?? "",
    changes,
    summary: `Resources: ${parts.join(", ") || "none"}`,
    resources: extra.resources ?? [],
  };
}

/** One stack, its state kept across operations like a Pulumi backend keeps it. */
export class PulumiEngine {
  /** The stack's state, in registration order. */
  state: ResourceState[] = [];
  private readonly project: string;
  private readonly main: string;
  private readonly typescript: boolean;

  constructor(readonly options: EngineOptions) {
    const project = readProjectFile(options.root);
    this.project = project.name;
    this.main = project.main;
    this.typescript = project.typescript;
  }

  private get env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  preview(): Promise<OperationResult> {
    return this.deploy(true);
  }

  up(): Promise<OperationResult> {
    return this.deploy(false);
  }

  /** The stack outputs of the last successful up. */
  get stackOutputs(): Record<string, unknown> {
    return plainObject(this.state.find((r) => r.type === STACK_TYPE)?.outputs ?? {});
  }

  private async deploy(dryRun: boolean): Promise<OperationResult> {
    const steps: Step[] = [];
    const logs: LogEntry[] = [];
    const errors: string[] = [];
    let config: ProgramConfig;
    try {
      config = programConfig(
        this.options.root,
        this.options.stack,
        this.options.secrets,
        this.options.configOverrides,
        this.options.configFile,
      );
    } catch (error) {
      return finish(steps, logs, [(error as Error).message], { exitCode: null });
    }
    const olds = new Map(this.state.map((r) => [r.urn, r]));
    const consumed = new Set<string>();
    // Old resources whose successor registered: those a failed update leaves out of the state.
    const carried = new Set<string>();
    const registered = new Map<string, ResourceState>();
    const pendingDeletes: ResourceState[] = [];
    const stackConfig = config.config;
    let host: Promise<DynamicProviderHost> | undefined;
    let rootUrn = "";

    const providerConfigFor = (type: string, ref: string): { provider: string; config: Record<string, unknown> } => {
      if (ref) {
        const providerUrn = ref.split("::").slice(0, -1).join("::");
        return { provider: ref, config: plainObject(registered.get(providerUrn)?.inputs ?? {}) };
      }
      const pkg = packageOf(type);
      const prefix = `${pkg}:`;
      const fromStack = Object.fromEntries(
        Object.entries(stackConfig)
          .filter(([k]) => k.startsWith(prefix))
          .map(([k, v]) => [k.slice(prefix.length), v]),
      );
      return { provider: `default_${pkg}`, config: fromStack };
    };

    const engineAddress = { value: "" };
    const dynamicHost = () => (host ??= DynamicProviderHost.start(this.options.root, engineAddress.value, this.env));

    const register = async (req: any): Promise<{ urn: string; id: string; outputs: Wire }> => {
      if (req.getRemote()) return construct(req);
      const type: string = req.getType();
      const name: string = req.getName();
      const parent: string = req.getParent() || (type === STACK_TYPE ? "" : rootUrn);
      const urn = makeUrn(this.options.stack, this.project, parent || undefined, type, name);
      const declared = (req.getObject()?.toJavaScript() ?? {}) as Wire;
      const dependencies = new Set<string>(req.getDependenciesList());
      req.getPropertydependenciesMap().forEach((v: any) => v.getUrnsList().forEach((u: string) => dependencies.add(u)));
      const old =
        olds.get(urn) ??
        (req.getAliasurnsList() as string[])
          .map((a) => olds.get(a))
          .find((r) => r !== undefined && !registered.has(r.urn));
      if (old) consumed.add(old.urn);
      // ignoreChanges: an existing resource keeps its stored value of each ignored (top-level) property.
      const ignored: string[] = req.getIgnorechangesList();
      const inputs: Wire =
        old && ignored.length > 0
          ? {
              ...declared,
              ...Object.fromEntries(ignored.filter((k) => k in old.inputs).map((k) => [k, old.inputs[k]])),
            }
          : declared;
      const { provider, config: providerConfig } = req.getCustom()
        ? providerConfigFor(type, req.getProvider())
        : { provider: undefined, config: {} };
      const base = {
        urn,
        type,
        name,
        custom: req.getCustom() as boolean,
        parent: parent || undefined,
        provider,
        providerConfig,
        dependencies: [...dependencies],
        aliases: req.getAliasurnsList() as string[],
        ...(req.getRetainondelete() ? { retainOnDelete: true } : {}),
      };

      if (!base.custom) {
        const state: ResourceState = { ...base, id: "", inputs, outputs: old?.outputs ?? {} };
        registered.set(urn, state);
        if (old) carried.add(old.urn);
        steps.push({ op: old ? "same" : "create", urn, type, name });
        return { urn, id: "", outputs: {} };
      }

      const ctx: ModelContext = {
        providerConfig,
        env: this.env,
        log: (severity, message) => logs.push({ severity, message, urn }),
      };
      const model = modelFor(type);
      const replaceOnChanges: string[] = req.getReplaceonchangesList();
      const secretOutputs: string[] = [...req.getAdditionalsecretoutputsList(), ...(model.secretOutputs ?? [])];
      const dynamic = isDynamic(type);
      const checked =
        dynamic && !containsUnknown(inputs.__provider)
          ? await (await dynamicHost()).check(urn, old?.inputs ?? {}, inputs)
          : plainObject(inputs);

      let op: StepOp = "create";
      let changes: string[] = [];
      let deleteBeforeReplace: boolean = req.getDeletebeforereplace();
      if (old) {
        // A dynamic provider's diff sees a preview's unknown values as Pulumi's unknown marker, as the engine sends them.
        if (dynamic && !containsUnknown(inputs.__provider)) {
          const d = await (await dynamicHost()).diff(urn, old.id, old.outputs, checked);
          changes = d.changes ? changedKeys(old.inputs, checked) : [];
          op = !d.changes ? "same" : d.replaces.length > 0 ? "replace" : "update";
          if (d.replaces.length > 0) changes = d.replaces;
          deleteBeforeReplace ||= d.deleteBeforeReplace;
        } else {
          const d = model.diff(plainObject(old.inputs), plainObject(inputs), replaceOnChanges);
          changes = d.replaces.length > 0 ? d.replaces : d.changes;
          op = d.changes.length === 0 ? "same" : d.replaces.length > 0 ? "replace" : "update";
        }
      }
      steps.push({ op, urn, type, name, ...(op === "same" || op === "create" ? {} : { changes }) });

      let id = old?.id ?? "";
      let outputs: Wire = old?.outputs ?? {};
      if (dryRun) {
        // The engine previews a dynamic resource with its checked inputs as outputs: the host sets no
        // supportsPreview, so Create and Update are not called in a preview (pkg/resource/plugin/provider_plugin.go).
        if (op !== "same") outputs = dynamic ? (checked as Wire) : inputs;
        if (op === "create" || op === "replace") id = "";
      } else if (op !== "same") {
        const hostNow = dynamic ? await dynamicHost() : undefined;
        const create = async () => {
          const created = hostNow ? await hostNow.create(urn, checked) : await model.create(ctx, plainObject(inputs));
          id = created.id;
          outputs = keepSecrets(created.outputs, inputs, secretOutputs);
        };
        if (op === "create") await create();
        else if (op === "update") {
          const updated = hostNow
            ? await hostNow.update(urn, old!.id, old!.outputs, checked)
            : await model.update(ctx, old!.id, plainObject(old!.outputs), plainObject(inputs));
          outputs = keepSecrets(updated, inputs, secretOutputs);
        } else if (deleteBeforeReplace) {
          await this.deleteOne(old!, hostNow, logs);
          await create();
        } else {
          await create();
          pendingDeletes.push(old!);
        }
      }
      // The state keeps what the provider's check returned as the resource's inputs (the next check's olds).
      registered.set(urn, { ...base, id, inputs: dynamic ? (checked as Wire) : inputs, outputs });
      if (old) carried.add(old.urn);
      return { urn, id, outputs };
    };

    // A remote component: its package's provider constructs it, registering the component and its children here.
    const construct = async (req: any): Promise<{ urn: string; id: string; outputs: Wire }> => {
      const type: string = req.getType();
      const address = this.options.componentProviders?.[packageOf(type)];
      if (!address) throw new Error(`no provider host for the remote component ${type}`);
      const creq = new provproto.ConstructRequest();
      creq.setProject(this.project);
      creq.setStack(this.options.stack);
      creq.setDryrun(dryRun);
      creq.setParallel(this.options.parallel ?? 16);
      creq.setMonitorendpoint(engineAddress.value);
      creq.setType(type);
      creq.setName(req.getName());
      creq.setParent(req.getParent() || rootUrn);
      creq.setInputs(req.getObject());
      creq.setDependenciesList(req.getDependenciesList());
      req.getProvidersMap().forEach((ref: string, pkg: string) => creq.getProvidersMap().set(pkg, ref));
      const configMap = creq.getConfigMap();
      for (const [k, v] of Object.entries(stackConfig)) configMap.set(k, String(v));
      creq.setConfigsecretkeysList(config.secretKeys);
      const inputDeps = creq.getInputdependenciesMap();
      req.getPropertydependenciesMap().forEach((v: any, k: string) => {
        const deps = new provproto.ConstructRequest.PropertyDependencies();
        deps.setUrnsList(v.getUrnsList());
        inputDeps.set(k, deps);
      });
      const client = new provrpc.ResourceProviderClient(address, grpc.credentials.createInsecure());
      try {
        // The host was started before this operation's engine: it is attached to it, so its logs come here.
        const attach = new plugproto.PluginAttach();
        attach.setAddress(engineAddress.value);
        await new Promise<void>((resolve, reject) =>
          client.attach(attach, (err: any) => (err ? reject(new Error(err.details ?? err.message)) : resolve())),
        );
        const resp: any = await new Promise((resolve, reject) =>
          client.construct(creq, (err: any, r: any) =>
            err ? reject(new Error(err.details ?? err.message)) : resolve(r),
          ),
        );
        return { urn: resp.getUrn(), id: "", outputs: (resp.getState()?.toJavaScript() ?? {}) as Wire };
      } finally {
        client.close();
      }
    };

    const features = new Set([...SUPPORTED_FEATURES, ...(this.options.features ?? [])]);
    const monitor = {
      supportsFeature(call: any, cb: any) {
        const resp = new resproto.SupportsFeatureResponse();
        resp.setHassupport(features.has(call.request.getId()));
        cb(null, resp);
      },
      registerResource(call: any, cb: any) {
        register(call.request).then(
          ({ urn, id, outputs }) => {
            const resp = new resproto.RegisterResourceResponse();
            resp.setUrn(urn);
            resp.setId(id);
            resp.setObject(toStruct(outputs));
            cb(null, resp);
          },
          (error: Error) => {
            errors.push(`${call.request.getType()} ${call.request.getName()}: ${error.message}`);
            // The engine reports a failed step itself and cancels the deployment: the program's pending
            // registration is answered as a shut-down monitor (pulumi/pulumi pkg/resource/deploy/source_eval.go),
            // and the SDK then stops its RPCs and exits without reporting an error of its own.
            cb({
              code: grpc.status.UNAVAILABLE,
              details: "resource monitor shut down while waiting on step's done channel",
            });
          },
        );
      },
      registerResourceOutputs(call: any, cb: any) {
        const r = registered.get(call.request.getUrn());
        if (r) r.outputs = (call.request.getOutputs()?.toJavaScript() ?? {}) as Wire;
        cb(null, new emptyproto.Empty());
      },
      invoke(call: any, cb: any) {
        // The engine's own function: a provider host rehydrating a resource reference (a component's `providers`)
        // reads the resource it names.
        if (call.request.getTok() === "pulumi:pulumi:getResource") {
          const urn = (call.request.getArgs()?.toJavaScript() as { urn?: string } | undefined)?.urn ?? "";
          const r = registered.get(urn) ?? olds.get(urn);
          if (!r) return cb({ code: grpc.status.NOT_FOUND, details: `no resource ${urn}` });
          const resp = new provproto.InvokeResponse();
          resp.setReturn(toStruct({ urn: r.urn, id: r.id, state: r.outputs }));
          return cb(null, resp);
        }
        cb({ code: grpc.status.UNIMPLEMENTED, details: `the harness has no function ${call.request.getTok()}` });
      },
      registerPackage(call: any, cb: any) {
        const resp = new resproto.RegisterPackageResponse();
        resp.setRef(`${call.request.getName()}@${call.request.getVersion()}`);
        cb(null, resp);
      },
      signalAndWaitForShutdown(_call: any, cb: any) {
        cb(null, new emptyproto.Empty());
      },
    };
    const engine = {
      log(call: any, cb: any) {
        logs.push({
          severity: SEVERITIES[call.request.getSeverity()] ?? "info",
          message: call.request.getMessage(),
          urn: call.request.getUrn() || undefined,
        });
        cb(null, new emptyproto.Empty());
      },
      getRootResource(_call: any, cb: any) {
        const resp = new engproto.GetRootResourceResponse();
        resp.setUrn(rootUrn);
        cb(null, resp);
      },
      setRootResource(call: any, cb: any) {
        rootUrn = call.request.getUrn();
        cb(null, new engproto.SetRootResourceResponse());
      },
    };

    const server = new grpc.Server();
    server.addService(resrpc.ResourceMonitorService, monitor);
    server.addService(engrpc.EngineService, engine);
    const port: number = await new Promise((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err: Error | null, p: number) =>
        err ? reject(err) : resolve(p),
      ),
    );
    engineAddress.value = `127.0.0.1:${port}`;

    let exitCode: number | null = null;
    let programOutput = "";
    try {
      ({ exitCode, output: programOutput } = this.options.runProgram
        ? await this.options.runProgram(engineAddress.value, dryRun)
        : await this.runProgram(engineAddress.value, config, dryRun));
      if (exitCode !== 0) {
        for (const l of logs.filter((l) => l.severity === "error")) errors.push(l.message.trim());
        if (errors.length === 0)
          errors.push(`the program exited with ${exitCode}: ${programOutput.trim().split("\n").slice(-5).join(" | ")}`);
      }
      const removed = this.state.filter((r) => !consumed.has(r.urn) && !registered.has(r.urn));
      if (exitCode === 0 && errors.length === 0) {
        for (const r of [...removed].reverse()) {
          steps.push({ op: "delete", urn: r.urn, type: r.type, name: r.name });
          if (!dryRun) await this.deleteOne(r, isDynamic(r.type) ? await dynamicHost() : undefined, logs);
        }
        if (!dryRun) {
          for (const r of pendingDeletes.reverse())
            await this.deleteOne(r, isDynamic(r.type) ? await dynamicHost() : undefined, logs);
          this.state = [...registered.values()];
        }
      } else if (!dryRun) {
        // A failed update keeps what it did and everything it did not touch, as the engine's checkpoint does: a
        // resource whose own step failed keeps its old state.
        this.state = [
          ...registered.values(),
          ...this.state.filter((r) => !registered.has(r.urn) && !carried.has(r.urn)),
        ];
      }
    } catch (error) {
      errors.push((error as Error).message);
    } finally {
      server.forceShutdown();
      if (host) await (await host).stop();
    }
    const stackOutputs = plainObject([...registered.values()].find((r) => r.type === STACK_TYPE)?.outputs ?? {});
    return finish(steps, logs, errors, {
      exitCode,
      outputs: stackOutputs,
      programOutput,
      resources: [...registered.values()],
    });
  }

  /** Starts `@pulumi/pulumi/cmd/run` as the Node language host does, and waits for it to exit. */
  private runProgram(
    address: string,
    config: ProgramConfig,
    dryRun: boolean,
  ): Promise<{ exitCode: number | null; output: string }> {
    const root = this.options.root;
    const runPath = path.join(root, "node_modules", "@pulumi", "pulumi", "cmd", "run");
    const args = [
      runPath,
      `--monitor=${address}`,
      `--engine=${address}`,
      `--project=${this.project}`,
      `--stack=${this.options.stack}`,
      `--root-directory=${root}`,
      `--pwd=${root}`,
      `--parallel=${this.options.parallel ?? 16}`,
      ...(dryRun ? ["--dry-run"] : []),
      this.main,
    ];
    const env: NodeJS.ProcessEnv = {
      ...this.env,
      PULUMI_CONFIG: JSON.stringify(config.config),
      PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(config.secretKeys),
      PULUMI_NODEJS_TYPESCRIPT: String(this.typescript),
      // Pulumi's bundled ts-node caches what it compiled (and type-checked) under a directory named after the user's
      // HOME; tests give many runs a HOME of their own, each of which would type-check the whole program again
      // (8.5 s of CPU against 3 s warm, measured). Its cache is keyed by each file's content and the compiler
      // options, so one directory for every run changes nothing a program sees: a changed file is checked again.
      TS_NODE_CACHE_DIRECTORY: this.env.TS_NODE_CACHE_DIRECTORY ?? TS_NODE_CACHE,
    };
    return new Promise((resolve, reject) => {
      const child: ChildProcess = spawn(process.execPath, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
      child.on("error", reject);
      child.on("exit", (code) => resolve({ exitCode: code, output }));
    });
  }

  private async deleteOne(r: ResourceState, host: DynamicProviderHost | undefined, logs?: LogEntry[]): Promise<void> {
    if (!r.custom || r.retainOnDelete) return;
    if (host && isDynamic(r.type)) await host.delete(r.urn, r.id, r.outputs);
    else
      await modelFor(r.type).delete(
        {
          providerConfig: r.providerConfig,
          env: this.env,
          log: (severity, message) => logs?.push({ severity, message, urn: r.urn }),
        },
        r.id,
        plainObject(r.outputs),
      );
  }

  /** `pulumi refresh`: every resource read back through its provider; what is gone leaves the state. */
  async refresh(): Promise<OperationResult> {
    const steps: Step[] = [];
    const errors: string[] = [];
    let host: DynamicProviderHost | undefined;
    const next: ResourceState[] = [];
    try {
      for (const r of this.state) {
        if (!r.custom) {
          next.push(r);
          continue;
        }
        try {
          let outputs: Wire | undefined;
          if (isDynamic(r.type)) {
            host ??= await DynamicProviderHost.start(this.options.root, "127.0.0.1:0", this.env);
            outputs = (await host.read(r.urn, r.id, r.outputs, r.inputs))?.outputs;
          } else {
            const read = await modelFor(r.type).read(
              { providerConfig: r.providerConfig, env: this.env },
              r.id,
              plainObject(r.outputs),
            );
            outputs = read && keepSecrets(read, r.outputs, []);
          }
          if (!outputs) {
            steps.push({ op: "delete", urn: r.urn, type: r.type, name: r.name });
            continue;
          }
          const same = sameValue(plain(r.outputs), plain(outputs));
          steps.push({
            op: same ? "same" : "update",
            urn: r.urn,
            type: r.type,
            name: r.name,
            ...(same ? {} : { changes: changedKeys(r.outputs, outputs) }),
          });
          next.push({ ...r, outputs });
        } catch (error) {
          errors.push(`${r.type} ${r.name}: ${(error as Error).message}`);
          next.push(r);
        }
      }
      this.state = next;
    } finally {
      if (host) await host.stop();
    }
    return finish(steps, [], errors, { exitCode: null });
  }

  /** `pulumi destroy`: every resource deleted, dependents first. */
  async destroy(): Promise<OperationResult> {
    const steps: Step[] = [];
    const errors: string[] = [];
    const logs: LogEntry[] = [];
    let host: DynamicProviderHost | undefined;
    try {
      for (const r of [...this.state].reverse()) {
        try {
          if (isDynamic(r.type)) host ??= await DynamicProviderHost.start(this.options.root, "127.0.0.1:0", this.env);
          await this.deleteOne(r, host, logs);
          steps.push({ op: "delete", urn: r.urn, type: r.type, name: r.name });
          this.state = this.state.filter((s) => s.urn !== r.urn);
        } catch (error) {
          errors.push(`${r.type} ${r.name}: ${(error as Error).message}`);
          break;
        }
      }
    } finally {
      if (host) await host.stop();
    }
    return finish(steps, logs, errors, { exitCode: null });
  }

  /** Resources of one type in the state. */
  ofType(type: string): ResourceState[] {
    return this.state.filter((r) => r.type === type);
  }
}
