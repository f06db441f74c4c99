// LeanLocalCommand is, for the engine and the provider, the same resource as @pulumi/command's class: declared both
// ways with the same arguments and options, the register requests the engine receives are equal but for the name.

import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, MockState } from "../support/pulumi-mocks";

let mocks: MockState;
const requests = new Map<string, Record<string, unknown>>();

beforeAll(async () => {
  mocks = await installMocks({
    outputs: (type) => (type === "command:local:Command" ? { stdout: "printed", stderr: "" } : undefined),
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the mock monitor is not part of the public API
  const proto = (require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: { prototype: Record<string, unknown> } })
    .MockMonitor.prototype;
  const original = proto.registerResource as (
    this: unknown,
    req: { getName(): string; toObject(): Record<string, unknown> },
    cb: unknown,
  ) => Promise<void>;
  proto.registerResource = function (
    this: unknown,
    req: { getName(): string; toObject(): Record<string, unknown> },
    cb: unknown,
  ) {
    requests.set(req.getName(), req.toObject());
    return original.call(this, req, cb);
  };
});

describe("LeanLocalCommand", () => {
  it("sends the engine what command.local.Command sends, and reads stdout", async () => {
    const command = await import("@pulumi/command");
    const { LeanLocalCommand } = await import("../../components/internal/lean-command.js");
    const parent = new pulumi.ComponentResource("pulumi-trove:test:Parent", "p");
    const before = new (class extends pulumi.CustomResource {})("pulumi-trove:test:Before", "before", {});
    const args = () => ({
      create: "echo create",
      update: "echo update",
      interpreter: ["/bin/bash", "-c"],
      environment: { PLAIN: "a", LATE: pulumi.output("b"), SECRET: pulumi.secret("c") },
      addPreviousOutputInEnv: false,
      triggers: ["t", pulumi.output("u")],
    });
    const opts = (name: string) => ({ parent, aliases: [{ name: `${name}-before` }], dependsOn: [before] });
    new command.local.Command("full", args(), opts("full"));
    const lean = new LeanLocalCommand("lean", args(), opts("lean"));
    await mocks.waitFor("full");
    await mocks.waitFor("lean");
    const same = (r: Record<string, unknown>, name: string) =>
      JSON.parse(JSON.stringify(r).replaceAll(name, "<name>")) as Record<string, unknown>;
    expect(same(requests.get("lean")!, "lean")).toEqual(same(requests.get("full")!, "full"));
    expect(requests.get("lean")).toMatchObject({
      type: "command:local:Command",
      replaceonchangesList: ["triggers[*]"],
    });
    expect(requests.get("lean")!.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(await new Promise((resolve) => lean.stdout.apply(resolve))).toBe("printed");
  });
});
