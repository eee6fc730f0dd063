//! The typed intermediate representation of an app.
//!
//! The front end lowers Python syntax into this; checks read it; code
//! generation turns it into Rust.
//!
//! Architecture invariant: the IR holds no parser types and no `proc_macro2`
//! types. Every node keeps the [`Span`] it came from, so any phase can point at
//! the exact source of a problem.

mod depends;
mod middleware;
mod model;
mod mount;
mod param_model;
mod pool;
pub mod pretty;
mod route;
pub mod template;
mod types;
mod value;

pub use depends::{DepKind, DepScope, Dependency};
pub use middleware::{Compress, Cors, DEFAULT_EXCLUDED_CONTENT_TYPES, Middleware, MiddlewareKind};
pub use model::{
    DataclassOptions, EnumFlavor, EnumMember, Field, FieldDefault, Generic, Model, ModelId,
    ModelKind, RenameStyle, StructOptions, TagValue,
};
pub use mount::StaticMount;
pub use param_model::ModelParamField;
pub use pool::{PoolReason, ReachedCall, SettingOrigin, SyncSetting};
pub use route::{
    App, Converter, Handler, HttpMethod, MethodCall, Param, ParamSource, PathSegment, PathTemplate,
    ResponseKind, ReturnSite, Route, embedded_body,
};
pub use template::{RouteTemplate, TplTy};
pub use types::{Bound, Constraints, Literal, MetaDocs, Number, RESPONSE_CLASSES, Ty, TyKind};
pub use value::{Value, ValueKind};

use crate::source::Span;

/// Everything the compiler knows about one app.
#[derive(Clone, Debug, Default)]
pub struct Ir {
    /// The `App(...)` object, if one was found.
    pub app: Option<App>,
    /// The routes, in source order.
    pub routes: Vec<Route>,
    /// Every model reached from a route, indexed by [`ModelId`].
    pub models: Vec<Model>,
    /// `app.mount(path, StaticFiles(...))`, in source order.
    pub mounts: Vec<StaticMount>,
    /// The app's middleware, outermost first.
    pub middleware: Vec<Middleware>,
    /// The routes that render a template (`template=`), in route order.
    pub templates: Vec<RouteTemplate>,
    /// The templates folder, relative to the app's folder (`templates`).
    pub templates_dir: String,
}

impl Ir {
    /// The model with this id.
    pub fn model(&self, id: ModelId) -> &Model {
        &self.models[id.0 as usize]
    }

    /// The span of the whole app object, or a zero span when there is none.
    pub fn app_span(&self) -> Span {
        self.app.as_ref().map(|a| a.span).unwrap_or_default()
    }
}
