#!/usr/bin/env bash
# Lid-driven cavity on the unit square (lid u = 1 at y = 1, nu = 1/Re) for OpenFOAM v1912, from
# rest to steady state, one core:
#   openfoam-cavity.sh SOLVER RE N CASE_DIR [END_TIME]
#   SOLVER icoFoam:    transient PISO (the cavity tutorial's solver and schemes: Euler, Gauss linear),
#                      dt = 0.64 * h (Courant 0.64 at the lid), p by GAMG to 1e-8 absolute
#                      (pFinal), U by symGaussSeidel to 1e-8; stopped by the runTimeControl
#                      function object when the initial residuals of U and p (the change per step)
#                      fall below ICO_STEADY (1e-6), or at END_TIME (default 200).
#   SOLVER simpleFoam: steady SIMPLEC (consistent), Gauss linear for div(phi,U) (same second-order
#                      scheme as icoFoam), relaxation 0.9 for U; stops when the initial residuals
#                      of p and U fall below SIMPLE_TOL (1e-7) (residualControl), at most 20000
#                      iterations.
# Writes the last time directory only (purgeWrite 1). Prints "openfoam solver=S re=R n=N
# seconds=WALL cpu=USER+SYS steps=K end=T" (seconds: the solver's wall time, mesh excluded).
# The base files (0/U, 0/p, headers) come from the cavity tutorial of openfoam-examples
# ($FOAM_TUTORIALS or /usr/share/doc/openfoam-examples/examples); geometry, mesh and numerics
# are written here. Sources OpenFOAM's bashrc (dpkg -L openfoam) unless WM_PROJECT_DIR is set.
set -euo pipefail
if [ -z "${WM_PROJECT_DIR:-}" ]; then
    bashrc=${FOAM_BASHRC:-$(dpkg -L openfoam 2>/dev/null | grep '/etc/bashrc$' | head -1)}
    [ -f "$bashrc" ] || { echo "openfoam-cavity: OpenFOAM's bashrc not found (apt-get install openfoam)" >&2; exit 1; }
    set +eu
    # shellcheck disable=SC1090
    source "$bashrc" >/dev/null 2>&1
    set -eu
