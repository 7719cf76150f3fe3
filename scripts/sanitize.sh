#!/usr/bin/env bash
# The unit tests built with AddressSanitizer + UndefinedBehaviorSanitizer (gcc, -O1 -g).
# Usage: scripts/sanitize.sh [MODULE_REGEX]   e.g. 'core|tokenizer' (default: every module with tests).
# Environment: ASAN_BUILD build folder (default build-asan).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${ASAN_BUILD:-build-asan}
MODULES=${1:-.*}

# Warnings are enforced by the normal build; with sanitizers GCC reports false -Wmaybe-uninitialized
# in the standard library (<regex>, <functional>), so they are not errors here. The attnviz binary (which
# test_cli runs) is linked with link-time optimisation, where two classes of one name are an error (-Wodr).
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DATTNVIZ_SANITIZE=ON -DATTNVIZ_TESTS=ON -DATTNVIZ_WERROR=OFF -DATTNVIZ_ODR_CHECK=ON > /dev/null
targets=()
for folder in tests/unit/*/; do
  module=$(basename "$folder")
  if [[ $module =~ ^($MODULES)$ ]]; then targets+=("test_$module"); fi
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "sanitize.sh: no test module matches '$MODULES'" >&2
  exit 1
fi
cmake --build "$BUILD" --target "${targets[@]}" -j "$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Tests are labelled with their module (see CMakeLists.txt).
ctest --test-dir "$BUILD" -L "^($MODULES)\$" --output-on-failure -j "$(nproc)"
