//! One error type for the whole engine. Every error prints as a single line that names the
//! key, file or location at fault, and maps to a documented process exit code.

use std::fmt;

/// What went wrong, which also fixes the process exit code (see README, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad configuration, bad command line, missing or unreadable config file: exit 2.
    Config,
    /// The numerics failed (NaN/Inf in a field): exit 3.
    Numerical,
    /// Output could not be written or read (HDF5, PNG, report): exit 4.
    Io,
    /// Anything else: exit 1.
    Other,
}

/// A one-line, user-facing error.
#[derive(Debug, Clone)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

impl Error {
    pub fn config(msg: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Config, message: msg.into() }
    }
    pub fn numerical(msg: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Numerical, message: msg.into() }
    }
    pub fn io(msg: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Io, message: msg.into() }
    }
    pub fn other(msg: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Other, message: msg.into() }
    }
    /// Process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            ErrorKind::Other => 1,
            ErrorKind::Config => 2,
            ErrorKind::Numerical => 3,
            ErrorKind::Io => 4,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keep it on one line whatever the source error looked like.
        let one_line: String = self.message.split_whitespace().collect::<Vec<_>>().join(" ");
        f.write_str(&one_line)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
