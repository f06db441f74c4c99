// Which input changes rebuild (replace a command, running its `create`) and which only update (running its cheap
// `update`), for every command the components declare, by @pulumi/command's own rules (test/support/command-diff.ts).
// The same component is declared twice under Pulumi mocks, before and after the change, and the two declarations are
// compared as the engine and provider compare them.

import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { commandStep } from "./support/command-diff";
import { commandStdout, DeclaredResource, installMocks, MockState } from "./support/pulumi-mocks";
import { testHostKey } from "./support/ssh-keys";

const SHA = "c".repeat(64);
let mocks: MockState;
let build: typeof import("../components/image/guest-image-build.js");
let fetch: typeof import("../components/image/image-fetch.js");
let images: typeof import("../components/registry/datastore-images.js");
let config: typeof import("../components/trove/trove-config.js");

beforeAll(async () => {
  mocks = await installMocks({
    outputs: (type, name) => {
      if (!type.startsWith("command:")) return undefined;
      return commandStdout(name, SHA);
    },
  });
  build = await import("../components/image/guest-image-build.js");
  fetch = await import("../components/image/image-fetch.js");
  images = await import("../components/registry/datastore-images.js");
  config = await import("../components/trove/trove-config.js");
});

/** Declares with `declare()` and returns the resources it registered, by name (waiting for the named ones). */
async function declared(declare: () => void, names: string[]): Promise<Record<string, DeclaredResource>> {
  const start = mocks.resources.length;
  declare();
  for (let i = 0; i < 500; i++) {
    const found = Object.fromEntries(mocks.resources.slice(start).map((r) => [r.name, r]));
    if (names.every((n) => n in found)) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`not all of ${names.join(", ")} were registered`);
}

describe("GuestImageBuild, built where pulumi runs", () => {
  const base = { buildCheckout: { dir: "/opt/stack/trove", ref: "abc123" } };
  const declare = (args: object) =>
    declared(() => new build.GuestImageBuild("local", { ...base, ...args }), ["local-build"]).then(
      (r) => r["local-build"]!,
    );

  it("rebuilds for an input that shapes the image", async () => {
    const before = await declare({});
    for (const change of [
      { buildCheckout: { dir: "/opt/stack/trove", ref: "def456" } },
      { buildCheckout: { dir: "/srv/trove", ref: "abc123" } },
      { environment: { GUEST_IMAGESIZE: "6" } },
      { devMode: false },
      { guestUsername: "trove" },
      { localElementsPath: "/opt/elements" },
      { outputImagePath: "/srv/guest.qcow2" },
      { cloudInitDatasources: ["OpenStack"] },
    ]) {
      const step = commandStep(before, await declare(change));
      expect(step.step, JSON.stringify(change)).toBe("replace");
      expect(step.step !== "none" && step.runs).toContain("./trovestack build-image");
    }
  });

  it("does not rebuild when this library's script text changes: the update reports the image instead", async () => {
    const before = await declare({});
    const after = await declare({});
    expect(commandStep(before, after)).toEqual({ step: "none" });
    // An upgrade of pulumi-trove that changes the build script's text is a change of `create` alone.
    const upgraded = {
      ...after,
      inputs: { ...after.inputs, create: `${String(after.inputs.create)}\n# a newer pulumi-trove` },
    };
    const step = commandStep(before, upgraded);
    expect(step).toMatchObject({ step: "update", changed: ["create"] });
    expect(step.step === "update" && step.runs).toBe(build.BUILD_UPDATE_SCRIPT);
    expect(after.inputs.environment).toMatchObject(
      build.buildUpdateEnvironment(
        "$HOME/images/trove-guest-ubuntu-jammy-dev.qcow2",
        "pulumi up --replace <URN of local-build> (pulumi stack --show-urns lists it)",
      ),
    );
    expect(step.step === "update" && step.runs).not.toContain("trovestack");
    expect(after.inputs.addPreviousOutputInEnv).toBe(false);
  });
});

