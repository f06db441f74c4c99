#!/usr/bin/env bash
# The local lab: real Keystone (uwsgi), Glance API and Trove API from Debian's packages, on 127.0.0.1 only, with their
# databases in a private MariaDB (unix socket in the lab directory, no TCP) and no message bus; plus, for the default
# release, what the `lab` stack needs besides a cloud: a private Docker engine (for the registry container and the
# backup image builds), an "upstream" registry holding small stand-in datastore images (there may be no Docker Hub), a
# guest image file and a stand-in Trove source tree. Our test bed, and the way to try pulumi-trove without a cloud.
#   lab.sh up      install the packages if missing (root), start everything, write clouds.yaml and openrc
#   lab.sh status  what runs
#   lab.sh down    stop what `up` started, by PID, and remove the lab directory
#   lab.sh stop SERVICE / lab.sh start SERVICE   stop or start one service (db, keystone, glance, trove, ...), keeping data
# Settings (environment):
#   TROVE_LAB_RELEASE   zed (default: Debian 12's Trove 18, the host's packages), 2025.1 (Debian 13's Trove 23) or
#                       2026.2 (Debian unstable's Trove 26); the newer ones run from a root filesystem made with
#                       mmdebstrap and cached under TROVE_LAB_ROOT_CACHE (default /var/cache/pulumi-trove-lab)
#   TROVE_LAB_DIR       state (default /tmp/pulumi-trove-lab for zed, the paths stacks/Pulumi.lab.yaml names;
#                       /tmp/pulumi-trove-lab-<release> otherwise)
#   TROVE_LAB_PORT_OFFSET  added to every port (Keystone 5000, Glance 9292, Trove 8779, upstream registry 5001);
#                       default 0 for zed, 20000 for 2025.1, 30000 for 2026.2, so the labs can run side by side
#   TROVE_LAB_DB        mariadb (default, as operators run Trove) or sqlite (the old lab; zed only)
# Facts and pitfalls behind each step: ../shared/reference/openstack-lab-notes.md (uwsgi and Connection: close,
# SQLite WAL, /usr/bin/python3); what differs per release is noted where it is handled.
set -Eeuo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
ADMIN_PASSWORD=${TROVE_LAB_ADMIN_PASSWORD:-lab-admin-pw}
SERVICE_PASSWORD=lab-service-pw
DOCKER_SOCK_REL=docker/docker.sock
ROOT_CACHE=${TROVE_LAB_ROOT_CACHE:-/var/cache/pulumi-trove-lab}
# Packages of a release's root: the three services, uwsgi for Keystone (and Glance where it has no standalone server
# any more) and the MariaDB driver.
ROOT_PACKAGES=(keystone glance-api trove-api python3-pymysql uwsgi-core uwsgi-plugin-python3)
# A root older than this is made again (the archive moves on); one in use by a running lab is kept.
ROOT_MAX_AGE_DAYS=${TROVE_LAB_ROOT_MAX_AGE_DAYS:-14}

log() { printf 'lab: %s\n' "$*" >&2; }

RELEASE=${TROVE_LAB_RELEASE:-zed}
case "$RELEASE" in
  zed) SUITE="" default_offset=0 ;;
  2025.1) SUITE=trixie default_offset=20000 ;;
  2026.2) SUITE=sid default_offset=30000 ;;
  *) log "TROVE_LAB_RELEASE=$RELEASE: expected zed, 2025.1 or 2026.2"; exit 2 ;;
esac
if [ "$RELEASE" = zed ]; then L=${TROVE_LAB_DIR:-/tmp/pulumi-trove-lab}; else L=${TROVE_LAB_DIR:-/tmp/pulumi-trove-lab-$RELEASE}; fi
OFFSET=${TROVE_LAB_PORT_OFFSET:-$default_offset}
DB=${TROVE_LAB_DB:-mariadb}
case "$DB" in mariadb) ;; sqlite) [ "$RELEASE" = zed ] || { log "TROVE_LAB_DB=sqlite is for zed only"; exit 2; } ;; *) log "TROVE_LAB_DB=$DB: expected mariadb or sqlite"; exit 2 ;; esac
ROOT="" # the release's root filesystem (empty: the host's own packages); set by ensure_root or lab.env
# A lab that runs keeps the settings it was started with: later commands find its ports and root by its directory.
if [ "${1:-}" != up ] && [ -f "$L/lab.env" ]; then
  # shellcheck source=/dev/null
  . "$L/lab.env"
