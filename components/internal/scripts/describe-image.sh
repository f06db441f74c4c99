#!/usr/bin/env bash
# Reports an existing image file (GuestImageBuild's existingImagePath) in the build's result shape:
# {"path","sha256","sizeBytes"}. Reads PULUMI_TROVE_IMAGE.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
out=$PULUMI_TROVE_IMAGE
require_path -f "$out" existingImagePath
json_line path="$out" sha256="$(sha256sum -- "$out" | cut -d" " -f1)" sizeBytes:="$(stat -c %s -- "$out")"
