#!/usr/bin/env python3
# Edits Trove's config files in place on the controller (TroveConfig). It runs there with the controller's own
# Python (Trove is a Python service, so every controller has one), reads what to set from stdin (the registry
# password among it, so nothing secret is in argv), and:
#  - checks every file exists before writing any, so a missing file changes nothing;
#  - sets only the given options: other sections, options and comments survive, and a value already equal is left alone;
#  - writes through a temp file in the same directory and renames it over the original (mode and owner kept), so a
#    failed run never leaves a half-written file;
#  - runs each file's restart commands only when that file changed, and prints one JSON summary line;
#  - reports (in "present") the sections a file's "report" names that the file still has, without touching them
#    (e.g. the guest config's [service_credentials], which Trove 2026.2 no longer reads).
# With the argument `remove` (what `pulumi destroy` runs), it takes the same request and removes those options
# instead: a section left without options goes too, and the cloud-init files it wrote (if still as written); an
# option that had another value before the first apply is removed, not restored. Missing files are skipped.
# The component runs it with `python3 -c <this text> [remove]`.
import json, os, re, shlex, subprocess, sys, tempfile

def set_options(text, sections):
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    header = re.compile(r"^\s*\[([^\]]+)\]\s*$")
    for section, options in sections.items():
        start = None
        for i, line in enumerate(lines):
            m = header.match(line)
            if m and m.group(1).strip() == section:
                start = i
                break
        if start is None:
            if lines and lines[-1].strip():
                lines.append("\n")
            lines.append("[%s]\n" % section)
            start = len(lines) - 1
        end = len(lines)
        for j in range(start + 1, len(lines)):
            if header.match(lines[j]):
                end = j
                break
        for key, value in options.items():
            wanted = "%s = %s\n" % (key, value)
            found = [j for j in range(start + 1, end) if re.match(r"^\s*%s\s*[=:]" % re.escape(key), lines[j])]
            if found:
                first = found[0]
                current = re.split(r"[=:]", lines[first], 1)[1].strip()
                if current != value:
                    lines[first] = wanted
                for j in reversed(found[1:]):
                    del lines[j]
                    end -= 1
            else:
                insert = end
                while insert > start + 1 and not lines[insert - 1].strip():
                    insert -= 1
                lines.insert(insert, wanted)
                end += 1
    return "".join(lines)

def remove_options(text, sections):
    lines = text.splitlines(keepends=True)
    header = re.compile(r"^\s*\[([^\]]+)\]\s*$")
    for section, options in sections.items():
        start = next((i for i, line in enumerate(lines) if header.match(line) and header.match(line).group(1).strip() == section), None)
        if start is None:
            continue
        end = next((j for j in range(start + 1, len(lines)) if header.match(lines[j])), len(lines))
        keys = [re.compile(r"^\s*%s\s*[=:]" % re.escape(k)) for k in options]
        kept = [line for line in lines[start + 1:end] if not any(k.match(line) for k in keys)]
        if any(line.strip() and not line.lstrip().startswith(("#", ";")) for line in kept):
            lines[start + 1:end] = kept
            continue
        # The section holds nothing else: it goes, with the blank line an apply puts before a section it appends.
        last = end == len(lines)
        del lines[start:end]
        if last and start > 0 and not lines[start - 1].strip():
            del lines[start - 1]
    return "".join(lines)

def write_atomically(path, text):
    st = os.stat(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix="." + os.path.basename(path) + ".")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, st.st_mode & 0o7777)
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except PermissionError:
            pass
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise

def remove(request):
    changed, restarted = [], []
    for f in request["files"]:
        if not os.path.isfile(f["path"]):
            continue
        with open(f["path"]) as fh:
            before = fh.read()
        after = remove_options(before, f["sections"])
        if after != before:
            write_atomically(f["path"], after)
            changed.append(f["path"])
            for command in f.get("restart", []):
                subprocess.run(shlex.split(command), check=True)
                restarted.append(command)
    for d, files in request.get("directories", {}).items():
        for name, content in files.items():
            path = os.path.join(d, name)
            if os.path.isfile(path) and open(path).read() == content:
                os.unlink(path)
                changed.append(path)
    print(json.dumps({"changed": changed, "restarted": restarted}))

def main():
    request = json.load(sys.stdin)
    if sys.argv[1:] == ["remove"]:
        remove(request)
        return
    missing = [f["path"] for f in request["files"] if not os.path.isfile(f["path"])]
    if missing:
        print("pulumi-trove: missing config file(s) on the controller: %s; nothing was changed" % ", ".join(missing), file=sys.stderr)
        sys.exit(3)
    plans = []
    for f in request["files"]:
        with open(f["path"]) as fh:
            before = fh.read()
        after = set_options(before, f["sections"])
        plans.append((f, before, after))
    for d, files in request.get("directories", {}).items():
        if not os.path.isdir(d):
            os.makedirs(d, mode=0o755, exist_ok=True)
    changed = []
    for f, before, after in plans:
        if after != before:
            write_atomically(f["path"], after)
            changed.append(f["path"])
    for d, files in request.get("directories", {}).items():
        for name, content in files.items():
            path = os.path.join(d, name)
            old = open(path).read() if os.path.isfile(path) else None
            if old != content:
                if old is None:
                    with open(path, "w") as fh:
                        fh.write(content)
                else:
                    write_atomically(path, content)
                changed.append(path)
    restarted = []
    for f, before, after in plans:
        if after != before:
            for command in f.get("restart", []):
                subprocess.run(shlex.split(command), check=True)
                restarted.append(command)
    summary = {"changed": changed, "restarted": restarted}
    header = re.compile(r"^\s*\[([^\]]+)\]\s*$")
    present = {}
    for f, before, after in plans:
        have = {m.group(1).strip() for m in map(header.match, after.splitlines()) if m}
        found = [section for section in f.get("report", []) if section in have]
        if found:
            present[f["path"]] = found
    if any(f.get("report") for f in request["files"]):
        summary["present"] = present
    print(json.dumps(summary))

main()