elif [ "${1:-}" != up ] && [ -f "$L/keystone/keystone.db" ]; then
  DB=sqlite # a lab started before MariaDB became the default
fi
KEYSTONE_PORT=$((5000 + OFFSET))
GLANCE_PORT=$((9292 + OFFSET))
TROVE_PORT=$((8779 + OFFSET))
UPSTREAM_PORT=$((5001 + OFFSET))
KEYSTONE_URL=http://127.0.0.1:$KEYSTONE_PORT/v3
# The default release also serves the `lab` stack (Docker engine, upstream registry); the others prove registration.
if [ "$RELEASE" = zed ]; then SERVICES=(db keystone glance trove upstream docker); else SERVICES=(db keystone glance trove); fi
[ "$DB" = mariadb ] || SERVICES=("${SERVICES[@]:1}")
DB_SOCK=$L/run/mysqld.sock

PACKAGES=(keystone glance-api trove-api python3-openstackclient python3-troveclient python3-glanceclient uwsgi-plugin-python3 sqlite3 curl
  docker.io docker-registry skopeo busybox-static qemu-utils mariadb-server python3-pymysql)
[ -z "$SUITE" ] || PACKAGES+=(mmdebstrap)

running() { # running NAME: the PID file names a live process
  [ -f "$L/run/$1.pid" ] && kill -0 "$(cat "$L/run/$1.pid")" 2>/dev/null
}

show_logs() { # the last lines of every log, so a failed start-up says why even after the lab directory is gone
  local f
  for f in "$L"/log/*.log; do
    [ -s "$f" ] || continue
    printf 'lab: --- %s\n' "$f" >&2
    tail -n 15 -- "$f" | cut -c 1-300 >&2
  done
}

wait_http() { # wait_http URL SECONDS [SERVICE]: SERVICE's death ends the wait at once
  local deadline=$((SECONDS + $2))
  until curl -s -o /dev/null "$1"; do
    [ "$SECONDS" -lt "$deadline" ] || { log "no answer from $1 after $2 s; see $L/log/"; return 1; }
    if [ -n "${3:-}" ] && ! running "$3"; then log "$3 exited before answering on $1; see $L/log/"; tail -n 5 "$L/log/$3"*.log >&2 || true; return 1; fi
    sleep 0.2
  done
}

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || { log "missing packages: ${missing[*]}; install them as root (apt-get install ${missing[*]})"; return 1; }
  log "installing ${missing[*]} (a few minutes)"
  # Debian's postinst would start the services on all interfaces; a policy-rc.d that denies starts keeps them off.
  local made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; made_policy=1; fi
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
  [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
}

# The Debian archive this machine's apt uses (deb822 .sources or a classic sources.list line for its main suite):
# read at run time, so the lab fetches newer releases from the same place the host's packages come from.
debian_mirror() {
  local url
  url=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
    /^URIs:/ { uri = $2 } /^Suites:/ { suites = $0 }
    /^$/ { if (uri != "" && suites ~ /bookworm( |$)/) { print uri; exit } uri = ""; suites = "" }
    END { if (uri != "" && suites ~ /bookworm( |$)/) print uri }' | head -n1)
  [ -n "$url" ] || url=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$url" ] || { log "no Debian mirror found in /etc/apt/sources.list*: cannot fetch $SUITE"; return 1; }
  printf '%s\n' "$url"
}

root_in_use() { # root_in_use DIR: a process runs chrooted in DIR
  local r
  for r in /proc/[0-9]*/root; do [ "$(readlink "$r" 2>/dev/null)" = "$1" ] && return 0; done
  return 1
}

