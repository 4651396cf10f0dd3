//! `[[output.fields]]`: field output writers, each a time series of whole fields on its own
//! schedule (after AMReX's plotfiles and Oceananigans' output writers), and their checks: known
//! field names, a schedule, and a directory of its own under `output.dir`.

use super::Config;
use crate::error::{Error, Result};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One `[[output.fields]]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldWriterConfig {
    /// Fields to write (any output field of the model: `simrun check` lists them); absent = the
    /// model's viewing fields (those of final.h5 without the state-only ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<Vec<String>>,
    /// Write every N steps (step 0 included); 0 = not by steps. Give `every_steps` and/or
    /// `every_time`.
    #[serde(default)]
    pub every_steps: u64,
    /// Write at every multiple k x T of simulated time (t = 0 included; with
    /// `time.align_outputs` the step before lands exactly on it); 0 = not by time.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub every_time: f64,
    /// Number format of the written fields.
    #[serde(default)]
    pub precision: Precision,
    /// Directory under `output.dir` for this writer's files (`step_<step>.h5`), with the series
    /// `<dir>.xdmf` beside it; absent = `fields` for the first writer, `fields_<i>` for the
    /// i-th (from 0) after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// 32-bit floats (half the bytes; about 7 significant digits).
    #[default]
    F32,
    /// 64-bit floats, the computed values bit for bit.
    F64,
}

impl Precision {
    /// Bytes per value.
    pub fn bytes(self) -> u64 {
        match self {
            Precision::F32 => 4,
            Precision::F64 => 8,
        }
    }

    /// As written in the configuration and in a field output's `precision` attribute.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }

    /// Inverse of [`Precision::name`].
    pub fn from_name(s: &str) -> Option<Precision> {
        [Precision::F32, Precision::F64].into_iter().find(|p| p.name() == s)
    }
}

/// Directories under `output.dir` that belong to other outputs.
const RESERVED: [&str; 3] = ["checkpoints", "images", "final"];

impl FieldWriterConfig {
    /// The writer's directory relative to `output.dir` (`index`: its position in the list).
    pub fn dir_name(&self, index: usize) -> String {
        match &self.dir {
            Some(d) => d.trim_end_matches('/').to_string(),
            None if index == 0 => "fields".to_string(),
            None => format!("fields_{index}"),
        }
    }

    /// The fields it writes, given the model's viewing fields.
    pub fn field_names(&self, view: &[&str]) -> Vec<String> {
        match &self.names {
            Some(n) => n.clone(),
            None => view.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// The writers' checks: names the model can write (`view` and `state` fields), a schedule, a
/// directory that is relative, stays inside `output.dir`, and is no other output's.
pub(crate) fn validate(cfg: &Config, view: &[&str], state: &[&str]) -> Result<()> {
    let mut dirs: Vec<(usize, String)> = Vec::new();
    for (i, w) in cfg.output.fields.iter().enumerate() {
        let key = |k: &str| format!("output.fields[{i}].{k}");
        if w.every_steps == 0 && w.every_time <= 0.0 {
            return Err(Error::config(format!(
                "key `{}`: give `every_steps` or `every_time` (or both) for this field writer",
                key("every_steps")
            )));
        }
        if let Some(names) = &w.names {
            if names.is_empty() {
                return Err(Error::config(format!("key `{}` is empty: name at least one field", key("names"))));
            }
            let known: Vec<&str> = view.iter().chain(state.iter().filter(|s| !view.contains(s))).copied().collect();
            for (j, n) in names.iter().enumerate() {
                if !known.contains(&n.as_str()) {
                    return Err(Error::config(format!(
                        "key `{}`: model \"{}\" has no field `{n}` (fields: {})",
                        key("names"),
                        cfg.model,
                        known.join(", ")
                    )));
                }
                if names[..j].contains(n) {
                    return Err(Error::config(format!("key `{}` names field `{n}` twice", key("names"))));
                }
            }
        }
        let d = w.dir_name(i);
        let path = std::path::Path::new(&d);
        let bad_part = path.components().any(|c| !matches!(c, std::path::Component::Normal(_)));
        if d.is_empty() || bad_part || d.contains("//") {
            return Err(Error::config(format!(
                "key `{}` = {d:?}: give a relative directory inside output.dir (no `..`, not absolute)",
                key("dir")
            )));
        }
        let first = path.components().next().map(|c| c.as_os_str().to_string_lossy().to_string()).unwrap_or_default();
        if RESERVED.contains(&first.as_str()) {
            return Err(Error::config(format!(
                "key `{}` = {d:?}: `{first}` under output.dir belongs to another output",
                key("dir")
            )));
        }
        let inside = |a: &str, b: &str| a == b || a.starts_with(&format!("{b}/"));
        if let Some((j, other)) = dirs.iter().find(|(_, o)| inside(&d, o) || inside(o, &d)) {
            return Err(Error::config(format!(
                "key `{}` = {d:?} collides with output.fields[{j}]'s directory {other:?}: give each writer its own `dir`",
                key("dir")
            )));
        }
        dirs.push((i, d));
    }
    Ok(())
}
