#!/usr/bin/env bash
# Builds the Trove guest image with `trovestack build-image` (GuestImageBuild). It builds into a hidden partial file
# beside the output (same extension, so trovestack picks the same format), moves it into place only when trovestack
# succeeds, and prints {"path","sha256","sizeBytes","logPath"}, which it also keeps beside the image as the build's
# record (`<image>.build.json`, read by check-guest-image.sh). trovestack's output goes whole to
# `<image>.build.log`; stderr gets a bounded progress tail while it runs, and the log's last lines if it fails. A
# failed build leaves any previous image untouched.
# Reads PULUMI_TROVE_BUILD_SCRIPTS_DIR (the checkout's integration/scripts), PULUMI_TROVE_BUILD_OUTPUT (may start
# with a literal `$HOME/`), PULUMI_TROVE_BUILD_GUEST_OS, PULUMI_TROVE_BUILD_GUEST_OS_RELEASE, PULUMI_TROVE_BUILD_DEV_MODE
# (true/false) and PULUMI_TROVE_BUILD_GUEST_USERNAME: trovestack's arguments. trovestack reads its own variables
# (DIB_*, HOST_SCP_USERNAME, …) from the environment. With PULUMI_TROVE_BUILD_GUEST_AGENT_REF (and
# PULUMI_TROVE_BUILD_CHECKOUT), it pins the baked guest agent to that ref's commit of the checkout.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
require_path -d "$PULUMI_TROVE_BUILD_SCRIPTS_DIR" "troveSourceDir (its integration/scripts)"
if [ -n "${DIB_LOCAL_ELEMENTS_PATH:-}" ]; then require_path -d "$DIB_LOCAL_ELEMENTS_PATH" localElementsPath; fi
cd -- "$PULUMI_TROVE_BUILD_SCRIPTS_DIR"
out=$(home_path "$PULUMI_TROVE_BUILD_OUTPUT")
log="$out.build.log"; record="$out.build.json"
partial_start "$out"
if [ "$PULUMI_TROVE_BUILD_DEV_MODE" != true ]; then
  # A production build refuses a checkout whose build scripts (or the local elements) name diskimage-builder's
  # openstack-ci-mirrors element (UNSIGNED_APT_ELEMENT in components/image/guest-image-build.ts): its root.d makes the
  # image's apt accept unsigned packages and insecure repositories, on any build host. It reads the checkout that
  # will actually build, whatever its ref or fork.
  found=$(grep -rlwF -- openstack-ci-mirrors . ${DIB_LOCAL_ELEMENTS_PATH:+"$DIB_LOCAL_ELEMENTS_PATH"} 2>/dev/null | head -n 3 | tr '\n' ' ' || true)
  if [ -n "$found" ]; then
    echo "pulumi-trove: refusing a production build (devMode false): this trovestack adds diskimage-builder's openstack-ci-mirrors element (named in: $found), which makes the image's apt accept unsigned packages; build from a Trove checkout whose trovestack does not add it, or remove it there" >&2
    exit 3
  fi
fi
if [ -n "${PULUMI_TROVE_BUILD_GUEST_AGENT_REF:-}" ]; then
  # This release's trovestack bakes the guest agent from the checkout's git HEAD (upstream 867b6b26, when neither
  # DIB_REPOLOCATION_guest_agent nor DIB_REPOREF_guest_agent is set): pin it to troveRef instead, as a commit.
  pin_ref=$PULUMI_TROVE_BUILD_GUEST_AGENT_REF; checkout=$PULUMI_TROVE_BUILD_CHECKOUT
  if ! commit=$(git -C "$checkout" rev-parse --verify --quiet "$pin_ref^{commit}" 2> /dev/null); then
    echo "pulumi-trove: refusing a production build: troveRef $pin_ref is not a commit, tag or branch of the git checkout $checkout, so the guest agent baked into the image could not be pinned to it; fetch it there or set troveRef to what the checkout holds" >&2
    exit 3
  fi
  head=$(git -C "$checkout" rev-parse --verify --quiet HEAD 2> /dev/null || true)
  if [ "$head" = "$commit" ]; then at="the checkout is at troveRef"; else at="the checkout's HEAD is ${head:-not readable}, which trovestack alone would have baked"; fi
  export DIB_REPOLOCATION_guest_agent="$checkout" DIB_REPOREF_guest_agent="$commit"
  echo "pulumi-trove: baking the guest agent from $checkout at $commit (troveRef $pin_ref; $at)" >&2
fi
echo "pulumi-trove: building $out with trovestack; full log: $log" >&2
if ! ./trovestack build-image "$PULUMI_TROVE_BUILD_GUEST_OS" "$PULUMI_TROVE_BUILD_GUEST_OS_RELEASE" "$PULUMI_TROVE_BUILD_DEV_MODE" "$PULUMI_TROVE_BUILD_GUEST_USERNAME" "$partial" < /dev/null 2>&1 | progress_filter "$log" trovestack; then
  echo "pulumi-trove: trovestack build-image failed; its last lines (full log: $log):" >&2
  tail -n 40 -- "$log" | cut -c 1-300 >&2
  exit 1
fi
partial_done
line=$(json_line path="$out" sha256="$(sha256sum -- "$out" | cut -d" " -f1)" sizeBytes:="$(stat -c %s -- "$out")" logPath="$log")
write_file "$record" "$line"
printf '%s\n' "$line"
