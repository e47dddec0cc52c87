#!/usr/bin/env bash
# Installs QuantOpt from the build tree and builds examples/downstream against
# the installed CMake package, then runs it: proves find_package(QuantOpt).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$root/build"}
llvm=/usr/lib/llvm-22
prefix="$build/install"
ds="$build/downstream"

cmake --install "$build" --prefix "$prefix" > /dev/null
cmake -G Ninja -S "$root/examples/downstream" -B "$ds" \
  -DCMAKE_C_COMPILER="$llvm/bin/clang" -DCMAKE_CXX_COMPILER="$llvm/bin/clang++" \
  -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld \
  -DCMAKE_PREFIX_PATH="$prefix" -DMLIR_DIR="$llvm/lib/cmake/mlir" > "$ds.configure.log" \
  || { cat "$ds.configure.log"; exit 1; }
cmake --build "$ds"
"$ds/downstream-lower" | "$llvm/bin/FileCheck" "$root/examples/downstream/expected.txt"
echo "downstream: built against $prefix and ran OK"
