// The pure parts of GlanceImage's rotation and upload checks: which image serves and which stay (planRotation), the
// tag changes per image, the quota comparison, and the defaults read from the image and its guest OS.

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  diffHistory,
  ImageHistoryInputs,
  planRotation,
  quotaProblem,
  quotaVerdict,
  tagChanges,
} from "../../components/image/glance-rotation";
import { glanceApiBase, glanceMessage } from "../../components/image/glance-client";
import {
  defaultImageProperties,
  minDiskGbFor,
  parseQemuImgInfo,
  readImageFileFacts,
} from "../../components/image/image-facts";

const inputs = (over: Partial<ImageHistoryInputs>): ImageHistoryInputs => ({
  uploadedId: "c",
  keep: 2,
  tags: ["trove", "mysql"],
  serve: "newest",
  keepImageIds: [],
  checkTrovePins: true,
  ...over,
});

describe("planRotation", () => {
  it("a first upload serves alone", () => {
    expect(planRotation(undefined, inputs({ uploadedId: "a" }))).toEqual({
      history: ["a"],
      servingId: "a",
      retired: [],
      deleted: [],
      pinnedIds: [],
    });
  });

  it("keeps 2 of 3 builds with keep 2: the newest serves, the one before is retired, the oldest deleted", () => {
    const second = planRotation({ history: ["a"], servingId: "a", serve: "newest" }, inputs({ uploadedId: "b" }));
    expect(second).toEqual({ history: ["b", "a"], servingId: "b", retired: ["a"], deleted: [], pinnedIds: [] });
    const third = planRotation({ ...second, serve: "newest" }, inputs({ uploadedId: "c" }));
    expect(third).toEqual({ history: ["c", "b"], servingId: "c", retired: ["b"], deleted: ["a"], pinnedIds: [] });
  });

  it("keep 0 and keep 1 keep the serving image only", () => {
    for (const keep of [0, 1])
      expect(
        planRotation({ history: ["a"], servingId: "a", serve: "newest" }, inputs({ uploadedId: "b", keep })),
      ).toEqual({ history: ["b"], servingId: "b", retired: [], deleted: ["a"], pinnedIds: [] });
  });

  it("keeps an image a Trove version pins, or keepImageIds names, beyond the count", () => {
    const prev = { history: ["b", "a"], servingId: "b", serve: "newest" };
    expect(planRotation(prev, inputs({ uploadedId: "c" }), new Set(["a"]))).toEqual({
      history: ["c", "b", "a"],
      servingId: "c",
      retired: ["b", "a"],
      deleted: [],
      pinnedIds: ["a"],
    });
    expect(planRotation(prev, inputs({ uploadedId: "c", keep: 0, keepImageIds: ["a"] }))).toMatchObject({
      history: ["c", "a"],
      deleted: ["b"],
      pinnedIds: ["a"],
    });
  });

  it("rolls back to the image before the serving one, and stays there through later uploads until newest is set", () => {
    const rolled = planRotation(
      { history: ["b", "a"], servingId: "b", serve: "newest" },
      inputs({ uploadedId: "b", serve: "previous" }),
    );
    expect(rolled).toEqual({ history: ["b", "a"], servingId: "a", retired: ["b"], deleted: [], pinnedIds: [] });
    // A new upload while rolled back: recorded, not served; the serving image is kept although beyond the count.
    const later = planRotation({ ...rolled, serve: "previous" }, inputs({ uploadedId: "c", serve: "previous" }));
    expect(later).toEqual({
      history: ["c", "b", "a"],
      servingId: "a",
      retired: ["c", "b"],
      deleted: [],
      pinnedIds: [],
    });
    const forward = planRotation({ ...later, serve: "previous" }, inputs({ uploadedId: "c", serve: "newest" }));
    expect(forward).toEqual({ history: ["c", "b"], servingId: "c", retired: ["b"], deleted: ["a"], pinnedIds: [] });
  });

  it("serves an image named by id among the kept ones", () => {
    expect(
      planRotation({ history: ["b", "a"], servingId: "b", serve: "newest" }, inputs({ uploadedId: "b", serve: "a" }))
        .servingId,
    ).toBe("a");
  });

  it("refuses a rollback with nothing kept to roll back to, and an id it does not keep, naming serve", () => {
    expect(() =>
      planRotation({ history: ["a"], servingId: "a", serve: "newest" }, inputs({ uploadedId: "a", serve: "previous" })),
    ).toThrow(/serve "previous": no image before a is kept \(kept: a\)/);
    expect(() => planRotation(undefined, inputs({ uploadedId: "a", serve: "previous" }))).toThrow(
      /serve "previous": no image before a is kept \(kept: none\)/,
    );
    expect(() =>
      planRotation({ history: ["b", "a"], servingId: "b", serve: "newest" }, inputs({ uploadedId: "b", serve: "zzz" })),
    ).toThrow(/serve "zzz": not an image this GlanceImage uploaded and still keeps \(kept: b, a\)/);
  });

  it("always keeps the serving image and at most max(keep, 1) others unless pinned (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uuid(), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 5 }),
        fc.uuid(),
        (ids, keep, upload) => {
          const history = [...new Set(ids)];
          const plan = planRotation(
            { history, servingId: history[0]!, serve: "newest" },
            inputs({ uploadedId: upload, keep }),
          );
          expect(plan.servingId).toBe(upload);
          expect(plan.history[0]).toBe(upload);
          expect(plan.history.length).toBeLessThanOrEqual(Math.max(keep, 1));
          expect([...plan.history, ...plan.deleted].sort()).toEqual([...new Set([upload, ...history])].sort());
        },
      ),
    );
  });
});

