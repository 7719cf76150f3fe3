#!/bin/sh
# The whole layout job: all six layouts (t-SNE, UMAP, PCA x 2D, 3D) of brown-gpt over the first 300 lines of
# data/brown_eval.txt (298 sentences, 8,464 tokens: 16,928 points per head), on 2 threads, as `make demo`
# runs it. Prints the wall time until the page's default view (t-SNE 2D of every head) is written and until
# the job ends, the job's CPU time (on a shared machine, CPU seconds / 2 is what two idle cores would take),
# the load average, and per layout over the heads: seconds, trustworthiness, and where the optimiser stopped
# (t-SNE's KL and iterations, UMAP's cross-entropy and epochs, from metrics.json).
# Usage: bench/layout/job.sh [ATTNVIZ_BINARY] [HEADS]   (HEADS: all, or L:H,... to time a subset)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
attnviz=${1:-$root/build/attnviz}
heads=${2:-all}
work=$(mktemp -d /tmp/attnviz-bench-job-XXXXXX)
head -300 "$root/data/brown_eval.txt" > "$work/inputs.txt"
"$attnviz" extract --model "$root/models/brown-gpt" --input "$work/inputs.txt" --out "$work/run" --threads 2
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
(until [ -e "$work/run/layouts/tsne-2d.safetensors" ]; do sleep 0.2; done
 echo "t-SNE 2D of every head after $(echo "$(date +%s.%N) - $start" | bc) s wall") &
watcher=$!
/usr/bin/time -f "layout job, heads $heads: %e s wall, %U s user + %S s system CPU" \
  "$attnviz" layout "$work/run" --heads "$heads" --threads 2
kill "$watcher" 2>/dev/null || true
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$work/run/layouts/metrics.json" <<'PY'
import json, statistics, sys
heads = json.load(open(sys.argv[1]))["heads"].values()
def summary(group, layout, digits):
    values = [h[group][layout] for h in heads if layout in h.get(group, {})]
    if not values:
        return None
    return f"{round(min(values), digits)}-{round(max(values), digits)} (mean {round(statistics.mean(values), digits)})"
for layout in ["pca-2d", "pca-3d", "tsne-2d", "umap-2d", "tsne-3d", "umap-3d"]:
    figures = [(g, summary(g, layout, d)) for g, d in
               [("seconds", 2), ("trustworthiness", 3), ("kl", 3), ("iterations", 0), ("cross_entropy", 0),
                ("epochs", 0)]]
    converged = [h["converged"][layout] for h in heads if layout in h.get("converged", {})]
    line = "; ".join(f"{g} {s}" for g, s in figures if s)
    if converged:
        line += f"; converged {sum(converged)} of {len(converged)}"
    print(layout, line)
PY
rm -rf "$work"
