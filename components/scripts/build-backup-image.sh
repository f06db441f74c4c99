#!/usr/bin/env bash
# Builds a datastore's backup image from Trove's backup/ with Trove's build args, pushes it to the private registry,
# and prints {"reference","digest","logPath","built"} with the pushed digest (DatastoreImages). The full `docker
# build` output goes to BACKUP_LOG; stderr gets a bounded progress tail, and the log's last lines on a failure.
# Reads BACKUP_CONTEXT (the checkout's backup/ directory), BACKUP_DATASTORE and BACKUP_VERSION (the build args
# DATASTORE and DATASTORE_VERSION), BACKUP_REFERENCE (the image to push), BACKUP_LOG, DOCKER_HOST (optional) and the
# registry's REGISTRY_* (registry.sh).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=registry.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/registry.sh"
make_work
# A private DOCKER_CONFIG keeps the login out of the user's ~/.docker and is removed with $work.
export DOCKER_CONFIG="$work/docker"; mkdir -p "$DOCKER_CONFIG"
registry_options
ref=$BACKUP_REFERENCE
log=$BACKUP_LOG; built=false
# The first contact: waits for the registry to answer (one created in the same `pulumi up` may still be starting).
first_contact "$work/check.err" skopeo inspect --raw "${reg_opts[@]}" "docker://$ref" > "$work/manifest.json" || true
if [ -n "${REGISTRY_PASSWORD:-}" ]; then
  docker_login() { printf '%s' "$REGISTRY_PASSWORD" | docker login --username "${REGISTRY_USERNAME:-}" --password-stdin "$REGISTRY_ADDRESS" > /dev/null; }
  if ! first_contact "$work/login.log" docker_login; then
    echo "pulumi-trove: registry ${REGISTRY_ADDRESS} refused the credentials: $(tail -n 1 "$work/login.log")" >&2; exit 1
  fi
fi
require_path -d "$BACKUP_CONTEXT" "datastoreImages troveSourceDir (its backup/ directory)"
cd -- "$BACKUP_CONTEXT"
mkdir -p -- "$(dirname -- "$log")"
echo "pulumi-trove: building $ref; full log: $log" >&2
if ! docker build --network host --build-arg "DATASTORE=$BACKUP_DATASTORE" --build-arg "DATASTORE_VERSION=$BACKUP_VERSION" -t "$ref" . < /dev/null 2>&1 | progress_filter "$log" "docker build"; then
  echo "pulumi-trove: docker build of $ref failed; its last lines (full log: $log):" >&2
  tail -n 40 -- "$log" | cut -c 1-300 >&2
  exit 1
fi
if ! docker push "$ref" > "$work/push.log" 2>&1; then
  echo "pulumi-trove: pushing $ref failed: $(tail -n 1 "$work/push.log")" >&2; exit 1
fi
digest=$(sed -n 's/.*digest: \(sha256:[0-9a-f]*\).*/\1/p' "$work/push.log" | tail -n 1); built=true
json_line reference="$ref" digest="$digest" logPath="$log" built:="$built"
