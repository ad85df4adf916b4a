#!/usr/bin/env bash
# Half load, as issue #15 defines it: for each transport, a run as fast as acknowledged gives the
# maximum rate; runs at half that rate, for ten seconds each (HALF_SECONDS), give the latency
# there. Prints every run's figures, each half-load run's p50 / p99 / p99.9 send -> delivery, and
# the median run's p99 beside the goal (p99 <= 10 ms). Each half-load run begins with a warm-up
# (HALF_WARMUP seconds at the same rate) whose latencies are printed apart and not counted in the
# goal's figures: a freshly
# started hub and generator fault their memory in and fill their caches in their first second
# (docs/performance.md, "Half load: the first second"). Usage:
#   bench/halfload.sh [MESSAGES] [CONNECTIONS] [BATCH] [TRANSPORTS]  (defaults: 200000 8 50 "http zmq")
#   DIPHUB_BUILD_DIR  the build directory (default: build)
#   EXTRA             more diphub-load flags for every run (e.g. "--zmq-security plain")
#   HALF_SECONDS      how long the half-load run lasts (default: 10)
#   HALF_WARMUP       seconds of warm-up before it (default: 1; 0 = none, the cold figure)
#   HALF_RUNS         how many half-load runs, each on a freshly started hub (default: 3). The
#                     verdict is on the median run's p99, and every run's figures are printed:
#                     on a shared VM one run in ten or so has a stall of its own (performance.md)
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
runs=${HALF_RUNS:-3}
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
  echo "== $t: half load ($rate msg/s for $seconds s, after $warmup s of warm-up; $runs runs)"
  p99s=()
  for run in $(seq 1 "$runs"); do
    half="$work/$t-half-$run.json"
    "$load" --transport "$t" --messages $((rate * seconds)) --rate "$rate" --warmup-seconds "$warmup" \
      "${common[@]}" "${extra[@]}" --json "$half" |
      grep -E "warm-up|acknowledged|send -> delivery|CPU per message" || true
    [ "$(field "$half" 'd["ok"]')" = True ] || status=1
    p99s+=("$(field "$half" 'd["send_to_delivery"]["p99_us"] / 1e3')")
    summary=$(field "$half" '"p50 %.2f / p99 %.2f / p99.9 %.2f ms, lost %d" % (d["send_to_delivery"]["p50_us"]/1e3, d["send_to_delivery"]["p99_us"]/1e3, d["send_to_delivery"]["p999_us"]/1e3, d["lost"])')
    cold=$(field "$half" '"warm-up p99 %.2f ms" % (d["warmup_send_to_delivery"]["p99_us"]/1e3) if d["warmup_messages"] else "no warm-up"')
    echo "== $t: half-load run $run of $runs: send -> delivery $summary ($cold)"
  done
  median=$(python3 -c 'import statistics,sys; print("%.2f" % statistics.median(float(x) for x in sys.argv[1:]))' "${p99s[@]}")
  verdict=$(python3 -c "print('met' if $median <= 10 else 'missed')")
  echo "== $t: maximum $(field "$work/$t-max.json" 'int(d["ack_per_second"])') msg/s; half load $rate msg/s: p99 send -> delivery of the median run $median ms (runs: ${p99s[*]} ms; goal p99 <= 10 ms: $verdict)"
done
exit $status
