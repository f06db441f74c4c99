// The day-two record's decisions (components/trove/version-retirement.ts): which versions are candidates, what is kept,
// and the one line each says. Its check and settle against Trove run in test/integration/day-two.test.ts.

import { describe, expect, it } from "vitest";
import * as r from "../../components/trove/version-retirement";

const v104 = { datastore: "mariadb", name: "10.4", version: "10.4" };
const v105 = { datastore: "mariadb", name: "10.5", version: "10.5" };
const mysql = { datastore: "mysql", name: "5.7", version: "5.7.29" };
const none = {
  instances: 0,
  backups: 0,
  configurations: 0,
  deletedInstances: 0,
  deletedBackups: 0,
  referencesEnforced: true,
};

describe("DatastoreVersionRetirement's decisions", () => {
  it("takes as candidates the versions served or kept before that are no longer listed, each once", () => {
    const olds = { serving: [v104, v105], retained: [{ ...mysql, reason: "x" }], undecided: [mysql] };
    expect(r.retirementCandidates(olds, { serving: [v105] })).toEqual([v104, mysql]);
    expect(r.retirementCandidates(undefined, { serving: [v105] })).toEqual([]);
    expect(r.retirementCandidates({ serving: [v104] }, { serving: [v104] })).toEqual([]);
  });

  it("keeps a version in use with the one line the issue asks for, and lets an unused one go", () => {
    const { retained, failures } = r.decide({ whenInUse: "retire", where: "" }, [
      { ...v104, found: true, ...none, instances: 1 },
      { ...v105, found: true, ...none },
      { ...mysql, found: false },
    ]);
    expect(failures).toEqual([]);
    expect(retained).toEqual([
      {
        ...v104,
        reason:
          "mariadb 10.4 kept inactive: in use by 1 instance, 0 backups, 0 configuration groups; it is removed by the first up after they are gone",
      },
    ]);
  });

  it("sees a change of the region's cloud or region (it replaces every version held there), not a first declaration", () => {
    expect(r.placeChanged({ serving: [v104], cloud: "lab" }, { cloud: "lab", region: "RegionOne" })).toBe(true);
    expect(r.placeChanged({ serving: [v104], cloud: "lab" }, { cloud: "other" })).toBe(true);
    expect(
      r.placeChanged({ serving: [v104], cloud: "lab", region: "RegionOne" }, { cloud: "lab", region: "RegionOne" }),
    ).toBe(false);
    expect(r.placeChanged(undefined, { cloud: "lab", region: "RegionOne" })).toBe(false);
    expect(r.versionsHeld({ serving: [v105], retained: [{ ...v104, reason: "x" }] })).toEqual([v105, v104]);
    expect(
      r.movedLine(
        v104,
        "region east",
        "1 instance, 0 backups, 0 configuration groups",
        r.placeText({ cloud: "lab" }),
        r.placeText({ cloud: "lab", region: "RegionOne" }),
      ),
    ).toBe(
      'mariadb 10.4 in region east is still in use by 1 instance, 0 backups, 0 configuration groups, and its region moves from cloud "lab", the cloud\'s region to cloud "lab", region "RegionOne", ' +
        "which replaces the version: Trove deletes a version before it makes it again, and cannot while it is in use. Keep the region's cloud and region as they were " +
        "and declare the new place as a region of its own, or delete or migrate what uses the version first",
    );
  });

  it("names the region, and the number when the name differs", () => {
    expect(r.retainedLine(mysql, "region east", { ...none, backups: 2, configurations: 1 })).toBe(
      "mysql 5.7 (5.7.29) in region east kept inactive: in use by 0 instances, 2 backups, 1 configuration group; it is removed by the first up after they are gone",
    );
  });

  it("fails in strict mode with a line that names what uses the version and the ways forward", () => {
    const { retained, failures } = r.decide({ whenInUse: "fail", where: "" }, [
      { ...v104, found: true, ...none, configurations: 1 },
    ]);
    expect(retained).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain(
      'mariadb 10.4 is still in use by 0 instances, 0 backups, 1 configuration group, and registration.whenInUse is "fail"',
    );
    expect(failures[0]).toContain("registration.whenInUse: retire");
  });

  it("keeps a version that only deleted rows still refer to where the database enforces foreign keys, not on SQLite", () => {
    const deleted = { ...v104, found: true, ...none, deletedInstances: 1 };
    expect(r.decide({ whenInUse: "fail", where: "" }, [deleted]).retained[0]!.reason).toContain(
      "not in use, but Trove's database still holds 1 deleted instance and 0 deleted backups",
    );
    expect(r.decide({ whenInUse: "retire", where: "" }, [{ ...deleted, referencesEnforced: false }]).retained).toEqual(
      [],
    );
  });

  it("reads Trove's refusals of a DELETE", () => {
    const refusal = (status: number, message: string) => Object.assign(new Error(message), { status, attempts: 1 });
    expect(r.inUseRefusal(refusal(400, "HTTP 400: Datastore version is in use by instance."))).toBe(
      "in use by an instance",
    );
    expect(r.inUseRefusal(refusal(400, "HTTP 400: Datastore version is in use by configuration."))).toBe(
      "in use by a configuration group",
    );
    expect(r.inUseRefusal(refusal(500, "HTTP 500: internal error"))).toMatch(/still refers to it/);
    expect(r.inUseRefusal(refusal(401, "HTTP 401: unauthorized"))).toBeUndefined();
  });

  it("without a counter, shows the candidates kept at preview and leaves the decision to Trove at up", async () => {
    const checked = (await r.retirementProvider.check!(
      { serving: [v104, v105], whenInUse: "retire", where: "" },
      { serving: [v105], whenInUse: "retire", where: "" },
    )) as { inputs: r.RetirementInputs };
    expect(checked.inputs.undecided).toEqual([v104]);
    expect(checked.inputs.retained).toEqual([{ ...v104, reason: r.undecidedLine(v104, "") }]);
  });

  it("fails the check, naming the counter, when the usage cannot be counted", async () => {
    const checked = (await r.retirementProvider.check!(
      { serving: [v104], whenInUse: "retire", where: "" },
      {
        serving: [],
        whenInUse: "retire",
        where: "",
        counter: { python: "/nonexistent/python3", troveConfPath: "/etc/trove/trove.conf" },
      },
    )) as { failures: Array<{ property: string; reason: string }> };
    expect(checked.failures).toEqual([
      {
        property: "counter",
        reason: expect.stringContaining("cannot count what uses mariadb 10.4 with /nonexistent/python3"),
      },
    ]);
  });
});

