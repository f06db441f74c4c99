"""Asks an installed Trove (a lab's python3-trove: 18, 23 or 26) which images its guest agent would pull.

Usage: <lab>/bin/python3 trove_images.py <guest-agent.conf> <datastore-manager> <version-number>
Prints JSON {"database": ..., "backup": ...}.

Trove's own code computes both names from the config file, loaded with Trove's own option definitions:
- backup: the datastore app class's get_backup_image() (mysql inserts major.minor; others use the option as is);
- database: the app class's start_db(ds_version=...), up to the point where it starts the container. Stubbed, because
  they need a guest: the root-password lookup, directory creation on the guest, and docker_util.start_container,
  which is replaced by a function that records the image it was given and stops there.
- Trove 26 asks the registry whether the backup image exists before falling back to shorter tags; its Docker client is
  replaced by one that asks the (plain-HTTP, 127.0.0.1) registry named in the image itself, so the fallback runs
  against a real registry.
"""
import json
import logging
import sys
import urllib.error
import urllib.request

from trove.common import cfg

# The guest agent's own options (network_isolation, read by Trove 26's start_db), registered as its entry point does.
import trove.cmd.guest  # noqa: E402,F401

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


class RegistryData:
    def __init__(self, image):
        self.image_name = image


class RegistryImages:
    """The one call Trove 26's docker_util.get_image_registry makes, answered by the registry's manifest endpoint."""

    def get_registry_data(self, image):
        import docker.errors

        repository, tag = image.rsplit(":", 1)
        host, path = repository.split("/", 1)
        request = urllib.request.Request(
            "http://%s/v2/%s/manifests/%s" % (host, path, tag),
            method="HEAD",
            headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json"},
        )
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except urllib.error.HTTPError as e:
            if e.code == 404:
                raise docker.errors.NotFound("%s not in the registry" % image)
            raise
        return RegistryData(image)


class RegistryClient:
    images = RegistryImages()


class Guest(App):
    # An App without its constructor (which needs a running guest); Trove's methods run on it as they are.
    def __init__(self):
        pass

    docker_client = RegistryClient()
    datadir = "/var/lib/postgresql/data/pgdata"

    def get_auth_password(self, file=None):
        return "unused"


logging.disable(logging.CRITICAL)
try:
    Guest().start_db(ds_version=version)
except Exception:
    pass  # Trove wraps our stop in its own error; the image was recorded before it.
if len(pulled) != 1:
    raise SystemExit("start_db did not try to start exactly one container")

try:
    backup = Guest().get_backup_image()
except Exception:
    backup = None  # Trove 26 found no tag of the backup image in the registry
print(json.dumps({"database": pulled[0], "backup": backup}))
