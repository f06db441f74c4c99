// DatastoreVersion, DatastoreConfigurationParameters and the Trove client without a cloud: request bodies, what a
// change does (in place or replacement), the declarations under mocks (no credential in them), credentials read the
// standard way, retries proved against a real HTTP server on 127.0.0.1, and the provider as Pulumi serializes it run
// against a small Keystone and Trove of our own on 127.0.0.1 that count what they are asked: one token per run, the
// version looked up by name, bounded requests in flight, a refused token renewed.

import { randomBytes, randomUUID } from "node:crypto";
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DatastoreVersionProperties } from "../../components/trove/version-provider/provider";
import { DynamicResourceRunner, loadDynamicProvider } from "../support/dynamic-engine";
import { installMocks, MockState } from "../support/pulumi-mocks";
import { testHostKey } from "../support/ssh-keys";

let mocks: MockState;
let v: typeof import("../../components/trove/datastore-version.js");
let vp: typeof import("../../components/trove/version-provider/provider.js");
let c: typeof import("../../components/trove/trove-client.js");
let params: typeof import("../../components/trove/configuration-parameters.js");

beforeAll(async () => {
  mocks = await installMocks({
    outputs: (type) =>
      type.startsWith("command:")
        ? { stdout: '{"versionId":"v1","added":["a"],"changed":[],"removed":[],"unchanged":0}' }
        : undefined,
  });
  v = await import("../../components/trove/datastore-version.js");
  vp = await import("../../components/trove/version-provider/provider.js");
  c = await import("../../components/trove/trove-client.js");
  params = await import("../../components/trove/configuration-parameters.js");
});

const state = (extra: object = {}) => ({
  datastore: "mysql",
  name: "5.7.29",
  version: "5.7.29",
  manager: "mysql",
  imageTags: ["trove", "mysql"],
  active: true,
  default: false,
  packages: [],
  adopt: false,
  ...extra,
});

