//! `simrun`: thin command-line front end over the library.

mod cli;

use clap::Parser;
use simrun::config::{self, Config};
use simrun::par::{Comm, SingleComm};
use simrun::report::{Profile, Reached, RunBody, RunReport, RunRequest, Status};
use simrun::sim::signals::StopFlag;
use simrun::sim::{self, RunOptions};
use simrun::{memory, models};
use simrun::{Error, Result};

/// Raise the soft limit of open files to the hard limit: restarts on few processes read many
/// data files (one at a time, but HDF5 and MPI hold descriptors of their own).
fn raise_file_limit() {
    // SAFETY: getrlimit/setrlimit with a valid struct pointer.
    unsafe {
        let mut l: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) == 0 && l.rlim_cur < l.rlim_max {
            l.rlim_cur = l.rlim_max;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &l);
        }
    }
}

fn main() {
    raise_file_limit();
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => command_line_error(e),
    };
    // Ask the MPI and HDF5 libraries for their versions now, on the main thread, before MPI is
    // initialised and before any I/O thread owns HDF5.
    let _ = simrun::build_info();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("SIMRUN_LOG"))
        .with_writer(std::io::stderr)
        .init();
    if matches!(
        cli.command,
        Some(cli::Command::Check { .. } | cli::Command::Inspect { .. } | cli::Command::Compare { .. })
    ) {
        // Commands that only print: `simrun check CONFIG | head` ends quietly when the reader
        // closes the pipe, as other command-line tools do, not with a panic on the write. (Runs
        // keep Rust's default, SIGPIPE ignored: MPI's sockets must see EPIPE, not be killed.)
        // SAFETY: setting a signal's disposition to the default, before any thread starts.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    }
    let code = match cli.command {
        Some(cli::Command::Check { config, set, explain, markdown, ranks }) => {
            report_error(check(config, &set, explain, markdown, ranks.map(|r| r as usize)), true)
        }
        Some(cli::Command::Inspect { path }) => report_error(inspect(&path), true),
        Some(cli::Command::Scale(a)) => match simrun::scaling::scale_command(&scale_spec(a)) {
            Ok(code) => code,
            Err(e) => report_error(Err(e), true),
        },
        Some(cli::Command::Compare { dirs, baseline, out }) => {
            report_error(simrun::scaling::compare::compare_command(&dirs, baseline.as_deref(), out.as_deref()), true)
        }
        None => run(cli.run),
    };
    std::process::exit(code);
}

/// A bad command line is one line (clap's message without its usage block) and exit 2; help and
/// version are printed as clap prints them.
fn command_line_error(e: clap::Error) -> ! {
    use clap::error::ErrorKind as K;
    if matches!(e.kind(), K::DisplayHelp | K::DisplayVersion | K::DisplayHelpOnMissingArgumentOrSubcommand) {
        e.exit();
    }
    let text = e.render().to_string();
    let message: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("Usage:"))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
        .collect();
    let message = message.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    eprintln!("error: command line: {message} (see simrun --help)");
    std::process::exit(2);
}

fn report_error(r: Result<()>, print: bool) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => {
            if print {
                eprintln!("error: {e}");
            }
            e.exit_code()
        }
    }
}

fn scale_spec(a: cli::ScaleArgs) -> simrun::scaling::StudySpec {
    simrun::scaling::StudySpec {
        config: a.config,
        ranks: a.ranks,
        threads: a.threads,
        mode: a.mode,
        repeat: a.repeat,
        out: a.out,
        launcher: a.launcher,
        launch_one: a.launch_one,
        set: a.set,
        keep_outputs: a.keep_outputs,
        stop_grace: std::time::Duration::from_secs(a.stop_grace),
    }
}

fn check(
    path: Option<std::path::PathBuf>,
    set: &[String],
    explain: bool,
    markdown: bool,
    ranks: Option<usize>,
) -> Result<()> {
    if explain {
        print!("{}", if markdown { config::explain::markdown() } else { config::explain::text() });
        if path.is_none() {
            return Ok(());
        }
    }
    let path = path.ok_or_else(|| Error::config("simrun check needs a CONFIG file (or --explain)"))?;
    let cfg = config::load(&path, set)?;
    // Sized for --ranks or the layout's processes (one without either), refused as a run would be.
    let ranks = ranks.unwrap_or_else(|| memory::check_ranks(&cfg));
    memory::check_memory(&cfg, ranks).map_err(|e| in_file(&path, e))?;
    print_check(&cfg, ranks)
}

/// A config error about `path`'s content, prefixed with the file as config errors are.
fn in_file(path: &std::path::Path, e: Error) -> Error {
    Error { kind: e.kind, message: format!("{}: {}", path.display(), e.message) }
}

