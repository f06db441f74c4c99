#!/usr/bin/env bash
# The local lab: real Keystone (uwsgi), Glance API and Trove API from Debian 12's packages, on 127.0.0.1 only, with
# SQLite and no message bus; plus what the `lab` stack needs besides a cloud: a private Docker engine (for the
# registry container and the backup image builds), an "upstream" registry on 127.0.0.1:5001 holding small stand-in
# datastore images (there may be no Docker Hub), a guest image file and a stand-in Trove source tree. Our test bed,
# and the way to try pulumi-trove without a cloud.
#   lab.sh up      install the packages if missing (root), start everything, write clouds.yaml and openrc
#   lab.sh status  what runs
#   lab.sh down    stop what `up` started, by PID, and remove the lab directory
#   lab.sh stop SERVICE / lab.sh start SERVICE   stop or start one service (keystone, glance, trove), keeping data
# State lives in $TROVE_LAB_DIR (default: /tmp/pulumi-trove-lab, the paths stacks/Pulumi.lab.yaml names). Facts and pitfalls behind each step:
# ../shared/reference/openstack-lab-notes.md (uwsgi without threads, Connection: close, SQLite WAL, /usr/bin/python3).
set -Eeuo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
L=${TROVE_LAB_DIR:-/tmp/pulumi-trove-lab}
PY=/usr/bin/python3
ADMIN_PASSWORD=${TROVE_LAB_ADMIN_PASSWORD:-lab-admin-pw}
SERVICE_PASSWORD=lab-service-pw
PACKAGES=(keystone glance-api trove-api python3-openstackclient python3-troveclient python3-glanceclient uwsgi-plugin-python3 sqlite3 curl
  docker.io docker-registry skopeo busybox-static qemu-utils)
SERVICES=(keystone glance trove upstream docker)
DOCKER_SOCK_REL=docker/docker.sock

log() { printf 'lab: %s\n' "$*" >&2; }

running() { # running NAME: the PID file names a live process
  [ -f "$L/run/$1.pid" ] && kill -0 "$(cat "$L/run/$1.pid")" 2>/dev/null
}

