//! Reading a config file: TOML text -> value tree -> `--set` overrides -> finite numbers only ->
//! the model (from the registry) -> typed shared sections and typed model section -> checks.

use super::{Config, Given, Shared};
use crate::error::{Error, Result};
use crate::models::{self, ModelSpec, MODELS};
use std::path::Path;

/// Read, override and validate a config file. `overrides` are `key.path=value` strings.
pub fn load(path: &Path, overrides: &[String]) -> Result<Config> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::config(format!("cannot read config file {}: {}", path.display(), e)))?;
    load_str(&text, &path.display().to_string(), overrides)
}

/// As [`load`], from text; `origin` names the source in messages.
pub fn load_str(text: &str, origin: &str, overrides: &[String]) -> Result<Config> {
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e.span().map(|s| line_of(text, s.start)).map(|l| format!(" (line {l})")).unwrap_or_default();
        Error::config(format!("{origin}: invalid TOML{line}: {}", e.message()))
    })?;
    for ov in overrides {
        apply_override(&mut table, ov)?;
    }
    from_table(table).map_err(|e| Error::config(format!("{origin}: {}", e.message)))
}

fn from_table(mut table: toml::Table) -> Result<Config> {
    finite("", &toml::Value::Table(table.clone()))?;
    let given = Given::of(&table);
    let spec = model_of(&table)?;
    for other in MODELS.iter().filter(|m| m.name() != spec.name()) {
        if table.contains_key(other.name()) {
            return Err(Error::config(format!(
                "section `[{0}]` belongs to model \"{0}\", but this config has model = \"{1}\": remove it",
                other.name(),
                spec.name()
            )));
        }
    }
    let known: Vec<String> = shared_keys().into_iter().chain([spec.name().to_string()]).collect();
    if let Some(k) = table.keys().find(|k| !known.contains(k)) {
        let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
        return Err(Error::config(format!("unknown key `{k}` (expected one of {})", list.join(", "))));
    }
    let section = match table.remove(spec.name()) {
        None => toml::Value::Table(toml::Table::new()),
        Some(v @ toml::Value::Table(_)) => v,
        Some(v) => {
            return Err(Error::config(format!(
                "key `{}` must be a table (section), got a value of type {}",
                spec.name(),
                v.type_str()
            )))
        }
    };
    let shared: Shared = serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| typing("", e))?;
    let section = (spec.section().parse)(section).map_err(|e| typing(spec.name(), e))?;
    let cfg = Config {
        model: spec.name(),
        grid: shared.grid,
        time: shared.time,
        parallel: shared.parallel,
        output: shared.output,
        checkpoint: shared.checkpoint,
        section,
    };
    super::validate::validate(&cfg, &given)?;
    Ok(cfg)
}

/// The top-level keys of the shared part.
fn shared_keys() -> Vec<String> {
    let schema = schemars::schema_for!(Shared);
    let props = schema.as_value().get("properties").and_then(serde_json::Value::as_object);
    props.map(|p| p.keys().cloned().collect()).unwrap_or_default()
}

/// The registered model named by the `model` key.
fn model_of(table: &toml::Table) -> Result<&'static dyn ModelSpec> {
    let names: Vec<String> = MODELS.iter().map(|m| format!("`{}`", m.name())).collect();
    match table.get("model") {
        None => Err(Error::config(format!("missing key `model` (one of {})", names.join(", ")))),
        Some(toml::Value::String(s)) => models::find(s).ok_or_else(|| {
            Error::config(format!("key `model`: unknown value `{s}`, expected one of {}", names.join(", ")))
        }),
        Some(v) => Err(Error::config(format!(
            "key `model` must be a string (one of {}), got a value of type {}",
            names.join(", "),
            v.type_str()
        ))),
    }
}

/// Every number must be finite: TOML allows `nan` and `inf`, no key of ours does.
fn finite(key: &str, v: &toml::Value) -> Result<()> {
    match v {
        toml::Value::Float(x) if !x.is_finite() => {
            Err(Error::config(format!("key `{key}` = {x}: numbers in a config must be finite")))
        }
        toml::Value::Table(t) => {
            t.iter().try_for_each(|(k, x)| finite(&if key.is_empty() { k.clone() } else { format!("{key}.{k}") }, x))
        }
        toml::Value::Array(a) => a.iter().enumerate().try_for_each(|(i, x)| finite(&format!("{key}[{i}]"), x)),
        _ => Ok(()),
    }
}

