"""Asks Debian 12's installed Trove (python3-trove) which images its guest agent would pull.

Usage: /usr/bin/python3 trove_images.py <guest-agent.conf> <datastore-manager> <version-number>
Prints JSON {"database": ..., "backup": ...}.

Trove's own code computes both names from the config file, loaded with Trove's own option definitions:
- backup: the datastore app class's get_backup_image() (mysql inserts major.minor; others use the option as is);
- database: the app class's start_db(ds_version=...), up to the point where it starts the container. Stubbed, because
  they need a guest: the root-password lookup, directory creation on the guest, and docker_util.start_container,
  which is replaced by a function that records the image it was given and stops there.
"""
import json
import logging
import sys

from trove.common import cfg

conf_file, manager, version = sys.argv[1:4]
CONF = cfg.CONF
CONF(args=[], project="trove", default_config_files=[conf_file])
CONF.set_override("datastore_manager", manager)
CONF.set_override("datastore_version", version)

from trove.guestagent.common import operating_system  # noqa: E402
from trove.guestagent.utils import docker as docker_util  # noqa: E402

if manager == "mysql":
    from trove.guestagent.datastore.mysql.service import MySqlApp as App
elif manager == "mariadb":
    from trove.guestagent.datastore.mariadb.service import MariaDBApp as App
elif manager == "postgresql":
    from trove.guestagent.datastore.postgres.service import PgSqlApp as App
else:
    raise SystemExit("unknown manager %s" % manager)


pulled = []


def record_image(client, image, **kwargs):
    pulled.append(image)
    raise RuntimeError("stop here: no container is started outside a guest")


docker_util.start_container = record_image
operating_system.ensure_directory = lambda *a, **k: None


class Guest:
    docker_client = None
    datadir = "/var/lib/postgresql/data/pgdata"

    def get_auth_password(self, file=None):
        return "unused"


logging.disable(logging.CRITICAL)
try:
    App.start_db(Guest(), ds_version=version)
except Exception:
    pass  # Trove wraps our stop in its own error; the image was recorded before it.
if len(pulled) != 1:
    raise SystemExit("start_db did not try to start exactly one container")

print(json.dumps({"database": pulled[0], "backup": App.get_backup_image(Guest())}))
