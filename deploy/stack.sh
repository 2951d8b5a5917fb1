#!/usr/bin/env bash
# stack.sh — ControlPlane as a 3-replica stack on the local test swarm (deploy/local-swarm.sh), with PostgreSQL and
# Redis, from images built here (deploy/images.sh). The swarm is shared: this touches only the stack named
# ${CONTROLPLANE_STACK:-controlplane}, its secrets, configs and volumes, never the swarm itself.
#
#   deploy/stack.sh up       build what is missing, deploy, wait until every replica is healthy, print the URLs
#   deploy/stack.sh status   services, tasks, and /healthz of each replica
#   deploy/stack.sh down     remove the stack (keeps its volumes and secrets dir; `down --volumes` drops both)
#   deploy/stack.sh env      the replicas' URLs, the nodes' engines and the admin password file, for the stack tests
#
# The bootstrap admin's password is CONTROLPLANE_ADMIN_PASSWORD, or one generated at the first `up` and printed
# that once (it stays in the secrets directory, readable by root only).
set -euo pipefail

readonly PROG="stack"
readonly ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly STACK="${CONTROLPLANE_STACK:-controlplane}"
readonly STATE="${LOCAL_SWARM_STATE:-/var/lib/controlplane-swarm}"
readonly ENGINE="unix://${STATE}/cp-node1/docker.sock"
readonly STACK_STATE="${CONTROLPLANE_STACK_STATE:-/var/lib/controlplane-stack/${STACK}}"
readonly MANAGER_IP="10.99.0.11"
readonly NODE_IPS=(10.99.0.11 10.99.0.12 10.99.0.13)
readonly HTTP_PORT="${CONTROLPLANE_HTTP_PORT:-18080}"
readonly HTTPS_PORT="${CONTROLPLANE_HTTPS_PORT:-18443}"
readonly POSTGRES_PORT="${CONTROLPLANE_POSTGRES_PORT:-15432}"
readonly REDIS_PORT="${CONTROLPLANE_REDIS_PORT:-16379}"
readonly UP_TIMEOUT="${CONTROLPLANE_STACK_TIMEOUT:-300}"

export DOCKER_BUILDKIT=0
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH || true

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "$PROG" "$*" >&2; exit 1; }
# The Debian CLI (20.10), like the engines.
dk() { /usr/bin/docker -H "$ENGINE" "$@"; }

require_swarm() {
  dk info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null | grep -q true \
    || die "the local swarm is not up (deploy/local-swarm.sh up); this script never starts or stops it"
}

random() { head -c "$1" /dev/urandom | base64 | tr -d '/+=\n' | head -c "$2"; }