describe("DatastoreVersion", () => {
  it("sends the runbook's `datastore version create 5.7.29 mysql mysql \"\" --image-tags trove,mysql --active` as Trove's body", () => {
    expect(vp.createBody(state())).toEqual({
      version: {
        name: "5.7.29",
        datastore_name: "mysql",
        datastore_manager: "mysql",
        active: true,
        default: false,
        version: "5.7.29",
        packages: [],
        image_tags: ["trove", "mysql"],
      },
    });
    expect(vp.createBody(state({ imageId: "img-1", imageTags: undefined }))).toMatchObject({
      version: { image: "img-1" },
    });
  });

  it("changes image, tags, active, default and packages in place and replaces for a new datastore or version number", () => {
    expect(vp.diffVersions(state(), state({ active: false, packages: ["libaio1"] }))).toEqual({
      changes: ["active", "packages"],
      replaces: [],
    });
    expect(vp.patchBody(state(), state({ active: false, packages: ["libaio1"] }))).toEqual({
      active: false,
      packages: ["libaio1"],
    });
    expect(vp.patchBody(state(), state({ imageId: "img-2", imageTags: undefined }))).toEqual({ image: "img-2" });
    expect(vp.diffVersions(state(), state({ version: "5.7.30" })).replaces).toEqual(["version"]);
    expect(vp.diffVersions(state(), state({ datastore: "mariadb" })).replaces).toEqual(["datastore"]);
    expect(vp.diffVersions(state({ versionId: "x" }), state())).toEqual({ changes: [], replaces: [] });
  });

  it("replaces the version when its cloud or region changes: it moves there (delete in the old place, create in the new)", async () => {
    expect(vp.diffVersions(state({ cloud: "east-cloud" }), state({ cloud: "west-cloud" }))).toEqual({
      changes: ["cloud"],
      replaces: ["cloud"],
    });
    expect(vp.diffVersions(state({ region: "RegionOne" }), state({ region: "RegionTwo" })).replaces).toEqual([
      "region",
    ]);
    expect(vp.diffVersions(state(), state({ region: "RegionTwo" })).replaces).toEqual(["region"]);
    expect(
      await vp.datastoreVersionProvider.diff!("id-1", state({ region: "RegionOne" }), state({ region: "RegionTwo" })),
    ).toEqual({ changes: true, replaces: ["region"], deleteBeforeReplace: true });
  });

  it("reads Trove's view back in the same shape, the empty package Trove stores included", () => {
    const trove = {
      id: "id-1",
      name: "5.7.29",
      version: "5.7.29",
      datastore_name: "mysql",
      datastore_manager: "mysql",
      image: null,
      image_tags: ["trove", "mysql"],
      packages: [""],
      active: false,
      default: false,
    };
    expect(vp.stateFromTrove(trove, { adopt: false })).toEqual({ ...state({ active: false }), versionId: "id-1" });
  });

  it("declares a dynamic resource whose inputs name the cloud but hold no credential", async () => {
    process.env.OS_PASSWORD = "never-in-state";
    new v.DatastoreVersion("dv", {
      datastore: "postgresql",
      version: "12",
      cloud: "prod",
      region: "east",
      default: true,
    });
    const declared = await mocks.waitFor("dv");
    expect(declared.type).toBe("pulumi-nodejs:dynamic/pulumi-trove:DatastoreVersion");
    expect(vp.versionStateOf(declared.inputs as unknown as DatastoreVersionProperties)).toMatchObject({
      datastore: "postgresql",
      name: "12",
      version: "12",
      manager: "postgresql",
      imageTags: ["trove", "postgresql"],
      active: true,
      default: true,
      cloud: "prod",
      region: "east",
      adopt: false,
    });
    expect(JSON.stringify(declared.inputs)).not.toContain("never-in-state");
    delete process.env.OS_PASSWORD;
  });

  it("declares what Trove changes in place and the outputs as properties of their own, the rest as one, and reads either shape the same", async () => {
    new v.DatastoreVersion("dv-shape", { datastore: "mysql", version: "8.0", packages: ["libaio1"] });
    const declared = await mocks.waitFor("dv-shape");
    expect(declared.inputs).toEqual({
      name: "8.0",
      manager: "mysql",
      imageTags: ["trove", "mysql"],
      active: true,
      default: false,
      packages: ["libaio1"],
      identity: { datastore: "mysql", version: "8.0", adopt: false },
      __provider: declared.inputs.__provider,
    });
    const flat = { ...state({ cloud: "c" }), versionId: "id-1" };
    const props = vp.versionProperties(flat);
    expect(props).toEqual({
      name: "5.7.29",
      manager: "mysql",
      imageTags: ["trove", "mysql"],
      active: true,
      default: false,
      packages: [],
      versionId: "id-1",
      identity: { datastore: "mysql", version: "5.7.29", adopt: false, cloud: "c" },
    });
    expect(vp.versionStateOf(props)).toEqual(flat);
    expect(vp.versionStateOf(flat)).toBe(flat);
    expect(JSON.stringify(vp.versionProperties(state()))).not.toMatch(/versionId|cloud|region/);
  });

  it("sees no change between state written in the earlier flat shape and the same version declared now; a real change is the same change as before", async () => {
    const flatState = { ...state(), versionId: "id-1", __provider: "text" };
    const now = (extra: object = {}) => ({ ...vp.versionProperties(state(extra)), __provider: "text" });
    expect(await vp.datastoreVersionProvider.diff!("id-1", flatState, now())).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: true,
    });
    expect(await vp.datastoreVersionProvider.diff!("id-1", flatState, now({ active: false }))).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: true,
    });
    expect(await vp.datastoreVersionProvider.diff!("id-1", flatState, now({ version: "5.7.30" }))).toEqual({
      changes: true,
      replaces: ["version"],
      deleteBeforeReplace: true,
    });
    expect(await vp.datastoreVersionProvider.diff!("id-1", flatState, now({ region: "R2" }))).toEqual({
      changes: true,
      replaces: ["region"],
      deleteBeforeReplace: true,
    });
    expect(await vp.datastoreVersionProvider.diff!("id-1", { ...now(), versionId: "id-1" }, now())).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: true,
    });
  });

  it.each([
    [
      "an unknown datastore",
      { datastore: "redis", version: "7" },
      /DatastoreVersion "bad": datastore "redis" is not valid \(known: mariadb, mysql, postgresql\)/,
    ],
    ["a malformed version", { datastore: "mysql", version: "5.7;rm" }, /version "5.7;rm" is not valid/],
    [
      "both an image id and tags",
      { datastore: "mysql", version: "5.7.29", imageId: "8a4c2e5e-6b1f-4c1e-9a57-0c3b5c1d2e3f", imageTags: ["trove"] },
      /imageTags .* is not valid \(give imageId or imageTags, not both\)/,
    ],
    [
      "a tag with a comma",
      { datastore: "mysql", version: "5.7.29", imageTags: ["trove,mysql"] },
      /imageTags\[0\] "trove,mysql" is not valid/,
    ],
    [
      "six tags",
      { datastore: "mysql", version: "5.7.29", imageTags: ["a", "b", "c", "d", "e", "f"] },
      /imageTags .* is not valid \(at most 5 tags \(Trove's limit\)\)/,
    ],
    [
      "a tag of 21 characters",
      { datastore: "mysql", version: "5.7.29", imageTags: ["trove", "x".repeat(21)] },
      /imageTags\[1\] "x{21}" is not valid \(use 1 to 20 letters/,
    ],
  ])("rejects %s at construction", (_label, args, message) => {
    expect(() => new v.DatastoreVersion("bad", args)).toThrow(message);
  });
});

describe("credentials, the standard way", () => {
  it("reads a cloud from clouds.yaml (OS_CLIENT_CONFIG_FILE), password or application credential", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "clouds-"));
    const file = path.join(dir, "clouds.yaml");
    writeFileSync(
      file,
      "clouds:\n  pw:\n    auth: {auth_url: 'http://k:5000/v3', username: admin, password: secret, project_name: admin}\n    region_name: East\n  app:\n    auth_type: v3applicationcredential\n    auth: {auth_url: 'http://k:5000', application_credential_id: id1, application_credential_secret: s1}\n",
    );
    const pw = c.loadCredentials({ OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: "pw" });
    expect(pw).toMatchObject({
      authUrl: "http://k:5000/v3",
      username: "admin",
      password: "secret",
      projectName: "admin",
      userDomainName: "Default",
      regionName: "East",
      interface: "public",
    });
    expect(c.tokenRequestBody(pw)).toEqual({
      auth: {
        identity: {
          methods: ["password"],
          password: { user: { name: "admin", domain: { name: "Default" }, password: "secret" } },
        },
        scope: { project: { name: "admin", domain: { name: "Default" } } },
      },
    });
    const app = c.loadCredentials({ OS_CLIENT_CONFIG_FILE: file }, "app");
    expect(c.tokenRequestBody(app)).toEqual({
      auth: { identity: { methods: ["application_credential"], application_credential: { id: "id1", secret: "s1" } } },
    });
    expect(() => c.loadCredentials({ OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: "nope" })).toThrow(
      /cloud "nope" is not in .*clouds there: pw, app/,
    );
  });

  it("reads OS_* variables, and says what to set when there are none", () => {
    expect(
      c.loadCredentials({
        OS_AUTH_URL: "http://k:5000/v3",
        OS_USERNAME: "u",
        OS_PASSWORD: "p",
        OS_PROJECT_NAME: "pr",
        OS_REGION_NAME: "R",
      }),
    ).toMatchObject({ username: "u", password: "p", projectName: "pr", regionName: "R" });
    expect(() => c.loadCredentials({})).toThrow(/set OS_CLOUD \(with a clouds.yaml\) or OS_AUTH_URL/);
  });

  it("takes the service's own message out of an OpenStack error body", () => {
    expect(
      c.serviceMessage({ badRequest: { code: 400, message: "Failed to retrieve image with tags: ['nope']." } }),
    ).toBe("Failed to retrieve image with tags: ['nope'].");
    expect(
      c.serviceMessage({
        error: { code: 401, message: "The request you have made requires authentication.", title: "Unauthorized" },
      }),
    ).toBe("The request you have made requires authentication.");
  });
});

