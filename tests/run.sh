#!/usr/bin/env bash
# The test command: brings the local swarm up, runs every test project of the solution against it,
# brings the swarm down again (also when tests fail) and exits with the tests' status.
# Its last line is the totals over all test projects: "N passed, N failed, N skipped".
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
swarm="$root/deploy/local-swarm.sh"
results="$root/artifacts/test-results"

log() { echo "tests/run.sh: $*" >&2; }

if ! command -v dotnet >/dev/null 2>&1; then
  log "the .NET SDK (dotnet) is not on PATH; install .NET 10 first"
  exit 1
fi

# The browser tests drive Debian's Chromium (Playwright cannot download its own browsers here).
if [[ ! -x /usr/bin/chromium ]]; then
  log "installing chromium for the browser tests"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2; then
    log "could not install chromium; the browser tests will fail"
  fi
fi

# The stack tests build ControlPlane's images from Debian packages (deploy/images.sh).
if ! command -v mmdebstrap >/dev/null 2>&1; then
  log "installing mmdebstrap for the stack tests' images"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap; } >&2; then
    log "could not install mmdebstrap; the stack tests will fail"
  fi
fi

if [[ "${KEEP_SWARM:-0}" != 1 ]]; then
  trap '"$root/deploy/stack.sh" down --volumes >&2 || true; "$swarm" down >&2 || log "swarm down failed"; "$root/tests/postgres.sh" down >&2 || true; "$root/tests/redis.sh" down >&2 || true' EXIT
fi
if ! "$swarm" up; then
  log "the local swarm did not come up"
  echo "0 passed, 1 failed"
  exit 1
fi
# The data tests run against SQLite and a real PostgreSQL.
if ! postgres_env="$("$root/tests/postgres.sh" up)"; then
  log "PostgreSQL did not come up"
  echo "0 passed, 1 failed"
  exit 1
fi
# The replica tests pass hub messages between hosts through a real Redis.
if ! redis_env="$("$root/tests/redis.sh" up)"; then
  log "Redis did not come up"
  echo "0 passed, 1 failed"
  exit 1
fi
set -a
eval "$("$swarm" env)"
eval "$postgres_env"
eval "$redis_env"
set +a
export LOCAL_SWARM_SCRIPT="$swarm"

# Screenshots are made anew by every run; a page that left the menu leaves no stale picture behind.
rm -rf "$results" "$root/artifacts/screenshots" "$root/artifacts/screenshots-viewer"
mkdir -p "$root/artifacts"

# ControlPlane's images for the stack tests build meanwhile, on the manager's engine, at a low CPU weight, so that
# they cost the other tests little and the stack tests wait little (a fresh machine makes the Debian bases: minutes).
CONTROLPLANE_BUILD_CPU_SHARES=2 timeout 40m nice -n 19 "$root/deploy/images.sh" all > "$root/artifacts/stack-images.log" 2>&1 &
images=$!

# One project at a time: Docker tests stop and restart nodes of the shared swarm. The stack tests run after them all.
dotnet test "$root/ControlPlane.sln" -m:1 --filter "FullyQualifiedName!~ControlPlane.Stack.Tests" \
  --logger "trx" --logger "console;verbosity=normal" \
  --results-directory "$results" \
  --blame-hang-timeout 10m
status=$?

# ControlPlane as the 3-replica stack on the same swarm (deploy/stack.sh), with replicas and PostgreSQL killed.
stack_status=0
if ! wait "$images"; then
  log "building the stack's images failed:"; tail -n 20 "$root/artifacts/stack-images.log" >&2
  stack_status=1
elif ! CONTROLPLANE_ADMIN_PASSWORD="stack-admin-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" "$root/deploy/stack.sh" up >&2; then
  log "the stack did not come up"
  stack_status=1
else
  set -a
  eval "$("$root/deploy/stack.sh" env)"
  set +a
  dotnet test "$root/tests/ControlPlane.Stack.Tests" --no-build \
    --logger "trx" --logger "console;verbosity=normal" \
    --results-directory "$results" \
    --blame-hang-timeout 10m
  stack_status=$?
fi
[[ $status -eq 0 ]] && status=$stack_status

passed=0 failed=0 skipped=0
shopt -s nullglob
for trx in "$results"/*.trx; do
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  attr() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  total="$(attr total)" executed="$(attr executed)" ok="$(attr passed)" bad="$(attr failed)"
  passed=$((passed + ${ok:-0}))
  failed=$((failed + ${bad:-0}))
  skipped=$((skipped + ${total:-0} - ${executed:-0}))
done
if [[ $status -ne 0 && $failed -eq 0 ]]; then
  # The run failed without a failing test (build error, crash, hang): count it, so it cannot pass for green.
  failed=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
