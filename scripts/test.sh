#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every
# test (lit + FileCheck, gtest, execution tests, Python tests, the downstream
# CMake package). Exits non-zero on any failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-"$root/build"}

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$build"
/usr/lib/llvm-22/bin/lit -sv "$build/test"
"$root/scripts/test-downstream.sh" "$build"
echo "All QuantOpt tests passed."
