# shellcheck shell=bash
# The private registry, for the scripts that push to it (publish-images.sh, through images.sh). They read it from
# the environment: REGISTRY_ADDRESS (host:port), REGISTRY_USERNAME and REGISTRY_PASSWORD (optional),
# REGISTRY_CA_PEM (optional, the CA that signed its certificate), REGISTRY_INSECURE (true: plain HTTP or an
# untrusted certificate), REGISTRY_WAIT_SECONDS (how long the first request waits for it to answer; default 60).

# registry_options: turns the credentials and CA into skopeo options, $reg_opts (for inspect) and $dest_opts (for
# copy), in files under $work only (make_work first): nothing secret reaches argv or output.
# shellcheck disable=SC2154 # $work is lib.sh's, made by make_work in the including script
registry_options() {
  reg_opts=(); dest_opts=()
  if [ "${REGISTRY_INSECURE:-false}" = true ]; then reg_opts+=(--tls-verify=false); dest_opts+=(--dest-tls-verify=false); fi
  if [ -n "${REGISTRY_PASSWORD:-}" ]; then
    local auth
    auth=$(printf '%s:%s' "${REGISTRY_USERNAME:-}" "$REGISTRY_PASSWORD" | base64 -w0)
    printf '{"auths":{"%s":{"auth":"%s"}}}' "$REGISTRY_ADDRESS" "$auth" > "$work/auth.json"
    reg_opts+=(--authfile "$work/auth.json"); dest_opts+=(--dest-authfile "$work/auth.json")
  fi
  if [ -n "${REGISTRY_CA_PEM:-}" ]; then
    mkdir -p "$work/certs"; printf '%s\n' "$REGISTRY_CA_PEM" > "$work/certs/ca.crt"
    reg_opts+=(--cert-dir "$work/certs"); dest_opts+=(--dest-cert-dir "$work/certs")
  fi
}

# first_contact ERRFILE CMD…: runs CMD with its stderr in ERRFILE. While CMD fails because nothing answers at
# REGISTRY_ADDRESS yet (connection refused or reset, EOF) and REGISTRY_WAIT_SECONDS have not passed, it says so and
# tries again, pausing 1, 2, … up to 5 s. Any answer ends the wait, a refusal (401, denied) included: a wrong
# password is never retried.
first_contact() {
  local err=$1; shift
  local waited=0 pause=1 budget=${REGISTRY_WAIT_SECONDS:-60}
  while :; do
    if "$@" 2> "$err"; then return 0; fi
    if grep -qiE '(^|[^0-9])401([^0-9]|$)|unauthorized|authentication required|denied' "$err"; then return 1; fi
    if ! grep -qiE 'connection refused|connection reset|(^|[^A-Za-z])EOF' "$err"; then return 1; fi
    if [ "$waited" -ge "$budget" ]; then return 1; fi
    echo "pulumi-trove: registry ${REGISTRY_ADDRESS} does not answer yet; trying again in ${pause}s" >&2
    sleep "$pause"; waited=$((waited + pause)); if [ "$pause" -lt 5 ]; then pause=$((pause + 1)); fi
  done
}
