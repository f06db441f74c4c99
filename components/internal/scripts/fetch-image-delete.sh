#!/usr/bin/env bash
# The fetch's `delete` (GuestImageBuild), run when the copy is deleted (the stack destroyed, or the copy replaced):
# removes the local copy FETCH_LOCAL_PATH when it is still the image this copy brought (sha256 FETCH_SHA256). A file
# that a newer copy has written since (a replacement copies to the same path before the old copy is deleted) is kept.
# Reads FETCH_LOCAL_PATH and FETCH_SHA256.
set -euo pipefail
if [ -f "$FETCH_LOCAL_PATH" ] && [ "$(sha256sum -- "$FETCH_LOCAL_PATH" | cut -d" " -f1)" = "$FETCH_SHA256" ]; then
  rm -f -- "$FETCH_LOCAL_PATH"
fi
