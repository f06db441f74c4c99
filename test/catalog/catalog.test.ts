// The catalog and the image-naming rules: what users rely on when they add datastores and when Trove pulls images.

import { describe, expect, it } from "vitest";
import {
  BUILTIN_DATASTORES,
  DatastoreCatalog,
  TROVE_RELEASES,
  defaultCatalog,
  isTestedVersion,
  troveReleaseProblem,
  troveReleaseSupport,
} from "../../components/catalog/catalog";
import { ComponentInputError } from "../../components/internal/errors";
import {
  datastoreImageNames,
  majorMinor,
  resolveTroveBackupImage,
  troveBackupImage,
  troveBackupImageCandidates,
} from "../../components/catalog/image-naming";

describe("DatastoreCatalog", () => {
  it("knows mysql, mariadb and postgresql with Trove's names", () => {
    expect(defaultCatalog.names).toEqual(["mariadb", "mysql", "postgresql"]);
    const pg = defaultCatalog.get("postgresql");
    expect(pg.configSection).toBe("postgresql");
    expect(pg.upstreamImage).toBe("postgres");
    expect(pg.backupImageName).toBe("db-backup-postgresql");
    expect(defaultCatalog.get("mysql").validationRulesPath).toBe("trove/templates/mysql/validation-rules.json");
    expect(defaultCatalog.get("mysql").testedVersions).toContain("5.7.29");
  });

  it("counts a patch release of a tested line as tested, and nothing else", () => {
    const mysql = defaultCatalog.get("mysql");
    expect(isTestedVersion(mysql, "8.0")).toBe(true);
    expect(isTestedVersion(mysql, "8.0.36")).toBe(true);
    expect(isTestedVersion(mysql, "5.7.29")).toBe(true);
    expect(isTestedVersion(mysql, "5.7.30")).toBe(false);
    expect(isTestedVersion(mysql, "8.01")).toBe(false);
    expect(isTestedVersion(defaultCatalog.get("postgresql"), "16.4")).toBe(true);
  });

  it("names the known datastores when asked for an unknown one", () => {
    expect(() => defaultCatalog.get("mongodb")).toThrow(
      'unknown datastore "mongodb" (known: mariadb, mysql, postgresql)',
    );
  });

  it("lets users add a datastore without forking", () => {
    const catalog = new DatastoreCatalog([
      {
        ...BUILTIN_DATASTORES.mysql!,
        name: "percona",
        manager: "percona",
        configSection: "percona",
        upstreamImage: "percona",
        backupImageName: "db-backup-percona",
        testedVersions: ["8.0"],
        validationRulesPath: "trove/templates/percona/validation-rules.json",
      },
    ]);
    expect(catalog.names).toEqual(["mariadb", "mysql", "percona", "postgresql"]);
    expect(catalog.get("percona").upstreamImage).toBe("percona");
    expect(defaultCatalog.find("percona")).toBeUndefined();
  });

  it("rejects a bad added definition with every bad field named", () => {
    const bad = () =>
      new DatastoreCatalog([
        { ...BUILTIN_DATASTORES.mysql!, name: "my sql", upstreamImage: "MySQL", testedVersions: ["5.x"] },
      ]);
    expect(bad).toThrow(ComponentInputError);
    expect(bad).toThrow(/datastores\[0\]\.name "my sql"/);
    expect(bad).toThrow(/datastores\[0\]\.upstreamImage "MySQL"/);
    expect(bad).toThrow(/datastores\[0\]\.testedVersions\[0\] "5.x"/);
  });

  it("lists the known Trove releases when given an unknown one", () => {
    expect(troveReleaseProblem("zed")).toBeUndefined();
    expect(troveReleaseProblem("victoria")).toMatch(/^known releases: zed, 2023.1/);
  });
});