fn inspect(path: &std::path::Path) -> Result<()> {
    let (text, intact) = simrun::io::inspect::describe(path)?;
    print!("{text}");
    if intact {
        Ok(())
    } else {
        Err(Error::io(format!("{}: damaged (see above)", path.display())))
    }
}

fn print_check(cfg: &Config, ranks: usize) -> Result<()> {
    let (grid, _) = models::geometry(cfg);
    let (dt, dt_max) = models::stability(cfg);
    let cells = grid.cells();
    let need = memory::memory_estimate(cfg, ranks)?;
    println!("# resolved configuration\n{}", cfg.to_toml());
    println!("# stability and size");
    println!("dt            = {dt:.6e}");
    // Only an implicit pseudo-time step (navier_stokes.pseudo_time) may exceed the limit.
    let pseudo = if dt > dt_max { ": a pseudo-time step, not bound by it" } else { "" };
    println!("max_stable_dt = {dt_max:.6e}  (dt is {:.1}% of it{pseudo})", 100.0 * dt / dt_max);
    let run = simrun::volume::extent(cfg);
    let fixed = cfg.spec().fixed_dt(cfg);
    let how = match (run.exact, fixed) {
        (true, _) => String::new(),
        (false, true) => ", estimated: too many steps to count one by one".into(),
        (false, false) => format!(", estimated from the first step's dt: {} adapts it", cfg.model),
    } + if cfg.time.steady_tolerance.is_some() {
        "; at most: time.steady_tolerance may end it earlier"
    } else {
        ""
    };
    println!("steps         = {}  (end time {:.6e}{how})", run.steps, run.end);
    println!(
        "cells         = {cells}  ({} = {})",
        grid.size_text(),
        if grid.dims == 3 { "nx x ny x nz" } else { "nx x ny" }
    );
    let available = match memory::memory_available()? {
        Some(a) => format!("; {} available: {}", memory::human(a.bytes), a.source),
        None => String::new(),
    };
    println!("memory        = {} ({need} bytes) per process on {ranks} process(es){available}", memory::human(need));
    for line in cfg.spec().check_lines(cfg, ranks) {
        println!("{line}");
    }
    for w in cfg.spec().start_warnings(cfg) {
        println!("warning: {w}");
    }
    println!("# output volume");
    if cfg.time.steady_tolerance.is_some() {
        println!("(to the end time: time.steady_tolerance may end the run earlier, with fewer files)");
    }
    for line in simrun::volume::lines(cfg) {
        println!("{line}");
    }
    Ok(())
}

fn run(args: cli::RunArgs) -> i32 {
    let Some(path) = args.config.clone() else {
        eprintln!("error: missing CONFIG file; usage: simrun CONFIG [--set key=value ...] [--report FILE] (see simrun --help)");
        return 2;
    };
    // The stop signals' handlers first: a SIGTERM or SIGUSR1 that comes while MPI starts, the
    // configuration loads or a restart reads is seen at the first step, which then ends the run
    // with a final checkpoint (before, it killed the process or was lost).
    let stop = StopFlag::install();
    #[cfg(feature = "mpi")]
    {
        use simrun::par::mpi_comm::{launch, Launch, MpiComm};
        match launch() {
            Launch::Mpi => {
                let comm = match MpiComm::init() {
                    Ok(c) => c,
                    Err(e) => {
                        eprintln!("error: {e}");
                        return 1;
                    }
                };
                let code = run_on(&path, &args, &comm, stop);
                drop(comm);
                return code;
            }
            Launch::Unusable(why) => {
                // Every task refuses; the first one says why.
                if std::env::var("SLURM_PROCID").map_or(true, |r| r == "0") {
                    eprintln!("error: {why}");
                }
                return 2;
            }
            Launch::Single => {}
        }
    }
    run_on(&path, &args, &SingleComm, stop)
}

/// Refuse a run that does not fit in memory before it starts, with the same answer on every rank:
/// the smallest memory available over the ranks against the largest process's estimate.
fn agreed_memory_check(cfg: &Config, comm: &dyn Comm) -> Result<()> {
    let local = memory::memory_available();
    let mut bad = [if local.is_err() { 1.0 } else { 0.0 }];
    comm.max_f64(&mut bad);
    let local = match local {
        Err(e) => return Err(e),
        Ok(_) if bad[0] > 0.0 => {
            return Err(Error::config(format!("{} is malformed on another rank", memory::LIMIT_ENV)))
        }
        Ok(a) => a,
    };
    let mut bytes = [local.as_ref().map(|a| a.bytes as f64).unwrap_or(f64::INFINITY)];
    comm.min_f64(&mut bytes);
    let available = bytes[0].is_finite().then(|| memory::Available {
        bytes: bytes[0] as u64,
        source: match &local {
            Some(a) if a.bytes as f64 == bytes[0] => a.source.clone(),
            _ => "the smallest over the ranks".to_string(),
        },
    });
    memory::check_memory_within(cfg, comm.size(), available.as_ref())
}

