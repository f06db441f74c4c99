// DatastoreVersion, DatastoreConfigurationParameters and the Trove client without a cloud: request bodies, what a
// change does (in place or replacement), the declarations under mocks (no credential in them), credentials read the
// standard way, and retries proved against a real HTTP server on 127.0.0.1.

import { createServer, Server } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installMocks, MockState } from "./support/pulumi-mocks";

let mocks: MockState;
let v: typeof import("../components/datastore-version.js");
let c: typeof import("../components/trove-client.js");
let params: typeof import("../components/configuration-parameters.js");

beforeAll(async () => {
  mocks = await installMocks({ outputs: (type) => (type.startsWith("command:") ? { stdout: '{"versionId":"v1","added":["a"],"changed":[],"removed":[],"unchanged":0}' } : undefined) });
  v = await import("../components/datastore-version.js");
  c = await import("../components/trove-client.js");
  params = await import("../components/configuration-parameters.js");
});

const state = (extra: object = {}) => ({ datastore: "mysql", name: "5.7.29", version: "5.7.29", manager: "mysql", imageTags: ["trove", "mysql"], active: true, default: false, packages: [], adopt: false, ...extra });

describe("DatastoreVersion", () => {
  it("sends the runbook's `datastore version create 5.7.29 mysql mysql \"\" --image-tags trove,mysql --active` as Trove's body", () => {
    expect(v.createBody(state())).toEqual({ version: { name: "5.7.29", datastore_name: "mysql", datastore_manager: "mysql", active: true, default: false, version: "5.7.29", packages: [], image_tags: ["trove", "mysql"] } });
    expect(v.createBody(state({ imageId: "img-1", imageTags: undefined }))).toMatchObject({ version: { image: "img-1" } });
  });

  it("changes image, tags, active, default and packages in place and replaces for a new datastore or version number", () => {
    expect(v.diffVersions(state(), state({ active: false, packages: ["libaio1"] }))).toEqual({ changes: ["active", "packages"], replaces: [] });
    expect(v.patchBody(state(), state({ active: false, packages: ["libaio1"] }))).toEqual({ active: false, packages: ["libaio1"] });
    expect(v.patchBody(state(), state({ imageId: "img-2", imageTags: undefined }))).toEqual({ image: "img-2" });
    expect(v.diffVersions(state(), state({ version: "5.7.30" })).replaces).toEqual(["version"]);
    expect(v.diffVersions(state(), state({ datastore: "mariadb" })).replaces).toEqual(["datastore"]);
    expect(v.diffVersions(state({ versionId: "x" }), state())).toEqual({ changes: [], replaces: [] });
  });

  it("replaces the version when its cloud or region changes: it moves there (delete in the old place, create in the new)", async () => {
    expect(v.diffVersions(state({ cloud: "east-cloud" }), state({ cloud: "west-cloud" }))).toEqual({ changes: ["cloud"], replaces: ["cloud"] });
    expect(v.diffVersions(state({ region: "RegionOne" }), state({ region: "RegionTwo" })).replaces).toEqual(["region"]);
    expect(v.diffVersions(state(), state({ region: "RegionTwo" })).replaces).toEqual(["region"]);
    expect(await v.datastoreVersionProvider.diff!("id-1", state({ region: "RegionOne" }), state({ region: "RegionTwo" }))).toEqual({ changes: true, replaces: ["region"], deleteBeforeReplace: true });
  });

  it("reads Trove's view back in the same shape, the empty package Trove stores included", () => {
    const trove = { id: "id-1", name: "5.7.29", version: "5.7.29", datastore_name: "mysql", datastore_manager: "mysql", image: null, image_tags: ["trove", "mysql"], packages: [""], active: false, default: false };
    expect(v.stateFromTrove(trove, { adopt: false })).toEqual({ ...state({ active: false }), versionId: "id-1" });
  });

  it("declares a dynamic resource whose inputs name the cloud but hold no credential", async () => {
    process.env.OS_PASSWORD = "never-in-state";
    new v.DatastoreVersion("dv", { datastore: "postgresql", version: "12", cloud: "prod", region: "east", default: true });
    const declared = await mocks.waitFor("dv");
    expect(declared.type).toBe("pulumi-nodejs:dynamic/pulumi-trove:DatastoreVersion");
    expect(declared.inputs).toMatchObject({ datastore: "postgresql", name: "12", version: "12", manager: "postgresql", imageTags: ["trove", "postgresql"], active: true, default: true, cloud: "prod", region: "east", adopt: false });
    expect(JSON.stringify(declared.inputs)).not.toContain("never-in-state");
    delete process.env.OS_PASSWORD;
  });

  it.each([
    ["an unknown datastore", { datastore: "redis", version: "7" }, /DatastoreVersion "bad": datastore "redis" is not valid \(known: mariadb, mysql, postgresql\)/],
    ["a malformed version", { datastore: "mysql", version: "5.7;rm" }, /version "5.7;rm" is not valid/],
    ["both an image id and tags", { datastore: "mysql", version: "5.7.29", imageId: "x", imageTags: ["trove"] }, /imageTags .* is not valid \(give imageId or imageTags, not both\)/],
    ["a tag with a comma", { datastore: "mysql", version: "5.7.29", imageTags: ["trove,mysql"] }, /imageTags\[0\] "trove,mysql" is not valid/],
  ])("rejects %s at construction", (_label, args, message) => {
    expect(() => new v.DatastoreVersion("bad", args)).toThrow(message);
  });
});

