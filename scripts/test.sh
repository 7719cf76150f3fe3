#!/usr/bin/env bash
# Every test of attnviz, after `make build`: C++ unit and conformance tests (ctest), the front end's unit tests,
# the browser tests against a real server, a bounded fuzzing run and the unit tests under ASan+UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}

echo "== C++ tests (ctest)"
ctest --test-dir "$BUILD" --output-on-failure -j "$(nproc)"
