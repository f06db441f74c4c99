// The datastore catalog: what Trove, Docker and the guest agent call each datastore, which versions we know work,
// and how each Trove release turns the guest-agent options into the image names it pulls. Pure data and functions.

import { Problems } from "../internal/errors";
import { FieldRules, optional, required, Rule, text } from "../internal/schema";
import { plainNameProblem, repositoryProblem, tagProblem, versionNumberProblem } from "../internal/validate";

/** Everything the pipeline needs to know about one datastore. */
export interface DatastoreDefinition {
  /** Trove datastore name, as in `openstack datastore version create <version> <datastore> ...`. Example: `mysql`. */
  name: string;
  /** Trove datastore manager (the guest-agent driver). Example: `mysql`. */
  manager: string;
  /**
   * Section of `trove-guestagent.conf` that holds `docker_image` and `backup_docker_image`. Trove names the
   * PostgreSQL section `[postgresql]` (the runbook's `[postgres]` is a slip).
   */
  configSection: string;
  /** Upstream Docker image repository, without tag. PostgreSQL's is `postgres`. */
  upstreamImage: string;
  /** Repository name of the backup image built from Trove's `backup/` directory: `db-backup-<datastore>`. */
  backupImageName: string;
  /**
   * Versions or release lines that Trove's CI or the runbook have used with this datastore: `8.0` covers `8.0.36`,
   * `5.7.29` covers only itself. Others are allowed, with a warning.
   */
  testedVersions: readonly string[];
  /** Path of the datastore's `validation-rules.json` inside a Trove checkout. */
  validationRulesPath: string;
  /**
   * Whether the guest agent inserts `<major>.<minor>` into a tagged `backup_docker_image`
   * (`db-backup-mysql:1.1.0` -> `db-backup-mysql5.7:1.1.0`). True for MySQL only (trove/guestagent/datastore/mysql/service.py).
   */
  backupImageHasMinorVersionSuffix: boolean;
}

/** The datastores Trove ships guest-agent drivers and backup images for, as this project supports them. */
export const BUILTIN_DATASTORES: Readonly<Record<string, DatastoreDefinition>> = Object.freeze({
  mysql: {
    name: "mysql",
    manager: "mysql",
    configSection: "mysql",
    upstreamImage: "mysql",
    backupImageName: "db-backup-mysql",
    testedVersions: ["5.7.29", "8.0", "8.4"],
    validationRulesPath: "trove/templates/mysql/validation-rules.json",
    backupImageHasMinorVersionSuffix: true,
  },
  mariadb: {
    name: "mariadb",
    manager: "mariadb",
    configSection: "mariadb",
    upstreamImage: "mariadb",
    backupImageName: "db-backup-mariadb",
    testedVersions: ["10.4", "10.11", "11.4"],
    validationRulesPath: "trove/templates/mariadb/validation-rules.json",
    backupImageHasMinorVersionSuffix: false,
  },
  postgresql: {
    name: "postgresql",
    manager: "postgresql",
    configSection: "postgresql",
    upstreamImage: "postgres",
    backupImageName: "db-backup-postgresql",
    testedVersions: ["12", "13", "16", "18"],
    validationRulesPath: "trove/templates/postgresql/validation-rules.json",
    backupImageHasMinorVersionSuffix: false,
  },
});

/** A datastore catalog: the built-in datastores plus any the user adds, looked up by name. */
export class DatastoreCatalog {
  private readonly entries: ReadonlyMap<string, DatastoreDefinition>;

  /**
   * @param extra datastores to add or override, e.g. a `percona` definition. Each is validated.
   * @param base the datastores to start from; defaults to {@link BUILTIN_DATASTORES}.
   */
  constructor(
    extra: readonly DatastoreDefinition[] = [],
    base: Readonly<Record<string, DatastoreDefinition>> = BUILTIN_DATASTORES,
  ) {
    const problems = new Problems("DatastoreCatalog", "catalog");
    extra.forEach((d, i) => validateDefinition(d, `datastores[${i}]`, problems));
    problems.throwIfAny();
    const map = new Map<string, DatastoreDefinition>(Object.entries(base));
    for (const d of extra) map.set(d.name, Object.freeze({ ...d, testedVersions: [...d.testedVersions] }));
    this.entries = map;
  }

