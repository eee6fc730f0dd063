//! JSON body decoding behind one abstraction, [`BodyDecoder`].
//!
//! The implementation, [`MsgspecDecoder`], is msgspec itself: one
//! `msgspec.json.Decoder(T)` per body type, built at start-up from the type
//! expression generated code names, so the semantics are msgspec's by
//! construction. For Struct bodies of plain fields it first tries the native
//! parser of [`super::native`], which builds the same objects without the
//! trip through Python and hands every body it is not sure of to msgspec.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyType};

/// Why a body was refused.
pub(crate) enum BodyError {
    /// Not JSON: msgspec's `DecodeError` message.
    InvalidJson(String),
    /// JSON of the wrong shape: the message and the error's key (`items[0].name`,
    /// or the parameter's name at the root).
    Invalid { message: String, key: String },
    /// Anything else (a bug, or user code raising inside a hook): a 500.
    Python(PyErr),
}

/// Decodes a request body into the Python value a handler receives.
pub(crate) trait BodyDecoder: Send + Sync {
    fn decode<'py>(&self, py: Python<'py>, body: &[u8]) -> Result<Bound<'py, PyAny>, BodyError>;
}

/// `msgspec.json.Decoder(T).decode`.
pub(crate) struct MsgspecDecoder {
    /// The native fast path, when the type allows one.
    native: Option<super::native::Plan>,
    /// The largest body the native path takes (see [`NATIVE_MAX_BODY`]).
    native_max: usize,
    decode: Py<PyAny>,
    validation_error: Py<PyType>,
    decode_error: Py<PyType>,
}

impl MsgspecDecoder {
    pub(crate) fn new(msgspec: &Bound<'_, PyModule>, ty: &Bound<'_, PyAny>) -> PyResult<Self> {
        let decoder = msgspec.getattr("json")?.getattr("Decoder")?.call1((ty,))?;
        Ok(MsgspecDecoder {
            native: super::native::Plan::build(msgspec.py(), ty)?,
            native_max: native_max_body(),
            decode: decoder.getattr("decode")?.unbind(),
            validation_error: msgspec
                .getattr("ValidationError")?
                .cast_into::<PyType>()?
                .unbind(),
            decode_error: msgspec
                .getattr("DecodeError")?
                .cast_into::<PyType>()?
                .unbind(),
        })
    }

    fn decode_with<'py>(
        &self,
        py: Python<'py>,
        body: &[u8],
        param: &str,
    ) -> Result<Bound<'py, PyAny>, BodyError> {
        if let Some(plan) = &self.native
            && (body.len() <= self.native_max)
            && let Some(v) = plan.decode(py, body)
        {
            return Ok(v);
        }
        let bytes = PyBytes::new(py, body);
        match self.decode.bind(py).call1((bytes,)) {
            Ok(v) => Ok(v),
            // ValidationError subclasses DecodeError: test it first.
            Err(e) if e.is_instance(py, self.validation_error.bind(py)) => {
                let text = e.value(py).to_string();
                let (message, key) = split_path(&text, param);
                Err(BodyError::Invalid { message, key })
            }
            Err(e) if e.is_instance(py, self.decode_error.bind(py)) => {
                Err(BodyError::InvalidJson(e.value(py).to_string()))
            }
            // Invalid UTF-8 inside a string: malformed input, with
            // CPython's message (msgspec raises UnicodeDecodeError here).
            Err(e) if e.is_instance_of::<pyo3::exceptions::PyUnicodeDecodeError>(py) => {
                Err(BodyError::InvalidJson(e.value(py).to_string()))
            }
            // msgspec's own nesting limit (the interpreter's recursion
            // limit): a client error, not a server fault.
            Err(e) if e.is_instance_of::<pyo3::exceptions::PyRecursionError>(py) => {
                Err(BodyError::InvalidJson(crate::response::TOO_DEEP.to_owned()))
            }
            Err(e) => Err(BodyError::Python(e)),
        }
    }
}

