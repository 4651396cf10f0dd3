//! Self-describing HDF5 (src/io/describe.rs): every field dataset of final.h5 (self-contained
//! and distributed) and of a checkpoint's commit file carries `units`, `long_name` and
//! `centring` from the model's field table, and its axes have dimension scales attached whose
//! values are the cell centres (i + 0.5) d, or for face fields the high faces (i + 1) d.

mod common;
use common::describe_runs::{latest_commit, run_case, CASES};
use common::*;
use simrun::io::describe::{field_datasets, is_attached, is_scale};
use simrun::models::{self, Centring};
use std::path::Path;

fn str_attr(loc: &hdf5::Location, name: &str) -> String {
    loc.attr(name)
        .unwrap_or_else(|e| panic!("{}: no attribute {name}: {e}", loc.name()))
        .read_scalar::<hdf5::types::VarLenUnicode>()
        .unwrap()
        .as_str()
        .to_string()
}

/// Check every field of `path` against the field table of its model; returns the fields seen.
fn check_file(path: &Path) -> Vec<String> {
    let f = hdf5::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let model = str_attr(&f, "model");
    let table = models::find(&model).unwrap().fields();
    let spacing: Vec<f64> = f.attr("spacing").unwrap().read_raw().unwrap();
    let shape: Vec<usize> =
        f.attr("grid_shape").unwrap().read_raw::<u64>().unwrap().iter().map(|&v| v as usize).collect();
    let listed: Vec<String> = str_attr(&f, "fields").split(',').map(String::from).collect();
    let g = f.group("fields").unwrap();
    let mut found = field_datasets(&g).unwrap();
    found.sort();
    let mut want = listed.clone();
    want.sort();
    assert_eq!(found, want, "{}: the non-coordinate datasets of /fields are the listed fields", path.display());
    let dims = shape.len();
    for name in &listed {
        let info = table.get(name).unwrap_or_else(|| panic!("{model}: {name} not in the field table"));
        let ds = g.dataset(name).unwrap();
        assert!(!is_scale(&ds), "{name}");
        assert_eq!(str_attr(&ds, "units"), info.units, "{}: {name}", path.display());
        assert_eq!(str_attr(&ds, "long_name"), info.long_name, "{}: {name}", path.display());
        assert_eq!(str_attr(&ds, "centring"), info.centring.as_str(), "{}: {name}", path.display());
        assert_eq!(ds.shape(), shape, "{name}");
        for (a, &n) in shape.iter().enumerate() {
            let axis = 3 - dims + a;
            let letter = ["z", "y", "x"][axis];
            let face = info.centring.face_axis() == Some(axis);
            let cname = if face { format!("{letter}_face") } else { letter.to_string() };
            let c = g.dataset(&cname).unwrap_or_else(|e| panic!("{}: no coordinate {cname}: {e}", path.display()));
            assert!(is_scale(&c), "{cname} is a dimension scale");
            assert!(is_attached(&ds, &c, a), "{}: {cname} is attached to axis {a} of {name}", path.display());
            // ... and to no other axis of it.
            for b in (0..dims).filter(|&b| b != a) {
                assert!(!is_attached(&ds, &c, b), "{}: {cname} also on axis {b} of {name}", path.display());
            }
            let v: Vec<f64> = c.read_raw().unwrap();
            let off = if face { 1.0 } else { 0.5 };
            let expect: Vec<f64> = (0..n).map(|i| (i as f64 + off) * spacing[axis]).collect();
            assert_bits_eq(&v, &expect, &format!("{}: coordinate {cname}", path.display()));
            assert_eq!(str_attr(&c, "units"), table.length_units, "{cname}");
            assert_eq!(str_attr(&c, "centring"), if face { format!("{letter}_face") } else { "cell".into() });
            assert!(str_attr(&c, "long_name").contains(table.axis_names[axis]), "{cname}");
            // netCDF-4 names the dimension after the scale.
            assert_eq!(
                c.attr("NAME").unwrap().read_scalar::<hdf5::types::FixedAscii<16>>().unwrap().as_str(),
                cname.as_str()
            );
        }
        assert!(ds.attr("DIMENSION_LIST").is_ok(), "{name}");
    }
    listed
}

#[test]
fn final_files_of_every_model_carry_coordinates_and_units() {
    for (label, _) in CASES {
        let dir = run_case("self_describing", label);
        let fields = check_file(&dir.join("final.h5"));
        let spec = models::find(if label.starts_with("heat") { "heat" } else { label }).unwrap();
        assert!(fields.len() == spec.fields().fields.len(), "{label}: every view and state field written: {fields:?}");
        if label == "navier_stokes" {
            let t = spec.fields();
            assert_eq!(t.get("u_face").unwrap().centring, Centring::XFace);
            assert_eq!(t.get("v_face").unwrap().centring, Centring::YFace);
        }
        println!("{label}: {fields:?}");
    }
}

#[test]
fn checkpoint_commit_files_carry_coordinates_and_units() {
    let dir = run_case("self_describing_ckpt", "heat2d");
    let commit = latest_commit(&dir);
    assert_eq!(check_file(&commit), vec!["temperature".to_string()]);
    // The virtual dataset still reads the data.
    let a: Vec<f64> = hdf5::File::open(&commit).unwrap().dataset("fields/temperature").unwrap().read_raw().unwrap();
    assert!(a.iter().all(|v| v.is_finite()) && a.len() == 12 * 8);
}

#[test]
fn distributed_final_output_carries_coordinates_and_units() {
    let dir = scratch("self_describing_mpi");
    let text = CASES[3].1.replace("OUT", &dir.join("out").display().to_string());
    let p = write(&dir, "ns.toml", &text);
    let o = mpirun(2, &[p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.join("out");
    assert!(out.join("final").is_dir(), "final.h5 is distributed on 2 ranks (output.single_file_max_mib = 0)");
    check_file(&out.join("final.h5"));
}

/// One axis convention (README "Axes"): sizes printed x first, report.json `grid` in array order
/// and `grid_xyz` x first, on a grid whose nx, ny, nz all differ.
#[test]
fn sizes_are_printed_x_first_and_the_report_names_its_order() {
    let dir = scratch("self_describing_axes");
    let text = CASES[1].1.replace("OUT", &dir.join("out").display().to_string());
    let p = write(&dir, "heat3d.toml", &text);
    let o = simrun(&["check", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("(10 x 6 x 4 = nx x ny x nz)"), "{out}");
    let report = dir.join("run.json");
    let o = simrun(&[p.to_str().unwrap(), "--report", report.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    assert_eq!(r["grid"], serde_json::json!([4, 6, 10]), "{r}");
    assert_eq!(r["grid_xyz"], serde_json::json!([10, 6, 4]), "{r}");
}
