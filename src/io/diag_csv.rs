//! `diagnostics.csv`: the diagnostics time series of a run, one row per diagnostics evaluation.
//!
//! Format: a header line `step,time,dt,wall_seconds,<diagnostic names...>`, then one line per
//! row: `step` as an integer, every other column as Rust's shortest round-trip decimal of the
//! f64 (`{:e}`, e.g. `1.5e-3`; `NaN`, `inf`), so parsing a value gives back the same bits. The
//! file is only ever appended to, a row at a time (one `write`), so a killed run leaves complete
//! rows and at most one partial last line; [`parse`] drops such a line (and anything after a
//! line that does not parse). The same table goes into `final.h5` as `/diagnostics`
//! ([`Table::write_h5`]).

use crate::error::{Error, Result};
use std::path::Path;

/// The file's name inside `output.dir`.
pub const FILE: &str = "diagnostics.csv";

/// The columns every file starts with, before the model's diagnostics.
pub const FIXED: [&str; 4] = ["step", "time", "dt", "wall_seconds"];

/// The header line (with its newline) for diagnostics `names`.
pub fn header(names: &[String]) -> String {
    let mut cols: Vec<&str> = FIXED.to_vec();
    cols.extend(names.iter().map(String::as_str));
    cols.join(",") + "\n"
}

/// One row (with its newline): the floats round-trip exact.
pub fn row(step: u64, time: f64, dt: f64, wall_seconds: f64, values: &[f64]) -> String {
    let mut s = format!("{step},{time:e},{dt:e},{wall_seconds:e}");
    for v in values {
        s.push_str(&format!(",{v:e}"));
    }
    s.push('\n');
    s
}

/// A parsed `diagnostics.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Every column name, `step` first.
    pub columns: Vec<String>,
    /// The `step` of each row.
    pub steps: Vec<u64>,
    /// Each row's other columns (`columns[1..]`), as parsed.
    pub values: Vec<Vec<f64>>,
    /// Each row's text as in the file, without its newline.
    pub lines: Vec<String>,
    /// Why the tail of the file was left out (a partial last line, a line that does not parse),
    /// if it was.
    pub dropped: Option<String>,
}

impl Table {
    /// The header line of this table (with its newline).
    pub fn header(&self) -> String {
        self.columns.join(",") + "\n"
    }

    /// Keep the rows whose step `keep` accepts, remove the others.
    pub fn retain(&mut self, keep: impl Fn(u64) -> bool) {
        let mut i = 0;
        while i < self.steps.len() {
            if keep(self.steps[i]) {
                i += 1;
            } else {
                self.steps.remove(i);
                self.values.remove(i);
                self.lines.remove(i);
            }
        }
    }

    /// The table as file text: header and rows.
    pub fn text(&self) -> String {
        let mut s = self.header();
        for l in &self.lines {
            s.push_str(l);
            s.push('\n');
        }
        s
    }

    /// Write the table into `parent` as group `diagnostics`: one 1-D dataset per column, in file
    /// order (`step` u64, the others f64), and the group attribute `columns` (the names, comma
    /// separated, in order). h5py: `f["diagnostics/time"][:]`; pandas:
    /// `pd.DataFrame({k: g[k][:] for k in g.attrs["columns"].split(",")})`.
    pub fn write_h5(&self, parent: &hdf5::Group) -> hdf5::Result<()> {
        let g = parent.create_group("diagnostics")?;
        let cols: hdf5::types::VarLenUnicode =
            self.columns.join(",").parse().map_err(|e| hdf5::Error::from(format!("diagnostics columns: {e:?}")))?;
        g.new_attr::<hdf5::types::VarLenUnicode>().create("columns")?.write_scalar(&cols)?;
        let source: hdf5::types::VarLenUnicode = FILE.parse().map_err(|e| hdf5::Error::from(format!("{e:?}")))?;
        g.new_attr::<hdf5::types::VarLenUnicode>().create("source")?.write_scalar(&source)?;
        crate::io::describe::checked_1d(&g, "step", &self.steps)?;
        for (c, name) in self.columns.iter().enumerate().skip(1) {
            let col: Vec<f64> = self.values.iter().map(|r| r[c - 1]).collect();
            crate::io::describe::checked_1d(&g, name, &col)?;
        }
        Ok(())
    }
}

