# shellcheck shell=bash
# DatastoreImages' steps, as functions: publish-images.sh (the one command per datastore version) runs them in turn
# (and test/support/build-backup-image.sh runs build_backup_image alone). Each prints its result as one JSON line on stdout and
# nothing else there; on a failure it says why on stderr, naming the image and the registry, and exits. They need
# lib.sh and registry.sh included, and make_work and registry_options run, first.

# The label a backup image carries, recording what it was built from (backup_source): the registry's image is
# current when it carries the same.
BACKUP_SOURCE_LABEL=pulumi-trove.backup-source

# mirror_image: reads the upstream manifest, compares its digest with what the target holds, copies with skopeo only
# when they differ (all platforms, digests preserved), and prints {"reference","digest","copied"}. Reads
# MIRROR_SOURCE and MIRROR_TARGET (image references, without docker://), MIRROR_UPSTREAM_INSECURE (true: the
# upstream registry speaks plain HTTP or has an untrusted certificate) and the registry's REGISTRY_* (registry.sh).
# shellcheck disable=SC2154 # $work and $reg_opts/$dest_opts are lib.sh's and registry.sh's
mirror_image() {
  local src="docker://$MIRROR_SOURCE" dst="docker://$MIRROR_TARGET" src_opts=() up_opts=() want have="" copied=false
  if [ "${MIRROR_UPSTREAM_INSECURE:-false}" = true ]; then src_opts=(--src-tls-verify=false); up_opts=(--tls-verify=false); fi
  if ! skopeo inspect --raw "${up_opts[@]}" "$src" > "$work/src.json" 2> "$work/src.err"; then
    echo "pulumi-trove: cannot read upstream image ${src#docker://}: $(tail -n 1 "$work/src.err")" >&2; exit 1
  fi
  want=$(skopeo manifest-digest "$work/src.json")
  if first_contact "$work/dst.err" skopeo inspect --raw "${reg_opts[@]}" "$dst" > "$work/dst.json"; then
    have=$(skopeo manifest-digest "$work/dst.json")
  elif ! grep -qiE 'manifest unknown|not found|name unknown' "$work/dst.err"; then
    echo "pulumi-trove: cannot reach registry ${REGISTRY_ADDRESS} for ${dst#docker://}: $(tail -n 1 "$work/dst.err")" >&2; exit 1
  fi
  if [ "$have" != "$want" ]; then
    # Copies that share blobs, into one registry at once (the versions of one pipeline, two pipelines), race in the
    # CNCF registry: now and then one is told a blob it just saw is unknown ("manifest blob unknown", "digest invalid")
    # or gets a 500 reading one. skopeo's own retries do not cover these; the copy starts again, at most three times.
    local attempt=1 race='blob unknown|digest invalid|reuse blob|500 \(Internal Server Error\)'
    until skopeo copy --all --preserve-digests --retry-times 3 "${src_opts[@]}" "${dest_opts[@]}" "$src" "$dst" > "$work/copy.log" 2>&1; do
      if [ "$attempt" -ge 3 ] || ! grep -qE "$race" "$work/copy.log"; then
        echo "pulumi-trove: copying ${src#docker://} to ${dst#docker://} failed: $(tail -n 1 "$work/copy.log")" >&2; exit 1
      fi
      echo "pulumi-trove: copying ${src#docker://} to ${dst#docker://} met a registry race ($(grep -oE "$race" "$work/copy.log" | head -n 1)); copying again" >&2
      attempt=$((attempt + 1)); sleep "$attempt"
    done
    copied=true
  fi
  json_line reference="${dst#docker://}" digest="$want" copied:="$copied"
}

# backup_source: what a backup image is built from, as its BACKUP_SOURCE_LABEL records it: the Trove ref, the build
# args and the build context, and BACKUP_CONTRACT when set (how the release's guest agent calls the image, e.g.
# swift-preauth on 2026.2), so a release that changes it rebuilds the image.
backup_source() {
  printf 'trove %s; %s %s; %s%s\n' "${BACKUP_TROVE_REF:-unknown}" "$BACKUP_DATASTORE" "$BACKUP_VERSION" "$BACKUP_CONTEXT" "${BACKUP_CONTRACT:+; contract $BACKUP_CONTRACT}"
}

