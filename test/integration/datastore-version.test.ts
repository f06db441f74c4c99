// DatastoreVersion against the real lab of each Trove release (Keystone, Glance and Trove API on 127.0.0.1, from
// Debian 12, 13 or unstable): the provider Pulumi would serialize into the state is taken from the declaration under
// mocks and run through the engine's lifecycle (test/support/dynamic-engine.ts). Version numbers carry this run's id,
// so runs never see each other's versions. Then what each release's API accepts, as the facts the component relies on.
// Keystone's token requests are counted in Keystone's own log (keystone.log: each password authentication is logged
// with the OpenStack global request id the client sent; keystone-uwsgi.log lists every POST /v3/auth/tokens but not
// who sent it, and the lab is shared).

import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatastoreVersionArgs } from "../../components/trove/datastore-version";
import { DynamicResourceRunner } from "../support/dynamic-engine";
import { ensureLab, Lab, labReleases, troveWriteCount } from "../support/lab";
import { applyGlanceImage, imageTroveFinds, removeGlanceImage } from "../support/openstack-apply";
import { installMocks } from "../support/pulumi-mocks";
import { MgmtVersion, troveRest, TroveRest } from "../support/trove-rest";
import { loadCredentials, openTroveSession, send, TroveSession } from "../../components/trove/trove-client";
import type * as TroveClient from "../../components/trove/trove-client";

const RUN = String(Date.now() % 1_000_000);
const DYNAMIC = "pulumi-nodejs:dynamic/pulumi-trove:DatastoreVersion";
const savedEnv = { ...process.env };

/** Declares a DatastoreVersion under mocks and returns the inputs the engine would hand the provider. */
async function declare(name: string, args: DatastoreVersionArgs): Promise<Record<string, unknown>> {
  const mocks = await installMocks();
  const { DatastoreVersion } = await import("../../components/trove/datastore-version.js");
  new DatastoreVersion(name, args);
  const declared = await mocks.waitFor(name);
  expect(declared.type).toBe(DYNAMIC);
  return declared.inputs;
}