wait_http() { # wait_http URL SECONDS
  local deadline=$((SECONDS + $2))
  until curl -s -o /dev/null "$1"; do
    [ "$SECONDS" -lt "$deadline" ] || { log "no answer from $1 after $2 s; see $L/log/"; return 1; }
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

write_configs() {
  mkdir -p "$L"/{keystone/fernet-keys,keystone/credential-keys,glance/images,trove,log,run,bin}
  cat > "$L/keystone/keystone.conf" <<CONF
[DEFAULT]
log_file = $L/log/keystone.log
[database]
connection = sqlite:///$L/keystone/keystone.db
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
  local authtoken
  authtoken() { cat <<CONF
[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:5000/v3
auth_url = http://127.0.0.1:5000/v3
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
bind_port = 9292
workers = 0
log_file = $L/log/glance-api.log
[database]
connection = sqlite:///$L/glance/glance.db
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
bind_port = 8779
trove_api_workers = 1
transport_url = fake://
log_file = $L/log/trove-api.log
api_paste_config = /etc/trove/api-paste.ini
[database]
connection = sqlite:///$L/trove/trove.db
$(authtoken trove)
[service_credentials]
auth_url = http://127.0.0.1:5000/v3
username = trove
password = $SERVICE_PASSWORD
project_name = service
project_domain_name = Default
user_domain_name = Default
region_name = RegionOne
CONF
  # trove-manage on Python 3.11 needs inspect.getargspec (pitfall 4); a shim, nothing in /usr patched.
  cat > "$L/bin/trove-manage" <<SHIM
#!$PY
import inspect, sys
inspect.getargspec = getattr(inspect, "getargspec", inspect.getfullargspec)
from trove.cmd.manage import main
sys.exit(main())
SHIM
  chmod 755 "$L/bin/trove-manage"
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
}

start_bg() { # start_bg NAME LOGFILE COMMAND...
  local name=$1 logfile=$2; shift 2
  setsid "$@" > "$logfile" 2>&1 < /dev/null &
  echo $! > "$L/run/$name.pid"
}

wal() { sqlite3 "$1" 'PRAGMA journal_mode=WAL;' > /dev/null; }

register_services() {
  "$PY" - <<PYREG
from keystoneauth1 import session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client
auth = v3.Password(auth_url="http://127.0.0.1:5000/v3", username="admin", password="$ADMIN_PASSWORD",
                   project_name="admin", user_domain_name="Default", project_domain_name="Default")
ks = client.Client(session=session.Session(auth=auth))
project = ks.projects.create("service", "default")
admin = ks.roles.find(name="admin")
for name in ("glance", "trove"):
    user = ks.users.create(name, domain="default", password="$SERVICE_PASSWORD", default_project=project)
    ks.roles.grant(admin, user=user, project=project)
for stype, name, url in (("image", "glance", "http://127.0.0.1:9292"), ("database", "trove", "http://127.0.0.1:8779/v1.0/%(tenant_id)s")):
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
      auth_url: http://127.0.0.1:5000/v3
      username: admin
      password: $ADMIN_PASSWORD
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    identity_api_version: 3
YAML
  cat > "$L/openrc" <<RC
export OS_AUTH_URL=http://127.0.0.1:5000/v3 OS_USERNAME=admin OS_PASSWORD=$ADMIN_PASSWORD OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME=RegionOne OS_IDENTITY_API_VERSION=3
export OS_CLIENT_CONFIG_FILE=$L/clouds.yaml
export DOCKER_HOST=unix://$L/$DOCKER_SOCK_REL
RC
}

up() {
  if running keystone && running glance && running trove && running upstream && running docker; then log "already running in $L"; write_client_files; return 0; fi
  down_quietly
  install_packages
  for port in 5000 9292 8779 5001 4000; do
    if curl -s -o /dev/null "http://127.0.0.1:$port/"; then log "port $port is taken by something else; stop it first"; return 1; fi
  done
  local t0=$SECONDS
  rm -rf "$L"; write_configs; prepare_assets
  trap 'log "start-up failed; stopping what started (logs: $L/log)"; stop_all; exit 1' ERR
  keystone-manage --config-file "$L/keystone/keystone.conf" db_sync 2>> "$L/log/manage.log"
  wal "$L/keystone/keystone.db"
  # Glance and Trove sync their databases while Keystone bootstraps.
  ( glance-manage --config-file "$L/glance/glance-api.conf" db_sync >> "$L/log/manage.log" 2>&1 && wal "$L/glance/glance.db" ) &
  local glance_sync=$!
  ( "$L/bin/trove-manage" --config-file "$L/trove/trove.conf" db_sync >> "$L/log/manage.log" 2>&1 && wal "$L/trove/trove.db" ) &
  local trove_sync=$!
  keystone-manage --config-file "$L/keystone/keystone.conf" bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
    --bootstrap-admin-url http://127.0.0.1:5000/v3/ --bootstrap-internal-url http://127.0.0.1:5000/v3/ \
    --bootstrap-public-url http://127.0.0.1:5000/v3/ --bootstrap-region-id RegionOne >> "$L/log/manage.log" 2>&1
  start_service keystone
  start_service upstream
  start_service docker
  wait "$glance_sync"; start_service glance
  wait "$trove_sync"; start_service trove
  wait_http http://127.0.0.1:5000/v3 60
  register_services
  wait_http http://127.0.0.1:9292/ 60
  wait_http http://127.0.0.1:8779/ 60
  wait_service upstream
  seed_upstream
  wait_service docker
  ensure_registry_image
  trap - ERR
  write_client_files
  log "up in $((SECONDS - t0)) s: Keystone :5000, Glance :9292, Trove :8779, upstream registry :5001 on 127.0.0.1; Docker at unix://$L/$DOCKER_SOCK_REL"
  log "use it: source $L/openrc   (or OS_CLIENT_CONFIG_FILE=$L/clouds.yaml OS_CLOUD=trove-lab)"
}

prepare_assets() {
  mkdir -p "$L/images" "$L/trove-source/backup" "$L/upstream" "$L/registry" "$L/docker/root" "$L/docker/exec"
  # A guest image made locally: the lab checks the pipeline, not database instances.
  qemu-img create -q -f qcow2 "$L/images/trove-guest-ubuntu-jammy-dev.qcow2" 16M
  # A stand-in Trove source tree: backup/Dockerfile shaped like Trove's (build args DATASTORE, DATASTORE_VERSION)
  # and Trove's own validation-rules.json files, from the installed python3-trove.
  cat > "$L/trove-source/backup/Dockerfile" <<'DOCKERFILE'
FROM 127.0.0.1:5001/mysql:5.7.29
ARG DATASTORE="mysql"
ARG DATASTORE_VERSION="5.7"
COPY . /opt/trove/backup
RUN echo "$DATASTORE $DATASTORE_VERSION" > /etc/backup-info
DOCKERFILE
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
  addr: 127.0.0.1:5001
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
  (cd "$root" && node_modules/.bin/tsx scripts/lab/stand-in-images.ts 127.0.0.1:5001 mysql:5.7.29 mariadb:10.4 postgres:12 > "$L/log/upstream-seed.log")
}

start_service() { # start_service NAME
  case "$1" in
    upstream) start_bg upstream "$L/log/upstream-registry.log" docker-registry serve "$L/upstream/config.yml" ;;
    # A private engine: its own data root and socket, vfs, no bridge and no iptables changes; only loopback is used.
    docker) start_bg docker "$L/log/dockerd.log" dockerd --data-root "$L/docker/root" --exec-root "$L/docker/exec" \
      --pidfile "$L/docker/dockerd.pid" -H "unix://$L/$DOCKER_SOCK_REL" --storage-driver=vfs --iptables=false \
      --ip6tables=false --bridge=none --ip-masq=false ;;
    # One process, no threads: SQLite objects must stay in their thread (pitfall 2); Connection: close (pitfall 6).
    keystone) start_bg keystone "$L/log/keystone-uwsgi.log" uwsgi --plugin python3 --http-socket 127.0.0.1:5000 \
      --wsgi-file /usr/bin/keystone-wsgi-public --env "OS_KEYSTONE_CONFIG_DIR=$L/keystone" --processes 1 \
      --buffer-size 65535 --add-header "Connection: close" --die-on-term --need-app ;;
    glance) start_bg glance "$L/log/glance-stdout.log" glance-api --config-file "$L/glance/glance-api.conf" ;;
    trove) start_bg trove "$L/log/trove-stdout.log" trove-api --config-file "$L/trove/trove.conf" ;;
    *) log "unknown service $1 (keystone, glance, trove, upstream, docker)"; return 2 ;;
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
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$L/run/$1.pid"
  if [ "$1" = docker ]; then umount "$L/docker/exec/netns/default" 2>/dev/null || true; fi
}