/// A typing error as one line naming the key (`prefix`: the section the value was typed under).
fn typing(prefix: &str, e: super::section::SectionError) -> Error {
    let inner_path = e.path().to_string();
    let path = match (prefix, inner_path.as_str()) {
        ("", p) => p.to_string(),
        (pre, "." | "") => pre.to_string(),
        (pre, p) => format!("{pre}.{p}"),
    };
    let inner = e.inner().to_string();
    // The value deserializer appends " in `path`"; we name the key ourselves.
    let inner = inner.trim();
    let inner = inner.split(['\n', ' ']).collect::<Vec<_>>().join(" ");
    let inner = inner.split(" in `").next().unwrap_or(&inner).trim().to_string();
    let inner = inner.as_str();
    let msg = if let Some(field) = between(inner, "unknown field `", "`") {
        let key = join_key(&path, &field);
        let expected = inner.split_once(", expected").map(|(_, rest)| format!(" (expected{rest})")).unwrap_or_default();
        format!("unknown key `{key}`{expected}")
    } else if let Some(field) = between(inner, "missing field `", "`") {
        format!("missing key `{}`", join_key(&path, &field))
    } else if let Some(variant) = between(inner, "unknown variant `", "`") {
        let expected = inner.split_once(", expected").map(|(_, rest)| format!(", expected{rest}")).unwrap_or_default();
        format!("key `{path}`: unknown value `{variant}`{expected}")
    } else {
        format!("key `{path}`: {}", plain_expected(inner))
    };
    Error::config(msg)
}

/// serde's "expected <Rust type>" in words for a TOML user: "expected u64" -> "expected a
/// non-negative integer", "expected struct GridConfig" -> "expected a table".
fn plain_expected(inner: &str) -> String {
    let Some((head, ty)) = inner.rsplit_once(", expected ") else { return inner.to_string() };
    let words = match ty.trim() {
        "usize" | "u64" | "u32" | "u16" | "u8" => "a non-negative integer",
        "isize" | "i64" | "i32" | "i16" | "i8" => "an integer",
        "f64" | "f32" => "a number",
        t if t.starts_with("struct ") || t.starts_with("map") => "a table",
        t => t,
    };
    format!("{head}, expected {words}")
}

fn join_key(path: &str, field: &str) -> String {
    if path == field || path.ends_with(&format!(".{field}")) {
        path.to_string()
    } else if path.is_empty() || path == "." {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

fn between(s: &str, start: &str, end: &str) -> Option<String> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(s[i..j].to_string())
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|&b| b == b'\n').count() + 1
}

/// Apply one `a.b.c=value` override. The value is read as TOML (`512`, `0.5`, `true`, `"s"`,
/// `[1, 2]`); anything that is not valid TOML is taken as a string.
pub fn apply_override(table: &mut toml::Table, spec: &str) -> Result<()> {
    let (key, raw) = spec
        .split_once('=')
        .ok_or_else(|| Error::config(format!("--set {spec}: expected key=value, e.g. --set grid.nx=512")))?;
    let key = key.trim();
    let raw = raw.trim();
    if key.is_empty() || key.split('.').any(|p| p.is_empty()) {
        return Err(Error::config(format!("--set {spec}: malformed key `{key}`")));
    }
    let value = match format!("v = {raw}").parse::<toml::Table>() {
        Ok(mut t) => t.remove("v").expect("parsed key"),
        Err(_) => toml::Value::String(raw.to_string()),
    };
    let parts: Vec<&str> = key.split('.').collect();
    let mut cur = table;
    for (i, part) in parts[..parts.len() - 1].iter().enumerate() {
        let entry = cur.entry(part.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = match entry {
            toml::Value::Table(t) => t,
            _ => return Err(Error::config(format!("--set {spec}: `{}` is not a table", parts[..=i].join(".")))),
        };
    }
    cur.insert(parts[parts.len() - 1].to_string(), value);
    Ok(())
}
