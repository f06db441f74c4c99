// Day two: a datastore version taken out of a pipeline's `versions` while databases still use it is retired, not
// stranded. `DatastoreVersionRetirement` is a small record (a dynamic resource, one per region) of the versions the
// pipeline serves.

import * as pulumi from "@pulumi/pulumi";
import { loadScript } from "../internal/scripts/index";
import { shellCommand } from "../internal/shell";
import { loadCredentials, OpenStackApiError, openTroveSession, trove } from "./trove-client";

// Its `check`, which runs at preview as at up, compares them with the versions it served or kept before and asks Trove
// what uses each version no longer served; the ones in use (or that Trove cannot delete yet) come back as `retained`,
// which the pipeline declares again, inactive and not default, with their parameters and their Glance tags, under their
// own resource names, so that Pulumi updates them in place instead of deleting them. A later up, once nothing uses
// them, leaves them out and Pulumi deletes them for real.

/**
 * The usage counter: sync-parameters.py (internal/scripts), whose `usage` mode counts what uses each version. A value
 * of this module, not an import, so that the serialized provider carries the text instead of requiring a module by
 * path.
 */
const PARAMETERS_SYNC_PY = loadScript("sync-parameters.py");

/** What a pipeline does with a version it no longer lists while Trove reports it in use. */
export type WhenVersionInUse = "retire" | "fail";

/** A datastore version as Trove names it. */
export interface ServedVersion {
  /** Datastore name. Example: `mariadb`. */
  datastore: string;
  /** Version name. Example: `10.4`. */
  name: string;
  /** Version number. Example: `10.4`. */
  version: string;
}

/** What uses a version, counted in Trove's database (rows with deleted=0, and the soft-deleted ones apart). */
export interface VersionUsage {
  instances: number;
  backups: number;
  configurations: number;
  /** Soft-deleted instances and backups: on MySQL/MariaDB their foreign keys keep Trove from deleting the version. */
  deletedInstances: number;
  deletedBackups: number;
  /** Whether Trove's database enforces those foreign keys (MySQL/MariaDB yes, SQLite no). */
  referencesEnforced: boolean;
}

/** A version kept although the pipeline no longer lists it, and why (one line naming datastore and version). */
export interface RetainedVersion extends ServedVersion {
  /** The one line the pipeline logs for it. */
  reason: string;
}

/**
 * How the counter reaches a controller over SSH, as plain values. Only `host`, `port` and `user` (where the count runs)
 * are stored: the check counts with the rest and returns its inputs without it ({@link storedCounter}), so neither the
 * state's inputs nor its outputs hold the key or the password, whatever the engine does with secrets, and a rotated
 * key or host key changes nothing the record holds.
 */
export interface CounterConnection {
  host: string;
  port: number;
  user: string;
  /** The private key's text (secret). */
  privateKey?: string;
  /** The password (secret); ssh cannot log in with one unattended, so a connection with only a password is not counted. */
  password?: string;
  /** The host's key as `<type> <base64>` (parsed by the pipeline from the connection's `hostKey`). */
  hostKey?: string;
  insecureIgnoreHostKey?: boolean;
}

/**
 * Where usage is counted: the controller's Python that imports Trove and its trove.conf, on this machine, or on the
 * controller over SSH (`connection`).
 */
export interface UsageCounter {
  python: string;
  troveConfPath: string;
  connection?: CounterConnection;
}

/** What the pipeline gives as {@link UsageCounter}: the connection's address, user and secrets may be Outputs. */
export interface UsageCounterArgs {
  python: string;
  troveConfPath: string;
  connection?: {
    host: pulumi.Input<string>;
    port: pulumi.Input<number>;
    user: pulumi.Input<string>;
    privateKey?: pulumi.Input<string>;
    password?: pulumi.Input<string>;
    hostKey?: string;
    insecureIgnoreHostKey?: boolean;
  };
}

/** The record's inputs (and state): its arguments, and what its `check` decides. @internal */
export interface RetirementInputs extends Omit<DatastoreVersionRetirementArgs, "counter"> {
  counter?: UsageCounter;
  /** Computed by `check`: the versions kept inactive. */
  retained?: RetainedVersion[];
  /** Computed by `check`: versions whose usage only Trove's DELETE can tell (no counter), settled at up. */
  undecided?: ServedVersion[];
}

