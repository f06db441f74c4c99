// TroveGuestPipeline under Pulumi mocks: one build shared by every datastore, one Glance image per region tagged for
// every datastore, and the errors `pulumi preview` shows for a bad datastore list.

import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, MockState, valueOf } from "./support/pulumi-mocks.js";

const SHA = "c".repeat(64);
let mocks: MockState;
let p: typeof import("../components/pipeline.js");

beforeAll(async () => {
  mocks = await installMocks({
    outputs: (type) => (type.startsWith("command:") ? { stdout: `{"path":"/root/images/guest.qcow2","sha256":"${SHA}","sizeBytes":99}` } : undefined),
  });
  p = await import("../components/pipeline.js");
});

const guestImage = { troveSourceDir: "/opt/stack/trove", troveRef: "stable/2024.1" };
const versions = [
  { datastore: "mysql", version: "5.7.29", default: true },
  { datastore: "mysql", version: "8.0" },
  { datastore: "postgresql", version: "12" },
];

describe("TroveGuestPipeline", () => {
  it("builds once and uploads one Glance image tagged for every datastore", async () => {
    const pipeline = new p.TroveGuestPipeline("one", { versions, guestImage });
    await mocks.waitFor("one-glance-image");
    expect(mocks.resources.filter((r) => r.name.startsWith("one-") && r.type.startsWith("command:"))).toHaveLength(1);
    expect(mocks.named("one-glance-image").inputs.tags).toEqual(["trove", "mysql", "postgresql"]);
    expect(await valueOf(pipeline.glanceImageIds)).toEqual({ default: "one-glance-image-id" });
  });

  it("feeds several regions from one build", async () => {
    const pipeline = new p.TroveGuestPipeline("two", { versions, guestImage, regions: [{ name: "east" }, { name: "west" }] });
    await mocks.waitFor("two-glance-west-image");
    expect(mocks.resources.filter((r) => r.name.startsWith("two-") && r.type.startsWith("command:"))).toHaveLength(1);
    expect(await valueOf(pipeline.glanceImageIds)).toEqual({ east: "two-glance-east-image-id", west: "two-glance-west-image-id" });
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
    ])("%s", (_label, extra, message) => {
      expect(() => new p.TroveGuestPipeline("bad", { guestImage, ...(extra as object) } as never)).toThrow(message);
    });
  });
});
