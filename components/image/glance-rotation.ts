// Rotation with rollback for GlanceImage: which of the guest images this stack uploaded stay in Glance, which one
// carries the tags Trove looks images up by, and a way back to the one before.

import {
  addTag,
  deleteImage,
  GlanceSession,
  openGlanceSession,
  quotaUsage,
  removeTag,
  showImage,
} from "./glance-client";
import { listAllDatastoreVersions, loadCredentials, openTroveSession } from "../trove/trove-client";

// How it fits Pulumi's model: the upload stays an `openstack.images.Image`, but with `retainOnDelete`, so a new checksum
// replaces it in the state without deleting the old image in Glance. This dynamic resource, fed the upload's id,
// records the history (newest first) and owns the tags: it puts them on the image chosen to serve and takes them off
// the others, so Trove's lookup (trove/common/glance.py get_image_id: `tag` = all the version's tags, `status` =
// active, `sort=created_at:desc, limit=1`) finds exactly that one. Images beyond the number kept are deleted, except
// those a Trove datastore version pins by id (Trove's management API lists each version's `image`) or the stack names
// in `keepImageIds`. Retired images are untagged, not deactivated: a deactivated image cannot be downloaded by Nova,
// so a version pinning it could no longer boot instances, and Glance lets only admins deactivate. The resource's own
// delete (a `pulumi destroy`, or the GlanceImage removed) deletes every image it recorded, the serving one included,
// except pinned ones.
// Operations run in the dynamic-provider host, so this module follows trove-client.ts: plain functions, no import of
// @pulumi/pulumi in what the provider calls.

/** What the program gives the history resource. @internal */
export interface ImageHistoryInputs {
  /** The id of the image the upload resource holds now (the newest upload). */
  uploadedId: string;
  /** How many images stay in Glance, the serving one included (0 and 1 keep the serving one only). */
  keep: number;
  /** The tags the serving image carries: `trove`, the datastores, the retained datastores. */
  tags: string[];
  /** Which image serves: `newest`, `previous` (the one before the image serving when it was set), or an image id. */
  serve: string;
  /** Images never deleted while named here (besides those Trove's versions pin). */
  keepImageIds: string[];
  /** Ask Trove's management API which images its datastore versions pin by id before deleting any. */
  checkTrovePins: boolean;
  cloud?: string;
  region?: string;
}

/** The history resource's state. @internal */
export interface ImageHistoryState extends ImageHistoryInputs {
  /** The images this stack uploaded and still keeps, newest first. */
  history: string[];
  /** The image that carries the tags (Trove serves it). */
  servingId: string;
  /** Images kept beyond `keep` only because a version (or keepImageIds) pins them. */
  pinnedIds: string[];
}

/** What one create or update does. @internal */
export interface RotationPlan {
  history: string[];
  servingId: string;
  /** Kept, untagged. */
  retired: string[];
  /** Deleted from Glance. */
  deleted: string[];
  /** Kept beyond `keep` because pinned. */
  pinnedIds: string[];
}

/** The image ids `serve` may name, for messages. */
function listIds(ids: readonly string[]): string {
  return ids.length > 0 ? ids.join(", ") : "none";
}

/**
 * Which image serves and which images stay, from the previous state and the new inputs; pure. `pins` are the images a
 * Trove version pins by id. Throws a message naming `serve` when it names no kept image.
 * @internal
 */
export function planRotation(
  prev: Pick<ImageHistoryState, "history" | "servingId" | "serve"> | undefined,
  next: ImageHistoryInputs,
  pins: ReadonlySet<string> = new Set(),
): RotationPlan {
  const before = prev?.history ?? [];
  const history = before.includes(next.uploadedId) ? [...before] : [next.uploadedId, ...before];
  let servingId: string;
  if (next.serve === "newest") {
    servingId = history[0]!;
  } else if (next.serve === "previous") {
    if (prev && prev.serve === "previous" && history.includes(prev.servingId)) {
      servingId = prev.servingId; // rolled back already: stays, whatever was uploaded since
    } else {
      const current = prev?.servingId ?? history[0]!;
      const earlier = before[before.indexOf(current) + 1];
      if (before.indexOf(current) < 0 || earlier === undefined) {
        throw new Error(
          `serve "previous": no image before ${current} is kept (kept: ${listIds(before)}); keepImages must be at least 2 before the image to roll back from is uploaded`,
        );
      }
      servingId = earlier;
    }
  } else {
    if (!history.includes(next.serve))
      throw new Error(
        `serve "${next.serve}": not an image this GlanceImage uploaded and still keeps (kept: ${listIds(history)}); use newest, previous or one of those ids`,
      );
    servingId = next.serve;
  }
  const keep = Math.max(next.keep, 1);
  const pinned = (id: string) => pins.has(id) || next.keepImageIds.includes(id);
  const kept = history.filter((id, i) => i < keep || id === servingId || pinned(id));
  return {
    history: kept,
    servingId,
    retired: kept.filter((id) => id !== servingId),
    deleted: history.filter((id) => !kept.includes(id)),
    pinnedIds: kept.filter((id) => history.indexOf(id) >= keep && id !== servingId),
  };
}

