//! Restarting from a committed checkpoint, on any ranks x threads split.
//!
//! Rank 0 reads the commit file (header and record) and checks it against the configuration
//! before any data is read: another model, grid, dimension count or state is refused with exit 2
//! naming what differs. It sends every rank the record; each rank reads the box it owns from the
//! data files that overlap it, verifying each against the record (see
//! [`crate::io::checkpoint::data_file::read_box`]), never through the virtual datasets. If any
//! rank finds a fault, `--restart latest` falls back to the next older committed checkpoint and
//! says why in one line; an explicit checkpoint exits 4 with the reason. Nothing is written.
//!
//! A final output continues a finished run (with a later end time): a distributed `final.h5` is a
//! commit file and is read as above; a self-contained one (one process, or gathered on rank 0) is
//! checked the same way against the configuration (its stored config gives the state signature)
//! and each rank reads its box of every state field from it, every chunk verified by its
//! fletcher32 checksum ([`crate::io::whole_file`]).

use crate::config::Config;
use crate::decomp::Decomp;
use crate::error::{Error, Result};
use crate::io::checkpoint::data_file::{Fault, ReadFault};
use crate::io::checkpoint::record::{data_file_name, CommitRecord};
use crate::io::checkpoint::{self, used, Header, Stamp, MASTER};
use crate::io::thread::IoThread;
use crate::io::whole_file::WholeHeader;
use crate::models::Model;
use crate::par::Comm;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The step of the final state `path` (a self-contained file or a commit file), None if its
/// header cannot be read.
fn final_step(io: &IoThread, path: &Path) -> Option<u64> {
    match io.read_whole_header(path.to_path_buf()) {
        Ok(Some(w)) => Some(w.step),
        Ok(None) => io.read_commit(path.to_path_buf()).ok().map(|(h, _)| h.stamp.step),
        Err(_) => None,
    }
}

/// Candidate checkpoint directories for `spec`, in the order to try them, and whether falling
/// back to the next one is allowed. `auto` is `latest` with the run's final.h5 among them, by
/// its step (after a checkpoint of the same step; first if its header cannot be read, so the
/// fall-back says why): a run that wrote no checkpoint, or finished after its last one,
/// continues from its final state.
fn candidates(spec: &str, out_dir: &Path, io: &IoThread) -> Result<(Vec<PathBuf>, bool)> {
    if spec == "auto" {
        let mut list = checkpoint::lifecycle::try_list_committed(out_dir)?;
        let fin = out_dir.join("final.h5");
        if fin.is_file() {
            let at = final_step(io, &fin).map_or(0, |step| list.iter().take_while(|(s, _)| *s >= step).count());
            list.insert(at, (0, fin));
        }
        if list.is_empty() {
            return Err(Error::config(format!(
                "--restart auto: no committed checkpoint or final.h5 in {}",
                out_dir.display()
            )));
        }
        return Ok((list.into_iter().map(|(_, d)| d).collect(), true));
    }
    if spec != "latest" {
        let path = Path::new(spec);
        if !path.exists() {
            return Err(Error::config(format!("--restart {spec}: no such checkpoint directory or file")));
        }
        let master = checkpoint::master_path(path);
        if !master.is_file() {
            return Err(Error::io(format!("--restart {spec}: not a committed checkpoint (no {MASTER} in it)")));
        }
        // A checkpoint directory (named by its directory or its checkpoint.h5), or another commit
        // file such as a distributed final.h5.
        let candidate = if master.file_name().is_some_and(|n| n == MASTER) {
            master.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
        } else {
            master
        };
        return Ok((vec![candidate], false));
    }
    // Newest committed first: a commit is complete once its checkpoint.h5 exists, even if the
    // job died before the `latest` pointer moved.
    let list: Vec<PathBuf> = checkpoint::lifecycle::try_list_committed(out_dir)?.into_iter().map(|(_, d)| d).collect();
    if list.is_empty() {
        return Err(Error::config(format!(
            "--restart latest: no committed checkpoint under {}",
            checkpoint::root(out_dir).display()
        )));
    }
    Ok((list, true))
}

