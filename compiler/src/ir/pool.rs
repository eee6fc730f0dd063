//! Where a route's handler runs: inline on the interpreter thread, or on
//! the thread pool because it may block; and the calls that decision read.

use crate::source::Span;

/// A call to something outside the app (`time.sleep`, `requests.get`),
/// made by a function or by a function of the app it calls.
#[derive(Clone, Debug, PartialEq)]
pub struct ReachedCall {
    /// The qualified callee (`time.sleep`; `sqlite3.connect().execute` for
    /// a method of an object the compiler traced to the call that made it;
    /// see [`crate::blocking`]).
    pub callee: String,
    /// The call itself.
    pub span: Span,
    /// The call in the starting function's own body that leads to it: the
    /// call itself when made directly, else the call of the first local
    /// function on the way.
    pub site: Span,
    /// The app's functions the call goes through, outermost first, by
    /// qualified name within their module (`load`, `Repo.get`); empty when
    /// the starting function makes the call itself.
    pub via: Vec<String>,
}

/// Which object carries a `sync_to_thread=` setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingOrigin {
    /// The route decorator.
    Route,
    /// An `APIRouter(...)` the route belongs to.
    Router,
    /// The `App(...)`.
    App,
}

impl SettingOrigin {
    /// `the route`, `its router`, `the app`, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            SettingOrigin::Route => "the route",
            SettingOrigin::Router => "its router",
            SettingOrigin::App => "the app",
        }
    }
}

/// A `sync_to_thread=True|False` as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncSetting {
    /// The value.
    pub value: bool,
    /// Where it was written.
    pub origin: SettingOrigin,
    /// The keyword's value.
    pub span: Span,
}

/// Why a route runs where it runs.
#[derive(Clone, Debug, PartialEq)]
pub enum PoolReason {
    /// An `async def` handler: it runs on the event loop, never on the pool.
    Async,
    /// `sync_to_thread=` on the route, a router or the app decided.
    Setting(SyncSetting),
    /// The handler, or a function of the app it calls, calls an API that
    /// may block.
    Blocking(ReachedCall),
    /// A sync handler that calls nothing known to block: it runs inline.
    NoBlockingCall,
}