describe("DatastoreVersionRetirement's count over SSH", () => {
  const key =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA secret body\n-----END OPENSSH PRIVATE KEY-----\n";
  const connection = {
    host: "10.0.0.9",
    port: 2222,
    user: "stack",
    privateKey: key,
    hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",
  };
  const counter = { python: "/opt/stack/data/venv/bin/python3", troveConfPath: "/etc/trove/trove.conf", connection };

  it("runs the counter with the controller's Python through ssh: only this run's files, the host key checked, no secret in argv", () => {
    const args = r.sshUsageArgs(connection, counter.python, { key: "/tmp/run/id", knownHosts: "/tmp/run/known_hosts" });
    expect(args.slice(0, 5)).toEqual(["-F", "/dev/null", "-T", "-x", "-a"]);
    const options = args.flatMap((a, i) => (args[i - 1] === "-o" ? [a] : []));
    expect(options).toEqual([
      "BatchMode=yes",
      "ConnectTimeout=30",
      "ServerAliveInterval=15",
      "ServerAliveCountMax=4",
      "LogLevel=ERROR",
      "StrictHostKeyChecking=yes",
      `HostKeyAlias=${r.CONTROLLER_HOST_ALIAS}`,
      "UserKnownHostsFile=/tmp/run/known_hosts",
      "GlobalKnownHostsFile=/dev/null",
      "UpdateHostKeys=no",
      "IdentitiesOnly=yes",
      "PasswordAuthentication=no",
    ]);
    expect(args.slice(-9)).toEqual([
      "-i",
      "/tmp/run/id",
      "-p",
      "2222",
      "-l",
      "stack",
      "--",
      "10.0.0.9",
      r.remoteUsageCommand(counter.python),
    ]);
    // The remote command is the counter, every word quoted for the controller's shell, the request going on stdin.
    expect(r.remoteUsageCommand("/opt/my python/bin/python3")).toMatch(
      /^'\/opt\/my python\/bin\/python3' -c '.*' usage$/s,
    );
    for (const a of args) {
      expect(a).not.toContain("secret body");
      expect(a).not.toContain("PRIVATE KEY");
    }
    // Opted out by name: no check at all; no key: this machine's ssh-agent or default keys log in.
    const insecure = r.sshUsageArgs(
      { host: "h", port: 22, user: "u", insecureIgnoreHostKey: true },
      "/usr/bin/python3",
      {},
    );
    expect(insecure).toEqual(expect.arrayContaining(["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null"]));
    expect(insecure).not.toContain("-i");
    expect(() => r.sshUsageArgs({ host: "h", port: 22, user: "u" }, "/usr/bin/python3", {})).toThrow(/hostKey/);
  });

  it("stores where the counter runs, not how it logs in: no key, password or host key", () => {
    expect(r.storedCounter(counter)).toEqual({
      ...counter,
      connection: { host: "10.0.0.9", port: 2222, user: "stack" },
    });
    const { privateKey: _k, ...byPassword } = { ...connection, password: "pw" };
    expect(JSON.stringify(r.storedCounter({ ...counter, connection: byPassword }))).not.toContain("pw");
    // Stored again (outputs from stored inputs), it stays as it was.
    expect(r.storedCounter(r.storedCounter(counter))).toEqual(r.storedCounter(counter));
    expect(r.storedCounter({ python: "/usr/bin/python3", troveConfPath: "/etc/trove/trove.conf" })).toEqual({
      python: "/usr/bin/python3",
      troveConfPath: "/etc/trove/trove.conf",
    });
  });

  it("with a password and no key, shows the candidates kept at preview and says why; the check's inputs hold no password", async () => {
    const { privateKey: _k, ...byPassword } = { ...connection, password: "hunter2-secret" };
    const checked = (await r.retirementProvider.check!(
      { serving: [v104, v105], whenInUse: "retire", where: "" },
      { serving: [v105], whenInUse: "retire", where: "", counter: { ...counter, connection: byPassword } },
    )) as { inputs: r.RetirementInputs };
    expect(checked.inputs.undecided).toEqual([v104]);
    expect(checked.inputs.retained).toEqual([{ ...v104, reason: r.undecidedLine(v104, "", r.PASSWORD_ONLY) }]);
    expect(checked.inputs.retained![0]!.reason).toContain("has a password and no privateKey");
    expect(JSON.stringify(checked.inputs)).not.toContain("hunter2-secret");
  });

  it("fails the check naming the controller and the host key, never the key, when ssh is refused; removes its files", async () => {
    const { mkdtempSync, readdirSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    // The run's files go under os.tmpdir(): one of this test's own, so other files' counts meanwhile do not show.
    const runTmp = mkdtempSync(path.join(tmpdir(), "retirement-run-"));
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = runTmp;
    // Nothing listens on this port of 127.0.0.1: ssh fails at once.
    const checked = (await r.retirementProvider.check!(
      { serving: [v104], whenInUse: "retire", where: "region east" },
      {
        serving: [],
        whenInUse: "retire",
        where: "region east",
        counter: { ...counter, connection: { ...connection, host: "127.0.0.1", port: 1 } },
      },
    )) as { inputs: r.RetirementInputs; failures: Array<{ property: string; reason: string }> };
    expect(checked.failures).toHaveLength(1);
    expect(checked.failures[0]!.property).toBe("counter");
    expect(checked.failures[0]!.reason).toContain(
      "cannot count what uses mariadb 10.4 in region east with /opt/stack/data/venv/bin/python3 and /etc/trove/trove.conf on stack@127.0.0.1:1 over SSH: ssh to stack@127.0.0.1:1 failed",
    );
    expect(checked.failures[0]!.reason).not.toContain("secret body");
    expect(JSON.stringify(checked.inputs)).not.toContain("secret body");
    expect(readdirSync(runTmp)).toEqual([]);
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    rmSync(runTmp, { recursive: true, force: true });
  });

  it("counts a move with the earlier controller, given the current credentials when it is the same login", () => {
    const stored = r.storedCounter(counter)!;
    expect(r.movingCounter({ counter: stored }, { counter })).toEqual(counter);
    const elsewhere = { ...counter, connection: { ...connection, host: "10.0.0.10" } };
    expect(r.movingCounter({ counter: stored }, { counter: elsewhere })).toEqual(elsewhere);
    const local = { python: "/usr/bin/python3", troveConfPath: "/etc/trove/trove.conf" };
    expect(r.movingCounter({ counter: local }, { counter })).toEqual(local);
    expect(r.movingCounter({}, { counter })).toEqual(counter);
  });

  it("compares the counter as stored: a rotated key or host key changes nothing, another host or user is an update", async () => {
    const stored = r.storedCounter(counter)!;
    const olds = { serving: [v105], whenInUse: "retire" as const, where: "", counter: stored, retained: [] };
    const diff = (news: Partial<r.RetirementInputs>) =>
      r.retirementProvider.diff!("id", olds, { ...olds, ...news } as r.RetirementInputs);
    expect(
      (await diff({ counter: r.storedCounter({ ...counter, connection: { ...connection, privateKey: "other" } }) }))
        .changes,
    ).toBe(false);
    const rotatedHostKey = {
      ...connection,
      hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIC",
    };
    expect((await diff({ counter: r.storedCounter({ ...counter, connection: rotatedHostKey }) })).changes).toBe(false);
    expect(
      (await diff({ counter: r.storedCounter({ ...counter, connection: { ...connection, user: "root" } }) })).changes,
    ).toBe(true);
  });
});

describe("DatastoreVersionRetirement's ssh run, with a stand-in ssh that records what it was given", () => {
  it("gives ssh the key as a 0600 file of the run (never its text), the request on stdin, and removes the files", async () => {
    const { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const bin = mkdtempSync(path.join(tmpdir(), "stand-in-ssh-"));
    const record = path.join(bin, "record.json");
    // Records its argv, the -i file's mode and whether it holds the key, the known_hosts line and stdin; answers as
    // the counter does.
    writeFileSync(
      path.join(bin, "ssh"),
      `#!/usr/bin/env python3
import json, os, sys
args = sys.argv[1:]
key = args[args.index("-i") + 1]
known = [a.split("=", 1)[1] for a in args if a.startswith("UserKnownHostsFile=")][0]
json.dump({"args": args, "keyFile": key, "mode": oct(os.stat(key).st_mode & 0o777), "dirMode": oct(os.stat(os.path.dirname(key)).st_mode & 0o777),
           "keyHeld": open(key).read() == os.environ["EXPECTED_KEY"], "known": open(known).read(), "stdin": sys.stdin.read()}, open(${JSON.stringify(record)}, "w"))
print(json.dumps({"referencesEnforced": True, "usage": [{"datastore": "mariadb", "name": "10.4", "version": "10.4", "found": True,
  "instances": 1, "backups": 0, "configurations": 0, "deletedInstances": 0, "deletedBackups": 0}]}))
`,
    );
    chmodSync(path.join(bin, "ssh"), 0o755);
    const key =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA secret body\n-----END OPENSSH PRIVATE KEY-----\n";
    const saved = { PATH: process.env.PATH, EXPECTED_KEY: process.env.EXPECTED_KEY };
    process.env.PATH = `${bin}:${process.env.PATH}`;
    process.env.EXPECTED_KEY = key;
    try {
      const connection = {
        host: "10.0.0.9",
        port: 22,
        user: "stack",
        privateKey: key.trimEnd(), // without its final newline, as a stack file may hold it: written with one
        hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",
      };
      const checked = (await r.retirementProvider.check!(
        { serving: [v104, v105], whenInUse: "retire", where: "region east" },
        {
          serving: [v105],
          whenInUse: "retire",
          where: "region east",
          counter: { python: "/usr/bin/python3", troveConfPath: "/etc/trove/trove.conf", connection },
        },
      )) as { inputs: r.RetirementInputs };
      expect(checked.inputs.retained).toEqual([
        {
          ...v104,
          reason:
            "mariadb 10.4 in region east kept inactive: in use by 1 instance, 0 backups, 0 configuration groups; it is removed by the first up after they are gone",
        },
      ]);
      expect(checked.inputs.counter).toEqual({
        python: "/usr/bin/python3",
        troveConfPath: "/etc/trove/trove.conf",
        connection: { host: "10.0.0.9", port: 22, user: "stack" },
      });
      const seen = JSON.parse(readFileSync(record, "utf8")) as {
        args: string[];
        keyFile: string;
        mode: string;
        dirMode: string;
        keyHeld: boolean;
        known: string;
        stdin: string;
      };
      expect(seen).toMatchObject({ mode: "0o600", dirMode: "0o700", keyHeld: true });
      expect(seen.known).toBe(`${r.CONTROLLER_HOST_ALIAS} ${connection.hostKey}\n`);
      expect(JSON.parse(seen.stdin)).toEqual({ configFile: "/etc/trove/trove.conf", versions: [v104] });
      expect(seen.args.join("\n")).not.toContain("secret body");
      expect(existsSync(seen.keyFile)).toBe(false);
      expect(existsSync(path.dirname(seen.keyFile))).toBe(false);
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.EXPECTED_KEY === undefined) delete process.env.EXPECTED_KEY;
      else process.env.EXPECTED_KEY = saved.EXPECTED_KEY;
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