describe("retries, against a real HTTP server on 127.0.0.1", () => {
  let server: Server;
  let url: string;
  let hits = 0;
  let failFirst = 0;
  /** How many listings of every version still answer as Trove does when a version is deleted while it lists them. */
  let listingsRacing = 0;
  const fast = { attempts: 4, firstDelayMs: 10, timeoutMs: 300 };

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url === "/slow") return void setTimeout(() => res.end("{}"), 1000);
      if (req.url === "/v1/mgmt/datastore-versions") {
        if (listingsRacing > 0) {
          listingsRacing--;
          // Trove's mgmt listing loads each version again by id; one deleted in between fails the whole listing.
          return void res
            .writeHead(400, { "Content-Type": "application/json" })
            .end('{"badRequest": {"code": 400, "message": "Datastore version \'3c9d56ff\' cannot be found."}}');
        }
        return void res.writeHead(200, { "Content-Type": "application/json" }).end('{"versions": [{"id": "v1"}]}');
      }
      if (req.url === "/quota")
        return void res
          .writeHead(413)
          .end('{"overLimit": {"code": 413, "message": "Quota exceeded for resources: [\'instances\']."}}');
      if (req.url === "/limited" && hits === 1) {
        // Trove's rate limiter (trove/common/limits.py): 413, Retry-After in seconds, and the request not handled.
        res
          .writeHead(413, { "Retry-After": "1" })
          .end('{"overLimit": {"code": 413, "message": "This request was rate-limited.", "retryAfter": "1"}}');
        return;
      }
      if (hits <= failFirst) {
        res.writeHead(503).end('{"overLimit": {"message": "try later"}}');
        return;
      }
      res
        .writeHead(req.url === "/bad" ? 400 : 200, { "Content-Type": "application/json" })
        .end(req.url === "/bad" ? '{"badRequest": {"message": "no"}}' : '{"ok": true}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("retries 5xx until the service answers", async () => {
    hits = 0;
    failFirst = 2;
    const r = await c.send("GET", `${url}/`, { retry: fast });
    expect(r.status).toBe(200);
    expect(hits).toBe(3);
  });

  it("lists every version again when Trove's listing met a version deleted meanwhile (HTTP 400 cannot be found), three times at most", async () => {
    const session = { endpoint: `${url}/v1`, token: "t" };
    listingsRacing = 2;
    expect(await c.listAllDatastoreVersions(session)).toEqual([{ id: "v1" }]);
    expect(listingsRacing).toBe(0);
    listingsRacing = 3;
    await expect(c.listAllDatastoreVersions(session)).rejects.toThrow(
      "Trove GET /mgmt/datastore-versions: HTTP 400: Datastore version '3c9d56ff' cannot be found.",
    );
    listingsRacing = 0;
  });

  it("does not retry a 4xx, and gives up on 5xx after the bounded number of attempts", async () => {
    hits = 0;
    failFirst = 0;
    expect((await c.send("GET", `${url}/bad`, { retry: fast })).status).toBe(400);
    expect(hits).toBe(1);
    hits = 0;
    failFirst = 100;
    expect((await c.send("GET", `${url}/`, { retry: fast })).status).toBe(503);
    expect(hits).toBe(fast.attempts);
  });

  it("sends a request refused as over the rate limit again after the wait the service names, as the same attempt", async () => {
    hits = 0;
    failFirst = 0;
    const r = await c.send("POST", `${url}/limited`, { retry: { ...fast, rateLimitWaitMs: 5_000 } });
    expect([r.status, hits, r.attempts]).toEqual([200, 2, 1]);
    // Without a Retry-After (a quota, which Trove also answers with 413) the answer is final.
    hits = 0;
    expect((await c.send("POST", `${url}/quota`, { retry: { ...fast, rateLimitWaitMs: 5_000 } })).status).toBe(413);
    expect(hits).toBe(1);
    expect([
      c.retryAfterMs("2"),
      c.retryAfterMs("Wed, 25 Nov 2026 13:00:03 GMT", Date.parse("2026-11-25T13:00:00Z")),
      c.retryAfterMs(null),
      c.retryAfterMs("soon"),
    ]).toEqual([2000, 3000, undefined, undefined]);
  });

  it("retries timeouts and refused connections, then fails with the cause", async () => {
    await expect(c.send("GET", `${url}/slow`, { retry: { ...fast, attempts: 2 } })).rejects.toThrow(
      /failed after 2 attempts: .*(timeout|aborted)/i,
    );
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(c.send("GET", `http://127.0.0.1:${port}/`, { retry: { ...fast, attempts: 2 } })).rejects.toThrow(
      /failed after 2 attempts: .*ECONNREFUSED/,
    );
  });
});

