//! The command line: `simrun CONFIG [--set k=v ...] [--report FILE]` runs a simulation;
//! `simrun check CONFIG [--explain]` validates and prints the resolved configuration.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "simrun",
    version,
    about = "Scientific simulation on structured grids (heat diffusion; more models to come), on threads and MPI ranks",
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  simrun configs/heat2d.toml\n  simrun configs/heat2d.toml --set grid.nx=1024 --set parallel.threads=2 --report run.json\n  mpirun -n 4 simrun configs/heat2d.toml\n  simrun check configs/heat3d.toml\n  simrun check --explain\n  simrun configs/heat2d.toml --restart latest\n  simrun inspect out/heat2d/checkpoints/latest\n\nExit codes: 0 ok, 1 other failure, 2 bad configuration or command line, 3 numerical failure (NaN/Inf), 4 I/O failure, 75 stopped by SIGINT/SIGTERM or time.wall_limit after a final checkpoint (continue with --restart latest)."
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
    /// Continue from a checkpoint: `latest` (in output.dir) or a checkpoint directory / checkpoint.h5.
    #[arg(long, value_name = "PATH|latest")]
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
    },
    /// Print what a checkpoint holds: model, step, time, fields, shape, the split that wrote it, committed or not.
    Inspect {
        /// A checkpoint directory, its checkpoint.h5, one rank file, or an output directory (its latest checkpoint).
        path: PathBuf,
    },
}
