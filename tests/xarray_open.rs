//! xarray opens simrun's HDF5 files as netCDF-4: scripts/xarray_check.py runs
//! `xarray.open_dataset(path, engine="h5netcdf", group="fields")` on final.h5 of heat 2-D, heat
//! 3-D, weather and navier_stokes and on a field output of each, on a checkpoint's commit file and on a distributed final.h5
//! (virtual datasets, 2 MPI ranks), and checks the dims ((y, x) / (z, y, x), face axes
//! `x_face` ...), the coordinate values (cell centres) and the attributes.
//!
//! The Python comes from `SIMRUN_TEST_PYTHON` (scripts/test.sh makes the venv `.venv-test` from
//! scripts/requirements-xarray.txt and sets it), else `.venv-test/bin/python` of the repo if it
//! exists. Without either the test FAILS, saying how to get one: it never passes unchecked.

mod common;
use common::describe_runs::{latest_commit, run_case, CASES};
use common::*;
use std::path::PathBuf;
use std::process::Command;

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("SIMRUN_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = root().join(".venv-test/bin/python");
    assert!(
        venv.exists(),
        "no Python with xarray: set SIMRUN_TEST_PYTHON, or run ./scripts/test.sh (it creates .venv-test from scripts/requirements-xarray.txt)"
    );
    venv
}

fn xarray_check(files: &[PathBuf]) -> String {
    let o = Command::new(python())
        .arg(root().join("scripts/xarray_check.py"))
        .args(files)
        .output()
        .expect("the test Python runs");
    let (out, err) = (String::from_utf8_lossy(&o.stdout).to_string(), stderr(&o));
    assert!(o.status.success(), "xarray_check.py failed:\n{out}{err}");
    out
}

#[test]
fn xarray_opens_final_and_checkpoint_files_of_every_model() {
    let mut files = Vec::new();
    for (label, _) in CASES {
        let dir = run_case("xarray_open", label);
        files.push(dir.join("final.h5"));
        // A field output (f32, the model's view fields) of every model.
        let mut outputs: Vec<PathBuf> =
            std::fs::read_dir(dir.join("fields")).unwrap().flatten().map(|e| e.path()).collect();
        outputs.sort();
        files.push(outputs.last().cloned().unwrap_or_else(|| panic!("{label}: no field output")));
        if label == "heat2d" {
            files.push(latest_commit(&dir));
        }
    }
    // A distributed final.h5 (virtual datasets over final/rank_*.h5).
    let dir = scratch("xarray_open_mpi");
    let p = write(&dir, "heat.toml", &CASES[0].1.replace("OUT", &dir.join("out").display().to_string()));
    let o = mpirun(2, &[p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.join("out/final").is_dir(), "final.h5 is distributed on 2 ranks");
    files.push(dir.join("out/final.h5"));
    let out = xarray_check(&files);
    println!("{out}");
    assert_eq!(out.lines().count(), files.len(), "one line per file: {out}");
    assert!(out.contains("temperature('z', 'y', 'x')"), "heat 3-D: {out}");
    assert!(out.contains("u_face('y', 'x_face')") && out.contains("v_face('y_face', 'x')"), "faces: {out}");
    assert!(out.contains("theta('y', 'x')[K]"), "weather: {out}");
}

/// The script itself must fail on a file without coordinates (so the check above can fail).
#[test]
fn xarray_check_refuses_a_file_without_coordinates() {
    let dir = scratch("xarray_open_bare");
    let path = dir.join("bare.h5");
    {
        let f = hdf5::File::create(&path).unwrap();
        f.new_attr::<f64>().shape(3).create("spacing").unwrap().write(&[1.0, 0.5, 0.25]).unwrap();
        f.new_attr::<u64>().shape(2).create("grid_shape").unwrap().write(&[2u64, 3]).unwrap();
        let v: hdf5::types::VarLenUnicode = "temperature".parse().unwrap();
        f.new_attr::<hdf5::types::VarLenUnicode>().create("fields").unwrap().write_scalar(&v).unwrap();
        let g = f.create_group("fields").unwrap();
        g.new_dataset_builder().with_data(&ndarray::Array2::<f64>::zeros((2, 3))).create("temperature").unwrap();
    }
    let o = Command::new(python()).arg(root().join("scripts/xarray_check.py")).arg(&path).output().unwrap();
    assert!(!o.status.success(), "a file without dimension scales passes the check");
    assert!(stderr(&o).contains("temperature"), "{}", stderr(&o));
}
