// The runbook's last step: point Trove at the private registry. `trove.conf` gets `[DEFAULT]
// docker_insecure_registries` (read by the taskmanager, which writes the guest's docker daemon.json), and the guest
// agent's config (`guest_config`, default /etc/trove/trove-guestagent.conf, injected into every new instance) gets each
// datastore's `docker_image` and `backup_docker_image` and the `[guest_agent]` registry login. Section names are
// Trove's own (`[postgresql]`, not the runbook's `[postgres]`).

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import {
  DatastoreCatalog,
  defaultCatalog,
  TROVE_RELEASE_RULE,
  TROVE_RELEASES,
  TroveReleaseRules,
} from "../catalog/catalog";
import { Problems } from "../internal/errors";
import { REGISTRY_ENDPOINT_FIELDS, registryCredentialPairs, RegistryEndpoint } from "../registry/registry-endpoint";
import { loadScript, readScriptResult } from "../internal/scripts/index";
import { shellCommand } from "../internal/shell";
import { remoteConnection, SSH_CONNECTION_SCHEMA, SshConnection } from "../internal/ssh";
import { TROVE_CONTROLLER_FIELDS, TroveController } from "./trove-controller";
import {
  absolutePathProblem,
  hostPortProblem,
  httpUrlProblem,
  imageReferenceProblem,
  passwordProblem,
  plainNameProblem,
} from "../internal/validate";
import { checkArgs } from "../internal/check-args";
import {
  FieldRules,
  input,
  instanceOf,
  listOf,
  mapOf,
  oneOfValues,
  optional,
  Rule,
  secret,
  shape,
  text,
} from "../internal/schema";
import { withFormerTypes } from "../internal/component-type";

/**
 * The editor of Trove's config files on the controller (internal/scripts/edit-trove-config.py, which says what it
 * does), run with `python3 -c`; what to set (the registry password among it) comes on stdin, so nothing secret is in
 * argv.
 * @internal
 */
export const TROVE_CONFIG_EDITOR_PY = loadScript("edit-trove-config.py");

// Values come from image-naming.ts, the same functions that decide where DatastoreImages publishes, so what Trove
// computes is what the registry holds.

/** INI options by section. */
export type IniSections = Record<string, Record<string, string>>;

/** The guest-agent image options of one datastore, as DatastoreImages.guestAgentOptions gives them. */
export interface GuestAgentImageOptions {
  dockerImage: string;
  backupDockerImage: string;
}

/**
 * Where Trove's services find Swift: `trove.conf`'s `[DEFAULT] swift_url` or `swift_endpoint_type`. On Trove 26
 * (2026.2) the taskmanager hands this URL to the guests for their backups, so it must be reachable from the guests;
 * on earlier releases the guests' backup container finds Swift itself (Keystone's catalog, through the guest
 * config's `[service_credentials]`) and these options serve the controller's services only.
 */
export interface TroveSwiftEndpoint {
  /**
   * `swift_url`: Swift's URL up to and including `AUTH_` (Trove appends the project id). Example:
   * `http://10.0.0.5:8080/v1/AUTH_`. Default: unset (the catalog's endpoint of `endpointType`).
   */
  url?: string;
  /** `swift_endpoint_type`: which catalog endpoint to use when `url` is unset. Example: `internalURL`. Default: Trove's, `publicURL`. */
  endpointType?: string;
}

/** Catalog endpoint types Trove's clients accept for `swift_endpoint_type`. @internal */
export const SWIFT_ENDPOINT_TYPES = ["publicURL", "internalURL", "adminURL", "public", "internal", "admin"] as const;

/** What the renderer needs: plain values (the component resolves Outputs first). */
export interface TroveConfigValues {
  registryAddress: string;
  insecure: boolean;
  username?: string;
  password?: string;
  /** Per datastore name. */
  imageOptions: Record<string, GuestAgentImageOptions>;
  /** `trove.conf`'s Swift endpoint options. Default: none written. */
  swift?: TroveSwiftEndpoint;
}

