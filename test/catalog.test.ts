// The catalog and the image-naming rules: what users rely on when they add datastores and when Trove pulls images.

import { describe, expect, it } from "vitest";
import { BUILTIN_DATASTORES, DatastoreCatalog, TROVE_RELEASES, defaultCatalog, isTestedVersion, troveReleaseProblem } from "../components/catalog";
import { ComponentInputError } from "../components/errors";
import { datastoreImageNames, majorMinor, troveBackupImage } from "../components/image-naming";

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
    expect(() => defaultCatalog.get("mongodb")).toThrow('unknown datastore "mongodb" (known: mariadb, mysql, postgresql)');
  });

  it("lets users add a datastore without forking", () => {
    const catalog = new DatastoreCatalog([
      { ...BUILTIN_DATASTORES.mysql!, name: "percona", manager: "percona", configSection: "percona", upstreamImage: "percona", backupImageName: "db-backup-percona", testedVersions: ["8.0"], validationRulesPath: "trove/templates/percona/validation-rules.json" },
    ]);
    expect(catalog.names).toEqual(["mariadb", "mysql", "percona", "postgresql"]);
    expect(catalog.get("percona").upstreamImage).toBe("percona");
    expect(defaultCatalog.find("percona")).toBeUndefined();
  });

  it("rejects a bad added definition with every bad field named", () => {
    const bad = () => new DatastoreCatalog([{ ...BUILTIN_DATASTORES.mysql!, name: "my sql", upstreamImage: "MySQL", testedVersions: ["5.x"] }]);
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

  it("uses a tagged non-MySQL backup option as is", () => {
    expect(troveBackupImage("r:1/x/db-backup-postgresql:1.1.2", pg, "12", zed)).toBe("r:1/x/db-backup-postgresql:1.1.2");
  });
});