/** Tags to add to and remove from one image so that it carries `want` and none of the other `managed` tags. @internal */
export function tagChanges(
  has: readonly string[],
  want: readonly string[],
  managed: readonly string[],
): { add: string[]; remove: string[] } {
  return {
    add: want.filter((t) => !has.includes(t)),
    remove: has.filter((t) => managed.includes(t) && !want.includes(t)),
  };
}

/** The images Trove's datastore versions pin by id (`GET /mgmt/datastore-versions`), or none when the cloud has no Trove. */
async function trovePins(s: Pick<ImageHistoryInputs, "cloud" | "region" | "checkTrovePins">): Promise<Set<string>> {
  if (!s.checkTrovePins) return new Set();
  let session;
  try {
    session = await openTroveSession(loadCredentials(process.env, s.cloud, s.region));
  } catch (error) {
    // No Trove in this cloud's catalog: no version can pin an image. Anything else is a real error.
    if (/no Trove \("database"\)/.test(String((error as Error).message))) return new Set();
    throw error;
  }
  const versions = await listAllDatastoreVersions<{ image?: string | null }>(session);
  return new Set(versions.map((v) => v.image).filter((i): i is string => !!i));
}

async function glanceFor(s: Pick<ImageHistoryInputs, "cloud" | "region">): Promise<GlanceSession> {
  return openGlanceSession(loadCredentials(process.env, s.cloud, s.region));
}

/** The provider's operations, callable directly in tests and wrapped by the dynamic provider. @internal */
export const imageHistoryOperations = {
  /** Records the new upload, tags the serving image, untags the others, deletes what is neither kept nor pinned. */
  async rotate(prev: ImageHistoryState | undefined, next: ImageHistoryInputs): Promise<ImageHistoryState> {
    const session = await glanceFor(next);
    // Images deleted by hand since the last run leave the history; the serving one must still be there.
    const known = prev ? { ...prev, history: [] as string[] } : undefined;
    const shown = new Map<string, Awaited<ReturnType<typeof showImage>>>();
    for (const id of prev?.history ?? []) {
      const image = await showImage(session, id);
      if (image) {
        shown.set(id, image);
        known!.history.push(id);
      }
    }
    if (!shown.has(next.uploadedId)) {
      const uploaded = await showImage(session, next.uploadedId);
      if (!uploaded) throw new Error(`the uploaded image ${next.uploadedId} is not in Glance`);
      shown.set(next.uploadedId, uploaded);
    }
    let plan = planRotation(known, next);
    if (plan.deleted.length > 0) plan = planRotation(known, next, await trovePins(next));
    const managed = [...new Set([...next.tags, ...(prev?.tags ?? [])])];
    // The serving image gets its tags before any other loses them: Trove always finds one.
    const serving = tagChanges(shown.get(plan.servingId)!.tags, next.tags, managed);
    for (const t of serving.add) await addTag(session, plan.servingId, t);
    for (const t of serving.remove) await removeTag(session, plan.servingId, t);
    for (const id of plan.retired)
      for (const t of tagChanges(shown.get(id)!.tags, [], managed).remove) await removeTag(session, id, t);
    for (const id of plan.deleted) await deleteImage(session, id);
    return { ...next, history: plan.history, servingId: plan.servingId, pinnedIds: plan.pinnedIds };
  },

  /** The state with images gone from Glance left out. */
  async read(s: ImageHistoryState): Promise<ImageHistoryState> {
    const session = await glanceFor(s);
    const history: string[] = [];
    for (const id of s.history) if (await showImage(session, id)) history.push(id);
    return { ...s, history, pinnedIds: s.pinnedIds.filter((id) => history.includes(id)) };
  },

  /** Deletes every recorded image that no version pins (the serving one too). */
  async delete(s: ImageHistoryState): Promise<void> {
    const session = await glanceFor(s);
    const pins = await trovePins(s);
    for (const id of s.history) if (!pins.has(id) && !s.keepImageIds.includes(id)) await deleteImage(session, id);
  },
};

/** Inputs whose change is an update (a replacement for the cloud and region: the history lives in one Glance). @internal */
export const HISTORY_INPUTS = ["uploadedId", "keep", "tags", "serve", "keepImageIds", "checkTrovePins"] as const;

/** What differs between the stored state and new inputs. @internal */
export function diffHistory(
  olds: Partial<ImageHistoryState>,
  news: ImageHistoryInputs,
): { changes: string[]; replaces: string[] } {
  const differs = (k: keyof ImageHistoryInputs) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null);
  const replaces = (["cloud", "region"] as const).filter(differs);
  return { changes: [...replaces, ...HISTORY_INPUTS.filter(differs)], replaces };
}

