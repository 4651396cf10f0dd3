//! Launching one run of a study: the launcher template, the command line of a run, and reading
//! back its JSON report into a [`RunRecord`].

use super::{child, RunRecord};
use crate::error::{Error, Result};
use crate::sim::signals::StopFlag;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A launcher template such as `mpirun --oversubscribe --bind-to none -n {ranks}` or
/// `srun -n {ranks} -c {threads}`: words split at whitespace (no shell quoting), `{ranks}`
/// replaced by the rank count and `{threads}` (optional) by the threads per rank; the simrun
/// binary and its arguments follow the last word.
#[derive(Debug, Clone)]
pub struct Launcher {
    words: Vec<String>,
}

impl Launcher {
    pub fn parse(template: &str) -> Result<Launcher> {
        let words: Vec<String> = template.split_whitespace().map(str::to_string).collect();
        if words.is_empty() {
            return Err(Error::config(
                "--launcher is empty; e.g. --launcher \"mpirun -n {ranks}\" or \"srun --mpi=pmix -n {ranks}\"",
            ));
        }
        if !words.iter().any(|w| w.contains("{ranks}")) {
            return Err(Error::config(format!(
                "--launcher \"{template}\" has no {{ranks}} placeholder; e.g. \"srun --mpi=pmix -n {{ranks}}\""
            )));
        }
        Ok(Launcher { words })
    }

    pub fn program(&self) -> &str {
        &self.words[0]
    }

    /// A known trap in the template: `srun` without `--mpi=...` starts tasks that Debian's
    /// OpenMPI (PMIx only) cannot join into one job, unless the site's slurm.conf sets
    /// `MpiDefault=pmix`.
    pub fn warning(&self) -> Option<String> {
        let srun = Path::new(self.program()).file_name().is_some_and(|n| n == "srun");
        (srun && !self.words.iter().any(|w| w.starts_with("--mpi"))).then(|| {
            "the launcher is srun without --mpi=...: unless slurm.conf sets MpiDefault=pmix, OpenMPI ranks cannot start; use \"srun --mpi=pmix -n {ranks} ...\"".to_string()
        })
    }

    /// The launcher program exists: a path to a file, or a name found on PATH.
    pub fn check_program(&self) -> Result<()> {
        let prog = self.program();
        let found = if prog.contains('/') {
            Path::new(prog).is_file()
        } else {
            std::env::var_os("PATH")
                .map(|paths| std::env::split_paths(&paths).any(|d| d.join(prog).is_file()))
                .unwrap_or(false)
        };
        if found {
            Ok(())
        } else {
            Err(Error::config(format!(
                "launcher program `{prog}` not found (on PATH); install it or pass --launcher \"...{{ranks}}...\""
            )))
        }
    }

    /// The command that starts `exe` on `ranks` ranks of `threads` threads.
    pub fn command(&self, ranks: usize, threads: usize, exe: &Path) -> Command {
        let fill = |w: &String| w.replace("{ranks}", &ranks.to_string()).replace("{threads}", &threads.to_string());
        let words: Vec<String> = self.words.iter().map(fill).collect();
        let mut c = Command::new(&words[0]);
        c.args(&words[1..]).arg(exe);
        c
    }
}

/// One run to launch.
pub struct RunPlan<'a> {
    pub exe: &'a Path,
    pub launcher: &'a Launcher,
    /// Start a 1-rank run through the launcher too.
    pub launch_one: bool,
    pub config: &'a Path,
    pub ranks: usize,
    pub threads: usize,
    pub repeat: usize,
    /// User overrides then study overrides (grid growth); later ones win.
    pub overrides: Vec<String>,
    /// Expected global array shape, checked against the report.
    pub expect_grid: Option<Vec<usize>>,
    pub keep_outputs: bool,
    pub study_dir: &'a Path,
    /// The study's stop flag: when raised, the run is stopped ([`super::child`]).
    pub stop: &'a StopFlag,
    /// How long a stopped run has after SIGUSR1 before it is terminated.
    pub stop_grace: Duration,
}

