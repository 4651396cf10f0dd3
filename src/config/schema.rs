//! Reading the JSON schemas that schemars derives from the config structs: one [`Row`] per key
//! (type, default, meaning) for the key reference, and the numeric ranges declared on the fields
//! (`#[schemars(range(...))]`, `extend("exclusiveMinimum" = 0)`) checked against a typed config.
//!
//! Why schemars: its derive reads the `///` doc comments, evaluates the serde defaults and
//! follows serde's renames, tags and `Option`s, so the documentation cannot drift from the
//! types. The walk below knows the few shapes our structs take: objects, `$ref`s, optionals,
//! string enums (plain or with a doc per value), internally tagged enums (`[[...shapes]]`) and
//! arrays. An object marked `extend("x-faces" = true)` (one property per boundary face, all of
//! the same type) is documented once as `<face>`.

use crate::error::{Error, Result};
use serde_json::{Map, Value};

/// One documented key.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Dotted key; `<face>` stands for any face, `[]` for any entry of an array of tables.
    pub key: String,
    pub ty: String,
    pub default: String,
    pub doc: String,
}

/// The rows of every key of `schema`, prefixed by `prefix` (e.g. "heat").
pub fn rows(schema: &schemars::Schema, prefix: &str) -> Vec<Row> {
    let root = schema.as_value();
    let mut out = Vec::new();
    let w = Walk { defs: root.get("$defs").and_then(Value::as_object) };
    w.rows(root, prefix, "", None, false, &mut out);
    out
}

/// Check every number of `value` (a typed config serialised to TOML) against the ranges of
/// `schema`; the error names the key.
pub fn check_ranges(schema: &schemars::Schema, value: &toml::Value, prefix: &str) -> Result<()> {
    let root = schema.as_value();
    let w = Walk { defs: root.get("$defs").and_then(Value::as_object) };
    w.check(root, value, prefix)
}

struct Walk<'a> {
    defs: Option<&'a Map<String, Value>>,
}

/// A schema node with its `$ref` and optional (`anyOf [X, null]`) wrappers removed; the docs and
/// default of the outer node win over those of the inner one.
struct Node {
    v: Map<String, Value>,
}

