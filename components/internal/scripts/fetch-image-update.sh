#!/usr/bin/env bash
# The fetch's `update` (GuestImageBuild), run when an input other than the build's sha256 or the destination changes
# (the build host's key, address or user, the private key, this library's script text): a local copy that still has
# the build's sha256 is reported as it is, without touching the build host; a missing or changed copy is copied
# again by fetch-image.sh, as on create. Reads what fetch-image.sh reads.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
if [ -f "$FETCH_LOCAL_PATH" ] && [ "$(sha256sum -- "$FETCH_LOCAL_PATH" | cut -d" " -f1)" = "$FETCH_SHA256" ]; then
  json_line path="$FETCH_LOCAL_PATH" sha256="$FETCH_SHA256" sizeBytes:="$(stat -c %s -- "$FETCH_LOCAL_PATH")"
  exit 0
fi
echo "fetch: the local copy $FETCH_LOCAL_PATH is missing or is not the build's image (sha256 $FETCH_SHA256); copying it again" >&2
# shellcheck source=fetch-image.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/fetch-image.sh"
