// The program that keeps a datastore version's configuration parameters in step with a rules list, on the Trove
// controller, through Trove's own database models (Trove's REST API accepts only integer and string rules). Its source
// is components/scripts/sync-parameters.py, which says what it does; the request comes on stdin, and the argument
// `delete` removes every rule of the version instead.

import { loadScript } from "./scripts/index";

/** Python source of the sync program (components/scripts/sync-parameters.py), run with `python3 -c`. */
export const PARAMETERS_SYNC_PY = loadScript("sync-parameters.py");
