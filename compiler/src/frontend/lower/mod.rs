//! Lowering the loaded modules into the [`Ir`]: the `App` object, its routes
//! and handlers, and (through [`super::types`] and [`super::models`]) every
//! type and model they reach.
//!
//! This file holds the lowering state and the walk over the modules; the
//! parts it calls live beside it: [`app`] (the `App(...)` call), [`route`]
//! (route decorators), [`path_template`] (`"/users/{user_id}"`),
//! [`handler`] (the decorated function and its parameters) and [`pool`]
//! (whether the handler runs on the thread pool).

mod app;
pub(crate) mod handler;
mod middleware;
mod mounts;
mod path_template;
mod pool;
mod raises;
mod response_class;
mod route;
mod routers;

use std::collections::HashMap;

use rustpython_parser::ast;

use super::calls::CallIndex;
use super::modules::Program;
use super::scope::{Resolved, Scopes};
use crate::diagnostics::{Code, Diagnostic, Sink};
use crate::ir::{Ir, Model, ModelId, SettingOrigin, SyncSetting};
use crate::source::Span;
use route::decorator_methods;

/// Lowering state: the program, its scopes, and the models found so far.
pub(crate) struct Lowerer<'a> {
    pub(crate) program: &'a Program,
    pub(crate) scopes: Scopes,
    pub(crate) sink: &'a mut Sink,
    pub(crate) models: Vec<Model>,
    /// Class statement to model id (`None`: the class is not a model).
    pub(crate) model_ids: HashMap<(usize, usize), Option<ModelId>>,
    /// Type aliases being expanded (cycle guard).
    pub(crate) alias_stack: Vec<(usize, usize)>,
    /// The calls of every function of the app.
    pub(crate) calls: CallIndex,
    /// `sync_to_thread=` on the `App(...)`.
    pub(crate) app_sync: Option<SyncSetting>,
    /// Dependencies being solved (cycle guard).
    pub(crate) dep_stack: Vec<(usize, usize)>,
    /// Generic classes: [`super::models`] has the details.
    pub(crate) generics: super::models::Generics,
}

impl Lowerer<'_> {
    /// The source text of a span.
    pub(crate) fn text(&self, span: Span) -> &str {
        self.program.db.file(span.file).slice(span)
    }
}
/// Lowers a loaded program.
pub(crate) fn lower(program: &Program, sink: &mut Sink) -> Ir {
    let scopes = Scopes::build(program);
    let calls = CallIndex::build(program, &scopes);
    let mut lw = Lowerer {
        program,
        scopes,
        sink,
        models: Vec::new(),
        model_ids: HashMap::new(),
        alias_stack: Vec::new(),
        calls,
        app_sync: None,
        dep_stack: Vec::new(),
        generics: super::models::Generics::default(),
    };
    let mut ir = Ir::default();

    // The app object: `name = App(...)` in the entry module.
    let mut app_binding = None;
    for (i, stmt) in program
        .modules
        .first()
        .map(|m| m.body.as_slice())
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let (target, value) = match stmt {
            ast::Stmt::Assign(a) => match (a.targets.as_slice(), a.value.as_ref()) {
                ([ast::Expr::Name(n)], v) => (n.id.to_string(), v),
                _ => continue,
            },
            ast::Stmt::AnnAssign(a) => match (a.target.as_ref(), a.value.as_deref()) {
                (ast::Expr::Name(n), Some(v)) => (n.id.to_string(), v),
                _ => continue,
            },
            _ => continue,
        };
        let ast::Expr::Call(call) = value else {
            continue;
        };
        if lw.scopes.resolve(program, 0, &call.func).external() != Some("prebake.App") {
            continue;
        }
        if ir.app.is_some() {
            continue;
        }
        ir.app = Some(lw.app(0, &target, call, program.span(0, stmt)));
        lw.app_sync = lw.sync_to_thread_keyword(0, call, SettingOrigin::App);
        app_binding = Some((0usize, i, call.clone()));
    }
    let Some((app_module, app_stmt, app_call)) = app_binding else {
        if !program.modules.is_empty() && !program.modules[0].body.is_empty() {
            let file = program.modules[0].file;
            lw.sink.report(
                Diagnostic::new(
                    Code::PB004,
                    Span::new(file, 0, 0),
                    "no `prebake.App` in the entry module",
                )
                .with_help("add `from prebake import App` and `app = App()` at module level"),
            );
        }
        ir.models = lw.models;
        return ir;
    };

    // Routers and the include calls that mount them under the app.
    let routers = lw.routers((app_module, app_stmt), &app_call);
    // Static directories mounted on the app.
    ir.mounts = lw.static_mounts((app_module, app_stmt));

    // Routes: functions in any module decorated with `@<owner>.<method>(...)`,
    // where the owner is the app or a router; one route per mount.
    let mut decorated = Vec::new();
    for m in 0..program.modules.len() {
        for (i, stmt) in program.modules[m].body.iter().enumerate() {
            let (decorators, is_async) = match stmt {
                ast::Stmt::FunctionDef(f) => (&f.decorator_list, false),
                ast::Stmt::AsyncFunctionDef(f) => (&f.decorator_list, true),
                _ => continue,
            };
            for dec in decorators {
                let ast::Expr::Call(call) = dec else { continue };
                let ast::Expr::Attribute(attr) = call.func.as_ref() else {
                    continue;
                };
                let Some(method) = decorator_methods(attr.attr.as_str()) else {
                    continue;
                };
                let Resolved::Local {
                    module, stmt: at, ..
                } = lw.scopes.resolve(program, m, &attr.value)
                else {
                    continue;
                };
                if !routers.is_owner((module, at)) {
                    continue;
                }
                decorated.push((module, at));
                for mount in routers.mounts_of((module, at)).to_vec() {
                    if let Some(mut route) = lw.route(m, stmt, is_async, call, method, &mount) {
                        lw.place(&mut route, (m, i), call, &mount.sync);
                        lw.raised_statuses(&mut route);
                        ir.routes.push(route);
                    }
                }
            }
        }
        let body = &program.modules[m].body;
        lw.unread_routes(m, body, false, (app_module, app_stmt));
    }
    lw.unmounted_routers(&routers, &decorated);
    ir.middleware = lw.middleware((app_module, app_stmt), &app_call, &ir.routes);
    ir.models = lw.models;
    ir
}
