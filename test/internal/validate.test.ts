// Validators decide what `pulumi preview` refuses; these pin the boundaries users meet.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { inspect } from "node:util";
import { ComponentInputError, formatProblems, Problems } from "../../components/internal/errors";
import {
  hostPortProblem,
  parseHostPort,
  plainNameProblem,
  repositoryProblem,
  tagProblem,
  versionNumberProblem,
} from "../../components/internal/validate";

describe("parseHostPort", () => {
  it("accepts host:port forms registries use", () => {
    expect(parseHostPort("10.0.0.5:4000")).toEqual({ host: "10.0.0.5", port: 4000 });
    expect(parseHostPort("registry.example.com:443")).toEqual({ host: "registry.example.com", port: 443 });
    expect(parseHostPort("[fd00::5]:4000")).toEqual({ host: "[fd00::5]", port: 4000 });
  });

  it.each([
    "10.0.0.5",
    "10.0.0.5:",
    ":4000",
    "10.0.0.5:0",
    "10.0.0.5:70000",
    "10.0.0.256:4000",
    "a b:4000",
    "host:40 00",
    "host:4000\n",
    "http://h:4000",
    "h;rm:1",
  ])("rejects %j", (value) => {
    expect(parseHostPort(value)).toBeUndefined();
    expect(hostPortProblem(value)).toMatch(/expected host:port/);
  });

  it("never accepts whitespace or shell metacharacters", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.constantFrom(" ", "\n", ";", "|", "&", "$", "(", ")", "'", '"'),
        fc.nat(60000),
        (s, bad, port) => {
          expect(parseHostPort(`${s}${bad}:${port + 1}`)).toBeUndefined();
        },
      ),
    );
  });
});

describe("name validators", () => {
  it("accept what Trove, Glance and Docker accept, refuse the rest", () => {
    expect(versionNumberProblem("5.7.29")).toBeUndefined();
    expect(versionNumberProblem("12")).toBeUndefined();
    expect(versionNumberProblem("5.7.x")).toBeDefined();
    expect(versionNumberProblem("")).toBeDefined();
    expect(plainNameProblem("trove-guest-ubuntu-jammy")).toBeUndefined();
    expect(plainNameProblem("trove guest")).toBeDefined();
    expect(plainNameProblem("-x")).toBeDefined();
    expect(repositoryProblem("trove-datastores")).toBeUndefined();
    expect(repositoryProblem("team/trove")).toBeUndefined();
    expect(repositoryProblem("Trove")).toBeDefined();
    expect(repositoryProblem("a//b")).toBeDefined();
    expect(tagProblem("5.7.29")).toBeUndefined();
    expect(tagProblem(".hidden")).toBeDefined();
  });
});

describe("Problems", () => {
  it("reports one problem in one line naming component, resource, field, value and what is allowed", () => {
    const p = new Problems("GuestImageBuild", "main");
    p.check(false, "guestOsRelease", "focal", "supported: jammy; set allowUntested: true to try it anyway");
    expect(() => p.throwIfAny()).toThrow(
      'GuestImageBuild "main": guestOsRelease "focal" is not valid (supported: jammy; set allowUntested: true to try it anyway).',
    );
  });

  it("lists every problem when there are several", () => {
    const text = formatProblems("X", "y", [
      { field: "a", value: 1, allowed: "p" },
      { field: "b", value: "v", allowed: "q" },
    ]);
    expect(text).toBe('X "y": 2 invalid inputs:\n  - a "1" is not valid (p)\n  - b "v" is not valid (q)');
  });

  it("inspects as its message alone: no problem's raw value (a secret, say), nothing the SDK attaches", () => {
    const error = new ComponentInputError("stack config", "Pulumi.prod.yaml", [
      { field: "pulumi-trove:registryPassword", value: "(secret)", allowed: "must not contain newlines" },
    ]);
    // Secrets are masked in problems already; even a raw value there must not reach a log. The SDK hangs the rejected
    // promise on an input's error.
    Object.assign(error.problems[0]!, { value: "line one\nline two" });
    Object.assign(error, { promise: Promise.reject(error).catch(() => undefined) });
    for (const shown of [inspect(error), inspect(error, { colors: true }), inspect({ wrapped: error })]) {
      expect(shown).toContain(
        'ComponentInputError: stack config "Pulumi.prod.yaml": pulumi-trove:registryPassword "(secret)" is not valid',
      );
      expect(shown).not.toContain("line two");
      expect(shown).not.toContain("Promise");
    }
  });
});