/// What rank 0 decided about one candidate, sent to every rank.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Plan {
    /// Read this checkpoint.
    Read {
        dir: PathBuf,
        /// Where its data files are.
        data: PathBuf,
        stamp: Stamp,
        ranks: usize,
        threads: usize,
        record: Vec<u64>,
        fields: Vec<String>,
    },
    /// Read this self-contained file (a final.h5 of one process or gathered on rank 0).
    ReadWhole { path: PathBuf, stamp: Stamp, shape: Vec<usize> },
    /// This candidate is unusable (why); try the next one if allowed.
    Unusable { dir: PathBuf, why: String },
    /// Stop with this error (exit code from `kind`: 2 mismatch or bad command line, 4 I/O).
    Stop { config: bool, message: String },
}

/// Does the checkpoint hold the state this configuration runs? `None` if it does.
fn mismatch(h: &Header, cfg: &Config, model: &dyn Model, decomp: &Decomp) -> Option<String> {
    // Sizes x first (README "Axes"); the shapes here are in array order.
    let axes = |d: usize| if d == 3 { "nx x ny x nz" } else { "nx x ny" };
    let shape = |v: &[usize]| v.iter().rev().map(|n| n.to_string()).collect::<Vec<_>>().join(" x ");
    if h.model != model.name() {
        return Some(format!("it holds model `{}`, the configuration runs `{}`", h.model, model.name()));
    }
    let want = used(decomp.global, decomp.dims);
    if h.dims() != decomp.dims {
        return Some(format!("it is {}-D ({}), the configuration {}-D", h.dims(), shape(&h.grid_shape), decomp.dims));
    }
    if h.grid_shape != want {
        let names = if decomp.dims == 3 { &["grid.nz", "grid.ny", "grid.nx"][..] } else { &["grid.ny", "grid.nx"][..] };
        let differ: Vec<&str> =
            names.iter().zip(h.grid_shape.iter().zip(&want)).filter(|(_, (a, b))| a != b).map(|(n, _)| *n).collect();
        return Some(format!(
            "its grid is {} ({}), the configuration's {}: {} differ{}",
            shape(&h.grid_shape),
            axes(decomp.dims),
            shape(&want),
            differ.join(", "),
            if differ.len() == 1 { "s" } else { "" }
        ));
    }
    let names: Vec<String> = model.state_names().iter().map(|s| s.to_string()).collect();
    if h.state_fields != names {
        return Some(format!("its state fields are {}, the model's {}", h.state_fields.join(", "), names.join(", ")));
    }
    if h.state_signature != cfg.state_signature() {
        return Some(format!(
            "{}; only outputs, schedules and the end time may change",
            first_difference(&h.state_signature, &cfg.state_signature())
        ));
    }
    None
}

/// The first difference between two state signatures ([`Config::state_signature`]: the
/// checkpoint's `a`, the configuration's `b`), naming the key by its full path (e.g.
/// `heat.boundary.x_lo.kind`). A section one side has and the other lacks (e.g.
/// `[navier_stokes.pseudo_time]`), or a different number of `[[...]]` entries, is the difference
/// to name: the keys may differ only because of it.
fn first_difference(a: &str, b: &str) -> String {
    if let (Some(ta), Some(tb)) = (signature_table(a), signature_table(b)) {
        let (mut sections, mut keys) = (Vec::new(), Vec::new());
        table_differences("", &ta, &tb, &mut sections, &mut keys);
        if let Some(d) = sections.into_iter().chain(keys).next() {
            return d;
        }
    }
    // Not TOML as a signature is written (or equal values in other words): the first line.
    for (x, y) in a.lines().zip(b.lines()) {
        if x != y {
            return format!("the checkpoint has `{x}`, the configuration `{y}`");
        }
    }
    "the model sections differ".into()
}

