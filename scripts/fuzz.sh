#!/usr/bin/env bash
# Structured fuzzing of every QuantOpt pass and pipeline on mutants of the
# lit tests' inputs (tools/quant-fuzz). Fails on any abort, signal or hang
# in QuantOpt's code; what it finds upstream is listed.
#   scripts/fuzz.sh --smoke [build-dir]      CI's bounded run: fixed seed, 3000 mutants
#   scripts/fuzz.sh [build-dir] [N] [seed]   a campaign of N mutants (default 100000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
smoke=0
if [ "${1:-}" = "--smoke" ]; then smoke=1; shift; fi
build=${1:-"$root/build"}
out="$build/fuzz"
rm -rf "$out"
if [ "$smoke" = 1 ]; then
  mutants=3000 seed=1 timeout=20
else
  mutants=${2:-100000} seed=${3:-$(date +%s)} timeout=60
fi
exec "$build/bin/quant-fuzz" "$root/test" --mutants "$mutants" --seed "$seed" \
  --timeout "$timeout" --jobs "$(nproc)" \
  --stats-file "$root/test/Transforms/Inputs/stats.json" --crash-dir "$out"
