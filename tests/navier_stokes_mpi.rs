//! Determinism contract for the CFD model: the same config gives the same bits in final.h5 on 1
//! process and on mpirun -n 2, 3, 4, each with 1 and 2 threads per process. The splits exercise
//! every path of the multigrid level plan (`simrun check CONFIG --ranks N` prints it): levels
//! restricted on each rank (64^2 on 2 and 4 ranks), agglomeration onto one rank from 2, 3 and 4
//! ranks (2 x 2 blocks onto one, and 3 blocks onto 2 and then 1, which is not a merge of pairs),
//! periodic exchange across ranks (Taylor-Green), and grids with odd factors: 134^2 (= 2 x 67)
//! and periodic 90^2 (= 2 x 45) coarsen with an uneven last cell (67 -> 34, 45 -> 23) and put odd
//! block boundaries on 2, 3 and 4 ranks, which move down one cell before restricting (on 4 ranks
//! in both axes, so the residual's halo corners count).
//! The cavity configs use the implicit viscous term (Crank-Nicolson: red-black Gauss-Seidel
//! sweeps with a global stop test); it is checked on the periodic Taylor-Green too, and the
//! explicit term on the cavity.
//! Needs `mpirun` (installed by ./scripts/test.sh).

use simrun::io::hdf5_out::read_field;
use std::path::{Path, PathBuf};
use std::process::Command;

fn mpirun() -> Option<PathBuf> {
    let out = Command::new("sh").args(["-c", "command -v mpirun"]).output().ok()?;
    let p = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!p.is_empty()).then(|| PathBuf::from(p))
}

fn run(config: &str, sets: &[String], ranks: usize, threads: usize, out: &Path) {
    let exe = env!("CARGO_BIN_EXE_simrun");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut args: Vec<String> = vec![root.join("configs").join(config).display().to_string()];
    let mut all = sets.to_vec();
    all.push(format!("parallel.threads={threads}"));
    all.push(format!("output.dir=\"{}\"", out.display()));
    all.push("output.progress=\"off\"".into());
    all.push("output.images=false".into());
    for s in all {
        args.push("--set".into());
        args.push(s);
    }
    let status = if ranks == 1 {
        Command::new(exe).args(&args).output().expect("run simrun")
    } else {
        Command::new(mpirun().expect("mpirun"))
            .args(["-n", &ranks.to_string(), "--oversubscribe", "--bind-to", "none", exe])
            .args(&args)
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            // Oversubscribed ranks must yield the core while they wait.
            .env("OMPI_MCA_mpi_yield_when_idle", "1")
            .output()
            .expect("run mpirun")
    };
    assert!(
        status.status.success(),
        "{config} on {ranks} ranks x {threads} threads failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

fn fields(path: &Path) -> Vec<(String, Vec<u64>)> {
    ["u", "v", "p", "vorticity", "speed", "u_face", "v_face"]
        .iter()
        .map(|n| (n.to_string(), read_field(path, n).unwrap().1.iter().map(|x| x.to_bits()).collect()))
        .collect()
}

/// One split study at a time: they oversubscribe the cores already.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn check_all_splits(config: &str, sets: &[String]) {
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("ref");
    run(config, sets, 1, 1, &reference);
    let want = fields(&reference.join("final.h5"));
    // ./scripts/test.sh installs OpenMPI; a missing mpirun is a failure, not a skip.
    let have_mpi = mpirun().is_some();
    assert!(have_mpi, "mpirun not found: install openmpi-bin (./scripts/test.sh does)");
    for ranks in [1, 2, 3, 4] {
        if ranks > 1 && !have_mpi {
            continue;
        }
        for threads in [1, 2] {
            if ranks == 1 && threads == 1 {
                continue;
            }
            let out = dir.path().join(format!("r{ranks}t{threads}"));
            run(config, sets, ranks, threads, &out);
            let got = fields(&out.join("final.h5"));
            for ((name, a), (_, b)) in want.iter().zip(&got) {
                let diff = a.iter().zip(b).filter(|(x, y)| x != y).count();
                assert_eq!(
                    diff, 0,
                    "{config}: field {name} differs in {diff} cells on {ranks} ranks x {threads} threads"
                );
            }
            println!("{config}: {ranks} ranks x {threads} threads: bitwise identical");
        }
    }
}

#[test]
fn cavity_is_bitwise_identical_on_every_split() {
    let sets = ["grid.nx=64", "grid.ny=64", "time.end_time=0.2"].map(String::from);
    check_all_splits("cavity-re100.toml", &sets);
}

#[test]
fn periodic_taylor_green_is_bitwise_identical_on_every_split() {
    let sets = ["grid.nx=48", "grid.ny=48", "time.end_time=0.3"].map(String::from);
    check_all_splits("taylor-green.toml", &sets);
}

#[test]
fn odd_grids_are_bitwise_identical_on_every_split() {
    let sets = ["grid.nx=134", "grid.ny=134", "time.end_time=0.01"].map(String::from);
    check_all_splits("cavity-re100.toml", &sets);
    let sets = ["grid.nx=90", "grid.ny=90", "time.end_time=0.05"].map(String::from);
    check_all_splits("taylor-green.toml", &sets);
}

#[test]
fn crank_nicolson_is_bitwise_identical_on_every_split() {
    // The cavity configs use Crank-Nicolson (the cases above); here the periodic Taylor-Green
    // with it, and the cavity with the explicit viscous term.
    let cn = "navier_stokes.viscous=\"crank_nicolson\"";
    let sets = ["grid.nx=48", "grid.ny=48", "time.end_time=0.3", cn].map(String::from);
    check_all_splits("taylor-green.toml", &sets);
    let ex = "navier_stokes.viscous=\"explicit\"";
    let sets = ["grid.nx=64", "grid.ny=64", "time.end_time=0.2", ex].map(String::from);
    check_all_splits("cavity-re100.toml", &sets);
}

#[test]
fn pseudo_time_is_bitwise_identical_on_every_split() {
    // Pseudo-time iterations (red-black sweeps of the implicit correction coloured by global
    // index, a fixed sweep count, the pressure accumulated by p += phi / dtau): 40 of them from
    // rest, well short of the steady state (time.steps replaces the config's upper bound).
    let sets = ["grid.nx=64", "grid.ny=64", "time.steps=40"].map(String::from);
    check_all_splits("cavity-re1000-steady.toml", &sets);
    // The runs compared above did all 40 iterations and no steady stop cut them short.
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/cavity-re1000-steady.toml");
    let out = format!("output.dir=\"{}\"", dir.path().join("out").display());
    let mut args = vec![config.display().to_string(), "--report".into(), report.display().to_string()];
    for s in sets.iter().cloned().chain([out, "output.progress=\"off\"".into(), "output.images=false".into()]) {
        args.extend(["--set".to_string(), s]);
    }
    let o = Command::new(env!("CARGO_BIN_EXE_simrun")).args(&args).output().expect("run simrun");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["steps"].as_u64(), Some(40), "{r}");
    assert_eq!(r["steady_state"]["reached"], serde_json::Value::Bool(false), "{r}");
}
