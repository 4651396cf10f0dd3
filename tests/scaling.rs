//! `simrun scale` and `simrun compare` end to end on tiny heat grids: every configuration is in
//! the CSV/JSON, speedups and efficiencies follow from the recorded times, weak grids grow by the
//! core count, plots are valid PNG/SVG, failed runs are reported while the study goes on.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

const TINY: &str = r#"
model = "heat"
[grid]
nx = 48
ny = 40
[time]
steps = 20
[output]
images = false
progress = "off"
diagnostics_every = 0
[heat.initial]
background = 0.5
[[heat.initial.shapes]]
kind = "disc"
center = [0.3, 0.6]
radius = 0.2
value = 2.0
"#;

fn scale(args: &[&str]) -> Output {
    Command::new(bin())
        .arg("scale")
        .args(args)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
        .output()
        .expect("simrun runs")
}

/// A study on one rank over `threads` (e.g. "1,2"), `repeat` times each, into `out`.
fn one_rank_study(cfg: &Path, threads: &str, repeat: &str, out: &Path) -> Output {
    scale(&[
        cfg.to_str().unwrap(),
        "--ranks",
        "1",
        "--threads",
        threads,
        "--repeat",
        repeat,
        "--out",
        out.to_str().unwrap(),
    ])
}

/// A CSV file as rows of column name -> text.
fn csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let head: Vec<String> = lines.next().expect("header").split(',').map(str::to_string).collect();
    lines
        .map(|l| {
            let cells: Vec<&str> = l.splitn(head.len(), ',').collect();
            head.iter().cloned().zip(cells.iter().map(|c| c.to_string())).collect()
        })
        .collect()
}

fn f(row: &BTreeMap<String, String>, key: &str) -> f64 {
    row[key].parse().unwrap_or_else(|_| panic!("{key} = {:?} is not a number", row[key]))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{} lacks the PNG signature", path.display());
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("PNG header decodes");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG image decodes");
    assert!(info.width >= 400 && info.height >= 300, "{}: {}x{}", path.display(), info.width, info.height);
    let data = &buf[..info.buffer_size()];
    // Not blank: a white background with drawn (non-white) pixels.
    let dark = data.chunks(3).filter(|p| p.iter().any(|&c| c < 128)).count();
    assert!(dark > 1000, "{}: only {dark} dark pixels", path.display());
}

fn assert_svg(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let body = text.trim_start();
    let body = if body.starts_with("<?xml") { &body[body.find("?>").unwrap() + 2..] } else { body };
    assert!(body.trim_start().starts_with("<svg"), "{} has no <svg root", path.display());
    assert!(text.trim_end().ends_with("</svg>"), "{} is not closed", path.display());
    assert_eq!(text.matches('<').count(), text.matches('>').count(), "{}: unbalanced tags", path.display());
    assert!(text.contains("<text"), "{}: no text drawn", path.display());
}

fn assert_plots(dir: &Path, names: &[&str]) {
    for n in names {
        assert_png(&dir.join(format!("{n}.png")));
        assert_svg(&dir.join(format!("{n}.svg")));
    }
}

#[test]
fn strong_study_records_every_configuration_with_efficiencies_from_the_times() {
    let dir = scratch("scale_strong");
    let cfg = write(&dir, "tiny.toml", TINY);
    let out = dir.join("study");
    let o = scale(&[
        cfg.to_str().unwrap(),
        "--ranks",
        "1,2",
        "--threads",
        "1,2",
        "--repeat",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "scale failed: {}", stderr(&o));
    assert!(stderr(&o).contains("[8/8]") && stderr(&o).contains("ETA"), "no study progress: {}", stderr(&o));

    let runs = csv(&out.join("study.csv"));
    assert_eq!(runs.len(), 8, "2 ranks x 2 threads x 2 repeats");
    let summary = csv(&out.join("summary.csv"));
    assert_eq!(summary.len(), 4);
    let t = |r: usize, th: usize| -> Vec<f64> {
        runs.iter()
            .filter(|x| x["ranks"] == r.to_string() && x["threads"] == th.to_string())
            .map(|x| f(x, "time_per_step_s"))
            .collect()
    };
    for (r, th) in [(1, 1), (1, 2), (2, 1), (2, 2)] {
        let times = t(r, th);
        assert_eq!(times.len(), 2, "{r}x{th}");
        assert!(runs.iter().all(|x| x["ok"] == "true" && x["grid"] == "48x40" && x["steps"] == "20"));
        assert!(runs[0].contains_key("phase_compute_max_s") && runs[0].contains_key("phase_halo_max_s"));
    }
    let t1 = median(t(1, 1));
    for row in &summary {
        let (r, th): (usize, usize) = (row["ranks"].parse().unwrap(), row["threads"].parse().unwrap());
        let tm = median(t(r, th));
        assert!(close(f(row, "time_per_step_median_s"), tm), "{r}x{th} median");
        let (lo, hi) = t(r, th).into_iter().fold((f64::MAX, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
        assert!(close(f(row, "time_per_step_min_s"), lo) && close(f(row, "time_per_step_max_s"), hi));
        let p = (r * th) as f64;
        assert!(close(f(row, "speedup"), t1 / tm), "{r}x{th} speedup");
        assert!(close(f(row, "efficiency"), t1 / tm / p), "{r}x{th} efficiency");
        assert!(close(f(row, "cell_updates_per_second"), 48.0 * 40.0 / tm));
    }

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("study.json")).unwrap()).unwrap();
    assert_eq!(json["runs"].as_array().unwrap().len(), 8);
    assert_eq!(json["summary"].as_array().unwrap().len(), 4);
    assert_eq!(json["baseline"], "1x1");
    let fits = json["fits"].as_array().unwrap();
    assert!(fits.iter().any(|f| f["law"] == "amdahl" && f["points"] == "all" && f["serial_fraction"].is_number()));
    for run in json["runs"].as_array().unwrap() {
        let rep = out.join(run["report"].as_str().unwrap());
        assert!(rep.is_file(), "per-run report {} kept", rep.display());
        assert!(!rep.with_file_name("out").exists(), "run outputs are removed by default");
    }
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("| ranks | threads |") && md.contains("Amdahl serial fraction"), "{md}");
    assert_eq!(md.lines().filter(|l| l.starts_with("| 1 |") || l.starts_with("| 2 |")).count(), 4);
    assert_plots(&out, &["speedup", "efficiency", "phases"]);
}

