#!/usr/bin/env bash
# Proves the installed package works as installed:
#   1. `cmake --install` into a fresh prefix;
#   2. the installed quant-opt, quant-run and Python commands run with a
#      clean environment (no LD_LIBRARY_PATH, no QUANTOPT_TOOLS);
#   3. the README's CMake snippet builds verbatim, and examples/downstream
#      builds and runs against the package;
#   4. examples/aot: a C and a C++ program built against the package with
#      libraries from quant-compile print the digits models' logits bit for
#      bit as the installed quant-run does.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-"$root/build"}" && pwd)
llvm=/usr/lib/llvm-22
prefix="$build/install"
work="$build/downstream-work"
clean_env=(env -i PATH=/usr/bin:/bin HOME="${HOME:-/root}")
cmake_args=(-G Ninja -DCMAKE_C_COMPILER="$llvm/bin/clang" -DCMAKE_CXX_COMPILER="$llvm/bin/clang++"
            -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DCMAKE_PREFIX_PATH="$prefix"
            -DMLIR_DIR="$llvm/lib/cmake/mlir")

configure() { # source-dir build-dir [cmake args...]
  local src=$1 dst=$2
  shift 2
  cmake -S "$src" -B "$dst" "${cmake_args[@]}" "$@" > "$dst.configure.log" 2>&1 \
    || { cat "$dst.configure.log"; exit 1; }
}

rm -rf "$prefix" "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$prefix" > /dev/null

# 2. Installed tools, clean environment.
"${clean_env[@]}" "$prefix/bin/quant-opt" --version | grep -q QuantOpt
"${clean_env[@]}" "$prefix/bin/quant-compile" --version | grep -q QuantOpt
"${clean_env[@]}" "$prefix/bin/quantopt-import" "$root/examples/digits/digits_mlp.onnx" \
  -o "$work/digits_mlp.mlir"
"${clean_env[@]}" "$prefix/bin/quant-opt" "$work/digits_mlp.mlir" --quant-prepare-pipeline \
  -o /dev/null
/usr/bin/python3 "$root/examples/digits/data.py" "$work" > /dev/null
for model in mlp cnn; do
  suffix=$([ "$model" = cnn ] && echo _cnn || true)
  "${clean_env[@]}" "$prefix/bin/quantopt-quantize" "$root/examples/digits/digits_$model.onnx" \
    --calib "$work/calib$suffix.npz" --method minmax --scheme symmetric \
    -o "$work/digits_${model}_int8.mlir" > "$work/quantize_$model.log" 2>&1 \
    || { cat "$work/quantize_$model.log"; exit 1; }
  /usr/bin/python3 -c "import numpy as np, sys; x = np.load(sys.argv[1])['x']; np.save(sys.argv[2], x); x.astype('<f4').tofile(sys.argv[3])" \
    "$work/test$suffix.npz" "$work/x_$model.npy" "$work/x_$model.f32"
  "${clean_env[@]}" "$prefix/bin/quant-run" "$work/digits_${model}_int8.mlir" --pipeline=cpu \
    --input "$work/x_$model.npy" --output "$work/quant_run_$model.npy" --no-progress > /dev/null
  /usr/bin/python3 -c "import numpy as np, sys; [print(' '.join('%.9g' % v for v in row)) for row in np.load(sys.argv[1])]" \
    "$work/quant_run_$model.npy" > "$work/quant_run_$model.txt"
done
# The installed TableGen files need only the install's include folder.
"$llvm/bin/mlir-tblgen" -gen-op-decls -I "$prefix/include" -I "$llvm/include" \
  "$prefix/include/qnn/IR/QnnOps.td" -o /dev/null
echo "downstream: installed tools ran with a clean environment; installed QnnOps.td generates"

# 3. The README's snippet, verbatim, around the downstream example's code.
snippet="$work/snippet"
mkdir -p "$snippet"
awk '/^```cmake$/ { grab = 1; next } /^```$/ { if (grab) exit } grab' "$root/README.md" \
  > "$snippet/CMakeLists.txt"
grep -q "find_package(QuantOpt" "$snippet/CMakeLists.txt"
cp "$root/examples/downstream/downstream-lower.cpp" "$snippet/my-compiler.cpp"
configure "$snippet" "$snippet/build"
cmake --build "$snippet/build" > "$snippet/build.log" 2>&1 || { cat "$snippet/build.log"; exit 1; }
"$snippet/build/my-compiler" | "$llvm/bin/FileCheck" "$root/examples/downstream/expected.txt"
echo "downstream: the README's CMake snippet builds as printed"

ds="$work/downstream"
configure "$root/examples/downstream" "$ds"
cmake --build "$ds" > "$ds.build.log" 2>&1 || { cat "$ds.build.log"; exit 1; }
"$ds/downstream-lower" | "$llvm/bin/FileCheck" "$root/examples/downstream/expected.txt"
echo "downstream: examples/downstream built against $prefix and ran OK"

# 4. Ahead-of-time libraries.
aot="$work/aot"
configure "$root/examples/aot" "$aot" \
  -DDIGITS_MLP_MODEL="$work/digits_mlp_int8.mlir" -DDIGITS_CNN_MODEL="$work/digits_cnn_int8.mlir"
cmake --build "$aot" > "$aot.build.log" 2>&1 || { cat "$aot.build.log"; exit 1; }
for model in mlp cnn; do
  for program in digits-c digits-cpp; do
    "$aot/$program" $model "$work/x_$model.f32" > "$work/${program}_$model.txt"
    cmp "$work/${program}_$model.txt" "$work/quant_run_$model.txt" \
      || { echo "examples/aot: $program $model differs from quant-run"; exit 1; }
  done
  echo "examples/aot: digits-c and digits-cpp print quant-run's logits for the INT8 $model, bit for bit ($(wc -l < "$work/quant_run_$model.txt") images)"
done
