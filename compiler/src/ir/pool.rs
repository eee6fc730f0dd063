//! Where a route's handler runs: inline on the interpreter thread, or on
//! the thread pool because it may block; and the calls that decision read.

use crate::source::{SourceDb, Span};

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

impl PoolReason {
    /// Why, as a clause for messages: ``sync_to_thread=True` on the route
    /// (app.py:12)`, ``report` calls `time.sleep` through `load`
    /// (app.py:30)`; `handler` is the handler's name.
    pub fn explain(&self, db: &SourceDb, handler: &str) -> String {
        let at = |span: Span| {
            let f = db.file(span.file);
            format!("{}:{}", f.path, f.line_col(span.start).line)
        };
        match self {
            PoolReason::Async => format!("`{handler}` is an `async def`"),
            PoolReason::Setting(s) => format!(
                "`sync_to_thread={}` on {} ({})",
                if s.value { "True" } else { "False" },
                s.origin.describe(),
                at(s.span)
            ),
            PoolReason::Blocking(c) => {
                let via = if c.via.is_empty() {
                    String::new()
                } else {
                    let names: Vec<String> = c.via.iter().map(|f| format!("`{f}`")).collect();
                    format!(" through {}", names.join(", "))
                };
                format!("`{handler}` calls `{}`{via} ({})", c.callee, at(c.span))
            }
            PoolReason::NoBlockingCall => format!("`{handler}` calls nothing known to block"),
        }
    }
}
