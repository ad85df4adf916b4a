#!/usr/bin/env bash
# Half load, as issue #15 defines it: for each transport, a run as fast as acknowledged gives the
# maximum rate; a second run at half that rate, for ten seconds (HALF_SECONDS), gives the latency
# there. Prints both runs' figures and the half-load p50 / p99 / p99.9 send -> delivery beside the
# goal (p99 <= 10 ms). The half-load run begins with a warm-up (HALF_WARMUP seconds at the same
# rate) whose latencies are printed apart and not counted in the goal's figures: a freshly
# started hub and generator fault their memory in and fill their caches in their first second
# (docs/performance.md, "Half load: the first second"). Usage:
#   bench/halfload.sh [MESSAGES] [CONNECTIONS] [BATCH] [TRANSPORTS]  (defaults: 200000 8 50 "http zmq")
#   DIPHUB_BUILD_DIR  the build directory (default: build)
#   EXTRA             more diphub-load flags for every run (e.g. "--zmq-security plain")
#   HALF_SECONDS      how long the half-load run lasts (default: 10)
#   HALF_WARMUP       seconds of warm-up before it (default: 1; 0 = none, the cold figure)
# Exits 1 when a run lost, repeated or mis-signed a message, not for a missed goal. Each run starts
# its own hub on a fresh temporary data dir (diphub-load does). Run it on an otherwise idle
# machine: the figure is a latency, which other load distorts.
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-200000}
connections=${2:-8}
batch=${3:-50}
transports=${4:-http zmq}
build=${DIPHUB_BUILD_DIR:-build}
seconds=${HALF_SECONDS:-10}
warmup=${HALF_WARMUP:-1}
load="$build/bench/load/diphub-load"
[ -x "$load" ] || { echo "halfload: $load is not built (scripts/build)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(--connections "$connections" --batch "$batch" --pairs 4 --mpans 100000)
# shellcheck disable=SC2206
extra=(${EXTRA:-})

field() {  # field FILE EXPR: a value of the JSON result
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {"d": d}))' "$1" "$2"
}

status=0
for t in $transports; do
  echo "== $t: maximum rate ($messages messages as fast as acknowledged)"
  "$load" --transport "$t" --messages "$messages" "${common[@]}" "${extra[@]}" \
    --json "$work/$t-max.json" | grep -E "acknowledged|CPU per message|peak" || true
  [ "$(field "$work/$t-max.json" 'd["ok"]')" = True ] || status=1
  rate=$(field "$work/$t-max.json" 'int(d["ack_per_second"] / 2)')
  echo "== $t: half load ($rate msg/s for $seconds s, after $warmup s of warm-up)"
  "$load" --transport "$t" --messages $((rate * seconds)) --rate "$rate" --warmup-seconds "$warmup" \
    "${common[@]}" "${extra[@]}" --json "$work/$t-half.json" |
    grep -E "warm-up|acknowledged|send -> delivery|CPU per message" || true
  p99=$(field "$work/$t-half.json" 'd["send_to_delivery"]["p99_us"] / 1e3')
  summary=$(field "$work/$t-half.json" '"p50 %.2f / p99 %.2f / p99.9 %.2f ms, lost %d" % (d["send_to_delivery"]["p50_us"]/1e3, d["send_to_delivery"]["p99_us"]/1e3, d["send_to_delivery"]["p999_us"]/1e3, d["lost"])')
  cold=$(field "$work/$t-half.json" '"warm-up p99 %.2f ms" % (d["warmup_send_to_delivery"]["p99_us"]/1e3) if d["warmup_messages"] else "no warm-up"')
  verdict=$(python3 -c "print('met' if $p99 <= 10 else 'missed')")
  echo "== $t: maximum $(field "$work/$t-max.json" 'int(d["ack_per_second"])') msg/s; half load $rate msg/s: send -> delivery $summary (goal p99 <= 10 ms: $verdict; $cold)"
  [ "$(field "$work/$t-half.json" 'd["ok"]')" = True ] || status=1
done
exit $status