describe("GuestImageBuild on a build host, copied here", () => {
  const host = { host: "10.0.0.5", user: "stack", privateKey: pulumi.secret("KEY-1"), hostKey: testHostKey(1) };
  const declare = (buildHost: object, extra: object = {}) =>
    declared(
      () =>
        new build.GuestImageBuild("far", {
          buildCheckout: { dir: "/opt/stack/trove", ref: "abc123" },
          buildHost: { ...host, ...buildHost },
          ...extra,
        }),
      ["far-build", "far-fetch"],
    );

  it("rotating the key, moving the build host or changing its host key updates: no rebuild, no new copy", async () => {
    const before = await declare({});
    for (const change of [
      { privateKey: pulumi.secret("KEY-2") },
      { host: "10.0.0.6" },
      { port: 2222 },
      { user: "builder" },
      { hostKey: testHostKey(2) },
    ]) {
      const after = await declare(change);
      const b = commandStep(before["far-build"]!, after["far-build"]!);
      expect(b.step, JSON.stringify(change)).toBe("update");
      expect(b.step === "update" && b.runs).toMatch(/^bash -c '/);
      expect(b.step === "update" && b.runs).not.toContain("trovestack");
      const f = commandStep(before["far-fetch"]!, after["far-fetch"]!);
      expect(f.step, JSON.stringify(change)).toBe("update");
      expect(f.step === "update" && f.runs).toBe(fetch.FETCH_UPDATE_SCRIPT);
    }
  });

  it("a new Trove ref rebuilds on the build host", async () => {
    const before = await declare({});
    expect(
      commandStep(
        before["far-build"]!,
        (await declare({}, { buildCheckout: { dir: "/opt/stack/trove", ref: "def456" } }))["far-build"]!,
      ).step,
    ).toBe("replace");
  });
});

describe("DatastoreImages", () => {
  const registry = (password: string) => ({
    address: "10.0.0.5:4000",
    insecure: true,
    username: "trove",
    password: pulumi.secret(password),
  });
  const declare = (password: string, extra: object = {}) =>
    declared(
      () =>
        new images.DatastoreImages("imgs", {
          registry: registry(password),
          versions: [{ datastore: "mysql", version: "8.0" }],
          troveRelease: "2026.1",
          backupCheckout: { dir: "/opt/stack/trove", ref: "r1" },
          ...extra,
        }),
      ["imgs-publish-mysql-8-0"],
    ).then((r) => r["imgs-publish-mysql-8-0"]!);

  it("a new registry password updates: the script compares digests again and checks the backup image's label", async () => {
    const before = await declare("one");
    const after = await declare("two");
    const step = commandStep(before, after);
    expect(step).toMatchObject({ step: "update", changed: ["environment"] });
    expect(step.step === "update" && step.runs).toBe(images.PUBLISH_SCRIPT);
    expect(images.PUBLISH_SCRIPT).toContain('if [ "$have" != "$want" ]; then');
    expect(images.PUBLISH_SCRIPT).toContain('if [ "$built_from" = "$source" ]; then');
    expect(after.inputs.addPreviousOutputInEnv).toBe(false);
  });

  it("a new Trove ref, checkout or Docker engine updates (the script rebuilds the backup image only if its label differs); a new upstream replaces, and the script copies again", async () => {
    const before = await declare("one");
    for (const change of [
      { backupCheckout: { dir: "/opt/stack/trove", ref: "r2" } },
      { backupCheckout: { dir: "/srv/trove", ref: "r1" } },
      { dockerHost: "tcp://127.0.0.1:2375" },
    ]) {
      const step = commandStep(before, await declare("one", change));
      expect(step, JSON.stringify(change)).toMatchObject({ step: "update", changed: ["environment"] });
      expect(step.step === "update" && step.runs).toBe(images.PUBLISH_SCRIPT);
    }
    expect(commandStep(before, await declare("one", { upstreamRegistry: "quay.io/openstack.trove" })).step).toBe(
      "replace",
    );
  });
});

describe("TroveConfig", () => {
  const declare = (connection: object, address = "10.0.0.5:4000") =>
    declared(
      () =>
        new config.TroveConfig("cfg", {
          registry: { address, insecure: true },
          imageOptions: {
            mysql: {
              dockerImage: `${address}/trove-datastores/mysql`,
              backupDockerImage: `${address}/trove-datastores/db-backup-mysql`,
            },
          },
          controller: { connection: { host: "10.0.0.5", user: "root", hostKey: testHostKey(1), ...connection } },
        }),
      ["cfg-apply"],
    ).then((r) => r["cfg-apply"]!);

  it("a new controller address or host key updates, merging the same files again; so do new values (a replacement would run the old apply's delete after the new apply, taking the options out)", async () => {
    const before = await declare({});
    for (const change of [{ host: "10.0.0.6" }, { hostKey: testHostKey(2) }]) {
      const step = commandStep(before, await declare(change));
      expect(step).toMatchObject({ step: "update", changed: ["connection"] });
      expect(step.step === "update" && step.runs).toBe(before.inputs.create);
    }
    const values = commandStep(before, await declare({}, "10.0.0.9:4000"));
    expect(values).toMatchObject({ step: "update", changed: ["stdin"] });
    expect(values.step === "update" && values.runs).toBe(before.inputs.create);
    // destroy runs the editor's remove with the last request.
    expect(String(before.inputs.delete)).toMatch(/ remove$/);
  });
});
