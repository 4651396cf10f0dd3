#!/usr/bin/env bash
# Install what simrun needs on a Debian/Ubuntu machine that has only the Rust toolchain.
# Idempotent: installs only missing packages (and the rustfmt and clippy components) and says which.
# Sourced by run.sh and test.sh.
set -euo pipefail

SIMRUN_PACKAGES=(pkg-config libhdf5-dev hdf5-tools libopenmpi-dev openmpi-bin libclang-dev clang)

simrun_setup() {
    if ! command -v cargo >/dev/null 2>&1; then
        echo "setup: cargo not found; install the Rust toolchain (https://rustup.rs) first" >&2
        return 1
    fi
    local missing=()
    for p in "${SIMRUN_PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$p")
        fi
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "setup: installing missing system packages: ${missing[*]}" >&2
        local sudo=""
        if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
        echo "setup: installed ${missing[*]}" >&2
    else
        echo "setup: system packages present (${SIMRUN_PACKAGES[*]})" >&2
    fi
    # The format and lint gates of ./scripts/test.sh need rustfmt and clippy.
    if command -v rustup >/dev/null 2>&1; then
        local components=()
        cargo fmt --version >/dev/null 2>&1 || components+=(rustfmt)
        cargo clippy --version >/dev/null 2>&1 || components+=(clippy)
        if [ ${#components[@]} -gt 0 ]; then
            echo "setup: rustup component add ${components[*]}" >&2
            rustup component add "${components[@]}"
        fi
    fi
    # Serial HDF5 (the OpenMPI build of HDF5, if present, would otherwise be picked up).
    export HDF5_DIR=/usr/lib/x86_64-linux-gnu/hdf5/serial
    # mpirun refuses root unless told; harmless for other users.
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
}
