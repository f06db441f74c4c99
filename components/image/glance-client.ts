// A small Glance v2 client for the dynamic providers of glance-rotation.ts: the Keystone token and retries of
// trove-client.ts, Glance's endpoint from the same service catalog, and the few calls rotation needs (show an image,
// add or remove one tag, delete an image, read the project's quota usage). Plain functions that capture nothing, for
// the reason trove-client.ts gives: Pulumi serializes the providers that call them.

import {
  CallCounter,
  keystoneToken,
  OpenStackCredentials,
  openStackApiError,
  send,
  serviceMessage,
} from "../trove/trove-client";

/** Where to send Glance requests (`http://host:9292/v2`) and the token to send. @internal */
export interface GlanceSession {
  endpoint: string;
  token: string;
}

/** An image as Glance v2 shows it (the fields rotation reads). @internal */
export interface GlanceImageView {
  id: string;
  name: string;
  status: string;
  tags: string[];
  created_at: string;
  size?: number | null;
}

/** Glance's `/v2` base from a catalog URL, which may or may not end in a version. @internal */
export function glanceApiBase(url: string): string {
  const trimmed = url.replace(/\/+$/, "");
  return /\/v2(\.\d+)?$/.test(trimmed) ? trimmed.replace(/\/v2(\.\d+)?$/, "/v2") : `${trimmed}/v2`;
}

/** Authenticates (or reuses this process's token) and finds Glance's ("image") endpoint in the catalog. @internal */
export async function openGlanceSession(c: OpenStackCredentials, counter?: CallCounter): Promise<GlanceSession> {
  const t = await keystoneToken(c, counter);
  const service = t.catalog.find((s) => s.type === "image");
  const endpoint = service?.endpoints.find(
    (e) => e.interface === c.interface && (!c.regionName || e.region_id === c.regionName || e.region === c.regionName),
  );
  if (!endpoint)
    throw new Error(
      `no Glance ("image") ${c.interface} endpoint${c.regionName ? ` in region ${c.regionName}` : ""} in the service catalog`,
    );
  return { endpoint: glanceApiBase(endpoint.url), token: t.token };
}

/** Calls Glance; throws one line with the status and Glance's message unless the status is expected. @internal */
export async function glance(
  session: GlanceSession,
  method: string,
  apiPath: string,
  counter?: CallCounter,
  okStatuses: number[] = [200, 201, 204],
): Promise<{ status: number; body: unknown }> {
  const r = await send(method, `${session.endpoint}${apiPath}`, { token: session.token, counter });
  if (!okStatuses.includes(r.status))
    throw openStackApiError(
      `Glance ${method} ${apiPath}: HTTP ${r.status}: ${glanceMessage(r.body)}`,
      r.status,
      r.attempts,
    );
  return { status: r.status, body: r.body };
}

/** Glance's own words from an error body (webob's HTML or plain text, or an OpenStack JSON error). @internal */
export function glanceMessage(body: unknown): string {
  if (typeof body === "string") {
    const text = body
      .replace(/<[^>]*>/g, " ")
      .replace(/\s+/g, " ")
      .trim();
    return text.slice(0, 300) || "(no message)";
  }
  return serviceMessage(body);
}

/** The image, or `undefined` when Glance has no such image (404) or shows it as deleted. @internal */
export async function showImage(
  session: GlanceSession,
  id: string,
  counter?: CallCounter,
): Promise<GlanceImageView | undefined> {
  const r = await glance(session, "GET", `/images/${encodeURIComponent(id)}`, counter, [200, 404]);
  if (r.status === 404) return undefined;
  const image = r.body as GlanceImageView;
  return image.status === "deleted" || image.status === "killed" ? undefined : { ...image, tags: image.tags ?? [] };
}

/** Adds one tag (Glance's `PUT /v2/images/{id}/tags/{tag}`; adding a tag the image has is a no-op). @internal */
export async function addTag(session: GlanceSession, id: string, tag: string, counter?: CallCounter): Promise<void> {
  await glance(session, "PUT", `/images/${encodeURIComponent(id)}/tags/${encodeURIComponent(tag)}`, counter);
}

/** Removes one tag; a tag the image lacks (404) is fine. @internal */
export async function removeTag(session: GlanceSession, id: string, tag: string, counter?: CallCounter): Promise<void> {
  await glance(
    session,
    "DELETE",
    `/images/${encodeURIComponent(id)}/tags/${encodeURIComponent(tag)}`,
    counter,
    [204, 404],
  );
}

/** Deletes an image; one already gone (404) is fine. @internal */
export async function deleteImage(session: GlanceSession, id: string, counter?: CallCounter): Promise<void> {
  await glance(session, "DELETE", `/images/${encodeURIComponent(id)}`, counter, [204, 404]);
}

/** One quota of Glance's unified limits, as `GET /v2/info/usage` reports it. @internal */
export interface GlanceQuotaUsage {
  usage: number;
  limit: number;
}

/**
 * The project's Glance quota usage (`GET /v2/info/usage`, Glance 24 / Yoga and later): `{ image_size_total: { usage,
 * limit }, ... }` with sizes in MiB, or `{}` when the cloud does not use unified limits (`use_keystone_limits =
 * False`, the default: Glance then answers `{"usage": {}}`), or `undefined` when this Glance has no such call (404).
 * @internal
 */
export async function quotaUsage(
  session: GlanceSession,
  counter?: CallCounter,
): Promise<Record<string, GlanceQuotaUsage> | undefined> {
  const r = await glance(session, "GET", "/info/usage", counter, [200, 404]);
  if (r.status === 404) return undefined;
  return ((r.body as { usage?: Record<string, GlanceQuotaUsage> } | undefined)?.usage ?? {}) as Record<
    string,
    GlanceQuotaUsage
  >;
}
