#!/bin/sh
# The whole layout job: all six layouts (t-SNE, UMAP, PCA x 2D, 3D) of brown-gpt over the first 300 lines of
# data/brown_eval.txt (298 sentences, 8,464 tokens: 16,928 points per head), on 2 threads.
# Usage: bench/layout/job.sh [ATTNVIZ_BINARY] [HEADS]   (HEADS: all, or L:H,... to time a subset)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
attnviz=${1:-$root/build/attnviz}
heads=${2:-all}
work=$(mktemp -d /tmp/attnviz-bench-job-XXXXXX)
head -300 "$root/data/brown_eval.txt" > "$work/inputs.txt"
"$attnviz" extract --model "$root/models/brown-gpt" --input "$work/inputs.txt" --out "$work/run" --threads 2
start=$(date +%s.%N)
"$attnviz" layout "$work/run" --heads "$heads" --threads 2
end=$(date +%s.%N)
echo "layout job, heads $heads: $(echo "$end - $start" | bc) s wall"
/usr/bin/python3 - "$work/run/layouts/metrics.json" <<'PY'
import json, sys
heads = json.load(open(sys.argv[1]))["heads"]
for name, h in sorted(heads.items()):
    print(name, "seconds", {k: round(v, 2) for k, v in h["seconds"].items()})
    print(name, "trustworthiness", {k: round(v, 3) for k, v in h["trustworthiness"].items()})
PY
rm -rf "$work"
