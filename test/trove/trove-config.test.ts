// TroveConfig under Pulumi mocks and its pure renderer: Trove's section names, docker_insecure_registries only for
// plain HTTP, the registry password kept secret end to end, and errors for values a config file cannot hold.

import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, isSecret, MockState, valueOf } from "../support/pulumi-mocks";
import { testHostKey } from "../support/ssh-keys";
import { problemsOf } from "../../components/internal/schema";

let mocks: MockState;
let t: typeof import("../../components/trove/trove-config.js");

beforeAll(async () => {
  mocks = await installMocks({
    outputs: (type) =>
      type === "command:remote:Command"
        ? { stdout: '{"changed":["/etc/trove/trove.conf"],"restarted":["systemctl restart trove-taskmanager"]}' }
        : undefined,
  });
  t = await import("../../components/trove/trove-config.js");
});

const imageOptions = {
  mysql: {
    dockerImage: "10.0.0.5:4000/trove-datastores/mysql",
    backupDockerImage: "10.0.0.5:4000/trove-datastores/db-backup-mysql:latest",
  },
  postgresql: {
    dockerImage: "10.0.0.5:4000/trove-datastores/postgres",
    backupDockerImage: "10.0.0.5:4000/trove-datastores/db-backup-postgresql:latest",
  },
};

