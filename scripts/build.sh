#!/usr/bin/env bash
# Configures and builds QuantOpt with clang-22, lld and Ninja against
# Debian's LLVM/MLIR 22.
# Usage: scripts/build.sh [build-dir [cmake options...]]  (default: build)
#   SANITIZE=1 scripts/build.sh build-sanitize   AddressSanitizer + UBSan build
#   SANITIZE=1 scripts/build.sh build-fuzz -DQUANTOPT_ENABLE_LIBFUZZER=ON
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$root/build"}
[ $# -gt 0 ] && shift
llvm=/usr/lib/llvm-22

extra=()
if [ "${SANITIZE:-0}" = 1 ]; then
  # ASan + UBSan, no recovery from UB. Not LLVM_USE_SANITIZER: out of
  # LLVM's tree its "Address;Undefined" adds no UBSan flags. vptr and
  # function checks need RTTI, which LLVM and QuantOpt are built without.
  # -O1 keeps use-after-scope checks that -O3 optimizes away.
  san="-fsanitize=address,undefined -fno-sanitize=vptr,function"
  san="$san -fno-sanitize-recover=all -fno-omit-frame-pointer -gline-tables-only"
  extra+=(-DCMAKE_C_FLAGS="$san" -DCMAKE_CXX_FLAGS="$san"
          -DCMAKE_C_FLAGS_RELEASE="-O1 -DNDEBUG"
          -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG"
          -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined"
          -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined")
fi

if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER="$llvm/bin/clang" \
    -DCMAKE_CXX_COMPILER="$llvm/bin/clang++" \
    -DLLVM_USE_LINKER=lld \
    -DMLIR_DIR="$llvm/lib/cmake/mlir" \
    -DCMAKE_INSTALL_PREFIX="$build/install" "${extra[@]}" "$@"
fi
cmake --build "$build"
