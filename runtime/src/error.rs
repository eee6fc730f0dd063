//! The runtime's one error type: why the server could not start or stopped.
//!
//! Errors are opaque: match on the `is_*` predicates, not on the text. The
//! `Display` output is meant for people and its wording is unspecified.

use std::fmt;

/// Why the server could not start or stopped.
pub struct Error {
    kind: Kind,
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Command-line or environment options are wrong.
    Usage,
    /// The embedded Python could not start, or the app failed to load.
    Python,
    /// Binding, accepting or spawning workers failed.
    Io,
}

impl Error {
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn usage(message: impl Into<String>) -> Error {
        Error::new(Kind::Usage, message)
    }

    pub(crate) fn python(message: impl Into<String>) -> Error {
        Error::new(Kind::Python, message)
    }

    pub(crate) fn io(context: impl fmt::Display, err: &std::io::Error) -> Error {
        Error::new(Kind::Io, format!("{context}: {err}"))
    }

    /// The command line or the environment was invalid.
    pub fn is_usage(&self) -> bool {
        self.kind == Kind::Usage
    }

    /// Python failed: the interpreter did not start or the app did not load
    /// (the traceback was already written to stderr).
    pub fn is_python(&self) -> bool {
        self.kind == Kind::Python
    }

    /// A socket or process operation failed.
    pub fn is_io(&self) -> bool {
        self.kind == Kind::Io
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
