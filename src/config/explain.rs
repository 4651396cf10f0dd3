//! The key reference: every configuration key with its type, default and meaning, generated from
//! the typed structs (the shared sections here, each model's section from its own type through
//! the registry). Printed by `simrun check --explain` (`--markdown`: the README table, which
//! `scripts/gen-config-table.py` splices in; tests/readme.rs keeps them equal).

use super::schema::{self, Row};
use super::Shared;
use crate::models::MODELS;

/// Every key: the shared sections, then each registered model's section.
pub fn rows() -> Vec<Row> {
    let mut out = schema::rows(&schemars::schema_for!(Shared), "");
    let names: Vec<String> = MODELS.iter().map(|m| format!("\"{}\"", m.name())).collect();
    if let Some(r) = out.iter_mut().find(|r| r.key == "model") {
        r.ty = names.join(" | ");
    }
    for m in MODELS {
        out.extend(schema::rows(&(m.section().schema)(), m.name()));
    }
    out
}

/// The reference as aligned text.
pub fn text() -> String {
    let rows = rows();
    let w = rows.iter().map(|r| r.key.len()).max().unwrap_or(0);
    let mut s = String::new();
    for r in rows {
        let default = match r.default.as_str() {
            "required" => "required".to_string(),
            "none" => "optional".to_string(),
            d => format!("default {d}"),
        };
        s.push_str(&format!("{:w$}  {} ({default})\n{:w$}  {}\n", r.key, r.ty, "", r.doc));
    }
    s
}

/// The reference as a Markdown table (the README's configuration table).
pub fn markdown() -> String {
    let cell = |s: &str| s.replace('|', "\\|");
    let mut s = String::from("| key | type | default | meaning |\n|---|---|---|---|\n");
    for r in rows() {
        s.push_str(&format!("| `{}` | {} | {} | {} |\n", r.key, cell(&r.ty), cell(&r.default), cell(&r.doc)));
    }
    s
}

/// Is `key` (dotted, with `[i]` indices and face names) documented?
pub fn documented(key: &str) -> bool {
    let rows = rows();
    let mut k = String::new();
    let mut chars = key.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '[' {
            for d in chars.by_ref() {
                if d == ']' {
                    break;
                }
            }
            k.push_str("[]");
        } else {
            k.push(c);
        }
    }
    for face in ["x_lo", "x_hi", "y_lo", "y_hi", "z_lo", "z_hi"] {
        k = k.replace(&format!(".{face}."), ".<face>.");
    }
    rows.iter().any(|r| r.key == k)
}