impl Node {
    fn str(&self, k: &str) -> Option<&str> {
        self.v.get(k).and_then(Value::as_str)
    }
    fn doc(&self) -> String {
        let parts: Vec<&str> = [self.str("title"), self.str("description")].into_iter().flatten().collect();
        parts.join(" ").split_whitespace().collect::<Vec<_>>().join(" ")
    }
    fn ty(&self) -> Option<&str> {
        match self.v.get("type") {
            Some(Value::String(s)) => Some(s),
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).find(|t| *t != "null"),
            _ => None,
        }
    }
    /// String values of an enum, with their docs ("" when undocumented).
    fn enum_values(&self, w: &Walk) -> Option<Vec<(String, String)>> {
        if let Some(Value::Array(a)) = self.v.get("enum") {
            return Some(a.iter().map(|x| (x.as_str().unwrap_or_default().to_string(), String::new())).collect());
        }
        if let Some(Value::String(c)) = self.v.get("const") {
            return Some(vec![(c.clone(), self.doc())]);
        }
        let alts = self.v.get("oneOf").and_then(Value::as_array)?;
        let mut out = Vec::new();
        for a in alts {
            let n = w.node(a);
            if n.v.contains_key("properties") {
                return None;
            }
            out.extend(n.enum_values(w)?);
        }
        Some(out)
    }
    /// The variants of an internally tagged enum: (tag key, [(tag value, variant node)]).
    fn tagged(&self, w: &Walk) -> Option<(String, Vec<(String, Node)>)> {
        let alts = self.v.get("oneOf").and_then(Value::as_array)?;
        let mut tag = None;
        let mut out = Vec::new();
        for a in alts {
            let n = w.node(a);
            let props = n.v.get("properties").and_then(Value::as_object)?;
            let (k, c) = props.iter().find_map(|(k, p)| p.get("const").and_then(Value::as_str).map(|c| (k, c)))?;
            tag = Some(k.clone());
            out.push((c.to_string(), n));
        }
        Some((tag?, out))
    }
    fn props(&self) -> Option<&Map<String, Value>> {
        self.v.get("properties").and_then(Value::as_object)
    }
    fn required(&self, k: &str) -> bool {
        self.v.get("required").and_then(Value::as_array).is_some_and(|r| r.iter().any(|x| x == k))
    }
    fn num(&self, k: &str) -> Option<f64> {
        self.v.get(k).and_then(Value::as_f64)
    }
    /// The declared range as text ("> 0", ">= 1", "in (0, 1]", "0-9"), if any beyond what the
    /// type implies.
    fn range(&self, integer: bool) -> Option<String> {
        let lo = self.num("exclusiveMinimum").map(|v| (v, true)).or(self.num("minimum").map(|v| (v, false)));
        let hi = self.num("exclusiveMaximum").map(|v| (v, true)).or(self.num("maximum").map(|v| (v, false)));
        // schemars gives unsigned integers minimum 0 and u8 maximum 255: keep 0, drop 255.
        let hi = hi.filter(|&(v, _)| !(integer && v == 255.0 && self.str("format") == Some("uint8")));
        match (lo, hi) {
            (None, None) => None,
            (Some((l, false)), Some((h, false))) if integer => Some(format!("{l}-{h}")),
            (Some((l, le)), Some((h, he))) => {
                Some(format!("in {}{l}, {h}{}", if le { "(" } else { "[" }, if he { ")" } else { "]" }))
            }
            (Some((l, true)), None) => Some(format!("> {l}")),
            (Some((l, false)), None) => Some(format!(">= {l}")),
            (None, Some((h, true))) => Some(format!("< {h}")),
            (None, Some((h, false))) => Some(format!("<= {h}")),
        }
    }
    /// Is `x` inside the declared range? Returns the range text when it is not.
    fn outside(&self, x: f64, integer: bool) -> Option<String> {
        let bad = self.num("minimum").is_some_and(|m| x < m)
            || self.num("maximum").is_some_and(|m| x > m)
            || self.num("exclusiveMinimum").is_some_and(|m| x <= m)
            || self.num("exclusiveMaximum").is_some_and(|m| x >= m);
        bad.then(|| self.range(integer).unwrap_or_default())
    }
}

