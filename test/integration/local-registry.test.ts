// LocalRegistry for real: the image and container the component declares are applied to the lab's Docker engine with
// the docker CLI (test/support/lab-executor.ts: the declared image, host network, restart policy, environment, volume
// and uploaded htpasswd/certificate files), then used with curl and skopeo: plain HTTP, basic auth (the component's
// own bcrypt line, checked by the real registry), TLS with our own CA, and deletes allowed or not.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRegistryArgs } from "../../components/registry/local-registry";
import { pushStandIn } from "../../scripts/lab/stand-in-images";
import { DOCKER_CLIENT } from "../support/docker-engine";
import { ensureLab, Lab } from "../support/lab";
import { executeAgainstLab, LabExecution } from "../support/lab-executor";

let lab: Lab;
let work: string;
const executions: LabExecution[] = [];

/** Declares a LocalRegistry and applies its image and container to the lab's engine; returns its address. */
async function runRegistry(
  name: string,
  args: LocalRegistryArgs,
): Promise<{ address: string; execution: LabExecution }> {
  const { LocalRegistry } = await import("../../components/registry/local-registry.js");
  const { execution, result } = await executeAgainstLab(lab, "registry-test", () => new LocalRegistry(name, args));
  executions.push(execution);
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`registry ${name} did not start: ${execution.errors.join("; ")}`)),
      150_000,
    );
    pulumi.output(result.address).apply((a) => {
      clearTimeout(timer);
      resolve(a);
    });
  });
  // The container runs; wait until the registry inside answers.
  const scheme = args.tls ? "https" : "http";
  for (let i = 0; i < 100; i++) {
    if (spawnSync("curl", ["-s", "-k", "-o", "/dev/null", `${scheme}://${address}/v2/`]).status === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { address, execution };
}

function status(args: string[]): string {
  return execFileSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", ...args], { encoding: "utf8" });
}

function inspect(name: string, format: string): string {
  return execFileSync(DOCKER_CLIENT, ["inspect", "--format", format, name], {
    env: { ...process.env, DOCKER_HOST: lab.dockerHost },
    encoding: "utf8",
  }).trim();
}

beforeAll(() => {
  lab = ensureLab();
  process.env.DOCKER_HOST = lab.dockerHost;
  work = mkdtempSync(path.join(tmpdir(), "local-registry-"));
});

afterAll(async () => {
  for (const e of executions) await e.cleanUp();
  rmSync(work, { recursive: true, force: true });
  lab.release();
});

describe("LocalRegistry's container, run for real", () => {
  it("runs the runbook's registry: host network, restart always, images stored in the host directory, deletes refused", async () => {
    const storagePath = path.join(work, "plain");
    const { address } = await runRegistry("plain", {
      advertisedHost: "127.0.0.1",
      bindAddress: "127.0.0.1",
      port: 15040,
      storagePath,
      containerName: "test-registry-plain",
    });
    expect(address).toBe("127.0.0.1:15040");
    expect(inspect("test-registry-plain", "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.NetworkMode}}")).toBe(
      "always host",
    );
    expect(status([`http://${address}/v2/`])).toBe("200");
    const digest = pushStandIn(address, "trove-datastores/mysql", "5.7.29");
    expect(
      existsSync(path.join(storagePath, "docker/registry/v2/blobs/sha256", digest.slice(7, 9), digest.slice(7))),
    ).toBe(true);
    expect(status(["-X", "DELETE", `http://${address}/v2/trove-datastores/mysql/manifests/${digest}`])).toBe("405");
  });

  it("requires the password (checked by the real registry against the component's bcrypt line) and allows deletes when asked", async () => {
    const { address } = await runRegistry("auth", {
      advertisedHost: "127.0.0.1",
      bindAddress: "127.0.0.1",
      port: 15041,
      storagePath: path.join(work, "auth"),
      containerName: "test-registry-auth",
      auth: { username: "trove", password: pulumi.secret("s3cret pw") },
      deleteEnabled: true,
    });
    expect(status([`http://${address}/v2/`])).toBe("401");
    expect(status(["-u", "trove:wrong", `http://${address}/v2/`])).toBe("401");
    expect(status(["-u", "trove:s3cret pw", `http://${address}/v2/`])).toBe("200");
    execFileSync(
      "skopeo",
      [
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        "trove:s3cret pw",
        "docker://127.0.0.1:5001/mysql:5.7.29",
        `docker://${address}/trove-datastores/mysql:5.7.29`,
        "--src-tls-verify=false",
      ],
      { stdio: "pipe" },
    );
    const refused = spawnSync(
      "skopeo",
      ["inspect", "--tls-verify=false", "--creds", "trove:wrong", `docker://${address}/trove-datastores/mysql:5.7.29`],
      { encoding: "utf8" },
    );
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/unauthorized|authentication required/i);
    const digest = execFileSync(
      "skopeo",
      [
        "inspect",
        "--tls-verify=false",
        "--creds",
        "trove:s3cret pw",
        "--format",
        "{{.Digest}}",
        `docker://${address}/trove-datastores/mysql:5.7.29`,
      ],
      { encoding: "utf8" },
    ).trim();
    expect(
      status([
        "-u",
        "trove:s3cret pw",
        "-X",
        "DELETE",
        `http://${address}/v2/trove-datastores/mysql/manifests/${digest}`,
      ]),
    ).toBe("202");
  });

  it("serves TLS with our own CA, and refuses plain HTTP", async () => {
    const dir = path.join(work, "tls");
    execFileSync("bash", [
      "-c",
      `set -e; mkdir -p "${dir}"; cd "${dir}"
      openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca 2>/dev/null
      openssl req -newkey rsa:2048 -nodes -keyout reg.key -out reg.csr -subj /CN=127.0.0.1 2>/dev/null
      printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext
      openssl x509 -req -in reg.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out reg.crt -days 2 -extfile san.ext 2>/dev/null`,
    ]);
    const read = (f: string) => readFileSync(path.join(dir, f), "utf8");
    const { address } = await runRegistry("tls", {
      advertisedHost: "127.0.0.1",
      bindAddress: "127.0.0.1",
      port: 15042,
      storagePath: path.join(work, "tls-data"),
      containerName: "test-registry-tls",
      tls: {
        certificatePem: read("reg.crt"),
        privateKeyPem: pulumi.secret(read("reg.key")),
        caCertificatePem: read("ca.crt"),
      },
    });
    expect(status(["--cacert", path.join(dir, "ca.crt"), `https://${address}/v2/`])).toBe("200");
    expect(spawnSync("curl", ["-s", "-o", "/dev/null", `https://${address}/v2/`]).status).not.toBe(0);
    expect(status([`http://${address}/v2/`])).toBe("400");
  });
});
