// TroveConfig under Pulumi mocks and its pure renderer: Trove's section names, docker_insecure_registries only for
// plain HTTP, the registry password kept secret end to end, and errors for values a config file cannot hold.

import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, isSecret, MockState, valueOf } from "./support/pulumi-mocks";
import { testHostKey } from "./support/ssh-keys";
import { problemsOf } from "../components/schema";

let mocks: MockState;
let t: typeof import("../components/trove-config.js");

beforeAll(async () => {
  mocks = await installMocks({ outputs: (type) => (type === "command:remote:Command" ? { stdout: '{"changed":["/etc/trove/trove.conf"],"restarted":["systemctl restart trove-taskmanager"]}' } : undefined) });
  t = await import("../components/trove-config.js");
});

const imageOptions = {
  mysql: { dockerImage: "10.0.0.5:4000/trove-datastores/mysql", backupDockerImage: "10.0.0.5:4000/trove-datastores/db-backup-mysql:latest" },
  postgresql: { dockerImage: "10.0.0.5:4000/trove-datastores/postgres", backupDockerImage: "10.0.0.5:4000/trove-datastores/db-backup-postgresql:latest" },
};

describe("renderTroveConfig", () => {
  it("writes Trove's sections ([postgresql], not [postgres]) and the registry login", () => {
    const r = t.renderTroveConfig({ registryAddress: "10.0.0.5:4000", insecure: true, imageOptions });
    expect(Object.keys(r.guestAgentConf)).toEqual(["mysql", "postgresql", "guest_agent"]);
    expect(r.troveConf).toEqual({ DEFAULT: { docker_insecure_registries: "10.0.0.5:4000" } });
    expect(r.guestAgentConf.guest_agent).toEqual({ container_registry: "10.0.0.5:4000", container_registry_username: "", container_registry_password: "" });
  });

  it("leaves docker_insecure_registries out for a TLS registry", () => {
    expect(t.renderTroveConfig({ registryAddress: "registry.example.com:443", insecure: false, imageOptions }).troveConf).toEqual({});
  });

  it.each([
    ["a registry address with a newline", { registryAddress: "10.0.0.5:4000\n[DEFAULT]" }, /registry.address "10.0.0.5:4000\\n\[DEFAULT\]" is not valid \(expected host:port/],
    ["a registry address with spaces", { registryAddress: "10.0.0.5 :4000" }, /registry.address "10.0.0.5 :4000" is not valid/],
    ["an unknown datastore", { imageOptions: { redis: imageOptions.mysql } }, /datastores "redis" is not valid \(known: mariadb, mysql, postgresql\)/],
    ["a password with a newline, without printing it", { password: "pw\nx" }, /registry.password "\(secret\)" is not valid \(must not contain newlines/],
  ])("rejects %s", (_label, extra, message) => {
    expect(() => t.renderTroveConfig({ registryAddress: "10.0.0.5:4000", insecure: true, imageOptions, ...(extra as object) })).toThrow(message);
  });
});

describe("TroveConfig", () => {
  it("renders only, for admins who ship config another way, with the guest agent file secret", async () => {
    const c = new t.TroveConfig("render", { registry: { address: "10.0.0.5:4000", insecure: true, username: "trove", password: pulumi.secret("s3cret") }, imageOptions });
    expect(await valueOf(c.troveConf)).toBe("[DEFAULT]\ndocker_insecure_registries = 10.0.0.5:4000\n");
    expect(await valueOf(c.guestAgentConf)).toContain("[postgresql]\ndocker_image = 10.0.0.5:4000/trove-datastores/postgres\nbackup_docker_image = 10.0.0.5:4000/trove-datastores/db-backup-postgresql:latest\n");
    expect(await isSecret(c.guestAgentConf)).toBe(true);
    expect(mocks.resources.filter((r) => r.name.startsWith("render-"))).toEqual([]);
  });

  it("applies over SSH with the request, password included, on stdin and secret; never in the command", async () => {
    const c = new t.TroveConfig("apply", {
      registry: { address: "10.0.0.5:4000", insecure: true, username: "trove", password: pulumi.secret("s3cret") },
      imageOptions,
      controller: { connection: { host: "10.0.0.5", user: "root", privateKey: pulumi.secret("KEY"), hostKey: testHostKey() } },
      cloudInit: { mysql: "#cloud-config\n" },
    });
    const cmd = await mocks.waitFor("apply-apply");
    expect(cmd.type).toBe("command:remote:Command");
    expect(String(cmd.inputs.create)).toMatch(/^\/usr\/bin\/python3 -c '/);
    expect(String(cmd.inputs.create)).not.toContain("s3cret");
    expect(Object.keys(cmd.inputs.stdin as object)).toContain("4dabf18193072939515e22adb298388d");
    const stdin = JSON.parse((cmd.inputs.stdin as { value: string }).value) as import("../components/trove-config.js").EditorRequest;
    expect(stdin.files.map((f) => [f.path, f.restart])).toEqual([
      ["/etc/trove/trove.conf", ["systemctl restart trove-taskmanager"]],
      ["/etc/trove/trove-guestagent.conf", []],
    ]);
    expect(stdin.files[1]!.sections.guest_agent!.container_registry_password).toBe("s3cret");
    expect(stdin.directories).toEqual({ "/etc/trove/cloudinit": { "mysql.cloudinit": "#cloud-config\n" } });
    expect(await valueOf(c.applied)).toEqual({ changed: ["/etc/trove/trove.conf"], restarted: ["systemctl restart trove-taskmanager"] });
  });

  it("rejects cloud-init files without a controller to write them to", () => {
    expect(() => new t.TroveConfig("bad", { registry: { address: "10.0.0.5:4000", insecure: true }, imageOptions, cloudInit: { mysql: "x" } })).toThrow(/cloudInit .* \(cloud-init files are written to the controller: set controller too\)/);
    // The schema refuses it, before the resolver runs.
    expect(problemsOf(t.TROVE_CONFIG_SCHEMA, { registry: { address: "10.0.0.5:4000", insecure: true }, imageOptions, cloudInit: { mysql: "x" } })).toEqual([{ field: "cloudInit", value: ["mysql"], allowed: "cloud-init files are written to the controller: set controller too" }]);
  });
});
