#!/usr/bin/env python3
# Keeps a datastore version's configuration parameters in step with a rules list (DatastoreConfigurationParameters).
# It runs on the Trove controller with the Python Trove runs under, through Trove's own database models, as
# `trove-manage db_load_datastore_config_parameters` does, because Trove's REST API cannot do it: its schema accepts
# only the data types "integer" and "string" (trove/common/apischema.py, `configuration_data_types`), while Trove's
# own validation-rules.json files also hold "boolean" and "float" rules (PostgreSQL's has 55 of them).
# Unlike trove-manage (which only adds and updates) it also removes rules that are no longer wanted, so after a load
# the version has exactly the rules given; it changes only rules that differ, and prints one JSON summary line. The
# request (config file, datastore, version, rules, and Trove's id of the version when known) comes on stdin. With the
# argument `delete` it removes every rule of the version instead (the component's delete); a version Trove no longer
# has is then fine: Trove's own DELETE of a version removes its rules with it.
# It never strands what a running database needs: a rule that a configuration group of the version still sets is
# kept (editing that group would fail on it), and `delete` keeps every rule while Trove reports the version in use
# (instances, backups or configuration groups, as Trove's own version delete checks); both are reported in "kept".
# With the argument `usage` it counts, for a list of versions, what uses each (see that branch below).
# The component runs it with `python3 -c <this text>`.
import inspect, json, sys

# trove.cmd helpers still call inspect.getargspec, which Python 3.11 removed (Debian 12's trove-manage fails on it).
if not hasattr(inspect, "getargspec"):
    inspect.getargspec = inspect.getfullargspec

request = json.load(sys.stdin)
deleting = sys.argv[1:] == ["delete"]

from trove.common import cfg, exception
cfg.CONF(args=[], project="trove", default_config_files=[request["configFile"]])
from trove.configuration import models as config_models
from trove.datastore import models as datastore_models
from trove.db import get_db_api

db_api = get_db_api()
# Trove up to 2024.x takes the options (configure_db(options, *plugins)); 2025.1 and later read the global CONF.
if list(inspect.signature(db_api.configure_db).parameters)[:1] == ["options"]:
    db_api.configure_db(cfg.CONF)
else:
    db_api.configure_db()

if sys.argv[1:] == ["usage"]:
    # What uses each of a list of versions (DatastoreVersionRetirement, trove/version-retirement.ts): the rows
    # Trove's delete of a version checks (instances, backups, configuration groups with deleted=0), and apart the
    # soft-deleted instances and backups, whose foreign keys on MySQL/MariaDB still keep Trove from deleting the
    # version (it answers HTTP 500 after removing its parameters); SQLite does not enforce them. One JSON line out.
    from trove.backup.models import DBBackup
    from trove.instance.models import DBInstance

    def count(model, version_id, deleted):
        return model.find_all(datastore_version_id=version_id, deleted=deleted).count()

    def version_id(wanted):
        # Every version of the datastore, active or not, matched by name and number (names may be shared).
        try:
            datastore = datastore_models.Datastore.load(wanted["datastore"])
        except exception.TroveError:
            return None
        for v in datastore_models.DatastoreVersions.load(datastore.id, only_active=False):
            if v.name == wanted["name"] and getattr(v, "version", v.name) == wanted["version"]:
                return v.id
        return None

    usage = []
    for wanted in request["versions"]:
        found = version_id(wanted)
        entry = dict(wanted, found=found is not None)
        if found is not None:
            entry.update(versionId=found, instances=count(DBInstance, found, False), backups=count(DBBackup, found, False),
                         configurations=count(config_models.DBConfiguration, found, False),
                         deletedInstances=count(DBInstance, found, True), deletedBackups=count(DBBackup, found, True))
        usage.append(entry)
    references_enforced = not str(cfg.CONF.database.connection).startswith("sqlite")
    print(json.dumps({"referencesEnforced": references_enforced, "usage": usage}))
    sys.exit(0)

