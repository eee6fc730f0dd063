//! Lowering the `App(...)` call of the entry module: its title, version
//! and server settings.

use rustpython_parser::ast;

use super::Lowerer;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::App;
use crate::source::Span;

impl Lowerer<'_> {
    pub(super) fn app(&mut self, m: usize, var: &str, call: &ast::ExprCall, span: Span) -> App {
        let mut app = App {
            var_name: var.to_string(),
            module: self.program.modules[m].name.clone(),
            title: None,
            version: None,
            description: None,
            max_body_size: None,
            keywords: Vec::new(),
            span,
        };
        if let Some(first) = call.args.first() {
            app.title = self.value(m, first).as_str().map(str::to_string);
        }
        for kw in &call.keywords {
            let Some(key) = kw.arg.as_deref() else {
                continue;
            };
            let v = self.value(m, &kw.value);
            match key {
                "title" => app.title = v.as_str().map(str::to_string),
                "version" => app.version = v.as_str().map(str::to_string),
                "description" => app.description = v.as_str().map(str::to_string),
                "max_body_size" => match v.as_int() {
                    Some(n) if n > 0 => app.max_body_size = u64::try_from(n).ok(),
                    _ => self.sink.report(
                        Diagnostic::new(
                            Code::PB029,
                            v.span,
                            "`max_body_size` must be a positive int literal",
                        )
                        .with_label(format!("found {}", v.type_name())),
                    ),
                },
                _ => {}
            }
            app.keywords.push((key.to_string(), v));
        }
        app
    }
}
