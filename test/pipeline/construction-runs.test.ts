// How many times each schema walk and each resolver runs when one pipeline is built: the pipeline's arguments are checked
// once, against the pipeline's schema (by the stack program, or by the constructor), and each child takes what the
// pipeline built without walking its schema over it again; it walks only the values the pipeline computed from other
// children's outputs (components/internal/check-args.ts, `checkedByParent`), and resolves its settings once.

import { beforeAll, describe, expect, it, vi } from "vitest";
import type { Rule } from "../../components/internal/schema";
import { installMocks } from "../support/pulumi-mocks";
import { labStackFiles, loadStackConfig, stackMockOutputs } from "../support/stack-config";

const runs = vi.hoisted(() => ({ walks: [] as unknown[], resolvers: [] as string[], renames: 0 }));

vi.mock("../../components/internal/schema", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../components/internal/schema")>();
  return {
    ...real,
    // DatastoreVersion's provider captures this module; Pulumi's closure serializer reads marks a vitest mock does not
    // have. Not captured here: the provider's serialized text is not what this test is about.
    doNotCapture: true,
    checkValue: (...a: Parameters<typeof real.checkValue>) => {
      runs.walks.push(a[0]);
      return real.checkValue(...a);
    },
  };
});

// Every resolver that checks anything starts with `new Problems(<component>, name)`; LocalRegistry's only applies defaults.
vi.mock("../../components/internal/errors", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../components/internal/errors")>();
  class CountedProblems extends real.Problems {
    constructor(component: string, name: string) {
      super(component, name);
      runs.resolvers.push(component);
    }
  }
  return { ...real, Problems: CountedProblems };
});

vi.mock("../../components/internal/renamed-fields", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../components/internal/renamed-fields")>();
  return {
    ...real,
    withCurrentNames: (...a: Parameters<typeof real.withCurrentNames>) => {
      runs.renames++;
      return real.withCurrentNames(...a);
    },
  };
});

function tally(list: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of list) out[k] = (out[k] ?? 0) + 1;
  return out;
}

/** The fields each child's own walk checks: only the values the pipeline computed from other children's outputs. */
const COMPUTED: Record<string, string[]> = {
  DatastoreImages: ["registry"],
  GlanceImage: ["image", "datastores", "retainedDatastores"],
  TroveConfig: ["registry", "imageOptions"],
  DatastoreVersion: ["manager", "imageTags"],
  DatastoreConfigurationParameters: ["rules", "versionId"],
};

async function schemas(): Promise<Record<string, Rule>> {
  return {
    TroveGuestPipeline: (await import("../../components/pipeline/pipeline.js")).TROVE_GUEST_PIPELINE_SCHEMA,
    GuestImageBuild: (await import("../../components/image/guest-image-build.js")).GUEST_IMAGE_BUILD_SCHEMA,
    GlanceImage: (await import("../../components/image/glance-image.js")).GLANCE_IMAGE_SCHEMA,
    LocalRegistry: (await import("../../components/registry/local-registry.js")).LOCAL_REGISTRY_SCHEMA,
    DatastoreImages: (await import("../../components/registry/datastore-images.js")).DATASTORE_IMAGES_SCHEMA,
    TroveConfig: (await import("../../components/trove/trove-config.js")).TROVE_CONFIG_SCHEMA,
    DatastoreVersion: (await import("../../components/trove/datastore-version.js")).DATASTORE_VERSION_SCHEMA,
    DatastoreConfigurationParameters: (await import("../../components/trove/configuration-parameters.js"))
      .DATASTORE_CONFIGURATION_PARAMETERS_SCHEMA,
  };
}

