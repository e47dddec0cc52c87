#!/usr/bin/env bash
# QuantOpt's CPU benchmark (not a test): installs oneDNN (libdnnl-dev) if
# missing, builds QuantOpt and the baselines, prints the table of
# bench/run.py. Pass --quick for fewer repetitions.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-"$root/build"}

"$root/scripts/install-deps.sh"
if ! dpkg -s libdnnl-dev >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get install -y -qq --no-install-recommends libdnnl-dev
fi
"$root/scripts/build.sh" "$build"

mkdir -p "$build/bench"
cxx=(clang++-22 -O2 -std=c++17 -fuse-ld=lld)
"${cxx[@]}" "$root/bench/peak.cpp" -o "$build/bench/peak"
"${cxx[@]}" "$root/bench/onednn_gemm.cpp" -ldnnl -o "$build/bench/onednn-gemm"
"${cxx[@]}" "$root/bench/onednn_conv.cpp" -ldnnl -o "$build/bench/onednn-conv"

exec /usr/bin/python3 "$root/bench/run.py" --build "$build" "$@"
