// The retirement record's count over SSH against a real OpenSSH server on 127.0.0.1 (a throwaway sshd, test/support/
// sshd.ts), with a stand-in for the controller's Python at a path with a space and a quote (what it runs is the
// counter's command line as the controller's login shell reads it): the request arrives on stdin and the answer is
// decided as the local count's; a host that presents another key than `hostKey` is refused before any login; a key
// the host does not accept fails in one line naming the controller; no line of the key in any message or in what the
// record returns, and no file of the run left behind. The count against Trove's database itself runs in
// test/integration/day-two.test.ts.

import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as r from "../../components/trove/version-retirement";
import { testHostKey } from "../support/ssh-keys";
import { startSshd, TestSshd } from "../support/sshd";

const PORT = 16235;
const v104 = { datastore: "mariadb", name: "10.4", version: "10.4" };
const v105 = { datastore: "mariadb", name: "10.5", version: "10.5" };

let sshd: TestSshd;
let dir: string;
let python: string;

beforeAll(async () => {
  sshd = await startSshd(PORT);
  dir = mkdtempSync(path.join(tmpdir(), "retirement-ssh-"));
  const odd = path.join(dir, "controller's venv", "bin");
  mkdirSync(odd, { recursive: true });
  python = path.join(odd, "python3");
  // Checks it was given `-c <counter> usage`, keeps the request it read, answers as the counter would.
  writeFileSync(
    python,
    `#!/bin/sh
[ "$1" = -c ] && [ "$3" = usage ] && [ "$#" -eq 3 ] || { echo "stand-in python: unexpected arguments" >&2; exit 2; }
case "$2" in *"sys.argv[1:] == [\\"usage\\"]"*) ;; *) echo "stand-in python: not the counter" >&2; exit 2;; esac
cat > ${JSON.stringify(path.join(dir, "request.json"))}
echo '{"referencesEnforced": true, "usage": [{"datastore": "mariadb", "name": "10.4", "version": "10.4", "found": true, "instances": 0, "backups": 2, "configurations": 0, "deletedInstances": 0, "deletedBackups": 0}]}'
`,
  );
  chmodSync(python, 0o755);
  runTmp = path.join(dir, "tmp");
  mkdirSync(runTmp);
  process.env.TMPDIR = runTmp;
});

afterAll(async () => {
  delete process.env.TMPDIR;
  await sshd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// The record's files of a run go under os.tmpdir(): a directory of this file's own, so that the counts other test
// files run meanwhile do not show here.
let runTmp: string;
const runFiles = () => readdirSync(runTmp);

function check(connection: Partial<r.CounterConnection>, whenInUse: r.WhenVersionInUse = "retire") {
  return r.retirementProvider.check!(
    { serving: [v104, v105], whenInUse, where: "region lab" },
    {
      serving: [v105],
      whenInUse,
      where: "region lab",
      counter: {
        python,
        troveConfPath: "/etc/trove/trove.conf",
        connection: {
          host: "127.0.0.1",
          port: PORT,
          user: "root",
          privateKey: sshd.privateKey,
          hostKey: sshd.hostPublicKey,
          ...connection,
        },
      },
    },
  ) as Promise<{ inputs: r.RetirementInputs; failures?: Array<{ property: string; reason: string }> }>;
}

const keyLines = () => sshd.privateKey.split("\n").filter((l) => l.length >= 16 && !l.startsWith("-----"));

describe("the retirement record's count over real SSH", () => {
  it("runs the counter's command line on the host with the request on stdin, and decides as the local count does", async () => {
    const before = { logins: sshd.logins() };
    const checked = await check({});
    expect(checked.failures ?? []).toEqual([]);
    expect(checked.inputs.retained).toEqual([
      {
        ...v104,
        reason:
          "mariadb 10.4 in region lab kept inactive: in use by 0 instances, 2 backups, 0 configuration groups; it is removed by the first up after they are gone",
      },
    ]);
    expect(JSON.parse(readFileSync(path.join(dir, "request.json"), "utf8"))).toEqual({
      configFile: "/etc/trove/trove.conf",
      versions: [v104],
    });
    expect(sshd.logins()).toBe(before.logins + 1);
    expect(runFiles()).toEqual([]);
    const kept = JSON.stringify(checked.inputs);
    for (const l of keyLines()) expect(kept).not.toContain(l);
    // Strict: the same count refuses.
    const strict = await check({}, "fail");
    expect(strict.failures?.map((f) => f.reason)).toEqual([
      expect.stringContaining(
        'mariadb 10.4 in region lab is still in use by 0 instances, 2 backups, 0 configuration groups, and registration.whenInUse is "fail"',
      ),
    ]);
  });

  it("refuses a host that presents another key than hostKey, before any login", async () => {
    const before = { logins: sshd.logins() };
    const checked = await check({ hostKey: testHostKey().split(" ").slice(0, 2).join(" ") });
    expect(checked.failures).toEqual([
      {
        property: "counter",
        reason: expect.stringContaining(
          `cannot count what uses mariadb 10.4 in region lab with ${python} and /etc/trove/trove.conf on root@127.0.0.1:${PORT} over SSH: root@127.0.0.1:${PORT} did not present the host key in the troveController connection's hostKey; nothing was run there`,
        ),
      },
    ]);
    expect(sshd.logins()).toBe(before.logins);
    expect(runFiles()).toEqual([]);
  });

  it("fails in one line naming the controller when the host refuses the key, the key in no message", async () => {
    const other = path.join(dir, "other_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
    const otherKey = readFileSync(other, "utf8");
    const checked = await check({ privateKey: otherKey });
    expect(checked.failures).toHaveLength(1);
    expect(checked.failures![0]!.reason).toMatch(
      new RegExp(
        `on root@127\\.0\\.0\\.1:${PORT} over SSH: ssh to root@127\\.0\\.0\\.1:${PORT} failed \\(exit 255\\): .*Permission denied`,
      ),
    );
    for (const l of otherKey.split("\n").filter((x) => x.length >= 16 && !x.startsWith("-----")))
      expect(JSON.stringify(checked)).not.toContain(l);
    expect(runFiles()).toEqual([]);
  });
});