/** The dynamic provider behind {@link GlanceImage}'s history resource. @internal */
export const imageHistoryProvider = {
  async check(_olds: unknown, news: ImageHistoryInputs) {
    return { inputs: news };
  },
  async diff(_id: string, olds: ImageHistoryState, news: ImageHistoryInputs) {
    const { changes, replaces } = diffHistory(olds, news);
    // A serve that names no kept image fails the preview already, with the same message the update would give.
    if (changes.includes("serve") && typeof news.uploadedId === "string" && news.uploadedId === olds.uploadedId)
      planRotation(olds, news);
    return { changes: changes.length > 0, replaces, deleteBeforeReplace: false };
  },
  async create(inputs: ImageHistoryInputs) {
    const outs = await imageHistoryOperations.rotate(undefined, inputs);
    return { id: `glance-history-${inputs.uploadedId}`, outs };
  },
  async read(id: string, props: ImageHistoryState) {
    return { id, props: await imageHistoryOperations.read(props) };
  },
  async update(_id: string, olds: ImageHistoryState, news: ImageHistoryInputs) {
    return { outs: await imageHistoryOperations.rotate(olds, news) };
  },
  async delete(_id: string, props: ImageHistoryState) {
    await imageHistoryOperations.delete(props);
  },
};

// ---- the quota check before an upload ----

/** What the quota check is given. @internal */
export interface UploadCheckInputs {
  /** The component and image, for the message. */
  label: string;
  /** The file's sha256 (a new one runs the check again) and size in bytes. */
  sha256: string;
  sizeBytes: number;
  cloud?: string;
  region?: string;
}

const MIB = 1024 * 1024;

/**
 * What Glance's unified limits (glance/quota/keystone.py) will say to an upload of `sizeBytes`, from `GET
 * /v2/info/usage` (sizes in MiB; -1 is unlimited). Glance refuses the image's creation when `image_count_total` has no
 * room for one more (HTTP 413). Before the data, Glance 33 (2026.2) refuses the upload when the usage plus the
 * upload's size would pass `image_size_total`; Glance 25 (Zed) and 30 (2025.1) check with a delta of 0, so they
 * accept the upload that passes the limit and refuse every later one. The check takes the stricter rule: an upload
 * that would leave the project over its limit fails here, naming the quota and the size (`checkQuota: false` lets it
 * through, for the older releases). `{}` when it fits or no quota is reported.
 * @internal
 */
export function quotaVerdict(
  usage: Record<string, { usage: number; limit: number }> | undefined,
  sizeBytes: number,
): { problem?: string } {
  if (!usage) return {};
  const needMib = Math.ceil(sizeBytes / MIB);
  const image = `the image is ${sizeBytes} bytes (${needMib} MiB)`;
  const count = usage.image_count_total;
  if (count && count.limit >= 0 && count.usage + 1 > count.limit) {
    return {
      problem: `${image}, and Glance's quota image_count_total allows ${count.limit} images, of which ${count.usage} exist: Glance would refuse to create it (HTTP 413); raise the quota or delete images first (keepImages keeps that many of this stack's)`,
    };
  }
  const size = usage.image_size_total;
  if (size && size.limit >= 0 && size.usage + needMib > size.limit) {
    return {
      problem: `${image}, and Glance's quota image_size_total allows ${size.limit} MiB, of which ${size.usage} MiB are used (${Math.max(size.limit - size.usage, 0)} MiB free): Glance would refuse the upload (HTTP 413; up to 2025.1, the next upload); raise the quota (unified limits, registered limit image_size_total), delete images, or set checkQuota: false to upload anyway`,
    };
  }
  return {};
}

/** Why an upload would be refused by the project's Glance quota, or `undefined` (see {@link quotaVerdict}). @internal */
export function quotaProblem(
  usage: Record<string, { usage: number; limit: number }> | undefined,
  sizeBytes: number,
): string | undefined {
  return quotaVerdict(usage, sizeBytes).problem;
}

async function checkQuota(s: UploadCheckInputs): Promise<UploadCheckInputs & { checked: string }> {
  const session = await glanceFor(s);
  const usage = await quotaUsage(session);
  const { problem } = quotaVerdict(usage, s.sizeBytes);
  if (problem) throw new Error(`${s.label}: ${problem}`);
  return {
    ...s,
    checked:
      usage === undefined
        ? "no /v2/info/usage in this Glance"
        : Object.keys(usage).length === 0
          ? "no quota reported (unified limits off)"
          : "fits",
  };
}

/** The dynamic provider that checks the Glance quota before a new upload. @internal */
export const uploadCheckProvider = {
  async diff(_id: string, olds: UploadCheckInputs, news: UploadCheckInputs) {
    const changes = (["sha256", "sizeBytes", "cloud", "region"] as const).filter(
      (k) => (olds[k] ?? null) !== (news[k] ?? null),
    );
    return { changes: changes.length > 0, replaces: [], deleteBeforeReplace: false };
  },
  async create(inputs: UploadCheckInputs) {
    return { id: `glance-quota-${inputs.sha256.slice(0, 12)}`, outs: await checkQuota(inputs) };
  },
  async update(_id: string, _olds: UploadCheckInputs, news: UploadCheckInputs) {
    return { outs: await checkQuota(news) };
  },
  async delete() {
    // Nothing to undo: the check only reads.
  },
};
