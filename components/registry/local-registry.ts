// The runbook's private Docker registry (`docker run -d --net=host -e REGISTRY_HTTP_ADDR=0.0.0.0:4000
// --restart=always -v /opt/trove_registry/:/var/lib/registry --name registry registry:2`) as a declared container,
// with optional basic auth and TLS, and the endpoint every consumer of the registry needs.

import { createHash } from "node:crypto";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import bcrypt from "bcryptjs";
import { RegistryEndpoint } from "./registry-endpoint";
import {
  absolutePathProblem,
  hostProblem,
  imageReferenceProblem,
  keyTextProblem,
  passwordProblem,
  certificatePemProblem,
  portRule,
} from "../internal/validate";
import { isIP } from "node:net";
import { checkArgs } from "../internal/check-args";
import {
  count,
  either,
  flag,
  input,
  instanceOf,
  isPlainObject,
  oneOfValues,
  optional,
  Rule,
  secret,
  shape,
  text,
} from "../internal/schema";
import { withFormerTypes } from "../internal/component-type";

/** Basic-auth settings of the registry. */
export interface LocalRegistryAuth {
  /** User name. Example: `trove`. */
  username: string;
  /** Password; pass a `pulumi.secret` (e.g. `config.requireSecret("registryPassword")`). */
  password: pulumi.Input<string>;
  /** Realm shown to clients. Default: `trove-registry`. */
  realm?: string;
}

/** TLS settings of the registry. */
export interface LocalRegistryTls {
  /** PEM certificate (chain) the registry serves. Its SANs must cover `advertisedHost`. */
  certificatePem: pulumi.Input<string>;
  /** PEM private key of the certificate; pass a `pulumi.secret`. */
  privateKeyPem: pulumi.Input<string>;
  /** PEM of the CA that signed the certificate, handed to clients. Default: the certificate itself (self-signed). */
  caCertificatePem?: pulumi.Input<string>;
}

/** TLS with a self-signed certificate generated for the registry (`@pulumi/tls`), covering `advertisedHost`. */
export interface LocalRegistryGeneratedTls {
  /** Always `true`: generate the certificate. */
  generate: true;
  /** Validity of the certificate in days; a new certificate replaces it when this changes. Default: `825`. */
  validityDays?: number;
}

/** Arguments of {@link LocalRegistry}. */
export interface LocalRegistryArgs {
  /**
   * Host name or address the Trove guest instances (and the pipeline) reach the registry at; the registry's address
   * is `<advertisedHost>:<port>`. Example: `10.0.0.5` (the runbook's `YOUR_REGISTRY_IP`).
   */
  advertisedHost: string;
  /** Port the registry listens on (host network). Default: `4000`. */
  port?: number;
  /** IPv4 address the registry binds to inside the host network. Default: `0.0.0.0`. */
  bindAddress?: string;
  /** Registry image. Default: `registry:2`. Example: `quay.io/openstack.trove/registry:2` (what devstack uses). */
  image?: string;
  /** Host directory that stores the images, mounted at `/var/lib/registry`. Default: `/opt/trove_registry`. */
  storagePath?: string;
  /** Container name. Default: `registry`. */
  containerName?: string;
  /**
   * Require basic auth (htpasswd, bcrypt). The htpasswd line is stable for a given password, so a no-op `pulumi up`
   * changes nothing. Default: no auth, as in the runbook.
   */
  auth?: LocalRegistryAuth;
  /**
   * Serve HTTPS with this certificate, or `{ generate: true }` for a self-signed one made with `@pulumi/tls` (ECDSA
   * P-256 key kept secret, SAN = `advertisedHost`; its PEM is the `caCertificatePem` output clients must trust).
   * Default: plain HTTP (then Trove needs `docker_insecure_registries`).
   */
  tls?: LocalRegistryTls | LocalRegistryGeneratedTls;
  /** Allow deleting manifests through the API. Default: `false`. */
  deleteEnabled?: boolean;
  /** Docker provider of the host that runs the registry. Default: the default docker provider. */
  dockerProvider?: docker.Provider;
}

/** Everything {@link LocalRegistry} needs, resolved and validated. @internal */
export interface ResolvedLocalRegistry {
  address: string;
  port: number;
  bindAddress: string;
  image: string;
  storagePath: string;
  containerName: string;
  realm: string;
  deleteEnabled: boolean;
  /** The host the generated certificate is made for. */
  advertisedHost: string;
  /** Basic auth (its password the checked, secret Input); undefined: none. */
  auth?: LocalRegistryAuth;
  /** A given certificate, or one to generate with its validity in days; undefined: plain HTTP. */
  tls?: LocalRegistryTls | { generate: true; validityDays: number };
  dockerProvider?: docker.Provider;
}

/** Where the registry finds its credentials and certificates inside the container. @internal */
export const REGISTRY_PATHS = {
  htpasswd: "/auth/htpasswd",
  certificate: "/certs/domain.crt",
  key: "/certs/domain.key",
} as const;

/**
 * A bcrypt htpasswd line whose salt is derived from the inputs, so the same password always gives the same line and a
 * no-op `pulumi up` changes nothing; a new password gives a new line. bcrypt is what the registry requires.
 * @internal
 */
