// Pure validators shared by the components. Each returns `undefined` when the value is fine, or a short text that
// says what is allowed, which `Problems.report` turns into one line of the component's error.

import { count, Rule } from "./schema";

/** A datastore version number as Trove and the image tags use it: `5.7.29`, `8.0`, `12`, `10.11.6`. @internal */
export const VERSION_NUMBER = /^\d+(\.\d+){0,3}$/;

/** Checks a datastore version number (`5.7.29`). @internal */
export function versionNumberProblem(value: string): string | undefined {
  return VERSION_NUMBER.test(value) ? undefined : "expected 1 to 4 dot-separated numbers, e.g. 5.7.29, 8.0 or 12";
}

/** A plain name: letters, digits, `.`, `_`, `-`; starts with a letter or digit. Safe for Glance, Docker tags and shells. */
const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Checks a name that Glance, Trove, Docker or a shell will see (image names, datastore names, version names). @internal */
export function plainNameProblem(value: string, maxLength = 64): string | undefined {
  if (value.length === 0 || value.length > maxLength || !PLAIN_NAME.test(value)) {
    return `use 1 to ${maxLength} letters, digits, '.', '_' or '-', starting with a letter or digit`;
  }
  return undefined;
}

/** One path component of a Docker repository name, per the distribution spec. */
const REPO_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** Checks a Docker repository path such as `trove-datastores` or `team/trove`. @internal */
export function repositoryProblem(value: string): string | undefined {
  if (value.length === 0 || value.length > 200 || !value.split("/").every((part) => REPO_COMPONENT.test(part))) {
    return "use lowercase letters, digits and single '.', '_' or '-' between them, path parts separated by '/', e.g. trove-datastores";
  }
  return undefined;
}

/** A Docker tag, per the distribution spec. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Checks a Docker image tag such as `5.7.29` or `1.1.0`. @internal */
export function tagProblem(value: string): string | undefined {
  return TAG.test(value) ? undefined : "use up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'";
}

/** A host and port, split. @internal */
export interface HostPort {
  host: string;
  port: number;
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6_BRACKETED = /^\[[0-9A-Fa-f:.]+\]$/;

/** Parses `host:port` (a DNS name, an IPv4 address or a bracketed IPv6 address, and a port 1-65535). @internal */
export function parseHostPort(value: string): HostPort | undefined {
  const colon = value.lastIndexOf(":");
  if (colon <= 0) return undefined;
  const host = value.slice(0, colon);
  const portText = value.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  if (!(IPV4.test(host) || IPV6_BRACKETED.test(host) || (HOSTNAME.test(host) && !/^[\d.]+$/.test(host))))
    return undefined;
  return { host, port };
}

/** Checks a registry address such as `10.0.0.5:4000` or `registry.example.com:443`. @internal */
export function hostPortProblem(value: string): string | undefined {
  return parseHostPort(value) ? undefined : "expected host:port, e.g. 10.0.0.5:4000 or registry.example.com:443";
}

/** Checks an absolute POSIX path with no control characters (it may contain spaces; it is always quoted). @internal */
export function absolutePathProblem(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (!value.startsWith("/") || /[\x00-\x1f\x7f]/.test(value))
    return "expected an absolute path without control characters";
  return undefined;
}

/** Checks a path that may start with `$HOME/` or `~/` (expanded by the shell on the build host) or be absolute. @internal */
export function hostPathProblem(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) return "expected a path without control characters";
  if (value.startsWith("/") || value.startsWith("$HOME/") || value.startsWith("~/")) return undefined;
  return "expected an absolute path, or one starting with $HOME/ or ~/";
}

/** Checks that a list of plain values has no duplicates; returns the first duplicate. @internal */
export function firstDuplicate<T>(values: readonly T[]): T | undefined {
  const seen = new Set<T>();
  for (const v of values) {
    if (seen.has(v)) return v;
    seen.add(v);
  }
  return undefined;
}

/** Checks a value that goes into one line of a config file or a command's environment: no newlines or control characters. @internal */
export function singleLineProblem(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x1f\x7f]/.test(value) ? "must not contain newlines or control characters" : undefined;
}

/** Checks a host name or IP address (no port, no scheme). @internal */
export function hostProblem(value: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value))
    return "expected a host name or IP address without a scheme, e.g. 10.0.0.5 or build.example.com";
  return parseHostPort(`${value}:1`)
    ? undefined
    : "expected a host name or IP address, e.g. 10.0.0.5 or build.example.com";
}

/** Checks a registry address: `host:port`, no scheme, no path, no credentials. @internal */
export function registryAddressProblem(value: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value))
    return "expected host:port without a scheme (drop the http:// or https://; `insecure` says which), e.g. 10.0.0.5:4000";
  if (value.includes("@"))
    return "expected host:port without credentials (give username and password as their own fields), e.g. 10.0.0.5:4000";
  if (!/:\d+$/.test(value)) return "expected host:port with the port, e.g. 10.0.0.5:4000 or registry.example.com:443";
  return (
    hostPortProblem(value) &&
    "expected host:port with a port from 1 to 65535, e.g. 10.0.0.5:4000 or registry.example.com:443"
  );
}

