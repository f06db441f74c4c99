// The DatastoreVersion dynamic provider: the code Pulumi serializes into each version's state (`__provider`) and runs in
// its dynamic-provider host for check, create, read, diff, update and delete. It imports @pulumi/pulumi for types only.
// From an installed package, the serialized text requires this module, and those it imports, by their paths: a module
// moved keeps its former path (scripts/build/former-paths.ts), or existing stacks cannot refresh or delete versions.

import type * as pulumi from "@pulumi/pulumi";
import { describeValue } from "../../internal/problem-text";
import { plainNameProblem, cloudNameProblem, uuidProblem, versionNumberProblem } from "../../internal/validate";
import { flag, listOf, optional, problemsOf, Rule, shape, text } from "../../internal/schema";
import {
  CallCounter,
  exclusively,
  loadCredentials,
  OpenStackApiError,
  openTroveSession,
  trove,
  TroveSession,
} from "../trove-client";

// Credentials come from the environment of the `pulumi` process (OS_* or clouds.yaml) when the provider runs; only the
// cloud and region names are inputs, so none reach the state. A create costs what Trove's API costs: the Keystone token
// is the provider process's (trove-client.ts), and the version is looked up by datastore and name (one small GET before
// and one after the POST), never by listing every version.

/** How Pulumi marks a value a preview does not know yet, in what a dynamic provider's `check` receives. */
const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The provider's inputs and state. @internal */
export interface DatastoreVersionState {
  datastore: string;
  name: string;
  version: string;
  manager: string;
  imageId?: string;
  imageTags?: string[];
  active: boolean;
  default: boolean;
  packages: string[];
  adopt: boolean;
  cloud?: string;
  region?: string;
  /** Output: Trove's id of the datastore version. */
  versionId?: string;
}

/** Fields Trove's PATCH changes in place; everything else that differs replaces the version. @internal */
export const IN_PLACE_FIELDS = ["name", "manager", "imageId", "imageTags", "active", "default", "packages"] as const;
/** Fields Trove cannot change, or that name another cloud or region (the version moves there): a difference replaces the version. @internal */
export const REPLACE_FIELDS = ["datastore", "version", "cloud", "region"] as const;

/** The POST body for a new version. @internal */
export function createBody(s: DatastoreVersionState): unknown {
  const version: Record<string, unknown> = {
    name: s.name,
    datastore_name: s.datastore,
    datastore_manager: s.manager,
    active: s.active,
    default: s.default,
    version: s.version,
    packages: s.packages,
  };
  if (s.imageId) version.image = s.imageId;
  else version.image_tags = s.imageTags ?? ["trove", s.datastore];
  return { version };
}

/** The PATCH body that turns `old` into `next` (only what differs). @internal */
export function patchBody(old: Partial<DatastoreVersionState>, next: DatastoreVersionState): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (old.name !== next.name) body.name = next.name;
  if (old.manager !== next.manager) body.datastore_manager = next.manager;
  if (
    (old.imageId ?? null) !== (next.imageId ?? null) ||
    JSON.stringify(old.imageTags ?? null) !== JSON.stringify(next.imageId ? null : (next.imageTags ?? null))
  ) {
    if (next.imageId) body.image = next.imageId;
    else body.image_tags = next.imageTags ?? ["trove", next.datastore];
  }
  if (old.active !== next.active) body.active = next.active;
  if (old.default !== next.default) body.default = next.default;
  if (JSON.stringify(old.packages ?? []) !== JSON.stringify(next.packages)) body.packages = next.packages;
  return body;
}

/** Which fields differ, and whether any of them forces a replacement. @internal */
export function diffVersions(
  old: Partial<DatastoreVersionState>,
  next: DatastoreVersionState,
): { changes: string[]; replaces: string[] } {
  const differs = (k: keyof DatastoreVersionState) =>
    JSON.stringify(old[k] ?? null) !== JSON.stringify(next[k] ?? null);
  const replaces = REPLACE_FIELDS.filter(differs);
  const changes = [...replaces, ...IN_PLACE_FIELDS.filter(differs)];
  return { changes, replaces };
}

interface TroveVersion {
  id: string;
  name: string;
  version: string;
  datastore_name: string;
  datastore_manager: string;
  image: string | null;
  image_tags: string[] | null;
  packages: string[] | null;
  active: boolean;
  default: boolean;
}

