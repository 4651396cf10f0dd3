//! `cavity-profiles FINAL_H5 --re N [--reference DIR] [--out PREFIX] [--lid U]`: the lid-driven
//! cavity's centre-line profiles (u on x = 0.5, v on y = 0.5) from a navier_stokes final.h5,
//! compared with Ghia, Ghia & Shin (1982), and at Re = 1000 the profiles' extrema with Botella &
//! Peyret (1998). The reference tables are compiled in (assets/reference/); `--reference DIR`
//! reads Ghia's two CSV files from DIR instead. Writes PREFIX-u.csv, PREFIX-v.csv (Ghia's points
//! with the model interpolated to them, then the model's own nodes) and PREFIX.png (model lines,
//! Ghia's points), and prints the max abs and RMS deviations. Exit 2 on bad arguments, 4 on I/O
//! errors.

use clap::Parser;
use plotters::prelude::SeriesLabelPosition;
use simrun::io::hdf5_out::read_field;
use simrun::io::plot::{write_panels, Panel, Series};
use simrun::models::navier_stokes::benchmarks::{self, Extremum, GHIA_U, GHIA_V};
use simrun::models::navier_stokes::profiles::{self, Profile};
use simrun::{Error, Result};
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Lid-driven cavity centre-line profiles against Ghia et al. (1982) and Botella & Peyret (1998)"
)]
struct Args {
    /// A navier_stokes final.h5 (fields u_face, v_face).
    h5: PathBuf,
    /// Reynolds number of the run: 100, 400 or 1000 (the columns of Ghia's tables).
    #[arg(long, value_parser = ["100", "400", "1000"])]
    re: String,
    /// Read ghia1982_u_vertical_centreline.csv and ghia1982_v_horizontal_centreline.csv from DIR
    /// instead of the copies compiled in.
    #[arg(long, value_name = "DIR")]
    reference: Option<PathBuf>,
    /// Output prefix (default: profiles-reRE next to FINAL_H5).
    #[arg(long, value_name = "PREFIX")]
    out: Option<PathBuf>,
    /// Lid speed (the u value closing the profile at y = 1).
    #[arg(long, default_value_t = 1.0)]
    lid: f64,
}

fn write_csv(path: &Path, coord: &str, name: &str, rows: &[(f64, f64, f64)], model: &Profile) -> Result<()> {
    let mut s = format!("# Ghia et al. 1982 points with the model interpolated to them, then the model's nodes\n{coord},ghia_{name},model_{name},deviation\n");
    for (x, r, m) in rows {
        s.push_str(&format!("{x},{r},{m},{}\n", m - r));
    }
    s.push_str(&format!("\n{coord},model_{name}\n"));
    for (x, m) in model {
        s.push_str(&format!("{x},{m}\n"));
    }
    std::fs::write(path, s).map_err(|e| Error::io(format!("cannot write {}: {e}", path.display())))
}

/// The text of a Ghia table: from `dir` if given, else the compiled-in copy.
fn table(dir: &Option<PathBuf>, t: benchmarks::Table) -> Result<(String, String)> {
    match dir {
        None => Ok((t.text.to_string(), t.name.to_string())),
        Some(d) => {
            let p = d.join(t.name);
            let text =
                std::fs::read_to_string(&p).map_err(|e| Error::io(format!("cannot read {}: {e}", p.display())))?;
            Ok((text, p.display().to_string()))
        }
    }
}

