// GuestImageBuild under Pulumi mocks: the exact trovestack command line and environment, the defaults from the
// runbook, when the image is rebuilt, and the errors `pulumi preview` shows for bad input.

import * as path from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { FETCH_DELETE_SCRIPT, FETCH_SCRIPT } from "../../components/image/image-fetch";
import { installMocks, isSecret, MockState, valueOf } from "../support/pulumi-mocks";
import { testHostKey } from "../support/ssh-keys";

const HOST_KEY = testHostKey();
const SHA = "a".repeat(64);
let mocks: MockState;
let m: typeof import("../../components/image/guest-image-build.js");

beforeAll(async () => {
  mocks = await installMocks({
    outputs: (type, _name, inputs) =>
      type.startsWith("command:")
        ? { stdout: `building...\n{"path":"/root/images/x.qcow2","sha256":"${SHA}","sizeBytes":1234}` }
        : inputs,
  });
  m = await import("../../components/image/guest-image-build.js");
});

describe("GuestImageBuild", () => {
  it("passes preloadImages as DIB_TROVE_DOCKER_IMAGES (sorted, each once, quoted) and makes the set a trigger", async () => {
    expect(
      m.preloadImagesValue(["r:4000/trove/mysql:8.4", "r:4000/trove/db-backup-mysql:8.4", "r:4000/trove/mysql:8.4"]),
    ).toBe("r:4000/trove/db-backup-mysql:8.4 r:4000/trove/mysql:8.4");
    expect(() => m.preloadImagesValue(["a b"])).toThrow(
      /GuestImageBuild: preloadImages "a b" is not valid \(expected an image reference/,
    );
    expect(() => m.preloadImagesValue(["src=dst"])).toThrow(/without spaces or '='/);
    const args = {
      buildCheckout: { dir: "/t", ref: "m" },
      troveRelease: "2026.2",
      guestOsRelease: "noble",
      allowUntested: true,
    };
    new m.GuestImageBuild("preload", {
      ...args,
      preloadImages: pulumi.output(["r:4000/trove/mysql:8.4", "r:4000/trove/db-backup-mysql:8.4"]),
    });
    const build = await mocks.waitFor("preload-build");
    expect(build.inputs.create).toBe(m.BUILD_SCRIPT);
    expect((build.inputs.environment as Record<string, string>).DIB_TROVE_DOCKER_IMAGES).toBe(
      "r:4000/trove/db-backup-mysql:8.4 r:4000/trove/mysql:8.4",
    );
    expect(build.inputs.triggers).toContain("preload:r:4000/trove/db-backup-mysql:8.4 r:4000/trove/mysql:8.4");
    new m.GuestImageBuild("plain", args);
    const plain = await mocks.waitFor("plain-build");
    expect(Object.keys(plain.inputs.environment as object)).not.toContain("DIB_TROVE_DOCKER_IMAGES");
    expect((plain.inputs.triggers as string[]).filter((t) => t.startsWith("preload:"))).toEqual([]);
  });

  it("runs the runbook's default build: ubuntu jammy, dev mode, user ubuntu, $HOME/images/...-dev.qcow2", async () => {
    const build = new m.GuestImageBuild("defaults", {
      buildCheckout: { dir: "/opt/stack/trove", ref: "stable/2024.1" },
    });
    const inputs = (await mocks.waitFor("defaults-build")).inputs;
    // The script is fixed text; the command's environment carries trovestack's arguments and variables.
    expect(inputs.create).toBe(m.BUILD_SCRIPT);
    expect(m.BUILD_SCRIPT).toContain('cd -- "$PULUMI_TROVE_BUILD_SCRIPTS_DIR"');
    expect(m.BUILD_SCRIPT).toContain(
      './trovestack build-image "$PULUMI_TROVE_BUILD_GUEST_OS" "$PULUMI_TROVE_BUILD_GUEST_OS_RELEASE" "$PULUMI_TROVE_BUILD_DEV_MODE" "$PULUMI_TROVE_BUILD_GUEST_USERNAME" "$partial"',
    );
    expect(inputs.environment).toEqual({
      PULUMI_TROVE_BUILD_SCRIPTS_DIR: "/opt/stack/trove/integration/scripts",
      PULUMI_TROVE_BUILD_OUTPUT: "$HOME/images/trove-guest-ubuntu-jammy-dev.qcow2",
      PULUMI_TROVE_BUILD_GUEST_OS: "ubuntu",
      PULUMI_TROVE_BUILD_GUEST_OS_RELEASE: "jammy",
      PULUMI_TROVE_BUILD_DEV_MODE: "true",
      PULUMI_TROVE_BUILD_GUEST_USERNAME: "ubuntu",
      DIB_CLOUD_INIT_DATASOURCES: "ConfigDrive, OpenStack",
      PULUMI_TROVE_BUILD_REBUILD_HINT:
        "pulumi up --replace <URN of defaults-build> (pulumi stack --show-urns lists it)",
    });
    expect(mocks.named("defaults-build").inputs.interpreter).toEqual(["/bin/bash", "-c"]);
    expect(await valueOf(build.diskFormat)).toBe("qcow2");
    expect(await valueOf(build.sha256)).toBe(SHA);
    expect(await valueOf(build.sizeBytes)).toBe(1234);
    expect(await valueOf(build.imagePath)).toBe("/root/images/x.qcow2");
  });

  it("sets HOST_SCP_USERNAME in dev mode and drops -dev from the default path outside it", async () => {
    new m.GuestImageBuild("devstack", {
      buildCheckout: { dir: "/opt/stack/trove", ref: "master" },
      hostScpUsername: "stack",
    });
    new m.GuestImageBuild("prod", {
      buildCheckout: { dir: "/srv/trove", ref: "master" },
      devMode: false,
      outputImagePath: "/srv/images/guest.raw",
    });
    expect((await mocks.waitFor("devstack-build")).inputs.environment).toMatchObject({ HOST_SCP_USERNAME: "stack" });
    const prod = (await mocks.waitFor("prod-build")).inputs.environment as Record<string, string>;
    expect(prod).toMatchObject({
      PULUMI_TROVE_BUILD_GUEST_OS: "ubuntu",
      PULUMI_TROVE_BUILD_GUEST_OS_RELEASE: "jammy",
      PULUMI_TROVE_BUILD_DEV_MODE: "false",
      PULUMI_TROVE_BUILD_GUEST_USERNAME: "ubuntu",
    });
    expect(prod.PULUMI_TROVE_BUILD_OUTPUT).toBe("/srv/images/guest.raw");
    expect(Object.keys(prod)).not.toContain("HOST_SCP_USERNAME");
    expect(m.defaultOutputImagePath("ubuntu", "jammy", false)).toBe("$HOME/images/trove-guest-ubuntu-jammy.qcow2");
    expect(
      m.resolveGuestImageBuildArgs("p", {
        buildCheckout: { dir: "/srv/trove", ref: "m" },
        devMode: false,
        outputImagePath: "/srv/images/guest.raw",
      }).diskFormat,
    ).toBe("raw");
  });

  it("rebuilds only when an input that shapes the image changes", () => {
    const base = { buildCheckout: { dir: "/opt/stack/trove", ref: "abc123" } };
    const t = (extra: object) => m.resolveGuestImageBuildArgs("t", { ...base, ...extra }).triggers;
    expect(t({})).toEqual(t({}));
    for (const change of [
      { buildCheckout: { dir: "/opt/stack/trove", ref: "def456" } },
      { buildCheckout: { dir: "/srv/trove", ref: "abc123" } },
      { devMode: false },
      { guestUsername: "trove" },
      { localElementsPath: "/opt/elements" },
      { environment: { GUEST_IMAGESIZE: "6" } },
      { guestOsRelease: "noble", allowUntested: true },
    ]) {
      expect(t(change)).not.toEqual(t({}));
    }
  });

  it("still takes its former fields troveSourceDir and troveRef, with one warning naming buildCheckout, and declares what buildCheckout declares; refuses a former field beside buildCheckout", async () => {
    const host = { buildHost: { host: "10.0.0.5", user: "stack", privateKey: "KEY", hostKey: HOST_KEY } };
    const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    try {
      new m.GuestImageBuild("formerfields", { troveSourceDir: "/opt/stack/trove", troveRef: "stable/2026.1", ...host });
      new m.GuestImageBuild("checkoutobject", {
        buildCheckout: { dir: "/opt/stack/trove", ref: "stable/2026.1" },
        ...host,
      });
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
        'GuestImageBuild "formerfields": troveSourceDir and troveRef are deprecated: they are now buildCheckout.dir and buildCheckout.ref; the former names still work for now and will be removed in a later release',
      ]);
    } finally {
      warn.mockRestore();
    }
    // The same triggers, environment and script: the build command's inputs differ only in the component's name.
    const inputsOf = async (name: string) =>
      JSON.stringify((await mocks.waitFor(`${name}-build`)).inputs).replaceAll(name, "<name>");
    expect(await inputsOf("formerfields")).toEqual(await inputsOf("checkoutobject"));
    expect(new m.GuestImageBuild("r", { troveSourceDir: "/t", troveRef: "m" }).resolved).toEqual({
      ...new m.GuestImageBuild("r2", { buildCheckout: { dir: "/t", ref: "m" } }).resolved,
      warnings: [
        "troveSourceDir and troveRef are deprecated: they are now buildCheckout.dir and buildCheckout.ref; the former names still work for now and will be removed in a later release",
      ],
    });
    // troveRef alone beside an image URL was taken and built nothing; it still is taken, with its warning, and builds
    // nothing (it belongs to no checkout: dropped).
    expect(
      new m.GuestImageBuild("alone", { troveRef: "m", imageUrl: "https://example.com/g.qcow2" }).resolved,
    ).toMatchObject({
      troveRef: "unknown",
      source: { kind: "url" },
      warnings: [expect.stringMatching(/^troveRef is deprecated: it is now buildCheckout.ref;/)],
    });

    const refused = (name: string, extra: object) => () =>
      new m.GuestImageBuild(name, { buildCheckout: { dir: "/opt/stack/trove" }, ...extra });
    expect(refused("both", { troveSourceDir: "/srv/trove" })).toThrow(
      'GuestImageBuild "both": troveSourceDir "/srv/trove" is not valid (troveSourceDir is the former name of buildCheckout.dir, and buildCheckout is given too; keep only buildCheckout).',
    );
    expect(refused("ref", { troveRef: "master" })).toThrow(
      'GuestImageBuild "ref": troveRef "master" is not valid (troveRef is the former name of buildCheckout.ref, and buildCheckout is given too; keep only buildCheckout).',
    );
  });

  it("runs the build on a remote host over SSH, the key kept out of the command", async () => {
    new m.GuestImageBuild("remote", {
      buildCheckout: { dir: "/opt/stack/trove", ref: "master" },
      buildHost: { host: "10.0.0.5", user: "stack", privateKey: "KEY", hostKey: HOST_KEY },
    });
    const r = await mocks.waitFor("remote-build");
    expect(r.type).toBe("command:remote:Command");
    expect(r.inputs.create).toMatch(/^bash -c '/);
    expect(r.inputs.create).not.toContain("KEY");
    expect(JSON.stringify(r.inputs.connection)).toContain('"host":"10.0.0.5"');
  });

  it("copies a remote build's image here over SSH, checked against the build's sha256, the key only on stdin", async () => {
    const build = new m.GuestImageBuild("far", {
      buildCheckout: { dir: "/opt/stack/trove", ref: "master" },
      buildHost: {
        host: "10.0.0.5",
        port: 2222,
        user: "stack",
        privateKey: pulumi.secret("PRIVATE-KEY-TEXT"),
        hostKey: `10.0.0.5 ${HOST_KEY}`,
      },
    });
    const fetch = await mocks.waitFor("far-fetch");
    expect(fetch.type).toBe("command:local:Command");
    expect(fetch.parent).toBe("far");
    expect(fetch.dependsOn).toContain("far-build");
    expect(fetch.inputs.environment).toEqual({
      FETCH_HOST: "10.0.0.5",
      FETCH_PORT: "2222",
      FETCH_USER: "stack",
      FETCH_REMOTE_PATH: "/root/images/x.qcow2",
      FETCH_SHA256: SHA,
      FETCH_LOCAL_PATH: "/var/tmp/pulumi-trove-images/trove-guest-ubuntu-jammy-dev.qcow2",
      FETCH_HOST_KEY: HOST_KEY,
      FETCH_INSECURE_IGNORE_HOST_KEY: "false",
    });
    expect(fetch.inputs.create).toBe(FETCH_SCRIPT);
    // A destroy takes the copy back (while it is still this copy's).
    expect(fetch.inputs.delete).toBe(FETCH_DELETE_SCRIPT);
    // And the image on the build host: a command that runs nothing before the destroy, its delete made from the
    // image the build printed (path and sha256), with the build host's connection.
    const cleanup = await mocks.waitFor("far-build-cleanup");
    expect(cleanup.type).toBe("command:remote:Command");
    expect(cleanup.dependsOn).toContain("far-build");
    expect(cleanup.inputs.create).toBeUndefined();
    expect(cleanup.inputs.update).toBeUndefined();
    expect(cleanup.inputs.delete).toMatch(/^bash -c '/);
    expect(cleanup.inputs.delete).toContain(`PULUMI_TROVE_BUILD_SHA256=${SHA}`);
    expect(cleanup.inputs.delete).toContain("PULUMI_TROVE_BUILD_OUTPUT=/root/images/x.qcow2");
    expect(JSON.stringify(cleanup.inputs.connection)).toContain('"port":2222');
    expect(JSON.stringify(fetch.inputs.create) + JSON.stringify(fetch.inputs.environment)).not.toContain(
      "PRIVATE-KEY-TEXT",
    );
    expect(build.availableLocally).toBe(true);
    // The mocks echo the inputs back, so the fetch's stdout is the build's JSON line: its path is what Glance uploads.
    expect(await valueOf(build.localImagePath)).toBe("/root/images/x.qcow2");
    expect(await isSecret(build.localImagePath)).toBe(false);
  });

  it("keeps the key secret on the fetch's stdin", async () => {
    const { fetchStdin } = await import("../../components/image/guest-image-build.js");
    const stdin = fetchStdin({ host: "h", user: "u", privateKey: "KEY" });
    expect(await isSecret(stdin)).toBe(true);
    expect(await valueOf(stdin)).toBe("KEY");
    expect(await valueOf(fetchStdin({ host: "h", user: "u" }))).toBe("");
  });

  it("leaves a remote build's image on the build host with fetchImage: false, or copies it where told", async () => {
    const kept = new m.GuestImageBuild("kept", {
      buildCheckout: { dir: "/opt/stack/trove", ref: "m" },
      buildHost: { host: "10.0.0.5", user: "stack", hostKey: HOST_KEY },
      fetchImage: false,
    });
    await mocks.waitFor("kept-build");
    expect(mocks.resources.filter((r) => r.name === "kept-fetch")).toEqual([]);
    expect(kept.availableLocally).toBe(false);
    expect(await valueOf(kept.localImagePath)).toBeUndefined();

    new m.GuestImageBuild("told", {
      buildCheckout: { dir: "/opt/stack/trove", ref: "m" },
      outputImagePath: "/srv/images/guest.raw",
      buildHost: { host: "10.0.0.5", user: "stack", insecureIgnoreHostKey: true },
      fetchImage: { path: "/data/images/guest.raw" },
    });
    expect((await mocks.waitFor("told-fetch")).inputs.environment).toMatchObject({
      FETCH_LOCAL_PATH: "/data/images/guest.raw",
      FETCH_HOST_KEY: "",
      FETCH_INSECURE_IGNORE_HOST_KEY: "true",
      FETCH_PORT: "22",
    });
  });

  it("describes an existing image file instead of building", async () => {
    const build = new m.GuestImageBuild("existing", {
      existingImagePath: path.join(__dirname, "..", "fixtures/tiny.qcow2"),
    });
    expect(await valueOf(build.diskFormat)).toBe("qcow2");
    expect((await mocks.waitFor("existing-describe")).inputs.create).toContain("sha256sum");
  });

  it("takes a published URL without building", async () => {
    const build = new m.GuestImageBuild("url", {
      imageUrl: "https://images.example.com/trove-guest-ubuntu-jammy.qcow2",
    });
    expect(await valueOf(build.imageUrl)).toBe("https://images.example.com/trove-guest-ubuntu-jammy.qcow2");
    expect(mocks.resources.filter((r) => r.name.startsWith("url-"))).toEqual([]);
  });

  describe("rejects bad input at construction, naming the field and what is allowed", () => {
    const cases: Array<[string, object, RegExp]> = [
      [
        "fetchImage without a build host",
        { fetchImage: { path: "/tmp/x.qcow2" } },
        /fetchImage .* is not valid \(only for a remote build: give buildHost, or remove fetchImage\)/,
      ],
      [
        "a fetch path with another extension",
        { buildHost: { host: "h", user: "u", hostKey: HOST_KEY }, fetchImage: { path: "/tmp/x.raw" } },
        /fetchImage.path "\/tmp\/x.raw" is not valid \(expected the image's own extension \(.qcow2\)/,
      ],
      [
        "a relative fetch path",
        { buildHost: { host: "h", user: "u", hostKey: HOST_KEY }, fetchImage: { path: "images/x.qcow2" } },
        /fetchImage.path "images\/x.qcow2" is not valid \(expected an absolute path/,
      ],
      [
        "a password-only build host when the image is copied here",
        { buildHost: { host: "h", user: "u", password: "pw", hostKey: HOST_KEY } },
        /buildHost.password "\(secret\)" is not valid \(copying the image here needs buildHost.privateKey/,
      ],
      [
        "an untested release",
        { guestOsRelease: "focal" },
        /guestOsRelease "focal" is not valid \(supported: jammy; set allowUntested: true to try it anyway\)/,
      ],
      ["an untested OS", { guestOs: "centos" }, /guestOs "centos" is not valid \(supported: ubuntu;/],
      [
        "datasources without OpenStack",
        { cloudInitDatasources: ["ConfigDrive"] },
        /cloudInitDatasources .* \(must include "OpenStack": since Yoga/,
      ],
      [
        "HOST_SCP_USERNAME outside dev mode",
        { devMode: false, hostScpUsername: "stack" },
        /hostScpUsername "stack" is not valid \(only used in dev mode/,
      ],
      [
        "an unknown image extension",
        { outputImagePath: "/srv/guest.iso" },
        /outputImagePath "\/srv\/guest.iso" is not valid \(unknown image extension; known: qcow2, raw, vhd\)/,
      ],
      [
        "a path trovestack would split",
        { outputImagePath: "/srv/my images/guest.qcow2" },
        /outputImagePath .* \(trovestack does not quote it\)/,
      ],
      [
        "a misspelt field, with the field it most likely means",
        { guestosrelease: "noble" },
        /GuestImageBuild "bad": guestosrelease "guestosrelease" is not valid \(unknown field; did you mean guestOsRelease\?\)\.$/,
      ],
      [
        "a relative Trove checkout",
        { buildCheckout: { dir: "trove" } },
        /buildCheckout.dir "trove" is not valid \(expected an absolute path/,
      ],
      [
        "relative local elements",
        { localElementsPath: "elements" },
        /localElementsPath "elements" is not valid \(expected an absolute path/,
      ],
      [
        "a datasource name cloud-init lacks",
        { cloudInitDatasources: ["OpenStack", "Config-Drive"] },
        /cloudInitDatasources\[1\] "Config-Drive" is not valid \(expected a cloud-init datasource name/,
      ],
      [
        "a guest OS release with a space",
        { guestOsRelease: "jammy jellyfish", allowUntested: true },
        /guestOsRelease "jammy jellyfish" is not valid/,
      ],
      ["a user name with a shell metacharacter", { guestUsername: "ubuntu;reboot" }, /guestUsername "ubuntu;reboot"/],
      [
        "a guest user name with uppercase or '.'",
        { guestUsername: "Ops.admin" },
        /guestUsername "Ops.admin" is not valid \(expected a Linux user name: up to 32 lowercase letters/,
      ],
      [
        "a host scp user name with uppercase",
        { hostScpUsername: "Stack" },
        /hostScpUsername "Stack" is not valid \(expected a Linux user name/,
      ],
      [
        "a lowercase environment variable",
        { environment: { guest_imagesize: "6" } },
        /environment.guest_imagesize .*expected an environment variable name of uppercase letters/,
      ],
      [
        "an env var set through the wrong door",
        { environment: { HOST_SCP_USERNAME: "x" } },
        /environment.HOST_SCP_USERNAME .* \(set it with its own argument/,
      ],
      [
        "an insecure Ubuntu mirror in a production build",
        { devMode: false, environment: { DIB_DISTRIBUTION_MIRROR_UBUNTU_INSECURE: "1" } },
        /GuestImageBuild "bad": environment.DIB_DISTRIBUTION_MIRROR_UBUNTU_INSECURE "1" is not valid \(makes apt in the image accept unsigned packages; not allowed in a production build \(devMode false\)\)/,
      ],
      [
        "debootstrap without signature checks in a production build",
        { devMode: false, environment: { DIB_DEBOOTSTRAP_EXTRA_ARGS: "--variant=minbase --no-check-gpg" } },
        /environment.DIB_DEBOOTSTRAP_EXTRA_ARGS "--variant=minbase --no-check-gpg" is not valid \(must not turn off signature checks/,
      ],
    ];
    it.each(cases)("%s", (_label, extra, message) => {
      expect(
        () => new m.GuestImageBuild("bad", { buildCheckout: { dir: "/opt/stack/trove", ref: "master" }, ...extra }),
      ).toThrow(message);
    });

    it("no image source at all", () => {
      expect(() => new m.GuestImageBuild("rel", { existingImagePath: "guest.qcow2" })).toThrow(
        /existingImagePath "guest.qcow2" is not valid \(expected an absolute path/,
      );
      expect(() => new m.GuestImageBuild("ftp", { imageUrl: "ftp://example.com/guest.qcow2" })).toThrow(
        /imageUrl "ftp:\/\/example.com\/guest.qcow2" is not valid \(expected an http:\/\/ or https:\/\/ URL/,
      );
      expect(
        () =>
          new m.GuestImageBuild("two", {
            existingImagePath: "/srv/guest.qcow2",
            imageUrl: "https://example.com/guest.qcow2",
          }),
      ).toThrow(/imageUrl .* is not valid \(give either existingImagePath or imageUrl, not both\)/);
      expect(() => new m.GuestImageBuild("none", {})).toThrow(
        /buildCheckout undefined is not valid \(give buildCheckout to build, or existingImagePath or imageUrl/,
      );
    });

    it("an existing file that is not there", () => {
      expect(() => new m.GuestImageBuild("missing", { existingImagePath: "/nonexistent/guest.qcow2" })).toThrow(
        /existingImagePath "\/nonexistent\/guest.qcow2" is not valid \(no such file on this machine\)/,
      );
    });

    it("several problems at once, all listed", () => {
      expect(
        () =>
          new m.GuestImageBuild("multi", {
            buildCheckout: { dir: "/t", ref: "m" },
            guestOsRelease: "focal",
            cloudInitDatasources: ["ConfigDrive"],
          }),
      ).toThrow(/2 invalid inputs:\n {2}- guestOsRelease[^\n]*\n {2}- cloudInitDatasources/);
    });

    it("checks the checkout for the unsigned-apt CI element in a production build only, and warns where the release's trovestack adds it", () => {
      const prod = m.resolveGuestImageBuildArgs("p", {
        buildCheckout: { dir: "/t", ref: "m" },
        devMode: false,
        troveRelease: "2026.2",
        guestOsRelease: "noble",
      });
      const dev = m.resolveGuestImageBuildArgs("d", {
        buildCheckout: { dir: "/t", ref: "m" },
        troveRelease: "2026.2",
        guestOsRelease: "noble",
        environment: { DIB_DISTRIBUTION_MIRROR_UBUNTU_INSECURE: "1" },
      });
      // One script for both: the check runs when PULUMI_TROVE_BUILD_DEV_MODE is not true (the integration test runs it).
      expect(m.BUILD_SCRIPT).toMatch(
        /if \[ "\$PULUMI_TROVE_BUILD_DEV_MODE" != true \]; then\n(\s*#.*\n)*\s*found=\$\(grep -rlwF -- openstack-ci-mirrors \. \$\{DIB_LOCAL_ELEMENTS_PATH:\+"\$DIB_LOCAL_ELEMENTS_PATH"\}/,
      );
      expect(m.BUILD_SCRIPT).toContain(m.UNSIGNED_APT_ELEMENT);
      expect(prod.source.kind === "build" && m.renderBuildScript(prod.source.scriptInputs)).toContain(
        "export PULUMI_TROVE_BUILD_DEV_MODE=false\n",
      );
      expect(dev.source.kind === "build" && m.renderBuildScript(dev.source.scriptInputs)).toContain(
        "export PULUMI_TROVE_BUILD_DEV_MODE=true\n",
      );
      expect(prod.warnings).toEqual([
        expect.stringMatching(
          /^Trove 2026.2's trovestack adds diskimage-builder's openstack-ci-mirrors element .* will stop before trovestack runs unless \/t no longer names it$/,
        ),
      ]);
      expect(
        m.resolveGuestImageBuildArgs("o", {
          buildCheckout: { dir: "/t", ref: "m" },
          devMode: false,
          troveRelease: "2026.1",
        }).warnings,
      ).toEqual([]);
    });

    it("pins a 2026.2 production build's guest agent to buildCheckout.ref (its trovestack bakes the checkout's HEAD); other releases and dev mode are left alone", () => {
      const base = {
        buildCheckout: { dir: "/t", ref: "4cdc0cda" },
        devMode: false,
        troveRelease: "2026.2",
        guestOsRelease: "noble",
      };
      const envOf = (s: ReturnType<typeof m.resolveGuestImageBuildArgs>) =>
        s.source.kind === "build" ? m.buildScriptEnvironment(s.source.scriptInputs) : {};
      const prod = m.resolveGuestImageBuildArgs("pin", base);
      expect(envOf(prod)).toMatchObject({
        PULUMI_TROVE_BUILD_CHECKOUT: "/t",
        PULUMI_TROVE_BUILD_GUEST_AGENT_REF: "4cdc0cda",
      });
      expect(prod.source.kind === "build" && m.renderBuildScript(prod.source.scriptInputs)).toContain(
        "export PULUMI_TROVE_BUILD_GUEST_AGENT_REF=4cdc0cda\n",
      );
      // The pin is no trigger of its own: the checkout's ref already is one.
      expect(prod.triggers).toContain("trove:/t@4cdc0cda");
      expect(prod.triggers.some((t) => t.includes("GUEST_AGENT_REF"))).toBe(false);
      for (const other of [
        { ...base, devMode: true },
        { ...base, troveRelease: "2026.1" },
        { ...base, troveRelease: "zed", guestOsRelease: "jammy" },
      ]) {
        expect(envOf(m.resolveGuestImageBuildArgs("np", other))).not.toHaveProperty(
          "PULUMI_TROVE_BUILD_GUEST_AGENT_REF",
        );
      }
      // A remote build without a ref cannot say what to bake: refused, naming the upstream change.
      expect(() =>
        m.resolveGuestImageBuildArgs("unknown", {
          ...base,
          buildCheckout: { dir: "/t" },
          buildHost: {
            host: "b",
            user: "u",
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
          },
          fetchImage: false,
        }),
      ).toThrow(
        /buildCheckout.ref "unknown" is not valid \(Trove 2026.2's image build bakes the guest agent from the checkout's git HEAD \(upstream 867b6b26\), and a production build \(devMode false\) pins it to buildCheckout.ref: set buildCheckout.ref/,
      );
      // The admin's own source wins, and is named.
      const own = m.resolveGuestImageBuildArgs("own", {
        ...base,
        environment: { DIB_REPOLOCATION_guest_agent: "/srv/agent", DIB_REPOREF_guest_agent: "v1" },
      });
      expect(envOf(own)).not.toHaveProperty("PULUMI_TROVE_BUILD_GUEST_AGENT_REF");
      expect(own.warnings).toContainEqual(
        "environment.DIB_REPOLOCATION_guest_agent is set: the guest agent is baked from /srv/agent at v1, not from buildCheckout.ref 4cdc0cda",
      );
    });

    it("refuses preloadImages where the release's trovestack does not read DIB_TROVE_DOCKER_IMAGES, and on master without allowUntested", () => {
      const b = { buildCheckout: { dir: "/t", ref: "m" }, preloadImages: ["r:4000/trove/mysql:8.4"] };
      expect(() => m.resolveGuestImageBuildArgs("old", { ...b, troveRelease: "2026.1", allowUntested: true })).toThrow(
        /GuestImageBuild "old": preloadImages "\(images\)" is not valid \(Trove 2026.1's trovestack does not read DIB_TROVE_DOCKER_IMAGES, so the image would embed nothing; only upstream master \(2026.2\) does\)/,
      );
      expect(() => m.resolveGuestImageBuildArgs("none", b)).toThrow(
        /preloadImages "\(images\)" is not valid \(needs troveRelease/,
      );
      expect(() =>
        m.resolveGuestImageBuildArgs("master", { ...b, troveRelease: "2026.2", guestOsRelease: "noble" }),
      ).toThrow(
        /only upstream master's trovestack \(Trove 2026.2\) reads DIB_TROVE_DOCKER_IMAGES, and no released branch does yet; set allowUntested: true/,
      );
      expect(() => m.resolveGuestImageBuildArgs("url", { imageUrl: "https://x/y.qcow2", preloadImages: [] })).toThrow(
        /preloadImages .* \(only for a build/,
      );
      expect(() =>
        m.resolveGuestImageBuildArgs("ok", {
          ...b,
          troveRelease: "2026.2",
          guestOsRelease: "noble",
          allowUntested: true,
        }),
      ).not.toThrow();
    });

    it("accepts an untested release when asked to", () => {
      expect(
        () =>
          new m.GuestImageBuild("noble", {
            buildCheckout: { dir: "/t", ref: "m" },
            guestOsRelease: "noble",
            allowUntested: true,
          }),
      ).not.toThrow();
    });
  });
});
