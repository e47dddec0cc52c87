#!/usr/bin/env bash
# Installs what QuantOpt needs on a fresh Debian 12 machine (apt only; no PyPI).
# Safe to re-run: apt skips what is already installed.
set -euo pipefail

packages=(
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22 libomp-22-dev
  libclang-rt-22-dev
  cmake ninja-build libgtest-dev zlib1g-dev libzstd-dev libedit-dev libxml2-dev
  libcurl4-openssl-dev python3-numpy python3-onnx python3-sklearn python3-matplotlib
  python3-torch python3-torchvision libopenblas0-pthread libonnx-testdata
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
