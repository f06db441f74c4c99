#!/usr/bin/env python3
# Counts what uses each of a list of datastore versions (DatastoreVersionRetirement), on the Trove controller, with the
# Python Trove runs under, through Trove's own database models: the same rows Trove's DELETE of a version checks
# (trove/datastore/models.py: instances, then backups, then configuration groups, each with deleted=0), because
# Trove's REST API cannot count them without Nova. It also counts soft-deleted instances and backups: on MySQL or
# MariaDB their foreign keys still point at the version, so Trove cannot delete it (it answers HTTP 500, after it has
# already removed the version's configuration parameters); SQLite does not enforce them.
# The request (config file, versions by datastore, name and number) comes on stdin; one JSON line comes out, with a
# `usage` entry per version (`found: false` when Trove has no such version).
import inspect, json, sys

# trove.cmd helpers still call inspect.getargspec, which Python 3.11 removed.
if not hasattr(inspect, "getargspec"):
    inspect.getargspec = inspect.getfullargspec

request = json.load(sys.stdin)

from trove.common import cfg
cfg.CONF(args=[], project="trove", default_config_files=[request["configFile"]])
from trove.backup.models import DBBackup
from trove.configuration.models import DBConfiguration
from trove.datastore import models as datastore_models
from trove.db import get_db_api
from trove.instance.models import DBInstance

db_api = get_db_api()
# Trove up to 2024.x takes the options (configure_db(options, *plugins)); 2025.1 and later read the global CONF.
if list(inspect.signature(db_api.configure_db).parameters)[:1] == ["options"]:
    db_api.configure_db(cfg.CONF)
else:
    db_api.configure_db()

references_enforced = not str(cfg.CONF.database.connection).startswith("sqlite")


def count(model, version_id, deleted):
    return model.find_all(datastore_version_id=version_id, deleted=deleted).count()


def version_id(wanted):
    # Every version of the datastore, active or not, matched by name and number (names may be shared).
    try:
        datastore = datastore_models.Datastore.load(wanted["datastore"])
    except Exception:
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
        entry.update(
            versionId=found,
            instances=count(DBInstance, found, False),
            backups=count(DBBackup, found, False),
            configurations=count(DBConfiguration, found, False),
            deletedInstances=count(DBInstance, found, True),
            deletedBackups=count(DBBackup, found, True),
        )
    usage.append(entry)

print(json.dumps({"referencesEnforced": references_enforced, "usage": usage}))
