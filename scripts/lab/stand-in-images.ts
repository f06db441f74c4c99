// Small runnable OCI images made offline (no Docker Hub needed): a static busybox and a file naming the image, written
// as an OCI layout and pushed to a plain-HTTP registry with skopeo, standing in for upstream mysql/mariadb/postgres.
// Used by the lab (`npx tsx scripts/lab/stand-in-images.ts <registry> <repo:tag>...`) and by the tests.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  copyFileSync,
  chmodSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";

/** Fails with the Debian package to install when a tool is missing. */
function requireTool(tool: string, debianPackage: string): void {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
  } catch {
    throw new Error(`${tool} is not installed (apt-get install ${debianPackage})`);
  }
}

function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Writes an OCI layout holding one image tagged `tag`, with `padBytes` of random data to make it larger. */
export function makeOciLayout(label: string, tag: string, padBytes = 0): string {
  requireTool("busybox", "busybox-static");
  const out = mkdtempSync(path.join(tmpdir(), "oci-"));
  const rootfs = path.join(out, "rootfs");
  mkdirSync(path.join(rootfs, "bin"), { recursive: true });
  mkdirSync(path.join(rootfs, "etc"));
  copyFileSync(
    execFileSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).trim(),
    path.join(rootfs, "bin/busybox"),
  );
  chmodSync(path.join(rootfs, "bin/busybox"), 0o755);
  for (const applet of ["sh", "cat", "echo", "ls", "true"]) symlinkSync("busybox", path.join(rootfs, "bin", applet));
  writeFileSync(path.join(rootfs, "etc/motd"), `stand-in for ${label}:${tag}\n`);
  if (padBytes > 0)
    writeFileSync(
      path.join(rootfs, "etc/pad"),
      execFileSync("head", ["-c", String(padBytes), "/dev/urandom"], { maxBuffer: padBytes + 1024 }),
    );
  const tar = execFileSync(
    "tar",
    [
      "--sort=name",
      "--mtime=2020-01-01 00:00Z",
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      "-C",
      rootfs,
      "-cf",
      "-",
      ".",
    ],
    { maxBuffer: padBytes + 16 * 2 ** 20 },
  );
  const layer = gzipSync(tar, { level: 1 });
  const blobs = path.join(out, "layout/blobs/sha256");
  mkdirSync(blobs, { recursive: true });
  const put = (data: Buffer | string) => {
    const digest = sha256(data);
    writeFileSync(path.join(blobs, digest), data);
    return { digest: `sha256:${digest}`, size: Buffer.byteLength(data) };
  };
  const layerBlob = put(layer);
  const config = JSON.stringify({
    architecture: "amd64",
    os: "linux",
    config: {
      Env: ["PATH=/bin"],
      Cmd: ["/bin/cat", "/etc/motd"],
      Labels: { "org.example.stand-in": `${label}:${tag}` },
    },
    rootfs: { type: "layers", diff_ids: [`sha256:${sha256(tar)}`] },
  });
  const configBlob = put(config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...configBlob },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layerBlob }],
  });
  const manifestBlob = put(manifest);
  writeFileSync(path.join(out, "layout/oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    path.join(out, "layout/index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          ...manifestBlob,
          annotations: { "org.opencontainers.image.ref.name": tag },
        },
      ],
    }),
  );
  rmSync(rootfs, { recursive: true });
  return path.join(out, "layout");
}

/** Builds a stand-in image and pushes it to a plain-HTTP test registry as `<registry>/<repository>:<tag>`; returns its digest. */
export function pushStandIn(registryAddress: string, repository: string, tag: string, padBytes = 0): string {
  requireTool("skopeo", "skopeo");
  const layout = makeOciLayout(repository, tag, padBytes);
  try {
    execFileSync(
      "skopeo",
      ["copy", "--dest-tls-verify=false", `oci:${layout}:${tag}`, `docker://${registryAddress}/${repository}:${tag}`],
      { stdio: "pipe" },
    );
    return `sha256:${sha256(readFileSync(path.join(layout, "blobs/sha256", (JSON.parse(readFileSync(path.join(layout, "index.json"), "utf8")) as { manifests: Array<{ digest: string }> }).manifests[0]!.digest.slice(7))))}`;
  } finally {
    rmSync(path.dirname(layout), { recursive: true, force: true });
  }
}

// Command line: push each `repo:tag` to the registry.
if (require.main === module) {
  const [registry, ...refs] = process.argv.slice(2);
  if (!registry || refs.length === 0) {
    console.error("usage: stand-in-images.ts <registry host:port> <repository:tag>...");
    process.exit(2);
  }
  for (const ref of refs) {
    const [repository, tag] = ref.split(":");
    console.log(`${registry}/${ref} ${pushStandIn(registry, repository!, tag!)}`);
  }
}
