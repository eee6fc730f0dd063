//! Dependencies: callables that provide a parameter's value (`Depends(get_db)`),
//! resolved per route at build time.
//!
//! A route's dependency graph is a tree of [`Dependency`] nodes hanging off
//! the handler's parameters (and the route's `dependencies=[...]`); each
//! node's own parameters bind to the request exactly as a handler's do, or
//! name further dependencies. Code generation flattens the tree into the
//! request values to decode and the calls to make, in FastAPI's order.

use super::Param;
use crate::source::Span;

/// One `Depends(...)` (or `Security(...)`) use, with the callable it names
/// resolved and its own parameters bound.
#[derive(Clone, Debug, PartialEq)]
pub struct Dependency {
    /// The dotted module that defines the callable (`app`, `auth.deps`).
    pub module: String,
    /// The callable's name in that module (`get_db`, `bearer`, `Paginator`).
    pub name: String,
    /// What kind of callable it is.
    pub kind: DepKind,
    /// Its parameters, bound as a handler's (sources `Depends` nest).
    pub params: Vec<Param>,
    /// `use_cache=` (default `True`): called once per request and shared.
    pub use_cache: bool,
    /// `scope=`, for a generator: when the code after `yield` runs.
    pub scope: DepScope,
    /// The `Depends(...)` marker.
    pub span: Span,
    /// The callable's definition (its name in the `def`, `class` or assignment).
    pub def_span: Span,
    /// Calls in the callable's body by qualified callee name (functions
    /// only), as [`super::Handler::calls`].
    pub calls: Vec<(String, Span)>,
    /// Method calls on plain names in its body, as [`super::Handler::method_calls`].
    pub method_calls: Vec<super::MethodCall>,
    /// For [`DepKind::Security`]: the helper's class
    /// (`prebake.security.HTTPBearer`) and its constructor's keywords.
    pub security: Option<(String, Vec<(String, super::Value)>)>,
}

impl Dependency {
    /// The key under which FastAPI caches a dependency's value within one
    /// request: the callable and, for a generator, its scope.
    pub fn cache_key(&self) -> (String, String, DepScope) {
        (self.module.clone(), self.name.clone(), self.scope)
    }

    /// Whether calling it needs `await`.
    pub fn is_async(&self) -> bool {
        match self.kind {
            DepKind::Function { is_async, .. } => is_async,
            DepKind::Instance { is_async } => is_async,
            DepKind::Class | DepKind::Security => false,
        }
    }

    /// Whether it is a `yield` dependency.
    pub fn is_generator(&self) -> bool {
        matches!(
            self.kind,
            DepKind::Function {
                generator: true,
                ..
            }
        )
    }

    /// `module.name`, for messages.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }
}

/// The kinds of callable a dependency may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepKind {
    /// A `def` or `async def` function; `generator` when its body yields.
    Function {
        /// `async def`.
        is_async: bool,
        /// The body contains `yield`: setup, `yield value`, teardown.
        generator: bool,
    },
    /// A class: called with its `__init__` parameters.
    Class,
    /// A module-level instance of a local class with a `__call__` method.
    Instance {
        /// `async def __call__`.
        is_async: bool,
    },
    /// A module-level instance of one of `prebake.security`'s classes:
    /// called with the request.
    Security,
}

/// When a `yield` dependency's teardown runs (FastAPI's `Depends(scope=)`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DepScope {
    /// After the response is sent (FastAPI's default for generators).
    #[default]
    Request,
    /// As soon as the handler returns, before the response is built.
    Function,
}
