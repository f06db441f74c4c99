// Glance's v2 REST API for the harness's openstack Image model and the tests' own reads: what the @pulumi/openstack
// provider (terraform-provider-openstack through gophercloud) sends for an image — create the record, upload the
// file, wait until it is active, JSON-patch the fields that change in place, delete — at a few milliseconds a request,
// where each `openstack` CLI call spends about 2 s of CPU starting up.

import { readFileSync } from "node:fs";
import { glance, GlanceSession, glanceMessage, openGlanceSession } from "../../components/image/glance-client";
import { loadCredentials, openStackApiError, send } from "../../components/trove/trove-client";

/** An image as Glance v2 shows it, with its extra properties gathered as the CLI's `-f json` shows them. */
export interface GlanceShown {
  id: string;
  name: string;
  checksum: string | null;
  size: number | null;
  status: string;
  visibility: string;
  protected: boolean;
  tags: string[];
  min_disk: number;
  min_ram: number;
  properties: Record<string, unknown>;
}

// The fields of Glance's image schema; every other key of an image is one of its (extra) properties.
const SCHEMA_FIELDS = new Set([
  "id",
  "name",
  "status",
  "visibility",
  "protected",
  "os_hidden",
  "checksum",
  "os_hash_algo",
  "os_hash_value",
  "owner",
  "size",
  "virtual_size",
  "min_ram",
  "min_disk",
  "created_at",
  "updated_at",
  "tags",
  "self",
  "file",
  "schema",
  "disk_format",
  "container_format",
  "direct_url",
  "locations",
  "stores",
]);

/** A session for the cloud (and region) of a clouds.yaml, as the provider configures it. */
export function glanceSession(env: NodeJS.ProcessEnv, cloud?: string, region?: string): Promise<GlanceSession> {
  return openGlanceSession(loadCredentials(env, cloud, region));
}

function shownOf(body: Record<string, unknown>): GlanceShown {
  const properties = Object.fromEntries(Object.entries(body).filter(([k]) => !SCHEMA_FIELDS.has(k)));
  return { ...(body as unknown as GlanceShown), tags: (body.tags as string[] | undefined) ?? [], properties };
}

/** The image, or undefined when Glance has none (404) or shows it deleted. */
export async function showImage(session: GlanceSession, id: string): Promise<GlanceShown | undefined> {
  const r = await glance(session, "GET", `/images/${encodeURIComponent(id)}`, undefined, [200, 404]);
  if (r.status === 404) return undefined;
  const shown = shownOf(r.body as Record<string, unknown>);
  return shown.status === "deleted" || shown.status === "killed" ? undefined : shown;
}

/** The ids of the images of that name, sorted. */
export async function imageIdsNamed(session: GlanceSession, name: string): Promise<string[]> {
  const r = await glance(session, "GET", `/images?name=${encodeURIComponent(name)}&limit=1000`);
  return ((r.body as { images: Array<{ id: string }> }).images ?? []).map((i) => i.id).sort();
}

/** Every image, as `name:id`, for the tests' before-and-after comparisons. */
export async function imagesNamedAndIds(session: GlanceSession): Promise<Array<{ id: string; name: string }>> {
  const r = await glance(session, "GET", "/images?limit=1000");
  return (r.body as { images: Array<{ id: string; name: string }> }).images;
}

/** Deletes an image; one already gone is fine. */
export async function deleteImage(session: GlanceSession, id: string): Promise<void> {
  await glance(session, "DELETE", `/images/${encodeURIComponent(id)}`, undefined, [204, 404]);
}

/** Sends a request whose body is not JSON (the file upload, a JSON patch). */
async function sendRaw(
  session: GlanceSession,
  method: string,
  apiPath: string,
  contentType: string,
  body: Buffer | string,
  ok: number[],
): Promise<void> {
  const r = await fetch(`${session.endpoint}${apiPath}`, {
    method,
    headers: { "Content-Type": contentType, "X-Auth-Token": session.token, Accept: "application/json" },
    body,
  });
  if (!ok.includes(r.status))
    throw openStackApiError(
      `Glance ${method} ${apiPath}: HTTP ${r.status}: ${glanceMessage(await r.text())}`,
      r.status,
      1,
    );
}

/**
 * Creates an image as the provider does for a declared `openstack:images/image:Image` with `localFilePath`: the
 * record (name, formats, visibility, tags, minimums, protected, properties), the upload, then waits for `active`.
 */
export async function createImage(session: GlanceSession, inputs: Record<string, unknown>): Promise<GlanceShown> {
  const file = inputs.localFilePath;
  if (typeof file !== "string")
    throw new Error("only images uploaded from a local file are applied here (localFilePath)");
  const record: Record<string, unknown> = {
    ...((inputs.properties as Record<string, string> | undefined) ?? {}),
    name: inputs.name,
    disk_format: inputs.diskFormat,
    container_format: inputs.containerFormat,
    visibility: inputs.visibility ?? "private",
    tags: (inputs.tags as string[] | undefined) ?? [],
  };
  if (inputs.minDiskGb !== undefined) record.min_disk = Number(inputs.minDiskGb);
  if (inputs.minRamMb !== undefined) record.min_ram = Number(inputs.minRamMb);
  if (inputs.protected === true) record.protected = true;
  const r = await send("POST", `${session.endpoint}/images`, { token: session.token, body: record });
  if (r.status !== 201)
    throw openStackApiError(`Glance POST /images: HTTP ${r.status}: ${glanceMessage(r.body)}`, r.status, r.attempts);
  const id = (r.body as { id: string }).id;
  await sendRaw(session, "PUT", `/images/${id}/file`, "application/octet-stream", readFileSync(file), [204]);
  for (let waited = 0; ; waited += 250) {
    const shown = await showImage(session, id);
    if (shown?.status === "active") return shown;
    if (!shown || waited > 120_000)
      throw new Error(`Glance image ${id} did not become active (${shown?.status ?? "gone"})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Updates what changes in place (name, visibility, protected, tags, properties) with one JSON patch. */
export async function updateImage(
  session: GlanceSession,
  id: string,
  old: Record<string, unknown>,
  inputs: Record<string, unknown>,
): Promise<GlanceShown> {
  const oldProperties = (old.properties as Record<string, string> | undefined) ?? {};
  const properties = (inputs.properties as Record<string, string> | undefined) ?? {};
  const patch: Array<{ op: string; path: string; value?: unknown }> = [
    { op: "replace", path: "/name", value: inputs.name },
    { op: "replace", path: "/visibility", value: inputs.visibility ?? "private" },
    { op: "replace", path: "/protected", value: inputs.protected === true },
    { op: "replace", path: "/tags", value: (inputs.tags as string[] | undefined) ?? [] },
    ...Object.entries(properties).map(([k, v]) => ({
      op: k in oldProperties ? "replace" : "add",
      path: `/${k}`,
      value: v,
    })),
    ...Object.keys(oldProperties)
      .filter((k) => !(k in properties))
      .map((k) => ({ op: "remove", path: `/${k}` })),
  ];
  await sendRaw(
    session,
    "PATCH",
    `/images/${encodeURIComponent(id)}`,
    "application/openstack-images-v2.1-json-patch",
    JSON.stringify(patch),
    [200],
  );
  return (await showImage(session, id))!;
}
