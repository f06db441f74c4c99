// TroveGuestPipeline under Pulumi mocks: one build shared by every datastore, one Glance image per region tagged for
// every datastore, and the errors `pulumi preview` shows for a bad datastore list.

import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, MockState, valueOf } from "./support/pulumi-mocks.js";

const SHA = "c".repeat(64);
let mocks: MockState;
let p: typeof import("../components/pipeline.js");

beforeAll(async () => {
  mocks = await installMocks({
    outputs: (type, name, inputs) => {
      if (name.includes("-mirror-") || name.includes("-backup-")) {
        const ref = /dst='?docker:\/\/([^'\s;]+)/.exec(String(inputs.create))?.[1] ?? /ref='?([^'\n]+)/.exec(String(inputs.create))?.[1];
        return { stdout: JSON.stringify({ reference: ref, digest: `sha256:${"f".repeat(64)}` }) };
      }
      if (type.startsWith("command:")) return { stdout: `{"path":"/root/images/guest.qcow2","sha256":"${SHA}","sizeBytes":99}` };
      if (type === "docker:index/remoteImage:RemoteImage") return { imageId: "sha256:registry" };
      return undefined;
    },
  });
  p = await import("../components/pipeline.js");
});

const guestImage = { troveSourceDir: "/opt/stack/trove", troveRef: "stable/2024.1" };
const base = { guestImage, registry: { local: { advertisedHost: "10.0.0.5" } }, datastoreImages: { troveSourceDir: "/opt/stack/trove" } };
const versions = [
  { datastore: "mysql", version: "5.7.29", default: true },
  { datastore: "mysql", version: "8.0" },
  { datastore: "postgresql", version: "12" },
];

describe("TroveGuestPipeline", () => {
  it("builds once and uploads one Glance image tagged for every datastore", async () => {
    const pipeline = new p.TroveGuestPipeline("one", { ...base, versions });
    await mocks.waitFor("one-glance-image");
    expect(mocks.resources.filter((r) => r.name.startsWith("one-guest") && r.type.startsWith("command:"))).toHaveLength(1);
    expect(mocks.named("one-glance-image").inputs.tags).toEqual(["trove", "mysql", "postgresql"]);
    expect(await valueOf(pipeline.glanceImageIds)).toEqual({ default: "one-glance-image-id" });
  });

  it("feeds several regions from one build", async () => {
    const pipeline = new p.TroveGuestPipeline("two", { ...base, versions, regions: [{ name: "east" }, { name: "west" }] });
    await mocks.waitFor("two-glance-west-image");
    expect(mocks.resources.filter((r) => r.name.startsWith("two-guest") && r.type.startsWith("command:"))).toHaveLength(1);
    expect(await valueOf(pipeline.glanceImageIds)).toEqual({ east: "two-glance-east-image-id", west: "two-glance-west-image-id" });
  });

  it("publishes every version's images to its registry and configures Trove with the same names", async () => {
    const pipeline = new p.TroveGuestPipeline("full", { ...base, versions, datastoreImages: { troveSourceDir: "/opt/stack/trove", backupTag: "1.1.0" } });
    expect(await valueOf(pipeline.registryAddress)).toBe("10.0.0.5:4000");
    const refs = await valueOf(pipeline.imageReferences);
    expect(Object.keys(refs)).toEqual(["mysql:5.7.29", "mysql:8.0", "postgresql:12"]);
    expect(refs["mysql:5.7.29"]).toMatchObject({ database: "10.0.0.5:4000/trove-datastores/mysql:5.7.29", backup: "10.0.0.5:4000/trove-datastores/db-backup-mysql5.7:1.1.0" });
    const guestConf = await valueOf(pipeline.troveConfig!.guestAgentConf);
    expect(guestConf).toContain("[mysql]\ndocker_image = 10.0.0.5:4000/trove-datastores/mysql\nbackup_docker_image = 10.0.0.5:4000/trove-datastores/db-backup-mysql:1.1.0\n");
    expect(guestConf).toContain("[guest_agent]\ncontainer_registry = 10.0.0.5:4000\n");
    expect(await valueOf(pipeline.troveConfig!.troveConf)).toBe("[DEFAULT]\ndocker_insecure_registries = 10.0.0.5:4000\n");
    expect(pipeline.datastoreVersions["mysql:5.7.29"]).toEqual({ datastore: "mysql", name: "5.7.29", version: "5.7.29", manager: "mysql", imageTags: ["trove", "mysql"], default: true, active: true });
    expect((await mocks.waitFor("full-registry-container")).inputs.networkMode).toBe("host");
  });

  it("uses an existing registry instead of running one", async () => {
    const pipeline = new p.TroveGuestPipeline("ext", { ...base, versions: [{ datastore: "mariadb", version: "10.4" }], registry: { existing: { address: "registry.example.com:443", insecure: false } }, troveConfig: false });
    expect(await valueOf(pipeline.registryAddress)).toBe("registry.example.com:443");
    expect(pipeline.localRegistry).toBeUndefined();
    expect(pipeline.troveConfig).toBeUndefined();
  });

  describe("rejects bad input at construction", () => {
    it.each([
      ["no versions", { versions: [] }, /versions "\[\]" is not valid \(list at least one datastore version/],
      ["an unknown datastore", { versions: [{ datastore: "oracle", version: "19" }] }, /versions\[0\].datastore "oracle" is not valid \(known: mariadb, mysql, postgresql\)/],
      ["a malformed version", { versions: [{ datastore: "mysql", version: "5.7-latest" }] }, /versions\[0\].version "5.7-latest" is not valid \(expected 1 to 4 dot-separated numbers/],
      ["a version twice", { versions: [{ datastore: "mysql", version: "8.0" }, { datastore: "mysql", version: "8.0" }] }, /versions "mysql:8.0" is not valid \(each datastore version once\)/],
      ["two defaults for one datastore", { versions: [{ datastore: "mysql", version: "8.0", default: true }, { datastore: "mysql", version: "5.7.29", default: true }] }, /at most one default version per datastore/],
      ["an unknown Trove release", { versions, troveRelease: "victoria" }, /troveRelease "victoria" is not valid \(known releases: zed, 2023.1/],
      ["a region name with spaces", { versions, regions: [{ name: "Region One" }] }, /regions\[0\].name "Region One"/],
      ["two registries", { versions, registry: { local: { advertisedHost: "10.0.0.5" }, existing: { address: "r:1", insecure: true } } }, /registry .* \(give exactly one of local and existing\)/],
    ])("%s", (_label, extra, message) => {
      expect(() => new p.TroveGuestPipeline("bad", { ...base, ...(extra as object) } as never)).toThrow(message);
    });
  });
});
