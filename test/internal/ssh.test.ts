// The SSH host-key setting: its shape checked at construction (naming the field), required unless opted out by name,
// and carried to every remote command a pipeline declares, as @pulumi/command's `connection.hostKey`.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { commandStdout, installMocks, MockState } from "../support/pulumi-mocks";
import { testHostKey } from "../support/ssh-keys";

let mocks: MockState;
let ssh: typeof import("../../components/internal/ssh.js");
let build: typeof import("../../components/image/guest-image-build.js");
let config: typeof import("../../components/trove/trove-config.js");
let pipeline: typeof import("../../components/pipeline/pipeline.js");

beforeAll(async () => {
  mocks = await installMocks({
    outputs: (type, name) => {
      if (!type.startsWith("command:"))
        return type === "docker:index/remoteImage:RemoteImage" ? { imageId: "sha256:r" } : undefined;
      return commandStdout(name);
    },
  });
  ssh = await import("../../components/internal/ssh.js");
  build = await import("../../components/image/guest-image-build.js");
  config = await import("../../components/trove/trove-config.js");
  pipeline = await import("../../components/pipeline/pipeline.js");
});

describe("parseHostKey", () => {
  it("reads real keys as ssh-keygen writes them and as ssh-keyscan prints them", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hostkeys-"));
    for (const type of ["ed25519", "ecdsa", "rsa"]) {
      execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "root@build-host", "-f", path.join(dir, type)]);
      const pub = readFileSync(path.join(dir, `${type}.pub`), "utf8");
      const [keyType, data] = pub.split(" ");
      expect(ssh.parseHostKey(pub)).toEqual({ key: `${keyType} ${data}`, type: keyType });
      expect(ssh.parseHostKey(`[10.0.0.5]:2222 ${keyType} ${data}`)).toEqual({
        key: `${keyType} ${data}`,
        type: keyType,
      });
    }
  });

  it("refuses what is not one whole key: other text, a truncated key, a key whose data names another type, several lines", () => {
    const key = testHostKey();
    const data = key.split(" ")[1]!;
    expect(ssh.parseHostKey("10.0.0.5")).toHaveProperty("problem");
    expect(ssh.parseHostKey(`ssh-ed25519 ${data.slice(0, 30)}`)).toMatchObject({
      problem: expect.stringContaining("does not decode to a ssh-ed25519 key"),
    });
    expect(ssh.parseHostKey(`ecdsa-sha2-nistp256 ${data}`)).toMatchObject({
      problem: expect.stringContaining("does not decode to a ecdsa-sha2-nistp256 key"),
    });
    expect(ssh.parseHostKey(`${key}\n${key}`)).toMatchObject({ problem: expect.stringContaining("give one line") });
    expect(ssh.parseHostKey("ssh-ed25519")).toMatchObject({
      problem: expect.stringContaining("missing or not base64"),
    });
  });

  it("never throws, and whatever it accepts is '<known type> <base64>'", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const r = ssh.parseHostKey(s);
        if ("key" in r) expect(r.key).toMatch(new RegExp(`^(${ssh.HOST_KEY_TYPES.join("|")}) [A-Za-z0-9+/]+={0,2}$`));
      }),
    );
  });
});