  /** Names of every datastore in the catalog, sorted. */
  get names(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** The definition of `name`, or `undefined`. */
  find(name: string): DatastoreDefinition | undefined {
    return this.entries.get(name);
  }

  /** The definition of `name`; throws with the list of known datastores when there is none. */
  get(name: string): DatastoreDefinition {
    const d = this.entries.get(name);
    if (!d) throw new Error(`unknown datastore ${JSON.stringify(name)} (known: ${this.names.join(", ")})`);
    return d;
  }

  /** The text used in error messages: `known: mariadb, mysql, postgresql`. */
  describeKnown(): string {
    return `known: ${this.names.join(", ")}`;
  }
}

/** Whether `version` is a tested version or a patch release of a tested line (`8.0` covers `8.0.36`, not `8.01`). @internal */
export function isTestedVersion(definition: DatastoreDefinition, version: string): boolean {
  return definition.testedVersions.some((tested) => version === tested || version.startsWith(`${tested}.`));
}

/** The default catalog, with the built-in datastores only. */
export const defaultCatalog = new DatastoreCatalog();

function validateDefinition(d: DatastoreDefinition, at: string, problems: Problems): void {
  problems.report(`${at}.name`, d.name, plainNameProblem(d.name));
  problems.report(`${at}.manager`, d.manager, plainNameProblem(d.manager));
  problems.check(
    /^[A-Za-z][A-Za-z0-9_]*$/.test(d.configSection),
    `${at}.configSection`,
    d.configSection,
    "expected an INI section name: letters, digits and '_'",
  );
  problems.report(`${at}.upstreamImage`, d.upstreamImage, repositoryProblem(d.upstreamImage));
  problems.report(`${at}.backupImageName`, d.backupImageName, repositoryProblem(d.backupImageName));
  d.testedVersions.forEach((v, j) => problems.report(`${at}.testedVersions[${j}]`, v, versionNumberProblem(v)));
  problems.check(
    !d.validationRulesPath.startsWith("/") && !d.validationRulesPath.split("/").includes(".."),
    `${at}.validationRulesPath`,
    d.validationRulesPath,
    "expected a path relative to a Trove checkout",
  );
}

/**
 * How a Trove release names the backup image from `backup_docker_image`:
 * - `tagged-only` (Trove 18-20: Zed, 2023.1, 2023.2): the option must carry a tag; MySQL inserts `<major>.<minor>`
 *   before it, the others use it as is. A tagless MySQL value is split at the registry's port: broken.
 * - `version-tag` (Trove 21-25: 2024.1 to 2026.1): a tagless option gets `:<datastore version>` appended; a tagged one
 *   behaves as in `tagged-only`.
 * - `version-tag-fallback` (Trove 26: 2026.2): as `version-tag`, but when the registry lacks `:<version>` the guest
 *   agent asks the registry for ever shorter tags (`10.11.9`, then `10.11`, then `10`) and pulls the first it finds.
 */
export type BackupImageNaming = "tagged-only" | "version-tag" | "version-tag-fallback";

/** Where a release's facts come from: proved against that release's own code in CI, or read from its source. */
export type ReleaseEvidence = "proved-in-ci" | "read-from-source";

/** What one Trove release supports and how its guest agent names the images it pulls. */
export interface TroveReleaseRules {
  /** Release name, e.g. `zed` or `2024.1`. */
  release: string;
  /** Trove's own major version, e.g. 18 for Zed. */
  troveMajor: number;
  /** How `backup_docker_image` becomes the backup image reference. */
  backupImageNaming: BackupImageNaming;
  /**
   * Ubuntu releases a guest image may be built on, the one upstream builds and publishes first. Upstream's devstack,
   * CI and published images moved to noble in 2025.2 (`trovestack build-image` itself still defaults to jammy).
   */
  guestOsReleases: readonly string[];
  /**
   * Per datastore, the release lines upstream tests (doc/source/admin/datastore.rst's support matrix): `8.4` covers
   * `8.4.3`. A version outside them is refused unless `allowUntested` is set.
   */
  datastoreVersions: Readonly<Record<string, readonly string[]>>;
  /** Whether `backup_docker_image` has a default in Trove's config (none since 2024.1: it must be set). */
  backupImageHasDefault: boolean;
  /** Optional fields the management API accepts when creating a datastore version (`registry_ext`, `repl_strategy` since 2024.2). */
  versionApiFields: readonly string[];
  /** Whether `network_isolation` defaults to true: guests then pull over the management network only (since 2024.2). */
  networkIsolationByDefault: boolean;
  /**
   * Whether the release's `trovestack build-image` adds diskimage-builder's `openstack-ci-mirrors` element, whose
   * apt settings accept unsigned packages in the image: only master (Trove 26, 2026.2; upstream a84b544b). No stable
   * branch up to 2026.1 adds it. {@link GuestImageBuild} refuses a production build from a checkout that adds it.
   */
  trovestackAddsCiMirrors: boolean;
  /**
   * Whether the release's trovestack embeds Docker images in the guest image from `DIB_TROVE_DOCKER_IMAGES` (space
   * separated `[source=]target` references; upstream 224524d8): only master (2026.2). No released branch does yet.
   */
  trovestackEmbedsDockerImages: boolean;
  /**
   * What the guest agent hands the backup image, and so what a backup image must understand:
   * - `keystone-reauth` (Trove 18-25): the backup container gets `--os-token`, `--os-auth-url` and `--os-region-name`
   *   from the guest config's `[service_credentials]`, re-scopes the token with Keystone and finds Swift in the catalog;
   *   the guest config needs `[service_credentials] auth_url` and `region_name`.
   * - `swift-preauth` (Trove 26, 2026.2: upstream 804f960b and 305ee9e0): the taskmanager passes the Swift URL
   *   (`[DEFAULT] swift_url` + project id, else the catalog's `swift_endpoint_type` endpoint) and the container calls
   *   `--swift-url` with the token as is; `[service_credentials]` in the guest config is deprecated, and backup images
   *   built for the earlier contract must be rebuilt (they do not know `--swift-url`).
   * A backup image records its contract in its label, so a release that changes it rebuilds the images.
   */
  backupImageContract: BackupImageContract;
  /**
   * Whether the release's image build bakes the guest agent from the Trove checkout's own `git HEAD`: upstream
   * 867b6b26 (integration/scripts/functions_qemu, master only, 2026.2) sets `DIB_REPOLOCATION_guest_agent` to the
   * checkout and `DIB_REPOREF_guest_agent` to its `HEAD` when the checkout has a `.git` directory and neither is set.
   * Earlier releases clone the element's pinned branch (`stable/<release>`) from opendev.org.
   */
  trovestackBakesCheckoutHead: boolean;
  /**
   * MySQL lines the release's `backup/install.sh` installs Percona XtraBackup for; it stops on any other (MySQL's
   * backup image cannot be built). Trove 18-23: 5.7 and 8.0; 24 (2025.2) on: 8.0 and 8.4.
   */
  backupMysqlVersions: readonly string[];
  /**
   * The build args the release's `backup/Dockerfile` takes: `datastore-line` (Trove 18-20): one `DATASTORE`, MySQL's
   * with its line (`mysql5.7`, `mysql8.0`; a bare `mysql` stops install.sh); `datastore-and-version` (21 on):
   * `DATASTORE` and `DATASTORE_VERSION`, which install.sh compares with MySQL's lines exactly (`8.4`, not `8.4.3`).
   */
  backupBuildArgs: "datastore-line" | "datastore-and-version";
  /** Where these facts come from (see the README's release table). */
  evidence: ReleaseEvidence;
}

/** How the guest agent and a backup image talk (see {@link TroveReleaseRules.backupImageContract}). */
export type BackupImageContract = "keystone-reauth" | "swift-preauth";

const BASE_API_FIELDS = ["image", "image_tags", "packages", "active", "default"] as const;
const API_FIELDS_22 = [...BASE_API_FIELDS, "registry_ext", "repl_strategy"] as const;
// Upstream's support matrix starts with 2025.1; the releases before it publish none, and their CI jobs (zuul.d) ran
// the same lines as 2025.1's row: MySQL 5.7, MariaDB 10.4, PostgreSQL 12.
const MATRIX_UNTIL_2025_1 = { mysql: ["5.7"], mariadb: ["10.4"], postgresql: ["12"] };
const MATRIX_2025_2 = { mysql: ["8.0", "8.4"], mariadb: ["11.4", "11.8"], postgresql: ["16", "17"] };
const MATRIX_2026_2 = { mysql: ["8.0", "8.4"], mariadb: ["11.4", "11.8"], postgresql: ["16", "17", "18"] };

const BACKUP_MYSQL_UNTIL_2025_1 = ["5.7", "8.0"];
const BACKUP_MYSQL_2025_2 = ["8.0", "8.4"];
/** The facts every release up to 2026.1 shares; 2026.2 overrides them. */
const UNTIL_2026_1 = { backupImageContract: "keystone-reauth", trovestackBakesCheckoutHead: false } as const;

function release(r: TroveReleaseRules): TroveReleaseRules {
  return Object.freeze({
    ...r,
    guestOsReleases: Object.freeze([...r.guestOsReleases]),
    datastoreVersions: Object.freeze({ ...r.datastoreVersions }),
    versionApiFields: Object.freeze([...r.versionApiFields]),
    backupMysqlVersions: Object.freeze([...r.backupMysqlVersions]),
  });
}

/** Every Trove release the library knows, Trove 18 (Zed) to 26 (2026.2): the one place that says what each supports. */
export const TROVE_RELEASES: Readonly<Record<string, TroveReleaseRules>> = Object.freeze({
  zed: release({
    release: "zed",
    troveMajor: 18,
    backupImageNaming: "tagged-only",
    guestOsReleases: ["jammy"],
    datastoreVersions: MATRIX_UNTIL_2025_1,
    backupImageHasDefault: true,
    versionApiFields: BASE_API_FIELDS,
    networkIsolationByDefault: false,
    trovestackAddsCiMirrors: false,
    trovestackEmbedsDockerImages: false,
    ...UNTIL_2026_1,
    backupMysqlVersions: BACKUP_MYSQL_UNTIL_2025_1,
    backupBuildArgs: "datastore-line",
    evidence: "proved-in-ci",
  }),
  "2023.1": release({
    release: "2023.1",
    troveMajor: 19,
    backupImageNaming: "tagged-only",
    guestOsReleases: ["jammy"],
    datastoreVersions: MATRIX_UNTIL_2025_1,
    backupImageHasDefault: true,
    versionApiFields: BASE_API_FIELDS,
    networkIsolationByDefault: false,
    trovestackAddsCiMirrors: false,
    trovestackEmbedsDockerImages: false,
    ...UNTIL_2026_1,
    backupMysqlVersions: BACKUP_MYSQL_UNTIL_2025_1,
    backupBuildArgs: "datastore-line",
    evidence: "read-from-source",
  }),
  "2023.2": release({
    release: "2023.2",
    troveMajor: 20,
    backupImageNaming: "tagged-only",
    guestOsReleases: ["jammy"],
    datastoreVersions: MATRIX_UNTIL_2025_1,
    backupImageHasDefault: true,
    versionApiFields: BASE_API_FIELDS,
    networkIsolationByDefault: false,
    trovestackAddsCiMirrors: false,
    trovestackEmbedsDockerImages: false,
    ...UNTIL_2026_1,
    backupMysqlVersions: BACKUP_MYSQL_UNTIL_2025_1,
    backupBuildArgs: "datastore-line",
    evidence: "read-from-source",
  }),
  "2024.1": release({
    release: "2024.1",
    troveMajor: 21,
    backupImageNaming: "version-tag",
    guestOsReleases: ["jammy"],
    datastoreVersions: MATRIX_UNTIL_2025_1,
    backupImageHasDefault: false,
    versionApiFields: BASE_API_FIELDS,
    networkIsolationByDefault: false,
    trovestackAddsCiMirrors: false,
    trovestackEmbedsDockerImages: false,
    ...UNTIL_2026_1,
    backupMysqlVersions: BACKUP_MYSQL_UNTIL_2025_1,
    backupBuildArgs: "datastore-and-version",
    evidence: "read-from-source",
  }),
  "2024.2": release({
    release: "2024.2",
    troveMajor: 22,
    backupImageNaming: "version-tag",
    guestOsReleases: ["jammy"],
    datastoreVersions: MATRIX_UNTIL_2025_1,
    backupImageHasDefault: false,
    versionApiFields: API_FIELDS_22,
    networkIsolationByDefault: true,
    trovestackAddsCiMirrors: false,
    trovestackEmbedsDockerImages: false,
    ...UNTIL_2026_1,
    backupMysqlVersions: BACKUP_MYSQL_UNTIL_2025_1,
    backupBuildArgs: "datastore-and-version",
    evidence: "read-from-source",
  }),
  "2025.1": release({
    release: "2025.1",
    troveMajor: 23,
    backupImageNaming: "version-tag",
    guestOsReleases: ["jammy"],
    datastoreVersions: MATRIX_UNTIL_2025_1,
    backupImageHasDefault: false,
    versionApiFields: API_FIELDS_22,
    networkIsolationByDefault: true,
    trovestackAddsCiMirrors: false,
    trovestackEmbedsDockerImages: false,
    ...UNTIL_2026_1,
    backupMysqlVersions: BACKUP_MYSQL_UNTIL_2025_1,
    backupBuildArgs: "datastore-and-version",
    evidence: "proved-in-ci",
  }),
  "2025.2": release({
    release: "2025.2",
    troveMajor: 24,
    backupImageNaming: "version-tag",
    guestOsReleases: ["noble", "jammy"],
    datastoreVersions: MATRIX_2025_2,
    backupImageHasDefault: false,
    versionApiFields: API_FIELDS_22,
    networkIsolationByDefault: true,
    trovestackAddsCiMirrors: false,
    trovestackEmbedsDockerImages: false,
    ...UNTIL_2026_1,
    backupMysqlVersions: BACKUP_MYSQL_2025_2,
    backupBuildArgs: "datastore-and-version",
    evidence: "read-from-source",
  }),
  "2026.1": release({
    release: "2026.1",
    troveMajor: 25,
    backupImageNaming: "version-tag",
    guestOsReleases: ["noble", "jammy"],
    datastoreVersions: MATRIX_2025_2,
    backupImageHasDefault: false,
    versionApiFields: API_FIELDS_22,
    networkIsolationByDefault: true,
    trovestackAddsCiMirrors: false,
    trovestackEmbedsDockerImages: false,
    ...UNTIL_2026_1,
    backupMysqlVersions: BACKUP_MYSQL_2025_2,
    backupBuildArgs: "datastore-and-version",
    evidence: "read-from-source",
  }),
  "2026.2": release({
    release: "2026.2",
    troveMajor: 26,
    backupImageNaming: "version-tag-fallback",
    guestOsReleases: ["noble", "jammy"],
    datastoreVersions: MATRIX_2026_2,
    backupImageHasDefault: false,
    versionApiFields: API_FIELDS_22,
    networkIsolationByDefault: true,
    trovestackAddsCiMirrors: true,
    trovestackEmbedsDockerImages: true,
    backupImageContract: "swift-preauth",
    trovestackBakesCheckoutHead: true,
    backupMysqlVersions: BACKUP_MYSQL_2025_2,
    backupBuildArgs: "datastore-and-version",
    evidence: "proved-in-ci",
  }),
});

/** A Trove release name known to {@link TROVE_RELEASES}. */
export type TroveRelease = keyof typeof TROVE_RELEASES & string;

/** The release Debian 12 ships (`python3-trove` 18.0.0), which the local lab runs by default. @internal */
export const DEBIAN12_TROVE_RELEASE = "zed";

/** The known release names, oldest first: `zed, 2023.1, …, 2026.2`. */
export function knownTroveReleases(): string[] {
  return Object.keys(TROVE_RELEASES);
}

/** Checks a Trove release name. @internal */
export function troveReleaseProblem(value: string | undefined): string | undefined {
  if (value === undefined)
    return `say which Trove release the controller runs (known releases: ${knownTroveReleases().join(", ")})`;
  return Object.hasOwn(TROVE_RELEASES, value) ? undefined : `known releases: ${knownTroveReleases().join(", ")}`;
}

/**
 * What Trove release `name` supports: guest OS releases, datastore version lines, naming rules, API fields. Throws,
 * listing the known releases, for an unknown name. Example: `troveReleaseSupport("2026.2").datastoreVersions.postgresql`
 * is `["16", "17", "18"]`.
 */
export function troveReleaseSupport(name: string): TroveReleaseRules {
  const problem = troveReleaseProblem(name);
  if (problem) throw new Error(`unknown Trove release ${JSON.stringify(name)} (${problem})`);
  return TROVE_RELEASES[name]!;
}

/** Whether `version` is in one of the lines `lines` (`8.4` covers `8.4.3`, not `8.41`). @internal */
export function versionInLines(lines: readonly string[], version: string): boolean {
  return lines.some((line) => version === line || version.startsWith(`${line}.`));
}

/**
 * Why `release` does not support `datastore` `version`, or `undefined` when it does. A datastore the release's matrix
 * does not list (a user-added one) is not judged here.
 * @internal
 */
export function releaseVersionProblem(
  rules: TroveReleaseRules,
  datastore: string,
  version: string,
): string | undefined {
  const lines = rules.datastoreVersions[datastore];
  if (lines === undefined || versionInLines(lines, version)) return undefined;
  return `Trove ${rules.release} supports ${datastore} ${lines.join(", ")}; set allowUntested: true to try it anyway`;
}

/** Why `release` does not build guests on Ubuntu `guestOsRelease`, or `undefined` when it does. @internal */
export function releaseGuestOsProblem(rules: TroveReleaseRules, guestOsRelease: string): string | undefined {
  return rules.guestOsReleases.includes(guestOsRelease)
    ? undefined
    : `Trove ${rules.release} supports ${rules.guestOsReleases.join(", ")}; set allowUntested: true to try it anyway`;
}

/** One datastore version the pipeline publishes images for and registers in Trove. */
export interface DatastoreVersionSpec {
  /** Catalog datastore name. Example: `mysql`. */
  datastore: string;
  /**
   * Version number (`5.7.29`). Trove's guest agent pulls `<docker_image>:<version number>`, so this is also the tag
   * the database image is published under.
   */
  version: string;
  /** Trove version name; defaults to the version number. Example: `5.7.29`. */
  name?: string;
  /** Tag of the upstream image to mirror; defaults to the version number. Example: `5.7`. */
  upstreamTag?: string;
}

/** The fields of {@link DatastoreVersionSpec}'s schema. @internal */
export const DATASTORE_VERSION_SPEC_FIELDS: FieldRules<DatastoreVersionSpec> = {
  datastore: text("a datastore name, e.g. mysql", (v) => plainNameProblem(v)),
  version: text("a version number, e.g. 8.0.41", versionNumberProblem),
  name: optional(text("a version name", (v) => plainNameProblem(v))),
  upstreamTag: optional(text("a Docker tag, e.g. 8.0", tagProblem)),
};

/** The rule of a `troveRelease` field: one of the releases this library knows, named when missing. @internal */
export const TROVE_RELEASE_RULE: Rule = required(
  text("a Trove release, e.g. 2026.1", troveReleaseProblem),
  troveReleaseProblem(undefined)!,
);

/**
 * Why the release's backup image cannot be built for `datastore` `version`, or `undefined` when it can: its
 * `backup/install.sh` installs Percona XtraBackup for the MySQL lines {@link TroveReleaseRules.backupMysqlVersions}
 * only, and stops on any other. Other datastores are not judged.
 * @internal
 */
export function backupBuildProblem(rules: TroveReleaseRules, datastore: string, version: string): string | undefined {
  if (datastore !== "mysql") return undefined;
  const [major = "0", minor = "0"] = version.split(".");
  const line = `${Number(major)}.${Number(minor)}`;
  if (rules.backupMysqlVersions.includes(line)) return undefined;
  return `Trove ${rules.release}'s backup image (backup/install.sh) installs Percona XtraBackup for MySQL ${rules.backupMysqlVersions.join(" and ")} only, so the backup image of MySQL ${line} cannot be built; list a version of those lines, or set buildBackupImages: false and publish backup images yourself`;
}

/**
 * The `docker build` args of a version's backup image for the release's `backup/Dockerfile`
 * ({@link TroveReleaseRules.backupBuildArgs}): MySQL's version as its line (`8.4` for `8.4.3`), inside `DATASTORE`
 * on Trove 18-20 (`mysql8.0`); the others as they are.
 * @internal
 */
export function backupBuildArgs(
  rules: TroveReleaseRules,
  datastore: string,
  version: string,
): { DATASTORE: string; DATASTORE_VERSION: string } {
  if (datastore !== "mysql") return { DATASTORE: datastore, DATASTORE_VERSION: version };
  const [major = "0", minor = "0"] = version.split(".");
  const line = `${Number(major)}.${Number(minor)}`;
  return rules.backupBuildArgs === "datastore-line"
    ? { DATASTORE: `mysql${line}`, DATASTORE_VERSION: line }
    : { DATASTORE: "mysql", DATASTORE_VERSION: line };
}
