// `pulumi up` of the devstack shape (stacks/Pulumi.devstack-lab.yaml) as Pulumi runs it, through the engine harness,
// with its remote commands applied over real SSH as @pulumi/command's provider applies them
// (test/support/engine/remote-command.ts): the controller is its own sshd with its own user and host key
// (test/support/remote-lab.ts), the Trove, Glance and Docker engine are the running zed lab's. One deployment is
// taken through up, a second up, refresh, a host-key change and destroy.

import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PulumiEngine } from "../support/engine/engine";
import { ensureLab, Lab, loadedParameters, troveWriteCount } from "../support/lab";
import { imageTroveFinds } from "../support/openstack-apply";
import { CONTROLLER, RemoteLab, startRemoteLab } from "../support/remote-lab";
import { labSnapshot } from "../support/lab-snapshot";

const ROOT = path.join(__dirname, "..", "..");
let lab: Lab;
let remote: RemoteLab;
let engine: PulumiEngine;

/** The stack file's connections with the lab's host key for this run (an admin pastes ssh-keyscan's line). */
function connectionOverrides(hostKey: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const file = readFileSync(path.join(ROOT, "stacks", "Pulumi.devstack-lab.yaml"), "utf8");
  const placeholder = /hostKey: "ssh-ed25519 [A-Za-z0-9+/=]+"/g;
  expect(file.match(placeholder)).toHaveLength(2);
  const config = (parse(file) as { config: Record<string, unknown> }).config;
  const troveConfig = config["pulumi-trove:troveConfig"] as { controller: { connection: Record<string, unknown> } };
  troveConfig.controller.connection.hostKey = hostKey;
  Object.assign(troveConfig.controller, extra);
  const regions = config["pulumi-trove:regions"] as unknown as Array<{
    troveController: { connection: Record<string, unknown> };
  }>;
  regions[0]!.troveController.connection.hostKey = hostKey;
  return { "pulumi-trove:troveConfig": troveConfig, "pulumi-trove:regions": regions };
}

/** SSH logins the controller's sshd has accepted so far: what a run that runs nothing there must not add to. */
function controllerLogins(): number {
  return readFileSync(path.join(remote.controller.dir, "sshd.log"), "utf8")
    .split("\n")
    .filter((l) => l.includes(`Accepted publickey for ${CONTROLLER.user}`)).length;
}

beforeAll(async () => {
  lab = ensureLab();
  remote = await startRemoteLab(lab.troveConf);
  const env: NodeJS.ProcessEnv = { ...lab.env, DOCKER_HOST: lab.dockerHost, HOME: remote.deployHome };
  delete env.SSH_AUTH_SOCK;
  engine = new PulumiEngine({
    root: ROOT,
    stack: "devstack-lab",
    env,
    secrets: { controllerSshKey: remote.controller.privateKey },
    configOverrides: connectionOverrides(remote.controller.hostPublicKey),
  });
});

afterAll(async () => {
  if (engine?.state.length) await engine.destroy();
  await remote?.stop();
  lab?.release();
});

