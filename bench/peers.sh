#!/usr/bin/env bash
# Peers side by side: runs diphub (through diphub-load over HTTP) and NATS JetStream (Debian
# nats-server, file storage, through nats-peer) with the same messages (~3 KB IF-064) and the same
# number of messages in flight, one after the other on this machine, and prints both figures and
# the ratio. Usage:
#   bench/peers.sh [MESSAGES] [CONNECTIONS] [BATCH] [TRANSPORTS]  (defaults: 100000 8 50 "http zmq")
#   DIPHUB_BUILD_DIR  the build directory (default: build)
# TRANSPORTS names the diphub runs: "http" (signed POSTs) and/or "zmq" (the native CURVE
# transport, SENDs of BATCH messages pipelined within the hub's credit); each is compared with the
# same JetStream run. In flight: diphub over HTTP has CONNECTIONS POSTs of BATCH messages
# outstanding; NATS gets CONNECTIONS * BATCH asynchronous publishes outstanding. Needs nats-server and the nats-peer
# binary (built when libnats-dev is installed; scripts/setup installs both). Besides throughput
# and latency it prints each broker's CPU per message (the hub's process, the nats-server
# process), which does not depend on how much of the machine the load generators take.
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-100000}
connections=${2:-8}
batch=${3:-50}
transports=${4:-http zmq}
build=${DIPHUB_BUILD_DIR:-build}
for f in "$build/bench/load/diphub-load" "$build/bench/load/nats-peer"; do
  [ -x "$f" ] || { echo "peers: $f is not built (scripts/build; nats-peer needs libnats-dev)" >&2; exit 2; }
done
command -v nats-server >/dev/null || { echo "peers: nats-server is not installed (apt-get install nats-server)" >&2; exit 2; }

work=$(mktemp -d)
nats_pid=
cleanup() {
  if [ -n "$nats_pid" ]; then
    kill "$nats_pid" 2>/dev/null || true
    wait "$nats_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

for t in $transports; do
  case $t in
    http) echo "== diphub: $messages IF-064 over HTTP, $connections connections x $batch per POST, signed, fsync per group commit" ;;
    zmq) echo "== diphub: $messages IF-064 over ZeroMQ (CURVE), $batch per SEND, fsync per group commit" ;;
    *) echo "peers: unknown transport '$t' (http or zmq)" >&2; exit 2 ;;
  esac
  "$build/bench/load/diphub-load" --transport "$t" --messages "$messages" \
    --connections "$connections" --batch "$batch" --pairs 4 --mpans 100000 --json "$work/diphub-$t.json"
done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
nats-server -js -sd "$work/nats" -a 127.0.0.1 -p "$port" >"$work/nats.log" 2>&1 &
nats_pid=$!
for _ in $(seq 50); do grep -q "Server is ready" "$work/nats.log" && break; sleep 0.1; done
echo "== NATS JetStream $(nats-server --version | awk '{print $NF}'): $messages messages, $((connections * batch)) in flight, file storage"
# The server's CPU (user + system, all its threads) over the run, beside diphub-load's figure
# for the hub: the two brokers' cost per message, whatever the load generators take.
server_ticks() { awk '{print $14 + $15}' "/proc/$nats_pid/stat"; }
ticks0=$(server_ticks)
"$build/bench/load/nats-peer" --url "nats://127.0.0.1:$port" --messages "$messages" \
  --inflight $((connections * batch)) --json "$work/nats.json"
server_cpu=$(python3 -c "print(($(server_ticks) - $ticks0) / $(getconf CLK_TCK))")

python3 - "$work/nats.json" "$server_cpu" $(for t in $transports; do echo "$t=$work/diphub-$t.json"; done) <<'PY'
import json, sys
n = json.load(open(sys.argv[1]))
ok = n["ok"]
server_us = float(sys.argv[2]) * 1e6 / max(n["acked"], 1)
for arg in sys.argv[3:]:
    t, path = arg.split("=", 1)
    d = json.load(open(path))
    ok = ok and d["ok"]
    print(f"== side by side (diphub over {t} / NATS JetStream)")
    for key, label in (("ack_per_second", "acknowledged msg/s"), ("delivered_per_second", "delivered msg/s")):
        print(f"  {label:22} {d[key]:>10.0f} / {n[key]:>10.0f}  ratio {d[key] / max(n[key], 1e-9):.2f}")
    for key, label in (("send_to_ack", "send -> ack p99"), ("send_to_delivery", "send -> delivery p99")):
        print(f"  {label:22} {d[key]['p99_us'] / 1e3:>8.2f} ms / {n[key]['p99_us'] / 1e3:>8.2f} ms")
    hub_us = d["hub_cpu_seconds"] * 1e6 / max(d["acked"], 1)
    print(f"  {'broker CPU per message':22} {hub_us:>8.1f} us / {server_us:>8.1f} us  "
          f"(diphub's process / nats-server's; the generators not counted)")
sys.exit(0 if ok else 1)
PY