/// A state signature as one table: `model`, `grid` and the model's section under its name (the
/// section's own headers, `[boundary.x_lo]`, are relative to it).
fn signature_table(text: &str) -> Option<toml::Table> {
    let first = text.lines().next()?;
    let model: String = toml::from_str::<toml::Table>(first).ok()?.get("model")?.as_str()?.to_string();
    let header = format!("\n[{model}]\n");
    let at = text.find(&header)?;
    let mut table: toml::Table = toml::from_str(&text[..at]).ok()?;
    let section: toml::Table = toml::from_str(&text[at + header.len()..]).ok()?;
    table.insert(model, toml::Value::Table(section));
    Some(table)
}

/// The differences of two tables under `path`, in key order: sections or entries of an array of
/// tables that one side lacks to `sections`, values that differ to `keys`.
fn table_differences(path: &str, a: &toml::Table, b: &toml::Table, sections: &mut Vec<String>, keys: &mut Vec<String>) {
    let join = |k: &str| if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
    let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for name in names {
        let key = join(name);
        match (a.get(name), b.get(name)) {
            (Some(toml::Value::Table(x)), Some(toml::Value::Table(y))) => table_differences(&key, x, y, sections, keys),
            (Some(toml::Value::Table(_)), None) => {
                sections.push(format!("the checkpoint has section `[{key}]`, the configuration does not"))
            }
            (None, Some(toml::Value::Table(_))) => {
                sections.push(format!("the configuration has section `[{key}]`, the checkpoint does not"))
            }
            (Some(toml::Value::Array(x)), Some(toml::Value::Array(y)))
                if x.iter().chain(y).all(|v| v.is_table()) && !(x.is_empty() && y.is_empty()) =>
            {
                if x.len() != y.len() {
                    let n = |k: usize| format!("{k} entr{}", if k == 1 { "y" } else { "ies" });
                    sections.push(format!(
                        "key `{key}`: the checkpoint has {} (`[[{key}]]`), the configuration {}",
                        n(x.len()),
                        n(y.len())
                    ));
                }
                for (i, (u, v)) in x.iter().zip(y).enumerate() {
                    if let (Some(u), Some(v)) = (u.as_table(), v.as_table()) {
                        table_differences(&format!("{key}[{i}]"), u, v, sections, keys);
                    }
                }
            }
            (x, y) if x != y => {
                let show = |v: Option<&toml::Value>| v.map_or("none".to_string(), |v| format!("`{v}`"));
                keys.push(format!("key `{key}`: the checkpoint has {}, the configuration {}", show(x), show(y)));
            }
            _ => {}
        }
    }
}

/// Rank 0's plan for a self-contained file `path` with header `w`: the checks of a checkpoint,
/// through a commit header made from it (the state signature from its stored configuration).
fn whole_plan(path: &Path, w: WholeHeader, cfg: &Config, model: &dyn Model, decomp: &Decomp, spec: &str) -> Plan {
    let Some(text) = w.config_toml.as_deref() else {
        // The wrong file named on the command line: bad input (exit 2), not an I/O failure.
        return Plan::Stop {
            config: true,
            message: format!(
                "--restart {spec}: {} is a field output, not a final state (no configuration in it): restart from final.h5 or a checkpoint",
                path.display()
            ),
        };
    };
    let Some(signature) = w.state_signature.clone() else {
        return Plan::Stop {
            config: false,
            message: format!(
                "--restart {spec}: {} has no state signature (written by an older simrun): restart from a checkpoint",
                path.display()
            ),
        };
    };
    let state: Vec<String> =
        model.state_names().iter().map(|s| s.to_string()).filter(|s| w.fields.contains(s)).collect();
    let h = Header {
        dir: path.to_path_buf(),
        format: String::new(),
        stamp: Stamp { step: w.step, time: w.time, dt: w.dt, change: w.change },
        model: w.model.clone(),
        config_toml: text.to_string(),
        state_signature: signature,
        grid_shape: w.grid_shape.clone(),
        spacing: [0.0; 3],
        layout: Vec::new(),
        ranks: 0,
        threads: 0,
        fields: w.fields.clone(),
        state_fields: state,
    };
    if let Some(why) = mismatch(&h, cfg, model, decomp) {
        return Plan::Stop {
            config: true,
            message: format!("--restart {spec}: {} does not match this configuration: {why}", path.display()),
        };
    }
    Plan::ReadWhole { path: path.to_path_buf(), stamp: h.stamp, shape: w.grid_shape }
}