describe("tagChanges", () => {
  it("adds what the serving image lacks and removes only tags this stack manages", () => {
    expect(tagChanges(["trove", "other"], ["trove", "mysql"], ["trove", "mysql", "postgresql"])).toEqual({
      add: ["mysql"],
      remove: [],
    });
    expect(
      tagChanges(["trove", "mysql", "postgresql", "other"], ["trove", "mysql"], ["trove", "mysql", "postgresql"]),
    ).toEqual({ add: [], remove: ["postgresql"] });
    expect(tagChanges(["trove", "mysql", "other"], [], ["trove", "mysql"])).toEqual({
      add: [],
      remove: ["trove", "mysql"],
    });
  });
});

describe("diffHistory", () => {
  const state = { ...inputs({ uploadedId: "a" }), history: ["a"], servingId: "a", pinnedIds: [] };
  it("a new upload or a serve change is an update; the cloud or region replaces", () => {
    expect(diffHistory(state, inputs({ uploadedId: "a" }))).toEqual({ changes: [], replaces: [] });
    expect(diffHistory(state, inputs({ uploadedId: "b" }))).toEqual({ changes: ["uploadedId"], replaces: [] });
    expect(diffHistory(state, inputs({ uploadedId: "a", serve: "previous" }))).toEqual({
      changes: ["serve"],
      replaces: [],
    });
    expect(diffHistory(state, inputs({ uploadedId: "a", cloud: "other" }))).toEqual({
      changes: ["cloud"],
      replaces: ["cloud"],
    });
  });
});

