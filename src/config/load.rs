//! Reading a config file: TOML text -> value tree -> `--set` overrides -> typed [`Config`] -> checks.

use super::Config;
use crate::error::{Error, Result};
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
    let cfg = from_table(table, origin)?;
    super::validate::validate(&cfg).map_err(|e| Error::config(format!("{origin}: {}", e.message)))?;
    Ok(cfg)
}

fn from_table(table: toml::Table, origin: &str) -> Result<Config> {
    let value = toml::Value::Table(table);
    serde_path_to_error::deserialize::<_, Config>(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.inner().to_string();
        // The value deserializer appends " in `path`"; we name the key ourselves.
        let inner = inner.trim();
        let inner = inner.split(['\n', ' ']).collect::<Vec<_>>().join(" ");
        let inner = inner.split(" in `").next().unwrap_or(&inner).trim().to_string();
        let inner = inner.as_str();
        let msg = if let Some(field) = between(inner, "unknown field `", "`") {
            let key = join_key(&path, &field);
            let expected =
                inner.split_once(", expected").map(|(_, rest)| format!(" (expected{rest})")).unwrap_or_default();
            format!("unknown key `{key}`{expected}")
        } else if let Some(field) = between(inner, "missing field `", "`") {
            format!("missing key `{}`", join_key(&path, &field))
        } else if let Some(variant) = between(inner, "unknown variant `", "`") {
            let expected =
                inner.split_once(", expected").map(|(_, rest)| format!(", expected{rest}")).unwrap_or_default();
            format!("key `{path}`: unknown value `{variant}`{expected}")
        } else {
            format!("key `{path}`: {inner}")
        };
        Error::config(format!("{origin}: {msg}"))
    })
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
