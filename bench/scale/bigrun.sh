#!/usr/bin/env bash
# Big runs on one machine (issue 17 item 2; docs/benchmarks.md "Scale: big runs"): each stage's wall time and
# peak RSS (/usr/bin/time -v), with the load average, and the matrix view in headless chromium.
#   1. GPT-2-small shape (random weights, bench/extract/make_checkpoint.py, the real GPT-2 tokenizer) over the
#      first INPUTS Brown sentences (data/brown_eval.txt; 1,000 ≈ 30k tokens, 60k points a head): extract,
#      PCA 2D of all 144 heads, t-SNE 2D and UMAP 2D of HEADS (timed per head: times 144 is the whole
#      method), then the matrix of 144 heads in chromium (bench/scale/matrix_load.mjs).
#   2. 512 heads x 20,000 points (16 layers x 32 heads, Llama-3.2-1B's grid): a synthetic run
#      (bench/web/make_synthetic_run.mjs: PCA-2D-shaped clusters, no model) for the page.
#   3. With LLAMA=1, the same grid from a real extraction: the Llama-3.2-1B shape (random BF16 weights,
#      bench/extract/make_scale_checkpoint.py) over 80 x 128 random token ids (10,240 tokens), PCA 2D of all
#      512 heads, and its matrix (about half an hour of extraction on 2 loaded cores, minutes on idle ones).
# Usage: bench/scale/bigrun.sh   (env: ATTNVIZ=path/to/attnviz, THREADS=2, INPUTS=1000, HEADS=0:0,
#        WORK=/tmp/attnviz-bench-bigrun, REPEATS=3, LLAMA=0, ONLY_LLAMA=0: skip parts 1 and 2)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
attnviz=${ATTNVIZ:-$repo/build/attnviz}
threads=${THREADS:-2}
inputs=${INPUTS:-1000}
heads=${HEADS:-0:0}
repeats=${REPEATS:-3}
work=${WORK:-/tmp/attnviz-bench-bigrun}
[ -x "$attnviz" ] || { echo "no attnviz binary at $attnviz (set ATTNVIZ or run make build)" >&2; exit 1; }
[ -f "$repo/web/dist/index.html" ] || { echo "no web/dist: run make web first" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work"

. "$here/../time_v.sh"
# One stage: "stage | wall s | peak RSS MB | load" from /usr/bin/time -v.
stage() {
  local name=$1; shift
  /usr/bin/time -v -o "$work/$name.log" "$@" >"$work/$name.out" 2>&1
  printf '%-28s | %8.1f s | %8.0f MB | load %s\n' "$name" "$(wall_s "$work/$name.log")" \
    "$(peak_mb "$work/$name.log")" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

if [[ "${ONLY_LLAMA:-0}" != 1 ]]; then
  echo "== GPT-2-small shape, $inputs inputs ($(date -u +%FT%TZ), $(nproc) cores)"
  /usr/bin/python3 "$repo/bench/extract/make_checkpoint.py" "$work/ckpt" >/dev/null
  head -n "$inputs" "$repo/data/brown_eval.txt" >"$work/inputs.txt"
  run=$work/gpt2-run
  stage extract "$attnviz" extract --model "$work/ckpt/gpt2-small" --input "$work/inputs.txt" --out "$run" \
    --threads "$threads"
  python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print('tokens', sum(s['token_count'] for s in m['sequences']))" \
    "$run/manifest.json"
  stage layout-pca-2d-all "$attnviz" layout "$run" --methods pca --dims 2 --threads "$threads"
  stage layout-tsne-2d-"$heads" "$attnviz" layout "$run" --methods tsne --dims 2 --heads "$heads" --threads "$threads"
  stage layout-umap-2d-"$heads" "$attnviz" layout "$run" --methods umap --dims 2 --heads "$heads" --threads "$threads"
  du -sb "$run"/qk.safetensors "$run"/layouts/*.safetensors
  ATTNVIZ_BIN=$attnviz node "$here/matrix_load.mjs" "$run" --repeats "$repeats"

  echo "== 512 heads x 20,000 points (synthetic)"
  synth=$work/synthetic-512
  stage make-synthetic node "$repo/bench/web/make_synthetic_run.mjs" "$synth" --layers 16 --heads 32 --tokens 10000 \
    --layouts pca-2d
  ATTNVIZ_BIN=$attnviz node "$here/matrix_load.mjs" "$synth" --repeats "$repeats"
fi

if [[ "${LLAMA:-0}" == 1 || "${ONLY_LLAMA:-0}" == 1 ]]; then
  echo "== 512 heads x 20,480 points (Llama-3.2-1B shape, extracted)"
  /usr/bin/python3 "$repo/bench/extract/make_scale_checkpoint.py" llama-3.2-1b "$work/ckpt" --sequences 80 \
    --length 128 --positions 256 >/dev/null
  llama=$work/llama-run
  stage extract-llama-1b "$attnviz" extract --model "$work/ckpt/llama-3.2-1b" \
    --input "$work/ckpt/llama-3.2-1b-ids.jsonl" --out "$llama" --threads "$threads"
  stage layout-llama-pca-2d-all "$attnviz" layout "$llama" --methods pca --dims 2 --threads "$threads"
  du -sb "$llama"/qk.safetensors "$llama"/layouts/*.safetensors
  rm -rf "$work/ckpt/llama-3.2-1b"
  ATTNVIZ_BIN=$attnviz node "$here/matrix_load.mjs" "$llama" --repeats "$repeats"
fi
