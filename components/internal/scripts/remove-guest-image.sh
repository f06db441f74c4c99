#!/usr/bin/env bash
# The remote build's cleanup (GuestImageBuild), run when the stack is destroyed: removes the guest image, its build
# record and its build log from the build host, when the image is still the one the build made (its sha256 is
# PULUMI_TROVE_BUILD_SHA256). An image that another build has written since (a replacement, which builds to the same
# path before the old build is deleted; another stack) is kept, with a note. An image already gone takes its record
# and log with it when the record is this build's.
# Reads PULUMI_TROVE_BUILD_OUTPUT (the image's path; may start with a literal `$HOME/`) and PULUMI_TROVE_BUILD_SHA256.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
out=$(home_path "$PULUMI_TROVE_BUILD_OUTPUT")
want=$PULUMI_TROVE_BUILD_SHA256
if [ -f "$out" ]; then
  sha=$(sha256sum -- "$out" | cut -d" " -f1)
else
  sha=$(sed -n 's/.*"sha256":"\([0-9a-f]\{64\}\)".*/\1/p' "$out.build.json" 2> /dev/null | tail -n 1 || true)
fi
if [ -n "$sha" ] && [ "$sha" != "$want" ]; then
  echo "pulumi-trove: keeping $out on the build host: it is not the image this build made (sha256 $sha, not $want); another build wrote it since" >&2
  exit 0
fi
rm -f -- "$out" "$out.build.json" "$out.build.log"
echo "pulumi-trove: removed $out and its build record and log from the build host" >&2
