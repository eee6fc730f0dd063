//! [`Call::push_param_model`]: a model built from the query, the headers or
//! the cookies (`Annotated[Model, Query()]`, FastAPI 0.115's parameter
//! models).
//!
//! Each field is read by its request key exactly as a plain parameter of
//! the same type would be (the last query value or cookie, the first header
//! line, every value for a sequence), the values are gathered into one dict
//! and `msgspec.convert(dict, Model, strict=False)` builds the model, so
//! conversions, constraints and defaults are msgspec's. It lives beside
//! `call.rs` because it reads the same private parts of a [`Call`]; routes
//! without a parameter model never reach it.

use std::borrow::Cow;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::{Call, Converted};
use crate::request::{QueryPairs, cookie_line_pairs};
use crate::validate::{Rejection, Source};

/// One field of a parameter model, as generated code describes it:
/// `(name, key, sequence, required)`, where `name` is the field's msgspec
/// name (the dict key), `key` the name it has in the request (a header's
/// in any case), `sequence` whether it takes every value (`list[str]`),
/// and `required` whether the model needs it.
pub(crate) type ParamField = (&'static str, &'static str, bool, bool);

impl<'a> Call<'a> {
    /// Pushes a model read from `source` (query, header or cookie): see the
    /// module docs. A required field without a value is
    /// ``Missing required {source} parameter `key` ``; with `forbid` (a
    /// Struct with `forbid_unknown_fields=True`) a request key no field
    /// reads is ``Object contains unknown field `key` ``; a conversion
    /// error names the field's request key (`tags[1]` for an item), or
    /// `param` when it is about the whole model.
    pub fn push_param_model(
        &mut self,
        source: Source,
        param: &'static str,
        fields: &[ParamField],
        ty: u16,
        forbid: bool,
    ) -> Result<(), Rejection> {
        if forbid && let Some(extra) = self.unknown_key(source, fields) {
            let message = format!("Object contains unknown field `{extra}`");
            return Err(Rejection::validation(source, Cow::Owned(extra), message));
        }
        let py = self.py;
        let dict = PyDict::new(py);
        for &(name, key, seq, required) in fields {
            let filled = if seq {
                let values = self.values(source, key);
                if values.is_empty() {
                    None
                } else {
                    Some(
                        PyList::new(py, values.iter().map(AsRef::<str>::as_ref))
                            .and_then(|l| dict.set_item(name, l)),
                    )
                }
            } else {
                self.value(source, key)
                    .map(|v| dict.set_item(name, v.as_ref()))
            };
            match filled {
                None if required => return Err(Rejection::missing(source, key)),
                None | Some(Ok(())) => {}
                Some(Err(e)) => {
                    self.error.get_or_insert(e);
                    self.push_none();
                    return Ok(());
                }
            }
        }
        match self.convert(Ok(dict.into_any()), ty) {
            Ok(v) => {
                self.push_raw(v.into_ptr());
                Ok(())
            }
            Err(Converted::Invalid(message, path)) => Err(Rejection::validation(
                source,
                field_key(&path, fields, param),
                message,
            )),
            Err(Converted::Error(e)) => {
                self.error.get_or_insert(e);
                self.push_none();
                Ok(())
            }
        }
    }

    /// The one value a scalar field reads: the last query value, the first
    /// header line, the last cookie of that name.
    fn value(&self, source: Source, key: &'static str) -> Option<Cow<'a, str>> {
        match source {
            Source::Query => self.query(key),
            Source::Header => self.header(key),
            Source::Cookie => self.cookie(key),
            _ => None,
        }
    }

    /// Every value a sequence field reads, in order.
    fn values(&self, source: Source, key: &'static str) -> Vec<Cow<'a, str>> {
        match source {
            Source::Query => self.query_all(key).collect(),
            Source::Header => self.header_all(key).collect(),
            Source::Cookie => self.cookie_all(key).collect(),
            _ => Vec::new(),
        }
    }

    /// The first request key of `source` that no field reads. A header
    /// field also claims its name with `_` (FastAPI marks both spellings
    /// read), and header names compare without case.
    fn unknown_key(&self, source: Source, fields: &[ParamField]) -> Option<String> {
        let known = |k: &str| fields.iter().any(|&(_, key, _, _)| key == k);
        match source {
            Source::Query => QueryPairs::new(self.req.query)
                .map(|(k, _)| k)
                .find(|k| !known(k))
                .map(Cow::into_owned),
            Source::Header => self
                .req
                .headers
                .keys()
                .map(hyper::header::HeaderName::as_str)
                .find(|k| {
                    !fields.iter().any(|&(name, key, _, _)| {
                        key.eq_ignore_ascii_case(k) || name.eq_ignore_ascii_case(k)
                    })
                })
                .map(str::to_owned),
            Source::Cookie => self
                .req
                .headers
                .get_all(hyper::header::COOKIE)
                .into_iter()
                .filter_map(|line| std::str::from_utf8(line.as_bytes()).ok())
                .flat_map(cookie_line_pairs)
                .map(|(k, _)| k)
                .find(|k| !known(k))
                .map(str::to_owned),
            _ => None,
        }
    }
}

/// The request key of the error at msgspec's `path` (`.tags[1]`): the
/// field's key with the rest of the path after it (`tags[1]`), or `param`
/// for an error about the whole model.
fn field_key(path: &str, fields: &[ParamField], param: &'static str) -> Cow<'static, str> {
    let path = path.strip_prefix('.').unwrap_or(path);
    if path.is_empty() {
        return Cow::Borrowed(param);
    }
    let end = path.find(['.', '[']).unwrap_or(path.len());
    let (head, rest) = path.split_at(end);
    match fields.iter().find(|&&(name, _, _, _)| name == head) {
        Some(&(_, key, _, _)) if rest.is_empty() => Cow::Borrowed(key),
        Some(&(_, key, _, _)) => Cow::Owned(format!("{key}{rest}")),
        None => Cow::Owned(path.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::field_key;

    #[test]
    fn errors_name_the_request_key() {
        let fields = [
            ("save_data", "save-data", false, true),
            ("x_tag", "x-tag", true, false),
        ];
        assert_eq!(field_key(".save_data", &fields, "h"), "save-data");
        assert_eq!(field_key(".x_tag[1]", &fields, "h"), "x-tag[1]");
        assert_eq!(field_key("", &fields, "h"), "h");
        assert_eq!(field_key(".other", &fields, "h"), "other");
    }
}