/** Trove's view of a version, in our state's shape. @internal */
export function stateFromTrove(
  v: TroveVersion,
  base: Pick<DatastoreVersionState, "adopt" | "cloud" | "region">,
): DatastoreVersionState {
  return {
    datastore: v.datastore_name,
    name: v.name,
    version: v.version,
    manager: v.datastore_manager,
    ...(v.image ? { imageId: v.image } : { imageTags: v.image_tags ?? [] }),
    active: v.active,
    default: v.default,
    packages: (v.packages ?? []).filter((p) => p !== ""),
    adopt: base.adopt,
    // No undefined values: Pulumi's dynamic-provider host turns the result into a protobuf Struct, which refuses them.
    ...(base.cloud !== undefined ? { cloud: base.cloud } : {}),
    ...(base.region !== undefined ? { region: base.region } : {}),
    versionId: v.id,
  };
}

async function sessionFor(
  s: Pick<DatastoreVersionState, "cloud" | "region">,
  counter?: CallCounter,
): Promise<TroveSession> {
  return openTroveSession(loadCredentials(process.env, s.cloud, s.region), counter);
}

/** The fields of a version that Trove's per-datastore API shows. */
interface TroveVersionSummary {
  id: string;
  name: string;
  version: string;
}

/** What an error of a lookup means: no such datastore or version, a name several versions share, or a real error. */
function lookupMeaning(error: unknown): "absent" | "shared name" | "error" {
  const status = (error as Partial<OpenStackApiError>).status;
  const message = String((error as Error)?.message ?? "");
  if (status === 404 || (status === 400 && /cannot be found/.test(message))) return "absent";
  if (status === 400 && /Multiple datastore versions found/.test(message)) return "shared name";
  return "error";
}

/**
 * The version with this datastore, name and number in Trove, or `undefined`, at a cost independent of how many versions
 * Trove holds: `GET /datastores/<datastore>/versions/<name>` shows the one version of that name (to an admin, active or
 * not; 404 for an unknown datastore, 400 for an unknown name). Only when several versions share the name, or the name
 * looks like an id (Trove would read it as one), is the datastore's own list read instead.
 */
async function findVersion(
  session: TroveSession,
  s: Pick<DatastoreVersionState, "datastore" | "name" | "version">,
  counter?: CallCounter,
): Promise<TroveVersionSummary | undefined> {
  const datastorePath = `/datastores/${encodeURIComponent(s.datastore)}/versions`;
  if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s.name)) {
    try {
      const shown = (
        (await trove(session, "GET", `${datastorePath}/${encodeURIComponent(s.name)}`, undefined, counter)) as {
          version: TroveVersionSummary;
        }
      ).version;
      return shown.name === s.name && shown.version === s.version ? shown : undefined;
    } catch (error) {
      const meaning = lookupMeaning(error);
      if (meaning === "absent") return undefined;
      if (meaning === "error") throw error;
    }
  }
  try {
    const listed = (
      (await trove(session, "GET", datastorePath, undefined, counter)) as { versions: TroveVersionSummary[] }
    ).versions;
    return listed.find((v) => v.name === s.name && v.version === s.version);
  } catch (error) {
    if (lookupMeaning(error) === "absent") return undefined;
    throw error;
  }
}

/** A version refused by Trove as a duplicate. */
function isDuplicate(error: unknown): boolean {
  return (
    (error as Partial<OpenStackApiError>).status === 400 && /already exists/.test(String((error as Error).message))
  );
}

/** The error for a version that exists in Trove but is not this stack's. */
function notOursError(s: DatastoreVersionState, id: string): Error {
  return new Error(
    `datastore version ${s.datastore} ${s.name} (${s.version}) already exists in Trove (id ${id}) and was not created by this stack; set adopt: true to manage it`,
  );
}

/** Takes over an existing version (adopt): brings it in line with `s` with one PATCH if anything differs. */
async function adoptVersion(
  session: TroveSession,
  id: string,
  s: DatastoreVersionState,
  counter?: CallCounter,
): Promise<DatastoreVersionState> {
  const full = (
    (await trove(session, "GET", `/mgmt/datastore-versions/${id}`, undefined, counter)) as { version: TroveVersion }
  ).version;
  const body = patchBody(stateFromTrove(full, { adopt: s.adopt, cloud: s.cloud, region: s.region }), s);
  if (Object.keys(body).length > 0) await trove(session, "PATCH", `/mgmt/datastore-versions/${id}`, body, counter);
  return { ...s, versionId: id };
}

