#!/usr/bin/env bash
# Whole-process figures for the real dashboard in tmux against the stand-in, one line
# per figure: start → first frame listing the models (with a server, and without
# one), CPU in the first seconds, idle CPU, peak and final RSS, and key → frame
# latency. Runs with the 16-model catalog (one model counting down), then twice with
# 10,000 models (nothing cached, then everything); bottom is measured beside it in
# the same run when installed.
#
#   benches/footprint.sh [IDLE_SECONDS]     (default 30)
#
# Build first (`cargo build --release`; the binary is looked for under
# $CARGO_TARGET_DIR when set); the script does not, so that a build never runs beside
# a measurement. Quote figures from one run on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
idle=${1:-30}
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/model-orchestrator
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
hz=$(getconf CLK_TCK)
work=$(mktemp -d)
# A tmux server of its own (so the cleanup ends no one else's sessions), and cache
# and data directories of its own: the first 10,000-model start finds no /api/show
# answers kept, the second finds them all.
export TMUX_TMPDIR=$work XDG_CACHE_HOME=$work/cache XDG_DATA_HOME=$work/data
pids=()
cleanup() {
  tmux kill-server 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk "/$2/ {print \$2}" "/proc/$1/status"; }
pct() { awk -v a="$1" -v b="$2" -v hz="$hz" -v s="$3" 'BEGIN { printf "%.2f", (b - a) / hz / s * 100 }'; }

# A catalog of N models: the built-in ones under numbered names.
catalog() {
  python3 - "$1" "$work/catalog-$1.json" <<'EOF'
import hashlib, json, sys
n, out = int(sys.argv[1]), sys.argv[2]
src = json.load(open("assets/catalog.json"))["models"]
base = [m for m in src if m.get("installed", True)]
models = []
for i in range(n):
    m = json.loads(json.dumps(base[i % len(base)]))
    name, tag = m["name"].split(":", 1)
    if n > len(base):
        m["name"] = f"{name}-{i:05d}:{tag}"
        m["digest"] = hashlib.sha256(m["name"].encode()).hexdigest()
        m.pop("weights", None)
    models.append(m)
json.dump({"models": models}, open(out, "w"))
EOF
}

# Starts the stand-in with catalog N; its URL is left in $sim_url.
start_sim() {
  local out="$work/sim-$1-${#pids[@]}.out"
  "$bin" sim --port 0 --catalog "$work/catalog-$1.json" >"$out" &
  pids+=($!)
  sim_pid=$!
  for _ in $(seq 200); do [ -s "$out" ] && break; sleep 0.05; done
  sim_url=$(head -n1 "$out")
}

# Waits until the pane shows $2; prints the milliseconds it took from $3.
wait_screen() {
  local session=$1 text=$2 from=$3
  for _ in $(seq 2000); do
    if tmux capture-pane -t "$session" -p 2>/dev/null | grep -qF -- "$text"; then
      echo $(($(now_ms) - from)); return 0
    fi
    sleep 0.01
  done
  echo "timeout"
}

dash_pid() {
  for _ in $(seq 100); do
    local p; p=$(pgrep -f "^$bin --host $1" | head -n1 || true)
    [ -n "$p" ] && { echo "$p"; return; }
    sleep 0.02
  done
}

# run_case N LABEL [WINDOW] [BUSY]: WINDOW seconds of start-up CPU (default 25);
# BUSY=busy keeps one core spinning through the start, as a build beside it would.
run_case() {
  local n=$1 label=$2 window=${3:-25} busy=${4:-} url session pid t0 first a b burner=
  start_sim "$n"
  url=$sim_url
  # One model counting down, as a user would have.
  local first_model
  first_model=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['models'][0]['name'])" "$work/catalog-$n.json")
  curl -s "$url/api/generate" -d "{\"model\":\"$first_model\",\"keep_alive\":\"10m\"}" >/dev/null || true
  session="fp-$n"
  if [ "$busy" = busy ]; then
    sh -c 'while :; do :; done' &
    burner=$!
  fi
  t0=$(now_ms)
  tmux new-session -d -s "$session" -x 160 -y 50 "$bin --host $url --config /dev/null"
  first=$(wait_screen "$session" "Installed $n" "$t0")
  echo "$label: start → first frame listing $n models: ${first} ms"
  pid=$(dash_pid "$url")
  a=$(ticks "$pid"); sleep "$window"; b=$(ticks "$pid")
  echo "$label: CPU in the first $window s: $(pct "$a" "$b" "$window")% of one core"
  [ -n "$burner" ] && kill "$burner" 2>/dev/null || true
  a=$(ticks "$pid"); sleep "$idle"; b=$(ticks "$pid")
  echo "$label: idle CPU over ${idle} s: $(pct "$a" "$b" "$idle")% of one core"
  local lat=()
  for key in j k j k j; do
    local before after t
    before=$(tmux capture-pane -t "$session" -p | grep -n '›' | head -n1)
    t=$(now_ms); tmux send-keys -t "$session" "$key"
    for _ in $(seq 500); do
      after=$(tmux capture-pane -t "$session" -p | grep -n '›' | head -n1)
      [ "$after" != "$before" ] && break
      sleep 0.002
    done
    lat+=($(($(now_ms) - t)))
  done
  local med; med=$(printf '%s\n' "${lat[@]}" | sort -n | sed -n 3p)
  echo "$label: key → frame, median of 5: ${med} ms (${lat[*]})"
  echo "$label: RSS peak $(( $(rss_kib "$pid" VmHWM) / 1024 )) MiB, now $(( $(rss_kib "$pid" VmRSS) / 1024 )) MiB"
  tmux kill-session -t "$session"
  kill "$sim_pid" 2>/dev/null || true
}

catalog 16
catalog 1000
catalog 10000
run_case 16 "16 models"
run_case 1000 "1000 models, first start" 15
run_case 10000 "10000 models, first start"
run_case 10000 "10000 models, second start"
run_case 10000 "10000 models, third start, other core busy" 25 busy

# Without a server: the first frame says so.
t0=$(now_ms)
tmux new-session -d -s fp-none -x 160 -y 50 "$bin --host http://127.0.0.1:9 --config /dev/null"
echo "no server: start → first frame: $(wait_screen fp-none "not answering" "$t0") ms"
tmux kill-session -t fp-none

if command -v btm >/dev/null; then
  tmux new-session -d -s fp-btm -x 160 -y 50 "btm --rate 1000"
  sleep 3
  bp=$(pgrep -x btm | head -n1)
  a=$(ticks "$bp"); sleep "$idle"; b=$(ticks "$bp")
  echo "bottom (btm --rate 1000): idle CPU $(pct "$a" "$b" "$idle")% of one core, RSS $(( $(rss_kib "$bp" VmRSS) / 1024 )) MiB"
else
  echo "bottom: not installed (apt-get install btm, or cargo install bottom) — skipped"
fi
