// The Trove controller as every step that works on it sees it: the machine, how to reach it, its Python and its
// trove.conf. `DatastoreConfigurationParameters` (and a pipeline region) uses it as it is; `TroveConfig` needs the
// connection and adds what it writes and restarts there (`TroveConfigTarget` in trove-config.ts).

import { SSH_CONNECTION_SCHEMA, SshConnection } from "../internal/ssh";
import { absolutePathProblem } from "../internal/validate";
import { FieldRules, optional, Rule, shape, text } from "../internal/schema";

/** A Trove controller and how to reach it: over SSH, or this machine. */
export interface TroveController {
  /** SSH connection to the controller. Default: run on the machine that runs Pulumi. */
  connection?: SshConnection;
  /**
   * Python on the controller; loading configuration parameters needs one that can import Trove. Default:
   * `/usr/bin/python3` (devstack: `/opt/stack/data/venv/bin/python3`).
   */
  python?: string;
  /**
   * Trove's configuration file: configuration parameters are loaded through its `[database] connection`, and
   * `TroveConfig` merges the registry options into it. Default: `/etc/trove/trove.conf`.
   */
  troveConfPath?: string;
}

/** The fields of {@link TroveController}'s schema (TroveConfig's target reuses them). @internal */
export const TROVE_CONTROLLER_FIELDS: FieldRules<TroveController> = {
  connection: optional(SSH_CONNECTION_SCHEMA),
  python: optional(text("an absolute path of the controller's Python", absolutePathProblem)),
  troveConfPath: optional(text("an absolute path of trove.conf", absolutePathProblem)),
};

/** The schema of {@link TroveController}. @internal */
export const TROVE_CONTROLLER_SCHEMA: Rule = shape<TroveController>(
  "{ connection?, python?, troveConfPath? }",
  TROVE_CONTROLLER_FIELDS,
);
