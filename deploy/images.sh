#!/usr/bin/env bash
# images.sh — the images deploy/stack.yml needs, built here without any public registry (DESIGN §8).
#
# No registry but Debian's and NuGet's is reachable from these machines, so the base images that Microsoft's
# and Docker's official ones would be are made from Debian packages: `mmdebstrap` → `docker import` on the local
# swarm's cp-node2 engine, then a small Dockerfile in deploy/images/ adds what each needs (this machine's .NET for
# the runtime and the SDK; PostgreSQL and Redis from Debian). They are pushed to the local swarm's registry, and
# deploy/Dockerfile — unchanged, only its base images given as build arguments — builds ControlPlane on that engine.
#
#   deploy/images.sh base      the Debian-built bases (cached: skipped when the registry has them)
#   deploy/images.sh app [TAG] ControlPlane itself from this checkout (always rebuilt; layers cached)
#   deploy/images.sh all [TAG]
#
# On a real swarm none of this is needed: deploy/Dockerfile's defaults are mcr.microsoft.com's images.
set -euo pipefail

readonly PROG="images"
readonly ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly STATE="${LOCAL_SWARM_STATE:-/var/lib/controlplane-swarm}"
# The images build on cp-node2's engine: tests/run.sh builds them while the Docker tests run, and those stop and
# restart cp-node1 and cp-node3 (EngineOutageTests), which broke a build's upload midway. No test stops cp-node2.
readonly ENGINE="${CONTROLPLANE_BUILD_ENGINE:-unix://${STATE}/cp-node2/docker.sock}"
readonly REGISTRY="${CONTROLPLANE_REGISTRY:-10.99.0.1:5000}"
readonly CACHE="${CONTROLPLANE_IMAGE_CACHE:-/var/cache/controlplane-images}"
readonly MIRROR="${CONTROLPLANE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
readonly DOTNET_ROOT_HOST="${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}"
# The images' names: what deploy/stack.yml and the Dockerfile's build arguments use on the local swarm.
readonly RUNTIME_IMAGE="${REGISTRY}/controlplane-base/aspnet:10.0"
readonly SDK_IMAGE="${REGISTRY}/controlplane-base/sdk:10.0"
readonly POSTGRES_IMAGE="${REGISTRY}/controlplane-base/postgres:15"
readonly REDIS_IMAGE="${REGISTRY}/controlplane-base/redis:7"
readonly APP_REPO="${REGISTRY}/controlplane/controlplane"
# The build containers' CPU weight (1024 is Docker's default): tests/run.sh builds at a low weight beside the tests.
readonly CPU_SHARES="${CONTROLPLANE_BUILD_CPU_SHARES:-1024}"

export DOCKER_BUILDKIT=0   # the engines are 20.10, and no buildx plugin is assumed
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH || true

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "$PROG" "$*" >&2; exit 1; }
dk() { /usr/bin/docker -H "$ENGINE" "$@"; }
elapsed() { printf '%ss' "$(( $(date +%s) - $1 ))"; }

# True when the registry already holds the tag (so a base is built once per registry, not once per deploy).
in_registry() {
  local image="$1" repo tag
  repo="${image#"$REGISTRY"/}"; tag="${repo##*:}"; repo="${repo%:*}"
  curl -fs -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://${REGISTRY}/v2/${repo}/manifests/${tag}"
}

# A Debian bookworm root file system with the given packages, imported as an image on the build engine.
rootfs() {
  local name="$1" packages="$2" tarball="${CACHE}/${1}.tar" started
  mkdir -p "$CACHE"
  if [[ ! -s "$tarball" ]]; then
    command -v mmdebstrap >/dev/null || die "mmdebstrap is missing: apt-get install mmdebstrap"
    started=$(date +%s)
    log "mmdebstrap ${name} (${packages})"
    mmdebstrap --quiet --format=tar --variant=minbase --include="$packages" \
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
      bookworm "${tarball}.partial" "$MIRROR"
    mv "${tarball}.partial" "$tarball"
    log "mmdebstrap ${name}: $(elapsed "$started"), $(du -h "$tarball" | cut -f1)"
  fi
  dk import "$tarball" "controlplane-rootfs/${name}:bookworm" >/dev/null
}

# Builds deploy/images/<dir> (plus extra files copied into a scratch context) and pushes it.
build_push() {
  local image="$1" dir="$2" context="$3" started
  started=$(date +%s)
  cp -a "${ROOT}/deploy/images/${dir}/." "$context/"
  dk build --network none --cpu-shares "$CPU_SHARES" -q -t "$image" "$context" >/dev/null
  dk push "$image" >/dev/null
  log "built and pushed ${image}: $(elapsed "$started")"
}

