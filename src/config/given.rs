//! Which keys the input actually gave (file plus `--set`), as opposed to defaults: a key that the
//! chosen model would ignore is refused only when it was given.

use std::collections::BTreeSet;

/// The dotted paths of every key and table in the input (`grid`, `grid.nx`, `heat.boundary.x_lo`,
/// `heat.initial.shapes[0].kind`, ...).
#[derive(Debug, Clone, Default)]
pub struct Given(BTreeSet<String>);

impl Given {
    pub fn of(table: &toml::Table) -> Given {
        let mut keys = BTreeSet::new();
        walk("", &toml::Value::Table(table.clone()), &mut keys);
        Given(keys)
    }

    /// Was `key` given (as a value or a table)?
    pub fn has(&self, key: &str) -> bool {
        self.0.contains(key)
    }

    /// The first given key among `keys`.
    pub fn first_of<'a>(&self, keys: &[&'a str]) -> Option<&'a str> {
        keys.iter().copied().find(|k| self.has(k))
    }
}

fn walk(prefix: &str, v: &toml::Value, out: &mut BTreeSet<String>) {
    if !prefix.is_empty() {
        out.insert(prefix.to_string());
    }
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                walk(&p, v, out);
            }
        }
        toml::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                if x.is_table() {
                    walk(&format!("{prefix}[{i}]"), x, out);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_keys_tables_and_array_entries() {
        let t: toml::Table = "a = 1\n[b.c]\nd = 2\n[[e]]\nf = 3\n".parse().unwrap();
        let g = Given::of(&t);
        for k in ["a", "b", "b.c", "b.c.d", "e", "e[0]", "e[0].f"] {
            assert!(g.has(k), "{k}");
        }
        assert!(!g.has("b.d"));
        assert_eq!(g.first_of(&["x", "b.c.d", "a"]), Some("b.c.d"));
    }
}