describe("renderTroveConfig", () => {
  it("writes Trove's sections ([postgresql], not [postgres]) and the registry login", () => {
    const r = t.renderTroveConfig({ registryAddress: "10.0.0.5:4000", insecure: true, imageOptions });
    expect(Object.keys(r.guestAgentConf)).toEqual(["mysql", "postgresql", "guest_agent"]);
    expect(r.troveConf).toEqual({ DEFAULT: { docker_insecure_registries: "10.0.0.5:4000" } });
    expect(r.guestAgentConf.guest_agent).toEqual({
      container_registry: "10.0.0.5:4000",
      container_registry_username: "",
      container_registry_password: "",
    });
  });

  it("leaves docker_insecure_registries out for a TLS registry", () => {
    expect(
      t.renderTroveConfig({ registryAddress: "registry.example.com:443", insecure: false, imageOptions }).troveConf,
    ).toEqual({});
  });

  it.each([
    [
      "a registry address with a newline",
      { registryAddress: "10.0.0.5:4000\n[DEFAULT]" },
      /registry.address "10.0.0.5:4000\\n\[DEFAULT\]" is not valid \(expected host:port/,
    ],
    [
      "a registry address with spaces",
      { registryAddress: "10.0.0.5 :4000" },
      /registry.address "10.0.0.5 :4000" is not valid/,
    ],
    [
      "an unknown datastore",
      { imageOptions: { redis: imageOptions.mysql } },
      /datastores "redis" is not valid \(known: mariadb, mysql, postgresql\)/,
    ],
    [
      "a password with a newline, without printing it",
      { password: "pw\nx" },
      /registry.password "\(secret\)" is not valid \(must not contain newlines/,
    ],
  ])("rejects %s", (_label, extra, message) => {
    expect(() =>
      t.renderTroveConfig({ registryAddress: "10.0.0.5:4000", insecure: true, imageOptions, ...(extra as object) }),
    ).toThrow(message);
  });
});

describe("TroveConfig", () => {
  it("renders only, for admins who ship config another way, with the guest agent file secret", async () => {
    const c = new t.TroveConfig("render", {
      registry: { address: "10.0.0.5:4000", insecure: true, username: "trove", password: pulumi.secret("s3cret") },
      imageOptions,
    });
    expect(await valueOf(c.troveConf)).toBe("[DEFAULT]\ndocker_insecure_registries = 10.0.0.5:4000\n");
    expect(await valueOf(c.guestAgentConf)).toContain(
      "[postgresql]\ndocker_image = 10.0.0.5:4000/trove-datastores/postgres\nbackup_docker_image = 10.0.0.5:4000/trove-datastores/db-backup-postgresql:latest\n",
    );
    expect(await isSecret(c.guestAgentConf)).toBe(true);
    expect(mocks.resources.filter((r) => r.name.startsWith("render-"))).toEqual([]);
  });

  it("applies over SSH with the request, password included, on stdin and secret; never in the command", async () => {
    const c = new t.TroveConfig("apply", {
      registry: { address: "10.0.0.5:4000", insecure: true, username: "trove", password: pulumi.secret("s3cret") },
      imageOptions,
      controller: {
        connection: { host: "10.0.0.5", user: "root", privateKey: pulumi.secret("KEY"), hostKey: testHostKey() },
      },
      cloudInit: { mysql: "#cloud-config\n" },
    });
    const cmd = await mocks.waitFor("apply-apply");
    expect(cmd.type).toBe("command:remote:Command");
    expect(String(cmd.inputs.create)).toMatch(/^\/usr\/bin\/python3 -c '/);
    expect(String(cmd.inputs.create)).not.toContain("s3cret");
    expect(Object.keys(cmd.inputs.stdin as object)).toContain("4dabf18193072939515e22adb298388d");
    const stdin = JSON.parse(
      (cmd.inputs.stdin as { value: string }).value,
    ) as import("../../components/trove/trove-config.js").EditorRequest;
    expect(stdin.files.map((f) => [f.path, f.restart])).toEqual([
      ["/etc/trove/trove.conf", ["systemctl restart trove-taskmanager"]],
      ["/etc/trove/trove-guestagent.conf", []],
    ]);
    expect(stdin.files[1]!.sections.guest_agent!.container_registry_password).toBe("s3cret");
    expect(stdin.directories).toEqual({ "/etc/trove/cloudinit": { "mysql.cloudinit": "#cloud-config\n" } });
    expect(await valueOf(c.applied)).toEqual({
      changed: ["/etc/trove/trove.conf"],
      restarted: ["systemctl restart trove-taskmanager"],
    });
  });

  it("rejects cloud-init files without a controller to write them to", () => {
    expect(
      () =>
        new t.TroveConfig("bad", {
          registry: { address: "10.0.0.5:4000", insecure: true },
          imageOptions,
          cloudInit: { mysql: "x" },
        }),
    ).toThrow(/cloudInit .* \(cloud-init files are written to the controller: set controller too\)/);
    // The schema refuses it, before the resolver runs.
    expect(
      problemsOf(t.TROVE_CONFIG_SCHEMA, {
        registry: { address: "10.0.0.5:4000", insecure: true },
        imageOptions,
        cloudInit: { mysql: "x" },
      }),
    ).toEqual([
      {
        field: "cloudInit",
        value: ["mysql"],
        allowed: "cloud-init files are written to the controller: set controller too",
      },
    ]);
  });
});

describe("TroveConfig and the release (issue 25)", () => {
  const controller = {
    connection: { host: "10.0.0.5", user: "root", privateKey: pulumi.secret("KEY"), hostKey: testHostKey() },
  };
  const registry = { address: "10.0.0.5:4000", insecure: true };

  it("writes trove.conf's Swift endpoint, swift_url or swift_endpoint_type, and nothing into the guest config", () => {
    const r = t.renderTroveConfig({
      registryAddress: "10.0.0.5:4000",
      insecure: true,
      imageOptions,
      swift: { url: "http://10.0.0.5:8080/v1/AUTH_" },
    });
    expect(r.troveConf).toEqual({
      DEFAULT: { docker_insecure_registries: "10.0.0.5:4000", swift_url: "http://10.0.0.5:8080/v1/AUTH_" },
    });
    expect(Object.keys(r.guestAgentConf)).not.toContain("service_credentials");
    expect(
      t.renderTroveConfig({
        registryAddress: "registry.example.com:443",
        insecure: false,
        imageOptions,
        swift: { endpointType: "internalURL" },
      }).troveConf,
    ).toEqual({ DEFAULT: { swift_endpoint_type: "internalURL" } });
  });

  it("refuses a swift_url Trove cannot append the project to, an unknown endpoint type, and both at once", () => {
    expect(
      problemsOf(t.TROVE_CONFIG_SCHEMA, { registry, imageOptions, swift: { url: "http://10.0.0.5:8080/v1" } }),
    ).toEqual([
      {
        field: "swift.url",
        value: "http://10.0.0.5:8080/v1",
        allowed: "must end in AUTH_ (Trove appends the project id)",
      },
    ]);
    expect(
      () => new t.TroveConfig("swift-type", { registry, imageOptions, swift: { endpointType: "private" } }),
    ).toThrow(
      /swift.endpointType "private" is not valid \(allowed: publicURL, internalURL, adminURL, public, internal, admin\)/,
    );
    expect(
      () =>
        new t.TroveConfig("swift-both", {
          registry,
          imageOptions,
          swift: { url: "http://s/v1/AUTH_", endpointType: "internalURL" },
        }),
    ).toThrow(/swift.endpointType "internalURL" is not valid \(give url or endpointType, not both/);
  });

  it("on 2026.2 asks the editor to report a [service_credentials] the guest config still has; earlier releases do not", async () => {
    new t.TroveConfig("r262", { registry, imageOptions, controller, troveRelease: "2026.2" });
    new t.TroveConfig("r261", { registry, imageOptions, controller, troveRelease: "2026.1" });
    const stdinOf = async (name: string) =>
      JSON.parse(
        ((await mocks.waitFor(name)).inputs.stdin as { value: string }).value,
      ) as import("../../components/trove/trove-config.js").EditorRequest;
    expect((await stdinOf("r262-apply")).files.map((f) => f.report)).toEqual([undefined, ["service_credentials"]]);
    expect((await stdinOf("r261-apply")).files.map((f) => f.report)).toEqual([undefined, undefined]);
    expect(() => new t.TroveConfig("r-bad", { registry, imageOptions, troveRelease: "2027.1" })).toThrow(
      /troveRelease "2027.1" is not valid \(known releases: zed, 2023.1/,
    );
  });

  it("the editor reports the section and leaves it in the file; the component's warning says why it stays", async () => {
    const { execFileSync } = await import("node:child_process");
    const { mkdtempSync, readFileSync, writeFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const { TROVE_CONFIG_EDITOR_PY } = await import("../../components/trove/trove-config.js");
    const dir = mkdtempSync(path.join(tmpdir(), "trove-config-"));
    try {
      const guest = path.join(dir, "trove-guestagent.conf");
      const original =
        "[DEFAULT]\nlog_dir = /var/log/trove\n\n[service_credentials]\nauth_url = http://10.0.0.5/identity/v3\npassword = pw\n";
      writeFileSync(guest, original);
      const request = {
        files: [
          {
            path: guest,
            sections: { guest_agent: { container_registry: "10.0.0.5:4000" } },
            restart: [],
            report: ["service_credentials"],
          },
        ],
        directories: {},
      };
      const out = JSON.parse(
        execFileSync("python3", ["-c", TROVE_CONFIG_EDITOR_PY], { input: JSON.stringify(request), encoding: "utf8" }),
      );
      expect(out).toEqual({ changed: [guest], restarted: [], present: { [guest]: ["service_credentials"] } });
      expect(readFileSync(guest, "utf8")).toContain(
        "[service_credentials]\nauth_url = http://10.0.0.5/identity/v3\npassword = pw\n",
      );
      // Without it, the file reports nothing.
      writeFileSync(guest, "[DEFAULT]\n");
      expect(
        JSON.parse(
          execFileSync("python3", ["-c", TROVE_CONFIG_EDITOR_PY], { input: JSON.stringify(request), encoding: "utf8" }),
        ).present,
      ).toEqual({});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(t.retiredSectionsWarning("2026.2", "/etc/trove/trove-guestagent.conf", ["service_credentials"])).toMatch(
      /^\/etc\/trove\/trove-guestagent.conf still has \[service_credentials\], which Trove 2026.2's guest agent no longer reads .* it is left as it is while guests of images built for an earlier release may still need it/,
    );
    expect(t.retiredSectionsWarning("2026.2", "/etc/trove/trove-guestagent.conf", [])).toBeUndefined();
  });
});
