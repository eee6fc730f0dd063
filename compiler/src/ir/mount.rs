//! `app.mount(path, StaticFiles(...))`: a directory the runtime serves
//! under a path prefix, without Python.
//!
//! The IR carries what the build needs to know about each one: codegen
//! emits it into the app's tables, and the build lists the directories
//! so that a bundle can carry them.

use crate::source::Span;

/// One static mount.
#[derive(Clone, Debug)]
pub struct StaticMount {
    /// The path prefix, without a trailing `/` (`/static`).
    pub path: String,
    /// `directory=` as written (relative to the app's folder, or absolute).
    pub directory: String,
    /// `html=`.
    pub html: bool,
    /// `check_dir=` (default `True`).
    pub check_dir: bool,
    /// `follow_symlink=` (default `False`).
    pub follow_symlink: bool,
    /// `name=`, for `url_path_for`.
    pub name: Option<String>,
    /// The `app.mount(...)` call.
    pub span: Span,
    /// The `directory=` argument.
    pub directory_span: Span,
}