#[test]
fn weak_study_grows_the_grid_with_the_cores() {
    let dir = scratch("scale_weak");
    let cfg = write(&dir, "tiny.toml", TINY);
    let out = dir.join("study");
    let o = scale(&[
        cfg.to_str().unwrap(),
        "--mode",
        "weak",
        "--ranks",
        "1,2",
        "--threads",
        "1,2",
        "--repeat",
        "1",
        "--keep-outputs",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "weak scale failed: {}", stderr(&o));
    assert!(out.join("runs/r2_t2_1/out/final.h5").is_file(), "--keep-outputs keeps final.h5");
    let summary = csv(&out.join("summary.csv"));
    let grid: BTreeMap<String, (String, u64)> = summary
        .iter()
        .map(|r| (format!("{}x{}", r["ranks"], r["threads"]), (r["grid"].clone(), r["cells"].parse().unwrap())))
        .collect();
    // nx doubles first, then ny: cells per core stay 48 x 40.
    assert_eq!(grid["1x1"], ("48x40".to_string(), 1920));
    assert_eq!(grid["1x2"], ("96x40".to_string(), 2 * 1920));
    assert_eq!(grid["2x1"], ("96x40".to_string(), 2 * 1920));
    assert_eq!(grid["2x2"], ("96x80".to_string(), 4 * 1920));
    let t1 = f(summary.iter().find(|r| r["ranks"] == "1" && r["threads"] == "1").unwrap(), "time_per_step_median_s");
    for row in &summary {
        let tp = f(row, "time_per_step_median_s");
        let p = f(row, "cores");
        assert!(close(f(row, "efficiency"), t1 / tp), "weak efficiency is T1/Tp");
        assert!(close(f(row, "speedup"), p * t1 / tp), "scaled speedup is p T1/Tp");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("study.json")).unwrap()).unwrap();
    assert!(json["fits"].as_array().unwrap().iter().any(|f| f["law"] == "gustafson"));
    for run in json["runs"].as_array().unwrap() {
        // The run itself reports the grown grid (and the same cell size: the plate grew).
        let rep: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(run["report"].as_str().unwrap())).unwrap()).unwrap();
        assert_eq!(rep["grid"], run["grid"]);
    }
    assert_plots(&out, &["speedup", "efficiency", "phases"]);
}

fn study(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("study.json")).unwrap()).unwrap()
}