stop_all() {
  for s in "${SERVICES[@]}"; do stop_service "$s"; done
}

port_of() { case "$1" in keystone) echo 5000 ;; glance) echo 9292 ;; trove) echo 8779 ;; upstream) echo 5001 ;; esac; }

wait_service() { # wait_service NAME
  if [ "$1" = docker ]; then
    local deadline=$((SECONDS + 60))
    until docker_lab info > /dev/null 2>&1; do
      [ "$SECONDS" -lt "$deadline" ] || { log "dockerd did not start; see $L/log/dockerd.log"; return 1; }
      sleep 0.2
    done
  else
    wait_http "http://127.0.0.1:$(port_of "$1")/" 60
  fi
}

down_quietly() { [ -d "$L/run" ] && stop_all; return 0; }

down() { down_quietly; rm -rf "$L"; log "stopped and removed $L"; }

status() {
  local all=0
  for s in "${SERVICES[@]}"; do
    if running "$s"; then printf '%-9s running (pid %s)\n' "$s" "$(cat "$L/run/$s.pid")"; else printf '%-9s stopped\n' "$s"; all=1; fi
  done
  [ -f "$L/clouds.yaml" ] && printf 'clouds.yaml: %s (cloud trove-lab)\n' "$L/clouds.yaml"
  return $all
}

one_service() { # one_service start|stop NAME
  [ -f "$L/clouds.yaml" ] || { log "no lab in $L: run up first"; return 1; }
  case "${2:-}" in keystone | glance | trove | upstream | docker) ;; *) log "usage: $0 $1 keystone|glance|trove|upstream|docker"; return 2 ;; esac
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