impl RunPlan<'_> {
    /// Directory of this run, relative to the study directory.
    pub fn rel_dir(&self) -> PathBuf {
        PathBuf::from("runs").join(format!("r{}_t{}_{}", self.ranks, self.threads, self.repeat))
    }

    /// Every `--set` the run gets: the user's and the study's, then its output directory and
    /// thread count.
    pub fn sets(&self, dir: &Path) -> Vec<String> {
        let mut sets = self.overrides.clone();
        sets.push(format!("output.dir={}", dir.join("out").display()));
        sets.push(format!("parallel.threads={}", self.threads));
        sets
    }

    /// The configuration the run will use, resolved as the run resolves it, as TOML.
    pub fn resolved_config(&self, dir: &Path) -> Result<String> {
        crate::config::load(self.config, &self.sets(dir)).map(|c| c.to_toml())
    }
}

/// The parts of the run report a study reads (other fields are ignored, so the report can grow).
#[derive(Debug, Deserialize)]
struct ReportIn {
    steps: u64,
    cells: u64,
    grid: Vec<usize>,
    ranks: usize,
    threads: usize,
    wall_seconds: f64,
    cell_updates_per_second: f64,
    #[serde(default)]
    steps_per_sweep: usize,
    /// "finished", "stopped" or "failed" (absent in reports of older builds).
    #[serde(default)]
    status: Option<String>,
    /// The resolved configuration the run used (absent in reports of older builds).
    #[serde(default)]
    config: Option<String>,
    #[serde(default)]
    phases: BTreeMap<String, f64>,
    #[serde(default)]
    phases_over_ranks: BTreeMap<String, PhaseIn>,
}

#[derive(Debug, Deserialize)]
struct PhaseIn {
    max: f64,
    mean: f64,
}

/// Why a launch failed, on one line: simrun's own `error:` lines if it printed any, else the
/// last `n` non-empty lines of stderr (a launcher's or MPI's message), with a hint when they
/// show a launcher whose tasks could not form an MPI job.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let errors: Vec<&str> = lines.iter().copied().filter(|l| l.starts_with("error:")).collect();
    let t = if errors.is_empty() { lines[lines.len().saturating_sub(n)..].join(" | ") } else { errors.join(" | ") };
    let mpi_init = ["MPI_Init", "PMI", "ompi_mpi_init", "OPAL ERROR", "orte_init"];
    let hint = if errors.is_empty() && lines.iter().any(|l| mpi_init.iter().any(|p| l.contains(p))) {
        " (the launcher's tasks could not start MPI: under Slurm launch with `srun --mpi=pmix`)"
    } else {
        ""
    };
    if t.is_empty() {
        "(no stderr)".to_string()
    } else {
        format!("{t}{hint}")
    }
}

/// Launch the run and read its report. Never fails: a failure is a record with `ok = false`.
pub fn run(plan: &RunPlan) -> RunRecord {
    let rel = plan.rel_dir();
    let dir = plan.study_dir.join(&rel);
    let mut rec = RunRecord {
        ranks: plan.ranks,
        threads: plan.threads,
        repeat: plan.repeat,
        ok: false,
        error: None,
        grid: plan.expect_grid.clone().unwrap_or_default(),
        cells: 0,
        steps: 0,
        time_per_step: f64::NAN,
        cell_updates_per_second: f64::NAN,
        wall_seconds: f64::NAN,
        phases: BTreeMap::new(),
        phases_max: BTreeMap::new(),
        phases_mean: BTreeMap::new(),
        report: rel.join("report.json").display().to_string(),
        config: String::new(),
        steps_per_sweep: 0,
        interrupted: false,
    };
    match plan.resolved_config(&dir) {
        Ok(c) => rec.config = c,
        Err(e) => {
            rec.error = Some(format!("cannot resolve the configuration: {e}"));
            return rec;
        }
    }
    let (result, stopped) = launch(plan, &dir);
    match result {
        Ok(r) => fill(&mut rec, r, plan),
        Err(e) => rec.error = Some(e),
    }
    // A run that did not finish while the study was being stopped was interrupted, not failed
    // (it may have exited by itself as the signal came, e.g. a batch system signalling both).
    if !rec.ok && (stopped.is_some() || plan.stop.raised()) {
        rec.interrupted = true;
        let why =
            plan.stop.name().map_or("the study was stopped".to_string(), |s| format!("the study was stopped by {s}"));
        let how = stopped.map(|h| format!("; {h}")).unwrap_or_default();
        rec.error = Some(format!("interrupted: {why}{how}; {}", rec.error.as_deref().unwrap_or("")));
    }
    if rec.ok && !plan.keep_outputs {
        let _ = std::fs::remove_dir_all(dir.join("out"));
    }
    rec
}

