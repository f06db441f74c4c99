// A small OpenStack client for the Trove management API: Keystone v3 authentication the standard way (OS_* variables,
// or clouds.yaml with OS_CLOUD; password or application credential), the service catalog for Trove's endpoint, and
// requests with bounded retries. Plain functions, because Pulumi serializes the dynamic provider that calls them (with
// its closure) into the state: modules are loaded with `require` inside the functions, which the serializer leaves
// alone, and nothing here captures an imported module or a module-level value that changes.

// What must outlive one operation lives on `globalThis`, created at run time, so the serializer never sees it as data:
// the dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`) is one process per `pulumi up` that runs every
// operation, so a Keystone token is asked for once per set of credentials and reused until shortly before it expires
// (or Trove refuses it), and requests to one Trove endpoint are bounded in number at any moment. Every request carries
// the process's OpenStack global request id, so one run's requests can be found in the logs of services that record it.
// Credentials are read from the environment at run time; neither they nor the token are returned in outputs, written
// anywhere or logged.

/* eslint-disable @typescript-eslint/no-require-imports -- see above: imports would be captured by the serializer */

/** Keystone v3 credentials, from the environment or clouds.yaml. @internal */
export interface OpenStackCredentials {
  authUrl: string;
  username?: string;
  password?: string;
  userDomainName?: string;
  projectName?: string;
  projectDomainName?: string;
  applicationCredentialId?: string;
  applicationCredentialSecret?: string;
  regionName?: string;
  interface: string;
}

/** A Trove session: where to send requests and the token to send. @internal */
export interface TroveSession {
  /** `http://host:8779/v1.0/<project id>` */
  endpoint: string;
  /** The Keystone token (kept in memory only). */
  token: string;
  /** The credentials the token came from, to ask for a new one when Trove refuses it. In memory only. */
  credentials?: OpenStackCredentials;
}

/** Counts of calls made, for the no-op benchmark and tests. @internal */
export interface CallCounter {
  reads: number;
  writes: number;
}

/**
 * An error from Keystone or Trove: one line with the HTTP status and the service's own message, and how many attempts
 * the request took (more than one means an earlier attempt may have reached the service without its answer reaching us).
 * @internal
 */
export type OpenStackApiError = Error & { status: number; attempts: number };

/**
 * Makes an {@link OpenStackApiError}. A plain Error with a status, not a subclass: Pulumi's function serializer
 * rewrites classes, and a serialized subclass of Error loses its message.
 * @internal
 */
export function openStackApiError(message: string, status: number, attempts = 1): OpenStackApiError {
  return Object.assign(new Error(message), { status, attempts });
}

/** Reads credentials: OS_CLOUD picks a cloud from clouds.yaml (OS_CLIENT_CONFIG_FILE, ./, ~/.config/openstack, /etc/openstack); otherwise OS_* variables. @internal */
export function loadCredentials(
  env: NodeJS.ProcessEnv = process.env,
  cloudName?: string,
  regionName?: string,
): OpenStackCredentials {
  const cloud = cloudName ?? env.OS_CLOUD;
  if (cloud) {
    const { existsSync, readFileSync } = require("node:fs") as typeof import("node:fs");
    const os = require("node:os") as typeof import("node:os");
    const path = require("node:path") as typeof import("node:path");
    const { parse } = require("yaml") as typeof import("yaml");
    const candidates = [
      env.OS_CLIENT_CONFIG_FILE,
      path.join(process.cwd(), "clouds.yaml"),
      path.join(os.homedir(), ".config/openstack/clouds.yaml"),
      "/etc/openstack/clouds.yaml",
    ].filter((p): p is string => !!p);
    const file = candidates.find((p) => existsSync(p));
    if (!file)
      throw new Error(
        `OpenStack cloud ${JSON.stringify(cloud)} requested, but no clouds.yaml found (looked in ${candidates.join(", ")})`,
      );
    const clouds =
      (
        parse(readFileSync(file, "utf8")) as {
          clouds?: Record<
            string,
            { auth?: Record<string, string>; region_name?: string; interface?: string; auth_type?: string }
          >;
        }
      ).clouds ?? {};
    const c = clouds[cloud];
    if (!c || !c.auth)
      throw new Error(
        `cloud ${JSON.stringify(cloud)} is not in ${file} (clouds there: ${Object.keys(clouds).join(", ") || "none"})`,
      );
    const a = c.auth;
    return {
      authUrl: a.auth_url ?? "",
      username: a.username,
      password: a.password ?? env.OS_PASSWORD,
      userDomainName: a.user_domain_name ?? "Default",
      projectName: a.project_name,
      projectDomainName: a.project_domain_name ?? "Default",
      applicationCredentialId: a.application_credential_id,
      applicationCredentialSecret: a.application_credential_secret ?? env.OS_APPLICATION_CREDENTIAL_SECRET,
      regionName: regionName ?? c.region_name,
      interface: c.interface ?? "public",
    };
  }
  if (!env.OS_AUTH_URL)
    throw new Error(
      "no OpenStack credentials: set OS_CLOUD (with a clouds.yaml) or OS_AUTH_URL and the other OS_* variables",
    );
  return {
    authUrl: env.OS_AUTH_URL,
    username: env.OS_USERNAME,
    password: env.OS_PASSWORD,
    userDomainName: env.OS_USER_DOMAIN_NAME ?? "Default",
    projectName: env.OS_PROJECT_NAME ?? env.OS_TENANT_NAME,
    projectDomainName: env.OS_PROJECT_DOMAIN_NAME ?? "Default",
    applicationCredentialId: env.OS_APPLICATION_CREDENTIAL_ID,
    applicationCredentialSecret: env.OS_APPLICATION_CREDENTIAL_SECRET,
    regionName: regionName ?? env.OS_REGION_NAME,
    interface: env.OS_INTERFACE ?? "public",
  };
}

