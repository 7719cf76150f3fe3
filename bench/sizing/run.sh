#!/usr/bin/env bash
# Sizing benchmark (docs/benchmarks.md, "Scale: predicted vs actual"; docs/sizing.md): what attnviz extract and
# attnviz layout say before they start (disk written, peak memory) against what they wrote (du -b of the
# files) and their peak RSS (/usr/bin/time), side by side in this one script, with the load average.
#   1. the demo run: brown-gpt over the 300 held-out Brown sentences, its layouts (every method and dimension)
#      of one head per layer;
#   2. a bigger run: a GPT-2-small-shaped checkpoint (random weights, bench/extract/make_checkpoint.py) over
#      8,192 tokens with --values, then PCA 2D/3D of all 144 heads and t-SNE 2D of two.
#
# Usage: bench/sizing/run.sh       (env: ATTNVIZ=path/to/attnviz, THREADS=2, WORK=/tmp/attnviz-bench-sizing)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
attnviz=${ATTNVIZ:-$repo/build/attnviz}
threads=${THREADS:-2}
work=${WORK:-/tmp/attnviz-bench-sizing}
[ -x "$attnviz" ] || { echo "no attnviz binary at $attnviz (set ATTNVIZ or run make build)" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work"

# One job: its predicted line, then "actual: <bytes written> B, peak <kB> kB" and the ratios.
measure() {
  local name=$1 dir=$2; shift 2
  local before; before=$(du -sb "$dir" 2>/dev/null | cut -f1 || echo 0)
  /usr/bin/time -f 'peak-rss-kb %M wall %e s' "$attnviz" "$@" 2>"$work/$name.log" >/dev/null
  local after; after=$(du -sb "$dir" | cut -f1)
  local line; line=$(tr '\r' '\n' <"$work/$name.log" | grep 'peak memory about')
  local peak; peak=$(sed -n 's/.*peak-rss-kb \([0-9]*\).*/\1/p' "$work/$name.log")
  echo "== $name (load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo "$line"
  python3 - "$line" "$((after - before))" "$peak" "$(grep -o 'wall [0-9.]* s' "$work/$name.log")" <<'PY'
import re, sys
line, written, peak_kb, wall = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
scale = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}
def size(label):
    m = re.search(label + r" ([0-9.]+) (B|kB|MB|GB)", line)
    return float(m.group(1)) * scale[m.group(2)]
disk, memory = size("(?:writes|writes up to)"), size("peak memory about")
peak = peak_kb * 1024
print(f"disk: predicted {disk/1e6:.2f} MB, written {written/1e6:.2f} MB (predicted/written {disk/written:.3f}); "
      f"memory: predicted {memory/1e6:.1f} MB, peak RSS {peak/1e6:.1f} MB (predicted/measured {memory/peak:.2f}); {wall}")
PY
}

head -n 300 "$repo/data/brown_eval.txt" >"$work/brown300.txt"
measure demo-extract "$work/demo" extract --model "$repo/models/brown-gpt" --input "$work/brown300.txt" \
  --out "$work/demo/run" --threads "$threads"
measure demo-layout "$work/demo" layout "$work/demo/run" --heads 0:0,1:1,2:2,3:3,4:4,5:5 --threads "$threads"

/usr/bin/python3 "$repo/bench/extract/make_checkpoint.py" "$work/gpt2" >/dev/null
measure gpt2-extract "$work/big" extract --model "$work/gpt2/gpt2-small" --input "$work/gpt2/ids.jsonl" \
  --out "$work/big/run" --values --threads "$threads"
measure gpt2-layout-pca "$work/big" layout "$work/big/run" --methods pca --threads "$threads"
measure gpt2-layout-tsne "$work/big" layout "$work/big/run" --methods tsne --dims 2 --heads 0:0,11:11 \
  --threads "$threads"
