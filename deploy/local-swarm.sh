#!/usr/bin/env bash
# local-swarm.sh — a real multi-node Docker Swarm on one Linux machine (see DESIGN.md §7).
#
# Every node is its own dockerd (with its own managed containerd) running in its own network
# namespace, wired to a host bridge. A Debian `docker-registry` on the bridge address serves the
# test images so nodes really pull, with real digests. The system's /var/run/docker.sock is never
# used: every docker call below names its engine with -H.
set -euo pipefail

readonly PROG="local-swarm"
readonly STATE="${LOCAL_SWARM_STATE:-/var/lib/controlplane-swarm}"
readonly BRIDGE="cpswarm0"
readonly SUBNET_PREFIX="10.99.0"            # this /24 is reserved for us
readonly BRIDGE_IP="${SUBNET_PREFIX}.1"
readonly REGISTRY_ADDR="${BRIDGE_IP}:5000"
readonly MANAGER_IP="${SUBNET_PREFIX}.11"
readonly DEFAULT_NODES=3
readonly IMAGE_REPO="${REGISTRY_ADDR}/demo/app"
readonly REGISTRY_DIR="${STATE}/registry"
# The manager also listens here with TLS and client-certificate verification (docker --tlsverify).
readonly TLS_PORT=2376
readonly TLS_DIR="${STATE}/tls"
readonly TLS_ENDPOINT="tcp://${MANAGER_IP}:${TLS_PORT}"

# Timeouts (seconds); overridable for slow machines.
readonly DOCKERD_START_TIMEOUT="${LOCAL_SWARM_DOCKERD_TIMEOUT:-60}"
readonly DOCKERD_STOP_TIMEOUT="${LOCAL_SWARM_STOP_TIMEOUT:-20}"
readonly SWARM_READY_TIMEOUT="${LOCAL_SWARM_READY_TIMEOUT:-60}"
readonly REGISTRY_TIMEOUT=20

# dockerd, runc, ip, iptables live in sbin dirs, which a non-login PATH may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
# Legacy builder: the daemon is 20.10 and no buildx plugin can be assumed for the CLI.
export DOCKER_BUILDKIT=0
# Never let an ambient DOCKER_HOST/context leak into our calls (-H is always given anyway).
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH || true

# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------
log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
warn() { printf '%s: WARNING: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "$PROG" "$*" >&2; exit 1; }

usage() {
  cat <<EOF
Usage: deploy/local-swarm.sh <command> [options]

A real multi-node Docker Swarm on this machine: one dockerd per node, each in its own network
namespace on bridge ${BRIDGE} (${SUBNET_PREFIX}.0/24), plus a registry at ${REGISTRY_ADDR}.
Needs root. State lives in \${LOCAL_SWARM_STATE:-/var/lib/controlplane-swarm} (now: ${STATE}).

Commands:
  up [--nodes N]    Create/repair the swarm (default N=${DEFAULT_NODES}; node 1 = manager, rest workers),
                    start the registry and push ${IMAGE_REPO}:{1,2,broken}.
                    Idempotent: healthy nodes are kept, stale leftovers are cleaned.
  down              Stop everything and delete all state, namespaces, links and rules.
  status            Show nodes, the manager's 'docker node ls' and the registry.
                    Exit 0 if all up, 1 otherwise.
  env               Print KEY=value lines for callers (engines, registry, and the manager's
                    TLS endpoint ${TLS_ENDPOINT} with the CA and client certificate in \$STATE/tls):
                      set -a; eval "\$(deploy/local-swarm.sh env)"; set +a
  stop-node I       Stop node I's dockerd (keeps its state, netns and swarm membership).
  start-node I      Start node I's dockerd again and wait until it answers.
  --help, -h        This text.

Images: ${IMAGE_REPO}:1 and :2 serve "version N" on :8080 and exit at once on SIGTERM;
        ${IMAGE_REPO}:broken exits non-zero at once.
EOF
}

node_name() { printf 'cp-node%s' "$1"; }
node_dir() { printf '%s/%s' "$STATE" "$(node_name "$1")"; }
node_sock() { printf '%s/docker.sock' "$(node_dir "$1")"; }
node_host() { printf 'unix://%s' "$(node_sock "$1")"; }
node_pidfile() { printf '%s/docker.pid' "$(node_dir "$1")"; }
node_ip() { printf '%s.%s' "$SUBNET_PREFIX" "$((10 + $1))"; }
node_veth() { printf 'cpv%s' "$1"; }
netns_path() { printf '/var/run/netns/%s' "$(node_name "$1")"; }

# docker CLI bound to node I's engine.
dk() { local i="$1"; shift; docker -H "$(node_host "$i")" "$@"; }

# Number of nodes remembered from the last `up` (0 if none).
saved_nodes() {
  if [[ -r "$STATE/nodes" ]]; then cat "$STATE/nodes"; else echo 0; fi
}

# A zombie counts as dead: PID 1 of some sandboxes reaps orphans only now and then, and
# kill -0 succeeds on a zombie.
pid_alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}
pid_dead() { ! pid_alive "$1"; }

