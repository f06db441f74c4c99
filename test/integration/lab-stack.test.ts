// The README's main job, `pulumi up --stack lab`, as Pulumi runs it, against the real lab: stacks/program.ts under
// Pulumi's own runner (cmd/run) with the real stacks/Pulumi.lab.yaml, answered by the test engine
// (test/support/engine): DatastoreVersion through Pulumi's dynamic-provider host, commands, Glance and Docker through
// the services' own clients. Then a second `up` (nothing to do, and nothing written to Trove), a `refresh` (nothing
// changed), and a `destroy` that leaves the lab as it was before the first `up`.

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DOCKER_CLIENT } from "../support/docker-engine";
import { PulumiEngine, ResourceState } from "../support/engine/engine";
import { ensureLab, Lab, loadedParameters, troveWriteCount } from "../support/lab";
import { imageTroveFinds } from "../support/openstack-apply";
import { labSnapshot } from "../support/lab-snapshot";

const ROOT = path.join(__dirname, "..", "..");
const TROVE_IMAGES = path.join(__dirname, "../support/trove_images.py");
/** The guest image file the lab stack uploads (stacks/Pulumi.lab.yaml), as `lab.sh up` makes it. */
const LAB_IMAGE = "/tmp/pulumi-trove-lab/images/trove-guest-ubuntu-jammy-dev.qcow2";
let lab: Lab;
let engine: PulumiEngine;
let work: string;

/** What the lab stack touches in the lab: Trove's versions of its datastores, Glance's guest images, the registry container. */
async function labStackSnapshot(): Promise<{ versions: string[]; images: string[]; containers: string[] }> {
  const containers = execFileSync(DOCKER_CLIENT, ["ps", "-a", "--format", "{{.Names}}"], {
    env: { ...process.env, DOCKER_HOST: lab.dockerHost },
    encoding: "utf8",
  })
    .split("\n")
    .filter((n) => n === "registry");
  return { ...(await labSnapshot(lab)), containers };
}

/** The type tokens of the release before they followed the components' files (components/internal/component-type.ts). */
const EARLIER_TYPE_TOKENS: Record<string, string> = {
  "pulumi-trove:configuration-parameters:DatastoreConfigurationParameters":
    "pulumi-trove:trove:DatastoreConfigurationParameters",
  "pulumi-trove:datastore-images:DatastoreImages": "pulumi-trove:images:DatastoreImages",
  "pulumi-trove:glance-image:GlanceImage": "pulumi-trove:glance:GlanceImage",
  "pulumi-trove:guest-image-build:GuestImageBuild": "pulumi-trove:guest-image:GuestImageBuild",
  "pulumi-trove:local-registry:LocalRegistry": "pulumi-trove:registry:LocalRegistry",
  "pulumi-trove:trove-config:TroveConfig": "pulumi-trove:config:TroveConfig",
};

/** A resource's state as the earlier release wrote it: the same, but every URN and type under the earlier tokens. */
function underEarlierTypeTokens(r: ResourceState): ResourceState {
  const earlier = (text: string): string =>
    Object.entries(EARLIER_TYPE_TOKENS).reduce((t, [now, before]) => t.split(now).join(before), text);
  return {
    ...r,
    urn: earlier(r.urn),
    type: earlier(r.type),
    parent: r.parent && earlier(r.parent),
    dependencies: r.dependencies.map(earlier),
    aliases: [],
  };
}

beforeAll(() => {
  lab = ensureLab();
  const env: NodeJS.ProcessEnv = { ...process.env, OS_CLIENT_CONFIG_FILE: lab.cloudsYaml, DOCKER_HOST: lab.dockerHost };
  for (const k of Object.keys(env)) if (/^OS_/.test(k) && k !== "OS_CLIENT_CONFIG_FILE") delete env[k];
  engine = new PulumiEngine({ root: ROOT, stack: "lab", env });
  work = mkdtempSync(path.join(tmpdir(), "lab-stack-"));
});

afterAll(async () => {
  // A failed assertion must not leave the stack's resources in the shared lab, nor a changed image file.
  if (engine?.state.length) await engine.destroy();
  execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", LAB_IMAGE, "16M"]);
  rmSync(work, { recursive: true, force: true });
  lab.release();
});

