// The SSH connection shared by the components that run commands on another host (the image build host, the Trove
// controller), its host-key check, and its translation into @pulumi/command's remote connection. Every SSH path
// (@pulumi/command's remote commands and the image copy's own `ssh`) checks the host against the one `hostKey` given
// here; without one, @pulumi/command connects to whoever answers, so a connection without it is refused unless the
// admin opts out by name.

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { Problems } from "./errors";
import { flag, input, optional, Rule, secret, shape, text } from "./schema";
import { hostProblem, keyTextProblem, passwordProblem, portRule, unixUserProblem } from "./validate";

/** How to reach a host over SSH. */
export interface SshConnection {
  /** Host name or address. Example: `10.0.0.5`. */
  host: pulumi.Input<string>;
  /** SSH port. Default: 22. */
  port?: pulumi.Input<number>;
  /** SSH user. Example: `stack`. */
  user: pulumi.Input<string>;
  /** Private key (PEM or OpenSSH); pass a `pulumi.secret`. */
  privateKey?: pulumi.Input<string>;
  /** Password, when no key is used; pass a `pulumi.secret`. */
  password?: pulumi.Input<string>;
  /**
   * The host's public key: one line as `ssh-keyscan -t ed25519 <host>` prints it (`10.0.0.5 ssh-ed25519 AAAA…`), or as
   * the host's `/etc/ssh/ssh_host_ed25519_key.pub` holds it (`ssh-ed25519 AAAA… root@host`). Every connection to this
   * host refuses a host that does not present this key. Required unless `insecureIgnoreHostKey` is true. Prefer an
   * ed25519 or ECDSA key: @pulumi/command offers only the key's own algorithm, which for an RSA key is SHA-1
   * `ssh-rsa`, refused by OpenSSH 8.8 and later. Not a secret. Example: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI…`.
   */
  hostKey?: string;
  /**
   * Connect without checking the host's identity: whoever can intercept the connection can pose as the host and read
   * what is sent (for the controller: the registry password). Only for throwaway labs. Default: `false`.
   */
  insecureIgnoreHostKey?: boolean;
}

/** Host key algorithms OpenSSH servers offer, and the name each key blob carries inside. @internal */
export const HOST_KEY_TYPES: readonly string[] = Object.freeze([
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "ssh-rsa",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
]);

/**
 * Reads a host key line (`[host] <type> <base64> [comment]`) into `<type> <base64>`, the form both
 * @pulumi/command's `hostKey` and a known_hosts line take; or says what is wrong with it. The base64 must decode to a
 * key blob that names the same type, so a truncated or mispasted key is caught here, not at the first connection.
 * @internal
 */
