#!/usr/bin/env bash
# Bounded libFuzzer runs (clang, ASan+UBSan) of every parser of untrusted bytes: safetensors headers,
# tokenizer.json, a model's config.json, JSON itself (its nesting limit), HTTP Range headers and POST
# /api/probe's body; each seeded with the real fixtures and the small seeds in tests/fuzz/seeds. Fails on any
# crash, sanitizer report, leak, hang (> 10 s on one input) or allocation over 1 GB.
# Environment: FUZZ_SECONDS per target (default 30), FUZZ_BUILD build folder (default build-fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${FUZZ_BUILD:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-30}

# Warnings are enforced by the gcc build; the fuzz build only looks for crashes, so clang's extra
# warnings in any module must not stop it.
CC=clang CXX=clang++ cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATTNVIZ_FUZZ=ON \
  -DATTNVIZ_SANITIZE=ON -DATTNVIZ_TESTS=OFF -DATTNVIZ_WERROR=OFF > /dev/null

# Real files as seeds, up to a size where one run stays well under a second with the sanitizers (the full
# GPT-2 and bert-base-uncased tokenizer.json take seconds each to load, which would starve the mutations).
declare -A seeds=(
  [fuzz_safetensors]="$(find tests/fixtures/hf models -name '*.safetensors' -size -1024k)"
  [fuzz_tokenizer_json]="$(find models -name tokenizer.json)"
  [fuzz_json]="$(find tests/fixtures/hf models -name '*config.json')"
  [fuzz_config]="$(find tests/fixtures/hf models -name config.json)"
)
# Inputs long enough for each format's limits: JSON nested past kMaxJsonDepth, Range headers past httplib's
# 8 KiB header line.
declare -A max_len=([fuzz_safetensors]=1048576 [fuzz_tokenizer_json]=600000 [fuzz_json]=65536 [fuzz_config]=65536 [fuzz_range]=16384
  [fuzz_probe]=65536)
for source in tests/fuzz/fuzz_*.cpp; do
  target=$(basename "$source" .cpp)
  cmake --build "$BUILD" --target "$target" -j "$(nproc)"
  # libFuzzer adds what it finds to the first folder; the seeds stay untouched.
  corpus="$BUILD/corpus/$target"
  seed_dir="$BUILD/seeds/$target"
  mkdir -p "$corpus" "$BUILD/artifacts"
  rm -rf "$seed_dir" && mkdir -p "$seed_dir"
  for seed in ${seeds[$target]:-} tests/fuzz/seeds/"${target#fuzz_}"/*; do
    if [ -f "$seed" ]; then cp "$seed" "$seed_dir/$(echo "$seed" | tr / _)"; fi
  done
  dict=tests/fuzz/${target#fuzz_}.dict
  log="$BUILD/$target.log"
  echo "-- $target for ${SECONDS_EACH}s ($(ls "$seed_dir" | wc -l) seeds)"
  if ! "$BUILD/$target" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -max_len="${max_len[$target]}" -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$target-" \
    $([ -f "$dict" ] && echo "-dict=$dict") "$corpus" "$seed_dir" > "$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz.sh: $target failed; the input is in $BUILD/artifacts/, the log in $log" >&2
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$log"
done