const keyOf = (v: ServedVersion) => `${v.datastore}\u0000${v.name}\u0000${v.version}`;

/** How messages name a version: datastore and name, and the number when it differs. @internal */
export function versionTitle(v: ServedVersion, where = ""): string {
  return `${v.datastore} ${v.name}${v.name !== v.version ? ` (${v.version})` : ""}${where ? ` in ${where}` : ""}`;
}

const counted = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** `1 instance, 0 backups, 0 configuration groups`. @internal */
export function usageText(u: Pick<VersionUsage, "instances" | "backups" | "configurations">): string {
  return [
    counted(u.instances, "instance", "instances"),
    counted(u.backups, "backup", "backups"),
    counted(u.configurations, "configuration group", "configuration groups"),
  ].join(", ");
}

/** Whether anything live uses the version. @internal */
export function inUse(u: VersionUsage): boolean {
  return u.instances + u.backups + u.configurations > 0;
}

/** Whether deleted rows still keep Trove from deleting the version. @internal */
export function blockedByDeletedRows(u: VersionUsage): boolean {
  return u.referencesEnforced && u.deletedInstances + u.deletedBackups > 0;
}

/** The line for a version kept inactive because it is in use. @internal */
export function retainedLine(v: ServedVersion, where: string, u: VersionUsage): string {
  return `${versionTitle(v, where)} kept inactive: in use by ${usageText(u)}; it is removed by the first up after they are gone`;
}

/** The line for a version no longer used that Trove cannot delete yet because of deleted rows. @internal */
export function deletedRowsLine(v: ServedVersion, where: string, u: VersionUsage): string {
  return (
    `${versionTitle(v, where)} kept inactive: not in use, but Trove's database still holds ${counted(u.deletedInstances, "deleted instance", "deleted instances")} and ` +
    `${counted(u.deletedBackups, "deleted backup", "deleted backups")} that refer to it (MySQL/MariaDB foreign keys), so Trove cannot delete it; ` +
    `it is removed by the first up after those rows are purged from Trove's database`
  );
}

/** The line for a version kept because Trove's DELETE refused it (no usage counter). @internal */
export function refusedLine(v: ServedVersion, where: string, refusal: string): string {
  return `${versionTitle(v, where)} kept inactive: Trove refused to delete it (${refusal}); it is removed by the first up after that is gone`;
}

/** Why the preview cannot count, when no troveController is given. @internal */
export const NO_CONTROLLER = "without a troveController its usage cannot be counted at preview";

/** Why the preview cannot count over a connection that has a password and no private key. @internal */
export const PASSWORD_ONLY =
  "its usage cannot be counted at preview: the troveController's connection has a password and no privateKey, and ssh cannot log in with a password unattended (give the connection a privateKey to count it at preview)";

/** The preview's line for a version whose usage only Trove's DELETE at up can tell, and why. @internal */
export function undecidedLine(v: ServedVersion, where: string, why: string = NO_CONTROLLER): string {
  return `${versionTitle(v, where)} no longer listed: ${why}, so at up Trove decides: deleted if nothing uses it, else kept inactive`;
}

/** The preview's line for a version counted only at up, once the connection (another resource's output) is known. @internal */
export function countedAtUpLine(v: ServedVersion, where: string): string {
  return `${versionTitle(v, where)} no longer listed: the troveController's connection is not known until up, so its usage is counted then (kept inactive if in use)`;
}

/** The strict mode's refusal, with the way forward. @internal */
export function strictLine(v: ServedVersion, where: string, what: string): string {
  return (
    `${versionTitle(v, where)} is still in use by ${what}, and registration.whenInUse is "fail": ` +
    `delete or migrate what uses it and run again, list it in versions again (active: false keeps new instances off it), ` +
    `or set registration.whenInUse: retire to keep it inactive until it is no longer used`
  );
}

/** `cloud "x", region "y"` (or the defaults), as messages name where a region's versions live. @internal */
export function placeText(p: Pick<RetirementInputs, "cloud" | "region">): string {
  return `${p.cloud === undefined ? "the default cloud" : `cloud "${p.cloud}"`}, ${p.region === undefined ? "the cloud's region" : `region "${p.region}"`}`;
}

