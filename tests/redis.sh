#!/usr/bin/env bash
# A real Redis for the replica tests (the SignalR backplane): installs Debian's redis-server when missing (root),
# starts one on 127.0.0.1:6390 (its own port and directory, apart from any system Redis), and prints
# CONTROLPLANE_TEST_REDIS=… for the tests. Usage: tests/redis.sh up | down
set -euo pipefail

port=6390
dir=/tmp/controlplane-test-redis
log() { echo "tests/redis.sh: $*" >&2; }

up() {
  if ! command -v redis-server >/dev/null 2>&1; then
    if [[ $EUID -ne 0 ]]; then
      log "redis-server is not installed; run as root or: apt-get install redis-server"
      exit 1
    fi
    log "installing redis-server"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
  fi
  if ! redis-cli -p "$port" ping >/dev/null 2>&1; then
    mkdir -p "$dir"
    # No persistence: the backplane only passes messages on.
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
    for _ in $(seq 1 30); do
      redis-cli -p "$port" ping >/dev/null 2>&1 && break
      sleep 0.2
    done
  fi
  redis-cli -p "$port" ping >/dev/null || { log "redis-server did not answer on port $port"; exit 1; }
  echo "CONTROLPLANE_TEST_REDIS='127.0.0.1:$port'"
}

down() {
  if command -v redis-cli >/dev/null 2>&1; then
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: tests/redis.sh up|down" >&2; exit 2 ;;
esac
