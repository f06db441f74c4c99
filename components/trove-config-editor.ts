// The program that edits Trove's config files in place on the controller: only the given options, atomically, each
// file's restart commands only when it changed, one JSON summary line. Its source is
// components/scripts/edit-trove-config.py, which says what it does; what to set (the registry password among it)
// comes on stdin, so nothing secret is in argv.

import { loadScript } from "./scripts/index";

/** Python source of the editor (components/scripts/edit-trove-config.py), run with `python3 -c`. */
export const TROVE_CONFIG_EDITOR_PY = loadScript("edit-trove-config.py");