/// Start the run, wait for it (stopping it if the study is stopped) and read its report; with
/// what was done to stop it, if anything.
fn launch(plan: &RunPlan, dir: &Path) -> (std::result::Result<ReportIn, String>, Option<String>) {
    let _ = std::fs::remove_dir_all(dir);
    if let Err(e) = std::fs::create_dir_all(dir) {
        return (Err(format!("cannot create {}: {e}", dir.display())), None);
    }
    let report = dir.join("report.json");
    let mut cmd = if plan.ranks > 1 || plan.launch_one {
        plan.launcher.command(plan.ranks, plan.threads, plan.exe)
    } else {
        Command::new(plan.exe)
    };
    cmd.arg(plan.config).arg("--report").arg(&report);
    for s in &plan.sets(dir) {
        cmd.arg("--set").arg(s);
    }
    // stderr goes to a file under a temporary name while the run writes it, renamed when it ends.
    let (partial, stderr_path) = (dir.join(".stderr.txt.partial"), dir.join("stderr.txt"));
    let file = match std::fs::File::create(&partial) {
        Ok(f) => f,
        Err(e) => return (Err(format!("cannot create {}: {e}", partial.display())), None),
    };
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(file);
    let ended = child::run(&mut cmd, plan.stop, plan.stop_grace);
    let stderr = std::fs::read_to_string(&partial).unwrap_or_default();
    let _ = std::fs::rename(&partial, &stderr_path);
    let ended = match ended {
        Ok(e) => e,
        Err(e) => return (Err(format!("cannot start {:?}: {e}", cmd.get_program())), None),
    };
    if !ended.status.success() {
        let code = ended.status.code().map_or("by signal".to_string(), |c| c.to_string());
        // A run the study stopped says so (its stderr, in stderr.txt, says how the launcher took it).
        let why =
            if ended.stopped.is_some() { format!("exit {code}") } else { format!("exit {code}: {}", tail(&stderr, 4)) };
        return (Err(why), ended.stopped);
    }
    let read = std::fs::read_to_string(&report)
        .map_err(|e| format!("no report {}: {e}; stderr: {}", report.display(), tail(&stderr, 4)))
        .and_then(|text| {
            serde_json::from_str(&text).map_err(|e| format!("unreadable report {}: {e}", report.display()))
        });
    (read, ended.stopped)
}

