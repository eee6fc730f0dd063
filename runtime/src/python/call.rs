//! [`Call`]: what a generated decode function sees of one request.
//!
//! It reads request parts (path captures, query, headers, cookies, body)
//! and collects the handler's arguments, one `push_*` per parameter in
//! signature order, in a fixed array on the stack that becomes a vectorcall.
//! Nothing is looked up by name in Python: conversions produce Python
//! objects directly.

use std::borrow::Cow;
use std::ffi::CString;
use std::mem::MaybeUninit;
use std::ptr;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

use super::body::BodyError;
use super::{Interp, MAX_PARAMS, RouteRt};
use crate::form::{self, Field, Value};
use crate::lax::Int;
use crate::log::RequestId;
use crate::request::{self, QueryPairs, Req};
use crate::validate::{Invalid, Rejection, Source};

mod param_model;

/// Owned argument references, with the slot vectorcall may borrow in front.
/// Only `slots[..=len]` are initialised: zeroing all of them cost a
/// `memset` of 264 bytes on every call.
struct Args {
    slots: [MaybeUninit<*mut ffi::PyObject>; MAX_PARAMS + 1],
    len: usize,
}

impl Args {
    #[inline]
    fn new() -> Args {
        let mut slots = [const { MaybeUninit::uninit() }; MAX_PARAMS + 1];
        slots[0] = MaybeUninit::new(ptr::null_mut());
        Args { slots, len: 0 }
    }

    /// Takes ownership of `obj` (a new reference, or null after an error).
    #[inline]
    fn push_owned(&mut self, obj: *mut ffi::PyObject) -> bool {
        if obj.is_null() {
            return false;
        }
        if self.len == MAX_PARAMS {
            // SAFETY: `obj` is a new reference we own and do not keep.
            unsafe { ffi::Py_DECREF(obj) };
            return false;
        }
        self.len += 1;
        self.slots[self.len] = MaybeUninit::new(obj);
        true
    }
}

impl Args {
    /// Releases the arguments.
    #[inline]
    fn clear(&mut self) {
        for obj in &self.slots[1..=self.len] {
            // SAFETY: `slots[1..=len]` were written by `push_owned`, each
            // an owned reference, and the GIL is held: `Args` lives inside
            // `Call`, which holds `Python`.
            unsafe { ffi::Py_DECREF(obj.assume_init()) };
        }
        self.len = 0;
    }
}

impl Drop for Args {
    fn drop(&mut self) {
        self.clear();
    }
}

/// One request being decoded into a handler call. Generated code receives
/// it in its decode function.
pub struct Call<'a> {
    py: Python<'a>,
    interp: &'a Interp,
    route: &'a RouteRt,
    req: &'a Req<'a>,
    args: Args,
    error: Option<PyErr>,
    /// The form body's entries, once `parse_form` read them (form routes only).
    form: Vec<Field<'a>>,
    /// The request's id: a Python middleware's `request.state` is this
    /// request's too.
    rid: RequestId,
}

