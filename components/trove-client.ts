// A small OpenStack client for the Trove management API: Keystone v3 authentication the standard way (OS_* variables,
// or clouds.yaml with OS_CLOUD; password or application credential), the service catalog for Trove's endpoint, and
// requests with bounded retries. Plain functions with no module state, because Pulumi serializes the dynamic
// provider that calls them (with its closure) into the state: so modules are loaded with `require` inside the
// functions, which the serializer leaves alone, and nothing here captures an imported module. Credentials are read
// from the environment at run time and never returned or logged.
/* eslint-disable @typescript-eslint/no-require-imports -- see above: imports would be captured by the serializer */

/** Keystone v3 credentials, from the environment or clouds.yaml. */
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

/** A Trove session: where to send requests and the token to send. */
export interface TroveSession {
  /** `http://host:8779/v1.0/<project id>` */
  endpoint: string;
  token: string;
}

/** Counts of calls made, for the no-op benchmark and tests. */
export interface CallCounter {
  reads: number;
  writes: number;
}

/** An error from Keystone or Trove: one line with the HTTP status and the service's own message. */
export type OpenStackApiError = Error & { status: number };

/**
 * Makes an {@link OpenStackApiError}. A plain Error with a status, not a subclass: Pulumi's function serializer
 * rewrites classes, and a serialized subclass of Error loses its message.
 */
export function openStackApiError(message: string, status: number): OpenStackApiError {
  return Object.assign(new Error(message), { status });
}

