// The script files of components/internal/scripts and the helpers around them: the loader inlines each included file
// once, the shell library's result line and partial files behave, its numbers agree with the TypeScript constants, and
// readScriptResult names the step when a result is missing or malformed.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { REGISTRY_WAIT_SECONDS } from "../../components/registry/datastore-images";
import { PROGRESS_EVERY_SECONDS, PROGRESS_MAX_LINES } from "../support/progress";
import { loadScript, readScriptResult } from "../../components/internal/scripts/index";

const DIR = path.join(__dirname, "../../components/internal/scripts");
const lib = loadScript("lib.sh");
const bash = (script: string, env: Record<string, string> = {}) =>
  spawnSync("/bin/bash", ["-c", `set -euo pipefail\n${lib}\n${script}`], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
  });

describe("loadScript", () => {
  it("makes every shell script self-contained: each include replaced by the file, each file once", () => {
    for (const name of readdirSync(DIR).filter((f) => f.endsWith(".sh"))) {
      const text = loadScript(name);
      expect(text, name).not.toMatch(/^\. "\$\(dirname/m);
      expect(text.split("\nat_exit() {").length, name).toBeLessThanOrEqual(2);
    }
    const update = loadScript("fetch-image-update.sh");
    expect(update).toContain(loadScript("fetch-image.sh").split("\n").slice(-3).join("\n"));
    expect(update.split("\njson_line() {").length).toBe(2);
  });

  it("runs a script the same inlined and as a file", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "describe-"));
    const image = path.join(dir, "a b.qcow2");
    execFileSync("bash", ["-c", 'printf x > "$1"', "-", image]);
    const env = { PATH: process.env.PATH, PULUMI_TROVE_IMAGE: image };
    const inlined = execFileSync("/bin/bash", ["-c", loadScript("describe-image.sh")], { env, encoding: "utf8" });
    const file = execFileSync("/bin/bash", [path.join(DIR, "describe-image.sh")], { env, encoding: "utf8" });
    expect(inlined).toBe(file);
    expect(JSON.parse(inlined)).toEqual({
      path: image,
      sha256: "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
      sizeBytes: 1,
    });
    rmSync(dir, { recursive: true, force: true });
  });

  it("a path missing at run time is reported with the argument it came from, not as a bare 'No such file'", () => {
    const env = { PATH: process.env.PATH, PULUMI_TROVE_IMAGE: "/nonexistent/guest.qcow2" };
    const missing = spawnSync("/bin/bash", ["-c", loadScript("describe-image.sh")], { env, encoding: "utf8" });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/pulumi-trove: existingImagePath: no file \/nonexistent\/guest.qcow2 on \S+\n$/);
    const build = spawnSync("/bin/bash", ["-c", loadScript("build-guest-image.sh")], {
      env: {
        PATH: process.env.PATH,
        PULUMI_TROVE_BUILD_SCRIPTS_DIR: "/nonexistent/trove/integration/scripts",
        PULUMI_TROVE_BUILD_OUTPUT: "/tmp/x.qcow2",
      },
      encoding: "utf8",
    });
    expect(build.stderr).toContain(
      "pulumi-trove: troveSourceDir (its integration/scripts): no directory /nonexistent/trove/integration/scripts on ",
    );
  });

  it("a destroy removes the remote build's image, record and log, and the local copy, only while they are still that build's", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cleanup-"));
    const image = path.join(dir, "guest.qcow2");
    const put = (text: string) =>
      execFileSync("bash", [
        "-c",
        'printf %s "$2" > "$1"; printf \'{"sha256":"%s"}\\n\' "$(sha256sum "$1" | cut -d" " -f1)" > "$1.build.json"; printf log > "$1.build.log"',
        "-",
        image,
        text,
      ]);
    const shaOf = (text: string) =>
      execFileSync("bash", ["-c", 'printf %s "$1" | sha256sum | cut -d" " -f1', "-", text], {
        encoding: "utf8",
      }).trim();
    const cleanup = (sha: string) =>
      spawnSync("/bin/bash", ["-c", loadScript("remove-guest-image.sh")], {
        env: { PATH: process.env.PATH, PULUMI_TROVE_BUILD_OUTPUT: image, PULUMI_TROVE_BUILD_SHA256: sha },
        encoding: "utf8",
      });
    const removeCopy = (sha: string) =>
      spawnSync("/bin/bash", ["-c", loadScript("fetch-image-delete.sh")], {
        env: { PATH: process.env.PATH, FETCH_LOCAL_PATH: image, FETCH_SHA256: sha },
        encoding: "utf8",
      });
    // A newer build wrote the path since (a replacement): the old build's cleanup keeps it, and says so.
    put("new build");
    const kept = cleanup(shaOf("old build"));
    expect(kept.status).toBe(0);
    expect(kept.stderr).toContain(`keeping ${image} on the build host: it is not the image this build made`);
    expect(readdirSync(dir).sort()).toEqual(["guest.qcow2", "guest.qcow2.build.json", "guest.qcow2.build.log"]);
    // Its own image goes, with the record and the log.
    expect(cleanup(shaOf("new build")).status).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
    // Already gone: nothing to do, no error.
    expect(cleanup(shaOf("new build")).status).toBe(0);
    // The local copy: kept when another copy replaced it, removed when it is this copy's.
    put("copy");
    expect(removeCopy(shaOf("older copy")).status).toBe(0);
    expect(existsSync(image)).toBe(true);
    expect(removeCopy(shaOf("copy")).status).toBe(0);
    expect(existsSync(image)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it("uses the numbers the TypeScript side documents", () => {
    expect(lib).toContain(`-v every=${PROGRESS_EVERY_SECONDS} -v max=${PROGRESS_MAX_LINES} `);
    expect(loadScript("registry.sh")).toContain(`budget=\${REGISTRY_WAIT_SECONDS:-${REGISTRY_WAIT_SECONDS}}`);
  });

  it("says which file is missing", () => {
    expect(() => loadScript("no-such-script.sh")).toThrow(
      /pulumi-trove: cannot read its script .*no-such-script\.sh .*the package is incomplete/,
    );
  });
});