export function htpasswdLine(username: string, password: string, realm: string): string {
  const seed = createHash("sha256").update(`pulumi-trove\0${realm}\0${username}\0${password}`).digest();
  const salt = `$2y$10$${bcrypt.encodeBase64(seed.subarray(0, 16), 16)}`;
  // bcryptjs writes $2b$; the registry (Go's x/crypto/bcrypt) reads $2a$, $2b$ and $2y$ alike.
  return `${username}:${bcrypt.hashSync(password, salt.replace("$2y$", "$2b$"))}`;
}

/** The registry's environment (distribution's `REGISTRY_*` overrides of its config file). @internal */
export function registryContainerEnvironment(s: ResolvedLocalRegistry, auth: boolean, tls: boolean): string[] {
  const env = [`REGISTRY_HTTP_ADDR=${s.bindAddress}:${s.port}`];
  if (s.deleteEnabled) env.push("REGISTRY_STORAGE_DELETE_ENABLED=true");
  if (auth)
    env.push(
      "REGISTRY_AUTH=htpasswd",
      `REGISTRY_AUTH_HTPASSWD_REALM=${s.realm}`,
      `REGISTRY_AUTH_HTPASSWD_PATH=${REGISTRY_PATHS.htpasswd}`,
    );
  if (tls)
    env.push(
      `REGISTRY_HTTP_TLS_CERTIFICATE=${REGISTRY_PATHS.certificate}`,
      `REGISTRY_HTTP_TLS_KEY=${REGISTRY_PATHS.key}`,
    );
  return env;
}

/** The schema of {@link LocalRegistryArgs}. @internal */
export const LOCAL_REGISTRY_SCHEMA: Rule = shape<LocalRegistryArgs>("local registry arguments", {
  advertisedHost: text("a host name or IP address the guests can reach", hostProblem),
  port: optional(portRule),
  // The registry's REGISTRY_HTTP_ADDR is `<bindAddress>:<port>`, which this library writes for IPv4 only.
  bindAddress: optional(
    text("an IPv4 address, e.g. 0.0.0.0", (v) =>
      isIP(v) === 4 ? undefined : "expected an IPv4 address, e.g. 0.0.0.0 or 127.0.0.1",
    ),
  ),
  image: optional(text("an image reference such as registry:2", imageReferenceProblem)),
  storagePath: optional(text("an absolute path on the registry host", absolutePathProblem)),
  containerName: optional(
    text("a container name", (v) =>
      /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/.test(v) ? undefined : "expected letters, digits, '_', '.' or '-'",
    ),
  ),
  auth: optional(
    shape<LocalRegistryAuth>("{ username, password, realm? }", {
      username: text("a user name for the registry's htpasswd file", (v) =>
        /^[A-Za-z0-9._-]{1,64}$/.test(v) ? undefined : "expected 1 to 64 letters, digits, '.', '_' or '-'",
      ),
      password: secret(input(text("a password", passwordProblem))),
      realm: optional(
        text("a realm", (v) =>
          /^[A-Za-z0-9 ._-]{1,64}$/.test(v) ? undefined : "expected letters, digits, spaces, '.', '_' or '-'",
        ),
      ),
    }),
  ),
  tls: optional(
    either(
      "{ certificatePem, privateKeyPem, caCertificatePem? } or { generate: true, validityDays? }",
      [
        shape<LocalRegistryTls>("{ certificatePem, privateKeyPem, caCertificatePem? }", {
          certificatePem: input(text("a PEM certificate", certificatePemProblem)),
          privateKeyPem: secret(input(text("a PEM private key's text", keyTextProblem))),
          caCertificatePem: optional(input(text("a PEM certificate", certificatePemProblem))),
        }),
        shape<LocalRegistryGeneratedTls>("{ generate: true, validityDays? }", {
          generate: oneOfValues([true]),
          validityDays: optional(count(1, 3650)),
        }),
      ],
      (v) => (isPlainObject(v) ? ("generate" in v ? 1 : 0) : undefined),
    ),
  ),
  deleteEnabled: optional(flag()),
  dockerProvider: optional(instanceOf(docker.Provider, "a docker.Provider")),
});

/** Applies defaults; every check is the schema's (LOCAL_REGISTRY_SCHEMA), which the constructor runs first. @internal */
export function resolveLocalRegistryArgs(args: LocalRegistryArgs): ResolvedLocalRegistry {
  const port = args.port ?? 4000;
  const bindAddress = args.bindAddress ?? "0.0.0.0";
  const image = args.image ?? "registry:2";
  const storagePath = args.storagePath ?? "/opt/trove_registry";
  const containerName = args.containerName ?? "registry";
  const realm = args.auth?.realm ?? "trove-registry";
  const address = `${args.advertisedHost}:${port}`;
  let tls: ResolvedLocalRegistry["tls"];
  if (args.tls && "generate" in args.tls) {
    tls = { generate: true, validityDays: args.tls.validityDays ?? 825 };
  } else {
    tls = args.tls;
  }
  return {
    address,
    port,
    bindAddress,
    image,
    storagePath,
    containerName,
    realm,
    deleteEnabled: args.deleteEnabled ?? false,
    advertisedHost: args.advertisedHost,
    auth: args.auth,
    tls,
    dockerProvider: args.dockerProvider,
  };
}