# PID from a pid file, empty if missing or dead.
read_live_pid() {
  local f="$1" pid
  [[ -r "$f" ]] || return 0
  pid="$(tr -dc '0-9' <"$f")"
  if pid_alive "$pid"; then echo "$pid"; fi
}

dockerd_pid() { read_live_pid "$(node_pidfile "$1")"; }

dockerd_answers() { dk "$1" info --format '{{.ID}}' >/dev/null 2>&1; }

# The manager's TLS listener answers a client that presents our client certificate.
tls_answers() {
  docker --tlsverify --tlscacert "$TLS_DIR/ca.pem" --tlscert "$TLS_DIR/cert.pem" --tlskey "$TLS_DIR/key.pem" \
    -H "$TLS_ENDPOINT" info --format '{{.ID}}' >/dev/null 2>&1
}

swarm_state() { dk "$1" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo "unreachable"; }

# Wait until a command succeeds; `wait_for <timeout> <what> <cmd...>`.
wait_for() {
  local timeout="$1" what="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      warn "timed out after ${timeout}s waiting for: $what"
      return 1
    fi
    sleep 0.5
  done
}

# Wait for a pid to exit; SIGKILL it after the timeout.
wait_pid_exit_or_kill() {
  local pid="$1" timeout="$2" what="$3"
  local deadline=$((SECONDS + timeout))
  while pid_alive "$pid"; do
    if ((SECONDS >= deadline)); then
      warn "$what (pid $pid) still running after ${timeout}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      wait_for 10 "$what (pid $pid) to die after SIGKILL" pid_dead "$pid" ||
        die "$what (pid $pid) survives SIGKILL"
      return 0
    fi
    sleep 0.2
  done
}

require_root() { [[ $EUID -eq 0 ]] || die "this command needs root (network namespaces, mounts, dockerd)"; }

# ---------------------------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------------------------
# command -> Debian package that provides it
declare -A PKG_OF=(
  [dockerd]=docker.io [containerd]=containerd [runc]=runc [docker]=docker.io
  [docker-registry]=docker-registry [ip]=iproute2 [nsenter]=util-linux [unshare]=util-linux
  [openssl]=openssl
)

missing_prereqs() {
  local c
  for c in "${!PKG_OF[@]}"; do
    command -v "$c" >/dev/null 2>&1 || echo "$c:${PKG_OF[$c]}"
  done
  # The images need a *static* busybox at /bin/busybox (copied into FROM-scratch images).
  if [[ ! -x /bin/busybox ]] || ! /bin/busybox --help >/dev/null 2>&1 ||
    { command -v ldd >/dev/null 2>&1 && ldd /bin/busybox >/dev/null 2>&1; }; then
    echo "busybox(static, /bin/busybox):busybox-static"
  fi
}

apt_install() {
  log "installing: $*"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y "$@" >&2; then
    log "apt-get install failed, running apt-get update and retrying"
    apt-get update >&2
    apt-get install -y "$@" >&2
  fi
}

ensure_prereqs() {
  local missing
  missing="$(missing_prereqs)"
  if [[ -n "$missing" ]]; then
    if [[ $EUID -ne 0 ]]; then
      log "missing commands (command:package):"
      printf '  %s\n' $missing >&2
      die "install them with: apt-get install -y docker.io busybox-static docker-registry iproute2 util-linux openssl"
    fi
    log "missing: $(echo $missing | tr '\n' ' ')"
    apt_install docker.io busybox-static docker-registry iproute2 util-linux openssl
    missing="$(missing_prereqs)"
    [[ -z "$missing" ]] || die "still missing after install: $(echo $missing)"
  fi
  if ! command -v iptables >/dev/null 2>&1; then
    apt_install iptables || warn "iptables unavailable; skipping FORWARD rules (nodes may not reach each other if FORWARD policy is DROP)"
  fi
}

# ---------------------------------------------------------------------------------------------
# Network: bridge, netns, veth, iptables
# ---------------------------------------------------------------------------------------------
ensure_bridge() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    log "creating bridge $BRIDGE ($BRIDGE_IP/24)"
    ip link add "$BRIDGE" type bridge
  fi
  ip addr replace "$BRIDGE_IP/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # Node-to-node traffic is bridged, but the registry and anything routed needs forwarding on.
  sysctl -qw net.ipv4.ip_forward=1 >/dev/null
  ensure_iptables
}

