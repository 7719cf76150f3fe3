#!/usr/bin/env bash
# Scale benchmark, big checkpoints (docs/benchmarks.md, "Scale: big checkpoints"): `attnviz extract` on
# checkpoints of real models' shapes with random BF16 weights (make_scale_checkpoint.py), its peak RSS and
# tokens/s, next to plain PyTorch models on the same mapped BF16 checkpoint and inputs (torch_llama.py,
# torch_extract.py for GPT-2, torch_encoders.py for BERT and ViT); RUNS repetitions each, the median reported,
# one job at a time (never two big ones at once). PyTorch's q and k of the first input are checked against
# attnviz's run (the largest difference relative to the layer's largest value, every layer): the two sides
# did the same work. Each checkpoint is deleted after its shape is measured unless KEEP=1.
#
# Usage: bench/extract/scale.sh SHAPE [SHAPE ...]
#   shapes: llama-3.2-1b llama-3-8b gpt2-small bert-base vit-b-16 (ViT: SEQUENCES images of 197 tokens)
#   env: ATTNVIZ=build/attnviz THREADS=2 RUNS=3 TORCH=1 SEQUENCES=4 LENGTH=32 POSITIONS=8192 KEEP=0
#        WORK=/work/tmp/attnviz-scale
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
attnviz=${ATTNVIZ:-$repo/build/attnviz}
threads=${THREADS:-2}
runs=${RUNS:-3}
work=${WORK:-/work/tmp/attnviz-scale}
python=/usr/bin/python3

[ -x "$attnviz" ] || { echo "no attnviz binary at $attnviz (set ATTNVIZ or run make build)" >&2; exit 1; }
mkdir -p "$work"

. "$here/../time_v.sh"
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), threads $threads, runs $runs, $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB"
torch_script() {
  case "$1" in
    llama*) echo torch_llama.py ;;
    gpt2*) echo torch_extract.py ;;
    *) echo torch_encoders.py ;;
  esac
}

echo "| model (BF16) | file (GB) | side | tokens | tokens/s | wall (s) | peak RSS (GB) | RSS / file | q/k vs attnviz | load average |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for shape in "$@"; do
  "$python" "$here/make_scale_checkpoint.py" "$shape" "$work" --sequences "${SEQUENCES:-4}" --length "${LENGTH:-32}" \
    --positions "${POSITIONS:-8192}" >&2
  model="$work/$shape" inputs="$work/$shape-ids.jsonl" tokens=$(( ${SEQUENCES:-4} * ${LENGTH:-32} ))
  [[ $shape == vit* ]] && inputs="$work/$shape-images" tokens=$(( ${SEQUENCES:-4} * 197 ))
  file_gb=$(awk -v b="$(stat -c %s "$model/model.safetensors")" 'BEGIN {printf "%.2f", b / 1e9}')
  sides=(attnviz)
  [[ "${TORCH:-1}" == 1 ]] && sides+=(torch)
  check="" qk_error=""
  for side in "${sides[@]}"; do
    rates=() walls=() peaks=() loads=()
    for ((r = 0; r < runs; r++)); do
      loads+=("$(cut -d' ' -f1 /proc/loadavg)")
      if [[ $side == attnviz ]]; then
        rm -rf "$work/run"  # the last one stays for the PyTorch side's check
        /usr/bin/time -v -o "$work/time" "$attnviz" extract --model "$model" --input "$inputs" --out "$work/run" --force \
          --threads "$threads" 2>"$work/log"
        rates+=("$(sed -n 's/.* tokens, \([0-9.]*\) tokens\/s, took .*/\1/p' "$work/log" | tail -n 1)")  # 1 decimal
        grep -o 'peak memory about [^(]*' "$work/log" | head -n 1 >&2 || true
      else
        /usr/bin/time -v -o "$work/time" "$python" "$here/$(torch_script "$shape")" "$model" "$inputs" \
          "$work/torch_qk.f16" --threads "$threads" ${check:+--check "$check"} >"$work/torch.json"
        rates+=("$("$python" -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["tokens_per_s"], 1))' "$work/torch.json")")
        [[ -n $check ]] && qk_error=$("$python" -c \
          'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["qk_relative_error"])' "$work/torch.json")
        check=""  # the first repetition checks
      fi
      walls+=("$(wall_s "$work/time")") peaks+=("$(peak_mb "$work/time")")
      rm -rf "$work/torch_qk.f16"
    done
    [[ $side == attnviz ]] && check="$work/run"
    peak_gb=$(printf '%s\n' "${peaks[@]}" | median | awk '{printf "%.2f", $1 / 1024}')
    echo "| $shape | $file_gb | $side | $tokens | $(printf '%s\n' "${rates[@]}" | median) |" \
      "$(printf '%s\n' "${walls[@]}" | median) | $peak_gb | $(awk -v p="$peak_gb" -v f="$file_gb" 'BEGIN {printf "%.2f", p / f}') |" \
      "${qk_error:-} | $(printf '%s ' "${loads[@]}")|"
  done
  rm -rf "$work/run"
  [[ "${KEEP:-0}" == 1 ]] || rm -rf "$model" "$inputs"
done
echo "(tokens/s: the extraction passes, model loading and attnviz's induction measurement excluded; wall and peak RSS:"
echo " the whole process, median of $runs; PyTorch: plain models in bfloat16 on the mapped weights, after one warm-up pass;"
echo " q/k vs attnviz: PyTorch's q and k of the first input against attnviz's, largest difference / largest value)"
