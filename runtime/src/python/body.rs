//! JSON body decoding behind one abstraction, [`BodyDecoder`].
//!
//! The first implementation, [`MsgspecDecoder`], is msgspec itself: one
//! `msgspec.json.Decoder(T)` per body type, built at start-up from the type
//! expression generated code names, so the semantics are msgspec's by
//! construction. A native decoder for a given type can later implement the
//! same trait and replace it route by route.

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
    decode: Py<PyAny>,
    validation_error: Py<PyType>,
    decode_error: Py<PyType>,
}

impl MsgspecDecoder {
    pub(crate) fn new(msgspec: &Bound<'_, PyModule>, ty: &Bound<'_, PyAny>) -> PyResult<Self> {
        let decoder = msgspec.getattr("json")?.getattr("Decoder")?.call1((ty,))?;
        Ok(MsgspecDecoder {
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
            Err(e) => Err(BodyError::Python(e)),
        }
    }
}

/// A decoder bound to its parameter name (for errors at the root).
pub(crate) struct Named {
    pub(crate) param: &'static str,
    pub(crate) inner: Arc<MsgspecDecoder>,
}

impl BodyDecoder for Named {
    fn decode<'py>(&self, py: Python<'py>, body: &[u8]) -> Result<Bound<'py, PyAny>, BodyError> {
        self.inner.decode_with(py, body, self.param)
    }
}

/// Splits msgspec's `"<message> - at `$.a[0].b`"` into the message and
/// the key (`a[0].b`); without a path, or at `$`, the key is `param`.
pub(crate) fn split_path(text: &str, param: &str) -> (String, String) {
    if let Some(at) = text.rfind(" - at `$")
        && text.ends_with('`')
    {
        let path = &text[at + " - at `$".len()..text.len() - 1];
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
    }
}