impl<'a> Call<'a> {
    #[inline]
    pub(super) fn new(
        py: Python<'a>,
        interp: &'a Interp,
        route: &'a RouteRt,
        req: &'a Req<'a>,
        rid: RequestId,
    ) -> Call<'a> {
        Call {
            py,
            interp,
            route,
            req,
            args: Args::new(),
            error: None,
            form: Vec::new(),
            rid,
        }
    }

    // Reading the request.

    /// Path parameter `i` (in template order), percent-decoded.
    ///
    /// A malformed escape or invalid UTF-8 makes the request a 400 naming
    /// the parameter (the value returned then is the lossy decoding); the
    /// same holds for every reader below.
    #[inline]
    pub fn path(&self, i: usize) -> Cow<'a, str> {
        let req: &'a Req<'a> = self.req;
        let path: &'a str = req.path;
        match req.captures.get(i) {
            Some((s, e)) => {
                let key = self.route.placeholders.get(i).copied().unwrap_or("");
                req.path_text(path.get(s..e).unwrap_or(""), key)
            }
            None => Cow::Borrowed(""),
        }
    }

    /// The last value of query parameter `name`, decoded.
    #[inline]
    pub fn query(&self, name: &str) -> Option<Cow<'a, str>> {
        let req: &'a Req<'a> = self.req;
        request::query_last_raw(req.query, name).map(|raw| req.query_text(raw, name))
    }

    /// Every value of query parameter `name`, decoded, in order.
    pub fn query_all(&self, name: &'a str) -> impl Iterator<Item = Cow<'a, str>> + use<'a> {
        let req: &'a Req<'a> = self.req;
        request::query_all_raw(req.query, name).map(move |raw| req.query_text(raw, name))
    }

    /// Every `(name, value)` pair of the query string, decoded, in order: for
    /// generated code that reads all its query parameters in one pass.
    /// (Lenient: malformed escapes stay as written.)
    pub fn query_pairs(&self) -> QueryPairs<'a> {
        QueryPairs::new(self.req.query)
    }

    /// The first value of header `name` (lowercase).
    #[inline]
    pub fn header(&self, name: &str) -> Option<Cow<'a, str>> {
        self.req.header(name)
    }

    /// Every value of header `name` (lowercase), in order.
    pub fn header_all(&self, name: &'a str) -> impl Iterator<Item = Cow<'a, str>> + use<'a> {
        let req: &'a Req<'a> = self.req;
        req.header_all(name)
    }

    /// The value of cookie `name`; the last one wins.
    #[inline]
    pub fn cookie(&self, name: &str) -> Option<Cow<'a, str>> {
        self.req.cookie(name)
    }

    /// Every value of cookie `name`, in order.
    pub fn cookie_all(&self, name: &'a str) -> impl Iterator<Item = Cow<'a, str>> + use<'a> {
        let req: &'a Req<'a> = self.req;
        req.cookie_all(name)
    }

    /// The raw body (empty unless the route reads it).
    pub fn body(&self) -> &'a [u8] {
        self.req.body
    }

    /// Parses the form body (urlencoded or multipart, by `Content-Type`);
    /// a malformed one is a 400. Form routes call it once, first.
    pub fn parse_form(&mut self) -> Result<(), Rejection> {
        let req: &'a Req<'a> = self.req;
        let content_type = req.headers.get(hyper::header::CONTENT_TYPE);
        let Some(kind) = form::kind(content_type.map(hyper::header::HeaderValue::as_bytes)) else {
            return Err(Rejection::status(415, "Unsupported Media Type"));
        };
        let body: &'a [u8] = req.body;
        self.form = form::parse(&kind, body).map_err(|e| Rejection::status(400, e.0))?;
        Ok(())
    }

    /// The last text value of form field `name`; an empty value counts as
    /// absent, as in FastAPI.
    pub fn form(&self, name: &str) -> Option<Cow<'a, str>> {
        self.form
            .iter()
            .rev()
            .find_map(|f| match &f.value {
                Value::Text(t) if f.name == name => Some(t.clone()),
                _ => None,
            })
            .filter(|t| !t.is_empty())
    }

    /// Every text value of form field `name`, in order.
    pub fn form_all(&self, name: &str) -> Vec<Cow<'a, str>> {
        self.form
            .iter()
            .filter_map(|f| match &f.value {
                Value::Text(t) if f.name == name => Some(t.clone()),
                _ => None,
            })
            .collect()
    }

    /// Pushes the uploaded file(s) of field `name`: the last one, or every
    /// one in a list when `many`; each an `UploadFile`, or its content when
    /// `as_bytes`. `Ok(false)` (nothing pushed) when the field is absent.
    /// A text value where an `UploadFile` is expected is a 400; `bytes`
    /// take a text value's UTF-8.
    pub fn push_files(
        &mut self,
        name: &'static str,
        many: bool,
        as_bytes: bool,
    ) -> Result<bool, Rejection> {
        let py = self.py;
        let entries: Vec<&Field<'a>> = self
            .form
            .iter()
            // An empty text part is an absent file for one `UploadFile`; in a
            // list it is an item, refused below as FastAPI refuses it.
            .filter(|f| {
                f.name == name && (many || !matches!(&f.value, Value::Text(t) if t.is_empty()))
            })
            .collect();
        let picked: &[&Field<'a>] = if many {
            &entries
        } else {
            match entries.last() {
                Some(_) => &entries[entries.len() - 1..],
                None => &[],
            }
        };
        if picked.is_empty() {
            return Ok(false);
        }
        let mut values = Vec::with_capacity(picked.len());
        for (i, f) in picked.iter().enumerate() {
            let made = match (&f.value, as_bytes) {
                (Value::Text(t), true) => Ok(PyBytes::new(py, t.as_bytes()).into_any()),
                (Value::File(p), true) => Ok(PyBytes::new(py, p.data).into_any()),
                (Value::Text(_), false) => {
                    let invalid = Invalid::new("Expected `UploadFile`, got `str`");
                    return Err(if many {
                        invalid.at_index(Source::Body, name, i)
                    } else {
                        invalid.at(Source::Body, name)
                    });
                }
                (Value::File(p), false) => upload_file(py, p),
            };
            match made {
                Ok(v) => values.push(v),
                Err(e) => {
                    self.error.get_or_insert(e);
                    self.push_none();
                    return Ok(true);
                }
            }
        }
        if many {
            match PyList::new(py, values) {
                Ok(l) => self.push_raw(l.into_ptr()),
                Err(e) => {
                    self.error.get_or_insert(e);
                    self.push_none();
                }
            }
        } else if let Some(v) = values.pop() {
            self.push_raw(v.into_ptr());
        }
        Ok(true)
    }

    /// [`Call::push_form_model`] for a Struct with
    /// `forbid_unknown_fields=True`: a form field it does not declare is a
    /// 400 naming that field, as FastAPI refuses one a model forbids.
    pub fn push_form_model_strict(
        &mut self,
        param: &'static str,
        fields: &[(&str, bool)],
        ty: u16,
    ) -> Result<(), Rejection> {
        if let Some(extra) = self
            .form
            .iter()
            .find(|f| !fields.iter().any(|(name, _)| f.name == *name))
        {
            let name = extra.name.to_string();
            let message = format!("Object contains unknown field `{name}`");
            return Err(Rejection::validation(
                Source::Body,
                Cow::Owned(name),
                message,
            ));
        }
        self.push_form_model(param, fields, ty)
    }

    /// Pushes a model built from the form (`Annotated[Model, Form()]`):
    /// `msgspec.convert({field: value}, types[ty], strict=False)`, where
    /// each of `fields` (wire name, is a sequence) takes the field's last
    /// text value, or all of them for a sequence; empty values count as
    /// absent. An error at the model's root has the key `param`.
    pub fn push_form_model(
        &mut self,
        param: &'static str,
        fields: &[(&str, bool)],
        ty: u16,
    ) -> Result<(), Rejection> {
        let py = self.py;
        let dict = PyDict::new(py);
        let mut filled = Ok(());
        for &(name, seq) in fields {
            filled = if seq {
                let all = self.form_all(name);
                if all.is_empty() {
                    continue;
                }
                PyList::new(py, all.iter().map(AsRef::<str>::as_ref))
                    .and_then(|l| dict.set_item(name, l))
            } else {
                match self.form(name) {
                    Some(v) => dict.set_item(name, v.as_ref()),
                    None => continue,
                }
            };
            if filled.is_err() {
                break;
            }
        }
        let value = filled.map(|()| dict.into_any());
        match self.convert(value, ty) {
            Ok(v) => {
                self.push_raw(v.into_ptr());
                Ok(())
            }
            Err(Converted::Invalid(message, path)) => {
                let key = match path.strip_prefix('.').unwrap_or(&path) {
                    "" => Cow::Borrowed(param),
                    key => Cow::Owned(key.to_string()),
                };
                Err(Rejection::validation(Source::Body, key, message))
            }
            Err(Converted::Error(e)) => {
                self.error.get_or_insert(e);
                self.push_none();
                Ok(())
            }
        }
    }

    /// `Meta(pattern=...)`: ``Expected `str` matching regex '...'`` unless
    /// `re.search(patterns[index], s)` matches.
    pub fn check_pattern(&mut self, s: &str, index: usize) -> Result<(), Invalid> {
        let Some(pattern) = self.interp.patterns.get(index) else {
            return Err(Invalid::new(format!(
                "pattern index {index} is out of range"
            )));
        };
        match pattern.search.bind(self.py).call1((s,)) {
            Ok(m) if m.is_none() => Err(Invalid::new(pattern.message.clone())),
            Ok(_) => Ok(()),
            Err(e) => {
                self.error.get_or_insert(e);
                Ok(())
            }
        }
    }

    // Pushing arguments, one per parameter, in signature order.

    #[inline]
    fn push_raw(&mut self, obj: *mut ffi::PyObject) {
        if !self.args.push_owned(obj) && self.error.is_none() {
            self.error = Some(PyErr::take(self.py).unwrap_or_else(|| {
                pyo3::exceptions::PyTypeError::new_err("prebake: too many arguments pushed")
            }));
        }
    }

    /// Pushes an `int`.
    #[inline]
    pub fn push_int(&mut self, v: &Int) {
        let obj = int_to_py(v);
        self.push_raw(obj);
    }

    /// Pushes an `int` that fits 64 bits.
    #[inline]
    pub fn push_i64(&mut self, v: i64) {
        // SAFETY: returns a new reference or null with an exception set.
        self.push_raw(unsafe { ffi::PyLong_FromLongLong(v) });
    }

    /// Pushes a `float`.
    #[inline]
    pub fn push_float(&mut self, v: f64) {
        // SAFETY: as above.
        self.push_raw(unsafe { ffi::PyFloat_FromDouble(v) });
    }

    /// Pushes a `bool`.
    #[inline]
    pub fn push_bool(&mut self, v: bool) {
        // SAFETY: as above.
        self.push_raw(unsafe { ffi::PyBool_FromLong(std::ffi::c_long::from(v)) });
    }

    /// Pushes a `str`.
    #[inline]
    pub fn push_str(&mut self, v: &str) {
        self.push_raw(str_to_py(v));
    }

    /// Pushes `None`.
    #[inline]
    pub fn push_none(&mut self) {
        // SAFETY: None is immortal in spirit; we take a new reference.
        self.push_raw(unsafe { ffi::Py_NewRef(ffi::Py_None()) });
    }

    /// Pushes the parameter's default value (the parameter was absent).
    pub fn push_default(&mut self) {
        let i = self.args.len;
        match self.route.defaults.get(i).and_then(Option::as_ref) {
            // SAFETY: a new reference to an object the route keeps alive.
            Some(d) => self.push_raw(unsafe { ffi::Py_NewRef(d.as_ptr()) }),
            None => {
                self.error.get_or_insert_with(|| {
                    pyo3::exceptions::PyTypeError::new_err(format!(
                        "prebake: parameter {i} has no default"
                    ))
                });
                self.push_none();
            }
        }
    }

    /// A new, empty dict (for a body parameter whose default is `{}`: each
    /// call gets its own, never a shared mutable default).
    pub fn push_empty_dict(&mut self) {
        self.push_raw(PyDict::new(self.py).into_ptr());
    }

    /// Whether the request came without a body (or with an empty one).
    #[inline]
    pub fn body_is_empty(&self) -> bool {
        self.req.body.is_empty()
    }

    /// A new, empty list to fill and push (for `list[...]` parameters).
    pub fn new_list(&self) -> List<'a> {
        List(PyList::empty(self.py))
    }

    /// Pushes a list built with [`Call::new_list`].
    pub fn push_list(&mut self, list: List<'a>) {
        self.push_raw(list.0.into_ptr());
    }

    /// The general path, for types without a native conversion (`Literal`,
    /// enums, `datetime`, unions...): pushes
    /// `msgspec.convert(raw, types[ty], strict=False)`.
    pub fn push_convert(&mut self, raw: &str, ty: u16) -> Result<(), Invalid> {
        let value = self.convert(Ok(PyString::new(self.py, raw).into_any()), ty);
        match value {
            Ok(v) => {
                self.push_raw(v.into_ptr());
                Ok(())
            }
            Err(Converted::Invalid(message, _)) => Err(Invalid::new(message)),
            Err(Converted::Error(e)) => {
                self.error.get_or_insert(e);
                self.push_none();
                Ok(())
            }
        }
    }

    /// The general path for a repeated parameter: pushes
    /// `msgspec.convert([values...], types[ty], strict=False)`; an error at
    /// item `i` has the key `key[i]`.
    pub fn push_convert_seq(
        &mut self,
        values: &[Cow<'_, str>],
        ty: u16,
        source: Source,
        key: &'static str,
    ) -> Result<(), Rejection> {
        let list =
            PyList::new(self.py, values.iter().map(AsRef::<str>::as_ref)).map(Bound::into_any);
        match self.convert(list, ty) {
            Ok(v) => {
                self.push_raw(v.into_ptr());
                Ok(())
            }
            Err(Converted::Invalid(message, path)) => {
                let key = if path.is_empty() {
                    Cow::Borrowed(key)
                } else {
                    Cow::Owned(format!("{key}{path}"))
                };
                Err(Rejection::validation(source, key, message))
            }
            Err(Converted::Error(e)) => {
                self.error.get_or_insert(e);
                self.push_none();
                Ok(())
            }
        }
    }

    fn convert(
        &self,
        value: PyResult<Bound<'a, PyAny>>,
        ty: u16,
    ) -> Result<Bound<'a, PyAny>, Converted> {
        let py = self.py;
        let t = self.interp.type_at(ty).map_err(Converted::Error)?;
        let value = value.map_err(Converted::Error)?;
        match self.interp.convert_lax.bind(py).call1((value, t.bind(py))) {
            Ok(v) => Ok(v),
            Err(e) if e.is_instance(py, self.interp.validation_error.bind(py)) => {
                let text = e.value(py).to_string();
                let (message, path) = super::body::split_path(&text, "");
                // `items[0].name` from `$.items[0].name`; `[1]` from `$[1]`.
                Err(Converted::Invalid(message, path))
            }
            Err(e) => Err(Converted::Error(e)),
        }
    }

    /// Decodes the JSON body with the route's decoder and pushes the value.
    pub fn push_body(&mut self) -> Result<(), Rejection> {
        let Some(decoder) = &self.route.body else {
            self.error.get_or_insert_with(|| {
                pyo3::exceptions::PyTypeError::new_err("prebake: this route has no JSON body")
            });
            self.push_none();
            return Ok(());
        };
        match decoder.decode(self.py, self.req.body) {
            Ok(v) => {
                self.push_raw(v.into_ptr());
                Ok(())
            }
            Err(BodyError::InvalidJson(detail)) => Err(Rejection::status(400, detail)),
            Err(BodyError::Invalid { message, key }) => {
                Err(Rejection::validation(Source::Body, key.into(), message))
            }
            Err(BodyError::Python(e)) => {
                self.error.get_or_insert(e);
                self.push_none();
                Ok(())
            }
        }
    }

    /// Decodes the JSON body of a route whose body parameters are the fields
    /// of one object (FastAPI's embedded body) into the route's generated
    /// Struct; no body at all reads as `{}`, so that each missing required
    /// parameter is named. `None` after an error of the decoder itself (the
    /// call then fails with it).
    pub fn decode_embedded(&mut self) -> Result<Option<Bound<'a, PyAny>>, Rejection> {
        let Some(decoder) = &self.route.body else {
            self.error.get_or_insert_with(|| {
                pyo3::exceptions::PyTypeError::new_err("prebake: this route has no JSON body")
            });
            return Ok(None);
        };
        let body = if self.req.body.is_empty() {
            &b"{}"[..]
        } else {
            self.req.body
        };
        match decoder.decode(self.py, body) {
            Ok(v) => Ok(Some(v)),
            Err(BodyError::InvalidJson(detail)) => Err(Rejection::status(400, detail)),
            Err(BodyError::Invalid { message, key }) => {
                Err(Rejection::validation(Source::Body, key.into(), message))
            }
            Err(BodyError::Python(e)) => {
                self.error.get_or_insert(e);
                Ok(None)
            }
        }
    }

    /// Pushes the field `name` of an embedded body ([`Call::decode_embedded`]),
    /// or the parameter's default when the body left it out.
    pub fn push_field(&mut self, body: Option<&Bound<'a, PyAny>>, name: &str) {
        let Some(body) = body else {
            self.push_none();
            return;
        };
        match body.getattr(name) {
            Ok(v) if is_unset(self.py, &v) => self.push_default(),
            Ok(v) => self.push_raw(v.into_ptr()),
            Err(e) => {
                self.error.get_or_insert(e);
                self.push_none();
            }
        }
    }

    /// Pushes a `prebake.Request` for a parameter annotated `Request`.
    pub fn push_request(&mut self) {
        match self.build_request() {
            Ok(obj) => self.push_raw(obj.into_ptr()),
            Err(e) => {
                self.error.get_or_insert(e);
                self.push_none();
            }
        }
    }

    /// The request as a `prebake.Request` (for exception handlers).
    pub(super) fn request_object(&self) -> PyResult<Bound<'a, PyAny>> {
        self.build_request()
    }

    fn build_request(&self) -> PyResult<Bound<'a, PyAny>> {
        let py = self.py;
        let req = self.req;
        let headers = PyList::empty(py);
        for (name, value) in req.headers {
            let value = String::from_utf8_lossy(value.as_bytes());
            headers.append((name.as_str(), value.as_ref()))?;
        }
        let params = if req.captures.is_empty() {
            py.None().into_bound(py)
        } else {
            let dict = PyDict::new(py);
            for (i, name) in self.route.placeholders.iter().enumerate() {
                dict.set_item(*name, self.path(i).as_ref())?;
            }
            dict.into_any()
        };
        let args = (
            req.method_str,
            req.path,
            req.query,
            headers,
            PyBytes::new(py, req.body),
            params,
        );
        let request = self.interp.request_cls.bind(py).call1(args)?;
        if !self.interp.middleware.is_empty() {
            super::middleware::share_state(py, self.rid, &request)?;
        }
        Ok(request)
    }

    /// Calls the handler with the pushed arguments, then releases them.
    /// (In place: dropping the `Call` by value to release them moved its
    /// 392 bytes first.)
    pub(super) fn invoke(&mut self) -> PyResult<Bound<'a, PyAny>> {
        self.complete()?;
        let result = vectorcall(self.py, self.route, &self.args);
        self.args.clear();
        result
    }

    /// The pushed arguments, taken out of the call to be made on another
    /// thread (the thread pool), or the error decoding hit.
    pub(super) fn into_parcel(mut self) -> PyResult<Parcel> {
        self.complete()?;
        Ok(Parcel(Box::new(std::mem::replace(
            &mut self.args,
            Args::new(),
        ))))
    }

    /// An error a push left, or a wrong argument count.
    #[inline]
    fn complete(&mut self) -> PyResult<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let want = self.route.defaults.len();
        if self.args.len != want {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "prebake: the decoder pushed {} arguments for {want} parameters",
                self.args.len
            )));
        }
        Ok(())
    }
}

