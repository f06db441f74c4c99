// The program that keeps a datastore version's configuration parameters in step with a rules list. It runs on the
// Trove controller with the Python Trove runs under, through Trove's own database models, as `trove-manage
// db_load_datastore_config_parameters` does, because Trove's REST API cannot do it: its schema accepts only the data
// types "integer" and "string" (trove/common/apischema.py, `configuration_data_types`), while Trove's own
// validation-rules.json files also hold "boolean" and "float" rules (PostgreSQL's has 55 of them).
// Unlike trove-manage it also removes rules that are no longer wanted, changes only rules that differ, and prints one
// JSON summary line. The request (config file, datastore, version, rules) comes on stdin.

/** Python source of the sync program; kept as data, run with `python3 -c`. */
export const PARAMETERS_SYNC_PY = String.raw`
import inspect, json, sys

# trove.cmd helpers still call inspect.getargspec, which Python 3.11 removed (Debian 12's trove-manage fails on it).
if not hasattr(inspect, "getargspec"):
    inspect.getargspec = inspect.getfullargspec

request = json.load(sys.stdin)

from trove.common import cfg, exception
cfg.CONF(args=[], project="trove", default_config_files=[request["configFile"]])
from trove.configuration import models as config_models
from trove.datastore import models as datastore_models
from trove.db import get_db_api

get_db_api().configure_db(cfg.CONF)
try:
    _, version = datastore_models.get_datastore_version(
        type=request["datastore"], version=request["versionName"], return_inactive=True,
        version_number=request.get("versionNumber"))
except exception.TroveError as error:
    sys.exit("datastore version %s %s not found in Trove: %s" % (request["datastore"], request["versionName"], error))

def size(value):
    # Stored as trove-manage stores them, except that a value beyond SQLite's 64-bit integers (MySQL's 2^64-1 limits)
    # is given as text: the column is VARCHAR(40), and Trove reads it back with int().
    if value is None:
        return None
    value = int(value)
    return value if -2**63 <= value < 2**63 else str(value)

def number(value):
    # Trove's API reads an empty or zero size back as absent, so they compare equal here too.
    return None if value in (None, "") else (int(value) or None)

def normalized(name, restart_required, data_type, max_size, min_size):
    return (name, bool(restart_required), data_type, number(max_size), number(min_size))

current = {}
for row in config_models.DatastoreConfigurationParameters.load_parameters(version.id):
    if not getattr(row, "deleted", False):
        current[row.name] = normalized(row.name, row.restart_required, row.data_type, row.max_size, row.min_size)

summary = {"versionId": version.id, "added": [], "changed": [], "removed": [], "unchanged": 0}
wanted = set()
for rule in request["rules"]:
    name = rule["name"]
    wanted.add(name)
    target = normalized(name, rule["restart_required"], rule["type"], rule.get("max"), rule.get("min"))
    if current.get(name) == target:
        summary["unchanged"] += 1
        continue
    config_models.create_or_update_datastore_configuration_parameter(
        name, version.id, bool(rule["restart_required"]), rule["type"], size(rule.get("max")), size(rule.get("min")))
    summary["added" if name not in current else "changed"].append(name)

for name in sorted(set(current) - wanted):
    config_models.DatastoreConfigurationParameters.delete(version.id, name)
    summary["removed"].append(name)

print(json.dumps(summary))
`;
