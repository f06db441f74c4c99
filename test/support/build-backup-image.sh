#!/usr/bin/env bash
# Test support, not shipped: build_backup_image (components/internal/scripts/images.sh) on its own, whatever the
# registry holds, after waiting for the registry to answer; the integration tests use it to check the build's own registry
# login and first contact, and to push images as releases before the source label did. The library runs
# publish-images.sh, which builds only when the registry's image is missing or outdated. Prints
# {"reference","digest","logPath","built"}; reads what build_backup_image reads. Run it as a file (bash <this file>).
set -euo pipefail
scripts="$(dirname -- "${BASH_SOURCE[0]}")/../../components/internal/scripts"
# shellcheck source=../../components/internal/scripts/lib.sh
. "$scripts/lib.sh"
# shellcheck source=../../components/internal/scripts/registry.sh
. "$scripts/registry.sh"
# shellcheck source=../../components/internal/scripts/images.sh
. "$scripts/images.sh"
make_work
registry_options
# The first contact: waits for the registry to answer (one created in the same `pulumi up` may still be starting).
# shellcheck disable=SC2154 # $work and $reg_opts are lib.sh's and registry.sh's
first_contact "$work/check.err" skopeo inspect --raw "${reg_opts[@]}" "docker://$BACKUP_REFERENCE" > "$work/manifest.json" || true
build_backup_image