fi
solver=$1 re=$2 n=$3 case=$4 end=${5:-200}
ICO_STEADY=${ICO_STEADY:-1e-6}
SIMPLE_TOL=${SIMPLE_TOL:-1e-7}
tut=${FOAM_TUTORIALS:-/usr/share/doc/openfoam-examples/examples}/incompressible/icoFoam/cavity/cavity
[ -d "$tut" ] || tut=/usr/share/doc/openfoam-examples/examples/incompressible/icoFoam/cavity/cavity
[ -f "$tut/0/U" ] || { echo "openfoam-cavity: no cavity tutorial at $tut (apt-get install openfoam-examples)" >&2; exit 1; }
rm -rf "$case"
mkdir -p "$case/system" "$case/constant" "$case/0"
cp "$tut/0/U" "$tut/0/p" "$case/0/"
hdr() { # class object
    printf 'FoamFile\n{\n    version 2.0;\n    format ascii;\n    class %s;\n    object %s;\n}\n' "$1" "$2"
}
nu=$(python3 -c "print(repr(1.0/$re))")
dt=$(python3 -c "print(repr(0.64/$n))")
{ hdr dictionary blockMeshDict; cat <<B
convertToMeters 1;
vertices ( (0 0 0) (1 0 0) (1 1 0) (0 1 0) (0 0 0.1) (1 0 0.1) (1 1 0.1) (0 1 0.1) );
blocks ( hex (0 1 2 3 4 5 6 7) ($n $n 1) simpleGrading (1 1 1) );
edges ();
boundary
(
    movingWall { type wall; faces ((3 7 6 2)); }
    fixedWalls { type wall; faces ((0 4 7 3) (2 6 5 1) (1 5 4 0)); }
    frontAndBack { type empty; faces ((0 3 2 1) (4 5 6 7)); }
);
mergePatchPairs ();
B
} >"$case/system/blockMeshDict"
{ hdr dictionary transportProperties; echo "transportModel Newtonian; nu [0 2 -1 0 0 0 0] $nu;"; } \
    >"$case/constant/transportProperties"
{ hdr dictionary turbulenceProperties; echo "simulationType laminar;"; } >"$case/constant/turbulenceProperties"
{ hdr dictionary fvSchemes; cat <<B
ddtSchemes { default $( [ "$solver" = simpleFoam ] && echo steadyState || echo Euler ); }
gradSchemes { default Gauss linear; }
divSchemes
{
    default none;
    div(phi,U) $( [ "$solver" = simpleFoam ] && echo "bounded Gauss linear" || echo "Gauss linear" );
    div((nuEff*dev2(T(grad(U))))) Gauss linear;
}
laplacianSchemes { default Gauss linear orthogonal; }
interpolationSchemes { default linear; }
snGradSchemes { default orthogonal; }
B
} >"$case/system/fvSchemes"
gamg='solver GAMG; smoother GaussSeidel; tolerance 1e-8; relTol 0;'
if [ "$solver" = icoFoam ]; then
    { hdr dictionary fvSolution; cat <<B
solvers
{
    p { $gamg relTol 0.01; }
    pFinal { $gamg }
    U { solver smoothSolver; smoother symGaussSeidel; tolerance 1e-8; relTol 0; }
}
PISO { nCorrectors 2; nNonOrthogonalCorrectors 0; pRefCell 0; pRefValue 0; }
B
    } >"$case/system/fvSolution"
    steps_max=$(python3 -c "import math; print(math.ceil($end/$dt))")
    { hdr dictionary controlDict; cat <<B
application icoFoam;
startFrom startTime; startTime 0; stopAt endTime; endTime $end; deltaT $dt;
writeControl timeStep; writeInterval $steps_max; purgeWrite 1;
writeFormat ascii; writePrecision 12; writeCompression off; timeFormat general; timePrecision 8;
runTimeModifiable false;
functions
{
    steady
    {
        type runTimeControl;
        libs ("libutilityFunctionObjects.so");
        conditions
        {
            // One condition per field: all conditions must hold (one condition over (U p)
            // in mode minimum holds as soon as either field is below the value).
            residualU { type equationInitialResidual; fields (U); value $ICO_STEADY; mode minimum; }
            residualP { type equationInitialResidual; fields (p); value $ICO_STEADY; mode minimum; }
        }
        satisfiedAction end;
    }
}
B
    } >"$case/system/controlDict"
elif [ "$solver" = simpleFoam ]; then
    { hdr dictionary fvSolution; cat <<B
solvers
{
    p { $gamg relTol 0.05; tolerance 1e-10; }
    U { solver smoothSolver; smoother symGaussSeidel; tolerance 1e-10; relTol 0.1; }
}
SIMPLE
{
    consistent yes; nNonOrthogonalCorrectors 0; pRefCell 0; pRefValue 0;
    residualControl { p $SIMPLE_TOL; U $SIMPLE_TOL; }
}
relaxationFactors { equations { U 0.9; ".*" 0.9; } }
B
    } >"$case/system/fvSolution"
    { hdr dictionary controlDict; cat <<B
application simpleFoam;
startFrom startTime; startTime 0; stopAt endTime; endTime 20000; deltaT 1;
writeControl timeStep; writeInterval 20000; purgeWrite 1;
writeFormat ascii; writePrecision 12; writeCompression off; timeFormat general; timePrecision 8;
runTimeModifiable false;
B
    } >"$case/system/controlDict"
else
    echo "openfoam-cavity: unknown solver $solver (icoFoam or simpleFoam)" >&2; exit 2
fi
cd "$case"
blockMesh >log.blockMesh 2>&1 || { tail -20 log.blockMesh >&2; exit 1; }
start=$(date +%s.%N)
/usr/bin/time -f '%U %S' -o time.txt "$solver" >"log.$solver" 2>&1 || { tail -30 "log.$solver" >&2; exit 1; }
stop=$(date +%s.%N)
last=$(ls -d [0-9]* | sort -g | tail -1)
steps=$(grep -c '^Time = ' "log.$solver")
echo "openfoam solver=$solver re=$re n=$n seconds=$(python3 -c "print(f'{$stop-$start:.3f}')")" \
     "cpu=$(awk '{printf "%.3f", $1+$2}' time.txt) steps=$steps end=$last"
