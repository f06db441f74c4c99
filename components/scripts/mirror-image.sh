#!/usr/bin/env bash
# Mirrors one upstream image into the private registry (DatastoreImages): reads the upstream manifest, compares its
# digest with what the target holds, copies with skopeo only when they differ (all platforms, digests preserved),
# and prints {"reference","digest","copied"}. Errors name the image and the registry.
# Reads MIRROR_SOURCE and MIRROR_TARGET (image references, without docker://), MIRROR_UPSTREAM_INSECURE (true: the
# upstream registry speaks plain HTTP or has an untrusted certificate) and the registry's REGISTRY_* (registry.sh).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=registry.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/registry.sh"
make_work
registry_options
src="docker://$MIRROR_SOURCE"; dst="docker://$MIRROR_TARGET"
src_opts=(); up_opts=()
if [ "${MIRROR_UPSTREAM_INSECURE:-false}" = true ]; then src_opts=(--src-tls-verify=false); up_opts=(--tls-verify=false); fi
if ! skopeo inspect --raw "${up_opts[@]}" "$src" > "$work/src.json" 2> "$work/src.err"; then
  echo "pulumi-trove: cannot read upstream image ${src#docker://}: $(tail -n 1 "$work/src.err")" >&2; exit 1
fi
want=$(skopeo manifest-digest "$work/src.json")
have=""
if first_contact "$work/dst.err" skopeo inspect --raw "${reg_opts[@]}" "$dst" > "$work/dst.json"; then
  have=$(skopeo manifest-digest "$work/dst.json")
elif ! grep -qiE 'manifest unknown|not found|name unknown' "$work/dst.err"; then
  echo "pulumi-trove: cannot reach registry ${REGISTRY_ADDRESS} for ${dst#docker://}: $(tail -n 1 "$work/dst.err")" >&2; exit 1
fi
copied=false
if [ "$have" != "$want" ]; then
  if ! skopeo copy --all --preserve-digests --retry-times 3 "${src_opts[@]}" "${dest_opts[@]}" "$src" "$dst" > "$work/copy.log" 2>&1; then
    echo "pulumi-trove: copying ${src#docker://} to ${dst#docker://} failed: $(tail -n 1 "$work/copy.log")" >&2; exit 1
  fi
  copied=true
fi
json_line reference="${dst#docker://}" digest="$want" copied:="$copied"