/** The Keystone v3 token request body for these credentials. @internal */
export function tokenRequestBody(c: OpenStackCredentials): unknown {
  if (c.applicationCredentialId) {
    return {
      auth: {
        identity: {
          methods: ["application_credential"],
          application_credential: { id: c.applicationCredentialId, secret: c.applicationCredentialSecret },
        },
      },
    };
  }
  return {
    auth: {
      identity: {
        methods: ["password"],
        password: { user: { name: c.username, domain: { name: c.userDomainName }, password: c.password } },
      },
      scope: { project: { name: c.projectName, domain: { name: c.projectDomainName } } },
    },
  };
}

/**
 * Retry policy: connection errors, timeouts and 5xx are retried this many times, with doubling waits; a request refused
 * as over the rate limit is sent again after the wait the service names, for up to a minute in all.
 * @internal
 */
export const RETRY: RetryPolicy = { attempts: 5, firstDelayMs: 300, timeoutMs: 30_000, rateLimitWaitMs: 60_000 };

/** How {@link send} retries. @internal */
export interface RetryPolicy {
  /** Attempts in all, for connection errors, timeouts and 5xx. */
  attempts: number;
  /** Wait before the second attempt; it doubles for each next one. */
  firstDelayMs: number;
  /** Time limit of one attempt. */
  timeoutMs: number;
  /**
   * Time spent waiting, in all, on answers that refuse a request as over the service's rate limit (413 or 429 with a
   * Retry-After header: Trove allows 200 requests of each method per minute and project by default). Such a request was
   * not handled, so it is sent again after the wait it names, without counting as an attempt. Default: no waiting.
   */
  rateLimitWaitMs?: number;
}

/** The wait a rate-limit answer asks for (Retry-After in seconds or as a date), in ms, or `undefined` if it names none. @internal */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** Whether an error or status is worth retrying. @internal */
export function retryable(statusOrError: number | unknown): boolean {
  if (typeof statusOrError === "number") return statusOrError >= 500;
  return true; // network errors: refused, reset, timeout
}