describe("credentials, the standard way", () => {
  it("reads a cloud from clouds.yaml (OS_CLIENT_CONFIG_FILE), password or application credential", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "clouds-"));
    const file = path.join(dir, "clouds.yaml");
    writeFileSync(file, "clouds:\n  pw:\n    auth: {auth_url: 'http://k:5000/v3', username: admin, password: secret, project_name: admin}\n    region_name: East\n  app:\n    auth_type: v3applicationcredential\n    auth: {auth_url: 'http://k:5000', application_credential_id: id1, application_credential_secret: s1}\n");
    const pw = c.loadCredentials({ OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: "pw" });
    expect(pw).toMatchObject({ authUrl: "http://k:5000/v3", username: "admin", password: "secret", projectName: "admin", userDomainName: "Default", regionName: "East", interface: "public" });
    expect(c.tokenRequestBody(pw)).toEqual({ auth: { identity: { methods: ["password"], password: { user: { name: "admin", domain: { name: "Default" }, password: "secret" } } }, scope: { project: { name: "admin", domain: { name: "Default" } } } } });
    const app = c.loadCredentials({ OS_CLIENT_CONFIG_FILE: file }, "app");
    expect(c.tokenRequestBody(app)).toEqual({ auth: { identity: { methods: ["application_credential"], application_credential: { id: "id1", secret: "s1" } } } });
    expect(() => c.loadCredentials({ OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: "nope" })).toThrow(/cloud "nope" is not in .*clouds there: pw, app/);
  });

  it("reads OS_* variables, and says what to set when there are none", () => {
    expect(c.loadCredentials({ OS_AUTH_URL: "http://k:5000/v3", OS_USERNAME: "u", OS_PASSWORD: "p", OS_PROJECT_NAME: "pr", OS_REGION_NAME: "R" })).toMatchObject({ username: "u", password: "p", projectName: "pr", regionName: "R" });
    expect(() => c.loadCredentials({})).toThrow(/set OS_CLOUD \(with a clouds.yaml\) or OS_AUTH_URL/);
  });

  it("takes the service's own message out of an OpenStack error body", () => {
    expect(c.serviceMessage({ badRequest: { code: 400, message: "Failed to retrieve image with tags: ['nope']." } })).toBe("Failed to retrieve image with tags: ['nope'].");
    expect(c.serviceMessage({ error: { code: 401, message: "The request you have made requires authentication.", title: "Unauthorized" } })).toBe("The request you have made requires authentication.");
  });
});

describe("retries, against a real HTTP server on 127.0.0.1", () => {
  let server: Server;
  let url: string;
  let hits = 0;
  let failFirst = 0;
  const fast = { attempts: 4, firstDelayMs: 10, timeoutMs: 300 };

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url === "/slow") return void setTimeout(() => res.end("{}"), 1000);
      if (hits <= failFirst) {
        res.writeHead(503).end('{"overLimit": {"message": "try later"}}');
        return;
      }
      res.writeHead(req.url === "/bad" ? 400 : 200, { "Content-Type": "application/json" }).end(req.url === "/bad" ? '{"badRequest": {"message": "no"}}' : '{"ok": true}');
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

  it("retries timeouts and refused connections, then fails with the cause", async () => {
    await expect(c.send("GET", `${url}/slow`, { retry: { ...fast, attempts: 2 } })).rejects.toThrow(/failed after 2 attempts: .*(timeout|aborted)/i);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(c.send("GET", `http://127.0.0.1:${port}/`, { retry: { ...fast, attempts: 2 } })).rejects.toThrow(/failed after 2 attempts: .*ECONNREFUSED/);
  });
});