# Rules we own; each is "<table-args> <chain> <match...>". Also used by `down` to remove them.
iptables_rules() {
  # A system dockerd may set FORWARD policy to DROP; with br_netfilter loaded even bridged frames
  # traverse FORWARD. Accept traffic from the bridge to itself, and routed traffic to/from it.
  echo "FORWARD -i $BRIDGE -o $BRIDGE -j ACCEPT"
  echo "FORWARD -i $BRIDGE -j ACCEPT"
  echo "FORWARD -o $BRIDGE -j ACCEPT"
}

ensure_iptables() {
  command -v iptables >/dev/null 2>&1 || { warn "iptables missing, not adding FORWARD rules"; return 0; }
  local rule
  while read -r rule; do
    # shellcheck disable=SC2086  # rule is a word list on purpose
    iptables -C $rule 2>/dev/null || iptables -I $rule || warn "could not add iptables rule: $rule"
  done < <(iptables_rules)
}

remove_iptables() {
  command -v iptables >/dev/null 2>&1 || return 0
  local rule
  while read -r rule; do
    # shellcheck disable=SC2086
    while iptables -C $rule 2>/dev/null; do iptables -D $rule || break; done
  done < <(iptables_rules)
}

ensure_node_net() {
  local i="$1" ns veth ip
  ns="$(node_name "$i")"; veth="$(node_veth "$i")"; ip="$(node_ip "$i")"
  if [[ ! -e "$(netns_path "$i")" ]] || ! ip netns exec "$ns" true 2>/dev/null; then
    ip netns del "$ns" 2>/dev/null || true
    ip netns add "$ns"
  fi
  if ! ip -n "$ns" link show eth0 >/dev/null 2>&1; then
    ip link del "$veth" 2>/dev/null || true
    log "$ns: veth $veth <-> eth0 ($ip/24)"
    ip link add "$veth" type veth peer name "${veth}n"
    ip link set "${veth}n" netns "$ns"
    ip -n "$ns" link set "${veth}n" name eth0
  fi
  ip link set "$veth" master "$BRIDGE"
  ip link set "$veth" up
  ip -n "$ns" addr replace "$ip/24" dev eth0
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route replace default via "$BRIDGE_IP"
}

remove_node_net() {
  local i="$1"
  ip netns del "$(node_name "$i")" 2>/dev/null || true
  ip link del "$(node_veth "$i")" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# Stale process / mount cleanup
# ---------------------------------------------------------------------------------------------
# PIDs of our daemons (dockerd, containerd, containerd-shim*, runc, docker-registry) whose command
# line mentions $1. Filtering on the process name keeps us from killing e.g. a `docker -H` client
# or a `tail -f` of a log that happens to name the same directory.
pids_referencing() {
  local needle="$1" p cmd comm
  for p in /proc/[0-9]*; do
    comm="$(cat "$p/comm" 2>/dev/null)" || continue
    case "$comm" in
      dockerd | containerd* | runc | docker-registry | docker-proxy) ;;
      *) continue ;;
    esac
    cmd="$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" || continue
    [[ "$cmd" == *"$needle"* ]] && echo "${p#/proc/}"
  done
  return 0
}

# PIDs of container processes whose root filesystem lives under $1. From the host,
# /proc/<pid>/root of a container reads "/", so look at the process's own mount table instead:
# its "/" mount is the overlay whose options name the node's data root.
pids_rooted_under() {
  local dir="$1" p
  for p in /proc/[0-9]*; do
    awk -v d="$dir/" '$5 == "/" && index($0, d) { found = 1 } END { exit !found }' \
      "$p/mountinfo" 2>/dev/null && echo "${p#/proc/}"
  done
  return 0
}