/** Sends one HTTP request with bounded retries; returns status, parsed body, headers and the number of attempts made. @internal */
export async function send(
  method: string,
  url: string,
  options: { token?: string; body?: unknown; counter?: CallCounter; retry?: RetryPolicy } = {},
): Promise<{ status: number; body: unknown; headers: Headers; attempts: number }> {
  const retry = options.retry ?? RETRY;
  if (options.counter) {
    if (method === "GET") options.counter.reads++;
    else options.counter.writes++;
  }
  let lastError: unknown;
  let rateLimitedMs = 0;
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    try {
      const response = await fetch(url, {
        method,
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-OpenStack-Request-ID": runRequestId(),
          ...(options.token ? { "X-Auth-Token": options.token } : {}),
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(retry.timeoutMs),
      });
      const text = await response.text();
      let body: unknown = undefined;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const rateLimitWait =
        response.status === 413 || response.status === 429
          ? retryAfterMs(response.headers.get("retry-after"))
          : undefined;
      const budget = (retry.rateLimitWaitMs ?? 0) - rateLimitedMs;
      if (rateLimitWait !== undefined && budget > 0) {
        // Not handled by the service: wait as asked (at least a quarter second) and send it again, as the same attempt.
        const wait = Math.min(Math.max(rateLimitWait, 250), budget);
        rateLimitedMs += wait;
        attempt--;
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      if (retryable(response.status) && attempt < retry.attempts) {
        lastError = openStackApiError(`${method} ${url}: HTTP ${response.status}`, response.status);
      } else {
        return { status: response.status, body, headers: response.headers, attempts: attempt };
      }
    } catch (error) {
      lastError = error;
      if (attempt === retry.attempts) break;
    }
    await new Promise((resolve) => setTimeout(resolve, retry.firstDelayMs * 2 ** (attempt - 1)));
  }
  const cause =
    lastError instanceof Error
      ? ((lastError.cause as Error | undefined)?.message ?? lastError.message)
      : String(lastError);
  throw new Error(`${method} ${url} failed after ${retry.attempts} attempts: ${cause}`, { cause: lastError });
}

/** The service's own message from an OpenStack error body (`{"badRequest": {"message": ...}}`, `{"error": {...}}`). @internal */
export function serviceMessage(body: unknown): string {
  if (body && typeof body === "object") {
    for (const value of Object.values(body as Record<string, unknown>)) {
      if (value && typeof value === "object" && "message" in value)
        return String((value as { message: unknown }).message);
    }
  }
  return typeof body === "string" && body ? body.slice(0, 300) : "(no message)";
}

/** One service of Keystone's catalog. */
interface CatalogService {
  type: string;
  endpoints: Array<{ interface: string; region?: string; region_id?: string; url: string }>;
}

/** A Keystone token and what came with it. @internal */
export interface KeystoneToken {
  /** The token (kept in memory only). */
  token: string;
  /** The project the token is scoped to. */
  projectId: string;
  /** The service catalog. */
  catalog: CatalogService[];
  /** Local time (ms since the epoch) from which the token is renewed rather than reused. */
  renewAt: number;
}

/** A token is renewed this long before it expires (or at half its lifetime, if that is shorter). */
const TOKEN_RENEWAL = { beforeExpiryMs: 120_000 };

/** At most this many requests are in flight to one Trove endpoint at once; more wait their turn. @internal */
export const TROVE_REQUESTS_IN_FLIGHT = 4;

/** Name of the `globalThis` property that holds what the provider process keeps between operations. @internal */
export const CLIENT_STATE_PROPERTY = "__pulumiTroveOpenStackClient.v1";

/** What the provider process keeps between operations (in memory only; see the top of this file). */
interface ClientState {
  /** The global request id (`req-<uuid>`) sent with every request of this process. */
  requestId: string;
  /** Per credentials (see {@link credentialsKey}): the token being issued or in use. */
  tokens: Map<string, Promise<KeystoneToken>>;
  /** Per Trove endpoint: requests in flight and those waiting for a turn. */
  gates: Map<string, { active: number; waiting: Array<() => void> }>;
  /** Per key of {@link exclusively}: the end of the last operation queued. */
  locks: Map<string, Promise<void>>;
}

/** The process's {@link ClientState}, created on first use. */
function clientState(): ClientState {
  const holder = globalThis as unknown as Record<string, ClientState | undefined>;
  let state = holder[CLIENT_STATE_PROPERTY];
  if (!state) {
    const { randomUUID } = require("node:crypto") as typeof import("node:crypto");
    state = { requestId: `req-${randomUUID()}`, tokens: new Map(), gates: new Map(), locks: new Map() };
    Object.defineProperty(holder, CLIENT_STATE_PROPERTY, { value: state, enumerable: false, configurable: true });
  }
  return state;
}

/**
 * The OpenStack global request id this process sends with every request (`X-OpenStack-Request-ID: req-<uuid>`, one
 * per provider process, so one per `pulumi up`). Services that run oslo's request-id middleware (Keystone does; Trove
 * 18's API does not) log it beside their own request id, so an operator can find every request of one run there.
 * @internal
 */