/** Reads credentials: OS_CLOUD picks a cloud from clouds.yaml (OS_CLIENT_CONFIG_FILE, ./, ~/.config/openstack, /etc/openstack); otherwise OS_* variables. */
export function loadCredentials(env: NodeJS.ProcessEnv = process.env, cloudName?: string, regionName?: string): OpenStackCredentials {
  const cloud = cloudName ?? env.OS_CLOUD;
  if (cloud) {
    const { existsSync, readFileSync } = require("node:fs") as typeof import("node:fs");
    const os = require("node:os") as typeof import("node:os");
    const path = require("node:path") as typeof import("node:path");
    const { parse } = require("yaml") as typeof import("yaml");
    const candidates = [env.OS_CLIENT_CONFIG_FILE, path.join(process.cwd(), "clouds.yaml"), path.join(os.homedir(), ".config/openstack/clouds.yaml"), "/etc/openstack/clouds.yaml"].filter((p): p is string => !!p);
    const file = candidates.find((p) => existsSync(p));
    if (!file) throw new Error(`OpenStack cloud ${JSON.stringify(cloud)} requested, but no clouds.yaml found (looked in ${candidates.join(", ")})`);
    const clouds = (parse(readFileSync(file, "utf8")) as { clouds?: Record<string, { auth?: Record<string, string>; region_name?: string; interface?: string; auth_type?: string }> }).clouds ?? {};
    const c = clouds[cloud];
    if (!c || !c.auth) throw new Error(`cloud ${JSON.stringify(cloud)} is not in ${file} (clouds there: ${Object.keys(clouds).join(", ") || "none"})`);
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
  if (!env.OS_AUTH_URL) throw new Error("no OpenStack credentials: set OS_CLOUD (with a clouds.yaml) or OS_AUTH_URL and the other OS_* variables");
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

/** The Keystone v3 token request body for these credentials. */
export function tokenRequestBody(c: OpenStackCredentials): unknown {
  if (c.applicationCredentialId) {
    return { auth: { identity: { methods: ["application_credential"], application_credential: { id: c.applicationCredentialId, secret: c.applicationCredentialSecret } } } };
  }
  return {
    auth: {
      identity: { methods: ["password"], password: { user: { name: c.username, domain: { name: c.userDomainName }, password: c.password } } },
      scope: { project: { name: c.projectName, domain: { name: c.projectDomainName } } },
    },
  };
}

/** Retry policy: connection errors, timeouts and 5xx are retried this many times, with doubling waits. */
export const RETRY = { attempts: 5, firstDelayMs: 300, timeoutMs: 30_000 };

/** Whether an error or status is worth retrying. */
export function retryable(statusOrError: number | unknown): boolean {
  if (typeof statusOrError === "number") return statusOrError >= 500;
  return true; // network errors: refused, reset, timeout
}

/** Sends one HTTP request with bounded retries; returns status and parsed body. */
export async function send(method: string, url: string, options: { token?: string; body?: unknown; counter?: CallCounter; retry?: typeof RETRY } = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const retry = options.retry ?? RETRY;
  if (options.counter) {
    if (method === "GET") options.counter.reads++;
    else options.counter.writes++;
  }
  let lastError: unknown;
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    try {
      const response = await fetch(url, {
        method,
        headers: { "Content-Type": "application/json", Accept: "application/json", ...(options.token ? { "X-Auth-Token": options.token } : {}) },
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
      if (retryable(response.status) && attempt < retry.attempts) {
        lastError = openStackApiError(`${method} ${url}: HTTP ${response.status}`, response.status);
      } else {
        return { status: response.status, body, headers: response.headers };
      }
    } catch (error) {
      lastError = error;
      if (attempt === retry.attempts) break;
    }
    await new Promise((resolve) => setTimeout(resolve, retry.firstDelayMs * 2 ** (attempt - 1)));
  }
  const cause = lastError instanceof Error ? ((lastError.cause as Error | undefined)?.message ?? lastError.message) : String(lastError);
  throw new Error(`${method} ${url} failed after ${retry.attempts} attempts: ${cause}`, { cause: lastError });
}

/** The service's own message from an OpenStack error body (`{"badRequest": {"message": ...}}`, `{"error": {...}}`). */
export function serviceMessage(body: unknown): string {
  if (body && typeof body === "object") {
    for (const value of Object.values(body as Record<string, unknown>)) {
      if (value && typeof value === "object" && "message" in value) return String((value as { message: unknown }).message);
    }
  }
  return typeof body === "string" && body ? body.slice(0, 300) : "(no message)";
}

/** Authenticates against Keystone and finds Trove's endpoint in the catalog. */
export async function openTroveSession(c: OpenStackCredentials, counter?: CallCounter): Promise<TroveSession> {
  if (!c.authUrl) throw new Error("OpenStack auth_url is empty");
  const base = c.authUrl.replace(/\/+$/, "");
  const url = `${base.endsWith("/v3") ? base : `${base}/v3`}/auth/tokens`;
  const r = await send("POST", url, { body: tokenRequestBody(c), counter: counter ? { reads: 0, writes: 0 } : undefined });
  if (r.status !== 201) throw openStackApiError(`Keystone POST /v3/auth/tokens: HTTP ${r.status}: ${serviceMessage(r.body)}`, r.status);
  const token = r.headers.get("x-subject-token");
  const catalog = (r.body as { token?: { catalog?: Array<{ type: string; endpoints: Array<{ interface: string; region?: string; region_id?: string; url: string }> }>; project?: { id: string } } }).token;
  const service = catalog?.catalog?.find((s) => s.type === "database");
  const endpoint = service?.endpoints.find((e) => e.interface === c.interface && (!c.regionName || e.region_id === c.regionName || e.region === c.regionName));
  if (!token || !endpoint) throw new Error(`no Trove ("database") ${c.interface} endpoint${c.regionName ? ` in region ${c.regionName}` : ""} in the service catalog`);
  const projectId = catalog?.project?.id ?? "";
  return { endpoint: endpoint.url.replace("%(tenant_id)s", projectId).replace("$(tenant_id)s", projectId).replace(/\/+$/, ""), token };
}

/** Calls Trove; throws one line with the status and Trove's message unless the status is expected. */
export async function trove(session: TroveSession, method: string, apiPath: string, body?: unknown, counter?: CallCounter, okStatuses: number[] = [200, 201, 202, 204]): Promise<unknown> {
  const r = await send(method, `${session.endpoint}${apiPath}`, { token: session.token, body, counter });
  if (!okStatuses.includes(r.status)) throw openStackApiError(`Trove ${method} ${apiPath}: HTTP ${r.status}: ${serviceMessage(r.body)}`, r.status);
  return r.body;
}