/// Parse a file's text. Rows after the header are kept while each is a complete line (ends in a
/// newline) with a value for every column, `step` an integer greater than the row before's, and
/// the rest numbers; the first that is not ends the table (it and the rest are reported in
/// [`Table::dropped`]). `None` when there is no complete header line.
pub fn parse(text: &str) -> Option<Table> {
    let (head, mut rest) = text.split_once('\n')?;
    let columns: Vec<String> = head.split(',').map(str::to_string).collect();
    if columns.len() < FIXED.len() || columns[..FIXED.len()] != FIXED {
        return None;
    }
    let mut t = Table { columns, steps: Vec::new(), values: Vec::new(), lines: Vec::new(), dropped: None };
    while !rest.is_empty() {
        let Some((line, tail)) = rest.split_once('\n') else {
            t.dropped = Some(format!("a partial last line ({} bytes)", rest.len()));
            break;
        };
        match parse_row(line, t.columns.len(), t.steps.last().copied()) {
            Some((step, vals)) => {
                t.steps.push(step);
                t.values.push(vals);
                t.lines.push(line.to_string());
            }
            None => {
                let n = rest.lines().count();
                t.dropped =
                    Some(format!("a malformed line after step {:?} and {} line(s) after it", t.steps.last(), n - 1));
                break;
            }
        }
        rest = tail;
    }
    Some(t)
}

fn parse_row(line: &str, columns: usize, prev: Option<u64>) -> Option<(u64, Vec<f64>)> {
    let mut it = line.split(',');
    let step: u64 = it.next()?.parse().ok()?;
    if prev.is_some_and(|p| step <= p) {
        return None;
    }
    let vals: Vec<f64> = it.map(|v| v.parse::<f64>().ok()).collect::<Option<_>>()?;
    (vals.len() + 1 == columns).then_some((step, vals))
}

/// Read and parse `path` (I/O errors and an unreadable header are errors naming the file).
pub fn read(path: &Path) -> Result<Table> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(format!("cannot read {}: {e}", path.display())))?;
    parse(&text).ok_or_else(|| Error::io(format!("{}: no diagnostics header line", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_exactly() {
        let names = vec!["a".to_string(), "b".to_string()];
        let vals = [0.1 + 0.2, -1.0e-300, f64::NAN, f64::INFINITY, 123_456_789.123_456_79 * 1.1];
        let mut text = header(&names);
        text += &row(0, 0.0, 0.0, 0.5, &vals[..2]);
        text += &row(10, 1.0 / 3.0, 2.0 / 3.0, 1.25, &vals[2..4]);
        text += &row(20, vals[4], 5e-324, 2.0, &[f64::MIN_POSITIVE, -0.0]);
        let t = parse(&text).unwrap();
        assert_eq!(t.columns, ["step", "time", "dt", "wall_seconds", "a", "b"]);
        assert_eq!(t.steps, [0, 10, 20]);
        assert_eq!(t.values[0][3].to_bits(), vals[0].to_bits());
        assert_eq!(t.values[0][4].to_bits(), vals[1].to_bits());
        assert!(t.values[1][3].is_nan() && t.values[1][4] == f64::INFINITY);
        assert_eq!(t.values[1][0].to_bits(), (1.0f64 / 3.0).to_bits());
        assert_eq!(t.values[2][0].to_bits(), vals[4].to_bits());
        assert_eq!(t.values[2][1].to_bits(), 5e-324f64.to_bits());
        assert_eq!(t.values[2][4].to_bits(), (-0.0f64).to_bits());
        assert_eq!(t.dropped, None);
        assert_eq!(t.text(), text);
    }

    #[test]
    fn a_partial_or_bad_tail_is_dropped() {
        let names = vec!["e".to_string()];
        let good = header(&names) + &row(0, 0.0, 0.0, 0.0, &[1.0]) + &row(5, 0.5, 0.1, 0.2, &[2.0]);
        // A row cut anywhere, even right before its newline, is not a row.
        let next = row(10, 1.0, 0.1, 0.3, &[3.0]);
        for cut in 1..next.len() {
            let t = parse(&(good.clone() + &next[..cut])).unwrap();
            assert_eq!(t.steps, [0, 5], "cut at {cut}");
            assert!(t.dropped.as_deref().unwrap().contains("partial"), "{:?}", t.dropped);
            assert_eq!(t.text(), good);
        }
        // A short row, a non-number, a step that does not increase: the table ends there.
        for bad in ["10,1e0,1e-1\n", "10,x,1e-1,0e0,1e0\n", "5,1e0,1e-1,0e0,1e0\n"] {
            let t = parse(&(good.clone() + bad + &next)).unwrap();
            assert_eq!(t.steps, [0, 5], "{bad}");
            assert!(t.dropped.is_some());
        }
        assert!(parse("step,time,dt").is_none());
        assert!(parse("x,y\n").is_none());
    }

    #[test]
    fn retain_removes_rows() {
        let names = vec!["e".to_string()];
        let text: String =
            header(&names) + &(0..5).map(|s| row(s * 10, s as f64, 1.0, 0.0, &[0.0])).collect::<String>();
        let mut t = parse(&text).unwrap();
        t.retain(|s| s != 20 && s <= 30);
        assert_eq!(t.steps, [0, 10, 30]);
        assert_eq!(t.lines.len(), 3);
        assert_eq!(parse(&t.text()).unwrap(), t);
    }
}