/// Calls `route`'s handler with `args` (its full count, checked).
#[inline]
fn vectorcall<'py>(py: Python<'py>, route: &RouteRt, args: &Args) -> PyResult<Bound<'py, PyAny>> {
    let (nkw, kwnames) = match &route.kwnames {
        Some(t) => (t.bind(py).len(), t.as_ptr()),
        None => (0, ptr::null_mut()),
    };
    let nargs = args.len - nkw;
    // SAFETY: `slots[1..=len]` are owned references; slot 0 is scratch
    // space vectorcall may use (PY_VECTORCALL_ARGUMENTS_OFFSET).
    unsafe {
        let ret = ffi::PyObject_Vectorcall(
            route.handler.as_ptr(),
            args.slots.as_ptr().add(1).cast::<*mut ffi::PyObject>(),
            nargs | ffi::PY_VECTORCALL_ARGUMENTS_OFFSET,
            kwnames,
        );
        Bound::from_owned_ptr_or_err(py, ret)
    }
}

/// A decoded handler call that travels to a pool thread: the arguments,
/// owned. Attached threads only: it must be used and dropped with the GIL
/// held (its drop releases the references).
pub(super) struct Parcel(Box<Args>);

// SAFETY: the references are plain object pointers; `Parcel` is only
// touched (called, dropped) by a thread attached to the interpreter.
unsafe impl Send for Parcel {}