#[test]
fn compare_gives_ratios_and_tells_noise_from_a_real_difference() {
    let dir = scratch("scale_compare");
    let cfg = write(&dir, "tiny.toml", TINY);
    let a = dir.join("a");
    let o = one_rank_study(&cfg, "1,2", "2", &a);
    assert!(o.status.success(), "{}", stderr(&o));
    // B: the same study made k times slower, k large enough that B's fastest repeat is slower
    // than A's slowest (a shared machine can make the min-max range of A wide).
    let b = dir.join("b");
    std::fs::create_dir_all(&b).unwrap();
    let mut st = study(&a);
    let spread =
        |c: &serde_json::Value| c["time_per_step_max"].as_f64().unwrap() / c["time_per_step_min"].as_f64().unwrap();
    let k = 3.0 * st["summary"].as_array().unwrap().iter().map(spread).fold(1.0, f64::max);
    for c in st["summary"].as_array_mut().unwrap() {
        for key in ["time_per_step_median", "time_per_step_min", "time_per_step_max"] {
            c[key] = serde_json::json!(c[key].as_f64().unwrap() * k);
        }
    }
    std::fs::write(b.join("study.json"), st.to_string()).unwrap();

    // A study against a copy of itself (one directory named twice is refused).
    let a2 = dir.join("a2");
    std::fs::create_dir_all(&a2).unwrap();
    std::fs::copy(a.join("study.json"), a2.join("study.json")).unwrap();
    let same = simrun(&["compare", a.to_str().unwrap(), a2.to_str().unwrap()]);
    assert!(same.status.success(), "{}", stderr(&same));
    let text = String::from_utf8_lossy(&same.stdout);
    assert_eq!(text.matches("within noise").count(), 2, "{text}");
    assert_eq!(text.matches("| 1.000 [").count(), 2, "ratio 1 against itself: {text}");

    let cmp = dir.join("cmp");
    let slower = simrun(&["compare", a.to_str().unwrap(), b.to_str().unwrap(), "--out", cmp.to_str().unwrap()]);
    assert!(slower.status.success(), "{}", stderr(&slower));
    let text = String::from_utf8_lossy(&slower.stdout);
    assert_eq!(text.matches("] slower").count(), 2, "{text}");
    let rows = csv(&cmp.join("compare.csv"));
    assert_eq!(rows.len(), 4, "2 configurations x 2 studies");
    let a_rows: Vec<_> = rows.iter().filter(|r| r["baseline"] == "true").collect();
    for r in rows.iter().filter(|r| r["baseline"] == "false") {
        assert!((f(r, "ratio") - 1.0 / k).abs() < 1e-9 / k, "throughput ratio {} should be 1/{k}", r["ratio"]);
        let base = a_rows.iter().find(|x| x["ranks"] == r["ranks"] && x["threads"] == r["threads"]).unwrap();
        assert!(close(f(r, "ratio_lo"), f(r, "cell_updates_per_second_min") / f(base, "cell_updates_per_second_max")));
        assert!(close(f(r, "ratio_hi"), f(r, "cell_updates_per_second_max") / f(base, "cell_updates_per_second_min")));
        // Per cell update: throughput is cells over the median time.
        assert!(close(f(r, "cell_updates_per_second_median"), 48.0 * 40.0 / f(r, "time_median_s")));
    }
    assert_plots(&cmp, &["speedup", "efficiency", "throughput", "ratio"]);

    // --baseline picks the other study: the ratios invert.
    let rev = simrun(&["compare", a.to_str().unwrap(), b.to_str().unwrap(), "--baseline", b.to_str().unwrap()]);
    assert!(rev.status.success(), "{}", stderr(&rev));
    assert_eq!(String::from_utf8_lossy(&rev.stdout).matches("] faster").count(), 2);
    let bad = simrun(&["compare", a.to_str().unwrap(), b.to_str().unwrap(), "--baseline", "nope"]);
    assert_eq!(bad.status.code(), Some(2));

    let missing = simrun(&["compare", a.to_str().unwrap(), dir.join("nope").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(stderr(&missing).trim().lines().count(), 1, "{}", stderr(&missing));
}

/// The rows of the Markdown table under `## heading` (up to the next heading), as cells.
fn md_table(md: &str, heading: &str) -> Vec<Vec<String>> {
    let body = md.split("\n## ").find(|s| s.starts_with(heading)).unwrap_or_else(|| panic!("no `{heading}` in {md}"));
    body.lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
        .map(|l| l.trim_matches('|').split(" | ").map(|c| c.trim().to_string()).collect())
        .collect()
}

#[test]
fn three_studies_overlaid_with_what_differs_and_a_missing_configuration() {
    let dir = scratch("scale_compare3");
    let cfg = write(&dir, "tiny.toml", TINY);
    let run = |name: &str, ranks: &str, extra: &[&str]| {
        let out = dir.join(name);
        let mut args = vec![cfg.to_str().unwrap(), "--ranks", ranks, "--threads", "1", "--repeat", "2", "--out"];
        args.push(out.to_str().unwrap());
        args.extend(extra);
        let o = scale(&args);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        out
    };
    let auto = run("auto", "1,2", &[]);
    let tb1 = run("tb1", "1,2", &["--set", "parallel.time_block=1"]);
    // Another grid and no 2-rank configuration.
    let wide = run("wide", "1", &["--set", "grid.nx=96"]);
    let cmp = dir.join("cmp");
    let o = simrun(&[
        "compare",
        auto.to_str().unwrap(),
        tb1.to_str().unwrap(),
        wide.to_str().unwrap(),
        "--out",
        cmp.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let md = std::fs::read_to_string(cmp.join("compare.md")).unwrap();
    assert_eq!(md, String::from_utf8_lossy(&o.stdout), "printed and written alike");

    // What differs: the --set list, the resolved keys, steps per sweep and the grid, study by study.
    let differs = md_table(&md, "What differs");
    let row = |what: &str| -> Vec<String> {
        differs.iter().find(|r| r[0] == what).unwrap_or_else(|| panic!("no `{what}` row: {differs:?}")).clone()
    };
    assert_eq!(differs[0][1..], ["`auto`", "`tb1`", "`wide`"]);
    assert_eq!(row("--set")[1..], ["none", "parallel.time_block=1", "grid.nx=96"]);
    assert_eq!(row("config `parallel.time_block`")[1..], ["0", "1", "0"]);
    assert_eq!(row("config `grid.nx`")[1..], ["48", "48", "96"]);
    let spp = row("steps per sweep");
    assert_eq!(spp[2], "1", "time_block=1 runs one step per sweep: {spp:?}");
    assert!(spp[1].parse::<usize>().unwrap() > 1 && spp[1] == spp[3], "{spp:?}");
    assert!(!differs.iter().any(|r| r[0] == "steps" || r[0] == "model" || r[0] == "git commit"), "{differs:?}");
    let same = md.lines().find(|l| l.starts_with("The same in all:")).unwrap();
    assert!(same.contains("steps 20") && same.contains("model heat") && same.contains("git commit"), "{same}");

    // Every configuration of any study is a row; the missing one is listed, not dropped.
    let tp = md_table(&md, "Throughput");
    let two = tp.iter().find(|r| r[0] == "2x1").expect("2x1 row");
    assert_eq!(two[3], "missing");
    assert!(two[1].contains('[') && two[2].contains('['), "{two:?}");
    let partial = md.split("## Configurations not in every study").nth(1).unwrap();
    assert!(partial.contains("- 2x1: missing from `wide`"), "{partial}");
    let rows = csv(&cmp.join("compare.csv"));
    assert_eq!(rows.len(), 6, "2 configurations x 3 studies");
    let gap = rows.iter().find(|r| r["ranks"] == "2" && r["study"] == "\"wide\"").unwrap();
    assert_eq!(gap["present"], "false");
    // Per cell update: wide's throughput is cells / time on its own grid.
    let w1 = rows.iter().find(|r| r["ranks"] == "1" && r["study"] == "\"wide\"").unwrap();
    assert!(close(f(w1, "cell_updates_per_second_median"), 96.0 * 40.0 / f(w1, "time_median_s")));
    // Per-phase ratios for every study against the baseline, compute through io.
    let phases = md_table(&md, "Phase time per cell update");
    assert_eq!(phases[0][..6], ["ranks x threads", "study", "compute", "halo", "reduce", "io"]);
    assert_eq!(phases.len(), 1 + 3, "1x1 for tb1 and wide, 2x1 for tb1: {phases:?}");

    // The overlaid charts, one labelled series per study.
    assert_plots(&cmp, &["speedup", "efficiency", "throughput", "ratio"]);
    for chart in ["speedup", "efficiency", "throughput"] {
        let svg = std::fs::read_to_string(cmp.join(format!("{chart}.svg"))).unwrap();
        for label in ["auto (baseline)", "tb1", "wide"] {
            assert!(
                svg.contains(&format!(">{label}<")) || svg.contains(&format!(">\n{label}\n<")),
                "{chart}: no {label}"
            );
        }
        // One error bar (a vertical path with two caps) per present point: at least 5 points.
        assert!(svg.matches("<circle").count() >= 5, "{chart}");
    }
}

#[test]
fn a_study_records_the_resolved_config_of_its_runs_and_the_machine() {
    let dir = scratch("scale_resolved");
    let cfg = write(&dir, "tiny.toml", TINY);
    let out = dir.join("study");
    let o = scale(&[
        cfg.to_str().unwrap(),
        "--ranks",
        "1,2",
        "--threads",
        "1",
        "--repeat",
        "1",
        "--set",
        "grid.nx=40",
        "--set",
        "parallel.time_block=2",
        "--keep-outputs",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let st = study(&out);
    let resolved = st["meta"]["resolved_config"].as_str().unwrap();
    // As `simrun check` resolves the same file and overrides.
    let check = simrun(&["check", cfg.to_str().unwrap(), "--set", "grid.nx=40", "--set", "parallel.time_block=2"]);
    let check = String::from_utf8_lossy(&check.stdout);
    assert!(check.contains(resolved), "the study's resolved config is what check prints:\n{resolved}\n---\n{check}");
    for run in st["runs"].as_array().unwrap() {
        let recorded = run["config"].as_str().unwrap();
        let run_dir = out.join(run["report"].as_str().unwrap()).parent().unwrap().to_path_buf();
        // What the run itself wrote into final.h5 and its report.
        let file = hdf5::File::open(run_dir.join("out/final.h5")).unwrap();
        let in_file = file.attr("config").unwrap().read_scalar::<hdf5::types::VarLenUnicode>().unwrap();
        assert_eq!(recorded, in_file.as_str(), "recorded vs final.h5 of {}", run_dir.display());
        let rep: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(run_dir.join("report.json")).unwrap()).unwrap();
        assert_eq!(recorded, rep["config"].as_str().unwrap());
        assert!(recorded.contains("nx = 40") && recorded.contains("time_block = 2"), "{recorded}");
        assert_eq!(run["steps_per_sweep"], 2);
        // The run's config is the study's plus its own output directory and thread count.
        let strip = |t: &str| {
            t.lines().filter(|l| !l.starts_with("dir =") && !l.starts_with("threads =")).collect::<Vec<_>>().join("\n")
        };
        assert_eq!(strip(recorded), strip(resolved));
    }
    // The machine and the build.
    let m = &st["meta"];
    assert!(m["machine"]["cpu_model"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(m["machine"]["memory_bytes"].as_u64().unwrap() > 0);
    assert_eq!(m["machine"]["cpus"], m["cpus"]);
    assert!(m["build"]["git_commit"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(m["build"]["hdf5_library"].as_str().is_some_and(|s| s.starts_with("1.")));
    let bw = &m["bandwidth"];
    let (b1, bn) = (bw["one_thread_gbs"].as_f64().unwrap(), bw["all_cores_gbs"].as_f64().unwrap());
    assert!(b1 > 0.0 && bn > 0.0);
    // Heat moves 16 bytes per update: each configuration's bound and share follow.
    assert_eq!(m["bytes_per_update"], 16.0);
    for c in st["summary"].as_array().unwrap() {
        let bound = c["bound_cell_updates_per_second"].as_f64().unwrap();
        let p = c["cores"].as_u64().unwrap();
        let expect = if p == 1 { b1 } else { bn.min(p as f64 * b1) } * 1e9 / 16.0;
        assert!(close(bound, expect), "{bound} vs {expect}");
        assert!(close(
            c["percent_of_bound"].as_f64().unwrap(),
            100.0 * c["cell_updates_per_second"].as_f64().unwrap() / bound
        ));
    }
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("% of copy bound") && md.contains("STREAM-style copy bandwidth"), "{md}");
    assert!(md.contains(m["machine"]["cpu_model"].as_str().unwrap()));
}

/// A strong study summarised from made-up times: more cores, slower.
fn slow_study(times: &[(usize, usize, f64)]) -> simrun::scaling::Study {
    use simrun::scaling::{summary, Mode, RunRecord};
    let runs: Vec<RunRecord> = times
        .iter()
        .map(|&(ranks, threads, t)| RunRecord {
            ranks,
            threads,
            repeat: 1,
            ok: true,
            error: None,
            grid: vec![40, 48],
            cells: 1920,
            steps: 20,
            time_per_step: t,
            cell_updates_per_second: 1920.0 / t,
            wall_seconds: 1.0,
            phases: BTreeMap::new(),
            phases_max: BTreeMap::new(),
            phases_mean: BTreeMap::new(),
            report: String::new(),
            config: String::new(),
            steps_per_sweep: 1,
            interrupted: false,
        })
        .collect();
    let configs: Vec<(usize, usize)> = times.iter().map(|&(r, t, _)| (r, t)).collect();
    let (summary, baseline) = summary::summarise(Mode::Strong, &configs, &runs);
    let fits = simrun::scaling::fit::fits(Mode::Strong, &summary, 2);
    let mut st: simrun::scaling::Study = serde_json::from_value(serde_json::json!({
        "meta": {"simrun_version": "0", "command": "", "config": "c.toml", "mode": "strong", "ranks": [1, 2],
                 "threads": [1], "repeat": 1, "launcher": "", "set": [], "base_grid": [40, 48], "host": "h",
                 "cpus": 2, "loadavg_before": null, "loadavg_after": null, "started": 0, "seconds": 1.0},
        "baseline": null, "runs": [], "summary": [], "fits": []
    }))
    .unwrap();
    (st.runs, st.summary, st.fits, st.baseline) = (runs, summary, fits, baseline);
    st
}

#[test]
fn a_serial_fraction_above_one_is_flagged_as_not_meaningful() {
    // Two cores take longer per step than one: Amdahl's f = 2 (1/S - 1/2) = 2.33.
    let st = slow_study(&[(1, 1, 1.0), (2, 1, 1.6667)]);
    let f = &st.fits[0];
    assert!(f.serial_fraction > 1.0, "{f:?}");
    assert!(!f.meaningful && f.note.contains("outside [0, 1]"), "{f:?}");
    let md = simrun::scaling::write::summary_markdown(&st);
    let line = md.lines().find(|l| l.starts_with("- Amdahl serial fraction")).unwrap();
    assert!(line.contains("not meaningful"), "{line}");
    assert!(md.contains("**Warnings**"), "{md}");
    // A sound study is not flagged.
    let good = slow_study(&[(1, 1, 1.0), (2, 1, 0.6)]);
    assert!(good.fits.iter().all(|f| f.meaningful && (0.0..=1.0).contains(&f.serial_fraction)), "{:?}", good.fits);
    assert!(!simrun::scaling::write::summary_markdown(&good).contains("not meaningful"));
}

#[test]
fn a_failed_run_is_reported_with_its_stderr_and_the_study_goes_on() {
    let dir = scratch("scale_failed");
    let cfg = write(&dir, "tiny.toml", TINY);
    let out = dir.join("study");
    // `sh 2 simrun ...` fails: sh cannot open a script named "2". One-rank runs go direct.
    let o = scale(&[
        cfg.to_str().unwrap(),
        "--ranks",
        "1,2",
        "--repeat",
        "1",
        "--launcher",
        "sh {ranks}",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("[2/2]") && stderr(&o).contains("FAILED"), "{}", stderr(&o));
    let runs = csv(&out.join("study.csv"));
    let one = runs.iter().find(|r| r["ranks"] == "1").unwrap();
    let two = runs.iter().find(|r| r["ranks"] == "2").unwrap();
    assert_eq!(one["ok"], "true");
    assert_eq!(two["ok"], "false");
    assert!(two["error"].contains("exit 2") && two["error"].contains("sh:"), "stderr tail: {}", two["error"]);
    assert!(std::fs::read_to_string(out.join("summary.md")).unwrap().contains("## Failed runs"));
    assert_plots(&out, &["speedup"]);
}

#[test]
fn launch_one_starts_single_rank_runs_through_the_launcher_too() {
    let dir = scratch("scale_launch_one");
    let cfg = write(&dir, "tiny.toml", TINY);
    let marker = dir.join("launcher.log");
    // A launcher that notes its rank count and runs the rest of its command line.
    let wrap = write(&dir, "wrap.sh", &format!("echo \"$1\" >> {}\nshift\nexec \"$@\"\n", marker.display()));
    let launcher = format!("sh {} {{ranks}}", wrap.display());
    let run = |extra: &[&str], name: &str| {
        let out = dir.join(name);
        let mut args = vec![cfg.to_str().unwrap(), "--ranks", "1", "--repeat", "2", "--launcher", &launcher];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--out", out.to_str().unwrap()]);
        let o = scale(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        study(&out)
    };
    let direct = run(&[], "direct");
    assert!(!marker.exists(), "without --launch-one a 1-rank run starts the binary directly");
    assert_eq!(direct["meta"]["launch_one"], false);
    let launched = run(&["--launch-one"], "launched");
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "1\n1\n", "both repeats went through the launcher");
    assert_eq!(launched["meta"]["launch_one"], true);

    // compare names both: whether 1-rank runs went through the launcher, and which launcher.
    let differs = |a: &str, b: &str| -> Vec<Vec<String>> {
        let o = simrun(&["compare", dir.join(a).to_str().unwrap(), dir.join(b).to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        md_table(&String::from_utf8_lossy(&o.stdout), "What differs")
    };
    let rows = differs("direct", "launched");
    let row = |rows: &[Vec<String>], what: &str| rows.iter().find(|r| r[0] == what).cloned();
    assert_eq!(
        row(&rows, "1-rank runs").unwrap()[1..],
        ["started directly", "through the launcher (--launch-one)"],
        "{rows:?}"
    );
    assert_eq!(row(&rows, "launcher").unwrap()[1..], ["none used (1 rank, started directly)", launcher.as_str()]);
    // The same but another launcher template (as study.json records it).
    let other = dir.join("other");
    std::fs::create_dir_all(&other).unwrap();
    let mut st = launched.clone();
    st["meta"]["launcher"] = serde_json::json!("mpirun --bind-to core --map-by core -n {ranks}");
    std::fs::write(other.join("study.json"), st.to_string()).unwrap();
    let rows = differs("launched", "other");
    assert_eq!(
        row(&rows, "launcher").unwrap()[1..],
        [launcher.as_str(), "mpirun --bind-to core --map-by core -n {ranks}"]
    );
    assert!(row(&rows, "1-rank runs").is_none(), "the same in both: {rows:?}");
}

#[test]
fn bad_launcher_or_pinned_layout_is_a_one_line_error() {
    let dir = scratch("scale_errors");
    let cfg = write(&dir, "tiny.toml", TINY);
    let out = dir.join("study");
    let o = scale(&[
        cfg.to_str().unwrap(),
        "--ranks",
        "1,2",
        "--launcher",
        "no-such-mpirun -n {ranks}",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.trim().lines().count() == 1 && e.contains("`no-such-mpirun` not found"), "{e}");
    assert!(!out.join("study.csv").exists(), "nothing ran");

    let o =
        scale(&[cfg.to_str().unwrap(), "--ranks", "2", "--launcher", "mpirun -n 2", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("{ranks}"), "{}", stderr(&o));

    let o = scale(&[
        cfg.to_str().unwrap(),
        "--mode",
        "weak",
        "--set",
        "parallel.layout=[1, 1]",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).trim().lines().count() == 1 && stderr(&o).contains("parallel.layout"), "{}", stderr(&o));
}

#[test]
fn a_second_study_into_the_same_out_sets_the_first_aside_and_compare_refuses_one_study_twice() {
    let dir = scratch("scale_twice");
    let cfg = write(&dir, "tiny.toml", TINY);
    let out = dir.join("study");
    let o = one_rank_study(&cfg, "1,2", "1", &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let first = std::fs::read(out.join("study.json")).unwrap();
    // Rerun from the study's own copy of its configuration, inside the directory set aside.
    let own = out.join("config.toml");
    let o = one_rank_study(&own, "1", "1", &out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("set aside"), "{}", stderr(&o));
    // The new study holds only its own runs; the first is whole beside it.
    let runs: Vec<String> = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert!(runs.iter().all(|r| r.starts_with("r1_t1_")), "{runs:?}");
    let aside: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("study.superseded-"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(std::fs::read(aside[0].path().join("study.json")).unwrap(), first);

    let same = format!("{}/", out.display());
    let o = Command::new(bin()).args(["compare", out.to_str().unwrap(), &same]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).trim().lines().count() == 1 && stderr(&o).contains("the same study"), "{}", stderr(&o));
}

/// Send `sig` to a process, or to a process group with a negative id.
fn signal(target: i32, sig: libc::c_int) {
    // SAFETY: kill(2) with a pid and a signal number; no memory is involved.
    let r = unsafe { libc::kill(target, sig) };
    assert_eq!(r, 0, "kill({target}, {sig}): {}", std::io::Error::last_os_error());
}

/// Wait up to `secs` for `ready`; false if it never held.
fn wait_for(secs: u64, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if ready() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    ready()
}

/// The processes (not zombies) whose command line mentions `needle`.
fn live_processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else { continue };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let zombie = stat.rsplit_once(')').is_some_and(|(_, r)| r.trim_start().starts_with('Z'));
        if cmd.contains(needle) && !zombie {
            found.push(format!("{}: {cmd}", e.file_name().to_string_lossy()));
        }
    }
    found
}

/// `simrun scale` started in the background (in its own process group when `group`), stderr to
/// `<out>.stderr`.
fn scale_in_background(args: &[&str], out: &Path, group: bool) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    let log = std::fs::File::create(out.with_extension("stderr")).unwrap();
    let mut c = Command::new(bin());
    c.arg("scale")
        .args(args)
        .args(["--out", out.to_str().unwrap()])
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .stdout(std::process::Stdio::null())
        .stderr(log);
    if group {
        c.process_group(0);
    }
    c.spawn().unwrap()
}

/// Wait up to `secs` for `ready` while the background study runs; a study that ends first, or a
/// wait that runs out, fails the test with its stderr.
fn wait_running(child: &mut std::process::Child, out: &Path, secs: u64, what: &str, mut ready: impl FnMut() -> bool) {
    let mut ended = None;
    let ok = wait_for(secs, || {
        ended = child.try_wait().unwrap();
        ended.is_some() || ready()
    });
    if !ok || ended.is_some() {
        let log = std::fs::read_to_string(out.with_extension("stderr")).unwrap_or_default();
        let _ = child.kill();
        panic!("{what}: not within {secs} s while the study ran (it ended: {ended:?}): {log}");
    }
}

/// Wait for a background study to end (bounded), with its exit code and stderr.
fn wait_study(mut child: std::process::Child, out: &Path, secs: u64) -> (Option<i32>, String) {
    let mut status = None;
    let ended = wait_for(secs, || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    let log = std::fs::read_to_string(out.with_extension("stderr")).unwrap_or_default();
    if !ended {
        let _ = child.kill();
        panic!("the study did not end within {secs} s of the signal: {log}");
    }
    (status.unwrap().code(), log)
}

#[test]
fn a_signalled_study_stops_its_run_and_keeps_the_finished_runs_as_an_interrupted_study() {
    let dir = scratch("scale_sigterm");
    let cfg = write(&dir, "tiny.toml", TINY);
    let out = dir.join("study");
    // 1x1 runs directly, then 2x1 through mpirun; each takes seconds. The study is signalled as
    // soon as the first run's results are written, while the second computes.
    let args = [cfg.to_str().unwrap(), "--ranks", "1,2", "--threads", "1", "--repeat", "1"];
    let mut child = scale_in_background(&[&args[..], &["--set", "time.steps=1000000"]].concat(), &out, false);
    let pid = child.id() as i32;
    wait_running(&mut child, &out, 300, "study.json after the first run", || out.join("study.json").is_file());
    // Its ranks are past their own signal set-up once rank 0 has printed its banner.
    let banner = || std::fs::read_to_string(out.join("runs/r2_t1_1/.stderr.txt.partial")).unwrap_or_default();
    wait_running(&mut child, &out, 60, "the second run", || banner().contains("heat on MPI (2 ranks)"));
    signal(pid, libc::SIGTERM);
    let (code, log) = wait_study(child, &out, 60);
    assert_eq!(code, Some(75), "a stopped study exits 75: {log}");
    assert!(log.contains("stopped by SIGTERM after 1 of 2 runs"), "{log}");
    // The run was stopped cleanly, through mpirun, and nothing of it computes on.
    let run_err = std::fs::read_to_string(out.join("runs/r2_t1_1/stderr.txt")).unwrap();
    assert!(run_err.contains("(SIGUSR1)"), "the ranks stopped at the forwarded SIGUSR1: {run_err}");
    let left = live_processes_mentioning(out.to_str().unwrap());
    assert!(left.is_empty(), "processes of the study left running: {left:?}");

    // The finished run is a study (partial, saying so) that compare reads.
    let st = study(&out);
    assert_eq!(st["meta"]["status"], "interrupted");
    assert_eq!(st["meta"]["stopped_by"], "SIGTERM");
    assert_eq!(st["meta"]["runs_planned"], 2);
    let runs = st["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs[0]["ok"] == true && runs[0]["ranks"] == 1 && runs[0]["interrupted"] == false);
    assert!(runs[1]["ok"] == false && runs[1]["ranks"] == 2 && runs[1]["interrupted"] == true);
    let why = runs[1]["error"].as_str().unwrap();
    assert!(why.starts_with("interrupted: the study was stopped by SIGTERM"), "{why}");
    let summary = csv(&out.join("summary.csv"));
    let two = summary.iter().find(|r| r["ranks"] == "2").unwrap();
    assert_eq!(
        (two["runs_ok"].as_str(), two["runs_failed"].as_str(), two["runs_interrupted"].as_str()),
        ("0", "0", "1")
    );
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("**Partial study** (interrupted by SIGTERM: 1 of 2 runs)"), "{md}");
    assert!(md.contains("## Interrupted run") && !md.contains("## Failed runs"), "{md}");
    assert_plots(&out, &["speedup", "efficiency", "phases"]);
    let copy = dir.join("copy");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::copy(out.join("study.json"), copy.join("study.json")).unwrap();
    let o = simrun(&["compare", out.to_str().unwrap(), copy.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("| 2x1 | interrupted | interrupted |"), "{text}");
    assert!(text.contains("study interrupted by SIGTERM: 1 of 2 runs"), "{text}");

    // The same study again into the same directory: the interrupted one is set aside whole.
    let o = scale(&[cfg.to_str().unwrap(), "--ranks", "1", "--repeat", "1", "--out", out.to_str().unwrap()]);
    assert!(o.status.success() && stderr(&o).contains("set aside"), "{}", stderr(&o));
    assert_eq!(study(&out)["meta"]["status"], "complete");
    let aside: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("study.superseded-"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(study(&aside[0].path())["meta"]["status"], "interrupted");
}

#[test]
fn ctrl_c_stops_a_study_and_sigkill_leaves_the_runs_written_so_far() {
    let dir = scratch("scale_sigint");
    let cfg = write(&dir, "tiny.toml", TINY);
    let args =
        [cfg.to_str().unwrap(), "--ranks", "1", "--threads", "1,2", "--repeat", "1", "--set", "time.steps=1000000"];
    // Ctrl-C: SIGINT to the study's whole process group, as a terminal sends it.
    let out = dir.join("int");
    let mut child = scale_in_background(&args, &out, true);
    let pgid = child.id() as i32;
    wait_running(&mut child, &out, 300, "study.json after the first run", || out.join("study.json").is_file());
    wait_running(&mut child, &out, 60, "the second run", || out.join("runs/r1_t2_1").is_dir());
    signal(-pgid, libc::SIGINT);
    let (code, log) = wait_study(child, &out, 60);
    assert_eq!(code, Some(75), "{log}");
    let st = study(&out);
    assert_eq!(
        (st["meta"]["status"].as_str(), st["meta"]["stopped_by"].as_str()),
        (Some("interrupted"), Some("SIGINT"))
    );
    assert_eq!(st["runs"][1]["interrupted"], true, "{}", st["runs"]);
    assert!(live_processes_mentioning(out.to_str().unwrap()).is_empty());

    // SIGKILL: no chance to write anything, but the first run's results were written when it
    // finished, and the run under way stops (it gets SIGTERM when the study dies).
    let out = dir.join("kill");
    let mut child = scale_in_background(&args, &out, false);
    wait_running(&mut child, &out, 300, "study.json after the first run", || out.join("study.json").is_file());
    wait_running(&mut child, &out, 60, "the second run", || out.join("runs/r1_t2_1").is_dir());
    signal(child.id() as i32, libc::SIGKILL);
    let (code, _) = wait_study(child, &out, 10);
    assert_eq!(code, None, "killed");
    let st = study(&out);
    assert_eq!(st["meta"]["status"], "partial");
    assert_eq!(st["runs"].as_array().unwrap().len(), 1);
    assert_eq!(st["runs"][0]["ok"], true);
    assert!(
        st["warnings"][0].as_str().unwrap().starts_with("partial study: 1 of 2 runs written"),
        "{}",
        st["warnings"]
    );
    let needle = out.join("runs").display().to_string();
    assert!(wait_for(30, || live_processes_mentioning(&needle).is_empty()), "the run outlived the study");
}

#[test]
fn a_run_that_ignores_the_stop_signals_is_killed_after_the_grace() {
    let dir = scratch("scale_grace");
    let cfg = write(&dir, "tiny.toml", TINY);
    // A launcher that ignores SIGUSR1 and SIGTERM and never ends (a sleep of its own length).
    let sleep = format!("sleep {}", 1_000_000 + std::process::id());
    let stubborn = write(&dir, "stubborn.sh", &format!("trap '' USR1 TERM\nexec {sleep}\n"));
    let launcher = format!("sh {} {{ranks}}", stubborn.display());
    let out = dir.join("study");
    let args = [cfg.to_str().unwrap(), "--launch-one", "--launcher", &launcher, "--repeat", "1", "--stop-grace", "1"];
    let mut child = scale_in_background(&args, &out, false);
    wait_running(&mut child, &out, 300, "the run", || live_processes_mentioning(&sleep).len() == 1);
    let t0 = std::time::Instant::now();
    signal(child.id() as i32, libc::SIGTERM);
    let (code, log) = wait_study(child, &out, 30);
    assert_eq!(code, Some(75), "{log}");
    // 1 s after SIGUSR1, SIGTERM; 5 s after that, SIGKILL.
    assert!(t0.elapsed().as_secs_f64() < 15.0, "{:?}", t0.elapsed());
    let why = study(&out)["runs"][0]["error"].as_str().unwrap().to_string();
    assert!(why.contains("did not stop within 1 s of SIGUSR1 nor 5 s of SIGTERM and was killed (SIGKILL)"), "{why}");
    assert!(live_processes_mentioning(&sleep).is_empty());
}

#[test]
fn compare_refuses_an_out_that_is_or_is_inside_a_study_and_touches_nothing() {
    let dir = scratch("scale_compare_out");
    let cfg = write(&dir, "tiny.toml", TINY);
    let a = dir.join("a");
    let o = one_rank_study(&cfg, "1", "1", &a);
    assert!(o.status.success(), "{}", stderr(&o));
    // B: A's study, recorded elsewhere; C: another study that is not compared.
    let (b, c) = (dir.join("b"), dir.join("c"));
    for d in [&b, &c] {
        std::fs::create_dir_all(d).unwrap();
        std::fs::copy(a.join("study.json"), d.join("study.json")).unwrap();
    }
    std::os::unix::fs::symlink(&a, dir.join("link")).unwrap();
    let listing = |d: &Path| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(d)
            .unwrap()
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| (e.file_name().to_string_lossy().to_string(), std::fs::read(e.path()).unwrap()))
            .collect();
        v.sort();
        v
    };
    let before = [listing(&a), listing(&b), listing(&c)];
    let (a_s, b_s) = (a.to_str().unwrap(), b.to_str().unwrap());
    let inside = a.join("cmp");
    let through_link = dir.join("link/cmp");
    let dotted = format!("{}/../a/", b.display());
    for out in [a_s, &dotted, inside.to_str().unwrap(), through_link.to_str().unwrap(), c.to_str().unwrap()] {
        let o = simrun(&["compare", a_s, b_s, "--out", out]);
        assert_eq!(o.status.code(), Some(2), "--out {out}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.trim().lines().count() == 1 && e.contains("--out") && e.contains("write it elsewhere"), "{e}");
        assert!(o.stdout.is_empty(), "nothing printed for --out {out}");
    }
    assert_eq!([listing(&a), listing(&b), listing(&c)], before, "no study file changed");
    assert!(!inside.exists(), "no directory made inside a study");
    // Beside the studies is fine.
    let o = simrun(&["compare", a_s, b_s, "--out", dir.join("cmp").to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_plots(&dir.join("cmp"), &["speedup", "efficiency"]);
}

#[test]
fn a_study_without_1x1_says_what_its_speedup_is_relative_to() {
    // 2x1 is the smallest configuration: its speedup is taken as 2 (the assumption), and the
    // summary says so in words next to the numbers it produces.
    let st = slow_study(&[(2, 1, 1.0), (2, 2, 0.6)]);
    assert_eq!(st.baseline.as_deref(), Some("2x1"));
    assert_eq!((st.summary[0].speedup, st.summary[0].efficiency), (Some(2.0), Some(1.0)));
    assert!((st.summary[1].speedup.unwrap() - 2.0 / 0.6).abs() < 1e-12);
    let md = simrun::scaling::write::summary_markdown(&st);
    assert!(md.contains("no 1x1 time: speedup relative to 2x1, assuming it is 2.00x one core"), "{md}");
    assert!(md.contains("S = 2 T(2x1) / T") && md.contains("2x1 itself shows speedup 2.00, efficiency 1.00"), "{md}");
    assert!(md.contains("| 2 | 1 | 2 |") && md.contains("| 2.00 | 1.00 |"), "{md}");
    // With 1x1 it is T1 / T, and no assumption is stated.
    let md = simrun::scaling::write::summary_markdown(&slow_study(&[(1, 1, 1.0), (2, 1, 0.6)]));
    assert!(md.contains("Speedup S = T(1x1) / T against the baseline 1x1") && !md.contains("assuming"), "{md}");
}
