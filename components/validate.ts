// Pure validators shared by the components. Each returns `undefined` when the value is fine, or a short text that
// says what is allowed, which `Problems.report` turns into one line of the component's error.

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

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
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
  if (!(IPV4.test(host) || IPV6_BRACKETED.test(host) || (HOSTNAME.test(host) && !/^[\d.]+$/.test(host)))) return undefined;
  return { host, port };
}

/** Checks a registry address such as `10.0.0.5:4000` or `registry.example.com:443`. @internal */
export function hostPortProblem(value: string): string | undefined {
  return parseHostPort(value) ? undefined : "expected host:port, e.g. 10.0.0.5:4000 or registry.example.com:443";
}

/** Checks a TCP port number. @internal */
export function portProblem(value: number): string | undefined {
  return Number.isInteger(value) && value >= 1 && value <= 65535 ? undefined : "expected a whole number from 1 to 65535";
}

/** Checks an absolute POSIX path with no control characters (it may contain spaces; it is always quoted). @internal */
export function absolutePathProblem(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (!value.startsWith("/") || /[\x00-\x1f\x7f]/.test(value)) return "expected an absolute path without control characters";
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