export function runRequestId(): string {
  return clientState().requestId;
}

/**
 * What identifies the Keystone identity of these credentials, as a sha256 digest (so no secret is a map key): the
 * auth URL, user or application credential, secret and scope. The region and interface are left out: one token serves
 * every region of a cloud.
 */
function credentialsKey(c: OpenStackCredentials): string {
  const { createHash } = require("node:crypto") as typeof import("node:crypto");
  const identity = [
    c.authUrl.replace(/\/+$/, ""),
    c.username,
    c.userDomainName,
    c.password,
    c.projectName,
    c.projectDomainName,
    c.applicationCredentialId,
    c.applicationCredentialSecret,
  ];
  return createHash("sha256").update(JSON.stringify(identity)).digest("hex");
}

/**
 * When a token received at `receivedAt` (local ms) should be renewed: its lifetime as Keystone states it (`expires_at`
 * minus `issued_at`, so the two clocks need not agree), less {@link TOKEN_RENEWAL} or half the lifetime. A token whose
 * lifetime cannot be read is not reused.
 */
function tokenRenewAt(issuedAt: string | undefined, expiresAt: string | undefined, receivedAt: number): number {
  const lifetime = Date.parse(expiresAt ?? "") - Date.parse(issuedAt ?? "");
  if (!(lifetime > 0)) return receivedAt;
  return receivedAt + lifetime - Math.min(TOKEN_RENEWAL.beforeExpiryMs, lifetime / 2);
}

/** Asks Keystone for a token (one POST /v3/auth/tokens). */
async function issueToken(c: OpenStackCredentials, counter?: CallCounter): Promise<KeystoneToken> {
  if (!c.authUrl) throw new Error("OpenStack auth_url is empty");
  const base = c.authUrl.replace(/\/+$/, "");
  const url = `${base.endsWith("/v3") ? base : `${base}/v3`}/auth/tokens`;
  const r = await send("POST", url, {
    body: tokenRequestBody(c),
    counter: counter ? { reads: 0, writes: 0 } : undefined,
  });
  if (r.status !== 201)
    throw openStackApiError(
      `Keystone POST /v3/auth/tokens: HTTP ${r.status}: ${serviceMessage(r.body)}`,
      r.status,
      r.attempts,
    );
  const token = r.headers.get("x-subject-token");
  const body = (
    r.body as {
      token?: { catalog?: CatalogService[]; project?: { id: string }; issued_at?: string; expires_at?: string };
    }
  ).token;
  if (!token) throw new Error("Keystone POST /v3/auth/tokens: HTTP 201 without an X-Subject-Token header");
  return {
    token,
    projectId: body?.project?.id ?? "",
    catalog: body?.catalog ?? [],
    renewAt: tokenRenewAt(body?.issued_at, body?.expires_at, Date.now()),
  };
}

/**
 * A token for these credentials: the one this process already holds while it is fresh, else a new one. Operations
 * running at the same time wait for the same request, so Keystone sees one request per credentials; a refusal reaches
 * every operation that waited for it and is not kept.
 * @internal
 */
export async function keystoneToken(c: OpenStackCredentials, counter?: CallCounter): Promise<KeystoneToken> {
  const tokens = clientState().tokens;
  const key = credentialsKey(c);
  const held = tokens.get(key);
  if (held) {
    const token = await held;
    if (Date.now() < token.renewAt) return token;
    // Another operation may have started the renewal while this one waited: share it.
    if (tokens.get(key) !== held) return keystoneToken(c, counter);
  }
  const issuing = issueToken(c, counter);
  tokens.set(key, issuing);
  issuing.catch(() => {
    if (tokens.get(key) === issuing) tokens.delete(key);
  });
  return issuing;
}

/** Drops the held token for these credentials if it is this one (Trove refused it), so the next request gets a new one. */
async function forgetToken(c: OpenStackCredentials, token: string): Promise<void> {
  const tokens = clientState().tokens;
  const key = credentialsKey(c);
  const held = tokens.get(key);
  if (held && (await held.catch(() => undefined))?.token === token && tokens.get(key) === held) tokens.delete(key);
}