summary = {"versionId": request.get("versionId"), "added": [], "changed": [], "removed": [], "kept": [], "unchanged": 0}
try:
    # By id when known: after a replacement the old version's rules must not be confused with the new one's.
    if request.get("versionId"):
        version = datastore_models.DatastoreVersion.load_by_uuid(request["versionId"])
    else:
        _, version = datastore_models.get_datastore_version(
            type=request["datastore"], version=request["versionName"], return_inactive=True,
            version_number=request.get("versionNumber"))
except exception.TroveError as error:
    if deleting:
        print(json.dumps(summary))
        sys.exit(0)
    sys.exit("datastore version %s %s not found in Trove: %s" % (request["datastore"], request["versionName"], error))
summary["versionId"] = version.id

SQLITE = str(cfg.CONF.database.connection).startswith("sqlite")

def size(value):
    # Stored as trove-manage stores them (MySQL and MariaDB keep 2^64-1 in the VARCHAR(40) column as digits), except
    # on SQLite, which cannot take an integer beyond 64 bits: there the value is given as text; Trove reads it back
    # with int() either way.
    if value is None:
        return None
    value = int(value)
    return str(value) if SQLITE and not -2**63 <= value < 2**63 else value

def number(value):
    # Trove's API reads an empty or zero size back as absent, so they compare equal here too.
    return None if value in (None, "") else (int(value) or None)

def normalized(name, restart_required, data_type, max_size, min_size):
    return (name, bool(restart_required), data_type, number(max_size), number(min_size))

current = {}
for row in config_models.DatastoreConfigurationParameters.load_parameters(version.id):
    if not getattr(row, "deleted", False):
        current[row.name] = normalized(row.name, row.restart_required, row.data_type, row.max_size, row.min_size)

def in_use(version_id):
    # What Trove's own delete of a version checks (trove/extensions/mgmt/datastores/service.py), rows not deleted.
    from trove.backup import models as backup_models
    from trove.instance import models as instance_models
    return {
        "instances": len(instance_models.DBInstance.find_all(datastore_version_id=version_id, deleted=0).all()),
        "backups": len(backup_models.DBBackup.find_all(datastore_version_id=version_id, deleted=0).all()),
        "configurations": len(config_models.DBConfiguration.find_all(datastore_version_id=version_id, deleted=0).all()),
    }

def set_by_groups(version_id):
    # Option names the version's configuration groups set a value for.
    names = set()
    for group in config_models.DBConfiguration.find_all(datastore_version_id=version_id, deleted=0).all():
        for item in config_models.DBConfigurationParameter.find_all(configuration_id=group.id, deleted=0).all():
            names.add(item.configuration_key)
    return names

usage = in_use(version.id)
if deleting and any(usage.values()):
    summary["kept"] = sorted(current)
    summary["inUse"] = usage
    print("pulumi-trove: datastore version %s %s is in use by %d instances, %d backups, %d configuration groups: its %d "
          "configuration parameters are kept (Trove refuses to delete the version too); they are removed once nothing "
          "uses it" % (request["datastore"], version.name, usage["instances"], usage["backups"], usage["configurations"],
                       len(current)), file=sys.stderr)
    print(json.dumps(summary))
    sys.exit(0)

wanted = set()
for rule in ([] if deleting else request["rules"]):
    name = rule["name"]
    wanted.add(name)
    target = normalized(name, rule["restart_required"], rule["type"], rule.get("max"), rule.get("min"))
    if current.get(name) == target:
        summary["unchanged"] += 1
        continue
    config_models.create_or_update_datastore_configuration_parameter(
        name, version.id, bool(rule["restart_required"]), rule["type"], size(rule.get("max")), size(rule.get("min")))
    summary["added" if name not in current else "changed"].append(name)

unwanted = sorted(set(current) - wanted)
needed = set_by_groups(version.id) if unwanted and usage["configurations"] else set()
for name in unwanted:
    if name in needed:
        summary["kept"].append(name)
        continue
    config_models.DatastoreConfigurationParameters.delete(version.id, name)
    summary["removed"].append(name)
if summary["kept"]:
    print("pulumi-trove: datastore version %s %s: kept %s, no longer in the rules, because a configuration group of the "
          "version sets it; it is removed by the first load after no group sets it" % (request["datastore"], version.name,
                                                                                       ", ".join(summary["kept"])), file=sys.stderr)

print(json.dumps(summary))
