//! Where a route's handler runs: `sync_to_thread=` on the route decorator,
//! a router or the `App(...)` (the innermost wins), else inline unless the
//! handler may block (see [`crate::blocking::decide`]).

use rustpython_parser::ast;

use super::Lowerer;
use crate::diagnostics::{Code, Diagnostic};
use crate::frontend::calls::CallIndex;
use crate::ir::{DepKind, Route, SettingOrigin, SyncSetting, ValueKind};

impl Lowerer<'_> {
    /// `sync_to_thread=` among a call's keywords (a route decorator,
    /// `APIRouter(...)`, `App(...)`): `None` when absent or `None`. A value
    /// that is not `True`, `False` or `None` is reported (PB018) and ignored.
    pub(crate) fn sync_to_thread_keyword(
        &mut self,
        m: usize,
        call: &ast::ExprCall,
        origin: SettingOrigin,
    ) -> Option<SyncSetting> {
        let kw = call
            .keywords
            .iter()
            .find(|k| k.arg.as_deref() == Some("sync_to_thread"))?;
        let v = self.value(m, &kw.value);
        match v.kind {
            ValueKind::Bool(value) => Some(SyncSetting {
                value,
                origin,
                span: v.span,
            }),
            ValueKind::None => None,
            _ => {
                self.sink.report(
                    Diagnostic::new(
                        Code::PB018,
                        v.span,
                        "`sync_to_thread` must be `True`, `False` or `None`",
                    )
                    .with_label(format!("found {}", v.type_name())),
                );
                None
            }
        }
    }

    /// Decides where the route's handler runs and records why: collects
    /// the outside calls the handler reaches (`def_at`: its module and
    /// statement) and those of the sync dependencies of its graph, and
    /// reads `sync_to_thread=` from the decorator; `routers` are the
    /// settings of the routers around the route, innermost first.
    pub(crate) fn place(
        &mut self,
        route: &mut Route,
        def_at: (usize, usize),
        decorator: &ast::ExprCall,
        routers: &[SyncSetting],
    ) {
        let own = self.sync_to_thread_keyword(def_at.0, decorator, SettingOrigin::Route);
        route.sync_to_thread = own.map(|s| s.value);
        if let Some(f) = self.calls.function(def_at.0, def_at.1) {
            route.handler.reached_calls = self.calls.reached(f);
        }
        // The sync dependencies of the graph run where the handler runs.
        let mut dependency_calls = Vec::new();
        for dep in route.graph_dependencies() {
            if dep.is_async() || matches!(dep.kind, DepKind::Security) {
                continue;
            }
            let Some(m) = self.program.module_index(&dep.module) else {
                continue;
            };
            let Some(f) = CallIndex::named(self.program, &self.scopes, m, &dep.name) else {
                continue;
            };
            for mut c in self.calls.reached(f) {
                c.via.insert(0, dep.name.clone());
                c.site = dep.span;
                if !dependency_calls.contains(&c) {
                    dependency_calls.push(c);
                }
            }
        }
        route.dependency_calls = dependency_calls;
        let settings: Vec<SyncSetting> = own
            .into_iter()
            .chain(routers.iter().copied())
            .chain(self.app_sync)
            .collect();
        let reached: Vec<_> = route
            .handler
            .reached_calls
            .iter()
            .chain(&route.dependency_calls)
            .cloned()
            .collect();
        let (on_pool, reason) =
            crate::blocking::decide(route.handler.is_async, &settings, &reached);
        route.on_pool = on_pool;
        route.pool_reason = reason;
    }
}