/** Trove's endpoint for these credentials' interface and region, from Keystone's catalog; `undefined` if absent. */
function troveEndpoint(
  t: Pick<KeystoneToken, "catalog" | "projectId">,
  c: Pick<OpenStackCredentials, "interface" | "regionName">,
): string | undefined {
  const service = t.catalog.find((s) => s.type === "database");
  const endpoint = service?.endpoints.find(
    (e) => e.interface === c.interface && (!c.regionName || e.region_id === c.regionName || e.region === c.regionName),
  );
  return endpoint?.url.replace("%(tenant_id)s", t.projectId).replace("$(tenant_id)s", t.projectId).replace(/\/+$/, "");
}

/** Authenticates against Keystone (or reuses this process's token, see {@link keystoneToken}) and finds Trove's endpoint. @internal */
export async function openTroveSession(c: OpenStackCredentials, counter?: CallCounter): Promise<TroveSession> {
  const t = await keystoneToken(c, counter);
  const endpoint = troveEndpoint(t, c);
  if (!endpoint)
    throw new Error(
      `no Trove ("database") ${c.interface} endpoint${c.regionName ? ` in region ${c.regionName}` : ""} in the service catalog`,
    );
  return { endpoint, token: t.token, credentials: c };
}

/** Runs `task` when fewer than `limit` tasks of this key are running in this process; otherwise waits its turn. */
async function withinLimit<T>(key: string, limit: number, task: () => Promise<T>): Promise<T> {
  const gates = clientState().gates;
  let gate = gates.get(key);
  if (!gate) {
    gate = { active: 0, waiting: [] };
    gates.set(key, gate);
  }
  const g = gate;
  if (g.active >= limit) await new Promise<void>((resolve) => g.waiting.push(resolve));
  else g.active++;
  try {
    return await task();
  } finally {
    // The turn passes straight to the next waiting task, if any.
    const next = g.waiting.shift();
    if (next) next();
    else g.active--;
  }
}

/** Runs `task` after every earlier task of this key in this process has finished (one at a time per key). @internal */
export async function exclusively<T>(key: string, task: () => Promise<T>): Promise<T> {
  const locks = clientState().locks;
  const run = (locks.get(key) ?? Promise.resolve()).then(() => task());
  const done = run.then(
    () => undefined,
    () => undefined,
  );
  locks.set(key, done);
  try {
    return await run;
  } finally {
    if (locks.get(key) === done) locks.delete(key);
  }
}

/**
 * Calls Trove; throws one line with the status and Trove's message unless the status is expected. Requests to one
 * endpoint are bounded ({@link TROVE_REQUESTS_IN_FLIGHT}); a token Trove refuses (401: revoked, or expired early) is
 * replaced once and the request sent again, which is safe because Trove refused it before doing anything.
 * @internal
 */
export async function trove(
  session: TroveSession,
  method: string,
  apiPath: string,
  body?: unknown,
  counter?: CallCounter,
  okStatuses: number[] = [200, 201, 202, 204],
): Promise<unknown> {
  const request = () =>
    withinLimit(session.endpoint, TROVE_REQUESTS_IN_FLIGHT, () =>
      send(method, `${session.endpoint}${apiPath}`, { token: session.token, body, counter }),
    );
  let r = await request();
  if (r.status === 401 && session.credentials) {
    await forgetToken(session.credentials, session.token);
    const fresh = await openTroveSession(session.credentials, counter);
    session.token = fresh.token;
    session.endpoint = fresh.endpoint;
    r = await request();
  }
  if (!okStatuses.includes(r.status))
    throw openStackApiError(
      `Trove ${method} ${apiPath}: HTTP ${r.status}: ${serviceMessage(r.body)}`,
      r.status,
      r.attempts,
    );
  return r.body;
}

/**
 * Every datastore version, active or not (`GET /mgmt/datastore-versions`, admin). Trove lists them, then loads each
 * one again by id (trove/extensions/mgmt/datastores/service.py, the same in 18, 23 and 26): a version deleted in
 * between fails the whole listing with HTTP 400 "Datastore version '<id>' cannot be found". Such a listing is asked
 * again, at most three times in all.
 * @internal
 */
export async function listAllDatastoreVersions<T>(session: TroveSession, counter?: CallCounter): Promise<T[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (
        ((await trove(session, "GET", "/mgmt/datastore-versions", undefined, counter)) as { versions?: T[] })
          .versions ?? []
      );
    } catch (error) {
      const e = error as Partial<OpenStackApiError>;
      if (attempt >= 3 || e.status !== 400 || !/Datastore version .* cannot be found/.test(String(e.message)))
        throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}