/** Whether the region's cloud or region differs from before (every version it holds is then replaced). @internal */
export function placeChanged(
  olds: Partial<RetirementInputs> | undefined,
  news: Pick<RetirementInputs, "cloud" | "region">,
): boolean {
  return (
    olds?.serving !== undefined &&
    ((olds.cloud ?? null) !== (news.cloud ?? null) || (olds.region ?? null) !== (news.region ?? null))
  );
}

/** Every version the record served or kept before, each once: a change of place replaces each of them. @internal */
export function versionsHeld(olds: Partial<RetirementInputs>): ServedVersion[] {
  return retirementCandidates(olds, { serving: [] });
}

/** The refusal of a change of place that would replace a version Trove cannot delete. @internal */
export function movedLine(v: ServedVersion, where: string, what: string, from: string, to: string): string {
  return (
    `${versionTitle(v, where)} is still in use by ${what}, and its region moves from ${from} to ${to}, which replaces the version: ` +
    `Trove deletes a version before it makes it again, and cannot while it is in use. Keep the region's cloud and region as they were ` +
    `and declare the new place as a region of its own, or delete or migrate what uses the version first`
  );
}

/** The versions served or kept before that the pipeline no longer lists, each once. @internal */
export function retirementCandidates(
  olds: Partial<RetirementInputs> | undefined,
  news: Pick<RetirementInputs, "serving">,
): ServedVersion[] {
  const now = new Set(news.serving.map(keyOf));
  const seen = new Set<string>();
  const out: ServedVersion[] = [];
  for (const v of [...(olds?.serving ?? []), ...(olds?.retained ?? []), ...(olds?.undecided ?? [])]) {
    const k = keyOf(v);
    if (now.has(k) || seen.has(k)) continue;
    seen.add(k);
    out.push({ datastore: v.datastore, name: v.name, version: v.version });
  }
  return out;
}

/** The Pulumi SDK's marker of a value unknown during a preview (runtime/rpc.js `unknownValue`), as the host passes it. */
const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The alias the controller's host key is filed under in the counter's own known_hosts file. @internal */
export const CONTROLLER_HOST_ALIAS = "pulumi-trove-controller";

/** The command the controller's login shell runs: the counter with the controller's Python, every word quoted. @internal */
export function remoteUsageCommand(python: string): string {
  return shellCommand([python, "-c", PARAMETERS_SYNC_PY, "usage"]);
}

/**
 * The system ssh client's arguments that run the usage counter on the controller: no configuration file but these
 * options (`-F /dev/null`), unattended (`BatchMode`), the host checked against exactly the stack's `hostKey` (a
 * known_hosts file of this run, `files.knownHosts`) or, opted out by name, not at all; the private key from a file of
 * this run (`files.key`), else the ssh-agent or default keys of this machine. Only paths and public values: no
 * secret is ever in argv. @internal
 */
export function sshUsageArgs(
  c: CounterConnection,
  python: string,
  files: { key?: string; knownHosts?: string },
): string[] {
  let hostOptions: string[];
  if (c.hostKey !== undefined && files.knownHosts !== undefined)
    hostOptions = [
      "StrictHostKeyChecking=yes",
      `HostKeyAlias=${CONTROLLER_HOST_ALIAS}`,
      `UserKnownHostsFile=${files.knownHosts}`,
      "GlobalKnownHostsFile=/dev/null",
      "UpdateHostKeys=no",
    ];
  else if (c.insecureIgnoreHostKey === true)
    hostOptions = ["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null", "GlobalKnownHostsFile=/dev/null"];
  else
    throw new Error(
      `no host key for ${c.host}: set the troveController connection's hostKey (or insecureIgnoreHostKey: true)`,
    );
  const options = [
    "BatchMode=yes",
    "ConnectTimeout=30",
    "ServerAliveInterval=15",
    "ServerAliveCountMax=4",
    "LogLevel=ERROR",
    ...hostOptions,
    ...(files.key !== undefined ? ["IdentitiesOnly=yes", "PasswordAuthentication=no"] : []),
  ];
  return [
    "-F",
    "/dev/null",
    "-T",
    "-x",
    "-a",
    ...options.flatMap((o) => ["-o", o]),
    ...(files.key !== undefined ? ["-i", files.key] : []),
    "-p",
    String(c.port),
    "-l",
    c.user,
    "--",
    c.host,
    remoteUsageCommand(python),
  ];
}