/** The guest config section Trove 26 (2026.2) deprecates: the editor reports it where it is still there. @internal */
export const SERVICE_CREDENTIALS_SECTION = "service_credentials";

/**
 * Sections of the guest agent config the release no longer reads, which the editor reports (not removes) when the
 * controller's file still has them: `[service_credentials]` from 2026.2 on. @internal
 */
export function retiredGuestSections(rules: TroveReleaseRules | undefined): string[] {
  return rules?.backupImageContract === "swift-preauth" ? [SERVICE_CREDENTIALS_SECTION] : [];
}

/**
 * The warning for retired sections the controller's guest config still carries, or undefined when it carries none.
 * They are kept: guests started from images built for an earlier release still read them for their backups.
 * @internal
 */
export function retiredSectionsWarning(release: string, path: string, sections: readonly string[]): string | undefined {
  if (sections.length === 0) return undefined;
  return `${path} still has [${sections.join("], [")}], which Trove ${release}'s guest agent no longer reads (upstream 305ee9e0: credentials on guests are a risk; trove.conf keeps its own): it is left as it is while guests of images built for an earlier release may still need it for their backups; remove it once every instance runs a ${release} guest image and the backup images are rebuilt`;
}

/** A value that can sit on one INI line and reads back unchanged through oslo.config. */
function iniValueProblem(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) return "must not contain newlines or control characters";
  if (value !== value.trim()) return "must not start or end with spaces";
  return undefined;
}

/** Renders the option values for both files; throws one error naming every bad value. */
export function renderTroveConfig(
  v: TroveConfigValues,
  catalog: DatastoreCatalog = defaultCatalog,
  component = "TroveConfig",
  name = "config",
): { troveConf: IniSections; guestAgentConf: IniSections } {
  const problems = new Problems(component, name);
  problems.report("registry.address", v.registryAddress, hostPortProblem(v.registryAddress));
  if (v.username !== undefined) problems.report("registry.username", v.username, iniValueProblem(v.username));
  if (v.password !== undefined) problems.report("registry.password", "(secret)", iniValueProblem(v.password));
  const guestAgentConf: IniSections = {};
  for (const [datastore, options] of Object.entries(v.imageOptions)) {
    const def = catalog.find(datastore);
    if (!problems.check(def !== undefined, "datastores", datastore, catalog.describeKnown())) continue;
    problems.report(`${datastore}.dockerImage`, options.dockerImage, iniValueProblem(options.dockerImage));
    problems.report(
      `${datastore}.backupDockerImage`,
      options.backupDockerImage,
      iniValueProblem(options.backupDockerImage),
    );
    guestAgentConf[def!.configSection] = {
      docker_image: options.dockerImage,
      backup_docker_image: options.backupDockerImage,
    };
  }
  problems.throwIfAny();
  guestAgentConf.guest_agent = {
    container_registry: v.registryAddress,
    container_registry_username: v.username ?? "",
    container_registry_password: v.password ?? "",
  };
  const defaults: Record<string, string> = v.insecure ? { docker_insecure_registries: v.registryAddress } : {};
  if (v.swift?.url !== undefined) defaults.swift_url = v.swift.url;
  if (v.swift?.endpointType !== undefined) defaults.swift_endpoint_type = v.swift.endpointType;
  const troveConf: IniSections = Object.keys(defaults).length > 0 ? { DEFAULT: defaults } : {};
  return { troveConf, guestAgentConf };
}

/** Renders sections as INI text, for admins who ship config another way. */
export function renderIni(sections: IniSections): string {
  return Object.entries(sections)
    .map(
      ([section, options]) =>
        `[${section}]\n${Object.entries(options)
          .map(([k, v]) => `${k} = ${v}`)
          .join("\n")}\n`,
    )
    .join("\n");
}