impl Walk<'_> {
    fn resolve(&self, v: &Value) -> Map<String, Value> {
        let Some(obj) = v.as_object() else { return Map::new() };
        let mut out = match obj.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.rsplit('/').next().unwrap_or_default();
                let def = self.defs.and_then(|d| d.get(name)).map(|d| self.resolve(d)).unwrap_or_default();
                let mut m = def;
                for (k, x) in obj {
                    if k != "$ref" {
                        m.insert(k.clone(), x.clone());
                    }
                }
                m
            }
            None => obj.clone(),
        };
        // Optional: anyOf [X, {type: null}] -> X (with the outer docs and default).
        if let Some(Value::Array(alts)) = out.get("anyOf").cloned() {
            let non_null: Vec<&Value> = alts.iter().filter(|a| a.get("type") != Some(&Value::from("null"))).collect();
            if non_null.len() == 1 && alts.len() == 2 {
                out.remove("anyOf");
                let inner = self.resolve(non_null[0]);
                for (k, x) in inner {
                    out.entry(k).or_insert(x);
                }
            }
        }
        out
    }

    fn node(&self, v: &Value) -> Node {
        Node { v: self.resolve(v) }
    }

    #[allow(clippy::too_many_arguments)]
    fn rows(&self, v: &Value, key: &str, doc: &str, default: Option<&Value>, required: bool, out: &mut Vec<Row>) {
        let n = self.node(v);
        let doc = if doc.is_empty() { n.doc() } else { doc.to_string() };
        let default = n.v.get("default").or(default);
        let join = |k: &str| if key.is_empty() { k.to_string() } else { format!("{key}.{k}") };
        if let Some(props) = n.props() {
            if n.v.get("x-faces").is_some() {
                // One property per face, all of one type: document the face type once.
                let names: Vec<&str> = props.keys().map(String::as_str).collect();
                if let Some((first, p)) = props.iter().next() {
                    let face = self.node(p);
                    let face_default = p.get("default").or(default.and_then(|d| d.get(first)));
                    for (j, (fk, fv)) in face.props().into_iter().flatten().enumerate() {
                        let d = self.node(fv).doc();
                        let d = if j == 0 { format!("face: {}. {d}", names.join(", ")) } else { d };
                        let fd = fv.get("default").or(face_default.and_then(|x| x.get(fk)));
                        self.rows(fv, &join(&format!("<face>.{fk}")), &d, fd, face.required(fk), out);
                    }
                }
                return;
            }
            for (k, p) in props {
                let sub_default = p.get("default").or(default.and_then(|d| d.get(k)));
                self.rows(p, &join(k), "", sub_default, n.required(k), out);
            }
            return;
        }
        if let Some((tag, variants)) = n.tagged(self) {
            self.tagged_rows(key, &doc, &tag, &variants, out);
            return;
        }
        if n.ty() == Some("array") {
            if let Some(items) = n.v.get("items") {
                let it = self.node(items);
                if it.props().is_some() || it.tagged(self).is_some() {
                    self.rows(items, &format!("{key}[]"), &doc, None, false, out);
                    return;
                }
            }
        }
        out.push(self.leaf(&n, key, &doc, default, required));
    }

    fn tagged_rows(&self, key: &str, doc: &str, tag: &str, variants: &[(String, Node)], out: &mut Vec<Row>) {
        let names: Vec<String> = variants.iter().map(|(c, _)| format!("\"{c}\"")).collect();
        let vdocs: Vec<String> = variants
            .iter()
            .filter(|(_, n)| !n.doc().is_empty())
            .map(|(c, n)| format!("\"{c}\": {}", n.doc().trim_end_matches('.')))
            .collect();
        let tag_doc = [doc.to_string(), vdocs.join("; ")].iter().filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>();
        out.push(Row {
            key: format!("{key}.{tag}"),
            ty: names.join(" | "),
            default: "required".into(),
            doc: tag_doc.join(" "),
        });
        let mut seen: Vec<String> = Vec::new();
        for (_, n) in variants {
            for k in n.props().map(|p| p.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
                if k == tag || seen.contains(&k) {
                    continue;
                }
                seen.push(k.clone());
                let having: Vec<&(String, Node)> =
                    variants.iter().filter(|(_, v)| v.props().is_some_and(|p| p.contains_key(&k))).collect();
                let first = having[0].1.props().and_then(|p| p.get(&k)).cloned().unwrap_or_default();
                let d = having
                    .iter()
                    .filter_map(|(_, v)| v.props().and_then(|p| p.get(&k)))
                    .map(|p| self.node(p).doc())
                    .find(|d| !d.is_empty())
                    .unwrap_or_default();
                let kinds: Vec<&str> = having.iter().map(|(c, _)| c.as_str()).collect();
                let which = format!("({tag}: {})", kinds.join(", "));
                let d = if d.is_empty() { which } else { format!("{} {which}", d.trim_end_matches('.')) };
                let required = having.iter().all(|(_, v)| v.required(&k));
                let row = self.leaf(&self.node(&first), &format!("{key}.{k}"), &d, None, required);
                out.push(row);
            }
        }
    }

    fn leaf(&self, n: &Node, key: &str, doc: &str, default: Option<&Value>, required: bool) -> Row {
        let (ty, doc) = match n.enum_values(self) {
            Some(values) => {
                let ty: Vec<String> = values.iter().map(|(v, _)| format!("\"{v}\"")).collect();
                let vd: Vec<String> = values
                    .iter()
                    .filter(|(_, d)| !d.is_empty())
                    .map(|(v, d)| format!("\"{v}\": {}", d.trim_end_matches('.')))
                    .collect();
                let doc = if vd.is_empty() { doc.to_string() } else { format!("{doc} {}.", vd.join("; ")) };
                (ty.join(" | "), doc)
            }
            None => (type_text(n, self), doc.to_string()),
        };
        let default = match default {
            Some(d) => toml_text(d),
            None if required => "required".into(),
            None => "none".into(),
        };
        Row { key: key.to_string(), ty, default, doc: doc.trim().to_string() }
    }

    fn check(&self, v: &Value, value: &toml::Value, key: &str) -> Result<()> {
        let n = self.node(v);
        let join = |k: &str| if key.is_empty() { k.to_string() } else { format!("{key}.{k}") };
        match value {
            toml::Value::Table(t) => {
                if let Some(props) = n.props() {
                    for (k, x) in t {
                        if let Some(p) = props.get(k) {
                            self.check(p, x, &join(k))?;
                        }
                    }
                } else if let Some((tag, variants)) = n.tagged(self) {
                    let which = t.get(&tag).and_then(toml::Value::as_str);
                    if let Some((_, vn)) = variants.iter().find(|(c, _)| Some(c.as_str()) == which) {
                        for (k, x) in t {
                            if let Some(p) = vn.props().and_then(|p| p.get(k)) {
                                self.check(p, x, &join(k))?;
                            }
                        }
                    }
                }
            }
            toml::Value::Array(a) => {
                if let Some(items) = n.v.get("items") {
                    for (i, x) in a.iter().enumerate() {
                        self.check(items, x, &format!("{key}[{i}]"))?;
                    }
                }
            }
            toml::Value::Integer(i) => {
                if let Some(r) = n.outside(*i as f64, true) {
                    return Err(Error::config(format!("key `{key}` must be {}, got {i}", range_words(&r))));
                }
            }
            toml::Value::Float(x) => {
                if let Some(r) = n.outside(*x, false) {
                    return Err(Error::config(format!("key `{key}` must be {}, got {x}", range_words(&r))));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// "0-9" -> "0 to 9", ">= 1" -> "at least 1", "> 0" -> "greater than 0".
fn range_words(r: &str) -> String {
    if let Some(v) = r.strip_prefix(">= ") {
        format!("at least {v}")
    } else if let Some(v) = r.strip_prefix("> ") {
        format!("greater than {v}")
    } else if let Some(v) = r.strip_prefix("<= ") {
        format!("at most {v}")
    } else if let Some(v) = r.strip_prefix("< ") {
        format!("less than {v}")
    } else if let Some((a, b)) = r.split_once('-').filter(|_| !r.starts_with("in ")) {
        format!("{a} to {b}")
    } else {
        r.to_string()
    }
}

fn type_text(n: &Node, w: &Walk) -> String {
    let base = match n.ty() {
        Some("integer") => "integer",
        Some("number") => "number",
        Some("boolean") => return "bool".into(),
        Some("string") => return "string".into(),
        Some("array") => {
            let item = n.v.get("items").map(|i| w.node(i));
            return match item.as_ref().and_then(|i| i.ty()) {
                Some("integer") => "array of integers".into(),
                Some("number") => "array of numbers".into(),
                Some(t) => format!("array of {t}s"),
                None => "array".into(),
            };
        }
        Some(t) => return t.to_string(),
        None => return "value".into(),
    };
    match n.range(base == "integer") {
        Some(r) => format!("{base} {r}"),
        None => base.to_string(),
    }
}

/// A default value as it would be written in TOML.
fn toml_text(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{s}\""),
        Value::Array(a) => format!("[{}]", a.iter().map(toml_text).collect::<Vec<_>>().join(", ")),
        Value::Null => "none".into(),
        Value::Number(x) if x.is_f64() => format!("{:?}", x.as_f64().unwrap_or_default()),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};

    /// A section.
    #[derive(Serialize, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct S {
        /// Positive number.
        #[serde(default = "two")]
        #[schemars(extend("exclusiveMinimum" = 0))]
        a: f64,
        /// Level.
        #[serde(default)]
        #[schemars(range(max = 9))]
        level: u8,
        /// Sides.
        #[serde(default)]
        sides: Sides,
        /// Shapes.
        #[serde(default)]
        shapes: Vec<Shape>,
        /// Mode.
        #[serde(default)]
        mode: Mode,
        /// Optional count.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        n: Option<usize>,
    }
    fn two() -> f64 {
        2.0
    }
    #[derive(Serialize, Deserialize, JsonSchema, Default)]
    #[schemars(extend("x-faces" = true))]
    struct Sides {
        #[serde(default)]
        lo: Side,
        #[serde(default)]
        hi: Side,
    }
    #[derive(Serialize, Deserialize, JsonSchema, Default)]
    struct Side {
        /// Wall value.
        #[serde(default)]
        value: f64,
    }
    #[derive(Serialize, Deserialize, JsonSchema)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    enum Shape {
        /// A disc.
        Disc {
            /// Radius.
            #[schemars(extend("exclusiveMinimum" = 0))]
            radius: f64,
        },
        /// A box.
        Box { lo: Vec<f64> },
    }
    #[derive(Serialize, Deserialize, JsonSchema, Default)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        /// Fast.
        #[default]
        Fast,
        /// Slow.
        Slow,
    }

    #[test]
    fn rows_carry_types_defaults_docs_faces_and_tagged_variants() {
        let r = rows(&schemars::schema_for!(S), "s");
        let get = |k: &str| r.iter().find(|x| x.key == k).unwrap_or_else(|| panic!("{k} in {r:#?}")).clone();
        assert_eq!(
            get("s.a"),
            Row { key: "s.a".into(), ty: "number > 0".into(), default: "2.0".into(), doc: "Positive number.".into() }
        );
        assert_eq!(get("s.level").ty, "integer 0-9");
        assert_eq!(get("s.sides.<face>.value").doc, "face: lo, hi. Wall value.");
        assert_eq!(get("s.sides.<face>.value").default, "0.0");
        assert_eq!(get("s.shapes[].kind").ty, "\"disc\" | \"box\"");
        assert!(get("s.shapes[].kind").doc.contains("\"disc\": A disc"), "{:?}", get("s.shapes[].kind"));
        assert_eq!(get("s.shapes[].radius").doc, "Radius (kind: disc)");
        assert_eq!(get("s.shapes[].radius").default, "required");
        assert_eq!(get("s.shapes[].lo").ty, "array of numbers");
        assert_eq!(get("s.mode").ty, "\"fast\" | \"slow\"");
        assert_eq!(get("s.mode").default, "\"fast\"");
        assert_eq!(get("s.mode").doc, "Mode. \"fast\": Fast; \"slow\": Slow.");
        assert_eq!(get("s.n").default, "none");
        assert_eq!(get("s.n").ty, "integer >= 1");
        assert!(!r.iter().any(|x| x.key.contains(".hi")), "faces collapse: {r:#?}");
    }

    #[test]
    fn ranges_are_checked_with_the_key() {
        let schema = schemars::schema_for!(S);
        let ok: toml::Value =
            toml::from_str("a = 1.0\nlevel = 9\n[[shapes]]\nkind = \"disc\"\nradius = 1.0\n").unwrap();
        check_ranges(&schema, &ok, "s").unwrap();
        for (text, key, words) in [
            ("a = 0.0", "s.a", "greater than 0"),
            ("level = 10", "s.level", "0 to 9"),
            ("n = 0", "s.n", "at least 1"),
            (
                "[[shapes]]\nkind = \"box\"\nlo = [0.0]\n[[shapes]]\nkind = \"disc\"\nradius = -1.0",
                "s.shapes[1].radius",
                "greater than 0",
            ),
        ] {
            let v: toml::Value = toml::from_str(text).unwrap();
            let e = check_ranges(&schema, &v, "s").unwrap_err();
            assert!(e.message.contains(&format!("`{key}`")) && e.message.contains(words), "{text}: {}", e.message);
        }
    }
}
