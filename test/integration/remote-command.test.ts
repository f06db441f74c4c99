// The harness's command:remote:Command (test/support/engine/remote-command.ts) against real sshd on 127.0.0.1: what
// @pulumi/command's provider does on a real host (its Go source, provider/pkg/provider/remote), seen from the host:
// who runs the command and through which shell, what reaches it (stdin, environment only as AcceptEnv allows, the
// previous outputs), which host keys are refused, and what a failure says.

import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialDelays, knownHostsLine } from "../support/engine/remote-command";
import { ModelContext, remoteCommand } from "../support/engine/resource-models";
import { startSshd, TestSshd } from "../support/sshd";

/** A user of our own, so the test sees the provider log in as the connection's user, not as root. */
const USER = "ptrove-rc";
let plainHost: TestSshd;
let acceptingHost: TestSshd;

beforeAll(async () => {
  plainHost = await startSshd(16131, { user: USER });
  acceptingHost = await startSshd(16132, { acceptEnv: ["TROVE_*", "PULUMI_COMMAND_*"] });
});

afterAll(async () => {
  await plainHost?.stop();
  await acceptingHost?.stop();
});

function connection(h: TestSshd, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    host: "127.0.0.1",
    port: h.port,
    user: h.user,
    privateKey: h.privateKey,
    hostKey: h.hostPublicKey,
    ...extra,
  };
}

function context(): ModelContext & { logs: Array<[string, string]> } {
  const logs: Array<[string, string]> = [];
  return {
    providerConfig: {},
    env: { PATH: process.env.PATH },
    log: (severity, message) => logs.push([severity, message]),
    logs,
  };
}

