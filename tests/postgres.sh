#!/usr/bin/env bash
# A real PostgreSQL for the data tests: installs Debian's package when missing (root), starts the
# cluster, creates a role that may create databases, and prints CONTROLPLANE_TEST_POSTGRES=… for the tests.
# Usage: tests/postgres.sh up | down
set -euo pipefail

role=controlplane_test
password=controlplane_test_password
log() { echo "tests/postgres.sh: $*" >&2; }

up() {
  if ! command -v pg_lsclusters >/dev/null 2>&1; then
    if [[ $EUID -ne 0 ]]; then
      log "PostgreSQL is not installed; run as root or: apt-get install postgresql"
      exit 1
    fi
    log "installing postgresql"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }
  fi
  local version cluster
  read -r version cluster _ < <(pg_lsclusters --no-header | head -n 1)
  if [[ -z "${version:-}" ]]; then
    version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
    cluster=main
    pg_createcluster "$version" "$cluster" >/dev/null
  fi
  pg_ctlcluster "$version" "$cluster" start >/dev/null 2>&1 || true
  local port
  port="$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $3}')"
  for _ in $(seq 1 30); do
    runuser -u postgres -- psql -p "$port" -qtAc 'select 1' >/dev/null 2>&1 && break
    sleep 1
  done
  runuser -u postgres -- psql -p "$port" -qtAc \
    "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='$role') THEN CREATE ROLE $role LOGIN CREATEDB PASSWORD '$password'; END IF; END\$\$;" >/dev/null
  # Quoted: the connection string holds semicolons, and callers eval this line.
  echo "CONTROLPLANE_TEST_POSTGRES='Host=127.0.0.1;Port=$port;Username=$role;Password=$password;Database=postgres'"
}

down() {
  if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters --no-header | while read -r version cluster _; do pg_ctlcluster "$version" "$cluster" stop 2>/dev/null || true; done
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: tests/postgres.sh up|down" >&2; exit 2 ;;
esac
