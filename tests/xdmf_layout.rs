//! The XDMF sidecars' structure, without ParaView (scripts/paraview-check.sh renders them in a
//! real one): for final.xdmf and checkpoints.xdmf of heat 2-D (a 2 mm plate with dx != dy), heat
//! 3-D, navier_stokes and a 2-rank run whose final.h5 is a distributed commit, every grid's
//! node dimensions, origin and spacing (XDMF order z y x) match the run's grid: in 2-D node data
//! on a one-node layer at the cell centres, its layer spacing dx; in 3-D cell data on the cell
//! faces. Every data item names an existing file and dataset of its dimensions, every field of
//! the file but the face fields is shown, no face field is, the times are the files' times, and
//! checkpoints.xdmf lists exactly the committed checkpoints.

mod common;
use common::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;

/// One test at a time: reading a checkpoint's virtual datasets in this process while another
/// test's in-process run uses HDF5 was seen to read zeros (the tests share one HDF5 library;
/// simrun itself calls HDF5 from one I/O thread only).
static SERIAL: Mutex<()> = Mutex::new(());

/// The run's grid as the test set it: cells (z, y, x) and lengths (z, y, x).
struct Expect {
    dims: usize,
    cells: [usize; 3],
    len: [f64; 3],
}

impl Expect {
    fn spacing(&self) -> [f64; 3] {
        [0, 1, 2].map(|a| self.len[a] / self.cells[a] as f64)
    }
}

fn floats(s: &str) -> Vec<f64> {
    s.split_whitespace().map(|v| v.parse().unwrap_or_else(|_| panic!("not a number: {v}"))).collect()
}

fn ints(s: &str) -> Vec<usize> {
    s.split_whitespace().map(|v| v.parse().unwrap_or_else(|_| panic!("not an integer: {v}"))).collect()
}

fn child<'a>(n: roxmltree::Node<'a, 'a>, tag: &str) -> roxmltree::Node<'a, 'a> {
    n.children().find(|c| c.has_tag_name(tag)).unwrap_or_else(|| panic!("<{}> has no <{tag}>", n.tag_name().name()))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1e-300)
}

/// Check one XDMF file; returns the HDF5 files it names, in order.
fn check_xdmf(path: &Path, e: &Expect) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let opt = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
    let doc = roxmltree::Document::parse_with_options(&text, opt)
        .unwrap_or_else(|err| panic!("{}: not XML: {err}", path.display()));
    let dir = path.parent().unwrap();
    let grids: Vec<_> =
        doc.descendants().filter(|n| n.has_tag_name("Grid") && n.attribute("GridType") == Some("Uniform")).collect();
    assert!(!grids.is_empty(), "{}: no uniform grid", path.display());
    let [nz, ny, nx] = e.cells;
    let [dz, dy, dx] = e.spacing();
    let mut files = Vec::new();
    for g in grids {
        let topo = child(g, "Topology");
        assert_eq!(topo.attribute("TopologyType"), Some("3DCoRectMesh"));
        let geo = child(g, "Geometry");
        assert_eq!(geo.attribute("GeometryType"), Some("ORIGIN_DXDYDZ"));
        let items: Vec<_> = geo.children().filter(|c| c.has_tag_name("DataItem")).collect();
        let (origin, step) = (floats(items[0].text().unwrap()), floats(items[1].text().unwrap()));
        let nodes = ints(topo.attribute("Dimensions").unwrap());
        let (want_nodes, want_origin, want_step, item_dims, center) = if e.dims == 2 {
            // One node layer at the cell centres; the layer's spacing (its thickness for a reader
            // that thickens it) follows dx.
            (vec![1, ny, nx], [0.0, dy / 2.0, dx / 2.0], [dx, dy, dx], vec![1, ny, nx], "Node")
        } else {
            (vec![nz + 1, ny + 1, nx + 1], [0.0; 3], [dz, dy, dx], vec![nz, ny, nx], "Cell")
        };
        assert_eq!(nodes, want_nodes, "{}: node dimensions (z y x)", path.display());
        for a in 0..3 {
            assert!(
                close(origin[a], want_origin[a]),
                "{}: origin {origin:?}, expected {want_origin:?}",
                path.display()
            );
            assert!(close(step[a], want_step[a]), "{}: spacing {step:?}, expected {want_step:?}", path.display());
        }
        let time: f64 = child(g, "Time").attribute("Value").unwrap().parse().unwrap();
        let mut shown = BTreeSet::new();
        let mut file_of_grid = None;
        for attr in g.children().filter(|c| c.has_tag_name("Attribute")) {
            let name = attr.attribute("Name").unwrap();
            assert!(!name.ends_with("_face"), "{}: face field {name} on the cell grid", path.display());
            assert_eq!(attr.attribute("Center"), Some(center), "{}: {name}", path.display());
            let item = child(attr, "DataItem");
            assert_eq!(item.attribute("Format"), Some("HDF"));
            assert_eq!(item.attribute("Precision"), Some("8"));
            assert_eq!(ints(item.attribute("Dimensions").unwrap()), item_dims, "{}: {name}", path.display());
            let (file, dataset) = item.text().unwrap().trim().split_once(':').unwrap();
            assert_eq!(dataset, format!("/fields/{name}"));
            let h5 = dir.join(file);
            let f =
                hdf5::File::open(&h5).unwrap_or_else(|err| panic!("{}: {} names {file}: {err}", path.display(), name));
            let ds = f.dataset(dataset).unwrap_or_else(|err| panic!("{}: no {dataset}: {err}", h5.display()));
            let mut want_shape = item_dims.clone();
            if e.dims == 2 {
                want_shape.remove(0);
            }
            assert_eq!(ds.shape(), want_shape, "{}:{dataset}", h5.display());
            assert_eq!(ds.dtype().unwrap().size(), 8, "{}:{dataset} is not f64", h5.display());
            // The data are readable (a virtual dataset whose sources are there reads them).
            let data: Vec<f64> = ds.read_raw().unwrap();
            assert!(data.iter().all(|v| v.is_finite()) && data.iter().any(|v| *v != 0.0), "{}:{dataset}", h5.display());
            let t: f64 = f.attr("time").unwrap().read_scalar().unwrap();
            assert_eq!(t.to_bits(), time.to_bits(), "{}: time of {file}", path.display());
            shown.insert(name.to_string());
            file_of_grid = Some((file.to_string(), f));
        }
        let (file, f) = file_of_grid.unwrap_or_else(|| panic!("{}: a grid with no field", path.display()));
        let all: BTreeSet<String> =
            simrun::io::describe::field_datasets(&f.group("fields").unwrap()).unwrap().into_iter().collect();
        let cell: BTreeSet<String> = all.iter().filter(|n| !n.ends_with("_face")).cloned().collect();
        assert_eq!(shown, cell, "{}: the fields shown are not the file's cell fields", path.display());
        files.push(file);
    }
    files
}

