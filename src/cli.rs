//! The command line: `simrun CONFIG [--set k=v ...] [--report FILE]` runs a simulation;
//! `simrun check CONFIG [--explain [--markdown]] [--ranks N]` validates and prints the resolved configuration;
//! `simrun scale CONFIG ...` runs a scaling study; `simrun compare A B [C ...]` compares studies.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "simrun",
    version = simrun::build_info::short_version(),
    long_version = simrun::build_info::long_version(),
    about = "Scientific simulation on structured grids (heat diffusion, miniWeather-class atmosphere, incompressible Navier-Stokes), on threads and MPI ranks",
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  simrun configs/heat2d.toml\n  simrun configs/heat2d.toml --set grid.nx=1024 --set parallel.threads=2 --report run.json\n  mpirun -n 4 simrun configs/heat2d.toml\n  srun --mpi=pmix -n 64 simrun configs/heat2d.toml --restart auto\n  simrun check configs/heat3d.toml\n  simrun check --explain\n  simrun configs/heat2d.toml --restart latest\n  simrun inspect out/heat2d/checkpoints/latest\n  simrun scale configs/heat2d.toml --ranks 1,2 --threads 1,2 --repeat 3 --out study\n  simrun compare study-old study study-other --out cmp\n\nExit codes: 0 ok, 1 other failure, 2 bad configuration or command line, 3 numerical failure (NaN/Inf), 4 I/O failure, 75 stopped by SIGTERM/SIGUSR1/SIGUSR2/SIGINT or time.wall_limit after a final checkpoint (continue with --restart latest; simrun scale: after writing the study of its finished runs).\n\nEnvironment: SIMRUN_MEMORY_LIMIT=<bytes> replaces the measured memory available to each process (a run whose estimate exceeds it is refused); SIMRUN_LOG=debug for tracing."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The TOML configuration file.
    pub config: Option<PathBuf>,
    /// Override a configuration key, e.g. --set grid.nx=512 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Write a JSON run report to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Continue from a checkpoint: `latest` (in output.dir), `auto` (the newest of the committed
    /// checkpoints and final.h5 if there is one, else start fresh: for batch chains), a checkpoint
    /// directory / checkpoint.h5, or a finished run's final.h5 (raise time.end_time or time.steps
    /// to go on).
    #[arg(long, value_name = "PATH|latest|auto")]
    pub restart: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a configuration and print it resolved, with the stability numbers, without running.
    Check {
        /// The TOML configuration file.
        config: Option<PathBuf>,
        /// Override a configuration key (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Print the reference of every configuration key.
        #[arg(long)]
        explain: bool,
        /// With --explain: as the Markdown table of the README.
        #[arg(long, requires = "explain")]
        markdown: bool,
        /// Plan for this many MPI ranks (default: the ranks of `parallel.layout`, else 1): the
        /// memory per process and, for navier_stokes, the multigrid level plan.
        #[arg(long, value_name = "N", value_parser = at_least_one)]
        ranks: Option<u64>,
    },
    /// Print what a checkpoint or output file holds (model, step, time, fields, shape, the split
    /// that wrote it, committed or not) and verify it as a restart would; exit 4 if anything is
    /// damaged.
    Inspect {
        /// A checkpoint directory, its checkpoint.h5, one rank file (verified against its commit),
        /// checkpoints/ or its latest (the newest in full, every other one verified), an output
        /// directory (its checkpoints, final.h5 and every field output), a directory of field
        /// outputs, a final.h5 or a field output.
        path: PathBuf,
    },
    /// Run a strong or weak scaling study over ranks x threads; writes tables and plots into --out.
    Scale(ScaleArgs),
    /// Set scaling studies side by side: throughput per configuration against a baseline study,
    /// with noise, speedups, per-phase ratios and what differs between the studies.
    Compare {
        /// Two or more study directories (from `simrun scale --out`).
        #[arg(required = true, num_args = 2..)]
        dirs: Vec<PathBuf>,
        /// The study the others are compared with (one of DIRS; default: the first).
        #[arg(long, value_name = "DIR")]
        baseline: Option<PathBuf>,
        /// Also write compare.md/.csv/.json and the overlaid charts (PNG, SVG) into this directory.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// The TOML configuration file (the 1-core problem for --mode weak).
    pub config: PathBuf,
    /// Rank counts, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1", value_name = "N,N,...")]
    pub ranks: Vec<usize>,
    /// Threads per rank, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1", value_name = "N,N,...")]
    pub threads: Vec<usize>,
    /// strong: fixed grid; weak: the grid grows with ranks x threads (cells per core constant).
    #[arg(long, value_enum, default_value_t = simrun::scaling::Mode::Strong)]
    pub mode: simrun::scaling::Mode,
    /// Runs per configuration (interleaved); the median counts, min-max shows the noise.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Study directory: study.csv, summary.csv, study.json, summary.md, plots, runs/.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Launcher for more than one rank: {ranks} becomes the rank count, {threads} the threads per rank (e.g. "srun --mpi=pmix -n {ranks} -c {threads}").
    #[arg(long, default_value = "mpirun --oversubscribe --bind-to none -n {ranks}")]
    pub launcher: String,
    /// Run 1-rank configurations through the launcher too (same binding and environment as the others); by default they run the binary directly.
    #[arg(long)]
    pub launch_one: bool,
    /// Override a configuration key in every run (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Keep every run's output directory (runs/*/out: final.h5, images); removed by default.
    #[arg(long)]
    pub keep_outputs: bool,
    /// When the study is stopped (SIGTERM, SIGINT, SIGUSR1, SIGUSR2), the seconds its run under way has to stop after SIGUSR1 (final checkpoint) before SIGTERM, then SIGKILL 5 s later.
    #[arg(long, default_value_t = 20, value_name = "SECONDS")]
    pub stop_grace: u64,
}

/// A whole number of at least 1 (clap's own range message would print u64's maximum).
fn at_least_one(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected a whole number of at least 1".into()),
    }
}
