#!/usr/bin/env bash
# Quick start: install what is missing, build in release mode, run a configuration.
#   ./scripts/run.sh configs/heat2d.toml [simrun options...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
simrun_setup
if [ $# -lt 1 ]; then
    echo "usage: $0 CONFIG [--set key=value ...] [--report FILE]" >&2
    exit 2
fi
echo "build: cargo build --release" >&2
cargo build --release --quiet
exec target/release/simrun "$@"
