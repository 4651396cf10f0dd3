#!/usr/bin/env bash
# Lid-driven cavity against Ghia, Ghia & Shin (1982), and at Re = 1000 against Botella & Peyret
# (1998)'s centreline extrema: run configs/cavity-reRE.toml to steady state and write the
# centre-line profiles (CSV) and a plot (PNG) next to its final.h5. The reference tables are
# compiled into cavity-profiles (assets/reference/); SIMRUN_REFERENCE=DIR reads Ghia's from DIR.
# Usage: scripts/cavity-ghia.sh RE [N] [EXTRA --set ARGS...]     RE = 100, 400 or 1000; N = cells per side (128)
# Output: out/cavity-reRE-N/final.h5, profiles-reRE-u.csv, profiles-reRE-v.csv, profiles-reRE.png
# (Re = 1000 at 128^2: about 1 minute on one core; the extrema come out 1.0-1.2 % below B&P.)
# STEADY=1 runs configs/cavity-reRE-steady.toml instead (pseudo-time straight to the same steady
# state, Re 100 and 1000: about 4 s at 128^2); its output goes to out/cavity-reRE-N-steady.
set -euo pipefail
cd "$(dirname "$0")/.."
re="${1:?usage: scripts/cavity-ghia.sh RE [N]}"
n="${2:-128}"
shift $(( $# >= 2 ? 2 : 1 ))

cfg="configs/cavity-re$re.toml"
out="out/cavity-re$re-$n"
if [[ "${STEADY:-0}" == 1 ]]; then
  cfg="configs/cavity-re$re-steady.toml"
  out="$out-steady"
  [[ -f "$cfg" ]] || { echo "cavity-ghia: no $cfg (STEADY=1 has Re 100 and 1000)" >&2; exit 2; }
fi
CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" cargo build --release --bins >&2
./target/release/simrun "$cfg" --set "grid.nx=$n" --set "grid.ny=$n" \
  --set "output.dir=\"$out\"" "$@"
reference=()
if [[ -n "${SIMRUN_REFERENCE:-}" ]]; then reference=(--reference "$SIMRUN_REFERENCE"); fi
./target/release/cavity-profiles "$out/final.h5" --re "$re" "${reference[@]}" --out "$out/profiles-re$re"