/** `user@host:port`, as messages name the controller. @internal */
export function connectionTitle(c: Pick<CounterConnection, "host" | "port" | "user">): string {
  return `${c.user}@${c.host}:${c.port}`;
}

/**
 * Why the usage cannot be counted with this counter now, or undefined when it can: a password-only connection, or
 * a connection a preview does not know yet (another resource's output). @internal
 */
export function cannotCountWhy(counter: UsageCounter | undefined): string | undefined {
  if (counter === undefined) return NO_CONTROLLER;
  const c = counter.connection;
  if (c === undefined) return undefined;
  if ([c.host, c.port, c.user, c.privateKey, c.password].includes(UNKNOWN_VALUE as never)) return "unknown";
  if (c.privateKey === undefined && c.password !== undefined) return PASSWORD_ONLY;
  return undefined;
}

/**
 * The counter as the record stores it: where the count runs (the controller's address, port and user, its Python and
 * trove.conf), without how it logs in (the key or password, which are secret, and the host key). @internal
 */
export function storedCounter(counter: UsageCounter | undefined): UsageCounter | undefined {
  if (counter?.connection === undefined) return counter;
  const { host, port, user } = counter.connection;
  return { ...counter, connection: { host, port, user } };
}

/** Runs a program of the count (the controller's Python, or ssh to it) with the request on stdin; its stdout. */
function runCounterProgram(file: string, args: string[], request: string): string {
  // Required here, not imported: the provider is serialized with its closure, which takes a module by name only
  // when it is required inside the function (an import, under vitest's transform, would be serialized by value).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { execFileSync } = require("node:child_process") as typeof import("node:child_process");
  return execFileSync(file, args, {
    input: request,
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
    timeout: 120_000,
  });
}

/**
 * Runs the counter on the controller over SSH with the system OpenSSH client: the private key in a file of its own
 * (mode 0600, in a directory of this run only readable by this user) and the host key in a known_hosts file beside
 * it, both removed whatever happens; the request on stdin. Throws one line naming the controller, never the key.
 */
