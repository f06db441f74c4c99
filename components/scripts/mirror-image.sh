#!/usr/bin/env bash
# Mirrors one upstream image into the private registry: mirror_image (images.sh) on its own, as publish-images.sh
# runs it first. Prints {"reference","digest","copied"}; reads what mirror_image reads.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=registry.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/registry.sh"
# shellcheck source=images.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/images.sh"
make_work
registry_options
mirror_image