# The release's root filesystem, made once per package list and reused: roots/<release>-<hash of suite and packages>.
ensure_root() {
  local key dir age
  key=$(printf '%s\n' "$SUITE" "${ROOT_PACKAGES[@]}" | sha256sum | cut -c1-12)
  dir=$ROOT_CACHE/roots/$RELEASE-$key
  mkdir -p "$ROOT_CACHE/roots"
  exec 9> "$ROOT_CACHE/roots/$RELEASE.lock"
  flock 9
  if [ -f "$dir/.complete" ]; then
    age=$(( ($(date +%s) - $(stat -c %Y "$dir/.complete")) / 86400 ))
    if [ "$age" -lt "$ROOT_MAX_AGE_DAYS" ] || root_in_use "$dir"; then ROOT=$dir; exec 9>&-; return 0; fi
    log "the $RELEASE root is $age days old: making it again"
  fi
  local mirror t0=$SECONDS tmp=$dir.new
  mirror=$(debian_mirror)
  rm -rf "$tmp"
  log "making the $RELEASE root ($SUITE: ${ROOT_PACKAGES[*]}) in $dir (about 2 minutes, 1 GB)"
  # Check-Valid-Until off: the host's apt does the same, its mirror may serve a snapshot of the archive.
  mmdebstrap --variant=apt --components=main --aptopt='Acquire::Check-Valid-Until "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --include="$(IFS=,; echo "${ROOT_PACKAGES[*]}")" "$SUITE" "$tmp" "$mirror" > "$ROOT_CACHE/roots/$RELEASE.log" 2>&1 ||
    { log "mmdebstrap failed; see $ROOT_CACHE/roots/$RELEASE.log"; tail -n 20 "$ROOT_CACHE/roots/$RELEASE.log" >&2; rm -rf "$tmp"; return 1; }
  rm -rf "$dir"; mv "$tmp" "$dir"; touch "$dir/.complete"
  # Older roots of this release (another package list) are removed unless a lab still runs in one.
  local old
  for old in "$ROOT_CACHE/roots/$RELEASE"-*; do
    [ -d "$old" ] && [ "$old" != "$dir" ] && ! root_in_use "$old" && rm -rf "$old"
  done
  log "made the $RELEASE root in $((SECONDS - t0)) s ($(du -sh "$dir" | cut -f1))"
  ROOT=$dir
  exec 9>&-
}

# in_root COMMAND...: runs COMMAND from the release's root (zed: the host itself). In a private mount namespace the lab
# directory is bind-mounted at the same path inside the root and /proc mounted, then chroot; both mounts vanish with
# the process, nothing else of the host is visible. The PID stays the same through unshare, sh and chroot (each execs).
# shellcheck disable=SC2016 # the inner script's own arguments
IN_ROOT_SH='mount --bind "$1" "$2$1" && mount -t proc proc "$2/proc" && r=$2 && shift 2 && exec chroot "$r" "$@"'
root_prefix() { # sets IN_ROOT to the command prefix described above (empty for zed)
  if [ -n "$ROOT" ]; then IN_ROOT=(unshare --mount --propagation private -- /bin/sh -c "$IN_ROOT_SH" in-root "$L" "$ROOT"); else IN_ROOT=(); fi
}
in_root() { root_prefix; "${IN_ROOT[@]}" "$@"; }

db_url() { # db_url NAME: the SQLAlchemy URL of one service's database
  if [ "$DB" = mariadb ]; then
    printf 'mysql+pymysql://root@localhost/%s?unix_socket=%s&charset=utf8mb4\n' "$1" "$DB_SOCK"
  else
    printf 'sqlite:///%s/%s/%s.db\n' "$L" "$1" "$1"
  fi
}