function runUsageOverSsh(counter: UsageCounter, request: string): string {
  // Required here, not imported: see runCounterProgram.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const fs = require("node:fs") as typeof import("node:fs");
  const os = require("node:os") as typeof import("node:os");
  const path = require("node:path") as typeof import("node:path");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const c = counter.connection!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-trove-ssh-"));
  try {
    fs.chmodSync(dir, 0o700);
    const files: { key?: string; knownHosts?: string } = {};
    if (c.privateKey !== undefined) {
      files.key = path.join(dir, "id");
      // OpenSSH refuses a key file readable by others, and some key formats without their final newline.
      fs.writeFileSync(files.key, c.privateKey.endsWith("\n") ? c.privateKey : `${c.privateKey}\n`, {
        mode: 0o600,
        flag: "wx",
      });
    }
    if (c.hostKey !== undefined) {
      files.knownHosts = path.join(dir, "known_hosts");
      fs.writeFileSync(files.knownHosts, `${CONTROLLER_HOST_ALIAS} ${c.hostKey}\n`, { mode: 0o600, flag: "wx" });
    }
    try {
      return runCounterProgram("ssh", sshUsageArgs(c, counter.python, files), request);
    } catch (error) {
      // execFileSync's own message repeats the whole command line: ours names the controller and says what failed.
      const e = error as { code?: string; status?: number | null; signal?: string | null; stderr?: string };
      const stderr = String(e.stderr ?? "").trim();
      const where = connectionTitle(c);
      let reason: string;
      if (e.code === "ENOENT")
        reason = "the ssh client is not installed on the machine that runs Pulumi (Debian: openssh-client)";
      else if (
        /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No \S+ host key is known/.test(stderr)
      )
        reason = `${where} did not present the host key in the troveController connection's hostKey; nothing was run there (check the key with ssh-keyscan and the host's /etc/ssh/ssh_host_*_key.pub)`;
      else if (e.signal) reason = `ssh to ${where} was stopped (${e.signal}) after 120 s`;
      else reason = `ssh to ${where} failed${e.status ? ` (exit ${e.status})` : ""}`;
      throw Object.assign(new Error(reason), { stderr });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the usage counter (sync-parameters.py's `usage` mode) with the controller's Python: on this machine, or on
 * the controller over SSH. @internal
 */
export function countUsage(
  counter: UsageCounter,
  versions: ServedVersion[],
): Array<ServedVersion & { found: boolean } & Partial<VersionUsage>> {
  const request = JSON.stringify({ configFile: counter.troveConfPath, versions });
  const out =
    counter.connection !== undefined
      ? runUsageOverSsh(counter, request)
      : runCounterProgram(counter.python, ["-c", PARAMETERS_SYNC_PY, "usage"], request);
  const result = JSON.parse(out.trim().split("\n").pop()!) as {
    referencesEnforced: boolean;
    usage: Array<ServedVersion & { found: boolean } & Partial<VersionUsage>>;
  };
  return result.usage.map((u) => ({ ...u, referencesEnforced: result.referencesEnforced }));
}

/** What the record decides for the candidates, from their counted usage. @internal */
export function decide(
  inputs: Pick<RetirementInputs, "whenInUse" | "where">,
  usage: Array<ServedVersion & { found: boolean } & Partial<VersionUsage>>,
): { retained: RetainedVersion[]; failures: string[] } {
  const retained: RetainedVersion[] = [];
  const failures: string[] = [];
  for (const u of usage) {
    if (!u.found) continue;
    const v = { datastore: u.datastore, name: u.name, version: u.version };
    const full = u as VersionUsage;
    if (inUse(full)) {
      if (inputs.whenInUse === "fail") failures.push(strictLine(v, inputs.where, usageText(full)));
      else retained.push({ ...v, reason: retainedLine(v, inputs.where, full) });
    } else if (blockedByDeletedRows(full)) {
      retained.push({ ...v, reason: deletedRowsLine(v, inputs.where, full) });
    }
  }
  return { retained, failures };
}

/** Trove's refusal of a DELETE, in words (`in use by an instance`), or undefined when it is no refusal. @internal */
export function inUseRefusal(error: unknown): string | undefined {
  const e = error as Partial<OpenStackApiError>;
  const m = /in use by (\w+)/.exec(String((error as Error)?.message ?? ""));
  if (e.status === 400 && m)
    return `in use by ${/^[aeiou]/.test(m[1]!) ? "an" : "a"} ${m[1] === "configuration" ? "configuration group" : m[1]}`;
  // MySQL/MariaDB: deleted rows still refer to the version (a foreign key); Trove answers 500.
  if (typeof e.status === "number" && e.status >= 500)
    return "its database still refers to it, e.g. through deleted instances or backups";
  return undefined;
}

/**
 * At up, for versions whose usage could not be counted: Trove's own DELETE decides. One it deletes is gone (Pulumi's
 * later delete of its resource finds it absent); one it refuses is kept, or fails the up in strict mode.
 */
async function settleUndecided(inputs: RetirementInputs): Promise<RetainedVersion[]> {
  const undecided = new Set((inputs.undecided ?? []).map(keyOf));
  const retained = (inputs.retained ?? []).filter((v) => !undecided.has(keyOf(v)));
  if (!inputs.undecided?.length) return retained;
  const session = await openTroveSession(loadCredentials(process.env, inputs.cloud, inputs.region));
  for (const v of inputs.undecided) {
    let listed: Array<{ id: string; name: string; version: string }>;
    try {
      listed = (
        (await trove(session, "GET", `/datastores/${encodeURIComponent(v.datastore)}/versions`)) as {
          versions: Array<{ id: string; name: string; version: string }>;
        }
      ).versions;
    } catch (error) {
      if ((error as Partial<OpenStackApiError>).status === 404) continue;
      throw error;
    }
    const found = listed.find((l) => l.name === v.name && l.version === v.version);
    if (!found) continue;
    try {
      await trove(session, "DELETE", `/mgmt/datastore-versions/${found.id}`);
    } catch (error) {
      const refusal = inUseRefusal(error);
      if (refusal === undefined) throw error;
      if (inputs.whenInUse === "fail" && /in use/.test(refusal))
        throw new Error(strictLine(v, inputs.where, refusal.replace(/^in use by /, "")), { cause: error });
      retained.push({ ...v, reason: refusedLine(v, inputs.where, refusal) });
    }
  }
  return retained;
}

/**
 * The stored outputs: the inputs with the decision (no undefined values: the host's protobuf Struct refuses them), and
 * the counter as stored, without the connection's key or password (check has taken them out already; this is the
 * second lock on that door).
 */
function outputsOf(inputs: RetirementInputs, retained: RetainedVersion[]): RetirementInputs {
  const { undecided: _undecided, counter, ...rest } = inputs;
  const stored = storedCounter(counter);
  return { ...rest, ...(stored !== undefined ? { counter: stored } : {}), retained };
}

/**
 * The counter for the versions where they are now, before a move: the earlier one (its Python and trove.conf; stored
 * without how it logs in, which it takes from the current connection when both log in as the same user on the same
 * host and port), else the current one.
 * @internal
 */
export function movingCounter(
  olds: Partial<RetirementInputs>,
  news: Pick<RetirementInputs, "counter">,
): UsageCounter | undefined {
  const before = olds.counter;
  const now = news.counter;
  if (before === undefined) return now;
  if (before.connection === undefined) return before;
  const b = before.connection;
  const n = now?.connection;
  if (n === undefined || n.host !== b.host || n.port !== b.port || n.user !== b.user) return now;
  return { ...before, connection: n };
}

/**
 * A region moved to another cloud or region replaces each version it holds, and a replacement deletes first: each one
 * still in use (or held by deleted rows) is refused here, at preview, before anything runs. Counted where the versions
 * are now ({@link movingCounter}); where that cannot be counted, Trove's refusal of the DELETE at up is the backstop.
 */
function movingFailures(olds: Partial<RetirementInputs>, news: RetirementInputs, counter: UsageCounter): string[] {
  const from = placeText(olds);
  const to = placeText(news);
  return countUsage(counter, versionsHeld(olds)).flatMap((u) => {
    if (!u.found) return [];
    const v = { datastore: u.datastore, name: u.name, version: u.version };
    const full = u as VersionUsage;
    if (inUse(full)) return [movedLine(v, news.where, usageText(full), from, to)];
    if (blockedByDeletedRows(full))
      return [
        movedLine(
          v,
          news.where,
          `${full.deletedInstances} deleted instances and ${full.deletedBackups} deleted backups (MySQL/MariaDB foreign keys)`,
          from,
          to,
        ),
      ];
    return [];
  });
}

/** The record's dynamic provider. @internal */
export const retirementProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds: Partial<RetirementInputs>, news: RetirementInputs) {
    // What the record keeps (the next check's olds, and its outputs) never holds the connection's key or password.
    const stored = storedCounter(news.counter);
    const base: RetirementInputs = { ...news, retained: [], undecided: [] };
    if (stored === undefined) delete base.counter;
    else base.counter = stored;
    const cannotCount = (versions: ServedVersion[], counter: UsageCounter, error: unknown) => {
      const stderr = String((error as { stderr?: string }).stderr ?? "")
        .trim()
        .split("\n")
        .slice(-3)
        .join(" ");
      const over = counter.connection ? ` on ${connectionTitle(counter.connection)} over SSH` : "";
      const message = (error as Error).message;
      return {
        inputs: base,
        failures: [
          {
            property: "counter",
            reason: `cannot count what uses ${versions.map((c) => versionTitle(c, news.where)).join(", ")} with ${counter.python} and ${counter.troveConfPath}${over}: ${counter.connection ? `${message}${stderr ? `: ${stderr}` : ""}` : stderr || message}`,
          },
        ],
      };
    };
    if (placeChanged(olds, news)) {
      const counter = movingCounter(olds, news);
      if (counter !== undefined && cannotCountWhy(counter) === undefined) {
        let moving: string[];
        try {
          moving = movingFailures(olds, news, counter);
        } catch (error) {
          return cannotCount(versionsHeld(olds), counter, error);
        }
        if (moving.length > 0)
          return { inputs: base, failures: moving.map((reason) => ({ property: "region", reason })) };
      }
    }
    const candidates = retirementCandidates(olds, news);
    if (candidates.length === 0) return { inputs: base };
    // Without a counter (or over a connection ssh cannot use unattended), preview shows them kept (the safe outcome),
    // and says why; at up, Trove's DELETE decides. A connection known only at up is counted then.
    const why = cannotCountWhy(news.counter);
    if (why !== undefined)
      return {
        inputs: {
          ...base,
          undecided: why === "unknown" ? [] : candidates,
          retained: candidates.map((v) => ({
            ...v,
            reason: why === "unknown" ? countedAtUpLine(v, news.where) : undecidedLine(v, news.where, why),
          })),
        },
      };
    let usage;
    try {
      usage = countUsage(news.counter!, candidates);
    } catch (error) {
      return cannotCount(candidates, news.counter!, error);
    }
    const { retained, failures } = decide(news, usage);
    return { inputs: { ...base, retained }, failures: failures.map((reason) => ({ property: "serving", reason })) };
  },
  async diff(_id: string, olds: RetirementInputs, news: RetirementInputs) {
    const fields = ["serving", "whenInUse", "where", "cloud", "region", "counter", "retained", "undecided"] as const;
    // `undecided` is not stored (outputsOf drops it): absent there and empty here are the same. `counter` is compared
    // as stored: where and how the controller is reached, not its key or password, which the record never keeps (a
    // rotated key changes nothing the record holds, and the next check counts with it anyway).
    const value = (r: RetirementInputs, f: (typeof fields)[number]) =>
      JSON.stringify(f === "counter" ? (storedCounter(r.counter) ?? null) : (r[f] ?? (f === "undecided" ? [] : null)));
    const changed = fields.filter((f) => value(olds, f) !== value(news, f));
    return { changes: changed.length > 0 };
  },
  async create(inputs: RetirementInputs) {
    return { id: `retirement-${Date.now().toString(36)}`, outs: outputsOf(inputs, await settleUndecided(inputs)) };
  },
  async update(_id: string, _olds: RetirementInputs, news: RetirementInputs) {
    return { outs: outputsOf(news, await settleUndecided(news)) };
  },
  async read(id: string, props: RetirementInputs) {
    return { id, props };
  },
  async delete() {
    // A record: the versions it kept belong to their own resources.
  },
};

/** Arguments of {@link DatastoreVersionRetirement} (the pipeline declares it; see docs/day-two.md). */
export interface DatastoreVersionRetirementArgs {
  /** The versions the pipeline lists in this region. */
  serving: ServedVersion[];
  /** What to do with a version no longer listed that Trove reports in use. */
  whenInUse: WhenVersionInUse;
  /** `region <name>` for messages, or empty for the one implicit region. */
  where: string;
  /** clouds.yaml cloud. Default: `OS_CLOUD` or the `OS_*` variables. */
  cloud?: string;
  /** Region. Default: the cloud's. */
  region?: string;
  /**
   * Count usage with Trove's models, on this machine or on the controller over SSH. Default: not counted (Trove's
   * DELETE decides at up).
   */
  counter?: UsageCounterArgs;
}

/**
 * The record of the versions a pipeline serves in one region; `retained` lists those it no longer lists that Trove
 * still needs (known at preview). Declared by the pipeline; see docs/day-two.md.
 */
export class DatastoreVersionRetirement extends pulumi.dynamic.Resource {
  /** Versions kept inactive, each with its one-line reason. */
  declare public readonly retained: pulumi.Output<RetainedVersion[]>;

  constructor(name: string, args: DatastoreVersionRetirementArgs, opts?: pulumi.CustomResourceOptions) {
    const inputs: Record<string, unknown> = {
      serving: args.serving,
      whenInUse: args.whenInUse,
      where: args.where,
      retained: undefined,
      undecided: undefined,
    };
    if (args.cloud !== undefined) inputs.cloud = args.cloud;
    if (args.region !== undefined) inputs.region = args.region;
    if (args.counter !== undefined) inputs.counter = args.counter;
    super(retirementProvider, name, inputs, opts, "pulumi-trove", "DatastoreVersionRetirement");
  }
}