/** @deprecated A bare alias of {@link SshConnection}, which `TroveConfigTarget.connection` takes; removed in 0.2.0. */
export type ControllerConnection = SshConnection;

/**
 * The controller {@link TroveConfig} applies the configuration to: a {@link TroveController} reached over SSH, the
 * files it writes there and what it restarts when they change.
 */
export interface TroveConfigTarget extends TroveController {
  /** SSH connection to the controller; its user must be able to write the files and run the restart commands. */
  connection: SshConnection;
  /** Path of the guest agent config (`[DEFAULT] guest_config`). Default: `/etc/trove/trove-guestagent.conf`. */
  guestAgentConfPath?: string;
  /**
   * Commands run when trove.conf changed. Default: `["systemctl restart trove-taskmanager"]` (the taskmanager reads
   * docker_insecure_registries when it creates instances).
   */
  restartOnTroveConfChange?: string[];
  /** Commands run when the guest agent config changed. Default: none (the taskmanager reads the file for each new instance). */
  restartOnGuestAgentConfChange?: string[];
}

/** @deprecated Renamed {@link TroveConfigTarget} (built on {@link TroveController}, the one type for the controller). */
export type TroveControllerTarget = TroveConfigTarget;

/** Arguments of {@link TroveConfig}. */
export interface TroveConfigArgs {
  /** The registry the guests pull from, e.g. `LocalRegistry.endpoint`. */
  registry: RegistryEndpoint;
  /** Per datastore, the `docker_image` and `backup_docker_image` values: `DatastoreImages.guestAgentOptions`. */
  imageOptions: pulumi.Input<Record<string, GuestAgentImageOptions>>;
  /** Apply to this controller over SSH. Default: render only (see the `troveConf` and `guestAgentConf` outputs). */
  controller?: TroveConfigTarget;
  /**
   * Cloud-init user data per datastore, written to `<cloudinitLocation>/<datastore>.cloudinit` on the controller
   * (needs `controller`). Default: none. Example: `{ mysql: "#cloud-config\nntp: {servers: [10.0.0.1]}\n" }`.
   */
  cloudInit?: Record<string, string>;
  /** Trove's `[DEFAULT] cloudinit_location`. Default: `/etc/trove/cloudinit`. */
  cloudinitLocation?: string;
  /** Catalog the datastore names are checked against. Default: the built-in catalog. */
  catalog?: DatastoreCatalog;
  /**
   * Trove release of the controller (`zed` … `2026.2`): from 2026.2 on, the apply reports a `[service_credentials]`
   * section the guest config still has (the guest agent no longer reads it; the file is left as it is). The pipeline
   * passes its own. Default: none (no release-specific check).
   */
  troveRelease?: string;
  /**
   * `trove.conf`'s Swift endpoint (`[DEFAULT] swift_url` or `swift_endpoint_type`): on 2026.2 the URL the guests'
   * backups use, so it must be reachable from the guests. Example: `{ url: "http://10.0.0.5:8080/v1/AUTH_" }`.
   * Default: none written (Trove's: the catalog's `publicURL` endpoint).
   */
  swift?: TroveSwiftEndpoint;
}

/** The schema of {@link TroveSwiftEndpoint}. @internal */
export const TROVE_SWIFT_ENDPOINT_SCHEMA: Rule = shape<TroveSwiftEndpoint>(
  "{ url?, endpointType? }",
  {
    url: optional(
      text(
        "Swift's URL ending in AUTH_, e.g. http://10.0.0.5:8080/v1/AUTH_",
        (v) =>
          httpUrlProblem(v) ??
          iniValueProblem(v) ??
          (v.endsWith("AUTH_") ? undefined : "must end in AUTH_ (Trove appends the project id)"),
      ),
    ),
    endpointType: optional(oneOfValues(SWIFT_ENDPOINT_TYPES)),
  },
  (a, report) => {
    if (a.url !== undefined && a.endpointType !== undefined)
      report(
        "endpointType",
        a.endpointType,
        "give url or endpointType, not both (Trove ignores the endpoint type when swift_url is set)",
      );
  },
);