/** Checks a user name for HTTP basic auth (and htpasswd): no ':' (it ends the name), no spaces or control characters. @internal */
export function basicAuthUserProblem(value: string): string | undefined {
  return /^[A-Za-z0-9._@+-]{1,64}$/.test(value)
    ? undefined
    : "expected 1 to 64 letters, digits, '.', '_', '@', '+' or '-' (basic auth cannot carry ':' or spaces in a user name)";
}

/** Checks a login name on a Unix host (an SSH user). @internal */
export function unixUserProblem(value: string): string | undefined {
  return /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(value)
    ? undefined
    : "expected a Unix user name: up to 32 letters, digits, '_', '.' or '-', starting with a letter or '_'";
}

/** Checks a user name the guest image build creates or copies as (Ubuntu's useradd rule): lowercase, no '.'. @internal */
export function linuxUserProblem(value: string): string | undefined {
  return /^[a-z_][a-z0-9_-]{0,31}$/.test(value)
    ? undefined
    : "expected a Linux user name: up to 32 lowercase letters, digits, '_' or '-', starting with a letter or '_'";
}

/** Checks a password: not empty, one line. @internal */
export function passwordProblem(value: string): string | undefined {
  if (value.length === 0) return "must not be empty";
  return singleLineProblem(value);
}

/** Checks a PEM certificate (chain). @internal */
export function certificatePemProblem(value: string): string | undefined {
  return /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(value)
    ? undefined
    : "expected PEM text: -----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----";
}

/** Checks that a private key is given as its text, not as the path of its file (a common slip). @internal */
export function keyTextProblem(value: string): string | undefined {
  if (value.trim() === "") return "must not be empty";
  if (/^\s*(\/|~\/|\.\.?\/|\$HOME\/)/.test(value) && !value.includes("\n"))
    return 'expected the key\'s text (PEM or OpenSSH), not the path of its file: read the file, e.g. pulumi config set --secret <key> "$(cat <file>)"';
  return undefined;
}

/** Checks a sha256 digest in hex (as `sha256sum` prints it). @internal */
export function sha256Problem(value: string): string | undefined {
  return /^[0-9a-f]{64}$/.test(value) ? undefined : "expected 64 lowercase hex digits, as sha256sum prints them";
}

/** Checks an OpenStack id (Glance image, Trove version): a UUID, with or without dashes. @internal */
export function uuidProblem(value: string): string | undefined {
  return /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(value)
    ? undefined
    : "expected an OpenStack id (a UUID), e.g. 8a4c2e5e-6b1f-4c1e-9a57-0c3b5c1d2e3f";
}

/** Checks an http(s) URL. @internal */
export function httpUrlProblem(value: string): string | undefined {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  return url && (url.protocol === "http:" || url.protocol === "https:") && !/\s/.test(value)
    ? undefined
    : "expected an http:// or https:// URL, e.g. https://tarballs.opendev.org/openstack/trove/images/trove-master-guest-ubuntu-jammy.qcow2";
}

/** Checks a git ref or commit id (`stable/2024.1`, `master`, a sha). @internal */
export function gitRefProblem(value: string): string | undefined {
  const ok =
    /^[A-Za-z0-9][A-Za-z0-9._/+-]{0,199}$/.test(value) &&
    !value.includes("..") &&
    !value.includes("//") &&
    !value.endsWith("/") &&
    !value.endsWith(".lock");
  return ok ? undefined : "expected a git branch, tag or commit, e.g. stable/2024.1 or master";
}

/** Checks an environment variable name for trovestack and diskimage-builder: uppercase, as theirs are. @internal */
export function environmentNameProblem(value: string): string | undefined {
  return /^[A-Z_][A-Z0-9_]{0,127}$/.test(value)
    ? undefined
    : "expected an environment variable name of uppercase letters, digits and '_', not starting with a digit";
}

/** Checks a Docker image reference (`registry:2`, `quay.io/openstack.trove/registry:2`, `10.0.0.5:4000/trove/mysql:8.4`). @internal */
export function imageReferenceProblem(value: string): string | undefined {
  return /^[a-z0-9][a-z0-9._/:@-]{0,254}$/.test(value) && !value.includes("//")
    ? undefined
    : "expected an image reference such as registry:2 or 10.0.0.5:4000/trove/mysql:8.4";
}

/** Checks where images come from: `docker.io/library`, `quay.io/openstack.trove`, `10.0.0.5:5000/mirror`. @internal */
export function registryPathProblem(value: string): string | undefined {
  return /^[a-z0-9][a-z0-9.-]*(:\d{1,5})?(\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(value)
    ? undefined
    : "expected a registry host and optional path, without a scheme, e.g. docker.io/library or quay.io/openstack.trove";
}

/** Checks a Docker engine address (`DOCKER_HOST`). @internal */
export function dockerHostProblem(value: string): string | undefined {
  return /^(unix:\/\/\/[^\s]+|tcp:\/\/[^\s/]+|ssh:\/\/[^\s/]+)$/.test(value)
    ? undefined
    : "expected unix:///path, tcp://host:port or ssh://user@host";
}

/** A TCP port. @internal */
export const portRule: Rule = count(1, 65535);

/** Checks a clouds.yaml cloud name or a region name. @internal */
export function cloudNameProblem(value: string): string | undefined {
  return /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/.test(value) && value === value.trim()
    ? undefined
    : "expected up to 64 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit";
}