# build_backup_image: builds Trove's backup/ with Trove's build args and the BACKUP_SOURCE_LABEL, pushes it to the
# private registry, and prints {"reference","digest","logPath","built"} with the pushed digest. The full `docker
# build` output goes to BACKUP_LOG; stderr gets a bounded progress tail, and the log's last lines on a failure. Reads
# BACKUP_CONTEXT (the checkout's backup/ directory), BACKUP_DATASTORE and BACKUP_VERSION (the build args DATASTORE and
# DATASTORE_VERSION, unless BACKUP_BUILD_DATASTORE / BACKUP_BUILD_VERSION give the release's own form), BACKUP_TROVE_REF, BACKUP_REFERENCE (the image to push), BACKUP_LOG, DOCKER_HOST (optional) and
# the registry's REGISTRY_* (registry.sh). It changes directory to the build context.
build_backup_image() {
  local ref=$BACKUP_REFERENCE log=$BACKUP_LOG source digest
  source=$(backup_source)
  # A private DOCKER_CONFIG keeps the login out of the user's ~/.docker and is removed with $work.
  export DOCKER_CONFIG="$work/docker"; mkdir -p "$DOCKER_CONFIG"
  if [ -n "${REGISTRY_PASSWORD:-}" ]; then
    if ! first_contact "$work/login.log" _docker_login; then
      echo "pulumi-trove: registry ${REGISTRY_ADDRESS} refused the credentials: $(tail -n 1 "$work/login.log")" >&2; exit 1
    fi
  fi
  require_path -d "$BACKUP_CONTEXT" "datastoreImages backupSourceDir (its backup/ directory)"
  cd -- "$BACKUP_CONTEXT" || exit 1
  mkdir -p -- "$(dirname -- "$log")"
  echo "pulumi-trove: building $ref; full log: $log" >&2
  if ! docker build --network host --build-arg "DATASTORE=${BACKUP_BUILD_DATASTORE:-$BACKUP_DATASTORE}" --build-arg "DATASTORE_VERSION=${BACKUP_BUILD_VERSION:-$BACKUP_VERSION}" --label "$BACKUP_SOURCE_LABEL=$source" -t "$ref" . < /dev/null 2>&1 | progress_filter "$log" "docker build"; then
    echo "pulumi-trove: docker build of $ref failed; its last lines (full log: $log):" >&2
    tail -n 40 -- "$log" | cut -c 1-300 >&2
    exit 1
  fi
  if ! docker push "$ref" > "$work/push.log" 2>&1; then
    echo "pulumi-trove: pushing $ref failed: $(tail -n 1 "$work/push.log")" >&2; exit 1
  fi
  digest=$(sed -n 's/.*digest: \(sha256:[0-9a-f]*\).*/\1/p' "$work/push.log" | tail -n 1)
  json_line reference="$ref" digest="$digest" logPath="$log" built:=true
}
_docker_login() { printf '%s' "$REGISTRY_PASSWORD" | docker login --username "${REGISTRY_USERNAME:-}" --password-stdin "$REGISTRY_ADDRESS" > /dev/null; }

# publish_backup_image: reports the backup image without building when the registry holds one whose
# BACKUP_SOURCE_LABEL says it was built from this source (backup_source), and builds and pushes it
# (build_backup_image) when the registry has none, or one built from another Trove ref, version or checkout. Reads
# what build_backup_image reads.
publish_backup_image() {
  local source found digest="" built_from=""
  source=$(backup_source)
  if first_contact "$work/present.err" skopeo inspect "${reg_opts[@]}" --format "{{.Digest}} {{index .Labels \"$BACKUP_SOURCE_LABEL\"}}" "docker://$BACKUP_REFERENCE" > "$work/present.txt"; then
    found=$(cat "$work/present.txt")
    digest=${found%% *}; built_from=${found#* }
    if [ "$built_from" = "$source" ]; then
      json_line reference="$BACKUP_REFERENCE" digest="$digest" logPath="$BACKUP_LOG" built:=false
      return 0
    fi
    echo "pulumi-trove: $BACKUP_REFERENCE in the registry was built from ${built_from:-an unrecorded source (no $BACKUP_SOURCE_LABEL label)}; building it from $source" >&2
  elif grep -qiE 'manifest unknown|not found|name unknown' "$work/present.err"; then
    echo "pulumi-trove: $BACKUP_REFERENCE is not in the registry; building and pushing it" >&2
  else
    echo "pulumi-trove: cannot check $BACKUP_REFERENCE in registry ${REGISTRY_ADDRESS}: $(tail -n 1 "$work/present.err")" >&2; exit 1
  fi
  build_backup_image
}