write_configs() {
  mkdir -p "$L"/{keystone/fernet-keys,keystone/credential-keys,glance/images,glance/staging,trove,log,run,bin,mysql-tmp}
  cat > "$L/keystone/keystone.conf" <<CONF
[DEFAULT]
log_file = $L/log/keystone.log
[database]
connection = $(db_url keystone)
[token]
provider = fernet
[fernet_tokens]
key_repository = $L/keystone/fernet-keys
[fernet_receipts]
key_repository = $L/keystone/fernet-keys
[credential]
key_repository = $L/keystone/credential-keys
[identity]
# A test lab only: cheap password hashing makes every token request fast.
password_hash_rounds = 4
CONF
  authtoken() { cat <<CONF
[keystone_authtoken]
www_authenticate_uri = $KEYSTONE_URL
auth_url = $KEYSTONE_URL
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $SERVICE_PASSWORD
CONF
  }
  cat > "$L/glance/glance-api.conf" <<CONF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $GLANCE_PORT
workers = 0
log_file = $L/log/glance-api.log
node_staging_uri = file://$L/glance/staging
[database]
connection = $(db_url glance)
$(authtoken glance)
[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini
[glance_store]
stores = file
default_store = file
filesystem_store_datadir = $L/glance/images
[oslo_policy]
enforce_new_defaults = false
CONF
  cat > "$L/trove/trove.conf" <<CONF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $TROVE_PORT
trove_api_workers = 1
transport_url = fake://
log_file = $L/log/trove-api.log
api_paste_config = /etc/trove/api-paste.ini
[database]
connection = $(db_url trove)
$(authtoken trove)
[service_credentials]
auth_url = $KEYSTONE_URL
username = trove
password = $SERVICE_PASSWORD
project_name = service
project_domain_name = Default
user_domain_name = Default
region_name = RegionOne
CONF
  # trove-manage on Python 3.11 needs inspect.getargspec (pitfall 4); a shim, nothing in /usr patched. It runs with
  # the release's own Python (in its root for the newer releases).
  cat > "$L/bin/trove-manage" <<'SHIM'
#!/usr/bin/python3
import inspect, sys
inspect.getargspec = getattr(inspect, "getargspec", inspect.getfullargspec)
from trove.cmd.manage import main
sys.exit(main())
SHIM
  chmod 755 "$L/bin/trove-manage"
  # The Python that imports this release's Trove (the configuration-parameters program runs with it).
  if [ -z "$ROOT" ]; then
    printf '#!/bin/sh\nexec %s "$@"\n' "$PY" > "$L/bin/python3"
  else
    # shellcheck disable=SC2016 # "$@" belongs to the generated script
    printf '#!/bin/sh\n# Python of the lab'"'"'s Trove %s, from its root filesystem (see in_root in lab.sh).\nexec unshare --mount --propagation private -- /bin/sh -c %q in-root %q %q /usr/bin/python3 "$@"\n' \
      "$RELEASE" "$IN_ROOT_SH" "$L" "$ROOT" > "$L/bin/python3"
  fi
  chmod 755 "$L/bin/python3"
  # Fernet and credential keys, as keystone-manage fernet_setup would write them, in a fraction of the time.
  "$PY" - "$L" <<'PYKEYS'
import os, sys
from cryptography.fernet import Fernet
for repo in ("fernet-keys", "credential-keys"):
    d = os.path.join(sys.argv[1], "keystone", repo)
    for name in ("0", "1"):
        with open(os.path.join(d, name), "wb") as f:
            f.write(Fernet.generate_key())
        os.chmod(os.path.join(d, name), 0o600)
PYKEYS
  printf 'RELEASE=%q\nOFFSET=%q\nDB=%q\nROOT=%q\n' "$RELEASE" "$OFFSET" "$DB" "$ROOT" > "$L/lab.env"
}

start_bg() { # start_bg NAME LOGFILE COMMAND...
  local name=$1 logfile=$2; shift 2
  setsid "$@" > "$logfile" 2>&1 < /dev/null &
  echo $! > "$L/run/$name.pid"
}

wal() { [ "$DB" = sqlite ] || return 0; sqlite3 "$L/$1/$1.db" 'PRAGMA journal_mode=WAL;' > /dev/null; }

# MariaDB as Debian 12 ships it, for every release: a data directory and a unix socket in the lab directory, no TCP.
# Durability is traded for speed (a lab's data dies with it anyway). Each lab has its own temporary directory: labs
# started side by side shared /tmp, and one's mariadb-install-db failed on a temporary table gone from under it
# ("Could not remove temporary table: '/tmp/#sql-temptable-…', error: 2", then "Unknown table 'mysql.tmp_user_sys'").
MARIADB_OPTS=(--no-defaults --datadir="$L/mysql" --tmpdir="$L/mysql-tmp" --user=root --skip-networking --socket="$DB_SOCK" --pid-file="$L/run/mariadbd.pid"
  --innodb-log-file-size=8M --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=0 --skip-log-bin
  --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci)
mariadb_lab() { mariadb --no-defaults --socket="$DB_SOCK" -uroot "$@"; }

init_db() {
  mariadb-install-db "${MARIADB_OPTS[@]}" --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve > "$L/log/mariadb-install.log" 2>&1
  start_service db
  wait_service db
  mariadb_lab -e 'CREATE DATABASE keystone; CREATE DATABASE glance; CREATE DATABASE trove;'
}

register_services() {
  "$PY" - <<PYREG
from keystoneauth1 import session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client
auth = v3.Password(auth_url="$KEYSTONE_URL", username="admin", password="$ADMIN_PASSWORD",
                   project_name="admin", user_domain_name="Default", project_domain_name="Default")
ks = client.Client(session=session.Session(auth=auth))
project = ks.projects.create("service", "default")
admin = ks.roles.find(name="admin")
for name in ("glance", "trove"):
    user = ks.users.create(name, domain="default", password="$SERVICE_PASSWORD", default_project=project)
    ks.roles.grant(admin, user=user, project=project)
for stype, name, url in (("image", "glance", "http://127.0.0.1:$GLANCE_PORT"), ("database", "trove", "http://127.0.0.1:$TROVE_PORT/v1.0/%(tenant_id)s")):
    svc = ks.services.create(name, stype)
    for interface in ("public", "internal", "admin"):
        ks.endpoints.create(svc, url, interface=interface, region="RegionOne")
PYREG
}

write_client_files() {
  cat > "$L/clouds.yaml" <<YAML
clouds:
  trove-lab:
    auth:
      auth_url: $KEYSTONE_URL
      username: admin
      password: $ADMIN_PASSWORD
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    identity_api_version: 3
YAML
  cat > "$L/openrc" <<RC
export OS_AUTH_URL=$KEYSTONE_URL OS_USERNAME=admin OS_PASSWORD=$ADMIN_PASSWORD OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME=RegionOne OS_IDENTITY_API_VERSION=3
export OS_CLIENT_CONFIG_FILE=$L/clouds.yaml
RC
  [ "$RELEASE" != zed ] || echo "export DOCKER_HOST=unix://$L/$DOCKER_SOCK_REL" >> "$L/openrc"
}

all_running() {
  local s
  for s in "${SERVICES[@]}"; do running "$s" || return 1; done
}

up() {
  if all_running; then log "already running in $L"; write_client_files; return 0; fi
  down_quietly
  install_packages
  [ -z "$SUITE" ] || ensure_root
  local ports=("$KEYSTONE_PORT" "$GLANCE_PORT" "$TROVE_PORT")
  [ "$RELEASE" != zed ] || ports+=("$UPSTREAM_PORT")
  # 4000: the lab stack's registry container.
  [ "$RELEASE" != zed ] || [ "$OFFSET" != 0 ] || ports+=(4000)
  for port in "${ports[@]}"; do
    if curl -s -o /dev/null "http://127.0.0.1:$port/"; then log "port $port is taken by something else; stop it first"; return 1; fi
  done
  local t0=$SECONDS
  rm -rf "$L"; write_configs
  [ "$RELEASE" != zed ] || prepare_assets
  [ -z "$ROOT" ] || mkdir -p "$ROOT$L"
  trap 'log "start-up failed; stopping what started (logs: $L/log)"; show_logs; stop_all; exit 1' ERR
  [ "$DB" != mariadb ] || init_db
  in_root keystone-manage --config-file "$L/keystone/keystone.conf" db_sync 2>> "$L/log/manage.log"
  wal keystone
  # Glance and Trove sync their databases while Keystone bootstraps.
  ( in_root glance-manage --config-file "$L/glance/glance-api.conf" db_sync >> "$L/log/manage.log" 2>&1 && wal glance ) &
  local glance_sync=$!
  ( in_root "$L/bin/trove-manage" --config-file "$L/trove/trove.conf" db_sync >> "$L/log/manage.log" 2>&1 && wal trove ) &
  local trove_sync=$!
  in_root keystone-manage --config-file "$L/keystone/keystone.conf" bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
    --bootstrap-admin-url "$KEYSTONE_URL/" --bootstrap-internal-url "$KEYSTONE_URL/" \
    --bootstrap-public-url "$KEYSTONE_URL/" --bootstrap-region-id RegionOne >> "$L/log/manage.log" 2>&1
  start_service keystone
  if [ "$RELEASE" = zed ]; then start_service upstream; start_service docker; fi
  wait "$glance_sync"; start_service glance
  wait "$trove_sync"; start_service trove
  wait_http "$KEYSTONE_URL" 60 keystone
  register_services
  wait_service glance
  wait_service trove
  if [ "$RELEASE" = zed ]; then
    wait_service upstream
    seed_upstream
    wait_service docker
    ensure_registry_image
  fi
  trap - ERR
  write_client_files
  local extra=""
  [ "$RELEASE" != zed ] || extra=", upstream registry :$UPSTREAM_PORT; Docker at unix://$L/$DOCKER_SOCK_REL"
  log "Trove $RELEASE up in $((SECONDS - t0)) s: Keystone :$KEYSTONE_PORT, Glance :$GLANCE_PORT, Trove :$TROVE_PORT on 127.0.0.1$extra; $DB at $L"
  log "use it: source $L/openrc   (or OS_CLIENT_CONFIG_FILE=$L/clouds.yaml OS_CLOUD=trove-lab)"
}

prepare_assets() {
  mkdir -p "$L/images" "$L/trove-source/backup" "$L/upstream" "$L/registry" "$L/docker/root" "$L/docker/exec"
  # A guest image made locally: the lab checks the pipeline, not database instances.
  qemu-img create -q -f qcow2 "$L/images/trove-guest-ubuntu-jammy-dev.qcow2" 16M
  # A stand-in Trove source tree: backup/Dockerfile shaped like Trove's (build args DATASTORE, DATASTORE_VERSION)
  # and Trove's own validation-rules.json files, from the installed python3-trove.
  cat > "$L/trove-source/backup/Dockerfile" <<'DOCKERFILE'
FROM 127.0.0.1:UPSTREAM_PORT/mysql:5.7.29
ARG DATASTORE="mysql"
ARG DATASTORE_VERSION="5.7"
COPY . /opt/trove/backup
RUN echo "$DATASTORE $DATASTORE_VERSION" > /etc/backup-info
DOCKERFILE
  sed -i "s/UPSTREAM_PORT/$UPSTREAM_PORT/" "$L/trove-source/backup/Dockerfile"
  for d in mysql mariadb postgresql; do
    mkdir -p "$L/trove-source/trove/templates/$d"
    cp "/usr/lib/python3/dist-packages/trove/templates/$d/validation-rules.json" "$L/trove-source/trove/templates/$d/"
  done
  cat > "$L/upstream/config.yml" <<YAML
version: 0.1
storage:
  filesystem:
    rootdirectory: $L/upstream/data
http:
  addr: 127.0.0.1:$UPSTREAM_PORT
YAML
}

# Debian's client matches Debian's engine; a newer client elsewhere on PATH may speak a newer API than it.
DOCKER_CLIENT=$( [ -x /usr/bin/docker ] && echo /usr/bin/docker || echo docker )
docker_lab() { DOCKER_HOST="unix://$L/$DOCKER_SOCK_REL" "$DOCKER_CLIENT" "$@"; }

# registry:2 for the LocalRegistry container: pulled when Docker Hub answers, otherwise built from Debian's
# docker-registry (the same CNCF distribution registry) with the upstream image's config layout.
ensure_registry_image() {
  docker_lab image inspect registry:2 > /dev/null 2>&1 && return 0
  docker_lab pull -q registry:2 > /dev/null 2>&1 && return 0
  local d; d=$(mktemp -d)
  mkdir -p "$d/bin" "$d/etc/docker/registry" "$d/var/lib/registry"
  cp /usr/bin/docker-registry "$d/bin/registry"
  for lib in $(ldd /usr/bin/docker-registry | grep -o '/[^ ]*'); do mkdir -p "$d$(dirname "$lib")"; cp -L "$lib" "$d$lib"; done
  cat > "$d/etc/docker/registry/config.yml" <<'YAML'
version: 0.1
storage:
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
YAML
  tar -C "$d" -c . | docker_lab import --change 'ENTRYPOINT ["/bin/registry"]' --change 'CMD ["serve", "/etc/docker/registry/config.yml"]' - registry:2 > /dev/null
  rm -rf "$d"
}

seed_upstream() {
  [ -x "$root/node_modules/.bin/tsx" ] || { log "node_modules missing: run npm ci first"; return 1; }
  (cd "$root" && node_modules/.bin/tsx scripts/lab/stand-in-images.ts "127.0.0.1:$UPSTREAM_PORT" mysql:5.7.29 mariadb:10.4 postgres:12 > "$L/log/upstream-seed.log")
}

wsgi_entry() { # wsgi_entry SCRIPT MODULE: sets WSGI to uwsgi's arguments for the release's WSGI script, or its module
  if [ -e "$ROOT$1" ]; then WSGI=(--wsgi-file "$1"); else WSGI=(--module "$2"); fi
}

start_service() { # start_service NAME
  root_prefix
  case "$1" in
    upstream) start_bg upstream "$L/log/upstream-registry.log" docker-registry serve "$L/upstream/config.yml" ;;
    # A private engine: its own data root and socket, vfs, no bridge and no iptables changes; only loopback is used.
    docker) start_bg docker "$L/log/dockerd.log" dockerd --data-root "$L/docker/root" --exec-root "$L/docker/exec" \
      --pidfile "$L/docker/dockerd.pid" -H "unix://$L/$DOCKER_SOCK_REL" --storage-driver=vfs --iptables=false \
      --ip6tables=false --bridge=none --ip-masq=false ;;
    db) start_bg db "$L/log/mariadb.log" mariadbd "${MARIADB_OPTS[@]}" ;;
    # One process, no threads: SQLite objects must stay in their thread (pitfall 2); Connection: close (pitfall 6).
    # Keystone 2026.2 no longer ships the keystone-wsgi-public script: its module is the entry point.
    keystone) wsgi_entry /usr/bin/keystone-wsgi-public keystone.wsgi.api:application
      start_bg keystone "$L/log/keystone-uwsgi.log" "${IN_ROOT[@]}" uwsgi --plugin python3 --http-socket "127.0.0.1:$KEYSTONE_PORT" \
      "${WSGI[@]}" --env "OS_KEYSTONE_CONFIG_DIR=$L/keystone" --processes 1 \
      --buffer-size 65535 --add-header "Connection: close" --die-on-term --need-app ;;
    glance)
      if [ -z "$ROOT" ]; then
        start_bg glance "$L/log/glance-stdout.log" glance-api --config-file "$L/glance/glance-api.conf"
      else
        # The newer releases run Glance under uwsgi, as Debian does (2026.2's glance-api refuses to run standalone);
        # threads for its task pool.
        wsgi_entry /usr/bin/glance-wsgi-api glance.wsgi.api:application
        start_bg glance "$L/log/glance-stdout.log" "${IN_ROOT[@]}" uwsgi --plugin python3 --http-socket "127.0.0.1:$GLANCE_PORT" \
          "${WSGI[@]}" --env "OS_GLANCE_CONFIG_DIR=$L/glance" --processes 1 \
          --enable-threads --buffer-size 65535 \
          --add-header "Connection: close" --die-on-term --need-app
      fi ;;
    trove) start_bg trove "$L/log/trove-stdout.log" "${IN_ROOT[@]}" trove-api --config-file "$L/trove/trove.conf" ;;
    *) log "unknown service $1 (${SERVICES[*]})"; return 2 ;;
  esac
}

