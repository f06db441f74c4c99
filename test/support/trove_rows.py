#!/usr/bin/env python3
# Writes what uses a datastore version into Trove's database as Trove itself writes it, through Trove's own models
# (the lab has no Nova, so Trove's API cannot create instances): test support for the day-two tests.
#   trove_rows.py <trove.conf> add <instance|backup|configuration> <version-id> <tenant> [add ...]   prints the ids
#   trove_rows.py <trove.conf> delete <instance|backup|configuration> <row-id> [<kind> <row-id> ...]   soft-deletes, as Trove does
#   trove_rows.py <trove.conf> purge <tenant>   removes every row of the tenant (deleted or not) for good
#   trove_rows.py <trove.conf> parameters <version-id>   prints how many configuration parameters the version has
import inspect, json, sys, uuid

if not hasattr(inspect, "getargspec"):
    inspect.getargspec = inspect.getfullargspec

conf, action = sys.argv[1], sys.argv[2]
from trove.common import cfg
cfg.CONF(args=[], project="trove", default_config_files=[conf])
from trove.backup.models import BackupState, DBBackup
from trove.configuration.models import DBConfiguration
from trove.db import get_db_api
from trove.instance.models import DBInstance
from trove.instance.tasks import InstanceTasks

db_api = get_db_api()
if list(inspect.signature(db_api.configure_db).parameters)[:1] == ["options"]:
    db_api.configure_db(cfg.CONF)
else:
    db_api.configure_db()

MODELS = {"instance": DBInstance, "backup": DBBackup, "configuration": DBConfiguration}

def add(kind, version_id, tenant):
    if kind == "instance":
        row = DBInstance.create(name="day-two-db", flavor_id="1", tenant_id=tenant, volume_size=1,
                                datastore_version_id=version_id, task_status=InstanceTasks.NONE,
                                compute_instance_id=str(uuid.uuid4()))
    elif kind == "backup":
        row = DBBackup.create(name="day-two-backup", description="", tenant_id=tenant, state=BackupState.COMPLETED,
                              instance_id=str(uuid.uuid4()), datastore_version_id=version_id, deleted=False,
                              location="", backup_type="", checksum="", size=0.1)
    else:
        row = DBConfiguration.create(name="day-two-config", description="", tenant_id=tenant,
                                     datastore_version_id=version_id, deleted=False)
    return row.id

if action == "add":
    # Several rows in one run (each `add` costs a Python start and Trove's import): add K V T [add K V T ...]
    args = sys.argv[2:]
    ids = [add(*args[i + 1:i + 4]) for i in range(0, len(args), 4)]
    print(json.dumps({"ids": ids}))
elif action == "delete":
    import datetime
    pairs = sys.argv[3:]
    for kind, row_id in zip(pairs[0::2], pairs[1::2]):
        row = MODELS[kind].find_by(id=row_id)
        # Trove soft-deletes: the row stays, marked deleted (instance and backup deletes, configuration deletes alike).
        row.deleted = True
        if hasattr(row, "deleted_at"):
            row.deleted_at = datetime.datetime.utcnow()
        row.save()
    print(json.dumps({"deleted": pairs[1::2]}))
elif action == "purge":
    tenant = sys.argv[3]
    removed = 0
    for model in (DBBackup, DBConfiguration, DBInstance):
        for row in model.find_all(tenant_id=tenant).all():
            db_api.delete(row)
            removed += 1
    print(json.dumps({"purged": removed}))
elif action == "parameters":
    from trove.configuration.models import DatastoreConfigurationParameters
    rows = [r for r in DatastoreConfigurationParameters.load_parameters(sys.argv[3]) if not getattr(r, "deleted", False)]
    print(json.dumps({"parameters": len(rows)}))
else:
    sys.exit("usage: trove_rows.py <trove.conf> add|delete|purge ...")
