//! A checksum over the attributes a restart trusts: step, time, dt, the configuration, the state
//! signature, the grid, the fields. The field data carry their own checksums (a checkpoint's
//! content hashes, a self-contained file's fletcher32 per chunk), but HDF5 does not check
//! attribute values: a flipped bit in `time` read back as a different time and a restart ran
//! the wrong number of steps, reporting the checkpoint as verified. So the writer of a commit
//! file or of a self-contained `final.h5` stores XXH3-64 of those values as the root attribute
//! [`ATTR`], and the reader recomputes it from the values it read: a file whose metadata differ
//! from what was written is refused (a checkpoint falls back to the one before).
//!
//! Each value enters the hash with its name, a type tag and its length, so no two different
//! lists of values encode alike; floats by their bits (a restart needs them exactly). Files
//! written before the digest existed have no [`ATTR`] and are read as before.

use std::hash::Hasher;
use twox_hash::XxHash3_64;

/// The root attribute holding the digest.
pub const ATTR: &str = "meta_xxh3";

/// The digest of named values, fed in the same order by the writer and the reader.
pub struct MetaDigest(XxHash3_64);

impl Default for MetaDigest {
    fn default() -> Self {
        MetaDigest(XxHash3_64::with_seed(0))
    }
}

impl MetaDigest {
    fn put(mut self, name: &str, tag: u8, bytes: &[u8]) -> Self {
        self.0.write(&(name.len() as u64).to_le_bytes());
        self.0.write(name.as_bytes());
        self.0.write(&[tag]);
        self.0.write(&(bytes.len() as u64).to_le_bytes());
        self.0.write(bytes);
        self
    }

    pub fn u64(self, name: &str, v: u64) -> Self {
        self.put(name, b'u', &v.to_le_bytes())
    }

    pub fn f64(self, name: &str, v: f64) -> Self {
        self.put(name, b'f', &v.to_bits().to_le_bytes())
    }

    pub fn str(self, name: &str, s: &str) -> Self {
        self.put(name, b's', s.as_bytes())
    }

    pub fn u64s(self, name: &str, v: impl IntoIterator<Item = usize>) -> Self {
        let bytes: Vec<u8> = v.into_iter().flat_map(|x| (x as u64).to_le_bytes()).collect();
        self.put(name, b'U', &bytes)
    }

    pub fn f64s(self, name: &str, v: &[f64]) -> Self {
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_bits().to_le_bytes()).collect();
        self.put(name, b'F', &bytes)
    }

    pub fn strs(self, name: &str, v: &[String]) -> Self {
        let mut bytes = Vec::new();
        for s in v {
            bytes.extend((s.len() as u64).to_le_bytes());
            bytes.extend(s.as_bytes());
        }
        self.put(name, b'S', &bytes)
    }

    pub fn finish(&self) -> u64 {
        self.0.finish()
    }

    /// Store the digest on `file`'s root.
    pub fn store(&self, file: &hdf5::File) -> hdf5::Result<()> {
        file.new_attr::<u64>().create(ATTR)?.write_scalar(&self.finish())
    }

    /// Compare with the digest `file` stores: None if they agree or the file has none (written
    /// before digests), else why the file is refused (also when the digest cannot be read).
    pub fn verify(&self, file: &hdf5::File) -> Option<String> {
        let Ok(attr) = file.attr(ATTR) else { return None };
        let Ok(stored) = attr.read_scalar::<u64>() else {
            return Some("its metadata checksum cannot be read: the file is damaged".to_string());
        };
        (stored != self.finish()).then(|| {
            "its metadata (step, time, dt, configuration, grid) do not match their checksum: the file is damaged"
                .to_string()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_name_and_boundary_counts() {
        let base = || MetaDigest::default().u64("step", 1000).f64("time", 4.39453125e-3).str("model", "heat");
        let d = base().finish();
        assert_eq!(d, base().finish());
        // One bit of the time, the name of a value, a value moved across a boundary.
        assert_ne!(
            d,
            MetaDigest::default().u64("step", 1000).f64("time", 2.197265625e-3).str("model", "heat").finish()
        );
        assert_ne!(
            d,
            MetaDigest::default().u64("steps", 1000).f64("time", 4.39453125e-3).str("model", "heat").finish()
        );
        let a = MetaDigest::default().strs("f", &["ab".into(), "c".into()]).finish();
        let b = MetaDigest::default().strs("f", &["a".into(), "bc".into()]).finish();
        assert_ne!(a, b);
        assert_ne!(MetaDigest::default().f64("t", 0.0).finish(), MetaDigest::default().f64("t", -0.0).finish());
    }
}
