#!/usr/bin/env bash
# Times `attnviz demo` as a user meets it: ready from a cold cache, the default view's layouts (t-SNE 2D) and
# every layout computed, ready again from the warm cache.
# Usage: bench/demo/timings.sh [build/attnviz] [brown-gpt|brown-bert|mnist-vit] [THREADS (default: all cores)]
# (the time from a fresh clone to this point is `time make build` on a machine where scripts/setup.sh ran).
set -euo pipefail
ATTNVIZ=${1:-build/attnviz}
MODEL=${2:-brown-gpt}
THREADS=(${3:+--threads "$3"})
cache=$(mktemp -d)
log=$cache/demo.log
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$cache"' EXIT

seconds_since() { awk -v now="$(date +%s.%N)" -v then="$1" 'BEGIN { printf "%.1f", now - then }'; }

start=$(date +%s.%N)
"$ATTNVIZ" demo --model "$MODEL" --cache "$cache/cache" --port 0 "${THREADS[@]}" >"$log" 2>&1 &
pid=$!
until grep -q "ready at" "$log"; do sleep 0.05; kill -0 "$pid" || { cat "$log"; exit 1; }; done
echo "cold cache: ready after $(seconds_since "$start") s"
# The page's default view, t-SNE 2D, is complete once its file exists (files are written whole).
until [ -e "$cache/cache/$MODEL/run/layouts/tsne-2d.safetensors" ]; do sleep 0.5; kill -0 "$pid" || { cat "$log"; exit 1; }; done
echo "cold cache: t-SNE 2D of every head after $(seconds_since "$start") s"
until grep -q "every layout is ready" "$log"; do sleep 1; kill -0 "$pid" || { cat "$log"; exit 1; }; done
echo "cold cache: every layout after $(seconds_since "$start") s"
kill -INT "$pid"
wait "$pid" || true

# A log of its own: a background job opens (truncates) its output only after the fork, so waiting on the first
# run's log could read that run's "ready at" and signal this one before it runs.
log=$cache/demo-warm.log
start=$(date +%s.%N)
"$ATTNVIZ" demo --model "$MODEL" --cache "$cache/cache" --port 0 "${THREADS[@]}" >"$log" 2>&1 &
pid=$!
until grep -q "ready at" "$log" 2>/dev/null; do sleep 0.05; kill -0 "$pid" || { cat "$log"; exit 1; }; done
echo "warm cache: ready after $(seconds_since "$start") s"
kill -INT "$pid"
wait "$pid" || true
