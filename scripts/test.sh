#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every
# test (lit + FileCheck, gtest, execution tests, Python tests, the downstream
# CMake package, a bounded structured fuzz run). Exits non-zero on any
# failure.
#   scripts/test.sh              the whole suite on the Release build (build/)
#   scripts/test.sh --sanitize   the whole suite on an AddressSanitizer +
#                                UBSan build (build-sanitize/); any report fails
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lit=/usr/lib/llvm-22/bin/lit

"$root/scripts/install-deps.sh"
if [ "${1:-}" = "--sanitize" ]; then
  build=${BUILD_DIR:-"$root/build-sanitize"}
  SANITIZE=1 "$root/scripts/build.sh" "$build"
  # Leaks are reported too; the JIT-compiled code of quant-run is not
  # instrumented, QuantOpt's own code is.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  "$lit" -s "$build/test"
  echo "All QuantOpt tests passed under ASan + UBSan."
  exit 0
fi
build=${BUILD_DIR:-"$root/build"}
"$root/scripts/build.sh" "$build"
"$lit" -sv "$build/test"
"$root/scripts/test-downstream.sh" "$build"
"$root/scripts/fuzz.sh" --smoke "$build"
echo "All QuantOpt tests passed."