describe("DatastoreConfigurationParameters", () => {
  const rules = [
    { name: "max_connections", restart_required: true, type: "integer" as const, min: 1, max: 100000 },
    { name: "autocommit", restart_required: false, type: "boolean" as const },
  ];

  it("keeps MySQL's 2^64-1 limits exact when reading validation-rules.json", () => {
    const parsed = params.parseValidationRules('{"configuration-parameters": [{"name": "sort_buffer_size", "restart_required": false, "max": 18446744073709551615, "min": 32768, "type": "integer"}]}');
    expect(parsed[0]).toEqual({ name: "sort_buffer_size", restart_required: false, max: "18446744073709551615", min: 32768, type: "integer" });
  });

  it("runs the sync program on this machine, the rules on stdin, again only when the rules or the version change", async () => {
    const p = new params.DatastoreConfigurationParameters("local", { datastore: "mysql", versionName: "5.7.29", rules: { rules }, controller: { troveConfPath: "/srv/lab/trove.conf" } });
    const declared = await mocks.waitFor("local-load");
    expect(declared.type).toBe("command:local:Command");
    expect(declared.parent).toBe("local");
    expect(String(declared.inputs.create)).toMatch(/^'?\/usr\/bin\/python3'? -c '/);
    expect(JSON.parse(String(declared.inputs.stdin))).toEqual({ configFile: "/srv/lab/trove.conf", datastore: "mysql", versionName: "5.7.29", rules });
    const again = new params.DatastoreConfigurationParameters("local2", { datastore: "mysql", versionName: "5.7.29", rules: { rules }, controller: { troveConfPath: "/srv/lab/trove.conf" } });
    expect((await mocks.waitFor("local2-load")).inputs.triggers).toEqual(declared.inputs.triggers);
    new params.DatastoreConfigurationParameters("local3", { datastore: "mysql", versionName: "5.7.29", rules: { rules: rules.slice(1) }, controller: { troveConfPath: "/srv/lab/trove.conf" } });
    expect((await mocks.waitFor("local3-load")).inputs.triggers).not.toEqual(declared.inputs.triggers);
    expect(p.ruleCount).toBe(2);
    expect(again.ruleCount).toBe(2);
  });

  it("runs it on the controller over SSH when given a connection", async () => {
    new params.DatastoreConfigurationParameters("remote", { datastore: "postgresql", versionName: "12", rules: { rules }, controller: { connection: { host: "10.0.0.5", user: "stack" }, python: "/opt/stack/data/venv/bin/python3" } });
    const declared = await mocks.waitFor("remote-load");
    expect(declared.type).toBe("command:remote:Command");
    // @pulumi/command keeps the connection secret.
    expect(declared.inputs.connection).toMatchObject({ value: { host: "10.0.0.5", user: "stack", port: 22 } });
    expect(String(declared.inputs.create)).toMatch(/^'?\/opt\/stack\/data\/venv\/bin\/python3'? -c /);
    expect(JSON.parse(String(declared.inputs.stdin)).configFile).toBe("/etc/trove/trove.conf");
  });

  it.each([
    ["a rule of an unknown type", { rules: [{ name: "x", restart_required: false, type: "json" }] }, /rules.rules\[0\] .* is not valid \(type: expected one of integer, string, boolean, float\)/],
    ["a fractional limit", { rules: [{ name: "x", restart_required: false, type: "integer", max: 1.5 }] }, /max: expected an integer/],
    ["the same name twice", { rules: [rules[0], rules[0]] }, /rules.rules "max_connections" is not valid \(each parameter name once\)/],
    ["a missing rules file", { rulesFile: "/nonexistent/validation-rules.json" }, /rules.rulesFile "\/nonexistent\/validation-rules.json" is not valid \(a readable validation-rules.json: ENOENT/],
  ])("rejects %s at construction", (_label, r, message) => {
    expect(() => new params.DatastoreConfigurationParameters("bad", { datastore: "mysql", versionName: "5.7.29", rules: r as never, controller: {} })).toThrow(message);
  });
});