kill_pids() {
  local what="$1" p; shift
  (($# > 0)) || return 0
  log "killing leftover $what: $*"
  kill -KILL "$@" 2>/dev/null || true
  for p in "$@"; do
    wait_for 10 "$what (pid $p) to exit after SIGKILL" pid_dead "$p" || true
  done
}

# Unmount everything mounted under $1, deepest first; lazy unmount as the fallback.
umount_under() {
  local dir="$1" m
  local -a mounts
  # mountinfo field 5 is the mount point (octal-escaped; our paths have no spaces).
  mapfile -t mounts < <(awk -v d="$dir/" 'index($5, d) == 1 || $5 == substr(d, 1, length(d)-1) {print $5}' \
    /proc/self/mountinfo | awk '{print length, $0}' | sort -rn | cut -d' ' -f2- | uniq)
  for m in "${mounts[@]}"; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || warn "could not unmount $m"
  done
}

# Kill everything of node I (whatever state it is in) and release its mounts and network.
# Keeps the node's data dir, so its swarm identity survives.
cleanup_node_runtime() {
  local i="$1" dir pid
  dir="$(node_dir "$i")"
  pid="$(dockerd_pid "$i")"
  if [[ -n "$pid" ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_pid_exit_or_kill "$pid" "$DOCKERD_STOP_TIMEOUT" "dockerd of $(node_name "$i")"
  fi
  # dockerd/containerd/shims of a killed run, then the containers they left behind.
  # shellcheck disable=SC2046
  kill_pids "processes of $(node_name "$i")" $(pids_referencing "$dir/")
  # shellcheck disable=SC2046
  kill_pids "containers of $(node_name "$i")" $(pids_rooted_under "$dir")
  umount_under "$dir"
  # dockerd trusts exec/containerd/containerd.pid: if that pid still "exists" (e.g. a zombie not
  # yet reaped after a kill -9) it waits forever for that containerd instead of starting its own.
  rm -f "$dir/docker.pid" "$dir/docker.sock" "$dir/exec/containerd/containerd.pid"
}

# ---------------------------------------------------------------------------------------------
# TLS material for the manager's tcp:// listener
# ---------------------------------------------------------------------------------------------
readonly TLS_FILES="ca.pem server-cert.pem server-key.pem cert.pem key.pem"

tls_complete() {
  local f
  for f in $TLS_FILES; do [[ -s "$TLS_DIR/$f" ]] || return 1; done
}

# A test CA, a server certificate for the manager and a client certificate, once per state dir:
# keeping them lets a running manager (and callers' exported paths) stay valid across `up`s.
ensure_tls() {
  if tls_complete; then
    return 0
  fi
  log "generating test CA, server and client certificates in $TLS_DIR"
  # Built aside and moved in whole, so an interrupted run never leaves a half set behind.
  local tmp
  tmp="$(mktemp -d "$STATE/tls.XXXXXX")"
  (
    set -e
    cd "$tmp"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 -subj "/CN=controlplane local-swarm test CA" \
      -keyout ca-key.pem -out ca.pem 2>/dev/null
    openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/CN=cp-node1" \
      -keyout server-key.pem -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:%s,DNS:cp-node1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' \
      "$MANAGER_IP" >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 -sha256 \
      -extfile server.ext -out server-cert.pem 2>/dev/null
    openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/CN=controlplane test client" \
      -keyout key.pem -out client.csr 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 -sha256 \
      -extfile client.ext -out cert.pem 2>/dev/null
    rm -f ./*.csr ./*.ext ./*.srl
    chmod 0600 ./*key.pem
    chmod 0644 ca.pem server-cert.pem cert.pem
  ) || { rm -rf "$tmp"; die "openssl could not generate the TLS material"; }
  rm -rf "$TLS_DIR"
  mv "$tmp" "$TLS_DIR"
  chmod 0755 "$TLS_DIR"
}

# ---------------------------------------------------------------------------------------------
# dockerd per node
# ---------------------------------------------------------------------------------------------
start_dockerd() {
  local i="$1" name dir
  name="$(node_name "$i")"; dir="$(node_dir "$i")"
  mkdir -p "$dir/data" "$dir/exec"
  # Own config file so a system /etc/docker/daemon.json can never interfere; own trust key so
  # every engine has its own engine ID (the default /etc/docker/key.json would be shared).
  [[ -f "$dir/daemon.json" ]] || printf '{\n  "deprecated-key-path": "%s/key.json"\n}\n' "$dir" >"$dir/daemon.json"
  rm -f "$dir/docker.pid" "$dir/docker.sock"
  # The manager also serves the Engine API over TLS, requiring a client certificate from our CA.
  local -a tls_args=()
  if ((i == 1)); then
    ensure_tls
    tls_args=(-H "$TLS_ENDPOINT" --tlsverify --tlscacert "$TLS_DIR/ca.pem"
      --tlscert "$TLS_DIR/server-cert.pem" --tlskey "$TLS_DIR/server-key.pem")
  fi
  log "$name: starting dockerd ($(node_ip "$i"), socket $(node_sock "$i")${tls_args:+, TLS $TLS_ENDPOINT})"
  # nsenter --net (not `ip netns exec`, which remounts /sys and breaks dockerd's cgroup checks);
  # unshare --uts so the node gets its own hostname = swarm node name. Without --containerd,
  # dockerd starts its own managed containerd under --exec-root, one per node.
  # NO_PROXY: pulls from our registry must never go through a proxy.
  (
    cd /
    exec setsid nohup env NO_PROXY="${BRIDGE_IP},${SUBNET_PREFIX}.0/24,localhost,127.0.0.1" \
      no_proxy="${BRIDGE_IP},${SUBNET_PREFIX}.0/24,localhost,127.0.0.1" \
      nsenter --net="$(netns_path "$i")" unshare --uts \
      sh -c 'hostname "$0"; exec "$@"' "$name" \
      dockerd \
      --config-file "$dir/daemon.json" \
      --data-root "$dir/data" \
      --exec-root "$dir/exec" \
      --pidfile "$dir/docker.pid" \
      -H "unix://$dir/docker.sock" "${tls_args[@]}" \
      --bridge=none --iptables=false --ip-masq=false \
      --insecure-registry "$REGISTRY_ADDR" \
      >>"$dir/dockerd.log" 2>&1 </dev/null
  ) &
  if ! wait_for "$DOCKERD_START_TIMEOUT" "dockerd of $name to answer" dockerd_answers "$i"; then
    log "last lines of $dir/dockerd.log:"
    tail -n 30 "$dir/dockerd.log" >&2 || true
    die "dockerd of $name did not start"
  fi
  if ((i == 1)) && ! wait_for "$DOCKERD_START_TIMEOUT" "TLS listener at $TLS_ENDPOINT" tls_answers; then
    tail -n 30 "$dir/dockerd.log" >&2 || true
    die "dockerd of $name does not answer TLS clients at $TLS_ENDPOINT"
  fi
}

stop_dockerd() {
  local i="$1" pid
  pid="$(dockerd_pid "$i")"
  if [[ -z "$pid" ]]; then
    log "$(node_name "$i"): dockerd not running"
    return 0
  fi
  log "$(node_name "$i"): stopping dockerd (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  # dockerd stops its containers and its managed containerd before it exits.
  wait_pid_exit_or_kill "$pid" "$DOCKERD_STOP_TIMEOUT" "dockerd of $(node_name "$i")"
  # If it had to be SIGKILLed, its containerd/shims may linger.
  # shellcheck disable=SC2046
  kill_pids "processes of $(node_name "$i")" $(pids_referencing "$(node_dir "$i")/")
  rm -f "$(node_sock "$i")"
}

# The manager counts as healthy only with its TLS listener (and today's certificates): a manager
# started by an older version of this script, or before the TLS material was regenerated, is
# restarted by `up`/`start-node`.
node_healthy() {
  local i="$1"
  [[ -n "$(dockerd_pid "$i")" ]] && [[ -e "$(netns_path "$i")" ]] && dockerd_answers "$i" &&
    { ((i != 1)) || { tls_complete && tls_answers; }; }
}

# Bring node I to "dockerd running and answering", reusing a healthy one.
ensure_node() {
  local i="$1"
  if node_healthy "$i"; then
    log "$(node_name "$i"): dockerd already running (pid $(dockerd_pid "$i")), keeping it"
    ensure_node_net "$i"   # idempotent; repairs the host side (e.g. bridge recreated)
    return 0
  fi
  cleanup_node_runtime "$i"
  remove_node_net "$i"
  ensure_node_net "$i"
  start_dockerd "$i"
}

# ---------------------------------------------------------------------------------------------
# Swarm
# ---------------------------------------------------------------------------------------------
# After a restart a node is "pending" for a moment before it is "active" again.
wait_swarm_settled() {
  local i="$1" timeout="$2"
  wait_for "$timeout" "$(node_name "$i") swarm state to settle" swarm_not_pending "$i"
}

swarm_not_pending() { [[ "$(swarm_state "$1")" != pending ]]; }

ensure_manager() {
  wait_swarm_settled 1 30 || true
  local st
  st="$(swarm_state 1)"
  if [[ "$st" == active ]] && [[ "$(dk 1 info --format '{{.Swarm.ControlAvailable}}')" == true ]]; then
    log "cp-node1: already swarm manager"
    return 0
  fi
  if [[ "$st" != inactive ]]; then
    log "cp-node1: swarm state '$st', leaving and re-initialising"
    dk 1 swarm leave --force >/dev/null 2>&1 || true
  fi
  log "cp-node1: docker swarm init --advertise-addr $MANAGER_IP"
  dk 1 swarm init --advertise-addr "$MANAGER_IP" --listen-addr "$MANAGER_IP:2377" >/dev/null
}

manager_node_ids() { dk 1 node ls --format '{{.ID}}' 2>/dev/null; }

ensure_worker() {
  local i="$1" st id token
  wait_swarm_settled "$i" 30 || true
  st="$(swarm_state "$i")"
  id="$(dk "$i" info --format '{{.Swarm.NodeID}}' 2>/dev/null || true)"
  if [[ "$st" == active && -n "$id" ]] && manager_node_ids | grep -qx "$id"; then
    log "$(node_name "$i"): already in the swarm"
    return 0
  fi
  if [[ "$st" != inactive ]]; then
    # Member of another (older) swarm, or stuck: start over.
    log "$(node_name "$i"): swarm state '$st' not in this swarm, leaving"
    dk "$i" swarm leave --force >/dev/null 2>&1 || true
  fi
  token="$(dk 1 swarm join-token -q worker)"
  log "$(node_name "$i"): joining swarm as worker"
  dk "$i" swarm join --token "$token" --advertise-addr "$(node_ip "$i")" \
    --listen-addr "$(node_ip "$i"):2377" "$MANAGER_IP:2377" >/dev/null ||
    die "$(node_name "$i") could not join the swarm (check iptables FORWARD and $(node_dir "$i")/dockerd.log)"
}

# Drop node entries that no live engine owns any more (e.g. left behind by a re-join).
prune_stale_swarm_nodes() {
  local n="$1" i live="" id
  for ((i = 1; i <= n; i++)); do
    live+="$(dk "$i" info --format '{{.Swarm.NodeID}}' 2>/dev/null) "
  done
  for id in $(manager_node_ids); do
    if [[ " $live " != *" $id "* ]]; then
      log "removing stale swarm node entry $id"
      dk 1 node rm --force "$id" >/dev/null 2>&1 || true
    fi
  done
}

ready_count() { dk 1 node ls --format '{{.Status}}' 2>/dev/null | grep -cx Ready || true; }
nodes_ready() { (($(ready_count) >= $1)); }

wait_nodes_ready() {
  local n="$1"
  if ! wait_for "$SWARM_READY_TIMEOUT" "$n swarm nodes Ready" nodes_ready "$n"; then
    dk 1 node ls >&2 || true
    die "swarm has $(ready_count) of $n nodes Ready"
  fi
  log "swarm: $n nodes Ready"
}

# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------
registry_pid() { read_live_pid "$REGISTRY_DIR/registry.pid"; }
registry_answers() { curl -fsS --noproxy '*' -m 2 "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; }

ensure_registry() {
  if [[ -n "$(registry_pid)" ]] && registry_answers; then
    log "registry already running at $REGISTRY_ADDR (pid $(registry_pid))"
    return 0
  fi
  stop_registry
  mkdir -p "$REGISTRY_DIR/data"
  cat >"$REGISTRY_DIR/config.yml" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR/data
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
EOF
  log "starting registry at $REGISTRY_ADDR"
  # setsid (not a group leader here, so it execs) -> the pid of $! is the registry's own pid.
  setsid nohup docker-registry serve "$REGISTRY_DIR/config.yml" >>"$REGISTRY_DIR/registry.log" 2>&1 </dev/null &
  echo $! >"$REGISTRY_DIR/registry.pid"
  if ! wait_for "$REGISTRY_TIMEOUT" "registry at $REGISTRY_ADDR" registry_answers; then
    tail -n 20 "$REGISTRY_DIR/registry.log" >&2 || true
    die "registry did not start"
  fi
}

stop_registry() {
  local pid
  pid="$(registry_pid)"
  if [[ -n "$pid" ]]; then
    log "stopping registry (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    wait_pid_exit_or_kill "$pid" 10 "registry"
  fi
  # A registry of a killed run whose pid file is gone/stale.
  # shellcheck disable=SC2046
  kill_pids "registry processes" $(pids_referencing "$REGISTRY_DIR/config.yml")
  rm -f "$REGISTRY_DIR/registry.pid"
}

# ---------------------------------------------------------------------------------------------
# Test images
# ---------------------------------------------------------------------------------------------
registry_has_tags() {
  local tags
  tags="$(curl -fsS --noproxy '*' -m 5 "http://$REGISTRY_ADDR/v2/demo/app/tags/list" 2>/dev/null)" || return 1
  [[ "$tags" == *'"1"'* && "$tags" == *'"2"'* && "$tags" == *'"broken"'* ]]
}

write_image_context() {
  local ctx="$1"
  cp /bin/busybox "$ctx/busybox"
  # The entrypoint lives in a file: a JSON-form CMD holding a double quote silently becomes
  # shell form (DESIGN §7). The trap makes PID 1 exit at once on SIGTERM instead of waiting
  # out the 10 s grace period; `sleep & wait` lets the trap run while "sleeping".
  cat >"$ctx/entrypoint.sh" <<'EOF'
#!/bin/sh
VERSION="$(cat /version)"
if [ "$VERSION" = broken ]; then
  echo "demo app: broken image, exiting with 3" >&2
  exit 3
fi
trap 'echo "demo app $VERSION: stopping"; exit 0' TERM INT
mkdir -p /www
echo "version $VERSION" > /www/index.html
httpd -f -p 8080 -h /www &
echo "demo app version $VERSION serving on :8080 (host $(hostname))"
while :; do
  sleep 1 &
  wait $!
done
EOF
  chmod +x "$ctx/entrypoint.sh"
  cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY entrypoint.sh /entrypoint.sh
ARG VERSION
# Different content per version -> different image digests.
RUN echo "$VERSION" > /version
ENV APP_VERSION=$VERSION
LABEL org.opencontainers.image.title="controlplane demo app" org.opencontainers.image.version="$VERSION"
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/entrypoint.sh"]
EOF
}

ensure_images() {
  if registry_has_tags; then
    log "registry already has $IMAGE_REPO:{1,2,broken}"
  else
    local ctx v
    ctx="$(mktemp -d /tmp/local-swarm-img.XXXXXX)"
    BUILD_CTX="$ctx"   # removed by the EXIT trap, also when a build fails
    write_image_context "$ctx"
    for v in 1 2 broken; do
      log "building and pushing $IMAGE_REPO:$v"
      # Output only on failure (the legacy builder also prints a deprecation notice each time).
      if ! dk 1 build -q --build-arg "VERSION=$v" -t "$IMAGE_REPO:$v" "$ctx" >"$ctx/build.log" 2>&1; then
        cat "$ctx/build.log" >&2
        die "build of $IMAGE_REPO:$v failed"
      fi
      dk 1 push "$IMAGE_REPO:$v" >/dev/null || die "push of $IMAGE_REPO:$v failed"
    done
    registry_has_tags || die "registry does not list the pushed tags"
  fi
  # Prove that a worker really pulls from the registry.
  local w
  w="$(($(saved_nodes) >= 2 ? 2 : 1))"
  dk "$w" pull -q "$IMAGE_REPO:1" >/dev/null || die "$(node_name "$w") cannot pull $IMAGE_REPO:1"
  log "$(node_name "$w") pulled $IMAGE_REPO:1 from the registry"
}

# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------
cmd_up() {
  local n="$DEFAULT_NODES"
  while (($# > 0)); do
    case "$1" in
      --nodes) [[ $# -ge 2 ]] || die "--nodes needs a number"; n="$2"; shift 2 ;;
      --nodes=*) n="${1#--nodes=}"; shift ;;
      *) die "unknown option for up: $1" ;;
    esac
  done
  [[ "$n" =~ ^[1-9][0-9]*$ ]] && ((n <= 200)) || die "--nodes must be between 1 and 200"
  ensure_prereqs
  require_root
  local start=$SECONDS old i
  old="$(saved_nodes)"
  mkdir -p "$STATE"
  ensure_bridge
  # Fewer nodes than last time: retire the extra ones.
  for ((i = n + 1; i <= old; i++)); do
    log "$(node_name "$i"): not wanted any more (--nodes $n), removing"
    destroy_node "$i"
  done
  echo "$n" >"$STATE/nodes"
  ensure_tls
  for ((i = 1; i <= n; i++)); do ensure_node "$i"; done
  ensure_manager
  for ((i = 2; i <= n; i++)); do ensure_worker "$i"; done
  prune_stale_swarm_nodes "$n"
  wait_nodes_ready "$n"
  ensure_registry
  ensure_images
  log "up: done in $((SECONDS - start))s"
  {
    echo
    echo "local swarm is up: $n node(s), manager $(node_name 1) at $MANAGER_IP, registry $REGISTRY_ADDR"
    dk 1 node ls
    echo
    echo "Use it with:  set -a; eval \"\$($SELF env)\"; set +a"
    echo
  } >&2
  cmd_env
}

destroy_node() {
  local i="$1"
  stop_dockerd "$i"
  cleanup_node_runtime "$i"
  remove_node_net "$i"
  rm -rf "$(node_dir "$i")"
}

cmd_down() {
  require_root
  local n i d pid
  n="$(saved_nodes)"
  # Also catch node dirs beyond the remembered count (e.g. an interrupted `up --nodes`).
  for d in "$STATE"/cp-node*; do
    [[ -d "$d" ]] || continue
    i="${d##*/cp-node}"
    [[ "$i" =~ ^[0-9]+$ ]] && ((i > n)) && n="$i"
  done
  # SIGTERM all engines first so they shut down in parallel, then wait for each.
  for ((i = 1; i <= n; i++)); do
    pid="$(dockerd_pid "$i")"
    [[ -z "$pid" ]] || kill -TERM "$pid" 2>/dev/null || true
  done
  for ((i = 1; i <= n; i++)); do stop_dockerd "$i"; done
  for ((i = 1; i <= n; i++)); do cleanup_node_runtime "$i"; remove_node_net "$i"; done
  # Namespaces of ours that survived a lost state dir.
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^cp-node[0-9]+$/ {print $1}'); do
    ip netns del "$ns" 2>/dev/null || true
  done
  for d in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^cpv[0-9]+$' || true); do
    ip link del "$d" 2>/dev/null || true
  done
  stop_registry
  # Anything still referencing the state dir (containerd, shims, containers).
  if [[ -d "$STATE" ]]; then
    # shellcheck disable=SC2046
    kill_pids "processes under $STATE" $(pids_referencing "$STATE/")
    # shellcheck disable=SC2046
    kill_pids "containers under $STATE" $(pids_rooted_under "$STATE")
    umount_under "$STATE"
  fi
  ip link del "$BRIDGE" 2>/dev/null || true
  remove_iptables
  rm -rf "$STATE"
  log "down: everything removed"
}

cmd_status() {
  local n i ok=0 pid
  n="$(saved_nodes)"
  if ((n == 0)); then
    echo "local swarm: not set up (no $STATE/nodes)"
    return 1
  fi
  for ((i = 1; i <= n; i++)); do
    pid="$(dockerd_pid "$i")"
    if [[ -n "$pid" ]] && dockerd_answers "$i"; then
      echo "$(node_name "$i") ($(node_ip "$i")): dockerd running, pid $pid, swarm $(swarm_state "$i")"
    elif [[ -n "$pid" ]]; then
      echo "$(node_name "$i") ($(node_ip "$i")): dockerd pid $pid NOT answering"; ok=1
    else
      echo "$(node_name "$i") ($(node_ip "$i")): dockerd NOT running"; ok=1
    fi
  done
  echo "manager's node list:"
  if dk 1 node ls 2>/dev/null; then
    (($(ready_count) >= n)) || ok=1
  else
    echo "  (manager unreachable)"; ok=1
  fi
  if tls_complete && tls_answers; then
    echo "manager TLS: $TLS_ENDPOINT answers with the client certificate in $TLS_DIR"
  else
    echo "manager TLS: $TLS_ENDPOINT NOT answering"; ok=1
  fi
  if [[ -n "$(registry_pid)" ]] && registry_answers; then
    echo "registry: up at $REGISTRY_ADDR (pid $(registry_pid))"
  else
    echo "registry: DOWN"; ok=1
  fi
  return "$ok"
}

cmd_env() {
  local n i socks=""
  n="$(saved_nodes)"
  ((n > 0)) || n="$DEFAULT_NODES"
  for ((i = 1; i <= n; i++)); do socks+="${socks:+,}$(node_host "$i")"; done
  echo "DOCKER_HOST=$(node_host 1)"
  echo "CONTROLPLANE_REGISTRY=$REGISTRY_ADDR"
  echo "CONTROLPLANE_NODE_SOCKETS=$socks"
  echo "CONTROLPLANE_TLS_ENDPOINT=$TLS_ENDPOINT"
  echo "CONTROLPLANE_TLS_CA=$TLS_DIR/ca.pem"
  echo "CONTROLPLANE_TLS_CERT=$TLS_DIR/cert.pem"
  echo "CONTROLPLANE_TLS_KEY=$TLS_DIR/key.pem"
}

node_arg() {
  local i="${1:-}" n
  n="$(saved_nodes)"
  [[ "$i" =~ ^[0-9]+$ ]] && ((i >= 1 && i <= n)) || die "node index must be 1..$n (got '${i}')"
  echo "$i"
}

cmd_stop_node() {
  require_root
  local i
  i="$(node_arg "${1:-}")"
  stop_dockerd "$i"
}

cmd_start_node() {
  require_root
  local i
  i="$(node_arg "${1:-}")"
  if node_healthy "$i"; then
    log "$(node_name "$i"): dockerd already running"
    return 0
  fi
  ensure_bridge
  # node_healthy said no: a manager may still run without the TLS listener; cleanup stops it.
  cleanup_node_runtime "$i"
  ensure_node_net "$i"
  start_dockerd "$i"
  wait_swarm_settled "$i" 60 || warn "$(node_name "$i") swarm state is still '$(swarm_state "$i")'"
  log "$(node_name "$i"): dockerd up, swarm $(swarm_state "$i")"
  # A restarted manager reports every worker "Unknown" until they reconnect (a few seconds);
  # wait until all nodes whose dockerd runs are Ready again, so callers see a settled swarm.
  # Stopped nodes are not waited for (a test may keep one down on purpose).
  if [[ -n "$(dockerd_pid 1)" ]]; then
    local want
    want="$(running_node_count)"
    if wait_for "$SWARM_READY_TIMEOUT" "$want running nodes Ready" nodes_ready "$want"; then
      log "swarm: $(ready_count) node(s) Ready"
    else
      warn "swarm has $(ready_count) Ready node(s), expected $want"
    fi
  fi
}

running_node_count() {
  local i n c=0
  n="$(saved_nodes)"
  for ((i = 1; i <= n; i++)); do [[ -z "$(dockerd_pid "$i")" ]] || c=$((c + 1)); done
  echo "$c"
}

SELF="$(readlink -f "${BASH_SOURCE[0]}")"
readonly SELF
BUILD_CTX=""
trap '[[ -z "$BUILD_CTX" ]] || rm -rf "$BUILD_CTX"' EXIT

main() {
  local cmd="${1:-}"
  (($# > 0)) && shift
  case "$cmd" in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) cmd_env ;;
    stop-node) cmd_stop_node "$@" ;;
    start-node) cmd_start_node "$@" ;;
    -h | --help | help) usage ;;
    "") usage >&2; exit 2 ;;
    *) log "unknown command: $cmd"; usage >&2; exit 2 ;;
  esac
}

main "$@"