describe("lib.sh", () => {
  it("json_line writes strings escaped and numbers and booleans as they are", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary" }).filter((s) => [...s].every((c) => c >= " " || "\t\n\r".includes(c))),
        fc.nat(),
        fc.boolean(),
        (text, n, b) => {
          const r = bash('json_line "path=$T" size:="$N" ok:="$B"', { T: text, N: String(n), B: String(b) });
          expect(JSON.parse(r.stdout)).toEqual({ path: text, size: n, ok: b });
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a partial file reaches its destination only through partial_done, and is removed on a failure", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "partial-"));
    const dest = path.join(dir, "sub/image.qcow2");
    const failed = bash('partial_start "$D"; echo half > "$partial"; exit 1', { D: dest });
    expect(failed.status).toBe(1);
    expect(readdirSync(path.dirname(dest))).toEqual([]);
    const done = bash(
      'partial_start "$D"; echo whole > "$partial"; case $partial in "$(dirname "$D")"/.partial-*-image.qcow2) ;; *) exit 9;; esac; partial_done; write_file "$D.json" "{}"',
      { D: dest },
    );
    expect(done.status, done.stderr).toBe(0);
    expect(readFileSync(dest, "utf8")).toBe("whole\n");
    expect(readFileSync(`${dest}.json`, "utf8")).toBe("{}\n");
    expect(readdirSync(path.dirname(dest)).sort()).toEqual(["image.qcow2", "image.qcow2.json"]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("make_work's directory and at_exit's functions go when the script ends", () => {
    const r = bash('make_work; bye() { echo bye >&2; }; at_exit bye; at_exit bye; echo "$work"');
    expect(r.stderr).toBe("bye\n");
    expect(existsSync(r.stdout.trim())).toBe(false);
  });

  it("home_path expands only a leading $HOME/", () => {
    expect(bash('home_path "$P"', { P: "$HOME/images/x.qcow2", HOME: "/home/u" }).stdout).toBe(
      "/home/u/images/x.qcow2\n",
    );
    expect(bash('home_path "$P"', { P: "/srv/$HOME/x.qcow2", HOME: "/home/u" }).stdout).toBe("/srv/$HOME/x.qcow2\n");
  });
});

describe("readScriptResult", () => {
  it("reads the last line as JSON", () => {
    expect(readScriptResult("the step", 'progress\n{"a":1}\n')).toEqual({ a: 1 });
  });

  it.each([
    [undefined, /^the step did not report its result \(it printed nothing\); last output line: ""$/],
    [
      "building...\n",
      /^the step did not report its result \(its last output line is not JSON\); last output line: "building..."$/,
    ],
    ['{"a":1}\nnot json', /not JSON\); last output line: "not json"/],
  ])("names the step when the result is missing or malformed: %j", (stdout, message) => {
    expect(() => readScriptResult("the step", stdout)).toThrow(message);
  });

  it("checks the shape it is given", () => {
    expect(() =>
      readScriptResult("the build", '{"path":1}', (v) => typeof (v as { path: unknown }).path === "string"),
    ).toThrow(/^the build did not report its result \(its last output line is JSON of the wrong shape\)/);
  });
});
