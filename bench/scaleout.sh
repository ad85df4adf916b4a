#!/usr/bin/env bash
# Scale-out benchmark (docs/scaleout.md): a 3-node nats-server cluster with JetStream on this
# machine, and 1, 2 or 3 diphub nodes with storage.engine: jetstream and cluster.enabled. The
# first node (started by diphub-load) takes the leader lease and serves; the others start once it
# is ready and wait as standbys. diphub-load then measures the leader's throughput over HTTP.
# Usage:
#   bench/scaleout.sh [MESSAGES] [NODES...]       (defaults: 20000 "1 2 3")
#   DIPHUB_BUILD_DIR  the build directory (default: build)
#   SCALEOUT_KEEP     set: keep the work directory (configs, logs)
# Active/standby: extra nodes are standbys (following the stream, cluster.follow_ms), so the
# figure is not expected to grow with nodes (sharding by MPAN across active nodes is the next
# step, not built). Exits 1 when a nats-server does not come up.
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-20000}
shift || true
nodes_list=${*:-1 2 3}
build=${DIPHUB_BUILD_DIR:-build}
load="$build/bench/load/diphub-load"
diphub="$build/diphub"
for f in "$load" "$diphub"; do
  [ -x "$f" ] || { echo "scaleout: $f is not built (scripts/build)" >&2; exit 2; }
done
command -v nats-server >/dev/null || { echo "scaleout: nats-server is not installed" >&2; exit 2; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
trap 'cleanup; [ -n "${SCALEOUT_KEEP:-}" ] && echo "scaleout: kept $work" >&2 || rm -rf "$work"' EXIT
# N distinct free ports: the sockets stay bound until all are chosen, so no port is handed out
# twice (one port picked for two listeners made a nats-server exit, and the run wait for ever).
free_ports() {
  python3 -c 'import socket,sys
ss=[socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1",0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"
}

start_nats() {  # $1: directory
  local dir=$1 i j
  local -a client cluster monitor ports
  read -r -a ports <<<"$(free_ports 9)"
  for i in 0 1 2; do
    client[$i]=${ports[$i]}
    cluster[$i]=${ports[$((i + 3))]}
    monitor[$i]=${ports[$((i + 6))]}
  done
  for i in 0 1 2; do
    local routes=""
    for j in 0 1 2; do [ "$i" = "$j" ] || routes="$routes nats-route://127.0.0.1:${cluster[$j]}"; done
    cat >"$dir/n$i.conf" <<CONF
server_name: n$i
listen: 127.0.0.1:${client[$i]}
http: 127.0.0.1:${monitor[$i]}
jetstream { store_dir: "$dir/n$i" }
cluster { name: scaleout, listen: 127.0.0.1:${cluster[$i]}, routes: [$(echo $routes | tr ' ' ',')] }
CONF
    nats-server -c "$dir/n$i.conf" >"$dir/n$i.log" 2>&1 &
    pids+=($!)
  done
  for i in 0 1 2; do
    local healthy=""
    for _ in $(seq 300); do
      curl -sf "http://127.0.0.1:${monitor[$i]}/healthz" >/dev/null 2>&1 && healthy=1 && break
      sleep 0.1
    done
    if [ -z "$healthy" ]; then
      echo "scaleout: nats-server n$i did not become healthy in 30 s; the end of its log:" >&2
      tail -n 5 "$dir/n$i.log" >&2
      exit 1
    fi
  done
  servers="[nats://127.0.0.1:${client[0]}, nats://127.0.0.1:${client[1]}, nats://127.0.0.1:${client[2]}]"
}

declare -A result
for n in $nodes_list; do
  run="$work/run-$n"
  mkdir -p "$run/load"
  start_nats "$run"
  cat >"$run/storage.yaml" <<YAML
engine: jetstream
jetstream:
  servers: $servers
  stream: DIPHUB
  subject: diphub.log
  replicas: 3
YAML
  cat >"$run/cluster.yaml" <<YAML
cluster:
  enabled: true
  node: node-1
  lease_ttl_ms: 3000
  servers: $servers
YAML
  echo "== $n diphub node(s), storage jetstream R3: $messages IF-064 over HTTP to the leader; 3 local nats-servers"
  "$load" --messages "$messages" --connections 8 --batch 50 --pairs 4 --mpans 20000 \
    --work-dir "$run/load" --storage-yaml "$run/storage.yaml" --append-yaml "$run/cluster.yaml" \
    --json "$run/result.json" >"$run/load.out" 2>&1 &
  load_pid=$!
  # Standbys join once the leader is ready, with the leader's configuration and their own names.
  for _ in $(seq 600); do [ -s "$run/load/ready" ] && break; sleep 0.1; done
  for k in $(seq 2 "$n"); do
    sed -e "s/node: node-1/node: node-$k/" -e "s/level: warn/level: info/" "$run/load/diphub.yaml" \
      >"$run/node-$k.yaml"
    "$diphub" --config "$run/node-$k.yaml" --data-dir "$run/data-$k" --http-listen 127.0.0.1:0 \
      --metrics-listen "" >"$run/node-$k.log" 2>&1 &
    pids+=($!)
  done
  if ! wait "$load_pid"; then
    echo "scaleout: diphub-load failed with $n node(s):" >&2
    tail -20 "$run/load.out" >&2
    tail -20 "$run/load/diphub.log" >&2 2>/dev/null || true
    exit 1
  fi
  for k in $(seq 2 "$n"); do
    for _ in $(seq 100); do grep -q "lease held by" "$run/node-$k.log" && break; sleep 0.1; done
    grep -q "lease held by" "$run/node-$k.log" ||
      { echo "scaleout: node-$k did not wait as a standby:" >&2; tail -5 "$run/node-$k.log" >&2; exit 1; }
  done
  result[$n]=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.0f acked/s, %.0f delivered/s" % (d["ack_per_second"], d["delivered_per_second"]))' "$run/result.json")
  tail -8 "$run/load.out"
  cleanup
done
echo "== accepted messages per second by diphub nodes (one leader, the rest standbys)"
for n in $nodes_list; do echo "$n node(s): ${result[$n]}"; done
