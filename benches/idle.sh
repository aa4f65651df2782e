#!/usr/bin/env bash
# Whole-process figures for the dashboard left open: CPU while idle and resident memory.
# Runs the release binary in a detached tmux session against the built-in stand-in
# server, then samples /proc every WINDOW seconds, ROUNDS times, and prints the median
# CPU share of one core and the peak RSS.
#
#   benches/idle.sh [ROUNDS] [WINDOW]      (defaults: 5 rounds of 10 s)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
window=${2:-10}
bin=${CARGO_TARGET_DIR:-target}/release/model-orchestrator
cargo build --release --quiet
hz=$(getconf CLK_TCK)
session="mo-idle-$$"
sim_out=$(mktemp)
"$bin" sim --port 0 >"$sim_out" &
sim_pid=$!
cleanup() { tmux kill-session -t "$session" 2>/dev/null || true; kill "$sim_pid" 2>/dev/null || true; rm -f "$sim_out"; }
trap cleanup EXIT
for _ in $(seq 50); do [ -s "$sim_out" ] && break; sleep 0.1; done
url=$(head -n1 "$sim_out")
tmux new-session -d -s "$session" -x 120 -y 40 "$bin --host $url --config /dev/null"
pid=""
for _ in $(seq 50); do
  pid=$(pgrep -f "^$bin --host $url" | head -n1 || true)
  [ -n "$pid" ] && break
  sleep 0.1
done
[ -n "$pid" ] || { echo "dashboard did not start" >&2; exit 1; }
sleep 3 # let the first fetches settle
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
samples=()
for _ in $(seq "$rounds"); do
  a=$(ticks); sleep "$window"; b=$(ticks)
  samples+=("$(awk -v a="$a" -v b="$b" -v hz="$hz" -v w="$window" 'BEGIN { printf "%.2f", (b - a) / hz / w * 100 }')")
done
median=$(printf '%s\n' "${samples[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
echo "idle CPU per ${window}s window (% of one core): ${samples[*]}"
echo "median idle CPU: ${median}%"
echo "RSS now: $((rss / 1024)) MiB, peak: $((hwm / 1024)) MiB"
