#!/usr/bin/env bash
# The guest build's `update` (GuestImageBuild), run when an input that does not shape the image changes (the build
# host's key, address or user, the private key, this library's script text). It builds nothing: it reports the image
# the last build made if it is still there with the sha256 that build recorded beside it, and otherwise fails with
# what to run to build again. An image without a record (built by an older pulumi-trove) is taken as built, and
# recorded.
# Reads PULUMI_TROVE_BUILD_OUTPUT (may start with a literal `$HOME/`) and PULUMI_TROVE_BUILD_REBUILD_HINT.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
out=$(home_path "$PULUMI_TROVE_BUILD_OUTPUT")
log="$out.build.log"; record="$out.build.json"
rebuild=$PULUMI_TROVE_BUILD_REBUILD_HINT
if [ ! -f "$out" ]; then
  echo "pulumi-trove: the guest image $out that the last build made is not on the build host ($(hostname)); an update does not rebuild it. To build it again: $rebuild" >&2
  exit 1
fi
sha=$(sha256sum -- "$out" | cut -d" " -f1)
if [ -f "$record" ]; then
  recorded=$(sed -n 's/.*"sha256":"\([0-9a-f]\{64\}\)".*/\1/p' "$record" | tail -n 1)
  if [ "$sha" != "$recorded" ]; then
    echo "pulumi-trove: the guest image $out has sha256 $sha, but the last build recorded ${recorded:-nothing readable} in $record: it changed since that build; an update does not rebuild it. To build it again: $rebuild" >&2
    exit 1
  fi
else
  echo "pulumi-trove: no build record beside $out (built by an older pulumi-trove); taking the image as built: sha256 $sha" >&2
fi
line=$(json_line path="$out" sha256="$sha" sizeBytes:="$(stat -c %s -- "$out")" logPath="$log")
write_file "$record" "$line"
printf '%s\n' "$line"