/** The schema of {@link TroveConfigTarget}: the controller's fields, the connection required. @internal */
export const TROVE_CONFIG_TARGET_SCHEMA: Rule = shape<TroveConfigTarget>(
  "{ connection, troveConfPath?, guestAgentConfPath?, restartOn...?, python? }",
  {
    ...TROVE_CONTROLLER_FIELDS,
    connection: SSH_CONNECTION_SCHEMA,
    guestAgentConfPath: optional(text("an absolute path", absolutePathProblem)),
    restartOnTroveConfChange: optional(
      listOf(
        text("a one-line shell command", (v) => iniValueProblem(v) ?? (v === "" ? "must not be empty" : undefined)),
      ),
    ),
    restartOnGuestAgentConfChange: optional(
      listOf(
        text("a one-line shell command", (v) => iniValueProblem(v) ?? (v === "" ? "must not be empty" : undefined)),
      ),
    ),
  },
);

/** The fields of {@link TroveConfigArgs}' schema (the pipeline's `troveConfig` takes some of them). @internal */
export const TROVE_CONFIG_FIELDS: FieldRules<TroveConfigArgs> = {
  // The password goes on one line of trove-guestagent.conf: besides what any registry takes, no spaces at its ends.
  registry: shape<RegistryEndpoint>(
    "a registry endpoint { address, insecure, username?, password?, caCertificatePem? }",
    {
      ...REGISTRY_ENDPOINT_FIELDS,
      password: optional(
        secret(input(text("a password that fits one INI line", (v) => passwordProblem(v) ?? iniValueProblem(v)))),
      ),
    },
    registryCredentialPairs,
  ),
  imageOptions: input(
    mapOf(
      shape<GuestAgentImageOptions>("{ dockerImage, backupDockerImage }", {
        dockerImage: text("an image reference", imageReferenceProblem),
        backupDockerImage: text("an image reference", imageReferenceProblem),
      }),
      (k) => plainNameProblem(k),
      "a map of datastore names to { dockerImage, backupDockerImage }",
    ),
  ),
  controller: optional(TROVE_CONFIG_TARGET_SCHEMA),
  cloudInit: optional(
    mapOf(
      text("cloud-init user data", () => undefined),
      (k) => plainNameProblem(k),
      "a map of datastore names to cloud-init user data",
    ),
  ),
  cloudinitLocation: optional(text("an absolute path on the controller", absolutePathProblem)),
  catalog: optional(instanceOf(DatastoreCatalog, "a DatastoreCatalog")),
  troveRelease: optional(TROVE_RELEASE_RULE),
  swift: optional(TROVE_SWIFT_ENDPOINT_SCHEMA),
};

/** Trove's configuration fields that only make sense together (the pipeline's `troveConfig` checks them too). @internal */
export function troveConfigPairs(
  a: Pick<TroveConfigArgs, "cloudInit" | "controller">,
  report: (field: string, value: unknown, allowed: string) => void,
): void {
  if (a.cloudInit !== undefined && a.controller === undefined)
    report("cloudInit", Object.keys(a.cloudInit), "cloud-init files are written to the controller: set controller too");
}

/** The schema of {@link TroveConfigArgs}. @internal */
export const TROVE_CONFIG_SCHEMA: Rule = shape<TroveConfigArgs>(
  "Trove configuration arguments",
  TROVE_CONFIG_FIELDS,
  troveConfigPairs,
);

/** The request the editor reads from stdin. @internal */
export interface EditorRequest {
  /** `report`: sections the editor reports (in its `present`) when the file has them; it never removes them. */
  files: Array<{ path: string; sections: IniSections; restart: string[]; report?: string[] }>;
  directories: Record<string, Record<string, string>>;
}