describe("pulumi up, up, refresh, a host-key change and destroy of the devstack shape, over real SSH", () => {
  it("builds with trovestack, configures and restarts the controller and loads its parameters over SSH; runs nothing twice; refuses a changed host key until the stack has it; destroy leaves the lab as it was", async () => {
    const before = await labSnapshot(lab);
    const hostFilesBefore = remote.hostFiles();

    const up = await engine.up();
    expect(up.errors, up.programOutput).toEqual([]);
    expect(up.steps.every((s) => s.op === "create")).toBe(true);
    expect(
      engine
        .ofType("command:remote:Command")
        .map((r) => r.name)
        .sort(),
    ).toEqual([
      "devstack-lab-config-apply",
      "devstack-lab-parameters-mariadb-10-4-load",
      "devstack-lab-parameters-mysql-5-7-29-load",
      "devstack-lab-parameters-postgresql-12-load",
    ]);
    expect(up.logs.filter((l) => l.severity === "warning" && /environment variable/.test(l.message))).toEqual([]);

    // trovestack ran once where pulumi runs, with devstack's arguments (into a partial file beside the output), and
    // its image reached Glance.
    expect(remote.builds()).toEqual([
      expect.stringMatching(
        new RegExp(
          `^build-image ubuntu jammy true ubuntu ${remote.deployHome}/images/\\S*trove-guest-ubuntu-jammy-dev\\.qcow2 HOST_SCP_USERNAME=${CONTROLLER.user}$`,
        ),
      ),
    ]);
    const outputs = engine.stackOutputs as {
      glanceImageIds: Record<string, string>;
      versionIds: Record<string, Record<string, string>>;
      troveConf: string;
    };
    expect(imageTroveFinds(lab, ["trove", "mysql"])).toBe(outputs.glanceImageIds.default);

    // The controller's trove.conf has the registry options, written as the controller's user; its one restart ran.
    const conf = readFileSync(remote.troveConf, "utf8");
    for (const line of outputs.troveConf.split("\n").filter((l) => l.includes(" = "))) expect(conf).toContain(line);
    expect(conf).toContain("127.0.0.1:4100");
    expect(remote.restarts()).toEqual(["restart devstack@tr-tmgr"]);

    // The parameters went into the lab's Trove over the controller's SSH: Trove's own rules, in full.
    const pg = loadedParameters(lab, "postgresql", "12");
    expect(pg.listed).toBe(pg.rules);
    expect(pg.rules).toBeGreaterThan(0);

    // The controller gets a new host key. A second up has nothing to do and runs nothing: no build, no SSH login on
    // the controller (so it does not notice the new key), no write to Trove.
    const oldKey = remote.controller.hostPublicKey;
    const newKey = await remote.controller.rotateHostKey();
    const logins = controllerLogins();
    const writes = troveWriteCount(lab);
    const again = await engine.up();
    expect(again.errors).toEqual([]);
    expect(again.changes).toEqual([]);
    expect(again.summary).toBe(`Resources: ${engine.state.length} unchanged`);
    expect(remote.builds()).toHaveLength(1);
    expect(controllerLogins()).toBe(logins);
    expect(troveWriteCount(lab)).toBe(writes);

    // refresh reads everything back and finds nothing changed (a remote command has nothing to read: no login).
    const refresh = await engine.refresh();
    expect(refresh.errors).toEqual([]);
    expect(refresh.changes).toEqual([]);
    expect(controllerLogins()).toBe(logins);

    // An up that must run the config apply there is refused at the connection, and nothing runs on the controller.
    const confBefore = readFileSync(remote.troveConf, "utf8");
    const secondRestart = [
      "/tmp/pulumi-trove-remote-lab/controller/bin/systemctl restart devstack@tr-tmgr",
      "/tmp/pulumi-trove-remote-lab/controller/bin/systemctl restart devstack@tr-cond",
    ];
    engine.options.configOverrides = connectionOverrides(oldKey, { restartOnTroveConfChange: secondRestart });
    const refused = await engine.up();
    expect(refused.ok).toBe(false);
    expect(refused.errors.join("\n")).toMatch(
      /devstack-lab-config-apply: after 10 failed attempts: .*Host key verification failed/s,
    );
    expect(controllerLogins()).toBe(logins);
    expect(readFileSync(remote.troveConf, "utf8")).toBe(confBefore);
    expect(remote.restarts()).toEqual(["restart devstack@tr-tmgr"]);

    // With the new key in the stack, the same up goes through.
    engine.options.configOverrides = connectionOverrides(newKey, { restartOnTroveConfChange: secondRestart });
    const accepted = await engine.up();
    expect(accepted.errors).toEqual([]);
    // The apply and the parameter loads are updated in place (their connection, and the apply's restarts); nothing else.
    expect(accepted.changes.map((c) => [c.op, c.name]).sort()).toEqual([
      ["update", "devstack-lab-config-apply"],
      ["update", "devstack-lab-parameters-mariadb-10-4-load"],
      ["update", "devstack-lab-parameters-mysql-5-7-29-load"],
      ["update", "devstack-lab-parameters-postgresql-12-load"],
    ]);
    expect(accepted.logs.filter((l) => l.severity === "warning" && /environment variable/.test(l.message))).toEqual([]);
    // trove.conf did not change, so nothing restarted; and nothing was rebuilt.
    expect(remote.restarts()).toEqual(["restart devstack@tr-tmgr"]);
    expect(remote.builds()).toHaveLength(1);

    // destroy: every resource deleted, the lab and the controller's files as they were before the first up.
    const destroy = await engine.destroy();
    expect(destroy.errors).toEqual([]);
    expect(destroy.logs.filter((l) => l.severity === "warning")).toEqual([]);
    expect(engine.state).toEqual([]);
    expect(await labSnapshot(lab)).toEqual(before);
    expect(remote.hostFiles()).toEqual(hostFilesBefore);
    // Taking the options out changed trove.conf, so what reads it was restarted.
    expect(remote.restarts()).toEqual([
      "restart devstack@tr-tmgr",
      "restart devstack@tr-tmgr",
      "restart devstack@tr-cond",
    ]);
  }, 300_000);
});
