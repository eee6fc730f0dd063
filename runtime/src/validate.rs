//! Validation errors, in msgspec's grammar and the error shape of
//! `docs/semantics.md` ("Errors the client sees").
//!
//! An [`Invalid`] is a message (`` Expected `int`, got `str` ``); tied to a
//! parameter and its source it becomes a [`Rejection`], which the server
//! renders as a 400 with `{"message", "key", "source"}`. A [`Mismatch`] is
//! the reverse direction: a handler returned a value its type forbids.

use std::borrow::Cow;
use std::fmt;

/// Where a parameter comes from (the `source` of a validation error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A path parameter.
    Path,
    /// A query parameter.
    Query,
    /// A header.
    Header,
    /// A cookie.
    Cookie,
    /// The JSON body.
    Body,
}

impl Source {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Source::Path => "path",
            Source::Query => "query",
            Source::Header => "header",
            Source::Cookie => "cookie",
            Source::Body => "body",
        }
    }
}

/// A value that failed conversion or a constraint: msgspec's message,
/// not yet tied to a parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid(Cow<'static, str>);

impl Invalid {
    /// An error with this message.
    pub fn new(message: impl Into<Cow<'static, str>>) -> Invalid {
        Invalid(message.into())
    }

    /// The message text.
    pub fn message(&self) -> &str {
        &self.0
    }

    /// Ties the error to parameter `key` from `source`.
    #[cold]
    pub fn at(self, source: Source, key: &'static str) -> Rejection {
        Rejection::validation(source, Cow::Borrowed(key), self.0)
    }

    /// Ties the error to item `index` of list parameter `key` (`tags[1]`).
    #[cold]
    pub fn at_index(self, source: Source, key: &'static str, index: usize) -> Rejection {
        Rejection::validation(source, Cow::Owned(format!("{key}[{index}]")), self.0)
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a request was refused before its handler ran: a 4xx response.
#[derive(Debug)]
pub struct Rejection(Box<RejectionKind>);

#[derive(Debug)]
pub(crate) enum RejectionKind {
    /// The validation shape (status 400, with `extra`).
    Validation {
        source: Source,
        key: Cow<'static, str>,
        message: Cow<'static, str>,
    },
    /// `{"status_code": N, "detail": ...}`.
    Status {
        status: u16,
        detail: Cow<'static, str>,
    },
}

impl Rejection {
    /// A validation error of parameter `key`.
    #[cold]
    pub fn validation(
        source: Source,
        key: Cow<'static, str>,
        message: impl Into<Cow<'static, str>>,
    ) -> Rejection {
        Rejection(Box::new(RejectionKind::Validation {
            source,
            key,
            message: message.into(),
        }))
    }

    /// A required parameter is absent: ``Missing required query parameter `name` ``.
    #[cold]
    pub fn missing(source: Source, key: &'static str) -> Rejection {
        let message = format!("Missing required {} parameter `{key}`", source.as_str());
        Rejection::validation(source, Cow::Borrowed(key), message)
    }

    /// A required form field or file is absent: ``Missing required form field `name` ``
    /// (source `body`).
    #[cold]
    pub fn missing_form(key: &'static str) -> Rejection {
        let message = format!("Missing required form field `{key}`");
        Rejection::validation(Source::Body, Cow::Borrowed(key), message)
    }

    /// A plain error status with a detail message (invalid JSON, 413, 415).
    #[cold]
    pub fn status(status: u16, detail: impl Into<Cow<'static, str>>) -> Rejection {
        Rejection(Box::new(RejectionKind::Status {
            status,
            detail: detail.into(),
        }))
    }

    pub(crate) fn kind(&self) -> &RejectionKind {
        &self.0
    }
}

/// A handler returned a value its declared type does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The type the encoder expected at the failing spot.
    pub expected: &'static str,
    /// What it found there (usually the Python type name).
    pub got: String,
    /// Where, below the returned value: `.items[0].price`, empty at the top.
    pub path: String,
}

impl Mismatch {
    /// Expected `expected`, found `got`, at the top of the value.
    #[cold]
    pub fn new(expected: &'static str, got: String) -> Mismatch {
        Mismatch {
            expected,
            got,
            path: String::new(),
        }
    }

    /// The mismatch was inside item `i` of an array.
    #[cold]
    #[must_use]
    pub fn at_index(mut self, i: isize) -> Mismatch {
        self.path.insert_str(0, &format!("[{i}]"));
        self
    }

    /// The mismatch was inside field `name` of a model.
    #[cold]
    #[must_use]
    pub fn at_field(mut self, name: &str) -> Mismatch {
        self.path.insert_str(0, &format!(".{name}"));
        self
    }

    /// The mismatch was inside a dict value.
    #[cold]
    #[must_use]
    pub fn in_value(mut self) -> Mismatch {
        self.path.insert_str(0, "[...]");
        self
    }

    /// The mismatch was a dict key.
    #[cold]
    #[must_use]
    pub fn in_key(mut self) -> Mismatch {
        self.path.insert_str(0, "[<key>]");
        self
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected `{}`, got `{}`", self.expected, self.got)?;
        if !self.path.is_empty() {
            write!(f, " at `${}`", self.path)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_messages() {
        let r = Rejection::missing(Source::Header, "x-token");
        let RejectionKind::Validation {
            message,
            key,
            source,
        } = r.kind()
        else {
            panic!("validation")
        };
        assert_eq!(message, "Missing required header parameter `x-token`");
        assert_eq!(key, "x-token");
        assert_eq!(*source, Source::Header);
        let r = Invalid::new("Expected `int`, got `str`").at_index(Source::Query, "ids", 2);
        let RejectionKind::Validation { key, .. } = r.kind() else {
            panic!("validation")
        };
        assert_eq!(key, "ids[2]");
    }
}