impl Parcel {
    /// Calls `route`'s handler with the arguments, on this thread.
    pub(super) fn call<'py>(
        &self,
        py: Python<'py>,
        route: &RouteRt,
    ) -> PyResult<Bound<'py, PyAny>> {
        vectorcall(py, route, &self.0)
    }
}

/// Why `msgspec.convert` failed: a validation message and the error's
/// path (`[1]`, `.a`, or empty at the root), or an unexpected exception.
enum Converted {
    Invalid(String, String),
    Error(PyErr),
}

/// A Python list under construction (a `list[...]` parameter).
pub struct List<'a>(Bound<'a, PyList>);

impl List<'_> {
    fn append_owned(&mut self, obj: *mut ffi::PyObject) {
        if obj.is_null() {
            return;
        }
        // SAFETY: `obj` is a new reference; PyList_Append adds its own.
        unsafe {
            ffi::PyList_Append(self.0.as_ptr(), obj);
            ffi::Py_DECREF(obj);
        }
    }

    /// Appends an `int`.
    pub fn int(&mut self, v: &Int) {
        self.append_owned(int_to_py(v));
    }

    /// Appends a `float`.
    pub fn float(&mut self, v: f64) {
        // SAFETY: a new reference or null.
        self.append_owned(unsafe { ffi::PyFloat_FromDouble(v) });
    }

    /// Appends a `bool`.
    pub fn bool(&mut self, v: bool) {
        // SAFETY: a new reference.
        self.append_owned(unsafe { ffi::PyBool_FromLong(std::ffi::c_long::from(v)) });
    }

    /// Appends a `str`.
    pub fn str(&mut self, v: &str) {
        self.append_owned(str_to_py(v));
    }

    /// Appends `None`.
    pub fn none(&mut self) {
        // SAFETY: a new reference to None.
        self.append_owned(unsafe { ffi::Py_NewRef(ffi::Py_None()) });
    }
}