/** The provider's operations, callable directly (tests, benchmarks) and wrapped by the dynamic provider below. @internal */
export const datastoreVersionOperations = {
  async create(s: DatastoreVersionState, counter?: CallCounter): Promise<DatastoreVersionState> {
    const session = await sessionFor(s, counter);
    // Two resources of one stack naming the same version would otherwise both find it absent and both POST.
    return exclusively(`${session.endpoint} ${s.datastore} ${s.name} ${s.version}`, async () => {
      const existing = await findVersion(session, s, counter);
      if (existing && !s.adopt) throw notOursError(s, existing.id);
      if (existing) return adoptVersion(session, existing.id, s, counter);
      try {
        await trove(session, "POST", "/mgmt/datastore-versions", createBody(s), counter);
      } catch (error) {
        // Refused as a duplicate at the first attempt: someone created it after the lookup above; it is not ours.
        if (isDuplicate(error) && (error as OpenStackApiError).attempts === 1) {
          const theirs = await findVersion(session, s, counter).catch(() => undefined);
          if (theirs && s.adopt) return adoptVersion(session, theirs.id, s, counter);
          if (theirs) throw notOursError(s, theirs.id);
          throw error;
        }
        // Trove may have created the version although its answer was lost (a timeout, a dropped connection, a 5xx
        // after the commit), and then refused the retried POST as a duplicate. The version was absent just before,
        // so one found now is this create's own; anything else is the POST's real error.
        const created = await findVersion(session, s, counter).catch(() => undefined);
        if (!created) throw error;
        return { ...s, versionId: created.id };
      }
      // Trove answers 202 with no body: one lookup finds the new version's id.
      const created = await findVersion(session, s, counter);
      if (!created) throw new Error(`Trove accepted datastore version ${s.datastore} ${s.name} but does not list it`);
      return { ...s, versionId: created.id };
    });
  },

  async read(id: string, s: DatastoreVersionState, counter?: CallCounter): Promise<DatastoreVersionState | undefined> {
    const session = await sessionFor(s, counter);
    let body: { version: TroveVersion };
    try {
      body = (await trove(session, "GET", `/mgmt/datastore-versions/${id}`, undefined, counter)) as {
        version: TroveVersion;
      };
    } catch (error) {
      if (/HTTP (400|404): .*cannot be found/.test(String(error))) return undefined;
      throw error;
    }
    return stateFromTrove(body.version, { adopt: s.adopt, cloud: s.cloud, region: s.region });
  },

  async update(
    id: string,
    old: DatastoreVersionState,
    next: DatastoreVersionState,
    counter?: CallCounter,
  ): Promise<DatastoreVersionState> {
    const session = await sessionFor(next, counter);
    const body = patchBody(old, next);
    if (Object.keys(body).length > 0) await trove(session, "PATCH", `/mgmt/datastore-versions/${id}`, body, counter);
    return { ...next, versionId: id };
  },

  async delete(id: string, s: DatastoreVersionState, counter?: CallCounter): Promise<void> {
    const session = await sessionFor(s, counter);
    try {
      await trove(session, "DELETE", `/mgmt/datastore-versions/${id}`, undefined, counter);
    } catch (error) {
      if (/HTTP (400|404): .*cannot be found/.test(String(error))) return;
      const inUse = /in use by (\w+)/.exec(String(error));
      if (!inUse) throw error;
      const what = inUse[1] === "configuration" ? "configuration group" : inUse[1]!;
      throw new Error(
        `datastore version ${s.datastore} ${s.name}${s.name !== s.version ? ` (${s.version})` : ""} (id ${id}) is in use by ${/^[aeiou]/.test(what) ? "an" : "a"} ${what}, so Trove keeps it: ` +
          `delete or migrate what uses it first; a TroveGuestPipeline keeps such a version inactive instead (registration.whenInUse: retire)`,
        { cause: error },
      );
    }
  },
};

/** What identifies a version and where it lives (a difference replaces it), and `adopt` (read at creation only). @internal */
export type DatastoreVersionIdentity = Pick<DatastoreVersionState, (typeof REPLACE_FIELDS)[number] | "adopt">;

/**
 * The properties the resource registers and the provider stores: the fields Trove changes in place and the public
 * outputs (`active`, `versionId`) at the top level, so that the engine's diff still names the field that changed; the
 * rest in one `identity` property. Pulumi's SDK creates four promises, each capturing a (source-mapped) stack trace,
 * for every top-level property of a resource: fewer properties make declaring many versions cheaper. State written
 * before (every field at the top level) is still read: see {@link versionStateOf}.
 * @internal
 */
export type DatastoreVersionProperties = Omit<DatastoreVersionState, keyof DatastoreVersionIdentity> & {
  identity: DatastoreVersionIdentity;
};

/** The version's state in the stored shape. @internal */
export function versionProperties(s: DatastoreVersionState): DatastoreVersionProperties {
  const { datastore, version, cloud, region, adopt, ...rest } = s;
  // No undefined values: Pulumi's dynamic-provider host turns the result into a protobuf Struct, which refuses them.
  return {
    ...rest,
    identity: {
      datastore,
      version,
      adopt,
      ...(cloud !== undefined ? { cloud } : {}),
      ...(region !== undefined ? { region } : {}),
    },
  };
}

