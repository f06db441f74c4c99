// Image names: where the pipeline publishes each datastore's database and backup image, what it writes into the
// guest-agent options, and what Trove's guest agent computes from those options. The last must equal the first,
// or instances fail to pull their images; these functions are the single source of both sides.

import { DatastoreDefinition, TROVE_RELEASES, TroveReleaseRules } from "./catalog";

/** `<registry>/<repository>/<image>` without a tag: the value of `[<datastore>] docker_image`. @internal */
export function databaseImageOption(registryAddress: string, repository: string, def: DatastoreDefinition): string {
  return `${registryAddress}/${repository}/${def.upstreamImage}`;
}

/**
 * The value of `[<datastore>] backup_docker_image`. Trove 21+ appends the datastore version to a tagless value, so
 * each version gets its own backup image; older releases need a tag, shared by every version of the datastore.
 * @internal
 */
export function backupImageOption(
  registryAddress: string,
  repository: string,
  def: DatastoreDefinition,
  rules: TroveReleaseRules,
  backupTag: string,
): string {
  const base = `${registryAddress}/${repository}/${def.backupImageName}`;
  return rules.backupImageNaming === "tagged-only" ? `${base}:${backupTag}` : base;
}

/** What the guest agent pulls for the database: `<docker_image>:<version number>` (mysql_common/postgres service.py). @internal */
export function troveDatabaseImage(dockerImageOption: string, versionNumber: string): string {
  return `${dockerImageOption}:${versionNumber}`;
}

/** Trove 21+'s test for a tag: a `:` in the last path segment, after its first character. */
function hasTag(image: string): boolean {
  const last = image.split("/").pop() ?? "";
  return last.indexOf(":") > 0;
}

/** `<major>.<minor>` as Python's `semantic_version.Version.coerce` gives it: `5.7.29` -> `5.7`, `8` -> `8.0`. @internal */
export function majorMinor(versionNumber: string): string {
  const [major = "0", minor = "0"] = versionNumber.split(".");
  return `${Number(major)}.${Number(minor)}`;
}

/**
 * What the guest agent pulls for backups, from `backup_docker_image`, for one datastore version, as the given Trove
 * release computes it (trove/guestagent/datastore/service.py and mysql/service.py `get_backup_image`).
 * Returns `undefined` when that release cannot derive a usable name (a tagless value on Trove 18-20).
 */
export function troveBackupImage(
  backupImageOptionValue: string,
  def: DatastoreDefinition,
  versionNumber: string,
  rules: TroveReleaseRules,
): string | undefined {
  if (rules.backupImageNaming !== "tagged-only" && !hasTag(backupImageOptionValue)) {
    return `${backupImageOptionValue}:${versionNumber}`;
  }
  if (def.backupImageHasMinorVersionSuffix) {
    // Trove 18-20 split at the last ':' unconditionally, so a tagless value splits at the registry's port.
    const colon = backupImageOptionValue.lastIndexOf(":");
    if (colon < 0 || !hasTag(backupImageOptionValue)) return undefined;
    return `${backupImageOptionValue.slice(0, colon)}${majorMinor(versionNumber)}:${backupImageOptionValue.slice(colon + 1)}`;
  }
  return hasTag(backupImageOptionValue) ? backupImageOptionValue : undefined;
}

/**
 * Every backup image reference the guest agent may pull, in the order it tries them. On Trove 26 (2026.2) a tagless
 * option's exact tag (`:10.11.9`) is tried first; when the registry lacks it, the guest agent asks for ever shorter
 * tags (`:10.11`, then `:10`) and pulls the first the registry has (trove/guestagent/datastore/service.py
 * `get_backup_image`). Other releases and tagged options have one candidate; none when the release cannot resolve it.
 * @internal
 */
export function troveBackupImageCandidates(
  backupImageOptionValue: string,
  def: DatastoreDefinition,
  versionNumber: string,
  rules: TroveReleaseRules,
): string[] {
  const exact = troveBackupImage(backupImageOptionValue, def, versionNumber, rules);
  if (exact === undefined) return [];
  if (rules.backupImageNaming !== "version-tag-fallback" || hasTag(backupImageOptionValue)) return [exact];
  const parts = versionNumber.split(".");
  return parts.map((_, i) => `${backupImageOptionValue}:${parts.slice(0, parts.length - i).join(".")}`);
}

/**
 * The backup image the guest agent pulls, given what the registry holds: the first candidate `inRegistry` accepts, or
 * `undefined` when none is there (the backup then fails on the guest).
 * @internal
 */
export function resolveTroveBackupImage(
  backupImageOptionValue: string,
  def: DatastoreDefinition,
  versionNumber: string,
  rules: TroveReleaseRules,
  inRegistry: (reference: string) => boolean,
): string | undefined {
  return troveBackupImageCandidates(backupImageOptionValue, def, versionNumber, rules).find(inRegistry);
}

/** The images one datastore version needs in the registry, exactly as the guest agent will name them. */
export interface DatastoreImageNames {
  /** Where the database image is published and what the guest agent pulls: `10.0.0.5:4000/trove-datastores/mysql:5.7.29`. */
  database: string;
  /** Where the backup image is published and what the guest agent pulls: `.../db-backup-mysql5.7:1.1.0` or `.../db-backup-mysql:5.7.29`. */
  backup: string;
  /** The `docker_image` option value for this datastore. */
  dockerImageOption: string;
  /** The `backup_docker_image` option value for this datastore. */
  backupDockerImageOption: string;
}

/** Computes every name for one datastore version, from the registry address, repository and Trove release. */
export function datastoreImageNames(
  registryAddress: string,
  repository: string,
  def: DatastoreDefinition,
  versionNumber: string,
  release: string,
  backupTag: string,
): DatastoreImageNames {
  const rules = TROVE_RELEASES[release];
  if (!rules) throw new Error(`unknown Trove release ${JSON.stringify(release)}`);
  const dockerImageOption = databaseImageOption(registryAddress, repository, def);
  const backupDockerImageOption = backupImageOption(registryAddress, repository, def, rules, backupTag);
  const backup = troveBackupImage(backupDockerImageOption, def, versionNumber, rules);
  // backupImageOption always yields a value the release can resolve; this guards the invariant.
  if (backup === undefined)
    throw new Error(`internal: ${backupDockerImageOption} cannot be resolved by Trove ${release}`);
  return {
    database: troveDatabaseImage(dockerImageOption, versionNumber),
    backup,
    dockerImageOption,
    backupDockerImageOption,
  };
}
