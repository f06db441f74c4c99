// The multi-language faces' conversions (provider/shapes.ts): what another language gives becomes the TypeScript
// arguments, or the one-line error a TypeScript component would give.

import { describe, expect, it } from "vitest";
import {
  enabledOr,
  fetchImageArgs,
  localRegistryArgs,
  parameterRulesArgs,
  pipelineRegistrationArgs,
  pipelineRegistryArgs,
} from "../../provider/shapes";

const ctx = { component: "TroveGuestPipeline", name: "lab" };

describe("the faces' shapes as TypeScript arguments", () => {
  it("reads { enabled: false } as TypeScript's false, and anything else without `enabled`", () => {
    expect(enabledOr(ctx, "troveConfig", { enabled: false })).toBe(false);
    expect(enabledOr(ctx, "troveConfig", { enabled: true, cloudinitLocation: "/x" })).toEqual({
      cloudinitLocation: "/x",
    });
    expect(enabledOr(ctx, "troveConfig", {})).toEqual({});
    expect(enabledOr(ctx, "troveConfig", undefined)).toBeUndefined();
    expect(fetchImageArgs({ component: "GuestImageBuild", name: "b" }, "fetchImage", { enabled: false })).toBe(false);
    expect(pipelineRegistrationArgs(ctx, { enabled: false })).toBe(false);
    expect(pipelineRegistrationArgs(ctx, { whenInUse: "fail", adopt: true })).toEqual({
      whenInUse: "fail",
      adopt: true,
    });
  });

  it("refuses { enabled: false } with other fields, naming them, as a component error does", () => {
    expect(() => enabledOr(ctx, "troveConfig", { enabled: false, cloudinitLocation: "/x" })).toThrow(
      'TroveGuestPipeline "lab": troveConfig.enabled "false" is not valid (with enabled: false, leave out troveConfig.cloudinitLocation).',
    );
  });

  it("passes one-object unions on with only the fields given, so the library's exactly-one-of checks see what was given", () => {
    expect(
      pipelineRegistryArgs({
        local: { advertisedHost: "h", tls: { generate: true, certificatePem: undefined } },
        existing: undefined,
      }),
    ).toEqual({ local: { advertisedHost: "h", tls: { generate: true } } });
    expect(
      pipelineRegistryArgs({ local: { advertisedHost: "h" }, existing: { address: "a", insecure: true } }),
    ).toEqual({ local: { advertisedHost: "h" }, existing: { address: "a", insecure: true } });
    expect(localRegistryArgs({ advertisedHost: "h", tls: { certificatePem: "C", privateKeyPem: "K" } })).toEqual({
      advertisedHost: "h",
      tls: { certificatePem: "C", privateKeyPem: "K" },
    });
    expect(
      parameterRulesArgs({
        rules: [{ name: "max_connections", restart_required: false, type: "integer", min: "0", max: undefined }],
      }),
    ).toEqual({ rules: [{ name: "max_connections", restart_required: false, type: "integer", min: "0" }] });
    expect(parameterRulesArgs({ rulesFile: "/r.json" })).toEqual({ rulesFile: "/r.json" });
  });
});