export function parseHostKey(line: string): { key: string; type: string } | { problem: string } {
  const shape =
    "expected one public key line as ssh-keyscan prints it, e.g. '10.0.0.5 ssh-ed25519 AAAA…', or as in the host's /etc/ssh/ssh_host_ed25519_key.pub";
  if (/[\r\n]/.test(line.trim())) return { problem: `${shape}; give one line, not several` };
  const fields = line.trim().split(/\s+/);
  const at = HOST_KEY_TYPES.includes(fields[0] ?? "") ? 0 : HOST_KEY_TYPES.includes(fields[1] ?? "") ? 1 : -1;
  if (at < 0) return { problem: `${shape} (known key types: ${HOST_KEY_TYPES.join(", ")})` };
  const type = fields[at]!;
  const data = fields[at + 1] ?? "";
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data))
    return { problem: `${shape}; the key data after '${type}' is missing or not base64` };
  // The key blob is a sequence of length-prefixed strings: the type's name, then the key's parts. All of it must be
  // there, and nothing more.
  const blob = Buffer.from(data, "base64");
  const parts: Buffer[] = [];
  for (let at = 0; at < blob.length;) {
    const length = blob.length - at >= 4 ? blob.readUInt32BE(at) : -1;
    if (length < 0 || at + 4 + length > blob.length)
      return { problem: `${shape}; the key data does not decode to a ${type} key (truncated or mispasted?)` };
    parts.push(blob.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  const ed25519 = type.includes("ed25519");
  if (parts[0]?.toString("latin1") !== type || parts.length < 2 || (ed25519 && parts[1]!.length !== 32)) {
    return { problem: `${shape}; the key data does not decode to a ${type} key (truncated or mispasted?)` };
  }
  return { key: `${type} ${data}`, type };
}

/** The schema of {@link SshConnection}. @internal */
export const SSH_CONNECTION_SCHEMA: Rule = shape<SshConnection>(
  "an SSH connection { host, user, hostKey, ... }",
  {
    host: input(text("a host name or IP address", hostProblem)),
    port: optional(input(portRule)),
    user: input(text("a Unix user name", unixUserProblem)),
    privateKey: optional(secret(input(text("a private key's text (PEM or OpenSSH)", keyTextProblem)))),
    password: optional(secret(input(text("a password", passwordProblem)))),
    hostKey: optional(
      text("one public key line as ssh-keyscan prints it", (v) => {
        const parsed = parseHostKey(v);
        return "problem" in parsed ? parsed.problem : undefined;
      }),
    ),
    insecureIgnoreHostKey: optional(flag()),
  },
  (c, report) => {
    if (c.hostKey !== undefined && c.insecureIgnoreHostKey === true)
      report("insecureIgnoreHostKey", true, "give hostKey or insecureIgnoreHostKey: true, not both");
  },
);

/** What a connection without `hostKey` (and not opted out) is told. */
const HOST_KEY_REQUIRED =
  "required: the host's public key line, e.g. from 'ssh-keyscan -t ed25519 <host>' (check it against the host's /etc/ssh/ssh_host_ed25519_key.pub); or set insecureIgnoreHostKey: true to connect without checking who answers";

/** Records the problems of a connection's host-key settings under `<field>.hostKey` / `<field>.insecureIgnoreHostKey`. @internal */
export function checkHostKey(c: SshConnection, field: string, problems: Problems): void {
  if (c.hostKey !== undefined) {
    const parsed = parseHostKey(c.hostKey);
    if ("problem" in parsed) problems.add(`${field}.hostKey`, c.hostKey, parsed.problem);
    problems.check(
      c.insecureIgnoreHostKey !== true,
      `${field}.insecureIgnoreHostKey`,
      true,
      `give hostKey or insecureIgnoreHostKey: true, not both`,
    );
  } else requireHostKey(c, field, problems);
}

/**
 * Records `<field>.hostKey` as required when a connection gives no host key and has not opted out: the check across its
 * fields that its schema leaves to the component (the rest of {@link checkHostKey} is the schema's). @internal
 */
export function requireHostKey(c: SshConnection, field: string, problems: Problems): void {
  if (c.hostKey === undefined && c.insecureIgnoreHostKey !== true)
    problems.add(`${field}.hostKey`, undefined, HOST_KEY_REQUIRED);
}

/** The host key to check, as `<type> <base64>`, or undefined when the admin opted out. Call after {@link checkHostKey}. @internal */
export function hostKeyOf(c: SshConnection): string | undefined {
  if (c.hostKey === undefined) return undefined;
  const parsed = parseHostKey(c.hostKey);
  return "key" in parsed ? parsed.key : undefined;
}

/** Who owns a connection, for error messages: `GuestImageBuild "main": buildHost.hostKey …`. @internal */
export interface ConnectionOwner {
  component: string;
  name: string;
  /** The connection's field in the component's args, e.g. `buildHost` or `controller.connection`. */
  field: string;
}

/**
 * The `connection` input of a `command.remote.Command`: the default port and the checked host key. Throws, naming
 * the owner's field, when the connection has no valid host key and has not opted out.
 * @internal
 */
export function remoteConnection(c: SshConnection, owner?: ConnectionOwner): command.types.input.remote.ConnectionArgs {
  const who = owner ?? {
    component: "SSH connection",
    name: typeof c.host === "string" ? c.host : "(host from another resource)",
    field: "connection",
  };
  const problems = new Problems(who.component, who.name);
  checkHostKey(c, who.field, problems);
  problems.throwIfAny();
  return {
    host: c.host,
    port: c.port ?? 22,
    user: c.user,
    privateKey: c.privateKey,
    password: c.password,
    hostKey: hostKeyOf(c),
  };
}
