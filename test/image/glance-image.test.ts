// GlanceImage under Pulumi mocks: the runbook's `openstack image create` as a declared resource (private, bare,
// the build's format, tags trove + datastores), and a new upload only when the image's checksum changes.

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { GLANCE_HISTORY_TYPE, glanceHistoryCreated, installMocks, MockState, valueOf } from "../support/pulumi-mocks";
import { testHostKey } from "../support/ssh-keys";

const SHA = "b".repeat(64);
let mocks: MockState;
let g: typeof import("../../components/image/glance-image.js");
let b: typeof import("../../components/image/guest-image-build.js");

beforeAll(async () => {
  mocks = await installMocks({
    // A fetch reports the local copy; a build reports the file on its host; the history serves the upload.
    outputs: (type, name, inputs) =>
      type.startsWith("command:")
        ? {
            stdout: `{"path":"${name.endsWith("-fetch") ? "/var/tmp/pulumi-trove-images/guest.qcow2" : "/root/images/guest.qcow2"}","sha256":"${SHA}","sizeBytes":99}`,
          }
        : type === GLANCE_HISTORY_TYPE
          ? glanceHistoryCreated(inputs)
          : undefined,
  });
  b = await import("../../components/image/guest-image-build.js");
  g = await import("../../components/image/glance-image.js");
});