/** What one construction ran: whole schemas walked, the part a child walked (by component), resolvers, renamings. */
async function counted(construct: () => void) {
  const all = await schemas();
  const byRule = new Map<unknown, string>(Object.entries(all).map(([k, r]) => [r, k]));
  const byWords = new Map<string, string>(Object.entries(all).map(([k, r]) => [r.accepts, k]));
  runs.walks.length = 0;
  runs.resolvers.length = 0;
  runs.renames = 0;
  construct();
  const whole: string[] = [];
  const parts: Record<string, string[][]> = {};
  for (const r of runs.walks as Rule[]) {
    const component = byRule.get(r);
    if (component) whole.push(component);
    else (parts[byWords.get(r.accepts) ?? r.accepts] ??= []).push(Object.keys(r.fields!).sort());
  }
  return { whole: tally(whole), parts, resolvers: tally(runs.resolvers), renames: runs.renames };
}

const mockOutputs = stackMockOutputs;

describe("one pipeline checks each field once", () => {
  // One mock runtime for both: a second one would drop the first pipeline's registrations still on their way.
  beforeAll(async () => {
    labStackFiles();
    await installMocks({ stack: "lab", outputs: mockOutputs });
    loadStackConfig("lab");
  });

  it("the lab stack: the pipeline's schema once (by the stack), each resolver once per component, no child's schema again", async () => {
    const program = await import("../../stacks/program.js");
    const runs = await counted(() => void program.main());
    // Before issue 26's point 2, each child walked its whole schema too: LocalRegistry, DatastoreImages,
    // GuestImageBuild, GlanceImage and TroveConfig once each, DatastoreVersion and DatastoreConfigurationParameters once
    // per version (3 each), on values the pipeline's schema had checked; and the former names were moved twice.
    expect(runs.whole).toEqual({ TroveGuestPipeline: 1 });
    // The lab registers 3 versions in 1 region and loads their parameters; its registry is local (an endpoint of
    // LocalRegistry's making), it preloads nothing.
    expect(runs.parts).toEqual({
      DatastoreImages: [COMPUTED.DatastoreImages],
      GlanceImage: [COMPUTED.GlanceImage!.slice().sort()],
      TroveConfig: [COMPUTED.TroveConfig!.slice().sort()],
      DatastoreVersion: Array(3).fill(COMPUTED.DatastoreVersion!.slice().sort()),
      DatastoreConfigurationParameters: Array(3).fill(COMPUTED.DatastoreConfigurationParameters!.slice().sort()),
    });
    expect(runs.resolvers).toEqual({
      TroveGuestPipeline: 1,
      DatastoreImages: 1,
      GuestImageBuild: 1,
      GlanceImage: 1,
      TroveConfig: 1,
      DatastoreVersion: 3,
      DatastoreConfigurationParameters: 3,
    });
    // pipelineWithCurrentNames once: guestImage, datastoreImages and registration, each moved once; no child again.
    expect(runs.renames).toBe(3);
  });

  it("a pipeline built in code: the same, its schema run by its constructor", async () => {
    const { TroveGuestPipeline } = await import("../../components/pipeline/pipeline.js");
    const runs = await counted(
      () =>
        new TroveGuestPipeline("code", {
          troveRelease: "zed",
          versions: [{ datastore: "mysql", version: "5.7.29", default: true }],
          guestImage: { troveSourceDir: "/opt/stack/trove", troveRef: "stable/2024.1" },
          registry: { existing: { address: "10.0.0.5:4000", insecure: false } },
          datastoreImages: { troveSourceDir: "/opt/stack/trove" },
          registration: false,
        }),
    );
    expect(runs.whole).toEqual({ TroveGuestPipeline: 1 });
    // An existing registry is the pipeline's own field: DatastoreImages walks nothing; TroveConfig takes a narrower
    // password than the pipeline's registry, so it checks the endpoint itself.
    expect(runs.parts).toEqual({
      GlanceImage: [["datastores", "image"]],
      TroveConfig: [COMPUTED.TroveConfig!.slice().sort()],
    });
    expect(runs.resolvers).toEqual({
      TroveGuestPipeline: 1,
      DatastoreImages: 1,
      GuestImageBuild: 1,
      GlanceImage: 1,
      TroveConfig: 1,
    });
    // guestImage and datastoreImages; registration: false has no former names to move.
    expect(runs.renames).toBe(2);
  });
});
