#!/usr/bin/env bash
# One datastore version's images (DatastoreImages runs this as both `create` and `update` of its one command per
# version): mirrors the database image (mirror_image, which copies only when the target's digest differs), then, when
# BACKUP_REFERENCE is set, builds and pushes the backup image only when the registry's is missing or was built from
# another source (publish_backup_image). So a change of the upstream or of the credentials never rebuilds a current
# backup image, and a new Trove ref does. Prints {"database":{"reference","digest","copied"}} with
# "backup":{"reference","digest","logPath","built"} when there is one. Reads what mirror_image and
# build_backup_image read (images.sh).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=registry.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/registry.sh"
# shellcheck source=images.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/images.sh"
make_work
registry_options
# A step that stops the script is named last on stderr, after its own error, with what was not tried.
step=""; skipped=""
_name_failed_step() { if [ -n "$step" ]; then echo "pulumi-trove: the $step failed${skipped:+; $skipped}" >&2; fi; }
at_exit _name_failed_step
backup=""
if [ -n "${BACKUP_REFERENCE:-}" ]; then skipped="the backup image of $BACKUP_DATASTORE $BACKUP_VERSION was not checked"; fi
step="mirror of $MIRROR_SOURCE"
mirror_image > "$work/database.json"
if [ -n "${BACKUP_REFERENCE:-}" ]; then
  step="backup image build of $BACKUP_DATASTORE $BACKUP_VERSION ($BACKUP_REFERENCE)"; skipped=""
  publish_backup_image > "$work/backup.json"
  backup=$(cat "$work/backup.json")
fi
step=""
if [ -n "$backup" ]; then
  json_line database:="$(cat "$work/database.json")" backup:="$backup"
else
  json_line database:="$(cat "$work/database.json")"
fi