stop_service() { # stop_service NAME
  if running "$1"; then
    local pid; pid=$(cat "$L/run/$1.pid")
    if [ "$1" = docker ]; then
      # dockerd alone first, so it stops its containers (and containerd) itself.
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    else
      # setsid made each service its own process group: stop the group (uwsgi and its workers), by PID.
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$L/run/$1.pid"
  if [ "$1" = docker ]; then umount "$L/docker/exec/netns/default" 2>/dev/null || true; fi
}

stop_all() {
  for s in "${SERVICES[@]}"; do stop_service "$s"; done
}

port_of() { case "$1" in keystone) echo "$KEYSTONE_PORT" ;; glance) echo "$GLANCE_PORT" ;; trove) echo "$TROVE_PORT" ;; upstream) echo "$UPSTREAM_PORT" ;; esac; }

wait_service() { # wait_service NAME
  if [ "$1" = db ]; then
    local deadline=$((SECONDS + 60))
    until mariadb_lab -e 'SELECT 1' > /dev/null 2>&1; do
      [ "$SECONDS" -lt "$deadline" ] || { log "MariaDB did not start; see $L/log/mariadb.log"; return 1; }
      sleep 0.05
    done
  elif [ "$1" = docker ]; then
    local deadline=$((SECONDS + 60))
    until docker_lab info > /dev/null 2>&1; do
      [ "$SECONDS" -lt "$deadline" ] || { log "dockerd did not start; see $L/log/dockerd.log"; return 1; }
      sleep 0.2
    done
  else
    wait_http "http://127.0.0.1:$(port_of "$1")/" 60 "$1"
  fi
}