/// `prebake._upload._from_part(filename, headers, data)`: the module is
/// imported on the first upload, so apps without one never load it. A part
/// past the spool's threshold is given in chunks of that size, so that its
/// `SpooledTemporaryFile` moves to disk without the whole content ever
/// being one Python `bytes`.
fn upload_file<'py>(py: Python<'py>, part: &form::FilePart<'_>) -> PyResult<Bound<'py, PyAny>> {
    let make = py
        .import(pyo3::intern!(py, "prebake._upload"))?
        .getattr(pyo3::intern!(py, "_from_part"))?;
    let headers = PyList::empty(py);
    for (name, value) in &part.headers {
        headers.append((name.as_ref(), value.as_ref()))?;
    }
    if part.data.len() <= crate::spool::IN_MEMORY {
        return make.call1((part.filename.as_ref(), headers, PyBytes::new(py, part.data)));
    }
    let upload = make.call1((part.filename.as_ref(), headers, PyBytes::new(py, b"")))?;
    let write = upload
        .getattr(pyo3::intern!(py, "file"))?
        .getattr(pyo3::intern!(py, "write"))?;
    for chunk in part.data.chunks(crate::spool::IN_MEMORY) {
        write.call1((PyBytes::new(py, chunk),))?;
    }
    upload
        .getattr(pyo3::intern!(py, "file"))?
        .call_method1(pyo3::intern!(py, "seek"), (0,))?;
    upload.setattr(pyo3::intern!(py, "size"), part.data.len())?;
    Ok(upload)
}