/** Whether properties are in the current shape (else the earlier flat one: every field at the top level). */
function hasIdentity(props: object): props is DatastoreVersionProperties {
  const identity = (props as Partial<DatastoreVersionProperties>).identity;
  return typeof identity === "object" && identity !== null;
}

/** The version's state from its properties, in the current shape or the earlier flat one. @internal */
export function versionStateOf(props: DatastoreVersionProperties | DatastoreVersionState): DatastoreVersionState {
  if (!hasIdentity(props)) return props as DatastoreVersionState;
  const { identity, ...rest } = props;
  return { ...rest, ...identity };
}

/**
 * What the provider's `check` refuses in its inputs, as Pulumi's check failures: the same rules as a construction,
 * for inputs from any version of this library. Values a preview does not know yet (Pulumi's unknown marker) pass.
 * @internal
 */
export function stateCheckFailures(news: Record<string, unknown>): Array<{ property: string; reason: string }> {
  const flat = versionStateOf(news as unknown as DatastoreVersionProperties) as unknown as Record<string, unknown>;
  const known = Object.fromEntries(Object.entries(flat).filter(([k, v]) => k !== "__provider" && v !== UNKNOWN_VALUE));
  const unknownKeys = new Set(Object.keys(flat).filter((k) => flat[k] === UNKNOWN_VALUE));
  return problemsOf(DATASTORE_VERSION_STATE_SCHEMA, known)
    .filter((p) => !unknownKeys.has(p.field.split(/[.[]/)[0]!))
    .map((p) => ({ property: p.field, reason: `${describeValue(p.value)} is not valid (${p.allowed})` }));
}

/**
 * The Pulumi dynamic provider: Trove's management API behind create/read/diff/update/delete. It takes properties in
 * either shape; a refresh keeps the shape it read (so it shows no change), a create or update writes the current one.
 */
export const datastoreVersionProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: DatastoreVersionProperties, news: Record<string, unknown>) {
    return { inputs: news, failures: stateCheckFailures(news) };
  },
  async create(inputs: DatastoreVersionProperties) {
    const outs = await datastoreVersionOperations.create(versionStateOf(inputs));
    return { id: outs.versionId!, outs: versionProperties(outs) };
  },
  async read(id: string, props: DatastoreVersionProperties | DatastoreVersionState) {
    const read = await datastoreVersionOperations.read(id, versionStateOf(props));
    if (!read) return { id: "", props: {} };
    return { id, props: hasIdentity(props) ? versionProperties(read) : read };
  },
  async diff(
    _id: string,
    olds: DatastoreVersionProperties | DatastoreVersionState,
    news: DatastoreVersionProperties | DatastoreVersionState,
  ) {
    const { changes, replaces } = diffVersions(versionStateOf(olds), versionStateOf(news));
    return { changes: changes.length > 0, replaces, deleteBeforeReplace: true };
  },
  async update(
    id: string,
    olds: DatastoreVersionProperties | DatastoreVersionState,
    news: DatastoreVersionProperties | DatastoreVersionState,
  ) {
    const outs = await datastoreVersionOperations.update(id, versionStateOf(olds), versionStateOf(news));
    return { outs: versionProperties(outs) };
  },
  async delete(id: string, props: DatastoreVersionProperties | DatastoreVersionState) {
    await datastoreVersionOperations.delete(id, versionStateOf(props));
  },
};

/** Glance tags as Trove's API takes them (trove/common/apischema.py, the same in 18, 23 and 26): at most 5, of at most 20 characters. @internal */
export const IMAGE_TAGS_RULE: Rule = listOf(
  text("a Glance tag of at most 20 characters", (v) => plainNameProblem(v, 20)),
  { max: 5, sizeProblem: "at most 5 tags (Trove's limit)" },
);

/** The schema of the provider's inputs and state: `check` refuses what a construction would, for state written by any version. @internal */
export const DATASTORE_VERSION_STATE_SCHEMA: Rule = shape<DatastoreVersionState>("datastore version state", {
  datastore: text("a datastore name", (v) => plainNameProblem(v)),
  name: text("a version name", (v) => plainNameProblem(v)),
  version: text("a version number", versionNumberProblem),
  manager: text("a datastore manager name", (v) => plainNameProblem(v)),
  imageId: optional(text("a Glance image id", uuidProblem)),
  imageTags: optional(IMAGE_TAGS_RULE),
  active: flag(),
  default: flag(),
  packages: listOf(text("a package name", (v) => plainNameProblem(v, 255))),
  adopt: flag(),
  cloud: optional(text("a clouds.yaml cloud name", cloudNameProblem)),
  region: optional(text("a region name", cloudNameProblem)),
  versionId: optional(text("Trove's id of the version", uuidProblem)),
});
