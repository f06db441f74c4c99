// The SSH connection shared by the components that run commands on another host (the image build host, the Trove
// controller), and its translation into @pulumi/command's remote connection.

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

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
}

/** The `connection` input of a `command.remote.Command`, with the default port. */
export function remoteConnection(c: SshConnection): command.types.input.remote.ConnectionArgs {
  return { host: c.host, port: c.port ?? 22, user: c.user, privateKey: c.privateKey, password: c.password };
}
