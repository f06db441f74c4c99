// Child process of bench/pipeline.ts: declares a TroveGuestPipeline of N datastore versions under Pulumi mocks and
// prints how long the declaration took, how many resources it registered and the process's peak memory.

import * as pulumi from "@pulumi/pulumi";

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? "1");
  let registered = 0;
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered++;
        const image = `{"reference":"r:1/x:1","digest":"sha256:${"d".repeat(64)}"}`;
        const stdout = args.name.includes("-publish-")
          ? `{"database":${image},"backup":${image}}`
          : args.type.startsWith("command:")
            ? `{"path":"/images/guest.qcow2","sha256":"${"d".repeat(64)}","sizeBytes":1}`
            : undefined;
        return { id: `${args.name}-id`, state: { ...args.inputs, stdout } };
      },
      call: (args) => args.inputs,
    },
    "bench",
    "bench",
    false,
  );
  const { TroveGuestPipeline } = await import("../components/pipeline/pipeline.js");
  const datastores = ["mysql", "mariadb", "postgresql"];
  const versions = Array.from({ length: n }, (_, i) => ({
    datastore: datastores[i % 3]!,
    version: `${Math.floor(i / 3) + 1}.${i % 3}`,
  }));
  // Untested-version warnings would dominate the output; they are not what is measured.
  pulumi.log.warn = () => Promise.resolve();
  const start = process.hrtime.bigint();
  const pipeline = new TroveGuestPipeline("bench", {
    versions,
    troveRelease: "2024.1",
    allowUntested: true, // the benchmark's made-up versions are in no release's matrix
    guestImage: { buildCheckout: { dir: "/opt/trove", ref: "master" } },
    registry: { local: { advertisedHost: "10.0.0.5" } },
    datastoreImages: { backupCheckout: { dir: "/opt/trove" } },
  });
  await new Promise<void>((resolve) => pipeline.urn.apply(() => resolve()));
  // Wait until the registrations stop growing: every child has reached the mocks.
  let last = -1;
  while (last !== registered) {
    last = registered;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6 - 20;
  process.stdout.write(
    `${JSON.stringify({ n, elapsedMs, resources: registered, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`,
  );
}

void main();