/// final.xdmf names final.h5; checkpoints.xdmf names exactly the committed checkpoints, oldest
/// first.
fn check_outputs(out: &Path, e: &Expect, checkpoints: usize) {
    assert_eq!(check_xdmf(&out.join("final.xdmf"), e), vec!["final.h5".to_string()]);
    let listed = check_xdmf(&out.join("checkpoints.xdmf"), e);
    let mut committed: Vec<String> = std::fs::read_dir(out.join("checkpoints"))
        .unwrap()
        .flatten()
        .filter(|d| d.path().join("checkpoint.h5").is_file())
        .map(|d| format!("checkpoints/{}/checkpoint.h5", d.file_name().to_string_lossy()))
        .collect();
    committed.sort();
    assert_eq!(listed, committed, "checkpoints.xdmf lists other files than the committed checkpoints");
    assert_eq!(listed.len(), checkpoints, "checkpoints kept (checkpoint.keep)");
}

#[test]
fn heat_2d_plate_of_2_mm() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let sets = [
        "grid.nx=40",
        "grid.ny=24",
        "grid.lx=0.002",
        "grid.ly=0.0015",
        "time.end_time=1e-8",
        "parallel.threads=1",
        "checkpoint.every_steps=7",
        "checkpoint.keep=2",
    ];
    let (_, dir) = run_config("heat2d.toml", &sets);
    check_outputs(dir.path(), &Expect { dims: 2, cells: [1, 24, 40], len: [0.0, 0.0015, 0.002] }, 2);
}

#[test]
fn heat_3d() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let sets = [
        "grid.nx=12",
        "grid.ny=10",
        "grid.nz=6",
        "grid.lz=0.5",
        "time.end_time=0.02",
        "parallel.threads=1",
        "checkpoint.every_steps=5",
    ];
    let (_, dir) = run_config("heat3d.toml", &sets);
    check_outputs(dir.path(), &Expect { dims: 3, cells: [6, 10, 12], len: [0.5, 1.0, 1.0] }, 3);
}

#[test]
fn navier_stokes_leaves_the_face_fields_out() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let sets = [
        "grid.nx=16",
        "grid.ny=12",
        "grid.ly=0.75",
        "time.end_time=0.4",
        "parallel.threads=1",
        "checkpoint.every_steps=10",
        // Explicit viscosity fixes the step count, so the checkpoint count below.
        "navier_stokes.viscous=\"explicit\"",
    ];
    let (_, dir) = run_config("cavity-re100.toml", &sets);
    let e = Expect { dims: 2, cells: [1, 12, 16], len: [0.0, 0.75, 1.0] };
    check_outputs(dir.path(), &e, 3);
    // The face fields are in the file, only not in the XDMF.
    let f = hdf5::File::open(dir.path().join("final.h5")).unwrap();
    assert!(f.dataset("fields/u_face").is_ok() && f.dataset("fields/v_face").is_ok());
}

#[test]
fn distributed_final_on_2_ranks() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = scratch("xdmf_mpi");
    let cfg = root().join("configs/heat2d.toml");
    let out = dir.join("out");
    let o = mpirun(
        2,
        &[
            cfg.to_str().unwrap(),
            "--set",
            "grid.nx=30",
            "--set",
            "grid.ny=20",
            "--set",
            "time.end_time=0.005",
            "--set",
            "parallel.threads=1",
            "--set",
            "checkpoint.every_steps=4",
            "--set",
            "output.images=false",
            "--set",
            "output.progress=\"off\"",
            "--set",
            &format!("output.dir=\"{}\"", out.display()),
        ],
    );
    assert!(o.status.success(), "mpirun: {}", stderr(&o));
    assert!(out.join("final").is_dir(), "final.h5 is not a distributed commit");
    check_outputs(&out, &Expect { dims: 2, cells: [1, 20, 30], len: [0.0, 1.0, 1.0] }, 3);
}