describe("pulumi up, up, refresh and destroy of the lab stack, against the lab", () => {
  it("registers every version on the Glance image, loads its parameters, publishes every image the guest agent pulls; does nothing twice, nor to a stack written under the earlier type tokens; updates, rebuilds, renames and adds a region only as asked; and leaves the lab as it found it", async () => {
    const before = await labStackSnapshot();

    const up = await engine.up();
    expect(up.errors, up.programOutput).toEqual([]);
    expect(up.steps.every((s) => s.op === "create")).toBe(true);
    const types = new Set(engine.state.map((r) => r.type));
    for (const t of [
      "command:local:Command",
      "openstack:images/image:Image",
      "docker:index/remoteImage:RemoteImage",
      "docker:index/container:Container",
      "pulumi-nodejs:dynamic/pulumi-trove:DatastoreVersion",
    ])
      expect(types).toContain(t);

    // Trove lists each version, and Trove's own lookup resolves its tags to the Glance image the stack uploaded.
    const outputs = engine.stackOutputs as {
      versionIds: Record<string, Record<string, string>>;
      glanceImageIds: Record<string, string>;
      guestAgentConf: string;
      registryAddress: string;
    };
    expect(outputs.registryAddress).toBe("127.0.0.1:4000");
    const ids = outputs.versionIds.lab!;
    const expected = { "mysql:5.7.29": "mysql", "mariadb:10.4": "mariadb", "postgresql:12": "postgresql" };
    expect(Object.keys(ids).sort()).toEqual(Object.keys(expected).sort());
    for (const [key, datastore] of Object.entries(expected)) {
      const shown = JSON.parse(lab.openstack(["datastore", "version", "show", ids[key]!, "-f", "json"])) as {
        name: string;
        image_tags: string[];
        active: boolean;
      };
      expect(shown).toMatchObject({ name: key.split(":")[1], active: true, image_tags: ["trove", datastore] });
      expect(imageTroveFinds(lab, shown.image_tags)).toBe(outputs.glanceImageIds.lab);
    }
    // A DatastoreVersion stores its datastore and version number in one property, identity
    // (components/trove/version-provider/provider.ts).
    const mysqlVersion = engine
      .ofType("pulumi-nodejs:dynamic/pulumi-trove:DatastoreVersion")
      .find((r) => (r.outputs.identity as { version?: string } | undefined)?.version === "5.7.29");
    expect(mysqlVersion?.outputs).toMatchObject({ identity: { datastore: "mysql" }, default: true });

    // The configuration parameters are Trove's own rules, in full.
    const pg = loadedParameters(lab, "postgresql", "12");
    expect(pg.listed).toBe(pg.rules);
    expect(pg.rules).toBeGreaterThan(0);

    // Every image Trove's guest agent will pull, computed by Trove's own code from the rendered config, is in the registry.
    const conf = path.join(work, "trove-guestagent.conf");
    writeFileSync(conf, outputs.guestAgentConf);
    for (const [manager, version] of [
      ["mysql", "5.7.29"],
      ["mariadb", "10.4"],
      ["postgresql", "12"],
    ]) {
      const names = JSON.parse(
        execFileSync("/usr/bin/python3", [TROVE_IMAGES, conf, manager!, version!], { encoding: "utf8" })
          .trim()
          .split("\n")
          .pop()!,
      ) as { database: string; backup: string };
      for (const ref of [names.database, names.backup]) {
        expect(ref.startsWith("127.0.0.1:4000/")).toBe(true);
        execFileSync("skopeo", ["inspect", "--tls-verify=false", "--raw", `docker://${ref}`], { stdio: "pipe" });
      }
    }

    // A second `up` with the same config changes nothing, says so, and writes nothing to Trove.
    const writes = troveWriteCount(lab);
    const again = await engine.up();
    expect(again.errors).toEqual([]);
    expect(again.changes).toEqual([]);
    expect(again.summary).toBe(`Resources: ${engine.state.length} unchanged`);
    expect(troveWriteCount(lab)).toBe(writes);

    // A stack the earlier release wrote, under its type tokens (before they followed the components' files), keeps
    // every resource: the components' aliases, and the ones the SDK derives from them for their children, find them.
    engine.state = engine.state.map(underEarlierTypeTokens);
    const earlierUrns = engine.state.map((r) => r.urn);
    expect(
      earlierUrns.filter((u) => u.includes("pulumi-trove:images:DatastoreImages$command:local:Command")).length,
    ).toBeGreaterThan(0);
    const upgraded = await engine.up();
    expect(upgraded.errors).toEqual([]);
    expect(upgraded.changes).toEqual([]);
    expect(
      engine.state.map((r) => r.urn).filter((u) => Object.values(EARLIER_TYPE_TOKENS).some((t) => u.includes(t))),
    ).toEqual([]);
    expect(engine.state).toHaveLength(earlierUrns.length);

    // `refresh` reads every resource back through its provider: nothing changed behind Pulumi's back.
    const refresh = await engine.refresh();
    expect(refresh.errors).toEqual([]);
    expect(refresh.changes).toEqual([]);

    // A change that does not shape the image (a Glance property; hw_rng_model=virtio is a default now) updates the
    // image in place: no rebuild, no upload.
    const imageId = outputs.glanceImageIds.lab;
    engine.options.configOverrides = { "pulumi-trove:glanceImage": { properties: { hw_qemu_guest_agent: "yes" } } };
    const property = await engine.up();
    expect(property.errors).toEqual([]);
    expect(property.changes.map((c) => [c.op, c.name, c.changes])).toEqual([
      ["update", "lab-glance-lab-image", ["properties"]],
    ]);
    expect((engine.stackOutputs as typeof outputs).glanceImageIds.lab).toBe(imageId);

    // A change that shapes the image (a new image file) re-reads it, checks the quota and uploads it once; the
    // history keeps the image before (keepImages 2), untagged, so the versions keep finding the new one by its tags,
    // and do not change.
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", LAB_IMAGE, "17M"]);
    const rebuilt = await engine.up();
    expect(rebuilt.errors).toEqual([]);
    expect(rebuilt.changes.map((c) => [c.op, c.name])).toEqual([
      ["replace", "lab-guest-describe"],
      ["update", "lab-glance-lab-quota"],
      ["replace", "lab-glance-lab-image"],
      ["update", "lab-glance-lab-history"],
    ]);
    const newImageId = (engine.stackOutputs as typeof outputs).glanceImageIds.lab!;
    expect(newImageId).not.toBe(imageId);
    expect((await labStackSnapshot()).images).toEqual(
      [`trove-guest-ubuntu-jammy:${imageId}`, `trove-guest-ubuntu-jammy:${newImageId}`].sort(),
    );
    expect(imageTroveFinds(lab, ["trove", "mysql"])).toBe(newImageId);

    // A second region keeps the first region's resources (their names do not move); it only adds its own.
    engine.options.configOverrides = {
      ...engine.options.configOverrides,
      "pulumi-trove:regions": [
        { name: "lab", cloud: "trove-lab", troveController: { troveConfPath: `${lab.dir}/trove/trove.conf` } },
        { name: "lab2", cloud: "trove-lab", troveController: { troveConfPath: `${lab.dir}/trove/trove.conf` } },
      ],
    };
    const region = await engine.preview();
    expect(region.errors).toEqual([]);
    expect(region.changes.filter((c) => !c.name.includes("lab2") && c.name !== "openstack-lab2")).toEqual([]);
    expect(region.changes.filter((c) => c.op !== "create")).toEqual([]);

    // Renaming a version is an in-place PATCH: the same Trove version, a new name.
    const mariadbId = ids["mariadb:10.4"];
    const versions = [
      { datastore: "mysql", version: "5.7.29", default: true },
      { datastore: "mariadb", version: "10.4", name: "10.4-main" },
      { datastore: "postgresql", version: "12" },
    ];
    engine.options.configOverrides = {
      "pulumi-trove:glanceImage": { properties: { hw_qemu_guest_agent: "yes" } },
      "pulumi-trove:versions": versions,
    };
    const renamed = await engine.up();
    expect(renamed.errors).toEqual([]);
    expect(renamed.changes.find((c) => c.name === "lab-version-lab-mariadb-10-4")).toMatchObject({
      op: "update",
      changes: ["name"],
    });
    // Nothing is replaced but the parameters' load, which syncs the rules under the new name again.
    expect(
      renamed.changes.filter((c) => (c.op === "replace" || c.op === "delete") && !c.name.endsWith("-load")),
    ).toEqual([]);
    expect((engine.stackOutputs as typeof outputs).versionIds.lab!["mariadb:10.4"]).toBe(mariadbId);
    expect(
      (JSON.parse(lab.openstack(["datastore", "version", "show", mariadbId!, "-f", "json"])) as { name: string }).name,
    ).toBe("10.4-main");

    // `destroy`, dependents first, leaves the lab as it was.
    const destroy = await engine.destroy();
    expect(destroy.errors).toEqual([]);
    expect(engine.state).toEqual([]);
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", LAB_IMAGE, "16M"]);
    expect(await labStackSnapshot()).toEqual(before);
  }, 420_000);
});