/** A self-signed certificate for `host` (IP address or DNS name), its key kept secret; the certificate is its own CA. */
function generateCertificate(name: string, host: string, days: number, parent: pulumi.Resource): LocalRegistryTls {
  const key = new tls.PrivateKey(
    `${name}-tls-key`,
    { algorithm: "ECDSA", ecdsaCurve: "P256" },
    { parent, additionalSecretOutputs: ["privateKeyPem"] },
  );
  const isIp = /^[\d.]+$/.test(host) || host.includes(":");
  const cert = new tls.SelfSignedCert(
    `${name}-tls-cert`,
    {
      privateKeyPem: key.privateKeyPem,
      subject: { commonName: host, organization: "pulumi-trove registry" },
      ...(isIp ? { ipAddresses: [host] } : { dnsNames: [host] }),
      validityPeriodHours: days * 24,
      allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
    },
    { parent },
  );
  return {
    certificatePem: cert.certPem,
    privateKeyPem: pulumi.secret(key.privateKeyPem),
    caCertificatePem: cert.certPem,
  };
}

/** The private registry the datastore and backup images are published to, as a container on the registry host. */
export class LocalRegistry extends pulumi.ComponentResource {
  /** `host:port` of the registry. */
  public readonly address: pulumi.Output<string>;
  /** True when the registry speaks plain HTTP (then Trove needs `docker_insecure_registries`). */
  public readonly insecure: pulumi.Output<boolean>;
  /** Basic-auth user name, when auth is on. */
  public readonly username: pulumi.Output<string | undefined>;
  /** Basic-auth password (secret), when auth is on. */
  public readonly password: pulumi.Output<string | undefined>;
  /** CA certificate PEM clients must trust, when TLS is on. */
  public readonly caCertificatePem: pulumi.Output<string | undefined>;
  /** Everything a consumer needs to reach the registry. */
  public readonly endpoint: RegistryEndpoint;
  /** The arguments as resolved: defaults applied, checked. @internal */
  public readonly resolved: ResolvedLocalRegistry;

  constructor(name: string, args: LocalRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before anything is declared; from here on, every Input is the checked one.
    const checked = checkArgs("LocalRegistry", name, LOCAL_REGISTRY_SCHEMA, args);
    args = checked.args;
    const s = resolveLocalRegistryArgs(args);
    super(
      "pulumi-trove:local-registry:LocalRegistry",
      name,
      {},
      withFormerTypes(opts, ["pulumi-trove:registry:LocalRegistry"]),
    );
    checked.attach(this);
    this.resolved = s;
    const childOpts = { parent: this, provider: s.dockerProvider };

    const image = new docker.RemoteImage(`${name}-image`, { name: s.image, keepLocally: true }, childOpts);

    const uploads: pulumi.Input<docker.types.input.ContainerUpload>[] = [];
    if (s.auth) {
      const auth = s.auth;
      const line = pulumi.secret(
        pulumi.output(auth.password).apply((pw) => `${htpasswdLine(auth.username, pw, s.realm)}\n`),
      );
      uploads.push({ file: REGISTRY_PATHS.htpasswd, content: line });
    }
    const certificate =
      s.tls && "generate" in s.tls ? generateCertificate(name, s.advertisedHost, s.tls.validityDays, this) : s.tls;
    if (certificate) {
      uploads.push({ file: REGISTRY_PATHS.certificate, content: certificate.certificatePem });
      uploads.push({ file: REGISTRY_PATHS.key, content: pulumi.secret(certificate.privateKeyPem) });
    }

    const container = new docker.Container(
      `${name}-container`,
      {
        name: s.containerName,
        image: image.imageId,
        networkMode: "host",
        restart: "always",
        envs: registryContainerEnvironment(s, s.auth !== undefined, s.tls !== undefined),
        volumes: [{ hostPath: s.storagePath, containerPath: "/var/lib/registry" }],
        uploads,
      },
      childOpts,
    );

    this.address = container.id.apply(() => s.address);
    this.insecure = pulumi.output(s.tls === undefined);
    this.username = pulumi.output(s.auth?.username);
    this.password = s.auth ? pulumi.secret(s.auth.password) : pulumi.output(undefined);
    this.caCertificatePem = certificate
      ? pulumi.output(certificate.caCertificatePem ?? certificate.certificatePem)
      : pulumi.output(undefined);
    this.endpoint = {
      address: this.address,
      insecure: this.insecure,
      username: s.auth?.username,
      password: s.auth ? this.password.apply((p) => p ?? "") : undefined,
      caCertificatePem: s.tls ? this.caCertificatePem.apply((c) => c ?? "") : undefined,
    };
    this.registerOutputs({
      address: this.address,
      insecure: this.insecure,
      username: this.username,
      password: this.password,
      caCertificatePem: this.caCertificatePem,
    });
  }
}