describe("command:remote:Command as the harness applies it, against sshd", () => {
  it("runs create as the connection's user through that user's login shell, with stdin, and keeps its output less one trailing newline", async () => {
    const ctx = context();
    const { outputs } = await remoteCommand.create(ctx, {
      connection: connection(plainHost),
      create: 'printf "%s|%s|" "$(id -un)" "$0"; cat; echo; echo',
      stdin: "from stdin",
    });
    expect(outputs.stdout).toBe(`${USER}|bash|from stdin\n`);
    expect(outputs.stderr).toBe("");
    expect(ctx.logs).toEqual([]);
  });

  it("logs in as root when the connection names no user, as the provider's default", async () => {
    const { outputs } = await remoteCommand.create(context(), {
      connection: {
        host: "127.0.0.1",
        port: acceptingHost.port,
        privateKey: acceptingHost.privateKey,
        hostKey: acceptingHost.hostPublicKey,
      },
      create: "id -un",
    });
    expect(outputs.stdout).toBe("root");
  });

  it("refuses an `environment` entry the host's sshd does not accept, before the command runs; passes it as is where AcceptEnv lists it", async () => {
    const marker = path.join(plainHost.home, "ran");
    const ctx = context();
    await expect(
      remoteCommand.create(ctx, {
        connection: connection(plainHost),
        create: `touch ${marker}`,
        environment: { TROVE_X: "1" },
      }),
    ).rejects.toThrow('could not set environment variable "TROVE_X": ssh: setenv failed');
    expect(existsSync(marker)).toBe(false);
    expect(ctx.logs).toEqual([["error", expect.stringContaining("AcceptEnv")]]);

    const value = "two words\nand 'quotes' \"too\" $HOME";
    const { outputs } = await remoteCommand.create(context(), {
      connection: connection(acceptingHost),
      create: 'printf %s "$TROVE_X"',
      environment: { TROVE_X: value },
    });
    expect(outputs.stdout).toBe(value);
  });

  it("an update runs `update` (else `create`) with the previous outputs in PULUMI_COMMAND_STDOUT where accepted; a refusal of those is a warning and the command still runs", async () => {
    const accepted = context();
    const updated = await remoteCommand.update(
      accepted,
      "id",
      { stdout: "before", stderr: "" },
      {
        connection: connection(acceptingHost),
        create: "echo create",
        update: 'echo "update after $PULUMI_COMMAND_STDOUT"',
      },
    );
    expect(updated.stdout).toBe("update after before");
    expect(accepted.logs).toEqual([]);

    const refused = context();
    const again = await remoteCommand.update(
      refused,
      "id",
      { stdout: "before", stderr: "" },
      { connection: connection(plainHost), create: 'echo "create again, previous: ${PULUMI_COMMAND_STDOUT-unset}"' },
    );
    expect(again.stdout).toBe("create again, previous: unset");
    expect(refused.logs).toEqual([["warning", expect.stringContaining("PULUMI_COMMAND_STDOUT")]]);

    const optedOut = context();
    await remoteCommand.update(
      optedOut,
      "id",
      { stdout: "before", stderr: "" },
      { connection: connection(plainHost), create: "true", addPreviousOutputInEnv: false },
    );
    expect(optedOut.logs).toEqual([]);

    // Neither command: nothing runs (not even a connection: the host is not there) and the outputs stay.
    const kept = await remoteCommand.update(
      context(),
      "id",
      { stdout: "before", stderr: "e" },
      { connection: { host: "127.0.0.1", port: 1, hostKey: plainHost.hostPublicKey } },
    );
    expect(kept).toMatchObject({ stdout: "before", stderr: "e" });
  });

  it("delete runs `delete` from the stored state; a failed command names its status, the command and its output", async () => {
    const marker = path.join(plainHost.home, "deleted");
    await remoteCommand.delete(context(), "id", {
      connection: connection(plainHost),
      delete: `echo "$PULUMI_COMMAND_STDOUT" > ${marker}`,
      stdout: "made",
    });
    // sshd refused the previous output (no AcceptEnv here), so the delete saw none.
    expect(readFileSync(marker, "utf8")).toBe("\n");
    await expect(
      remoteCommand.create(context(), { connection: connection(plainHost), create: "echo out; echo err >&2; exit 3" }),
    ).rejects.toThrow('Process exited with status 3: running "echo out; echo err >&2; exit 3":\nout\nerr\n');
  });

  it("with hostKey, a host presenting another key is refused after the provider's dial retries, nothing run; without hostKey, any key is accepted", async () => {
    const marker = path.join(plainHost.home, "mitm");
    const other = acceptingHost.hostPublicKey;
    await expect(
      remoteCommand.create(context(), {
        connection: connection(plainHost, { hostKey: other, dialErrorLimit: 2 }),
        create: `touch ${marker}`,
      }),
    ).rejects.toThrow(/^after 2 failed attempts: .*Host key verification failed/s);
    expect(existsSync(marker)).toBe(false);
    const { outputs } = await remoteCommand.create(context(), {
      connection: connection(plainHost, { hostKey: undefined }),
      create: "echo anyone",
    });
    expect(outputs.stdout).toBe("anyone");
    // A key the host does not authorize is refused too.
    await expect(
      remoteCommand.create(context(), {
        connection: connection(plainHost, { privateKey: acceptingHost.privateKey, dialErrorLimit: 0 }),
        create: "true",
      }),
    ).rejects.toThrow(/after 0 failed attempts: .*Permission denied/);
  });

  it("only triggers replace; any other input change is an update; outputs are not inputs; the connection is secret in state", () => {
    const base = { connection: { host: "h" }, create: "a", triggers: ["x"], stdout: "o" };
    expect(remoteCommand.diff(base, { ...base, triggers: ["y"] }, [])).toEqual({
      changes: ["triggers"],
      replaces: ["triggers"],
    });
    expect(remoteCommand.diff(base, { ...base, connection: { host: "h2" }, create: "b" }, [])).toEqual({
      changes: ["connection", "create"],
      replaces: [],
    });
    expect(remoteCommand.diff(base, { ...base, stdout: "p" }, [])).toEqual({ changes: [], replaces: [] });
    expect(remoteCommand.secretOutputs).toEqual(["connection"]);
  });

  it("the provider's dial schedule and OpenSSH's name for a host on a port", () => {
    expect(dialDelays(10)).toEqual([
      100, 150, 225, 337.5, 506.25, 759.375, 1139.0625, 1708.59375, 2562.890625, 3844.3359375,
    ]);
    expect(dialDelays(14).slice(-2)).toEqual([5000, 5000]);
    expect(knownHostsLine("127.0.0.1", 2222, "ssh-ed25519 AAAA comment")).toBe("[127.0.0.1]:2222 ssh-ed25519 AAAA");
    expect(knownHostsLine("10.0.0.5", 22, "ssh-ed25519 AAAA")).toBe("10.0.0.5 ssh-ed25519 AAAA");
  });
});
