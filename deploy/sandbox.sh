#!/usr/bin/env bash
# One command to see ControlPlane work: brings the local swarm up (if it is not), deploys a few demo
# services, and runs ControlPlane against it in the foreground. Ctrl+C stops ControlPlane; the swarm
# keeps running (deploy/local-swarm.sh down removes it).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
swarm="$root/deploy/local-swarm.sh"
port="${CONTROLPLANE_PORT:-5080}"
# The sandbox keeps its own database, so its admin password is known: change it at /account if you keep the sandbox.
export ControlPlane__Database__ConnectionString="${ControlPlane__Database__ConnectionString:-Data Source=$root/.state/sandbox.db}"
export ControlPlane__Bootstrap__AdminPassword="${ControlPlane__Bootstrap__AdminPassword:-sandbox-admin-password}"
# The Docker API endpoint for the user's own docker CLI (client bundles from the account page), on loopback only.
docker_api_port="${CONTROLPLANE_DOCKER_API_PORT:-2376}"
export ControlPlane__DockerApi__Url="${ControlPlane__DockerApi__Url:-https://127.0.0.1:$docker_api_port}"
export ControlPlane__DockerApi__Hostnames__0="${ControlPlane__DockerApi__Hostnames__0:-127.0.0.1}"
mkdir -p "$root/.state"

log() { echo "sandbox: $*" >&2; }

if ! command -v dotnet >/dev/null 2>&1; then
  log "the .NET 10 SDK (dotnet) is not on PATH; install it first"
  exit 1
fi

"$swarm" up
set -a
eval "$("$swarm" env)"
set +a
docker() { command docker -H "$DOCKER_HOST" "$@"; }

exists() { docker "$1" inspect "$2" >/dev/null 2>&1; }

# Demo services live in the stack "demo" (the label docker stack deploy sets), so they group together.
stack=(--label com.docker.stack.namespace=demo --container-label com.docker.stack.namespace=demo)

if ! exists secret demo-db-password.v1; then
  log "creating secret family demo-db-password (version 1)"
  head -c 24 /dev/urandom | base64 | docker secret create \
    --label controlplane.family=demo-db-password --label controlplane.version=1 demo-db-password.v1 - >/dev/null
fi
if ! exists service demo_web; then
  log "creating demo_web: 3 replicas of demo/app:1"
  docker service create --detach --name demo_web "${stack[@]}" --replicas 3 \
    --update-parallelism 1 --update-delay 2s "$CONTROLPLANE_REGISTRY/demo/app:1" >/dev/null
fi
if ! exists service demo_api; then
  log "creating demo_api: 2 replicas reading the secret at /run/secrets/db_password"
  docker service create --detach --name demo_api "${stack[@]}" --replicas 2 \
    --secret source=demo-db-password.v1,target=db_password,mode=0400 "$CONTROLPLANE_REGISTRY/demo/app:2" >/dev/null
fi
if ! exists service demo_agent; then
  log "creating demo_agent: a global service, one task per node"
  docker service create --detach --name demo_agent "${stack[@]}" --mode global "$CONTROLPLANE_REGISTRY/demo/app:1" >/dev/null
fi

cat >&2 <<MSG

  ControlPlane is starting against the local swarm ($DOCKER_HOST).

    Open      http://localhost:$port
    Sign in   as admin, password: $ControlPlane__Bootstrap__AdminPassword
              (set on the sandbox database's first start; if you changed it since, use yours)

  Try it: in another shell, run
    set -a; eval "\$(deploy/local-swarm.sh env)"; set +a
    docker service scale demo_web=5
  and watch the Services page change without a reload. Ctrl+C stops ControlPlane.

  Your own docker CLI through ControlPlane: create a client bundle on your account page, unzip it, then
    source env.sh && docker service ls     (the Docker API endpoint is $ControlPlane__DockerApi__Url)

MSG

cd "$root"
exec dotnet run --project src/ControlPlane.Web --launch-profile http --urls "http://localhost:$port"