describe("at construction", () => {
  const buildArgs = { buildCheckout: { dir: "/opt/stack/trove", ref: "m" } };
  it.each([
    [
      "a build host without a host key",
      () => new build.GuestImageBuild("nokey", { ...buildArgs, buildHost: { host: "10.0.0.5", user: "stack" } }),
      /GuestImageBuild "nokey": buildHost.hostKey undefined is not valid \(required: the host's public key line, e\.g\. from 'ssh-keyscan -t ed25519 <host>'.*or set insecureIgnoreHostKey: true/,
    ],
    [
      "a build host key that is not a key",
      () =>
        new build.GuestImageBuild("badkey", {
          ...buildArgs,
          buildHost: { host: "10.0.0.5", user: "stack", hostKey: "10.0.0.5" },
        }),
      /GuestImageBuild "badkey": buildHost.hostKey "10.0.0.5" is not valid \(expected one public key line as ssh-keyscan prints it/,
    ],
    [
      "a host key and the opt-out",
      () =>
        new build.GuestImageBuild("both", {
          ...buildArgs,
          buildHost: { host: "10.0.0.5", user: "stack", hostKey: testHostKey(), insecureIgnoreHostKey: true },
        }),
      /buildHost.insecureIgnoreHostKey "true" is not valid \(give hostKey or insecureIgnoreHostKey: true, not both\)/,
    ],
    [
      "a controller without a host key",
      () =>
        new config.TroveConfig("nokey", {
          registry: { address: "10.0.0.5:4000", insecure: true },
          imageOptions: {},
          controller: { connection: { host: "10.0.0.5", user: "root" } },
        }),
      /TroveConfig "nokey": controller.connection.hostKey undefined is not valid \(required/,
    ],
  ])("refuses %s, naming the field", (_label, declare, message) => {
    expect(declare).toThrow(message);
  });

  it("accepts the opt-out, and then checks nothing, on every path", async () => {
    new build.GuestImageBuild("optout", {
      ...buildArgs,
      buildHost: { host: "10.0.0.5", user: "stack", privateKey: "K", insecureIgnoreHostKey: true },
    });
    const remote = await mocks.waitFor("optout-build");
    expect((remote.inputs.connection as { value: Record<string, unknown> }).value.hostKey).toBeUndefined();
    expect((await mocks.waitFor("optout-fetch")).inputs.environment).toMatchObject({
      FETCH_HOST_KEY: "",
      FETCH_INSECURE_IGNORE_HOST_KEY: "true",
    });
  });
});

describe("every remote command of a pipeline", () => {
  it("checks the host key its connection names", async () => {
    const checkout = mkdtempSync(path.join(tmpdir(), "trove-"));
    mkdirSync(path.join(checkout, "trove/templates/mysql"), { recursive: true });
    writeFileSync(
      path.join(checkout, "trove/templates/mysql/validation-rules.json"),
      JSON.stringify({ "configuration-parameters": [] }),
    );
    const buildKey = testHostKey(11);
    const controllerKey = testHostKey(12);
    new pipeline.TroveGuestPipeline("all", {
      troveRelease: "2026.1",
      versions: [{ datastore: "mysql", version: "8.0" }],
      guestImage: {
        buildCheckout: { dir: "/opt/stack/trove", ref: "m" },
        buildHost: { host: "build", user: "stack", privateKey: "K", hostKey: `build ${buildKey}` },
      },
      registry: { local: { advertisedHost: "10.0.0.5" } },
      datastoreImages: { backupCheckout: { dir: "/opt/stack/trove" } },
      troveConfig: { controller: { connection: { host: "ctl", user: "root", hostKey: controllerKey } } },
      regions: [
        { name: "east", troveController: { connection: { host: "ctl", user: "root", hostKey: controllerKey } } },
      ],
      registration: { loadConfigurationParameters: true, rulesSourceDir: checkout },
    });
    await mocks.waitFor("all-parameters-east-mysql-8-0-load");
    await mocks.waitFor("all-config-apply");
    await mocks.waitFor("all-guest-build-cleanup");
    const remote = mocks.ofType("command:remote:Command").filter((r) => r.name.startsWith("all-"));
    expect(remote.map((r) => r.name).sort()).toEqual([
      "all-config-apply",
      "all-guest-build",
      "all-guest-build-cleanup",
      "all-parameters-east-mysql-8-0-load",
    ]);
    const keyOf = (r: (typeof remote)[number]) =>
      (r.inputs.connection as { value: { host: string; hostKey?: string } }).value;
    for (const r of remote) expect(keyOf(r).hostKey, r.name).toBe(keyOf(r).host === "build" ? buildKey : controllerKey);
    // The image copy, the one SSH path outside @pulumi/command, checks the same key.
    expect((await mocks.waitFor("all-guest-fetch")).inputs.environment).toMatchObject({
      FETCH_HOST_KEY: buildKey,
      FETCH_INSECURE_IGNORE_HOST_KEY: "false",
    });
  });
});
