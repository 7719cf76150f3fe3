#!/usr/bin/env bash
# The layout job on a real Slurm (ctest label slurm; docs/cluster.md): starts a one-node cluster in a temporary
# folder (scripts/slurm/local-cluster.sh), extracts a small run from the bundled brown-gpt model, submits
# scripts/slurm/layout.sbatch as a 3-task array over it (PCA and t-SNE 2D), waits (at most 5 minutes), and
# checks that the merged layout files are byte-identical to a single-machine `attnviz layout` of the same run
# with the same seed, and metrics.json the same but for the timings. The cluster is always stopped.
# Exits 77 with the reason when Slurm cannot run here (no slurm-wlm or munge, not root): ctest says SKIPPED.
#
#   tests/cluster/slurm_layout.sh ATTNVIZ_BINARY SOURCE_DIR
set -euo pipefail

attnviz=$(realpath "${1:?usage: $0 ATTNVIZ_BINARY SOURCE_DIR}")
source_dir=$(realpath "${2:?usage: $0 ATTNVIZ_BINARY SOURCE_DIR}")
tmp=$(mktemp -d /tmp/attnviz-slurm-test.XXXXXX)
cleanup() {
  [ -z "${job:-}" ] || scancel "$job" 2>/dev/null || true
  "$source_dir/scripts/slurm/local-cluster.sh" stop "$tmp/cluster" || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "slurm_layout: FAILED: $*" >&2; for f in "$tmp"/logs/*; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done >&2; exit 1; }

status=0
"$source_dir/scripts/slurm/local-cluster.sh" start "$tmp/cluster" >"$tmp/cluster.env" || status=$?
[ "$status" -eq 0 ] || exit "$status"  # 77: the reason is on stderr
# shellcheck source=/dev/null  # the "export SLURM_CONF=..." line local-cluster.sh printed
source "$tmp/cluster.env"

# A small run: six sentences of the Brown corpus through brown-gpt (6 layers x 8 heads).
head -n 6 "$source_dir/data/brown_eval.txt" >"$tmp/input.txt"
"$attnviz" extract --model "$source_dir/models/brown-gpt" --input "$tmp/input.txt" --out "$tmp/run" \
  --max-tokens 160 --threads 2 2>"$tmp/extract.log" || fail "extract: $(cat "$tmp/extract.log")"
cp -r "$tmp/run" "$tmp/single"
# shellcheck disable=SC2054  # "pca,tsne" is one argument
flags=(--methods pca,tsne --dims 2 --seed 7)
"$attnviz" layout "$tmp/single" "${flags[@]}" --threads 2 2>"$tmp/single.log" || fail "layout: $(cat "$tmp/single.log")"

# The array: three tasks, each one CPU, over the shared run directory.
mkdir -p "$tmp/logs"
job=$(ATTNVIZ=$attnviz sbatch --parsable --array=0-2 --chdir="$tmp" --output="$tmp/logs/%a.out" \
  "$source_dir/scripts/slurm/layout.sbatch" "$tmp/run" "${flags[@]}") || fail "sbatch refused the job"
job=${job%%;*}
for _ in $(seq 1 600); do
  [ -n "$(squeue -h -j "$job" 2>/dev/null)" ] || break
  sleep 0.5
done
[ -z "$(squeue -h -j "$job" 2>/dev/null)" ] || fail "the array did not finish within 5 minutes"
job=

for name in pca-2d tsne-2d; do
  cmp "$tmp/single/layouts/$name.safetensors" "$tmp/run/layouts/$name.safetensors" ||
    fail "$name.safetensors merged from the shards differs from the single-machine one"
done
without_timings() { sed '/"seconds": {/,/}/d' "$1"; }
diff <(without_timings "$tmp/single/layouts/metrics.json") <(without_timings "$tmp/run/layouts/metrics.json") ||
  fail "metrics.json merged from the shards differs from the single-machine one (timings aside)"
[ ! -e "$tmp/run/layouts/shards" ] || fail "the merge left layouts/shards behind: $(ls "$tmp/run/layouts/shards")"
grep -q "finished last: merged 3 shards" "$tmp"/logs/*.out || fail "no task reported the merge"
echo "slurm_layout: 3 array tasks on a one-node Slurm; merged layouts byte-identical to a single-machine layout"
