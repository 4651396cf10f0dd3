#!/usr/bin/env bash
# Lid-driven cavity against Ghia, Ghia & Shin (1982): run configs/cavity-reRE.toml to steady
# state and write the centre-line profiles (CSV) and a plot (PNG) next to its final.h5.
# Usage: scripts/cavity-ghia.sh RE [N] [EXTRA --set ARGS...]     RE = 100, 400 or 1000; N = cells per side (128)
# Output: out/cavity-reRE-N/final.h5, profiles-reRE-u.csv, profiles-reRE-v.csv, profiles-reRE.png
set -euo pipefail
cd "$(dirname "$0")/.."
re="${1:?usage: scripts/cavity-ghia.sh RE [N]}"
n="${2:-128}"
shift $(( $# >= 2 ? 2 : 1 ))
reference="${SIMRUN_REFERENCE:-../shared/reference}"
out="out/cavity-re$re-$n"
CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" cargo build --release --bins >&2
./target/release/simrun "configs/cavity-re$re.toml" --set "grid.nx=$n" --set "grid.ny=$n" \
  --set "output.dir=\"$out\"" "$@"
./target/release/cavity-profiles "$out/final.h5" --re "$re" --reference "$reference" --out "$out/profiles-re$re"
