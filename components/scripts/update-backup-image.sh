#!/usr/bin/env bash
# The backup build's `update` (DatastoreImages), run when an input that does not name the image changes (credentials,
# CA, this library's script text): reports the pushed image without building when the registry still holds it, and
# builds and pushes it again (build-backup-image.sh) only when the registry lost it. Reads what
# build-backup-image.sh reads.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=registry.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/registry.sh"
make_work
registry_options
if first_contact "$work/present.err" skopeo inspect --raw "${reg_opts[@]}" "docker://$BACKUP_REFERENCE" > "$work/present.json"; then
  json_line reference="$BACKUP_REFERENCE" digest="$(skopeo manifest-digest "$work/present.json")" logPath="$BACKUP_LOG" built:=false
  exit 0
fi
if ! grep -qiE 'manifest unknown|not found|name unknown' "$work/present.err"; then
  echo "pulumi-trove: cannot check $BACKUP_REFERENCE in registry ${REGISTRY_ADDRESS}: $(tail -n 1 "$work/present.err")" >&2; exit 1
fi
echo "pulumi-trove: $BACKUP_REFERENCE is not in the registry any more; building and pushing it again" >&2
# shellcheck source=build-backup-image.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/build-backup-image.sh"