fn run(a: Args) -> Result<()> {
    let re: u32 = a.re.parse().expect("clap checked the value");
    let out = a.out.clone().unwrap_or_else(|| a.h5.with_file_name(format!("profiles-re{re}")));
    let (shape, u) = read_field(&a.h5, "u_face")?;
    let (_, v) = read_field(&a.h5, "v_face")?;
    let (ny, nx) = (shape[0], shape[1]);
    let mu = profiles::u_on_vertical_centreline(&u, ny, nx, 1.0, a.lid);
    let mv = profiles::v_on_horizontal_centreline(&v, ny, nx, 1.0);
    let (tu, su) = table(&a.reference, GHIA_U)?;
    let (tv, sv) = table(&a.reference, GHIA_V)?;
    let gu = profiles::parse_ghia(&tu, &su, re)?;
    let gv = profiles::parse_ghia(&tv, &sv, re)?;
    let (ru, max_u, rms_u) = profiles::compare(&mu, &gu);
    let (rv, max_v, rms_v) = profiles::compare(&mv, &gv);
    // Points the reference file flags (e.g. Re=400 v at x=0.9063): also report without them.
    let flagged = [profiles::flagged_points(&tu, re), profiles::flagged_points(&tv, re)];
    let unflagged_max = |rows: &[(f64, f64, f64)], f: &[f64]| {
        rows.iter()
            .filter(|r| !f.iter().any(|x| (x - r.0).abs() < 1e-9))
            .map(|(_, r, m)| (m - r).abs())
            .fold(0.0, f64::max)
    };
    let prefix = out.display().to_string();
    write_csv(Path::new(&format!("{prefix}-u.csv")), "y", "u", &ru, &mu)?;
    write_csv(Path::new(&format!("{prefix}-v.csv")), "x", "v", &rv, &mv)?;
    let blue = [30, 80, 200];
    let red = [210, 40, 40];
    let panels = [
        Panel {
            title: format!("u on x = 0.5, Re = {re}, {nx} x {ny}"),
            x_label: "u".into(),
            y_label: "y".into(),
            series: vec![
                Series {
                    label: "simrun".into(),
                    data: mu.iter().map(|&(y, u)| (u, y)).collect(),
                    rgb: blue,
                    points: false,
                },
                Series {
                    label: "Ghia et al. 1982".into(),
                    data: gu.iter().map(|&(y, u)| (u, y)).collect(),
                    rgb: red,
                    points: true,
                },
            ],
            legend: SeriesLabelPosition::LowerRight,
        },
        Panel {
            title: format!("v on y = 0.5, Re = {re}"),
            x_label: "x".into(),
            y_label: "v".into(),
            series: vec![
                Series { label: "simrun".into(), data: mv.clone(), rgb: blue, points: false },
                Series { label: "Ghia et al. 1982".into(), data: gv.clone(), rgb: red, points: true },
            ],
            legend: SeriesLabelPosition::UpperRight,
        },
    ];
    write_panels(Path::new(&format!("{prefix}.png")), &panels)?;
    println!("grid {nx}x{ny} Re={re}: u on x=0.5: max |dev| {max_u:.5} rms {rms_u:.5}; v on y=0.5: max |dev| {max_v:.5} rms {rms_v:.5}");
    for (name, rows, f) in [("u", &ru, &flagged[0]), ("v", &rv, &flagged[1])] {
        if !f.is_empty() {
            println!(
                "  {name}: the reference flags the point(s) {f:?}; max |dev| without them {:.5}",
                unflagged_max(rows, f)
            );
        }
    }
    if re == 1000 {
        let bp = benchmarks::botella_peyret_re1000();
        let line = |name: &str, (at, value): (f64, f64), r: Extremum| {
            let rel = (value.abs() - r.value.abs()) / r.value.abs();
            println!(
                "  {name} {value:.5} at {at:.4} (Botella & Peyret 1998: {:.7} at {:.4}; magnitude {:+.2} %)",
                r.value,
                r.at,
                100.0 * rel
            );
        };
        println!("extrema of the cubic interpolants of the profiles:");
        line("u_min", profiles::extremum(&mu, false), bp.u_min);
        line("v_max", profiles::extremum(&mv, true), bp.v_max);
        line("v_min", profiles::extremum(&mv, false), bp.v_min);
    }
    println!("wrote {prefix}-u.csv {prefix}-v.csv {prefix}.png");
    Ok(())
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(args) {
        eprintln!("error: {e}");
        std::process::exit(e.exit_code());
    }
}
