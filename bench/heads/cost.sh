#!/usr/bin/env bash
# The heads map's share of `attnviz layout`: each repeat lays out a copy of RUN from scratch (--force: every
# layout and the heads map) and reads, from the job's own report, the seconds the heads map took; the ratio to
# the job's wall time is taken within each job, so machine load affects both alike. Prints each repeat, the
# median ratio and the load average. Issue 15's target: at most 10% on brown-gpt's demo run.
# Usage: bench/heads/cost.sh RUN [build/attnviz] [REPEATS (3)] [THREADS (all cores)]
set -euo pipefail
RUN=$1
ATTNVIZ=${2:-build/attnviz}
REPEATS=${3:-3}
THREADS=(${4:+--threads "$4"})
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$RUN" "$work/run"
ratios=()
for i in $(seq "$REPEATS"); do
  start=$(date +%s.%N)
  "$ATTNVIZ" layout "$work/run" --force "${THREADS[@]}" >"$work/log" 2>&1
  total=$(awk -v now="$(date +%s.%N)" -v then="$start" 'BEGIN { printf "%.2f", now - then }')
  heads=$(sed -n 's/.*heads map (layouts\/heads.json) in \([0-9.]*\) s.*/\1/p' "$work/log")
  ratio=$(awk -v h="$heads" -v t="$total" 'BEGIN { printf "%.4f", h / t }')
  echo "repeat $i: heads map $heads s of a $total s layout job: $ratio"
  ratios+=("$ratio")
done
echo "median share: $(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