# Secrets and settings, made once and kept, so a second `up` deploys the same (Docker secrets cannot change in place).
prepare_state() {
  umask 077
  mkdir -p "$STACK_STATE"
  local dir="$STACK_STATE"
  if [[ ! -s "$dir/db_password" ]]; then
    random 48 40 > "$dir/db_password"
  fi
  printf 'Host=%s;Port=%s;Database=controlplane;Username=postgres;Password=%s' \
    "$MANAGER_IP" "$POSTGRES_PORT" "$(cat "$dir/db_password")" > "$dir/db_connection"
  if [[ ! -s "$dir/admin_password" ]]; then
    if [[ -n "${CONTROLPLANE_ADMIN_PASSWORD:-}" ]]; then
      printf '%s' "$CONTROLPLANE_ADMIN_PASSWORD" > "$dir/admin_password"
    else
      random 48 24 > "$dir/admin_password"
      # Shown by the first `up` that gets as far as printing, then never again.
      touch "$dir/admin_password.unshown"
    fi
  elif [[ -n "${CONTROLPLANE_ADMIN_PASSWORD:-}" && "$CONTROLPLANE_ADMIN_PASSWORD" != "$(cat "$dir/admin_password")" ]]; then
    log "CONTROLPLANE_ADMIN_PASSWORD differs from the first up's; the bootstrap admin is made once, on an empty database, so the first one stands (down --volumes starts afresh)"
  fi
  [[ -s "$dir/audit_key" ]] || head -c 32 /dev/urandom > "$dir/audit_key"
  [[ -s "$dir/metrics_token" ]] || random 48 40 > "$dir/metrics_token"
  if [[ ! -s "$dir/tls_cert.pem" ]]; then
    # Self-signed for the nodes' addresses: the session cookie is Secure, so browsers sign in over HTTPS only.
    openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=ControlPlane (local swarm)" \
      -addext "subjectAltName=IP:${NODE_IPS[0]},IP:${NODE_IPS[1]},IP:${NODE_IPS[2]},DNS:localhost" \
      -keyout "$dir/tls_key.pem" -out "$dir/tls_cert.pem" 2>/dev/null
  fi
  cp "$STATE/tls/ca.pem" "$dir/engine_ca.pem"
  cp "$STATE/tls/cert.pem" "$dir/engine_cert.pem"
  cp "$STATE/tls/key.pem" "$dir/engine_key.pem"
  cat > "$dir/settings.json" <<JSON
{
  "ControlPlane": {
    "Clusters": [
      {
        "Name": "local",
        "Endpoints": [ "tcp://${MANAGER_IP}:2376" ],
        "Tls": { "CaFile": "/run/secrets/controlplane_engine_ca", "CertFile": "/run/secrets/controlplane_engine_cert", "KeyFile": "/run/secrets/controlplane_engine_key" }
      }
    ],
    "Database": { "Provider": "Postgres", "ConnectionStringFile": "/run/secrets/controlplane_db_connection" },
    "Bootstrap": { "AdminUser": "admin", "AdminPasswordFile": "/run/secrets/controlplane_admin_password" },
    "Audit": { "KeyFile": "/run/secrets/controlplane_audit_key" },
    "Metrics": { "TokenFile": "/run/secrets/controlplane_metrics_token" },
    "SignalR": { "Redis": "${MANAGER_IP}:${REDIS_PORT}" }
  }
}
JSON
  umask 022
}

# Healthy replicas: tasks running whose container's health check passes.
healthy_replicas() {
  local count=0 ip
  for ip in "${NODE_IPS[@]}"; do
    curl -fsk -m 3 -o /dev/null "https://${ip}:${HTTPS_PORT}/healthz" && count=$((count + 1))
  done
  printf '%s' "$count"
}

up() {
  require_swarm
  local started tag
  started=$(date +%s)
  "${ROOT}/deploy/images.sh" base
  # The app image is tagged by the commit (plus "-dirty" for local edits), so an `up` after a change rolls out.
  tag="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo dev)"
  git -C "$ROOT" diff --quiet HEAD -- src deploy/Dockerfile 2>/dev/null || tag="${tag}-dirty-$(date +%s)"
  "${ROOT}/deploy/images.sh" app "$tag"
  eval "$("${ROOT}/deploy/images.sh" names)"
  prepare_state
  local deploy_started; deploy_started=$(date +%s)
  CONTROLPLANE_IMAGE="${APP_REPO}:${tag}" POSTGRES_IMAGE="$POSTGRES_IMAGE" REDIS_IMAGE="$REDIS_IMAGE" \
  SECRETS_DIR="$STACK_STATE" CONTROLPLANE_HTTP_PORT="$HTTP_PORT" CONTROLPLANE_HTTPS_PORT="$HTTPS_PORT" \
  CONTROLPLANE_POSTGRES_PORT="$POSTGRES_PORT" CONTROLPLANE_REDIS_PORT="$REDIS_PORT" \
    dk stack deploy --prune --with-registry-auth -c "${ROOT}/deploy/stack.local.yml" "$STACK" >/dev/null
  log "deployed ${STACK} (${APP_REPO}:${tag}); waiting for 3 healthy replicas"
  local deadline=$(( $(date +%s) + UP_TIMEOUT )) healthy=0
  while (( $(date +%s) < deadline )); do
    healthy=$(healthy_replicas)
    # And swarm agrees (a task with a health check counts as running only once healthy), with any rolling update done.
    [[ "$healthy" == 3 && "$(dk service ls --filter "name=${STACK}_controlplane" --format '{{.Replicas}}')" == 3/3* \
       && "$(dk service inspect "${STACK}_controlplane" --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}')" != *updating* ]] && break
    sleep 2
  done
  [[ "$healthy" == 3 ]] || { status >&2 || true; die "only ${healthy} of 3 replicas answered /healthz within ${UP_TIMEOUT}s"; }
  log "3 replicas healthy: $(( $(date +%s) - deploy_started ))s after deploy, $(( $(date +%s) - started ))s in all"
  printf 'URL: https://%s:%s/  (also https://%s:%s/ and https://%s:%s/; self-signed certificate)\n' \
    "${NODE_IPS[0]}" "$HTTPS_PORT" "${NODE_IPS[1]}" "$HTTPS_PORT" "${NODE_IPS[2]}" "$HTTPS_PORT"
  printf 'Admin: admin\n'
  if [[ -e "$STACK_STATE/admin_password.unshown" ]]; then
    printf 'Password (generated, shown this once): %s\n' "$(cat "$STACK_STATE/admin_password")"
    rm -f "$STACK_STATE/admin_password.unshown"
  fi
  printf 'Metrics: curl -k -H "Authorization: Bearer $(cat %s/metrics_token)" https://%s:%s/metrics\n' "$STACK_STATE" "${NODE_IPS[0]}" "$HTTPS_PORT"
}

