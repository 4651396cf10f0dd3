#!/usr/bin/env bash
# Installs and builds the peers that scripts/bench-peers.sh runs next to simrun; idempotent, cached
# under $SIMRUN_PEERS (default ~/.cache/simrun-peers). Everything comes from public sources:
#   heat     CSC heat-equation (https://github.com/cschpc/heat-equation @ $CSC_COMMIT): its C++
#            serial (2d/serial) and hybrid MPI+OpenMP (2d/mpi-openmp) versions, built with their
#            Makefiles, the flags overridden to "$PEER_CFLAGS -fopenmp" (default -O3 -march=native).
#   weather  miniWeather (https://github.com/mrnorman/miniWeather @ $MW_COMMIT), C++ MPI version
#            c/miniWeather_mpi.cpp; the binaries are built per problem on demand by
#            scripts/peers/miniweather-build.sh (sizes are compile-time macros). Needs mpicxx
#            (apt: libopenmpi-dev openmpi-bin) and PnetCDF (apt: libpnetcdf-dev).
#   devito   Devito $DEVITO_VERSION (pip) in the venv that scripts/bench-devito.sh uses
#            ($SIMRUN_VENV, default ~/.cache/simrun-devito-venv), plus gcc with OpenMP.
#   openfoam OpenFOAM v1912 from Debian/Ubuntu (apt: openfoam openfoam-examples; about 1 GB).
# CSC_URL / MW_URL replace the clone URLs (e.g. a local mirror); the commits stay pinned.
#   usage: scripts/peers/setup-peers.sh [heat] [weather] [devito] [openfoam]   (default: all four)
# Prints one "peer NAME VERSION" line per peer on stdout (bench-peers.sh shows them).
set -euo pipefail
CACHE=${SIMRUN_PEERS:-$HOME/.cache/simrun-peers}
CSC_COMMIT=${CSC_COMMIT:-cfb7fef1eeaf1118d3616e8ae844068e6a606da1}
MW_COMMIT=${MW_COMMIT:-7bfd5b485b2099d853214f75163022aee1ddefbc}
DEVITO_VERSION=${DEVITO_VERSION:-4.8.23}
VENV=${SIMRUN_VENV:-$HOME/.cache/simrun-devito-venv}
PEER_CFLAGS=${PEER_CFLAGS:-"-O3 -march=native"}
mkdir -p "$CACHE"
log() { echo "setup-peers: $*" >&2; }

apt_install() { # packages...
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    log "apt-get install $*"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# git clone over https at a pinned commit, once. $1 url, $2 dir, $3 commit
clone_at() {
    local url=$1 dir=$2 commit=$3
    if [ -d "$dir/.git" ] && [ "$(git -C "$dir" rev-parse HEAD)" = "$commit" ]; then return 0; fi
    command -v git >/dev/null || apt_install git ca-certificates
    rm -rf "$dir"
    log "cloning $url @ ${commit:0:7}"
    git clone --quiet "$url" "$dir"
    git -C "$dir" checkout --quiet "$commit"
}

need_mpi() {
    command -v mpicxx >/dev/null && command -v mpirun >/dev/null || apt_install libopenmpi-dev openmpi-bin
}

setup_heat() {
    need_mpi
    command -v g++ >/dev/null || apt_install g++
    local src=$CACHE/heat-equation
    clone_at "${CSC_URL:-https://github.com/cschpc/heat-equation.git}" "$src" "$CSC_COMMIT"
    local stamp="$CSC_COMMIT $PEER_CFLAGS $(g++ --version | head -1)"
    if [ "$(cat "$CACHE/heat.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -x "$src/2d/serial/heat_serial" ] \
        || [ ! -x "$src/2d/mpi-openmp/heat_hybrid" ]; then
        log "building CSC heat-equation (2d/serial, 2d/mpi-openmp) with $PEER_CFLAGS -fopenmp"
        for d in serial mpi-openmp; do
            make -s -C "$src/2d/$d" clean >/dev/null
            make -s -C "$src/2d/$d" CCFLAGS="$PEER_CFLAGS -fopenmp -I../../common" LDFLAGS=-fopenmp >/dev/null
        done
        echo "$stamp" >"$CACHE/heat.stamp"
    fi
    echo "peer csc-heat-equation ${CSC_COMMIT:0:7} (2d/serial heat_serial, 2d/mpi-openmp heat_hybrid; g++/mpicxx $PEER_CFLAGS -fopenmp)"
}

setup_weather() {
    need_mpi
    [ -f /usr/include/pnetcdf.h ] || apt_install libpnetcdf-dev
    clone_at "${MW_URL:-https://github.com/mrnorman/miniWeather.git}" "$CACHE/miniWeather" "$MW_COMMIT"
    echo "peer miniweather ${MW_COMMIT:0:7} (c/miniWeather_mpi.cpp; mpicxx $PEER_CFLAGS -D_OUT_FREQ=-1 -DNO_INFORM; PnetCDF $(dpkg-query -W -f '${Version}' libpnetcdf-dev 2>/dev/null || echo '?'))"
}

have_openmp_cc() {
    local d
    d=$(mktemp -d)
    printf '#include <omp.h>\nint main(void){return omp_get_max_threads() > 0 ? 0 : 1;}\n' >"$d/t.c"
    if gcc -fopenmp "$d/t.c" -o "$d/t" >/dev/null 2>&1 && "$d/t"; then rm -rf "$d"; return 0; fi
    rm -rf "$d"
    return 1
}

setup_devito() {
    command -v gcc >/dev/null && have_openmp_cc || apt_install gcc libgomp1
    if ! "$VENV/bin/python" -c "import devito, sys; sys.exit(devito.__version__ != '$DEVITO_VERSION')" 2>/dev/null; then
        log "installing Devito $DEVITO_VERSION into $VENV (pip)"
        [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" || { log "python3 -m venv failed (apt: python3-venv)"; exit 1; }
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "devito==$DEVITO_VERSION"
    fi
    echo "peer devito $DEVITO_VERSION (pip, $VENV; DEVITO_LANGUAGE=openmp DEVITO_ARCH=gcc, opt=advanced)"
}

setup_openfoam() {
    if ! command -v simpleFoam >/dev/null || ! dpkg -s openfoam-examples >/dev/null 2>&1; then
        apt_install openfoam openfoam-examples
    fi
    echo "peer openfoam $(dpkg-query -W -f '${Version}' openfoam) (Debian package: icoFoam, simpleFoam)"
}

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(heat weather devito openfoam)
for p in "${parts[@]}"; do
    case $p in
        heat | weather | devito | openfoam) "setup_$p" ;;
        *) log "unknown peer '$p' (heat weather devito openfoam)"; exit 2 ;;
    esac
done