down_quietly() { [ -d "$L/run" ] && stop_all; return 0; }

down() {
  down_quietly
  rm -rf "$L"
  # The lab directory's mount point in the root (the mounts themselves died with the services' namespaces).
  [ -z "$ROOT" ] || rmdir "$ROOT$L" 2>/dev/null || true
  log "stopped and removed $L"
}

status() {
  local all=0
  for s in "${SERVICES[@]}"; do
    if running "$s"; then printf '%-9s running (pid %s)\n' "$s" "$(cat "$L/run/$s.pid")"; else printf '%-9s stopped\n' "$s"; all=1; fi
  done
  [ -f "$L/clouds.yaml" ] && printf 'Trove %s, %s; clouds.yaml: %s (cloud trove-lab, Keystone :%s, Glance :%s, Trove :%s)\n' "$RELEASE" "$DB" "$L/clouds.yaml" "$KEYSTONE_PORT" "$GLANCE_PORT" "$TROVE_PORT"
  return $all
}

one_service() { # one_service start|stop NAME
  [ -f "$L/clouds.yaml" ] || { log "no lab in $L: run up first"; return 1; }
  case " ${SERVICES[*]} " in *" ${2:-} "*) ;; *) log "usage: $0 $1 $(IFS='|'; echo "${SERVICES[*]}")"; return 2 ;; esac
  if [ "$1" = stop ]; then stop_service "$2"; log "$2 stopped"; return 0; fi
  running "$2" && { log "$2 already running"; return 0; }
  start_service "$2"
  wait_service "$2"
  log "$2 started"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  start | stop) one_service "$1" "${2:-}" ;;
  *) echo "usage: $0 up|down|status|start SERVICE|stop SERVICE" >&2; exit 2 ;;
esac
