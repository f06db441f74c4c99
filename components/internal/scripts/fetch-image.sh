#!/usr/bin/env bash
# Copies the guest image a remote build made to FETCH_LOCAL_PATH here (GuestImageBuild's fetch): `ssh … cat`,
# checking the build host against FETCH_HOST_KEY only, into a partial file that is moved into place only when its
# sha256 is FETCH_SHA256; prints {"path","sha256","sizeBytes"} for the local copy. The build host's private key comes
# on stdin (empty stdin: the caller's own ssh-agent or keys) and lives in a private ssh-agent for the copy's
# duration, never in argv, a file or the log.
# Reads FETCH_HOST, FETCH_PORT, FETCH_USER, FETCH_REMOTE_PATH, FETCH_SHA256, FETCH_LOCAL_PATH, FETCH_HOST_KEY
# (`<type> <base64>`; empty only with FETCH_INSECURE_IGNORE_HOST_KEY=true) and FETCH_INSECURE_IGNORE_HOST_KEY.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
dest="$FETCH_LOCAL_PATH"
make_work
partial_start "$dest"
agent_started=''
stop_agent() { if [ -n "$agent_started" ]; then ssh-agent -k >/dev/null 2>&1 || true; fi; }
at_exit stop_agent
# The host key: the one from buildHost.hostKey, under a fixed alias, in a known_hosts file of this run only; the
# user's and the system's known_hosts play no part, so what is checked is exactly what the stack says.
if [ -n "${FETCH_HOST_KEY:-}" ]; then
  printf 'pulumi-trove-build-host %s\n' "$FETCH_HOST_KEY" > "$work/known_hosts"
  host_opts=(-o StrictHostKeyChecking=yes -o HostKeyAlias=pulumi-trove-build-host -o "UserKnownHostsFile=$work/known_hosts" -o GlobalKnownHostsFile=/dev/null)
elif [ "${FETCH_INSECURE_IGNORE_HOST_KEY:-}" = true ]; then
  host_opts=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null)
else
  echo "fetch: no host key for $FETCH_HOST: set buildHost.hostKey (or buildHost.insecureIgnoreHostKey: true)" >&2; exit 1
fi
key=$(cat)
if [ -n "$key" ]; then
  eval "$(ssh-agent -s)" >/dev/null; agent_started=1
  # printf is a bash builtin: the key goes down a pipe, never into a process's argv.
  printf '%s\n' "$key" | ssh-add -q - 2>/dev/null || { echo "fetch: the build host's private key was refused by ssh-add (not a valid private key?)" >&2; exit 1; }
fi
unset key
opts=(-n -o BatchMode=yes "${host_opts[@]}" -o LogLevel=ERROR -p "$FETCH_PORT" -l "$FETCH_USER")
# The remote path, single-quoted for the remote POSIX shell.
remote_path=${FETCH_REMOTE_PATH//\'/\'\\\'\'}
if ! ssh "${opts[@]}" -- "$FETCH_HOST" "cat -- '$remote_path'" > "$partial" 2> "$work/ssh.err"; then
  cat -- "$work/ssh.err" >&2
  if grep -qE 'Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED' "$work/ssh.err"; then
    echo "fetch: $FETCH_HOST:$FETCH_PORT did not present the host key in buildHost.hostKey; nothing was copied (check the key with ssh-keyscan and the host's /etc/ssh/ssh_host_*_key.pub)" >&2; exit 1
  fi
  echo "fetch: could not copy $FETCH_REMOTE_PATH from $FETCH_USER@$FETCH_HOST:$FETCH_PORT over ssh (see the ssh error above)" >&2; exit 1
fi
sha=$(sha256sum -- "$partial" | cut -d" " -f1)
if [ "$sha" != "$FETCH_SHA256" ]; then
  echo "fetch: the copy of $FETCH_REMOTE_PATH has sha256 $sha, but the build reported $FETCH_SHA256: the image on the build host changed since the build, or the copy was damaged; run pulumi up again" >&2; exit 1
fi
partial_done
json_line path="$dest" sha256="$sha" sizeBytes:="$(stat -c %s -- "$dest")"