/// Rank 0's plan for candidate `dir`.
fn plan(dir: &Path, io: &IoThread, cfg: &Config, model: &dyn Model, decomp: &Decomp, spec: &str) -> Plan {
    let unusable = |why: String| Plan::Unusable { dir: dir.to_path_buf(), why };
    if dir.is_file() && dir.file_name().is_none_or(|n| n != MASTER) {
        match io.read_whole_header(dir.to_path_buf()) {
            Ok(Some(w)) => return whole_plan(dir, w, cfg, model, decomp, spec),
            Ok(None) => {}
            Err(e) => return unusable(e.to_string()),
        }
    }
    let (h, rec) = match io.read_commit(dir.to_path_buf()) {
        Ok(x) => x,
        Err(e) => return unusable(e.to_string()),
    };
    if let Some(why) = mismatch(&h, cfg, model, decomp) {
        return Plan::Stop {
            config: true,
            message: format!("--restart {spec}: checkpoint {} does not match this configuration: {why}", dir.display()),
        };
    }
    if let Some(why) = rec.fault(h.global(), &h.state_fields) {
        return unusable(why);
    }
    Plan::Read {
        dir: dir.to_path_buf(),
        data: h.dir.clone(),
        stamp: h.stamp,
        ranks: h.ranks,
        threads: h.threads,
        record: rec.encode(),
        fields: rec.fields,
    }
}

/// Send rank 0's plan to every rank.
fn share(plan: Option<Plan>, comm: &dyn Comm) -> Plan {
    let mut bytes = plan.map(|p| serde_json::to_vec(&p).expect("plan serialises")).unwrap_or_default();
    comm.broadcast_bytes(&mut bytes);
    serde_json::from_slice(&bytes).unwrap_or(Plan::Stop { config: false, message: "restart plan lost".into() })
}

/// The one-line reason for the worst fault over ranks (`code` = fault * 2^32 + writer).
fn fault_line(code: f64, mine: &Option<ReadFault>) -> String {
    let (fault, writer) = ((code as u64) >> 32, (code as u64) & 0xffff_ffff);
    if let Some(m) = mine {
        if m.fault.code() == fault && m.writer as u64 == writer {
            return m.line();
        }
    }
    let what = match Fault::from_code(fault) {
        Some(Fault::Missing) => "is missing",
        Some(Fault::Unreadable) => "cannot be read",
        Some(Fault::Truncated) => "is truncated or overwritten (its length differs from the commit record)",
        Some(Fault::Mismatched) => "is not the file the commit recorded (stale, swapped or from another run)",
        Some(Fault::Corrupted) => "does not match its checksum",
        Some(Fault::TooManyOpenFiles) => "cannot be opened: too many open files",
        None => "failed verification",
    };
    format!("{} {what}", data_file_name(writer as usize))
}

