#!/usr/bin/env bash
# Install what is missing, build, and run the whole test suite (unit, integration, MPI tests).
#   ./scripts/test.sh [extra cargo test args...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
simrun_setup
echo "build: cargo build --release (the binary the MPI tests launch)" >&2
cargo build --release --quiet
echo "test: cargo test --release" >&2
cargo test --release --no-fail-fast "$@"
