//! `cavity-profiles FINAL_H5 --re N [--reference DIR] [--out PREFIX] [--lid U]`: the lid-driven
//! cavity's centre-line profiles (u on x = 0.5, v on y = 0.5) from a navier_stokes final.h5,
//! compared with Ghia, Ghia & Shin (1982). Writes PREFIX-u.csv, PREFIX-v.csv (Ghia's points with
//! the model interpolated to them, then the model's own nodes) and PREFIX.png (model lines, Ghia
//! squares), and prints the max abs and RMS deviations. Exit 2 on bad arguments, 4 on I/O errors.

use simrun::io::hdf5_out::read_field;
use simrun::io::plot::{write_panels, Panel, Series};
use simrun::models::navier_stokes::profiles::{self, Profile};
use simrun::{Error, Result};
use std::path::{Path, PathBuf};

struct Args {
    h5: PathBuf,
    re: u32,
    reference: PathBuf,
    out: PathBuf,
    lid: f64,
}

fn parse() -> Result<Args> {
    let mut it = std::env::args().skip(1);
    let mut a = Args {
        h5: PathBuf::new(),
        re: 0,
        reference: PathBuf::from("../shared/reference"),
        out: PathBuf::new(),
        lid: 1.0,
    };
    let usage = "usage: cavity-profiles FINAL_H5 --re 100|400|1000 [--reference DIR] [--out PREFIX] [--lid U]";
    while let Some(s) = it.next() {
        let mut val =
            |name: &str| it.next().ok_or_else(|| Error::config(format!("option {name} needs a value; {usage}")));
        match s.as_str() {
            "--re" => {
                a.re = val("--re")?
                    .parse()
                    .map_err(|_| Error::config(format!("--re must be 100, 400 or 1000; {usage}")))?
            }
            "--reference" => a.reference = PathBuf::from(val("--reference")?),
            "--out" => a.out = PathBuf::from(val("--out")?),
            "--lid" => a.lid = val("--lid")?.parse().map_err(|_| Error::config("--lid must be a number"))?,
            "-h" | "--help" => return Err(Error::config(usage)),
            _ if a.h5.as_os_str().is_empty() => a.h5 = PathBuf::from(s),
            _ => return Err(Error::config(format!("unexpected argument `{s}`; {usage}"))),
        }
    }
    if a.h5.as_os_str().is_empty() || a.re == 0 {
        return Err(Error::config(usage));
    }
    if a.out.as_os_str().is_empty() {
        a.out = a.h5.with_file_name(format!("profiles-re{}", a.re));
    }
    Ok(a)
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

fn run() -> Result<()> {
    let a = parse()?;
    let (shape, u) = read_field(&a.h5, "u_face")?;
    let (_, v) = read_field(&a.h5, "v_face")?;
    let (ny, nx) = (shape[0], shape[1]);
    let mu = profiles::u_on_vertical_centreline(&u, ny, nx, 1.0, a.lid);
    let mv = profiles::v_on_horizontal_centreline(&v, ny, nx, 1.0);
    let gu = profiles::read_ghia(&a.reference.join("ghia1982_u_vertical_centreline.csv"), a.re)?;
    let gv = profiles::read_ghia(&a.reference.join("ghia1982_v_horizontal_centreline.csv"), a.re)?;
    let (ru, max_u, rms_u) = profiles::compare(&mu, &gu);
    let (rv, max_v, rms_v) = profiles::compare(&mv, &gv);
    // Points the reference file flags (e.g. Re=400 v at x=0.9063): also report without them.
    let flagged = [
        profiles::flagged_points(&a.reference.join("ghia1982_u_vertical_centreline.csv"), a.re),
        profiles::flagged_points(&a.reference.join("ghia1982_v_horizontal_centreline.csv"), a.re),
    ];
    let unflagged_max = |rows: &[(f64, f64, f64)], f: &[f64]| {
        rows.iter()
            .filter(|r| !f.iter().any(|x| (x - r.0).abs() < 1e-9))
            .map(|(_, r, m)| (m - r).abs())
            .fold(0.0, f64::max)
    };
    let prefix = a.out.display().to_string();
    write_csv(Path::new(&format!("{prefix}-u.csv")), "y", "u", &ru, &mu)?;
    write_csv(Path::new(&format!("{prefix}-v.csv")), "x", "v", &rv, &mv)?;
    let blue = [30, 80, 200];
    let red = [210, 40, 40];
    let panels = [
        Panel {
            title: format!("U ON X=0.5 RE={} {nx}X{ny}", a.re),
            series: vec![
                Series { data: mu.iter().map(|&(y, u)| (u, y)).collect(), rgb: blue, points: false },
                Series { data: gu.iter().map(|&(y, u)| (u, y)).collect(), rgb: red, points: true },
            ],
        },
        Panel {
            title: format!("V ON Y=0.5 RE={}", a.re),
            series: vec![
                Series { data: mv.clone(), rgb: blue, points: false },
                Series { data: gv.clone(), rgb: red, points: true },
            ],
        },
    ];
    write_panels(Path::new(&format!("{prefix}.png")), &panels, "LINE: SIMRUN   SQUARES: GHIA ET AL. 1982")?;
    println!("grid {nx}x{ny} Re={}: u on x=0.5: max |dev| {max_u:.5} rms {rms_u:.5}; v on y=0.5: max |dev| {max_v:.5} rms {rms_v:.5}", a.re);
    for (name, rows, f) in [("u", &ru, &flagged[0]), ("v", &rv, &flagged[1])] {
        if !f.is_empty() {
            println!(
                "  {name}: the reference flags the point(s) {f:?}; max |dev| without them {:.5}",
                unflagged_max(rows, f)
            );
        }
    }
    println!("wrote {prefix}-u.csv {prefix}-v.csv {prefix}.png");
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(e.exit_code());
    }
}
