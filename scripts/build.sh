#!/usr/bin/env bash
# Configures and builds QuantOpt with clang-22, lld and Ninja against
# Debian's LLVM/MLIR 22. Usage: scripts/build.sh [build-dir]  (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$root/build"}
llvm=/usr/lib/llvm-22

if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER="$llvm/bin/clang" \
    -DCMAKE_CXX_COMPILER="$llvm/bin/clang++" \
    -DLLVM_USE_LINKER=lld \
    -DMLIR_DIR="$llvm/lib/cmake/mlir" \
    -DCMAKE_INSTALL_PREFIX="$build/install"
fi
cmake --build "$build"