/** A version as the fake Trove keeps it (the management API's fields). */
interface FakeVersion {
  id: string;
  datastore_name: string;
  name: string;
  version: string;
  datastore_manager: string;
  image: string | null;
  image_tags: string[];
  packages: string[];
  active: boolean;
  default: boolean;
}

/**
 * Keystone and Trove as far as DatastoreVersion uses them, answering as the real ones do (read from Trove 18's code and
 * checked against the lab): tokens with a catalog of two regions, 401 for a token Keystone no longer knows, 202 with
 * no body for a create, 400 for an unknown or duplicate version, 404 for an unknown datastore, 400 when several
 * versions share the name asked for. It counts what it is asked and how many requests it serves at once.
 */
async function startFakeOpenStack() {
  const fake = {
    url: "",
    tokensIssued: 0,
    valid: new Set<string>(),
    tokenLifetimeMs: 3_600_000,
    /** Trove's requests: method, path after the project, and whether the token was refused. */
    requests: [] as Array<{ method: string; path: string; refused: boolean }>,
    /** The X-OpenStack-Request-ID of every request, Keystone's included. */
    requestIds: new Set<string>(),
    versions: { R1: [] as FakeVersion[], R2: [] as FakeVersion[] } as Record<string, FakeVersion[]>,
    inFlight: 0,
    maxInFlight: 0,
    delayMs: 1,
    /** Runs just before a create is handled (to play another client creating the same version first). */
    beforeCreate: undefined as undefined | ((region: string) => void),
    server: undefined as unknown as Server,
    addVersion(
      region: string,
      v: Partial<FakeVersion> & Pick<FakeVersion, "datastore_name" | "name" | "version">,
    ): FakeVersion {
      const full: FakeVersion = {
        id: randomUUID(),
        datastore_manager: "mysql",
        image: null,
        image_tags: ["trove", "mysql"],
        packages: [],
        active: true,
        default: false,
        ...v,
      };
      fake.versions[region]!.push(full);
      return full;
    },
    trovePaths: () => fake.requests.map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/, "<id>")}`),
  };
  const json = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    res
      .writeHead(status, { "Content-Type": "application/json", ...headers })
      .end(body === undefined ? "" : JSON.stringify(body));
  };
  const badRequest = (res: ServerResponse, message: string) => json(res, 400, { badRequest: { code: 400, message } });
  const handle = async (req: IncomingMessage, res: ServerResponse, text: string) => {
    const url = req.url ?? "";
    fake.requestIds.add(String(req.headers["x-openstack-request-id"]));
    if (req.method === "POST" && url === "/v3/auth/tokens") {
      fake.tokensIssued++;
      const token = `gAAAA${randomBytes(24).toString("hex")}`;
      fake.valid.add(token);
      const issued = new Date();
      const catalog = [
        {
          type: "database",
          endpoints: ["R1", "R2"].map((r) => ({
            interface: "public",
            region_id: r,
            url: `${fake.url}/${r}/v1.0/%(tenant_id)s`,
          })),
        },
      ];
      return json(
        res,
        201,
        {
          token: {
            issued_at: issued.toISOString(),
            expires_at: new Date(issued.getTime() + fake.tokenLifetimeMs).toISOString(),
            project: { id: "proj" },
            catalog,
          },
        },
        { "X-Subject-Token": token },
      );
    }
    const m = /^\/(R1|R2)\/v1\.0\/proj(\/.*)$/.exec(url);
    if (!m) return json(res, 404, { itemNotFound: { code: 404, message: "no such path" } });
    const [, region, apiPath] = m as unknown as [string, string, string];
    const refused = !fake.valid.has(String(req.headers["x-auth-token"]));
    fake.requests.push({ method: req.method!, path: apiPath, refused });
    if (refused)
      return json(res, 401, {
        error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." },
      });
    const versions = fake.versions[region]!;
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    let p: RegExpExecArray | null;
    if ((p = /^\/datastores\/([^/]+)\/versions\/([^/]+)$/.exec(apiPath)) && req.method === "GET") {
      const [ds, name] = [decodeURIComponent(p[1]!), decodeURIComponent(p[2]!)];
      if (!versions.some((x) => x.datastore_name === ds))
        return json(res, 404, { itemNotFound: { code: 404, message: `Datastore '${ds}' cannot be found.` } });
      const named = versions.filter((x) => x.datastore_name === ds && x.name === name);
      if (named.length > 1)
        return badRequest(
          res,
          `Multiple datastore versions found for '${name}', use an UUID or specify both the name and version number to be more specific.`,
        );
      if (named.length === 0) return badRequest(res, `Datastore version '${name}' cannot be found.`);
      return json(res, 200, {
        version: { id: named[0]!.id, name: named[0]!.name, version: named[0]!.version, active: named[0]!.active },
      });
    }
    if ((p = /^\/datastores\/([^/]+)\/versions$/.exec(apiPath)) && req.method === "GET") {
      const ds = decodeURIComponent(p[1]!);
      if (!versions.some((x) => x.datastore_name === ds))
        return json(res, 404, { itemNotFound: { code: 404, message: `Datastore '${ds}' cannot be found.` } });
      return json(res, 200, {
        versions: versions
          .filter((x) => x.datastore_name === ds)
          .map((x) => ({ id: x.id, name: x.name, version: x.version })),
      });
    }
    if (apiPath === "/mgmt/datastore-versions" && req.method === "GET") return json(res, 200, { versions });
    if (apiPath === "/mgmt/datastore-versions" && req.method === "POST") {
      fake.beforeCreate?.(region);
      const b = body.version as Record<string, unknown>;
      if (versions.some((x) => x.datastore_name === b.datastore_name && x.name === b.name && x.version === b.version))
        return badRequest(res, `The datastore version '${String(b.name)}(${String(b.version)})' already exists.`);
      fake.addVersion(region, {
        datastore_name: String(b.datastore_name),
        name: String(b.name),
        version: String(b.version),
        datastore_manager: String(b.datastore_manager),
        image_tags: (b.image_tags as string[]) ?? [],
        packages: (b.packages as string[]) ?? [],
        active: Boolean(b.active),
        default: Boolean(b.default),
      });
      return json(res, 202);
    }
    if ((p = /^\/mgmt\/datastore-versions\/([^/]+)$/.exec(apiPath))) {
      const found = versions.find((x) => x.id === p![1]);
      if (!found) return badRequest(res, `Datastore version '${p[1]}' cannot be found.`);
      if (req.method === "GET") return json(res, 200, { version: found });
      if (req.method === "PATCH") {
        Object.assign(found, {
          ...(body.active !== undefined ? { active: body.active } : {}),
          ...(body.packages !== undefined ? { packages: body.packages } : {}),
          ...(body.default !== undefined ? { default: body.default } : {}),
        });
        return json(res, 202);
      }
      if (req.method === "DELETE") {
        versions.splice(versions.indexOf(found), 1);
        return json(res, 202);
      }
    }
    return json(res, 404, { itemNotFound: { code: 404, message: `no route ${req.method} ${apiPath}` } });
  };
  fake.server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString()));
    req.on("end", () => {
      fake.inFlight++;
      fake.maxInFlight = Math.max(fake.maxInFlight, fake.inFlight);
      setTimeout(() => {
        fake.inFlight--;
        void handle(req, res, text);
      }, fake.delayMs);
    });
  });
  await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
  fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
  return fake;
}

describe("DatastoreVersion as Pulumi runs it, against a Keystone and Trove of our own", () => {
  type Fake = Awaited<ReturnType<typeof startFakeOpenStack>>;
  let fake: Fake;
  let provider: ReturnType<typeof loadDynamicProvider>;
  let serialized: string;
  const savedConfig = process.env.OS_CLIENT_CONFIG_FILE;

  beforeAll(async () => {
    // The provider text Pulumi stores, loaded as the dynamic-provider host loads it (once per text and process).
    new v.DatastoreVersion("serialized", { datastore: "mysql", version: "1.0" });
    serialized = String((await mocks.waitFor("serialized")).inputs.__provider);
    provider = loadDynamicProvider(serialized);
  });

  // Each test gets a Keystone of its own (a new auth URL, so no token held from another test applies).
  const startFake = async (): Promise<Fake> => {
    fake = await startFakeOpenStack();
    const dir = mkdtempSync(path.join(tmpdir(), "fake-os-"));
    const auth = `{auth_url: '${fake.url}/v3', project_name: admin, user_domain_name: Default, project_domain_name: Default`;
    writeFileSync(
      path.join(dir, "clouds.yaml"),
      `clouds:\n  fake:\n    auth: ${auth}, username: admin, password: pw-admin}\n    region_name: R1\n  fake-other:\n    auth: ${auth}, username: other, password: pw-other}\n    region_name: R1\n`,
    );
    process.env.OS_CLIENT_CONFIG_FILE = path.join(dir, "clouds.yaml");
    return fake;
  };
  afterEach(async () => {
    process.env.OS_CLIENT_CONFIG_FILE = savedConfig;
    await new Promise<void>((resolve) => fake.server.close(() => resolve()));
  });

  /** Inputs as the engine hands them to the provider (the JSON of what was declared). */
  const inputs = (extra: object = {}) =>
    JSON.parse(JSON.stringify({ ...state({ cloud: "fake" }), __provider: serialized, ...extra })) as Record<
      string,
      unknown
    >;

  /** The same inputs in the shape DatastoreVersion declares them now. */
  const declaredInputs = (extra: object = {}) =>
    JSON.parse(
      JSON.stringify({ ...vp.versionProperties({ ...state({ cloud: "fake" }), ...extra }), __provider: serialized }),
    ) as Record<string, unknown>;

  it("runs a version declared in the current shape: create, no-op, update in place, refresh without change, delete; the outputs versionId and active top-level", async () => {
    await startFake();
    const runner = new DynamicResourceRunner(provider);
    expect(await runner.up(declaredInputs())).toBe("create");
    const id = runner.state!.id;
    expect(runner.state!.outs).toEqual({ ...declaredInputs(), versionId: id });
    expect(await runner.up(declaredInputs())).toBe("same");
    expect(await runner.up(declaredInputs({ active: false, packages: ["libaio1"] }))).toBe("update");
    expect(runner.state!.outs).toMatchObject({
      active: false,
      versionId: id,
      packages: ["libaio1"],
      identity: { datastore: "mysql", version: "5.7.29" },
    });
    const before = runner.state!.outs;
    await runner.refresh();
    expect(runner.state!.outs).toEqual(before);
    await runner.destroy();
    expect(fake.versions.R1).toEqual([]);
  });

  it("takes over state written in the earlier flat shape: no change, a refresh that keeps its shape, an in-place update, a replace, a delete", async () => {
    await startFake();
    const runner = new DynamicResourceRunner(provider);
    await runner.up(declaredInputs());
    const id = runner.state!.id;
    // What a stack holds from before: the provider stored its flat inputs and the version's id.
    const flat = { ...inputs(), versionId: id };
    runner.state = { id, outs: flat };
    fake.requests.length = 0;
    expect(await runner.up(declaredInputs())).toBe("same");
    expect(fake.trovePaths()).toEqual([]);
    await runner.refresh();
    expect(runner.state!.outs).toEqual(flat);
    expect(fake.trovePaths()).toEqual(["GET /mgmt/datastore-versions/<id>"]);
    expect(await runner.up(declaredInputs({ active: false, packages: ["libaio1"] }))).toBe("update");
    expect(fake.trovePaths().slice(1)).toEqual(["PATCH /mgmt/datastore-versions/<id>"]);
    expect(fake.versions.R1).toMatchObject([{ id, active: false, packages: ["libaio1"] }]);
    expect(runner.state!.outs).toEqual({ ...declaredInputs({ active: false, packages: ["libaio1"] }), versionId: id });
    // A flat state whose version number differs is replaced, as before.
    runner.state = { id, outs: flat };
    expect(await runner.up(declaredInputs({ version: "5.7.30", name: "5.7.30" }))).toBe("replace");
    expect(fake.versions.R1!.map((x) => x.version)).toEqual(["5.7.30"]);
    // And a flat state is deleted by its id.
    const other = new DynamicResourceRunner(provider);
    await other.up(declaredInputs({ name: "5.7.31", version: "5.7.31" }));
    other.state = {
      id: other.state!.id,
      outs: { ...inputs({ name: "5.7.31", version: "5.7.31" }), versionId: other.state!.id },
    };
    await other.destroy();
    expect(fake.versions.R1!.map((x) => x.version)).toEqual(["5.7.30"]);
  });

  it("asks Keystone for one token in a whole run: creates, updates, reads and deletes of many versions reuse it, even through a second load of the provider text", async () => {
    await startFake();
    const other = loadDynamicProvider(serialized);
    const runners = ["8.0.1", "8.0.2", "8.0.3", "8.4.0", "8.4.1"].map((version, i) => ({
      runner: new DynamicResourceRunner(i < 3 ? provider : other),
      version,
    }));
    for (const { runner, version } of runners)
      expect(await runner.up(inputs({ name: version, version }))).toBe("create");
    for (const { runner, version } of runners)
      expect(await runner.up(inputs({ name: version, version, active: false }))).toBe("update");
    for (const { runner } of runners) await runner.refresh();
    for (const { runner } of runners) await runner.destroy();
    expect(fake.tokensIssued).toBe(1);
    expect(fake.requests.filter((r) => r.refused)).toEqual([]);
    expect(fake.versions.R1).toEqual([]);
    // One OpenStack global request id for the whole run, so the services' logs can be searched for it.
    expect([...fake.requestIds]).toEqual([c.runRequestId()]);
    expect(c.runRequestId()).toMatch(/^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("creates a version with a lookup by name, the POST and one lookup after it, however many versions Trove holds; never lists them all", async () => {
    await startFake();
    const created = new DynamicResourceRunner(provider);
    await created.up(inputs({ name: "5.7.1", version: "5.7.1" }));
    const few = fake.trovePaths();
    for (let i = 0; i < 200; i++) fake.addVersion("R1", { datastore_name: "mysql", name: `9.${i}`, version: `9.${i}` });
    fake.requests.length = 0;
    await new DynamicResourceRunner(provider).up(inputs({ name: "5.7.2", version: "5.7.2" }));
    expect(few).toEqual([
      "GET /datastores/mysql/versions/5.7.1",
      "POST /mgmt/datastore-versions",
      "GET /datastores/mysql/versions/5.7.1",
    ]);
    expect(fake.trovePaths()).toEqual([
      "GET /datastores/mysql/versions/5.7.2",
      "POST /mgmt/datastore-versions",
      "GET /datastores/mysql/versions/5.7.2",
    ]);
    expect(created.state!.id).toBe(fake.versions.R1!.find((x) => x.name === "5.7.1")!.id);
  });

  it("finds its version through the datastore's list when another version has the same name", async () => {
    await startFake();
    const theirs = fake.addVersion("R1", { datastore_name: "mysql", name: "8.0", version: "8.0.36" });
    const runner = new DynamicResourceRunner(provider);
    expect(await runner.up(inputs({ name: "8.0", version: "8.0" }))).toBe("create");
    const ours = fake.versions.R1!.find((x) => x.version === "8.0")!;
    expect(runner.state!.id).toBe(ours.id);
    expect(ours.id).not.toBe(theirs.id);
    expect(fake.trovePaths().at(-1)).toBe("GET /datastores/mysql/versions");
  });

  it("renews the token once when Trove refuses it (revoked), and the operation goes through", async () => {
    await startFake();
    const runner = new DynamicResourceRunner(provider);
    await runner.up(inputs());
    fake.valid.clear();
    expect(await runner.up(inputs({ active: false }))).toBe("update");
    expect(fake.tokensIssued).toBe(2);
    expect(fake.requests.filter((r) => r.method === "PATCH").map((r) => r.refused)).toEqual([true, false]);
    expect(fake.versions.R1![0]!.active).toBe(false);
  });

  it("renews the token shortly before it expires, without waiting for a refusal", async () => {
    await startFake();
    // A 400 ms token is renewed at half its life.
    fake.tokenLifetimeMs = 400;
    const runner = new DynamicResourceRunner(provider);
    await runner.up(inputs());
    await runner.up(inputs({ active: false }));
    expect(fake.tokensIssued).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 250));
    await runner.up(inputs({ active: true }));
    expect(fake.tokensIssued).toBe(2);
    expect(fake.requests.filter((r) => r.refused)).toEqual([]);
  });

  it("keeps one token per identity: another region of the same cloud shares it, another user gets its own", async () => {
    await startFake();
    await new DynamicResourceRunner(provider).up(inputs());
    await new DynamicResourceRunner(provider).up(inputs({ region: "R2" }));
    expect(fake.tokensIssued).toBe(1);
    expect([fake.versions.R1!.length, fake.versions.R2!.length]).toEqual([1, 1]);
    await new DynamicResourceRunner(provider).up(inputs({ cloud: "fake-other", name: "5.7.30", version: "5.7.30" }));
    expect(fake.tokensIssued).toBe(2);
  });

  it("keeps the token out of everything Pulumi stores: the state, and the provider text serialized after the token was fetched", async () => {
    await startFake();
    const runner = new DynamicResourceRunner(provider);
    await runner.up(inputs());
    const [token] = [...fake.valid];
    expect(token).toMatch(/^gAAAA/);
    expect(JSON.stringify(runner.state)).not.toContain(token);
    const fresh = await pulumi.runtime.serializeFunction(() => vp.datastoreVersionProvider);
    expect(fresh.text).toContain("datastore-versions");
    expect(fresh.text).not.toContain(token);
    expect(fresh.text).not.toContain("pw-admin");
  });

  it("makes no request at all, not even for a token, in a no-op run of a new provider process", async () => {
    await startFake();
    const runner = new DynamicResourceRunner(provider);
    await runner.up(inputs());
    // A new `pulumi up` is a new provider process: nothing held from the last one.
    delete (globalThis as Record<string, unknown>)[c.CLIENT_STATE_PROPERTY];
    const [tokens, requests] = [fake.tokensIssued, fake.requests.length];
    expect(await runner.up(inputs())).toBe("same");
    expect([fake.tokensIssued, fake.requests.length]).toEqual([tokens, requests]);
  });

  it("creates many versions at once as the engine does: each once, one token, at most 4 requests in flight to Trove", async () => {
    await startFake();
    fake.delayMs = 15;
    const versions = Array.from({ length: 24 }, (_, i) => `10.${i}`);
    const steps = await Promise.all(
      versions.map((version) => new DynamicResourceRunner(provider).up(inputs({ name: version, version }))),
    );
    expect(steps).toEqual(versions.map(() => "create"));
    expect(fake.versions.R1!.map((x) => x.version).sort()).toEqual([...versions].sort());
    expect(fake.tokensIssued).toBe(1);
    expect(fake.maxInFlight).toBe(c.TROVE_REQUESTS_IN_FLIGHT);
  });

  it("creates a version declared twice in one stack once, and refuses the second as not this resource's", async () => {
    await startFake();
    const results = await Promise.allSettled([
      new DynamicResourceRunner(provider).up(inputs()),
      new DynamicResourceRunner(provider).up(inputs()),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(fake.versions.R1).toHaveLength(1);
    expect(String((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason)).toMatch(
      /already exists in Trove .* set adopt: true to manage it$/,
    );
  });

  it("refuses a version that exists already, advising adopt: true (and not pulumi import, which cannot work)", async () => {
    await startFake();
    const theirs = fake.addVersion("R1", { datastore_name: "mysql", name: "5.7.29", version: "5.7.29" });
    const error = await new DynamicResourceRunner(provider).up(inputs()).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toBe(
      `datastore version mysql 5.7.29 (5.7.29) already exists in Trove (id ${theirs.id}) and was not created by this stack; set adopt: true to manage it`,
    );
  });

  it("refuses, rather than claims, a version another client created between its lookup and its POST", async () => {
    await startFake();
    let theirs: FakeVersion | undefined;
    fake.beforeCreate = (region) => {
      theirs ??= fake.addVersion(region, { datastore_name: "mysql", name: "5.7.29", version: "5.7.29" });
    };
    const runner = new DynamicResourceRunner(provider);
    const error = await runner.up(inputs()).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(
      new RegExp(`already exists in Trove \\(id ${theirs!.id}\\) and was not created by this stack`),
    );
    expect(runner.state).toBeUndefined();
  });
});

describe("DatastoreConfigurationParameters", () => {
  const rules = [
    { name: "max_connections", restart_required: true, type: "integer" as const, min: 1, max: 100000 },
    { name: "autocommit", restart_required: false, type: "boolean" as const },
  ];

  it("keeps MySQL's 2^64-1 limits exact when reading validation-rules.json", () => {
    const parsed = params.parseValidationRules(
      '{"configuration-parameters": [{"name": "sort_buffer_size", "restart_required": false, "max": 18446744073709551615, "min": 32768, "type": "integer"}]}',
    );
    expect(parsed[0]).toEqual({
      name: "sort_buffer_size",
      restart_required: false,
      max: "18446744073709551615",
      min: 32768,
      type: "integer",
    });
  });

  it("runs the sync program on this machine, the rules on stdin; a rules change is an update, a new version id a replacement; delete removes the rules", async () => {
    const p = new params.DatastoreConfigurationParameters("local", {
      datastore: "mysql",
      versionName: "5.7.29",
      rules: { rules },
      controller: { troveConfPath: "/srv/lab/trove.conf" },
    });
    const declared = await mocks.waitFor("local-load");
    expect(declared.type).toBe("command:local:Command");
    expect(declared.parent).toBe("local");
    expect(String(declared.inputs.create)).toMatch(/^'?\/usr\/bin\/python3'? -c '/);
    expect(String(declared.inputs.delete)).toBe(`${String(declared.inputs.create)} delete`);
    expect(JSON.parse(String(declared.inputs.stdin))).toEqual({
      configFile: "/srv/lab/trove.conf",
      datastore: "mysql",
      versionName: "5.7.29",
      rules,
    });
    // Without a version id nothing replaces the command: @pulumi/command replaces only on triggers.
    expect(declared.inputs.triggers).toBeUndefined();
    new params.DatastoreConfigurationParameters("local3", {
      datastore: "mysql",
      versionName: "5.7.29",
      rules: { rules: rules.slice(1) },
      controller: { troveConfPath: "/srv/lab/trove.conf" },
    });
    const changed = await mocks.waitFor("local3-load");
    expect(JSON.parse(String(changed.inputs.stdin)).rules).toEqual(rules.slice(1));
    expect(changed.inputs.triggers).toBeUndefined();

    const tracked = new params.DatastoreConfigurationParameters("local2", {
      datastore: "mysql",
      versionName: "5.7.29",
      rules: { rules },
      controller: { troveConfPath: "/srv/lab/trove.conf" },
      versionId: "0e0e0e0e-0000-4000-8000-000000000002",
    });
    const withId = await mocks.waitFor("local2-load");
    expect(withId.inputs.triggers).toEqual(["0e0e0e0e-0000-4000-8000-000000000002"]);
    expect(JSON.parse(String(withId.inputs.stdin))).toMatchObject({
      versionName: "5.7.29",
      versionId: "0e0e0e0e-0000-4000-8000-000000000002",
    });
    expect(p.ruleCount).toBe(2);
    expect(tracked.ruleCount).toBe(2);
  });

  it("runs it on the controller over SSH when given a connection", async () => {
    new params.DatastoreConfigurationParameters("remote", {
      datastore: "postgresql",
      versionName: "12",
      rules: { rules },
      controller: {
        connection: { host: "10.0.0.5", user: "stack", hostKey: testHostKey() },
        python: "/opt/stack/data/venv/bin/python3",
      },
    });
    const declared = await mocks.waitFor("remote-load");
    expect(declared.type).toBe("command:remote:Command");
    // @pulumi/command keeps the connection secret.
    expect(declared.inputs.connection).toMatchObject({ value: { host: "10.0.0.5", user: "stack", port: 22 } });
    expect(String(declared.inputs.create)).toMatch(/^'?\/opt\/stack\/data\/venv\/bin\/python3'? -c /);
    expect(JSON.parse(String(declared.inputs.stdin)).configFile).toBe("/etc/trove/trove.conf");
  });

  it.each([
    [
      "a rule of an unknown type",
      { rules: [{ name: "x", restart_required: false, type: "json" }] },
      /rules.rules\[0\].type "json" is not valid \(allowed: integer, string, boolean, float\)/,
    ],
    [
      "a fractional limit",
      { rules: [{ name: "x", restart_required: false, type: "integer", max: 1.5 }] },
      /max: expected an integer/,
    ],
    [
      "the same name twice",
      { rules: [rules[0], rules[0]] },
      /rules.rules "max_connections" is not valid \(each parameter name once\)/,
    ],
    [
      "a missing rules file",
      { rulesFile: "/nonexistent/validation-rules.json" },
      /rules.rulesFile "\/nonexistent\/validation-rules.json" is not valid \(a readable validation-rules.json: ENOENT/,
    ],
  ])("rejects %s at construction", (_label, r, message) => {
    expect(
      () =>
        new params.DatastoreConfigurationParameters("bad", {
          datastore: "mysql",
          versionName: "5.7.29",
          rules: r as never,
          controller: {},
        }),
    ).toThrow(message);
  });
});