describe("troveReleaseSupport: what a Trove release supports", () => {
  it("knows every release from Zed (Trove 18) to 2026.2 (Trove 26)", () => {
    expect(Object.values(TROVE_RELEASES).map((r) => `${r.release}=${r.troveMajor}`)).toEqual([
      "zed=18",
      "2023.1=19",
      "2023.2=20",
      "2024.1=21",
      "2024.2=22",
      "2025.1=23",
      "2025.2=24",
      "2026.1=25",
      "2026.2=26",
    ]);
    expect(() => troveReleaseSupport("victoria")).toThrow(
      'unknown Trove release "victoria" (known releases: zed, 2023.1, 2023.2, 2024.1, 2024.2, 2025.1, 2025.2, 2026.1, 2026.2)',
    );
  });

  it("gives each release upstream's datastore matrix: 5.7/10.4/12 until 2025.1, 8.x/11.x/16-17 after, PostgreSQL 18 from 2026.2", () => {
    expect(troveReleaseSupport("2025.1").datastoreVersions).toEqual({
      mysql: ["5.7"],
      mariadb: ["10.4"],
      postgresql: ["12"],
    });
    expect(troveReleaseSupport("2025.2").datastoreVersions).toEqual({
      mysql: ["8.0", "8.4"],
      mariadb: ["11.4", "11.8"],
      postgresql: ["16", "17"],
    });
    expect(troveReleaseSupport("2026.2").datastoreVersions.postgresql).toEqual(["16", "17", "18"]);
  });

  it("offers noble guests from 2025.2, jammy before", () => {
    expect(troveReleaseSupport("2025.1").guestOsReleases).toEqual(["jammy"]);
    expect(troveReleaseSupport("2025.2").guestOsReleases).toEqual(["noble", "jammy"]);
  });

  it("records the API fields, the backup-image default and network isolation per release", () => {
    expect(troveReleaseSupport("zed").versionApiFields).not.toContain("registry_ext");
    expect(troveReleaseSupport("2024.2").versionApiFields).toEqual(
      expect.arrayContaining(["registry_ext", "repl_strategy"]),
    );
    expect([
      troveReleaseSupport("2023.2").backupImageHasDefault,
      troveReleaseSupport("2024.1").backupImageHasDefault,
    ]).toEqual([true, false]);
    expect([
      troveReleaseSupport("2024.1").networkIsolationByDefault,
      troveReleaseSupport("2024.2").networkIsolationByDefault,
    ]).toEqual([false, true]);
    expect(troveReleaseSupport("2026.2").backupImageNaming).toBe("version-tag-fallback");
  });
});