/**
 * The shell command that runs the editor with the controller's Python; the request goes on stdin. `remove` takes the
 * request's options out again (what destroy runs).
 * @internal
 */
export function renderApplyCommand(python: string, mode: "apply" | "remove" = "apply"): string {
  return shellCommand([python, "-c", TROVE_CONFIG_EDITOR_PY, ...(mode === "remove" ? ["remove"] : [])]);
}

/** Everything {@link TroveConfig} needs, resolved and validated. @internal */
export interface ResolvedTroveConfig {
  catalog: DatastoreCatalog;
  registry: RegistryEndpoint;
  imageOptions: pulumi.Input<Record<string, GuestAgentImageOptions>>;
  cloudinitLocation: string;
  /** The cloud-init files by directory and file name, as the editor writes them (empty without `cloudInit`). */
  cloudInitDirectories: Record<string, Record<string, string>>;
  /** The controller the files are applied to, with its defaults; undefined: render only. */
  target?: Required<TroveConfigTarget>;
  /** The release's rules, when `troveRelease` is given. */
  release?: TroveReleaseRules;
  swift?: TroveSwiftEndpoint;
}

/**
 * Applies the controller target's defaults and checks the cloud-init files' datastores against the catalog (the
 * constructor has checked every field, and cloud-init without a controller, against TROVE_CONFIG_SCHEMA first);
 * throws one error naming every bad field.
 * @internal
 */
export function resolveTroveConfigArgs(name: string, args: TroveConfigArgs): ResolvedTroveConfig {
  const problems = new Problems("TroveConfig", name);
  const catalog = args.catalog ?? defaultCatalog;
  const cloudinitLocation = args.cloudinitLocation ?? "/etc/trove/cloudinit";
  for (const datastore of Object.keys(args.cloudInit ?? {}))
    problems.check(catalog.find(datastore) !== undefined, `cloudInit.${datastore}`, datastore, catalog.describeKnown());
  let target: Required<TroveConfigTarget> | undefined;
  if (args.controller) {
    const c = args.controller;
    target = {
      connection: c.connection,
      troveConfPath: c.troveConfPath ?? "/etc/trove/trove.conf",
      guestAgentConfPath: c.guestAgentConfPath ?? "/etc/trove/trove-guestagent.conf",
      restartOnTroveConfChange: c.restartOnTroveConfChange ?? ["systemctl restart trove-taskmanager"],
      restartOnGuestAgentConfChange: c.restartOnGuestAgentConfChange ?? [],
      python: c.python ?? "/usr/bin/python3",
    };
  }
  problems.throwIfAny();
  const cloudInitDirectories = args.cloudInit
    ? {
        [cloudinitLocation]: Object.fromEntries(
          Object.entries(args.cloudInit).map(([d, text]) => [`${d}.cloudinit`, text]),
        ),
      }
    : {};
  const release = args.troveRelease !== undefined ? TROVE_RELEASES[args.troveRelease] : undefined;
  return {
    catalog,
    registry: args.registry,
    imageOptions: args.imageOptions,
    cloudinitLocation,
    cloudInitDirectories,
    target,
    release,
    swift: args.swift,
  };
}

/** What the config editor reports. */
export interface TroveConfigApplied {
  changed: string[];
  restarted: string[];
  /** Per file path, the retired sections it still has (only for releases that retire some). */
  present?: Record<string, string[]>;
}

/**
 * Trove's registry configuration: rendered, and (with `controller`) merged into the controller's files over SSH,
 * restarting only what reads a changed file.
 */
export class TroveConfig extends pulumi.ComponentResource {
  /** The `trove.conf` options, as INI text. */
  public readonly troveConf: pulumi.Output<string>;
  /** The guest agent config options, as INI text (secret: it holds the registry password). */
  public readonly guestAgentConf: pulumi.Output<string>;
  /**
   * What the last apply changed and restarted (empty when render-only), and the retired sections the controller's
   * files still have (`present`: per file, e.g. `[service_credentials]` on 2026.2), which are warned about, not removed.
   */
  public readonly applied: pulumi.Output<TroveConfigApplied | undefined>;

