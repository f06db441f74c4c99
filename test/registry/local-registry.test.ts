// LocalRegistry under Pulumi mocks: the runbook's `docker run` as a declared container, plus auth and TLS, with the
// password kept secret and a stable htpasswd line (so a no-op `pulumi up` changes nothing).

import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, isSecret, MockState, valueOf } from "../support/pulumi-mocks";

const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

let mocks: MockState;
let r: typeof import("../../components/registry/local-registry.js");

beforeAll(async () => {
  mocks = await installMocks({
    outputs: (type, name) => {
      if (type === "docker:index/remoteImage:RemoteImage") return { imageId: `sha256:${name}` };
      if (type === "tls:index/privateKey:PrivateKey") return { privateKeyPem: "GENERATED-KEY" };
      if (type === "tls:index/selfSignedCert:SelfSignedCert") return { certPem: "GENERATED-CERT" };
      return undefined;
    },
  });
  r = await import("../../components/registry/local-registry.js");
});

describe("LocalRegistry", () => {
  it("declares the runbook's registry: registry:2, host network, 0.0.0.0:4000, restart always, /opt/trove_registry", async () => {
    const reg = new r.LocalRegistry("plain", { advertisedHost: "10.0.0.5" });
    const c = await mocks.waitFor("plain-container");
    expect(c.type).toBe("docker:index/container:Container");
    expect(c.inputs).toMatchObject({
      name: "registry",
      image: "sha256:plain-image",
      networkMode: "host",
      restart: "always",
      envs: ["REGISTRY_HTTP_ADDR=0.0.0.0:4000"],
      volumes: [{ hostPath: "/opt/trove_registry", containerPath: "/var/lib/registry" }],
    });
    expect(mocks.named("plain-image").inputs).toMatchObject({ name: "registry:2" });
    expect(await valueOf(reg.address)).toBe("10.0.0.5:4000");
    expect(await valueOf(reg.insecure)).toBe(true);
  });

  it("adds htpasswd auth with the password secret, and TLS", async () => {
    const reg = new r.LocalRegistry("secure", {
      advertisedHost: "registry.example.com",
      port: 5443,
      storagePath: "/srv/registry",
      deleteEnabled: true,
      auth: { username: "trove", password: pulumi.secret("s3cret") },
      tls: { certificatePem: CERT, privateKeyPem: pulumi.secret("KEY") },
    });
    const c = await mocks.waitFor("secure-container");
    expect(c.inputs.envs).toEqual([
      "REGISTRY_HTTP_ADDR=0.0.0.0:5443",
      "REGISTRY_STORAGE_DELETE_ENABLED=true",
      "REGISTRY_AUTH=htpasswd",
      "REGISTRY_AUTH_HTPASSWD_REALM=trove-registry",
      "REGISTRY_AUTH_HTPASSWD_PATH=/auth/htpasswd",
      "REGISTRY_HTTP_TLS_CERTIFICATE=/certs/domain.crt",
      "REGISTRY_HTTP_TLS_KEY=/certs/domain.key",
    ]);
    expect(JSON.stringify(c.inputs)).not.toContain("s3cret");
    expect(await valueOf(reg.insecure)).toBe(false);
    expect(await isSecret(reg.password)).toBe(true);
    expect(await valueOf(reg.caCertificatePem)).toBe(CERT);
    expect(await valueOf(reg.address)).toBe("registry.example.com:5443");
  });

  it("generates a self-signed certificate for the advertised host when asked, its key secret, and hands it to clients", async () => {
    const reg = new r.LocalRegistry("gen", { advertisedHost: "10.0.0.5", tls: { generate: true } });
    const key = await mocks.waitFor("gen-tls-key");
    expect(key.type).toBe("tls:index/privateKey:PrivateKey");
    expect(key.parent).toBe("gen");
    const cert = await mocks.waitFor("gen-tls-cert");
    expect(cert.type).toBe("tls:index/selfSignedCert:SelfSignedCert");
    expect(cert.inputs).toMatchObject({
      ipAddresses: ["10.0.0.5"],
      subject: { commonName: "10.0.0.5" },
      validityPeriodHours: 825 * 24,
    });
    expect(cert.dependsOn).toContain("gen-tls-key");
    const c = await mocks.waitFor("gen-container");
    expect(c.inputs.envs).toContain("REGISTRY_HTTP_TLS_CERTIFICATE=/certs/domain.crt");
    expect(await valueOf(reg.insecure)).toBe(false);
    expect(await valueOf(reg.caCertificatePem)).toBe("GENERATED-CERT");
    new r.LocalRegistry("gendns", {
      advertisedHost: "registry.example.com",
      tls: { generate: true, validityDays: 30 },
    });
    expect((await mocks.waitFor("gendns-tls-cert")).inputs).toMatchObject({
      dnsNames: ["registry.example.com"],
      validityPeriodHours: 720,
    });
    expect(
      () => new r.LocalRegistry("genbad", { advertisedHost: "10.0.0.5", tls: { generate: true, validityDays: 0 } }),
    ).toThrow(/tls.validityDays "0" is not valid \(expected a whole number from 1 to 3650\)/);
  });

  it("writes an htpasswd line the registry's bcrypt accepts, the same on every run", () => {
    const line = r.htpasswdLine("trove", "s3cret", "trove-registry");
    expect(line).toBe(r.htpasswdLine("trove", "s3cret", "trove-registry"));
    expect(line).not.toBe(r.htpasswdLine("trove", "other", "trove-registry"));
    expect(line).toMatch(/^trove:\$2b\$10\$/);
    // Apache's htpasswd verifies it, as the registry (Go bcrypt) does.
    const dir = mkdtempSync(path.join(tmpdir(), "htpasswd-"));
    writeFileSync(path.join(dir, "h"), `${line}\n`);
    expect(() =>
      execFileSync("htpasswd", ["-vbB", path.join(dir, "h"), "trove", "s3cret"], { stdio: "pipe" }),
    ).not.toThrow();
    expect(() =>
      execFileSync("htpasswd", ["-vbB", path.join(dir, "h"), "trove", "wrong"], { stdio: "pipe" }),
    ).toThrow();
  });

  it.each([
    ["an address with a space", { advertisedHost: "10.0.0.5 x" }, /advertisedHost "10.0.0.5 x" is not valid/],
    [
      "a port out of range",
      { advertisedHost: "10.0.0.5", port: 70000 },
      /port "70000" is not valid \(expected a whole number from 1 to 65535\)/,
    ],
    [
      "a relative storage path",
      { advertisedHost: "10.0.0.5", storagePath: "registry" },
      /storagePath "registry" is not valid/,
    ],
    [
      "a certificate beside generate: true",
      { advertisedHost: "10.0.0.5", tls: { generate: true, certificatePem: "x" } },
      /tls.certificatePem "certificatePem" is not valid \(unknown field; allowed: generate, validityDays\)/,
    ],
    [
      "an image reference with uppercase",
      { advertisedHost: "10.0.0.5", image: "Registry:2" },
      /image "Registry:2" is not valid/,
    ],
    [
      "a container name with a space",
      { advertisedHost: "10.0.0.5", containerName: "my registry" },
      /containerName "my registry" is not valid/,
    ],
    [
      "a realm with a quote",
      { advertisedHost: "10.0.0.5", auth: { username: "trove", password: "x", realm: 'a"b' } },
      /auth.realm "a\\"b" is not valid/,
    ],
    [
      "a user name htpasswd cannot hold",
      { advertisedHost: "10.0.0.5", auth: { username: "a:b", password: "x" } },
      /auth.username "a:b"/,
    ],
    [
      "a user name with '@', which the registry's htpasswd rule leaves out",
      { advertisedHost: "10.0.0.5", auth: { username: "ops@site", password: "x" } },
      /auth.username "ops@site" is not valid \(expected 1 to 64 letters, digits, '\.', '_' or '-'\)/,
    ],
    [
      "an IPv6 bind address",
      { advertisedHost: "10.0.0.5", bindAddress: "::" },
      /bindAddress "::" is not valid \(expected an IPv4 address/,
    ],
    [
      "a bracketed IPv6 bind address",
      { advertisedHost: "10.0.0.5", bindAddress: "[::]" },
      /bindAddress "\[::\]" is not valid \(expected an IPv4 address/,
    ],
    [
      "a host name as bind address",
      { advertisedHost: "10.0.0.5", bindAddress: "localhost" },
      /bindAddress "localhost" is not valid/,
    ],
  ])("rejects %s", (_label, args, message) => {
    expect(() => new r.LocalRegistry("bad", args as never)).toThrow(message);
  });
});
