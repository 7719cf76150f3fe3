#!/usr/bin/env bash
# Load test of attnviz serve: attention matrices of random layers, heads and sequences under 16 connections.
# Makes a brown-gpt run over 300 Brown sentences (extract + PCA layouts), serves it on a free 127.0.0.1 port,
# runs a bounded wrk (2 threads, 16 connections, 10 s) and prints requests/s, non-2xx responses and p99.
# Usage: bench/server/load_test.sh   (after `make build`; BUILD=build-dir to use another build folder)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BUILD:-build}/attnviz
SENTENCES=${SENTENCES:-300}
[ -x "$BIN" ] || { echo "load_test: $BIN not found; run make build" >&2; exit 1; }
command -v wrk > /dev/null || { echo "load_test: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2> /dev/null || true; wait "$server_pid" 2> /dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

head -n "$SENTENCES" data/brown_eval.txt > "$work/input.txt"
"$BIN" extract --model models/brown-gpt --input "$work/input.txt" --out "$work/run"
"$BIN" layout "$work/run" --methods pca

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" serve "$work/run" --port "$port" > "$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/api/run" -o "$work/run.json" && break
  sleep 0.1
done
[ -s "$work/run.json" ] || { echo "load_test: attnviz serve did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }

read -r layers heads sequences tokens < <(python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))["manifest"]
print(m["model"]["num_layers"], m["model"]["num_heads"], len(m["sequences"]), m["qk"]["num_tokens"])' "$work/run.json")
echo "run: $sequences sentences, $tokens tokens, $layers layers x $heads heads; serving on port $port"

ATTNVIZ_LAYERS=$layers ATTNVIZ_HEADS=$heads ATTNVIZ_SEQUENCES=$sequences \
  wrk -t2 -c16 -d10s --latency -s bench/server/attention.lua "http://127.0.0.1:$port" | tee "$work/wrk.txt"

requests=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.txt")
socket_errors=$(awk '/Socket errors/ {sub(/^ +/, ""); print}' "$work/wrk.txt")
echo "summary: requests/s ${requests}, non-2xx ${non2xx:-0}, p99 ${p99}, ${socket_errors:-no socket errors}"
