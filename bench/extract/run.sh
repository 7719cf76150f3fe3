#!/usr/bin/env bash
# Extraction benchmark (docs/benchmarks.md, "Extraction"): attnviz extract against a plain PyTorch GPT-2 doing
# the same work — forward pass over 64 x 128 tokens with every layer's q and k captured and written to disk as
# float16 — on the same random GPT-2-small weights, the same threads, side by side in this one run; then a
# 100k-token extraction for attnviz's peak memory.
#
# Usage: bench/extract/run.sh            (env: ATTNVIZ=path/to/attnviz, THREADS=2, WORK=/tmp/attnviz-bench-extract)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
attnviz=${ATTNVIZ:-$repo/build/attnviz}
threads=${THREADS:-2}
work=${WORK:-/tmp/attnviz-bench-extract}
python=/usr/bin/python3  # Debian's python3-torch, which uses the system BLAS (OpenBLAS through libblas.so.3)

[ -x "$attnviz" ] || { echo "no attnviz binary at $attnviz (set ATTNVIZ or run make build)" >&2; exit 1; }
mkdir -p "$work"
"$python" "$here/make_checkpoint.py" "$work"

. "$here/../time_v.sh"

echo "== attnviz extract ($threads threads)"
/usr/bin/time -v -o "$work/attnviz.time" "$attnviz" extract --model "$work/gpt2-small" --input "$work/ids.jsonl" \
  --out "$work/run" --force --threads "$threads" 2>"$work/attnviz.log"
tail -n 1 "$work/attnviz.log"
attnviz_rate=$(sed -n 's/.*(\([0-9.]*\) tokens\/s)$/\1/p' "$work/attnviz.log" | tail -n 1)

echo "== PyTorch ($threads threads)"
/usr/bin/time -v -o "$work/torch.time" "$python" "$here/torch_extract.py" "$work/gpt2-small" "$work/ids.jsonl" \
  "$work/torch_qk.f16" --threads "$threads" >"$work/torch.json"
cat "$work/torch.json"
torch_rate=$("$python" -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["tokens_per_s"]))' "$work/torch.json")
"$python" -c 'import torch; print([l.strip() for l in torch.__config__.show().splitlines() if "BLAS_INFO" in l][0][:60])'

echo "== attnviz extract, 102,400 tokens ($threads threads)"
/usr/bin/time -v -o "$work/attnviz100k.time" "$attnviz" extract --model "$work/gpt2-small" \
  --input "$work/ids100k.jsonl" --out "$work/run100k" --force --threads "$threads" 2>"$work/attnviz100k.log"
tail -n 1 "$work/attnviz100k.log"
qk_mb=$(du -m "$work/run100k/qk.safetensors" | cut -f1)

echo
echo "| | tokens/s | wall (s) | CPU (s) | peak RSS (MB) |"
echo "|---|---|---|---|---|"
row() { echo "| $1 | $2 | $(wall_s "$3") | $(cpu_s "$3") | $(peak_mb "$3") |"; }
row "attnviz extract, 8,192 tokens" "$attnviz_rate" "$work/attnviz.time"
row "PyTorch, 8,192 tokens" "$torch_rate" "$work/torch.time"
row "attnviz extract, 102,400 tokens (qk.safetensors: $qk_mb MB)" \
  "$(sed -n 's/.*(\([0-9.]*\) tokens\/s)$/\1/p' "$work/attnviz100k.log" | tail -n 1)" "$work/attnviz100k.time"
echo
echo "attnviz / PyTorch throughput: $(awk -v a="$attnviz_rate" -v t="$torch_rate" 'BEGIN {printf "%.2f", a / t}')x"
echo "(tokens/s: forward passes and writing, model loading excluded; wall, CPU and RSS: the whole process)"
rm -rf "$work/run100k" "$work/torch_qk.f16"