  constructor(name: string, args: TroveConfigArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before anything is declared; from here on, every Input is the checked one.
    const checked = checkArgs("TroveConfig", name, TROVE_CONFIG_SCHEMA, args);
    args = checked.args;
    const resolved = resolveTroveConfigArgs(name, args);
    super(
      "pulumi-trove:trove-config:TroveConfig",
      name,
      {},
      withFormerTypes(opts, ["pulumi-trove:config:TroveConfig"]),
    );
    checked.attach(this);
    const r = resolved.registry;
    // The registry's values are the schema's checked Outputs (check-args.ts): a bad one rejects with the construction
    // message as soon as it resolves.
    const rendered = pulumi
      .all([r.address, r.insecure, r.username, r.password, resolved.imageOptions])
      .apply(([registryAddress, insecure, username, password, imageOptions]) =>
        renderTroveConfig(
          { registryAddress, insecure, username, password, imageOptions, swift: resolved.swift },
          resolved.catalog,
          "TroveConfig",
          name,
        ),
      );
    this.troveConf = rendered.apply((x) => renderIni(x.troveConf));
    this.guestAgentConf = pulumi.secret(rendered.apply((x) => renderIni(x.guestAgentConf)));

    if (resolved.target) {
      const t = resolved.target;
      const retired = retiredGuestSections(resolved.release);
      const request = pulumi.secret(
        rendered.apply((x): EditorRequest => ({
          files: [
            { path: t.troveConfPath, sections: x.troveConf, restart: t.restartOnTroveConfChange },
            {
              path: t.guestAgentConfPath,
              sections: x.guestAgentConf,
              restart: t.restartOnGuestAgentConfChange,
              ...(retired.length > 0 ? { report: retired } : {}),
            },
          ],
          directories: resolved.cloudInitDirectories,
        })),
      );
      const c = t.connection;
      const apply = new command.remote.Command(
        `${name}-apply`,
        {
          connection: remoteConnection(c, { component: "TroveConfig", name, field: "controller.connection" }),
          create: renderApplyCommand(t.python),
          // The editor merges and restarts only on change, so running it again is the right update, for new values as
          // for a new controller address, key or host key; an unchanged controller is left as it is. No triggers: a
          // replacement would run the new apply and then the old one's delete, which takes the options out again.
          update: renderApplyCommand(t.python),
          // destroy takes the options out of the files again (and restarts what reads a changed file).
          delete: renderApplyCommand(t.python, "remove"),
          addPreviousOutputInEnv: false,
          stdin: request.apply((req) => JSON.stringify(req)),
          // The editor prints only paths and commands; stderr could echo a failing restart's output, which is ours too.
          logging: "stdoutAndStderr",
        },
        { parent: this, additionalSecretOutputs: ["stdin"] },
      );
      this.applied = apply.stdout.apply((out) => {
        if (!out) return undefined;
        const result = readScriptResult<TroveConfigApplied>(
          `TroveConfig "${name}": the config editor on the controller`,
          out,
        );
        for (const [path, sections] of Object.entries(result.present ?? {})) {
          const warning = retiredSectionsWarning(resolved.release?.release ?? "", path, sections);
          if (warning) void pulumi.log.warn(`TroveConfig "${name}": ${warning}`, this);
        }
        return result;
      });
    } else {
      this.applied = pulumi.output(undefined);
    }
    // The checks are registered as outputs too, so a bad value fails the run even while the rendering waits on values
    // a preview does not know (the registry's address).
    this.registerOutputs({
      troveConf: this.troveConf,
      guestAgentConf: this.guestAgentConf,
      applied: this.applied,
      registryChecked: pulumi.all([r.username, r.password]).apply(() => true),
    });
  }
}
