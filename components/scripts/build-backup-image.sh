#!/usr/bin/env bash
# Builds and pushes one datastore's backup image, whatever the registry holds: build_backup_image (images.sh) on its
# own, after waiting for the registry to answer. publish-images.sh builds only when the registry's image is missing
# or outdated. Prints {"reference","digest","logPath","built"}; reads what build_backup_image reads.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=registry.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/registry.sh"
# shellcheck source=images.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/images.sh"
make_work
registry_options
# The first contact: waits for the registry to answer (one created in the same `pulumi up` may still be starting).
first_contact "$work/check.err" skopeo inspect --raw "${reg_opts[@]}" "docker://$BACKUP_REFERENCE" > "$work/manifest.json" || true
build_backup_image
