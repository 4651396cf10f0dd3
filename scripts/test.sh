#!/usr/bin/env bash
# Install what is missing, check format and lints, build, and run the whole test suite (unit,
# integration, MPI tests), then the bitwise tests once more on the portable kernels.
#   ./scripts/test.sh [extra cargo test args...]
# Also makes .venv-test (Python with xarray, for tests/xarray_open.rs) if missing or outdated.
# Gates, in order (any failure fails the script):
#   1. cargo fmt --check                                  (rustfmt.toml: width 120)
#   2. cargo clippy --all-targets -- -D warnings           (the `mpi` feature on, as built; [lints] in Cargo.toml)
#   3. cargo test --release                                (everything, with the kernels this CPU runs best)
#   4. SIMRUN_SIMD=portable cargo test --release ...       (the bitwise tests on the portable kernels)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
simrun_setup
# tests/xarray_open.rs opens the outputs with xarray: a venv .venv-test with the pinned packages of
# scripts/requirements-xarray.txt (from PyPI), made once and remade when that file changes.
venv=.venv-test
if ! cmp -s scripts/requirements-xarray.txt "$venv/requirements-xarray.txt" || [ ! -x "$venv/bin/python" ]; then
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c "import ensurepip" 2>/dev/null; then
        echo "setup: installing python3-venv (for the xarray check)" >&2
        sudo=""; if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3 python3-venv >/dev/null
    fi
    echo "setup: creating $venv (xarray, h5netcdf, h5py, numpy; scripts/requirements-xarray.txt)" >&2
    python3 -m venv --clear "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-xarray.txt
    cp scripts/requirements-xarray.txt "$venv/requirements-xarray.txt"
fi
export SIMRUN_TEST_PYTHON="$PWD/$venv/bin/python"
# Test binaries run simulations in process (their I/O thread holds HDF5 files open, with HDF5's
# flock) while other tests of the same binary start child processes (simrun, mpirun, python): a
# child inherits the open descriptors and with them the lock, so a later open of that file in
# the test fails ("unable to lock file") or, through a virtual dataset, reads the fill value.
# simrun itself never holds an HDF5 file open while it starts a process; the tests turn HDF5's
# file locking off (HDF5 >= 1.10.7) instead of depending on which tests run side by side.
export HDF5_USE_FILE_LOCKING=FALSE
echo "format: cargo fmt --check" >&2
cargo fmt --check
echo "lint: cargo clippy --all-targets -- -D warnings" >&2
cargo clippy --quiet --all-targets -- -D warnings
echo "build: cargo build --release (the binary the MPI tests launch)" >&2
cargo build --release --quiet
echo "test: cargo test --release" >&2
cargo test --release --no-fail-fast "$@"
# The bitwise tests again with every kernel on its portable path (src/simd.rs): threads, MPI
# splits, time blocks, weather (with the upstream reference sums), exact sums and the other unit
# tests, Navier-Stokes splits; the simrun binary the MPI tests launch inherits the variable.
bitwise=(--lib --test heat_threads --test mpi_heat --test time_block --test heat_physics --test weather_model
    --test weather_reference --test weather_splits --test navier_stokes_mpi --test simd_paths)
echo "test: SIMRUN_SIMD=portable cargo test --release ${bitwise[*]}" >&2
SIMRUN_SIMD=portable cargo test --release --no-fail-fast "${bitwise[@]}" "$@"
# Checks that need a big install run only where the tool is present (installers: scripts/slurm-setup.sh).
if timeout 10 sinfo -h >/dev/null 2>&1; then
    echo "test: scripts/slurm-check.sh (a Slurm answers here)" >&2
    ./scripts/slurm-check.sh
else
    echo "test: skipping scripts/slurm-check.sh (no Slurm here; ./scripts/slurm-setup.sh makes a one-node one)" >&2
fi
if command -v pvpython >/dev/null 2>&1; then
    echo "test: scripts/paraview-check.sh (pvpython is here)" >&2
    ./scripts/paraview-check.sh
else
    echo "test: skipping scripts/paraview-check.sh (no pvpython here; the script installs Debian's paraview: ./scripts/paraview-check.sh)" >&2
fi
