#!/usr/bin/env bash
# Every test of attnviz, after `make build`: C++ unit and conformance tests (ctest), the front end's formatting
# check and unit tests, the browser tests against a real server, a bounded fuzzing run and the unit tests under
# ASan+UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ATTNVIZ_BIN=$(realpath "$BUILD")/attnviz
export ATTNVIZ_BIN

echo "== C++ tests (ctest)"
ctest --test-dir "$BUILD" --output-on-failure -j "$(nproc)"

echo "== web UI: formatting (prettier), unit tests (Vitest), then browser tests (chromium against attnviz serve)"
(cd web && npm run format:check && npm test && npm run test:browser)

echo "== the demo from a cold cache (attnviz demo, checked in chromium)"
(cd web && node tests/browser/demo.mjs)

echo "== fuzzing: safetensors, tokenizer.json, config.json, JSON, Range header and probe body parsers (libFuzzer, ${FUZZ_SECONDS:-30}s each)"
scripts/fuzz.sh

echo "== every unit test under ASan+UBSan"
scripts/sanitize.sh