fn run_on(path: &std::path::Path, args: &cli::RunArgs, comm: &dyn Comm, stop: StopFlag) -> i32 {
    let root = comm.is_root();
    let loaded = config::load(path, &args.set)
        .and_then(|cfg| agreed_memory_check(&cfg, comm).map_err(|e| in_file(path, e)).map(|_| cfg));
    let cfg = match loaded {
        Ok(c) => c,
        Err(e) => {
            if root {
                eprintln!("error: {e}");
            }
            return e.exit_code();
        }
    };
    let banner = format!(
        "simrun {}: {} on {} ({}), {} thread(s) per process, output in {}",
        env!("CARGO_PKG_VERSION"),
        cfg.model,
        comm.describe(),
        path.display(),
        if cfg.parallel.threads == 0 { "all".to_string() } else { cfg.parallel.threads.to_string() },
        cfg.output.dir
    );
    let opts = RunOptions {
        report: args.report.clone(),
        restart: args.restart.clone(),
        stop: Some(stop),
        banner: Some(banner),
    };
    let mut tracked = sim::Progress::default();
    let result = sim::run_tracked(&cfg, comm, &opts, &mut tracked);
    // The profile over ranks: a collective that every rank of a run that got under way takes
    // (a rank that failed alone exits, and the launcher ends the others).
    let profile = match &result {
        Ok(s) if !s.already_done => Some(Profile::over_ranks(&s.samples, s.report.loop_seconds, comm)),
        // A failed run: rank 0's own phases (the ranks may not all reach this point together).
        Err(_) => Some(Profile::from_ranks(&[tracked.phases.samples()], tracked.loop_seconds)),
        _ => None,
    };
    let mut code = match &result {
        Ok(s) if s.interrupted.is_some() => sim::signals::EXIT_INTERRUPTED,
        Ok(_) => 0,
        Err(e) => e.exit_code(),
    };
    if !root {
        return code;
    }
    match &result {
        Ok(s) if s.already_done => {}
        Ok(s) => {
            let r = &s.report;
            let d: Vec<String> = s.diagnostics.iter().map(|(k, v)| format!("{k}={v:.9e}")).collect();
            // A restarted run: the steps it took, then where it got to.
            let steps = match s.start_step {
                0 => format!("{} steps", s.steps),
                from => format!("{} steps (from step {from} to {})", s.steps - from, s.steps),
            };
            eprintln!(
                "done: {steps} to t={:.6e} in {:.3} s wall, {:.1} M cell updates/s on {} rank(s) x {} thread(s)",
                s.sim_time,
                s.wall_seconds,
                r.cell_updates_per_second / 1e6,
                r.ranks,
                r.threads
            );
            eprintln!("final: {}", d.join(" "));
            if let Some(p) = &profile {
                print!("{}", p.table());
            }
            match &s.interrupted {
                Some(why) => {
                    eprintln!(
                        "stopped early on {why}: the final checkpoint is committed; continue with --restart latest"
                    )
                }
                None => eprintln!("wrote {}/final.h5", r.output_dir),
            }
        }
        Err(e) => eprintln!("error: {e}"),
    }
    if let Some(report_path) = &args.report {
        if let Err(e) = finish_report(report_path, &cfg, comm.size(), &result, &tracked, profile) {
            // The run's own outcome stands; a report that cannot be written after a success is
            // an I/O failure.
            if code == 0 || code == sim::signals::EXIT_INTERRUPTED {
                eprintln!("error: {e}");
                code = e.exit_code();
            } else {
                eprintln!("warning: no report: {e}");
            }
        }
    }
    code
}

/// Write the final form of the JSON report (rank 0): the status, target, build, host, resolved
/// config and profile around the driver's measurements. A run refused before it started (exit 2:
/// configuration, report path, output directory in use, restart mismatch) gets no report; a run
/// that failed later (exit 1, 3, 4) gets one with status "failed".
fn finish_report(
    path: &std::path::Path,
    cfg: &Config,
    ranks: usize,
    result: &Result<sim::RunSummary>,
    tracked: &sim::Progress,
    profile: Option<Profile>,
) -> Result<()> {
    let report = match result {
        Ok(s) if s.already_done => return Ok(()),
        Ok(s) => {
            let status = s.interrupted.as_deref().map_or(Status::Finished, Status::stopped);
            RunReport::new(status, cfg, RunBody::Measured(s.report.clone()), profile)
        }
        Err(e) if e.exit_code() == 2 => return Ok(()),
        Err(e) => {
            let mut asked = RunRequest::of(cfg, ranks);
            asked.reached = Some(Reached { steps: tracked.step, sim_time: tracked.sim_time });
            RunReport::new(Status::failed(e), cfg, RunBody::Requested(asked), profile)
        }
    };
    report.write(path)
}