describe("GlanceImage", () => {
  it("uploads the built image as the runbook does: private, bare, its format, tags trove and each datastore", async () => {
    const build = new b.GuestImageBuild("guest", { buildCheckout: { dir: "/opt/stack/trove", ref: "master" } });
    const image = new g.GlanceImage("guest", { image: build, datastores: ["mysql", "postgresql"] });
    const declared = await mocks.waitFor("guest-image");
    expect(declared.type).toBe("openstack:images/image:Image");
    expect(declared.inputs).toMatchObject({
      name: "trove-guest-ubuntu-jammy",
      visibility: "private",
      diskFormat: "qcow2",
      containerFormat: "bare",
      tags: ["trove", "mysql", "postgresql"],
      localFilePath: "/root/images/guest.qcow2",
      verifyChecksum: true,
      protected: false,
      imageCachePath: "/var/tmp/pulumi-trove-image-cache",
      properties: { [g.SHA256_PROPERTY]: SHA },
    });
    expect(await valueOf(image.imageId)).toBe("guest-image-id");
    expect(await valueOf(image.tags)).toEqual(["trove", "mysql", "postgresql"]);
  });

  it("uploads a remote build from its local copy, after the copy", async () => {
    const build = new b.GuestImageBuild("far", {
      buildCheckout: { dir: "/opt/stack/trove", ref: "m" },
      buildHost: { host: "10.0.0.5", user: "stack", privateKey: "KEY", hostKey: testHostKey() },
    });
    new g.GlanceImage("far", { image: build, datastores: ["mysql"] });
    const declared = await mocks.waitFor("far-image");
    expect(declared.inputs).toMatchObject({
      localFilePath: "/var/tmp/pulumi-trove-images/guest.qcow2",
      properties: { [g.SHA256_PROPERTY]: SHA },
    });
    expect(declared.dependsOn).toContain("far-fetch");
  });

  it("takes an image given by hand, with its own name, format and properties", async () => {
    new g.GlanceImage("byhand", {
      image: { path: "/srv/guest.raw", diskFormat: "raw", sha256: SHA },
      datastores: ["mariadb"],
      name: "guest-2024",
      visibility: "shared",
      properties: { hw_rng_model: "virtio" },
      minDiskGb: 5,
    });
    expect((await mocks.waitFor("byhand-image")).inputs).toMatchObject({
      name: "guest-2024",
      diskFormat: "raw",
      visibility: "shared",
      tags: ["trove", "mariadb"],
      minDiskGb: 5,
      properties: { hw_rng_model: "virtio", [g.SHA256_PROPERTY]: SHA },
    });
  });

  it("lets Glance import a published URL", async () => {
    const build = new b.GuestImageBuild("pub", { imageUrl: "https://images.example.com/guest.qcow2" });
    new g.GlanceImage("pub", { image: build, datastores: ["mysql"] });
    const declared = await mocks.waitFor("pub-image");
    expect(declared.inputs.imageSourceUrl).toBe("https://images.example.com/guest.qcow2");
    expect(declared.inputs.localFilePath).toBeUndefined();
    // Downloaded by the machine running pulumi into a fixed cache directory (not $HOME-dependent), checked on upload;
    // not Glance's web-download, which the provider cannot checksum.
    expect(declared.inputs).toMatchObject({ imageCachePath: g.GLANCE_IMAGE_CACHE_PATH, verifyChecksum: true });
    expect(declared.inputs.webDownload).toBeUndefined();
  });

  it("keeps the last 2 images by default: the upload stays in Glance when replaced, a history resource owns the tags and serves the newest", async () => {
    new g.GlanceImage("rot", {
      image: { path: "/srv/guest.qcow2", diskFormat: "qcow2", sha256: SHA },
      datastores: ["mysql"],
      cloud: "lab",
      region: "RegionOne",
    });
    const history = await mocks.waitFor("rot-history");
    expect(history.type).toBe(GLANCE_HISTORY_TYPE);
    expect(history.inputs).toMatchObject({
      uploadedId: "rot-image-id",
      keep: 2,
      tags: ["trove", "mysql"],
      serve: "newest",
      keepImageIds: [],
      checkTrovePins: true,
      cloud: "lab",
      region: "RegionOne",
    });
    // The quota check comes before the upload.
    expect((await mocks.waitFor("rot-image")).dependsOn).toContain("rot-quota");
    expect((await mocks.waitFor("rot-quota")).inputs).toMatchObject({
      label: 'GlanceImage "rot" (trove-guest-ubuntu-jammy)',
      sha256: SHA,
      cloud: "lab",
    });
  });

  it("takes keepImages, serve, keepImageIds and retainedDatastores (tags after trove and the datastores, each once)", async () => {
    const pinned = "0b5a3d6e-8c1f-4f7a-9d2e-3c4b5a6d7e8f";
    const image = new g.GlanceImage("back", {
      image: { path: "/srv/guest.qcow2", diskFormat: "qcow2" },
      datastores: ["mysql", "mariadb"],
      keepImages: 3,
      serve: "previous",
      keepImageIds: [pinned],
      retainedDatastores: Promise.resolve(["postgresql", "mysql", "postgresql"]),
      checkTrovePins: false,
    });
    expect((await mocks.waitFor("back-history")).inputs).toMatchObject({
      keep: 3,
      serve: "previous",
      keepImageIds: [pinned],
      checkTrovePins: false,
      tags: ["trove", "mysql", "mariadb", "postgresql"],
    });
    expect((await mocks.waitFor("back-image")).inputs.tags).toEqual(["trove", "mysql", "mariadb", "postgresql"]);
    expect(await valueOf(image.tags)).toEqual(["trove", "mysql", "mariadb", "postgresql"]);
  });

  it("sets hw_rng_model, os_distro and os_version by default, under the given properties, and min_disk from the file's virtual size", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "glance-image-")), "guest.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", file, "5121M"]);
    new g.GlanceImage("noble", {
      image: { path: file, diskFormat: "qcow2", sha256: SHA },
      datastores: ["mysql"],
      guestOsRelease: "noble",
      properties: { hw_rng_model: "none" },
    });
    const declared = await mocks.waitFor("noble-image");
    expect(declared.inputs).toMatchObject({
      name: "trove-guest-ubuntu-noble",
      minDiskGb: 6,
      properties: { hw_rng_model: "none", os_distro: "ubuntu", os_version: "24.04", [g.SHA256_PROPERTY]: SHA },
    });
    expect((await mocks.waitFor("noble-quota")).inputs.sizeBytes).toBe(statSync(file).size);
    rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it("a given minDiskGb wins over the file's size; an image by URL gets no quota check (its size is not known here)", async () => {
    new g.GlanceImage("given", {
      image: { url: "https://images.example.com/g.qcow2", diskFormat: "qcow2" },
      datastores: ["mysql"],
      minDiskGb: 20,
    });
    expect((await mocks.waitFor("given-image")).inputs.minDiskGb).toBe(20);
    expect(mocks.resources.find((r) => r.name === "given-quota")).toBeUndefined();
  });

  it("tags each datastore once, trove first", () => {
    expect(g.glanceImageTags(["mysql", "mariadb", "mysql"])).toEqual(["trove", "mysql", "mariadb"]);
  });

  describe("rejects bad input at construction", () => {
    const image = { path: "/srv/guest.qcow2", diskFormat: "qcow2" };
    it.each([
      [
        "no datastore",
        { image, datastores: [] },
        /datastores "\[\]" is not valid \(list at least one datastore \(known: mariadb, mysql, postgresql\)\)/,
      ],
      [
        "an unknown datastore",
        { image, datastores: ["mongodb"] },
        /datastores\[0\] "mongodb" is not valid \(known: mariadb, mysql, postgresql\)/,
      ],
      [
        "a name Glance and shells choke on",
        { image, datastores: ["mysql"], name: "guest; rm -rf /" },
        /name "guest; rm -rf \/" is not valid/,
      ],
      [
        "an unknown disk format",
        { image: { path: "/x.iso", diskFormat: "iso" }, datastores: ["mysql"] },
        /image.diskFormat "iso" is not valid \(allowed: qcow2, raw, vhd\)/,
      ],
      [
        "the reserved checksum property",
        { image, datastores: ["mysql"], properties: { trove_guest_image_sha256: "x" } },
        /reserved/,
      ],
      [
        "protected, which would make the next new image's replacement fail",
        { image, datastores: ["mysql"], protected: true },
        /GlanceImage "bad": protected "true" is not valid \(a new image checksum replaces the image: the new one is uploaded, then the old one deleted, and Glance refuses to delete a protected image/,
      ],
      [
        "both a path and a url",
        { image: { ...image, url: "https://example.com/g.qcow2" }, datastores: ["mysql"] },
        /image.path "\/srv\/guest.qcow2" is not valid \(give exactly one of path and url\)/,
      ],
      [
        "a property name Glance refuses",
        { image, datastores: ["mysql"], properties: { "hw rng": "virtio" } },
        /properties.hw rng "hw rng" is not valid \(key not allowed: expected letters, digits/,
      ],
      [
        "a negative minimum disk",
        { image, datastores: ["mysql"], minDiskGb: -1 },
        /minDiskGb "-1" is not valid \(expected a whole number from 0 to 100000\)/,
      ],
      [
        "a fractional minimum RAM",
        { image, datastores: ["mysql"], minRamMb: 1.5 },
        /minRamMb "1.5" is not valid \(expected a whole number from 0 to 100000000\)/,
      ],
      [
        "a keepImages count out of range",
        { image, datastores: ["mysql"], keepImages: -1 },
        /keepImages "-1" is not valid \(expected a whole number from 0 to 100\)/,
      ],
      [
        "a serve that is no image",
        { image, datastores: ["mysql"], serve: "oldest" },
        /serve "oldest" is not valid \(expected newest, previous or a Glance image id\)/,
      ],
      [
        "a retained datastore too long for a Trove tag",
        { image, datastores: ["mysql"], retainedDatastores: ["a".repeat(21)] },
        /retainedDatastores\[0\] "a{21}" is not valid/,
      ],
      [
        "a visibility Glance lacks",
        { image, datastores: ["mysql"], visibility: "secret" },
        /visibility "secret" is not valid \(allowed: private, shared, community, public\)/,
      ],
    ])("%s", (_label, args, message) => {
      expect(() => new g.GlanceImage("bad", args as never)).toThrow(message);
    });

    it("a remote build whose image stays on the build host", () => {
      const remote = new b.GuestImageBuild("kept", {
        buildCheckout: { dir: "/opt/stack/trove", ref: "m" },
        buildHost: { host: "10.0.0.5", user: "stack", hostKey: testHostKey() },
        fetchImage: false,
      });
      expect(() => new g.GlanceImage("kept", { image: remote, datastores: ["mysql"] })).toThrow(
        /GlanceImage "kept": image "remote build with fetchImage: false" is not valid \(the image stays on the build host, and Glance uploads from where pulumi runs/,
      );
    });
  });
});