status() {
  require_swarm
  dk stack services "$STACK" || true
  dk stack ps "$STACK" --filter desired-state=running --format 'table {{.Name}}\t{{.Node}}\t{{.CurrentState}}\t{{.Error}}' || true
  local ip
  for ip in "${NODE_IPS[@]}"; do
    printf 'https://%s:%s/healthz  %s\n' "$ip" "$HTTPS_PORT" \
      "$(curl -sk -m 3 -o /dev/null -w '%{http_code}' "https://${ip}:${HTTPS_PORT}/healthz" || true)"
  done
}

down() {
  require_swarm
  dk stack rm "$STACK" >/dev/null 2>&1 || true
  # Wait until the stack's containers are gone, so its volumes (and ports) are free again.
  local deadline=$(( $(date +%s) + 60 ))
  while dk stack ps "$STACK" -q 2>/dev/null | grep -q . && (( $(date +%s) < deadline )); do sleep 1; done
  if [[ "${1:-}" == "--volumes" ]]; then
    local node
    for node in 1 2 3; do
      sleep 1
      /usr/bin/docker -H "unix://${STATE}/cp-node${node}/docker.sock" volume rm "${STACK}_postgres" "${STACK}_redis" >/dev/null 2>&1 || true
    done
    rm -rf "$STACK_STATE"
  fi
  log "removed stack ${STACK}"
}

# What tests/ControlPlane.Stack.Tests reads (tests/run.sh exports it): one replica URL and one engine per node, in order.
print_env() {
  local ip urls=() engines=() node
  for ip in "${NODE_IPS[@]}"; do urls+=("https://${ip}:${HTTPS_PORT}/"); done
  for node in 1 2 3; do engines+=("unix://${STATE}/cp-node${node}/docker.sock"); done
  printf 'CONTROLPLANE_STACK=%s\n' "$STACK"
  printf "CONTROLPLANE_STACK_URLS='%s'\n" "${urls[*]}"
  printf "CONTROLPLANE_STACK_NODE_ENGINES='%s'\n" "${engines[*]}"
  printf 'CONTROLPLANE_STACK_ADMIN_PASSWORD_FILE=%s\n' "$STACK_STATE/admin_password"
  printf 'CONTROLPLANE_STACK_METRICS_TOKEN_FILE=%s\n' "$STACK_STATE/metrics_token"
}

case "${1:-}" in
  up) up ;;
  env) print_env ;;
  status) status ;;
  down) shift; down "$@" ;;
  *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
