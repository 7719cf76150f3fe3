#!/usr/bin/env bash
# Every test of attnviz, after `make build`: C++ unit and conformance tests (ctest), the front end's unit tests,
# the browser tests against a real server, a bounded fuzzing run and the unit tests under ASan+UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ATTNVIZ_BIN=$(realpath "$BUILD")/attnviz
export ATTNVIZ_BIN

echo "== C++ tests (ctest)"
ctest --test-dir "$BUILD" --output-on-failure -j "$(nproc)"

echo "== web UI: unit tests (Vitest), then browser tests (chromium against attnviz serve)"
(cd web && npm test && npm run test:browser)

echo "== the demo from a cold cache (attnviz demo, checked in chromium)"
(cd web && node tests/browser/demo.mjs)

echo "== fuzzing: safetensors header parser and tokenizer.json loader (libFuzzer, ${FUZZ_SECONDS:-30}s each)"
scripts/fuzz.sh

# The modules whose unit tests are cheap to build and run under the sanitizers; the numeric modules'
# tests (model, run, layout) and the server/CLI tests would double the CI build time on a 2-core box.
# scripts/sanitize.sh with no argument runs all of them.
echo "== unit tests under ASan+UBSan (core, tokenizer, image)"
scripts/sanitize.sh 'core|tokenizer|image'