/// The largest body the native parser takes by default: every size. It
/// saves the bytes object and the call into msgspec, and reads each value
/// faster than msgspec's C (SWAR string scans, keys matched with their
/// colon as raw words in declaration order, no per-value type dispatch
/// for plain scalars): the hello example's `{"name":"Ada","age":42}` at about 0.8×
/// msgspec's time and the ~10 KB catalog document at about 0.9×, measured
/// by `cargo bench -p prebake --features macros,bench-internals --bench codec_bench`.
const NATIVE_MAX_BODY: usize = usize::MAX;

/// `PREBAKE_NATIVE_DECODE`: `0` never uses the native parser, a number
/// limits it to bodies of at most that many bytes, `all` (the default)
/// uses it for every size.
fn native_max_body() -> usize {
    match std::env::var("PREBAKE_NATIVE_DECODE").as_deref() {
        Ok("all") => usize::MAX,
        Ok(n) => n.parse().unwrap_or(NATIVE_MAX_BODY),
        Err(_) => NATIVE_MAX_BODY,
    }
}

/// A decoder bound to its parameter name (for errors at the root).
pub(crate) struct Named {
    pub(crate) param: &'static str,
    pub(crate) inner: Arc<MsgspecDecoder>,
}

impl BodyDecoder for Named {
    fn decode<'py>(&self, py: Python<'py>, body: &[u8]) -> Result<Bound<'py, PyAny>, BodyError> {
        if !self.param.is_empty() {
            return self.inner.decode_with(py, body, self.param);
        }
        // An embedded body (no parameter name): a missing field is keyed by
        // its name (FastAPI's `body.<name>`), other errors at the root by
        // `body`.
        self.inner.decode_with(py, body, "").map_err(|e| match e {
            BodyError::Invalid { message, key } if key.is_empty() => {
                let key = message
                    .strip_prefix("Object missing required field `")
                    .and_then(|rest| rest.strip_suffix('`'))
                    .unwrap_or("body")
                    .to_owned();
                BodyError::Invalid { message, key }
            }
            e => e,
        })
    }
}

/// Splits msgspec's `"<message> - at `$.a[0].b`"` into the message and
/// the key (`a[0].b`); without a path, or at `$`, the key is `param`. A dict
/// key that failed (`"<message> - at `key` in `$.a`"`) has the dict's key.
pub(crate) fn split_path(text: &str, param: &str) -> (String, String) {
    // The suffix is the last of the two forms in the text (a message may
    // quote user input that looks like one).
    let found = [" - at `$", " - at `key` in `$"]
        .into_iter()
        .filter_map(|marker| text.rfind(marker).map(|at| (at, marker.len())))
        .max();
    if let Some((at, len)) = found
        && text.ends_with('`')
    {
        let path = &text[at + len..text.len() - 1];
        let key = path.strip_prefix('.').unwrap_or(path);
        let key = if key.is_empty() { param } else { key };
        return (text[..at].to_owned(), key.to_owned());
    }
    (text.to_owned(), param.to_owned())
}

#[cfg(test)]
mod tests {
    use super::split_path;

    fn s(a: &str, b: &str) -> (String, String) {
        (a.to_owned(), b.to_owned())
    }

    #[test]
    fn msgspec_paths() {
        assert_eq!(
            split_path("Expected `int`, got `str` - at `$.age`", "user"),
            s("Expected `int`, got `str`", "age")
        );
        assert_eq!(
            split_path(
                "Expected `str` of length >= 1 - at `$.items[0].name`",
                "user"
            ),
            s("Expected `str` of length >= 1", "items[0].name")
        );
        assert_eq!(
            split_path("Expected `int`, got `str` - at `$[2]`", "ids"),
            s("Expected `int`, got `str`", "[2]")
        );
        assert_eq!(
            split_path("Object missing required field `age`", "user"),
            s("Object missing required field `age`", "user")
        );
        assert_eq!(
            split_path("Expected `object`, got `array` - at `$`", "user"),
            s("Expected `object`, got `array`", "user")
        );
        assert_eq!(
            split_path("Invalid enum value 'x' - at `key` in `$`", "body"),
            s("Invalid enum value 'x'", "body")
        );
        assert_eq!(
            split_path(
                "Expected `int`, got `str` - at `key` in `$.by_prio`",
                "body"
            ),
            s("Expected `int`, got `str`", "by_prio")
        );
    }
}
