#!/usr/bin/env bash
# Two attnviz binaries side by side on the same run (issue 11's hardening against the build before it):
# the attention route under load (bench/server/attention.lua, wrk -t2 -c16, DURATION s: requests/s, latency,
# and the server's CPU time per request, which other work on the machine disturbs least) and the wait of a
# normal request while 40 trickling and 200 idle clients are connected (bench/server/slow_clients.py, given
# up after SLOW_LIMIT s). REPEAT rounds, the two binaries alternating within each round; the load average is
# printed with each line.
# Usage: BASE=old/attnviz NEW=build/attnviz bench/server/compare.sh
#        (REPEAT=3, DURATION=10, SLOW_LIMIT=30, SENTENCES=300)
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE=${BASE:?BASE=path to the attnviz binary to compare against}
NEW=${NEW:-build/attnviz}
REPEAT=${REPEAT:-3}
DURATION=${DURATION:-10}
SLOW_LIMIT=${SLOW_LIMIT:-30}
SENTENCES=${SENTENCES:-300}
command -v wrk > /dev/null || { echo "compare: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d)
server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2> /dev/null || true; wait "$server_pid" 2> /dev/null || true; fi
  server_pid=
}
trap 'stop_server; rm -rf "$work"' EXIT

head -n "$SENTENCES" data/brown_eval.txt > "$work/input.txt"
"$NEW" extract --model models/brown-gpt --input "$work/input.txt" --out "$work/run" 2> /dev/null
"$NEW" layout "$work/run" --methods pca 2> /dev/null
read -r layers heads sequences < <(python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
print(m["model"]["num_layers"], m["model"]["num_heads"], len(m["sequences"]))' "$work/run/manifest.json")

cpu_ticks() {  # user + system clock ticks of a process so far
  awk '{print $14 + $15}' "/proc/$1/stat"
}

start_server() {  # binary; sets port and server_pid (in this shell, so that stop_server can end it)
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$1" serve "$work/run" --port "$port" > "$work/serve.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/run" -o /dev/null && break; sleep 0.1; done
}

echo "run: $sequences sentences, $layers layers x $heads heads"
for round in $(seq "$REPEAT"); do
  for name in base new; do
    binary=$BASE
    [ "$name" = new ] && binary=$NEW
    start_server "$binary"
    load=$(cut -d' ' -f1 /proc/loadavg)
    before=$(cpu_ticks "$server_pid")
    ATTNVIZ_LAYERS=$layers ATTNVIZ_HEADS=$heads ATTNVIZ_SEQUENCES=$sequences \
      wrk -t2 -c16 -d"${DURATION}s" --latency -s bench/server/attention.lua "http://127.0.0.1:$port" > "$work/wrk.txt"
    ticks=$(( $(cpu_ticks "$server_pid") - before ))
    requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
    cpu=$(python3 -c "import os, sys; print(f'{int(sys.argv[1]) / os.sysconf(\"SC_CLK_TCK\") / int(sys.argv[2]) * 1e6:.1f}')" \
      "$ticks" "$requests")
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
    p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
    slow=$(python3 bench/server/slow_clients.py "$port" --limit "$SLOW_LIMIT")
    echo "round $round $name: load $load; attention ${rps} requests/s, p50 ${p50}, p99 ${p99}, server CPU ${cpu} us/request; ${slow}"
    stop_server
  done
done
