// GlanceImage's rotation with rollback, against the lab's real Glance (and Trove, for the lookup and the pins): a
// one-resource Pulumi program run by the test engine (test/support/engine) as `pulumi preview`, `up` and `destroy`
// run it, the upload through the `openstack` CLI as @pulumi/openstack documents it, the history through Pulumi's own
// dynamic-provider host talking to Glance's REST API. Which image Trove serves is asked of Trove's own code
// (trove.common.glance.get_image_id), with a tag of this run's own (retainedDatastores), so other images in the lab
// do not count. The image's datastore tag is the run's own too: an image tagged `mysql` here would be what Trove's
// lookup serves to the other tests' mysql versions in the same lab while it lives (their lanes run side by side).

import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { PulumiEngine } from "../support/engine/engine";
import { ensureLab, Lab, labReleases } from "../support/lab";
import { deleteImage, glanceSession, imageIdsNamed, showImage } from "../support/glance-rest";
import { imageTroveFinds } from "../support/openstack-apply";
import { troveRest } from "../support/trove-rest";

const ROOT = path.join(__dirname, "..", "..");
const PROJECT = "glance-rotation-test";
const HISTORY = "pulumi-nodejs:dynamic/pulumi-trove:GlanceImageHistory";
const QUOTA = "pulumi-nodejs:dynamic/pulumi-trove:GlanceQuotaCheck";

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { GlanceImage } from ${JSON.stringify(path.join(ROOT, "components", "image", "glance-image"))};
import { DatastoreCatalog, defaultCatalog } from ${JSON.stringify(path.join(ROOT, "components", "catalog", "catalog"))};
const { datastore, ...settings } = new pulumi.Config().requireObject<Record<string, unknown>>("settings");
// The run's own datastore, defined as an operator defines one of their own: mysql's definition under another name.
const catalog = new DatastoreCatalog([{ ...defaultCatalog.get("mysql"), name: datastore as string }]);
const image = new GlanceImage("rot", { ...settings, datastores: [datastore], catalog, cloud: "trove-lab" } as never);
export const imageId = image.imageId;
export const uploadedImageId = image.uploadedImageId;
export const keptImageIds = image.keptImageIds;
export const tags = image.tags;
`;

interface Shown {
  id: string;
  status: string;
  tags: string[];
  min_disk: number;
  properties?: Record<string, unknown>;
  os_distro?: string;
  hw_rng_model?: string;
}

/** One stack of the rotation program in a directory of its own, against one lab. */
class RotationStack {
  readonly dir: string;
  readonly engine: PulumiEngine;
  readonly name: string;
  readonly tag: string;
  /** The datastore the image is for: the run's own name, no datastore the other tests' versions look up. */
  readonly datastore: string;
  private files = 0;

  constructor(
    readonly lab: Lab,
    readonly stack: string,
  ) {
    this.dir = mkdtempSync(path.join(tmpdir(), "glance-rotation-"));
    symlinkSync(path.join(ROOT, "node_modules"), path.join(this.dir, "node_modules"));
    writeFileSync(
      path.join(this.dir, "Pulumi.yaml"),
      stringify({ name: PROJECT, runtime: { name: "nodejs", options: { typescript: true } }, main: "index.ts" }),
    );
    writeFileSync(
      path.join(this.dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          types: ["node"],
          rootDir: "/",
          esModuleInterop: true,
          skipLibCheck: true,
          strict: true,
        },
      }),
    );
    writeFileSync(path.join(this.dir, "index.ts"), PROGRAM);
    mkdirSync(path.join(this.dir, "images"));
    const run = randomBytes(3).toString("hex");
    this.name = `trove-guest-rot-${stack}-${run}`;
    this.tag = `rot${run}`;
    this.datastore = `rotds${run}`;
    const env: NodeJS.ProcessEnv = { ...process.env, OS_CLIENT_CONFIG_FILE: lab.cloudsYaml };
    for (const k of Object.keys(env)) if (/^OS_/.test(k) && k !== "OS_CLIENT_CONFIG_FILE") delete env[k];
    this.engine = new PulumiEngine({ root: this.dir, stack, env });
  }

  /** A new guest image file (each a different size, so a different sha256), as a build would leave it. */
  newImage(): { path: string; diskFormat: string; sha256: string } {
    const file = path.join(this.dir, "images", `guest-${++this.files}.qcow2`);
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", file, `${15 + this.files}M`]);
    return { path: file, diskFormat: "qcow2", sha256: createHash("sha256").update(readFileSync(file)).digest("hex") };
  }

  /** Writes the stack's settings (GlanceImageArgs but the datastores and cloud), as `pulumi config set` would. */
  configure(settings: Record<string, unknown>): void {
    const config = {
      "openstack:cloud": "trove-lab",
      [`${PROJECT}:settings`]: {
        name: this.name,
        datastore: this.datastore,
        retainedDatastores: [this.tag],
        ...settings,
      },
    };
    writeFileSync(path.join(this.dir, `Pulumi.${this.stack}.yaml`), stringify({ config }));
  }

  get outputs(): { imageId: string; uploadedImageId: string; keptImageIds: string[]; tags: string[] } {
    return this.engine.stackOutputs as never;
  }

  /** The image Trove's own lookup serves for this run's tags. */
  troveServes(): string {
    return imageTroveFinds(this.lab, ["trove", this.datastore, this.tag]);
  }

  /** Glance's REST API (the CLI spends seconds starting, three labs at once). */
  private glance() {
    return glanceSession({ OS_CLIENT_CONFIG_FILE: this.lab.cloudsYaml }, this.lab.cloud);
  }

  async show(id: string): Promise<Shown | undefined> {
    return (await showImage(await this.glance(), id)) as Shown | undefined;
  }

  /** This run's images in Glance, by id. */
  async images(): Promise<string[]> {
    return imageIdsNamed(await this.glance(), this.name);
  }

  async up(): Promise<void> {
    const r = await this.engine.up();
    expect(r.errors, r.programOutput).toEqual([]);
  }

  async cleanUp(): Promise<void> {
    if (this.engine.state.length > 0) await this.engine.destroy().catch(() => undefined);
    const session = await this.glance();
    for (const id of await this.images()) await deleteImage(session, id);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

for (const release of labReleases()) {
  describe.concurrent(`GlanceImage rotation against the ${release} lab's Glance and Trove`, () => {
    // The releases run side by side (each its own lab); the steps of one release, in order.
    describe.sequential("in order", () => {
      let lab: Lab;
      const stacks: RotationStack[] = [];
      const versions: string[] = [];

      beforeAll(() => {
        lab = ensureLab(release);
      });

      afterAll(async () => {
        const api = await troveRest(lab);
        for (const v of versions) await api.deleteVersion(v).catch(() => undefined); // deleted by the test
        for (const s of stacks) await s.cleanUp();
        lab.release();
      }, 180_000);

      it("keeps 2 images across 3 builds (the old one untagged, so Trove serves the newest), rolls back and forward with one setting, keeps an image a version pins until it is unpinned, and destroy deletes them all", async () => {
        const s = new RotationStack(lab, "keep2");
        stacks.push(s);
        const [a, b, c, d, e] = [s.newImage(), s.newImage(), s.newImage(), s.newImage(), s.newImage()];
        const all = ["trove", s.datastore, s.tag];

        // Build 1: uploaded with the default properties and min_disk, tagged, served.
        s.configure({ image: a });
        await s.up();
        const id1 = s.outputs.imageId;
        expect(s.outputs).toMatchObject({ uploadedImageId: id1, keptImageIds: [id1], tags: all });
        expect(s.troveServes()).toBe(id1);
        const first = (await s.show(id1))!;
        expect(first).toMatchObject({ status: "active", min_disk: 1 });
        expect(first.properties ?? first).toMatchObject({
          hw_rng_model: "virtio",
          os_distro: "ubuntu",
          os_version: "22.04",
        });
        // The quota check ran before the upload and found no quota to compare with (the lab has no unified limits).
        expect(s.engine.ofType(QUOTA)[0]!.outputs).toMatchObject({ checked: "no quota reported (unified limits off)" });

        // Build 2: the preview says what happens (the upload replaced, the history updated); the old image stays, untagged.
        s.configure({ image: b });
        const preview = await s.engine.preview();
        expect(preview.errors).toEqual([]);
        expect(preview.changes.map((c) => [c.op, c.name])).toEqual([
          ["update", "rot-quota"],
          ["replace", "rot-image"],
          ["update", "rot-history"],
        ]);
        await s.up();
        const id2 = s.outputs.imageId;
        expect(id2).not.toBe(id1);
        expect(s.outputs.keptImageIds).toEqual([id2, id1]);
        expect(await s.show(id1)).toMatchObject({ status: "active", tags: [] });
        expect([...(await s.show(id2))!.tags].sort()).toEqual([...all].sort());
        expect(s.troveServes()).toBe(id2);

        // Build 3: only 2 kept; the oldest is deleted from Glance.
        s.configure({ image: c });
        await s.up();
        const id3 = s.outputs.imageId;
        expect(s.outputs.keptImageIds).toEqual([id3, id2]);
        expect(await s.show(id1)).toBeUndefined();
        expect(await s.images()).toEqual([id2, id3].sort());
        expect((await s.show(id2))!.tags).toEqual([]);
        expect(s.troveServes()).toBe(id3);

        // Rollback: `pulumi config set --path 'glanceImage.serve' previous` (here: the GlanceImage's own setting).
        s.configure({ image: c, serve: "previous" });
        const back = await s.engine.preview();
        expect(back.errors).toEqual([]);
        expect(back.changes.map((ch) => [ch.op, ch.name, ch.changes])).toEqual([["update", "rot-history", ["serve"]]]);
        await s.up();
        expect(s.outputs.imageId).toBe(id2);
        expect(s.troveServes()).toBe(id2);
        expect(await s.show(id3)).toMatchObject({ status: "active", tags: [] });
        expect(await s.images()).toEqual([id2, id3].sort());

        // And forward again.
        s.configure({ image: c });
        await s.up();
        expect(s.outputs.imageId).toBe(id3);
        expect(s.troveServes()).toBe(id3);

        // A Trove version pinning the older image by id keeps it beyond the count, until it is deleted.
        const api = await troveRest(lab);
        const pinId = await api.createVersion("mysql", `rot-pin-${s.tag}`, [], id2);
        versions.push(pinId);
        s.configure({ image: d });
        await s.up();
        const id4 = s.outputs.imageId;
        expect(s.outputs.keptImageIds).toEqual([id4, id3, id2]);
        expect(s.engine.ofType(HISTORY)[0]!.outputs).toMatchObject({ pinnedIds: [id2] });
        expect(await s.show(id2)).toMatchObject({ status: "active", tags: [] });
        expect(s.troveServes()).toBe(id4);
        await api.deleteVersion(pinId);
        s.configure({ image: e });
        await s.up();
        const id5 = s.outputs.imageId;
        expect(s.outputs.keptImageIds).toEqual([id5, id4]);
        expect(await s.images()).toEqual([id4, id5].sort());

        // destroy deletes every image the history kept (the upload resource retains its own, the history deletes it).
        const destroy = await s.engine.destroy();
        expect(destroy.errors).toEqual([]);
        expect(await s.images()).toEqual([]);
      }, 600_000);

      it("keepImages 0 keeps the earlier behaviour: the old image is deleted as soon as the new one serves", async () => {
        const s = new RotationStack(lab, "keep0");
        stacks.push(s);
        s.configure({ image: s.newImage(), keepImages: 0 });
        await s.up();
        const id1 = s.outputs.imageId;
        s.configure({ image: s.newImage(), keepImages: 0 });
        await s.up();
        const id2 = s.outputs.imageId;
        expect(id2).not.toBe(id1);
        expect(s.outputs.keptImageIds).toEqual([id2]);
        expect(await s.images()).toEqual([id2]);
        expect(s.troveServes()).toBe(id2);
        const destroy = await s.engine.destroy();
        expect(destroy.errors).toEqual([]);
        expect(await s.images()).toEqual([]);
      }, 300_000);

      it("refuses a rollback with nothing to roll back to at preview, naming serve", async () => {
        const s = new RotationStack(lab, "norollback");
        stacks.push(s);
        const a = s.newImage();
        s.configure({ image: a, keepImages: 0 });
        await s.up();
        s.configure({ image: a, keepImages: 0, serve: "previous" });
        const preview = await s.engine.preview();
        expect(preview.errors.join("\n")).toMatch(
          /serve "previous": no image before [0-9a-f-]{36} is kept \(kept: [0-9a-f-]{36}\); keepImages must be at least 2/,
        );
        await s.engine.destroy();
        expect(await s.images()).toEqual([]);
      }, 300_000);
    });
  });
}