build_bases() {
  local all_started context
  all_started=$(date +%s)
  # The three file systems are independent: make them at once.
  local pids=()
  in_registry "$RUNTIME_IMAGE" && in_registry "$SDK_IMAGE" || { rootfs dotnet "ca-certificates,libicu72,libssl3,tzdata,bash" & pids+=($!); }
  in_registry "$POSTGRES_IMAGE" || { rootfs postgres "postgresql,tzdata,locales" & pids+=($!); }
  in_registry "$REDIS_IMAGE" || { rootfs redis "redis-server,tzdata" & pids+=($!); }
  for pid in "${pids[@]}"; do wait "$pid" || die "a root file system failed to build"; done

  if ! in_registry "$RUNTIME_IMAGE"; then
    context=$(mktemp -d)
    # The machine's own .NET runtime, as Microsoft's aspnet image carries it.
    mkdir -p "$context/dotnet/shared"
    cp -a "$DOTNET_ROOT_HOST/dotnet" "$DOTNET_ROOT_HOST/host" "$DOTNET_ROOT_HOST/LICENSE.txt" "$context/dotnet/"
    cp -a "$DOTNET_ROOT_HOST/shared/Microsoft.NETCore.App" "$DOTNET_ROOT_HOST/shared/Microsoft.AspNetCore.App" "$context/dotnet/shared/"
    build_push "$RUNTIME_IMAGE" aspnet "$context"
    rm -rf "$context"
  fi
  if ! in_registry "$SDK_IMAGE"; then
    context=$(mktemp -d)
    # The whole SDK, and every NuGet package ControlPlane restores: a build container has no network here,
    # and NuGet restores from its packages folder without asking a feed when every exact version is there.
    cp -a "$DOTNET_ROOT_HOST" "$context/dotnet"
    local started; started=$(date +%s)
    # Restored from a copy of the project files (the set deploy/Dockerfile copies before its restore): a restore
    # rewrites each project's obj/project.assets.json to name its packages folder, and the tests build the same
    # projects meanwhile from the working tree, which must keep naming the machine's own folder.
    mkdir -p "$context/restore"
    (cd "$ROOT" && cp --parents global.json Directory.Build.props Directory.Packages.props src/*/*.csproj "$context/restore/")
    dotnet restore "$context/restore/src/ControlPlane.Web/ControlPlane.Web.csproj" --packages "$context/nuget" >/dev/null
    rm -rf "$context/restore"
    log "NuGet packages for the SDK image: $(elapsed "$started"), $(du -sh "$context/nuget" | cut -f1)"
    build_push "$SDK_IMAGE" sdk "$context"
    rm -rf "$context"
  fi
  if ! in_registry "$POSTGRES_IMAGE"; then
    context=$(mktemp -d); build_push "$POSTGRES_IMAGE" postgres "$context"; rm -rf "$context"
  fi
  if ! in_registry "$REDIS_IMAGE"; then
    context=$(mktemp -d); build_push "$REDIS_IMAGE" redis "$context"; rm -rf "$context"
  fi
  log "base images ready: $(elapsed "$all_started")"
}

build_app() {
  local tag="${1:-latest}" started
  started=$(date +%s)
  # The same Dockerfile as on a real swarm; only the base images differ.
  dk build --network none --cpu-shares "$CPU_SHARES" -q -f "${ROOT}/deploy/Dockerfile" \
    --build-arg "SDK_IMAGE=${SDK_IMAGE}" --build-arg "RUNTIME_IMAGE=${RUNTIME_IMAGE}" \
    -t "${APP_REPO}:${tag}" "$ROOT" >/dev/null
  dk push "${APP_REPO}:${tag}" >/dev/null
  log "built and pushed ${APP_REPO}:${tag}: $(elapsed "$started")"
}

case "${1:-}" in
  base) build_bases ;;
  app) build_app "${2:-latest}" ;;
  all) build_bases; build_app "${2:-latest}" ;;
  names) printf 'RUNTIME_IMAGE=%s\nSDK_IMAGE=%s\nPOSTGRES_IMAGE=%s\nREDIS_IMAGE=%s\nAPP_REPO=%s\n' \
           "$RUNTIME_IMAGE" "$SDK_IMAGE" "$POSTGRES_IMAGE" "$REDIS_IMAGE" "$APP_REPO" ;;
  *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