describe("quotaVerdict", () => {
  const GIB = 2 ** 30;
  it("refuses, naming image_size_total and the size, an upload that would take the usage past the limit (Glance 2026.2's 413; earlier releases', at the next upload)", () => {
    expect(
      quotaProblem(
        { image_size_total: { usage: 1000, limit: 2048 }, image_count_total: { usage: 1, limit: 10 } },
        1.5 * GIB,
      ),
    ).toBe(
      "the image is 1610612736 bytes (1536 MiB), and Glance's quota image_size_total allows 2048 MiB, of which 1000 MiB are used (1048 MiB free): Glance would refuse the upload (HTTP 413; up to 2025.1, the next upload); raise the quota (unified limits, registered limit image_size_total), delete images, or set checkQuota: false to upload anyway",
    );
    expect(quotaProblem({ image_size_total: { usage: 2100, limit: 2048 } }, 1)).toMatch(
      /of which 2100 MiB are used \(0 MiB free\)/,
    );
  });
  it("refuses, naming image_count_total, when one more image is too many (Glance's 413 at the create)", () => {
    expect(quotaProblem({ image_count_total: { usage: 3, limit: 3 } }, 1)).toMatch(
      /^the image is 1 bytes \(1 MiB\), and Glance's quota image_count_total allows 3 images, of which 3 exist/,
    );
  });
  it("passes what fits exactly, unlimited quotas (-1), and clouds that report none", () => {
    expect(quotaVerdict({ image_size_total: { usage: 1000, limit: 2048 } }, 1048 * 2 ** 20)).toEqual({});
    expect(
      quotaVerdict(
        { image_size_total: { usage: 5, limit: -1 }, image_count_total: { usage: 5, limit: -1 } },
        100 * GIB,
      ),
    ).toEqual({});
    expect(quotaVerdict({}, 100 * GIB)).toEqual({});
    expect(quotaVerdict(undefined, 100 * GIB)).toEqual({});
  });
});

describe("image defaults", () => {
  it("hw_rng_model, os_distro and os_version from the guest OS release", () => {
    expect(defaultImageProperties("ubuntu", "jammy")).toEqual({
      hw_rng_model: "virtio",
      os_distro: "ubuntu",
      os_version: "22.04",
    });
    expect(defaultImageProperties("ubuntu", "noble")).toEqual({
      hw_rng_model: "virtio",
      os_distro: "ubuntu",
      os_version: "24.04",
    });
    expect(defaultImageProperties("ubuntu", "oracular")).toEqual({ hw_rng_model: "virtio", os_distro: "ubuntu" });
  });

  it("min_disk rounds the virtual size up to a whole GiB, at least 1", () => {
    expect(minDiskGbFor(0)).toBe(1);
    expect(minDiskGbFor(2 ** 30)).toBe(1);
    expect(minDiskGbFor(2 ** 30 + 1)).toBe(2);
    expect(minDiskGbFor(5 * 2 ** 30)).toBe(5);
  });

  it("parses qemu-img's JSON, and refuses one without virtual-size", () => {
    expect(
      parseQemuImgInfo('{"virtual-size": 5368709120, "filename": "g.qcow2", "format": "qcow2", "actual-size": 200704}'),
    ).toEqual({ virtualSize: 5368709120, format: "qcow2" });
    expect(() => parseQemuImgInfo('{"format": "qcow2"}')).toThrow(/no virtual-size/);
  });

  describe("reads a real image file with qemu-img", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "image-facts-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    it("a 3 GiB + 1 MiB qcow2 (a small file) needs min_disk 4", () => {
      const file = path.join(dir, "g.qcow2");
      execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", file, String(3 * 1024 + 1) + "M"]);
      const facts = readImageFileFacts(file)!;
      expect(facts.virtualBytes).toBe((3 * 1024 + 1) * 2 ** 20);
      expect(facts.fileBytes).toBeLessThan(2 ** 20);
      expect(minDiskGbFor(facts.virtualBytes)).toBe(4);
    });
    it("a file not made yet has no facts; a file qemu-img cannot read is an error naming it", () => {
      expect(readImageFileFacts(path.join(dir, "absent.qcow2"))).toBeUndefined();
      expect(() => readImageFileFacts(dir)).toThrow(/qemu-img info --output=json .* failed/);
    });
  });
});

describe("Glance client helpers", () => {
  it("finds the v2 base whatever the catalog URL ends in", () => {
    expect(glanceApiBase("http://127.0.0.1:9292")).toBe("http://127.0.0.1:9292/v2");
    expect(glanceApiBase("http://127.0.0.1:9292/")).toBe("http://127.0.0.1:9292/v2");
    expect(glanceApiBase("https://cloud/image/v2/")).toBe("https://cloud/image/v2");
  });
  it("reads Glance's HTML error pages as one line", () => {
    expect(glanceMessage("<html><body><h1>403 Forbidden</h1>\nImage is protected</body></html>")).toBe(
      "403 Forbidden Image is protected",
    );
  });
});