describe("image naming", () => {
  const mysql = defaultCatalog.get("mysql");
  const pg = defaultCatalog.get("postgresql");
  const zed = TROVE_RELEASES.zed!;
  const caracal = TROVE_RELEASES["2024.1"]!;

  it("computes major.minor as semantic_version.coerce does", () => {
    expect(majorMinor("5.7.29")).toBe("5.7");
    expect(majorMinor("8")).toBe("8.0");
    expect(majorMinor("10.11.6")).toBe("10.11");
  });

  it("publishes the database image under the version number, the tag Trove pulls", () => {
    const n = datastoreImageNames("10.0.0.5:4000", "trove-datastores", mysql, "5.7.29", "zed", "latest");
    expect(n.dockerImageOption).toBe("10.0.0.5:4000/trove-datastores/mysql");
    expect(n.database).toBe("10.0.0.5:4000/trove-datastores/mysql:5.7.29");
  });

  it("on Trove 18-20 gives MySQL a tagged backup option and the major.minor image Trove derives", () => {
    const n = datastoreImageNames("10.0.0.5:4000", "trove-datastores", mysql, "5.7.29", "zed", "1.1.0");
    expect(n.backupDockerImageOption).toBe("10.0.0.5:4000/trove-datastores/db-backup-mysql:1.1.0");
    expect(n.backup).toBe("10.0.0.5:4000/trove-datastores/db-backup-mysql5.7:1.1.0");
  });

  it("shows why the runbook's tagless MySQL backup image breaks on Trove 18: it splits at the port", () => {
    expect(troveBackupImage("10.0.0.5:4000/trove-datastores/db-backup-mysql", mysql, "5.7.29", zed)).toBeUndefined();
  });

  it("on Trove 21+ uses a tagless option and a backup image per version", () => {
    const n = datastoreImageNames("10.0.0.5:4000", "trove-datastores", pg, "12", "2024.1", "latest");
    expect(n.dockerImageOption).toBe("10.0.0.5:4000/trove-datastores/postgres");
    expect(n.backupDockerImageOption).toBe("10.0.0.5:4000/trove-datastores/db-backup-postgresql");
    expect(n.backup).toBe("10.0.0.5:4000/trove-datastores/db-backup-postgresql:12");
    expect(troveBackupImage("r:1/x/db-backup-mysql", mysql, "8.0.36", caracal)).toBe("r:1/x/db-backup-mysql:8.0.36");
  });

  it("on Trove 26 falls back to ever shorter tags the registry holds; Trove 23 and tagged options do not", () => {
    const mariadb = defaultCatalog.get("mariadb");
    const r26 = TROVE_RELEASES["2026.2"]!;
    expect(troveBackupImageCandidates("r:1/x/db-backup-mariadb", mariadb, "10.11.9", r26)).toEqual([
      "r:1/x/db-backup-mariadb:10.11.9",
      "r:1/x/db-backup-mariadb:10.11",
      "r:1/x/db-backup-mariadb:10",
    ]);
    const registry = new Set(["r:1/x/db-backup-mariadb:10.11"]);
    expect(
      resolveTroveBackupImage("r:1/x/db-backup-mariadb", mariadb, "10.11.9", r26, (ref) => registry.has(ref)),
    ).toBe("r:1/x/db-backup-mariadb:10.11");
    expect(
      resolveTroveBackupImage("r:1/x/db-backup-mariadb", mariadb, "10.11.9", TROVE_RELEASES["2025.1"]!, (ref) =>
        registry.has(ref),
      ),
    ).toBeUndefined();
    expect(troveBackupImageCandidates("r:1/x/db-backup-mysql:1.1.0", mysql, "8.4.3", r26)).toEqual([
      "r:1/x/db-backup-mysql8.4:1.1.0",
    ]);
    // What the pipeline publishes is the exact tag, the first candidate: every release finds it.
    expect(datastoreImageNames("r:1", "x", mariadb, "11.4.5", "2026.2", "latest").backup).toBe(
      "r:1/x/db-backup-mariadb:11.4.5",
    );
  });

  it("uses a tagged non-MySQL backup option as is", () => {
    expect(troveBackupImage("r:1/x/db-backup-postgresql:1.1.2", pg, "12", zed)).toBe(
      "r:1/x/db-backup-postgresql:1.1.2",
    );
  });
});

describe("release facts of issue 25", () => {
  it("2026.2 alone changes the backup image's contract (swift-preauth) and bakes the checkout's HEAD", async () => {
    const { TROVE_RELEASES } = await import("../../components/catalog/catalog.js");
    const byFact = (f: (r: (typeof TROVE_RELEASES)[string]) => unknown) =>
      Object.fromEntries(Object.values(TROVE_RELEASES).map((r) => [r.release, f(r)]));
    expect(Object.entries(byFact((r) => r.backupImageContract)).filter(([, c]) => c !== "keystone-reauth")).toEqual([
      ["2026.2", "swift-preauth"],
    ]);
    expect(Object.entries(byFact((r) => r.trovestackBakesCheckoutHead)).filter(([, v]) => v)).toEqual([
      ["2026.2", true],
    ]);
    expect(byFact((r) => r.backupMysqlVersions.join(" "))).toEqual({
      zed: "5.7 8.0",
      "2023.1": "5.7 8.0",
      "2023.2": "5.7 8.0",
      "2024.1": "5.7 8.0",
      "2024.2": "5.7 8.0",
      "2025.1": "5.7 8.0",
      "2025.2": "8.0 8.4",
      "2026.1": "8.0 8.4",
      "2026.2": "8.0 8.4",
    });
  });
});