fn fill(rec: &mut RunRecord, r: ReportIn, plan: &RunPlan) {
    let mut problems = Vec::new();
    if r.ranks != plan.ranks {
        problems.push(format!(
            "asked for {} ranks but the run reports {} (does the launcher start MPI ranks, and was simrun built with MPI?)",
            plan.ranks, r.ranks
        ));
    }
    if r.threads != plan.threads {
        problems.push(format!("asked for {} threads but the run reports {}", plan.threads, r.threads));
    }
    if let Some(g) = &plan.expect_grid {
        if *g != r.grid {
            problems.push(format!("expected grid {g:?} but the run reports {:?}", r.grid));
        }
    }
    if let Some(status) = r.status.as_deref().filter(|s| *s != "finished") {
        problems.push(format!("the run reports status \"{status}\""));
    }
    if let Some(c) = r.config.as_deref().filter(|c| *c != rec.config) {
        let first = c.lines().zip(rec.config.lines()).find(|(a, b)| a != b).map(|(a, b)| format!(": `{a}` vs `{b}`"));
        problems.push(format!(
            "the run used another configuration than the study resolved for it{}",
            first.unwrap_or_default()
        ));
    }
    if !(r.cell_updates_per_second > 0.0 && r.cell_updates_per_second.is_finite()) || r.steps == 0 {
        problems.push("the run made no timed steps (set time.steps or time.end_time)".to_string());
    }
    rec.grid = r.grid;
    rec.cells = r.cells;
    rec.steps = r.steps;
    rec.time_per_step = r.cells as f64 / r.cell_updates_per_second;
    rec.cell_updates_per_second = r.cell_updates_per_second;
    rec.wall_seconds = r.wall_seconds;
    rec.steps_per_sweep = r.steps_per_sweep;
    rec.phases = r.phases;
    rec.phases_max = r.phases_over_ranks.iter().map(|(k, v)| (k.clone(), v.max)).collect();
    rec.phases_mean = r.phases_over_ranks.iter().map(|(k, v)| (k.clone(), v.mean)).collect();
    if rec.phases_max.is_empty() {
        // A report without per-rank statistics: rank 0's phases stand in for both.
        rec.phases_max = rec.phases.clone();
        rec.phases_mean = rec.phases.clone();
    }
    if problems.is_empty() {
        rec.ok = true;
    } else {
        rec.error = Some(problems.join("; "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn launcher_template_needs_ranks_and_fills_it() {
        assert!(Launcher::parse("mpirun -n 4").unwrap_err().message.contains("{ranks}"));
        assert!(Launcher::parse("  ").is_err());
        let l = Launcher::parse("srun --mpi=pmix -n {ranks} --cpus-per-task={threads}").unwrap();
        let c = l.command(8, 2, Path::new("/bin/simrun"));
        let args: Vec<String> = c.get_args().map(|a| a.to_string_lossy().to_string()).collect();
        assert_eq!(c.get_program(), "srun");
        assert_eq!(args, ["--mpi=pmix", "-n", "8", "--cpus-per-task=2", "/bin/simrun"]);
    }

    #[test]
    fn missing_launcher_program_is_named() {
        let e = Launcher::parse("no-such-launcher-xyz -n {ranks}").unwrap().check_program().unwrap_err();
        assert!(e.message.contains("`no-such-launcher-xyz` not found"), "{}", e.message);
        assert!(Launcher::parse("sh -c {ranks}").unwrap().check_program().is_ok());
    }

    #[test]
    fn stderr_tail_is_one_line() {
        assert_eq!(tail("a\n\nb\nc\nd\ne\n", 3), "c | d | e");
        assert_eq!(tail("", 3), "(no stderr)");
    }

    #[test]
    fn stderr_tail_prefers_simrun_errors_and_explains_mpi_init_failures() {
        let ours = "banner\nerror: several Slurm tasks without PMI: use srun --mpi=pmix\nsrun: error: task 1 exited\n";
        assert_eq!(tail(ours, 4), "error: several Slurm tasks without PMI: use srun --mpi=pmix");
        let mpi = "*** An error occurred in MPI_Init\n*** on a NULL communicator\nsrun: error: task 0: Exited\n";
        let t = tail(mpi, 4);
        assert!(t.contains("MPI_Init") && t.contains("srun --mpi=pmix"), "{t}");
        assert!(!tail("sh: cannot open 2\n", 4).contains("pmix"));
    }

    #[test]
    fn srun_without_an_mpi_plugin_is_warned_about() {
        let w = Launcher::parse("srun -n {ranks} -c {threads}").unwrap().warning().unwrap();
        assert!(w.contains("--mpi=pmix"), "{w}");
        assert!(Launcher::parse("/usr/bin/srun -n {ranks}").unwrap().warning().is_some());
        assert!(Launcher::parse("srun --mpi=pmix -n {ranks}").unwrap().warning().is_none());
        assert!(Launcher::parse("mpirun -n {ranks}").unwrap().warning().is_none());
    }
}