fn str_to_py(v: &str) -> *mut ffi::PyObject {
    #[expect(
        clippy::cast_possible_wrap,
        reason = "a str from a request is far below isize::MAX"
    )]
    // SAFETY: `v` is valid UTF-8 of the given length.
    unsafe {
        ffi::PyUnicode_FromStringAndSize(v.as_ptr().cast(), v.len() as ffi::Py_ssize_t)
    }
}

fn int_to_py(v: &Int) -> *mut ffi::PyObject {
    // SAFETY: each constructor returns a new reference or null with an exception set.
    unsafe {
        match v {
            Int::Fixed(n) => {
                if let Ok(n) = i64::try_from(*n) {
                    ffi::PyLong_FromLongLong(n)
                } else if let Ok(n) = u64::try_from(*n) {
                    ffi::PyLong_FromUnsignedLongLong(n)
                } else {
                    long_from_str(&n.to_string())
                }
            }
            Int::Big(digits) => long_from_str(digits),
        }
    }
}

unsafe fn long_from_str(digits: &str) -> *mut ffi::PyObject {
    let Ok(c) = CString::new(digits) else {
        return ptr::null_mut();
    };
    // SAFETY: a NUL-terminated decimal string.
    unsafe { ffi::PyLong_FromString(c.as_ptr(), ptr::null_mut(), 10) }
}

/// Whether `v` is `msgspec.UNSET`, the default of an embedded body's
/// optional fields (the parameter's own default is pushed instead).
fn is_unset(py: Python<'_>, v: &Bound<'_, PyAny>) -> bool {
    static UNSET: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
    UNSET
        .get_or_try_init(py, || {
            py.import("msgspec")
                .and_then(|m| m.getattr("UNSET"))
                .map(Bound::unbind)
        })
        .is_ok_and(|u| v.is(u.bind(py)))
}