describe.each(labReleases())("DatastoreVersion against the lab's Trove %s", (release) => {
  let lab: Lab;
  let api: TroveRest;
  let work: string;
  const runners: DynamicResourceRunner[] = [];
  const images: string[] = [];

  async function runnerFor(
    name: string,
    args: DatastoreVersionArgs,
  ): Promise<{ runner: DynamicResourceRunner; inputs: Record<string, unknown> }> {
    const inputs = await declare(name, args);
    const runner = DynamicResourceRunner.fromDeclaration(inputs);
    runners.push(runner);
    return { runner, inputs };
  }

  /** The mysql versions Trove lists (read over REST: the CLI would cost about 2 s a call). */
  async function troveVersions(): Promise<Array<{ id: string; name: string }>> {
    const rows = await api.versions("mysql");
    expect(rows.length).toBeGreaterThan(0);
    return rows.map((r) => ({ id: r.id, name: r.name }));
  }

  const showVersion = (id: string): Promise<MgmtVersion> => api.version(id);

  /**
   * Starts afresh, as a new `pulumi up` starts a new provider process: no token held, a new global request id. Returns
   * the client module and that id.
   */
  async function newProviderProcess(): Promise<{ client: typeof TroveClient; requestId: string }> {
    const client = await import("../../components/trove/trove-client.js");
    delete (globalThis as Record<string, unknown>)[client.CLIENT_STATE_PROPERTY];
    return { client, requestId: client.runRequestId() };
  }

  /** Password authentications (token requests) Keystone logged for this global request id. */
  function keystoneTokenRequests(requestId: string): number {
    const log = readFileSync(path.join(lab.dir, "log", "keystone.log"), "utf8");
    return log.split("\n").filter((line) => line.includes(`keystone.common.password_hashing [${requestId} `)).length;
  }

  beforeAll(async () => {
    lab = ensureLab(release);
    api = await troveRest(lab);
    // The provider reads credentials from the environment of the process that runs it, as under `pulumi up`.
    for (const k of Object.keys(process.env)) if (k.startsWith("OS_")) delete process.env[k];
    process.env.OS_CLIENT_CONFIG_FILE = lab.cloudsYaml;
    work = mkdtempSync(path.join(tmpdir(), "dsv-"));
    // The guest image as GlanceImage declares it (name, format, tags), uploaded with Glance's own client.
    const mocks = await installMocks();
    const { GlanceImage } = await import("../../components/image/glance-image.js");
    const file = path.join(work, "guest.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", file, "16M"]);
    new GlanceImage(`contract-${RUN}`, {
      image: { path: file, diskFormat: "qcow2", sha256: "0".repeat(64) },
      datastores: ["mysql", "mariadb"],
      name: `trove-guest-contract-${RUN}`,
    });
    images.push(applyGlanceImage(lab, (await mocks.waitFor(`contract-${RUN}-image`)).inputs));
  });

  afterAll(async () => {
    for (const r of runners) await r.destroy().catch(() => undefined);
    for (const id of images) removeGlanceImage(lab, id);
    process.env = { ...savedEnv };
    rmSync(work, { recursive: true, force: true });
    lab.release();
  });

  it("creates the version; a second run changes nothing and makes no write call; Trove finds the Glance image GlanceImage declared", async () => {
    const version = `5.7.${RUN}`;
    const { runner, inputs } = await runnerFor(`create-${RUN}`, { datastore: "mysql", version, cloud: "trove-lab" });
    expect(JSON.stringify(inputs)).not.toContain("lab-admin-pw");
    expect(await runner.up(inputs)).toBe("create");
    const shown = await showVersion(runner.state!.id);
    expect(shown).toMatchObject({ name: version, active: true, image_tags: ["trove", "mysql"] });
    expect(runner.state!.outs.versionId).toBe(shown.id);

    const writes = troveWriteCount(lab);
    expect(await runner.up(await declare(`create-${RUN}`, { datastore: "mysql", version, cloud: "trove-lab" }))).toBe(
      "same",
    );
    await runner.refresh();
    expect(await runner.up(inputs)).toBe("same");
    expect(troveWriteCount(lab)).toBe(writes);

    // The contract: the tags the version carries resolve, through Trove's own lookup, to the image GlanceImage uploaded.
    expect(imageTroveFinds(lab, shown.image_tags)).toBe(images[0]);
  });

  it("changes active, default and packages in place, and replaces the version for a new version number", async () => {
    const version = `8.0.${RUN}`;
    const { runner, inputs } = await runnerFor(`update-${RUN}`, { datastore: "mysql", version, cloud: "trove-lab" });
    await runner.up(inputs);
    const firstId = runner.state!.id;

    expect(
      await runner.up(
        await declare(`update-${RUN}`, {
          datastore: "mysql",
          version,
          active: false,
          packages: ["libaio1"],
          cloud: "trove-lab",
        }),
      ),
    ).toBe("update");
    expect(runner.state!.id).toBe(firstId);
    expect(await showVersion(firstId)).toMatchObject({ active: false, packages: ["libaio1"] });

    const diff = await runner.provider.diff!(
      firstId,
      runner.state!.outs,
      JSON.parse(
        JSON.stringify(
          await declare(`update-${RUN}`, {
            datastore: "mysql",
            version: `8.1.${RUN}`,
            name: version,
            cloud: "trove-lab",
          }),
        ),
      ),
    );
    expect(diff.replaces).toEqual(["version"]);
    expect(
      await runner.up(
        await declare(`update-${RUN}`, {
          datastore: "mysql",
          version: `8.1.${RUN}`,
          name: version,
          cloud: "trove-lab",
        }),
      ),
    ).toBe("replace");
    expect(runner.state!.id).not.toBe(firstId);
    expect((await troveVersions()).map((v) => v.id)).not.toContain(firstId);
    expect(await showVersion(runner.state!.id)).toMatchObject({ name: version, version: `8.1.${RUN}`, active: true });
  });

  it("moves the version when its region changes: deleted where it was, created where it is now", async () => {
    const version = `8.2.${RUN}`;
    const { runner, inputs } = await runnerFor(`move-${RUN}`, { datastore: "mysql", version, cloud: "trove-lab" });
    await runner.up(inputs);
    const firstId = runner.state!.id;
    // The lab has one region; naming it where the cloud's default was meant is a move all the same.
    expect(
      await runner.up(
        await declare(`move-${RUN}`, { datastore: "mysql", version, cloud: "trove-lab", region: "RegionOne" }),
      ),
    ).toBe("replace");
    expect(runner.state!.id).not.toBe(firstId);
    const listed = (await troveVersions()).filter((v) => v.name === version);
    expect(listed.map((v) => v.id)).toEqual([runner.state!.id]);
  });

  it("sees a change made with the openstack CLI on refresh, and the next run puts it back", async () => {
    const version = `5.6.${RUN}`;
    const { runner, inputs } = await runnerFor(`drift-${RUN}`, { datastore: "mysql", version, cloud: "trove-lab" });
    await runner.up(inputs);
    lab.openstack(["datastore", "version", "set", runner.state!.id, "--disable"]);
    await runner.refresh();
    expect(runner.state!.outs.active).toBe(false);
    expect(await runner.up(inputs)).toBe("update");
    expect((await showVersion(runner.state!.id)).active).toBe(true);
  });

  it("deletes the version, and a version deleted behind Pulumi's back leaves the state on refresh", async () => {
    const { runner, inputs } = await runnerFor(`delete-${RUN}`, {
      datastore: "mysql",
      version: `5.5.${RUN}`,
      cloud: "trove-lab",
    });
    await runner.up(inputs);
    const id = runner.state!.id;
    await runner.destroy();
    expect((await troveVersions()).map((v) => v.id)).not.toContain(id);

    await runner.up(inputs);
    lab.openstack(["datastore", "version", "delete", runner.state!.id]);
    await runner.refresh();
    expect(runner.state).toBeUndefined();
  });

  it("refuses to take over a version it did not create, and adopts it only when asked", async () => {
    const version = `5.4.${RUN}`;
    lab.openstack([
      "datastore",
      "version",
      "create",
      version,
      "mysql",
      "mysql",
      "",
      "--image-tags",
      "trove,mysql",
      "--active",
    ]);
    const existing = (await troveVersions()).find((v) => v.name === version)!;
    const { runner, inputs } = await runnerFor(`dup-${RUN}`, { datastore: "mysql", version, cloud: "trove-lab" });
    const refused = await runner.up(inputs).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    // The one way to take it over is adopt: Pulumi's dynamic-provider host cannot import (its Read gets no __provider).
    expect(refused?.message).toBe(
      `datastore version mysql ${version} (${version}) already exists in Trove (id ${existing.id}) and was not created by this stack; set adopt: true to manage it`,
    );
    expect(runner.state).toBeUndefined();

    const adopted = await declare(`dup-${RUN}`, {
      datastore: "mysql",
      version,
      cloud: "trove-lab",
      adopt: true,
      active: false,
    });
    expect(await runner.up(adopted)).toBe("create");
    expect(runner.state!.id).toBe(existing.id);
    expect((await showVersion(existing.id)).active).toBe(false);
    expect((await troveVersions()).filter((v) => v.name === version)).toHaveLength(1);
  });

  it("reports Trove's own message for unknown image tags, as one line with the HTTP status", async () => {
    const { runner, inputs } = await runnerFor(`tags-${RUN}`, {
      datastore: "mysql",
      version: `5.3.${RUN}`,
      imageTags: ["trove", `nope${RUN}`],
      cloud: "trove-lab",
    });
    const error = await runner.up(inputs).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toBe(
      `Trove POST /mgmt/datastore-versions: HTTP 400: Failed to retrieve image with tags: ['trove', 'nope${RUN}'].`,
    );
  });

  it("reports Keystone's refusal of a wrong password as one line, without the password", async () => {
    const clouds = path.join(work, "clouds.yaml");
    copyFileSync(lab.cloudsYaml, clouds);
    writeFileSync(clouds, readFileSync(clouds, "utf8").replace(/password: .*/, "password: not-the-password"));
    process.env.OS_CLIENT_CONFIG_FILE = clouds;
    try {
      const { runner, inputs } = await runnerFor(`auth-${RUN}`, {
        datastore: "mysql",
        version: `5.2.${RUN}`,
        cloud: "trove-lab",
      });
      const error = await runner.up(inputs).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(
        /^Keystone POST \/v3\/auth\/tokens: HTTP 401: The request you have made requires authentication\.$/,
      );
      expect(error?.message).not.toContain("not-the-password");
    } finally {
      process.env.OS_CLIENT_CONFIG_FILE = lab.cloudsYaml;
    }
  });

  it("fails clearly while Trove is down, and a re-run after it is back converges with no duplicate", async () => {
    const versions = ["5.1", "5.0", "4.1"].map((v) => `${v}.${RUN}`);
    const declared = [];
    for (const [i, version] of versions.entries())
      declared.push(await runnerFor(`outage-${i}-${RUN}`, { datastore: "mysql", version, cloud: "trove-lab" }));
    expect(await declared[0]!.runner.up(declared[0]!.inputs)).toBe("create");
    lab.service("stop", "trove");
    try {
      const error = await declared[1]!.runner.up(declared[1]!.inputs).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(
        new RegExp(
          `^GET http://127\\.0\\.0\\.1:${lab.trovePort}/v1\\.0/\\w+/datastores/mysql/versions/5\\.0\\.\\d+ failed after 5 attempts: .*ECONNREFUSED`,
        ),
      );
      expect(declared[1]!.runner.state).toBeUndefined();
    } finally {
      lab.service("start", "trove");
    }
    const steps = [];
    for (const d of declared) steps.push(await d.runner.up(d.inputs));
    expect(steps).toEqual(["same", "create", "create"]);
    const names = (await troveVersions()).map((v) => v.name).filter((n) => versions.includes(n));
    expect(names.sort()).toEqual([...versions].sort());
  });

  it("keeps the version Trove created when the answer to its POST was lost, with no duplicate and no adopt needed", async () => {
    const version = `4.0.${RUN}`;
    const { runner, inputs } = await runnerFor(`lost-${RUN}`, { datastore: "mysql", version, cloud: "trove-lab" });
    // The network loses Trove's answer to the first POST after Trove has handled it: the provider sees a dropped
    // connection, retries the POST, and Trove refuses the retry as a duplicate.
    const realFetch = globalThis.fetch;
    const lostStatuses: number[] = [];
    globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
      const response = await realFetch(input, init);
      if (init?.method === "POST" && String(input).endsWith("/mgmt/datastore-versions") && lostStatuses.length === 0) {
        lostStatuses.push(response.status);
        await response.arrayBuffer();
        throw new TypeError("fetch failed", { cause: new Error("other side closed") });
      }
      return response;
    };
    try {
      expect(await runner.up(inputs)).toBe("create");
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(lostStatuses).toEqual([202]);
    const listed = (await troveVersions()).filter((v) => v.name === version);
    expect(listed).toHaveLength(1);
    expect(runner.state?.id).toBe(listed[0]!.id);
    expect(await runner.up(inputs)).toBe("same");
  });

  it("asks Keystone for one token in a whole run: creates, an update, refreshes and deletes of several versions (Keystone's own log)", async () => {
    const { requestId } = await newProviderProcess();
    const versions = ["3.1", "3.2", "3.3"].map((v) => `${v}.${RUN}`);
    const declared = [];
    for (const [i, version] of versions.entries())
      declared.push(await runnerFor(`token-${i}-${RUN}`, { datastore: "mysql", version, cloud: "trove-lab" }));
    for (const d of declared) expect(await d.runner.up(d.inputs)).toBe("create");
    expect(
      await declared[0]!.runner.up(
        await declare(`token-0-${RUN}`, {
          datastore: "mysql",
          version: versions[0]!,
          active: false,
          cloud: "trove-lab",
        }),
      ),
    ).toBe("update");
    for (const d of declared) await d.runner.refresh();
    expect(declared[0]!.runner.state!.outs.active).toBe(false);
    for (const d of declared) await d.runner.destroy();
    expect((await troveVersions()).filter((v) => versions.includes(v.name))).toEqual([]);
    expect(keystoneTokenRequests(requestId)).toBe(1);
  });

  it("gets a new token when Trove refuses the one it holds (revoked with Keystone's API), and the create goes through", async () => {
    const { client, requestId } = await newProviderProcess();
    // The token this provider process holds, fetched before Trove has seen it: Trove caches a token it has validated
    // (keystonemiddleware, up to 5 minutes), so a token revoked after its first use would still pass there for a while.
    const credentials = client.loadCredentials(process.env, "trove-lab");
    const held = await client.keystoneToken(credentials);
    const revoke = await fetch(`${credentials.authUrl.replace(/\/+$/, "")}/auth/tokens`, {
      method: "DELETE",
      headers: { "X-Auth-Token": held.token, "X-Subject-Token": held.token },
    });
    expect(revoke.status).toBe(204);

    const version = `3.4.${RUN}`;
    const { runner, inputs } = await runnerFor(`revoked-${RUN}`, { datastore: "mysql", version, cloud: "trove-lab" });
    expect(await runner.up(inputs)).toBe("create");
    expect((await troveVersions()).filter((v) => v.name === version)).toHaveLength(1);
    // Trove refused the revoked token once (the lookup before the create), then the new token was used.
    const troveLog = readFileSync(path.join(lab.dir, "log", "trove-api.log"), "utf8");
    expect(
      troveLog.split("\n").filter((line) => line.includes(`/datastores/mysql/versions/${version} HTTP/1.1" 401`)),
    ).toHaveLength(1);
    expect(keystoneTokenRequests(requestId)).toBe(2);
  });

  describe("what the API accepts (the facts the component relies on)", () => {
    let session: TroveSession;
    const post = (version: Record<string, unknown>) =>
      send("POST", `${session.endpoint}/mgmt/datastore-versions`, { token: session.token, body: { version } });
    const base = (v: string) => ({
      name: v,
      version: v,
      datastore_name: "mysql",
      datastore_manager: "mysql",
      active: true,
      image_tags: ["trove", "mysql"],
    });

    beforeAll(async () => {
      session = await openTroveSession(loadCredentials({ OS_CLIENT_CONFIG_FILE: lab.cloudsYaml }, "trove-lab"));
    });

    it("answers a create with 202 and no body, and refuses a PATCH of the version number", async () => {
      const version = `3.9.${RUN}`;
      const created = await post(base(version));
      expect({ status: created.status, body: created.body }).toEqual({ status: 202, body: undefined });
      const id = (await troveVersions()).find((v) => v.name === version)!.id;
      // Refused by the edit schema (no `version`, no other properties), but Trove's formatting of that validation
      // error fails (an IndexError on the error's empty path in trove/common/wsgi.py), so the answer is a 500, in all
      // three releases. Hence DatastoreVersion replaces the version for a new number and never PATCHes it.
      const patched = await send("PATCH", `${session.endpoint}/mgmt/datastore-versions/${id}`, {
        token: session.token,
        body: { version: `3.9.${RUN}9` },
        retry: { attempts: 1, firstDelayMs: 0, timeoutMs: 30_000 },
      });
      expect(patched.status).toBe(500);
      expect(JSON.stringify(patched.body)).toMatch(/"instanceFault":\{"code":500,"message":"Internal Server Error/);
      expect(readFileSync(path.join(lab.dir, "log", "trove-api.log"), "utf8")).toMatch(
        /format_validation_msg[\s\S]*IndexError: list index out of range/,
      );
      expect((await showVersion(id)).version).toBe(version);
      lab.openstack(["datastore", "version", "delete", id]);
    });

    it("takes at most 5 image tags of at most 20 characters", async () => {
      const six = await post({ ...base(`3.8.${RUN}`), image_tags: ["trove", "mysql", "a", "b", "c", "d"] });
      expect(six.status).toBe(400);
      const long = await post({ ...base(`3.7.${RUN}`), image_tags: ["trove", "x".repeat(21)] });
      expect(long.status).toBe(400);
      expect((await troveVersions()).map((v) => v.name)).not.toContain(`3.8.${RUN}`);
    });

    it(`${release === "zed" ? "refuses" : "accepts"} registry_ext and repl_strategy (added in 2024.2)`, async () => {
      const version = `3.6.${RUN}`;
      const answer = await post({
        ...base(version),
        registry_ext: "trove.guestagent.datastore.mysql.service.MySqlApp",
        repl_strategy: "trove.guestagent.strategies.replication.mysql_gtid.MysqlGTIDReplication",
      });
      expect(answer.status).toBe(release === "zed" ? 400 : 202);
      const listed = (await troveVersions()).find((v) => v.name === version);
      if (release !== "zed") lab.openstack(["datastore", "version", "delete", listed!.id]);
      else expect(listed).toBeUndefined();
    });
  });
});