/// Load the state of the checkpoint named by `spec` into `model`. Returns where it continues
/// and the checkpoint directory it read.
/// `announce` runs once (on every rank) when the first candidate is found to match the
/// configuration, before its data is read.
#[allow(clippy::too_many_arguments)]
pub fn restore(
    spec: &str,
    cfg: &Config,
    model: &mut dyn Model,
    decomp: &Decomp,
    comm: &dyn Comm,
    io: &IoThread,
    say: &dyn Fn(&str),
    announce: &mut dyn FnMut(),
) -> Result<(Stamp, PathBuf)> {
    let out_dir = PathBuf::from(&cfg.output.dir);
    let names: Vec<String> = model.state_names().iter().map(|s| s.to_string()).collect();
    let mut list = Vec::new();
    let mut fallback = false;
    let mut first_error = None;
    if comm.is_root() {
        match candidates(spec, &out_dir, io) {
            Ok((l, f)) => (list, fallback) = (l, f),
            Err(e) => first_error = Some(e),
        }
    }
    let mut announced = false;
    let mut i = 0;
    loop {
        let p = comm.is_root().then(|| match &first_error {
            Some(e) => Plan::Stop { config: e.exit_code() == 2, message: e.to_string() },
            None => plan(&list[i], io, cfg, model, decomp, spec),
        });
        let why = match share(p, comm) {
            Plan::Stop { config, message } => {
                return Err(if config { Error::config(message) } else { Error::io(message) });
            }
            Plan::Unusable { dir, why } => {
                format!("{}{} is unusable: {why}", if dir.is_dir() { "checkpoint " } else { "" }, dir.display())
            }
            Plan::ReadWhole { path, stamp, shape } => {
                let (step, time) = (stamp.step, stamp.time);
                announce();
                let r = io.read_whole_box(path.clone(), shape, names.clone(), decomp.offset, decomp.size);
                let mut bad = [if r.is_err() { comm.rank() as f64 + 1.0 } else { 0.0 }];
                comm.max_f64(&mut bad);
                match r {
                    Ok(blocks) if bad[0] == 0.0 => {
                        for (name, data) in names.iter().zip(&blocks) {
                            model.restore_field(name, data)?;
                        }
                        say(&format!(
                            "restarted from {} (step {step}, t={time:e}, checksums verified)",
                            path.display()
                        ));
                        return Ok((stamp, path));
                    }
                    // Whether another candidate follows is agreed below (rank 0 knows the list):
                    // the reason in one line, rank 0's or, from another rank, said by it here.
                    Err(e) => {
                        if !comm.is_root() {
                            eprintln!("rank {}: {}: {}", comm.rank(), path.display(), e.message);
                        }
                        format!("{} is unusable: {}", path.display(), e.message)
                    }
                    Ok(_) => format!(
                        "{} is unusable: rank {} could not read its part (its message is above)",
                        path.display(),
                        bad[0] as usize - 1
                    ),
                }
            }
            Plan::Read { dir, data, stamp, ranks, threads, record, fields } => {
                let (step, time) = (stamp.step, stamp.time);
                if !announced {
                    announce();
                    announced = true;
                }
                let rec = CommitRecord::decode(&record, fields).ok_or_else(|| Error::other("restart record lost"))?;
                let r = io.read_box(data, Arc::new(rec), decomp.dims, names.clone(), decomp.offset, decomp.size);
                let mine = r.as_ref().err().cloned();
                let mut code = [mine.as_ref().map_or(0.0, |f| ((f.fault.code() << 32) | f.writer as u64) as f64)];
                comm.max_f64(&mut code);
                if code[0] == 0.0 {
                    let blocks = r.expect("no fault on any rank");
                    for (name, data) in names.iter().zip(&blocks) {
                        model.restore_field(name, data)?;
                    }
                    say(&format!(
                        "restarted from {} (step {step}, t={time:e}, written by {ranks} rank(s) x {threads} thread(s), verified)",
                        dir.display()
                    ));
                    return Ok((stamp, dir));
                }
                format!("checkpoint {} is unusable: {}", dir.display(), fault_line(code[0], &mine))
            }
        };
        i += 1;
        let mut more = [(comm.is_root() && fallback && i < list.len()) as u8 as f64];
        comm.max_f64(&mut more);
        if more[0] == 0.0 {
            return Err(Error::io(format!("--restart {spec}: {why}")));
        }
        if comm.is_root() {
            say(&format!("warning: {why}; falling back to {}", list[i].display()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mismatch of a restart names the key that differs by its full path, in every model's
    /// section and the grid (it said ``the checkpoint has `kind = "neumann"`, the configuration
    /// `kind = "dirichlet"` `` without the face).
    #[test]
    fn a_signature_difference_names_the_full_key() {
        let heat = "model = \"heat\"\n[grid]\nnx = 8\nny = 8\n[time]\nsteps = 1\n\
                    [[heat.initial.shapes]]\nkind = \"disc\"\ncenter = [0.5, 0.5]\nradius = 0.2\nvalue = 1.0\n";
        let weather = "model = \"weather\"\n[grid]\nnx = 20\nny = 10\nlx = 20000.0\nly = 10000.0\n[time]\nsteps = 1\n";
        let ns = "model = \"navier_stokes\"\n[grid]\nnx = 8\nny = 8\n[time]\nsteps = 1\n";
        let sig = |text: &str, set: &[&str]| {
            let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
            crate::config::load_str(text, "test", &set).unwrap().state_signature()
        };
        // (config, the checkpoint's --set, the configuration's --set, what the message holds)
        type Case<'a> = (&'a str, &'a [&'a str], &'a [&'a str], &'a [&'a str]);
        let cases: [Case; 7] = [
            (
                heat,
                &["heat.boundary.x_lo={kind=\"neumann\"}"],
                &["heat.boundary.x_lo={kind=\"dirichlet\"}"],
                &["key `heat.boundary.x_lo.kind`", "`\"neumann\"`", "`\"dirichlet\"`"],
            ),
            (heat, &[], &["heat.boundary.y_hi={kind=\"neumann\", value=0.5}"], &["key `heat.boundary.y_hi.value`"]),
            (heat, &[], &["heat.alpha=2.0"], &["key `heat.alpha`", "`1.0`", "`2.0`"]),
            (heat, &[], &["grid.lx=2.0"], &["key `grid.lx`"]),
            (
                heat,
                &[],
                &["heat.initial.shapes=[{kind=\"disc\", center=[0.5, 0.5], radius=0.3, value=1.0}]"],
                &["key `heat.initial.shapes[0].radius`"],
            ),
            (weather, &[], &["weather.case=\"collision\""], &["key `weather.case`", "`\"thermal\"`"]),
            (
                ns,
                &[],
                &["navier_stokes.boundary.y_hi={kind=\"wall\", velocity=1.0}"],
                &["key `navier_stokes.boundary.y_hi.velocity`"],
            ),
        ];
        for (text, a, b, want) in cases {
            let d = first_difference(&sig(text, a), &sig(text, b));
            for w in want {
                assert!(d.contains(w), "{a:?} vs {b:?}: `{d}` lacks {w}");
            }
        }
        // A section or entry one side lacks is named first.
        let d = first_difference(&sig(heat, &["heat.initial.noise.amplitude=0.1"]), &sig(heat, &[]));
        assert_eq!(d, "the checkpoint has section `[heat.initial.noise]`, the configuration does not");
        let two = "heat.initial.shapes=[{kind=\"disc\", center=[0.5, 0.5], radius=0.2, value=1.0}, {kind=\"disc\", center=[0.5, 0.5], radius=0.1, value=2.0}]";
        let d = first_difference(&sig(heat, &[]), &sig(heat, &[two]));
        assert_eq!(
            d,
            "key `heat.initial.shapes`: the checkpoint has 1 entry (`[[heat.initial.shapes]]`), the configuration 2 entries"
        );
    }

    /// The plan travels as JSON: its clock must come back bit for bit (a restart continues the
    /// time series exactly; serde_json's default float parser may be one ulp off).
    #[test]
    fn the_plan_carries_the_clock_exactly() {
        let mut x = 1.45019531250001e-3f64;
        for i in 0..2000 {
            let p = Plan::Read {
                dir: PathBuf::from("d"),
                data: PathBuf::from("d"),
                stamp: Stamp { step: i, time: x, dt: x / 3.0, change: Some(x / 7.0) },
                ranks: 1,
                threads: 1,
                record: Vec::new(),
                fields: Vec::new(),
            };
            let back: Plan = serde_json::from_slice(&serde_json::to_vec(&p).unwrap()).unwrap();
            let Plan::Read { stamp, .. } = back else { panic!("not a read plan") };
            let bits = |v: f64| v.to_bits();
            assert_eq!(
                (bits(stamp.time), bits(stamp.dt), stamp.change.map(bits)),
                (bits(x), bits(x / 3.0), Some(bits(x / 7.0))),
                "{x:e}"
            );
            x += 2.1972656250000007e-6;
        }
    }
}
