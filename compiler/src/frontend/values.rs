//! Reading constant expressions (defaults, decorator arguments, returned
//! literals) into [`Value`]s.

use rustpython_parser::ast::{self, Constant};

use super::lower::Lowerer;
use crate::ir::{Value, ValueKind};

impl Lowerer<'_> {
    /// Lowers an expression of module `m` to a [`Value`]; anything not constant
    /// is kept as its source text.
    pub(crate) fn value(&self, m: usize, expr: &ast::Expr) -> Value {
        let span = self.program.span(m, expr);
        let kind = match expr {
            ast::Expr::Constant(c) => constant(&c.value, || self.text(span).to_string()),
            ast::Expr::UnaryOp(u) if matches!(u.op, ast::UnaryOp::USub | ast::UnaryOp::UAdd) => {
                let negate = matches!(u.op, ast::UnaryOp::USub);
                match self.value(m, &u.operand).kind {
                    ValueKind::Int(i) if negate => ValueKind::Int(-i),
                    ValueKind::Float(x) if negate => ValueKind::Float(-x),
                    ValueKind::BigInt(s) if negate => ValueKind::BigInt(format!("-{s}")),
                    k @ (ValueKind::Int(_) | ValueKind::Float(_) | ValueKind::BigInt(_)) => k,
                    _ => ValueKind::Other(self.text(span).to_string()),
                }
            }
            ast::Expr::List(l) => {
                ValueKind::List(l.elts.iter().map(|e| self.value(m, e)).collect())
            }
            ast::Expr::Tuple(t) => {
                ValueKind::Tuple(t.elts.iter().map(|e| self.value(m, e)).collect())
            }
            ast::Expr::Set(s) => ValueKind::Set(s.elts.iter().map(|e| self.value(m, e)).collect()),
            ast::Expr::Dict(d) => {
                if d.keys.iter().any(Option::is_none) {
                    ValueKind::Other(self.text(span).to_string())
                } else {
                    ValueKind::Dict(
                        d.keys
                            .iter()
                            .zip(&d.values)
                            .filter_map(|(k, v)| {
                                k.as_ref().map(|k| (self.value(m, k), self.value(m, v)))
                            })
                            .collect(),
                    )
                }
            }
            ast::Expr::Name(_) | ast::Expr::Attribute(_) => {
                let resolved = self.scopes.resolve(self.program, m, expr);
                match resolved {
                    super::scope::Resolved::Unresolved => {
                        ValueKind::Other(self.text(span).to_string())
                    }
                    r => ValueKind::Name(r.qualified(self.program)),
                }
            }
            ast::Expr::Call(c) => {
                let callee = self.scopes.resolve(self.program, m, &c.func);
                if matches!(callee, super::scope::Resolved::Unresolved) {
                    ValueKind::Other(self.text(span).to_string())
                } else {
                    ValueKind::Call {
                        callee: callee.qualified(self.program),
                        args: c.args.iter().map(|a| self.value(m, a)).collect(),
                        kwargs: c
                            .keywords
                            .iter()
                            .filter_map(|k| {
                                k.arg
                                    .as_ref()
                                    .map(|a| (a.to_string(), self.value(m, &k.value)))
                            })
                            .collect(),
                    }
                }
            }
            _ => ValueKind::Other(self.text(span).to_string()),
        };
        Value::new(kind, span)
    }
}

/// A parser constant as a value kind.
pub(crate) fn constant(c: &Constant, text: impl FnOnce() -> String) -> ValueKind {
    match c {
        Constant::None => ValueKind::None,
        Constant::Bool(b) => ValueKind::Bool(*b),
        Constant::Str(s) => ValueKind::Str(s.clone()),
        Constant::Bytes(b) => ValueKind::Bytes(b.clone()),
        Constant::Int(i) => {
            let digits = i.to_string();
            digits
                .parse::<i128>()
                .map_or(ValueKind::BigInt(digits), ValueKind::Int)
        }
        Constant::Float(x) => ValueKind::Float(*x),
        Constant::Tuple(_) | Constant::Complex { .. } | Constant::Ellipsis => {
            ValueKind::Other(text())
        }
    }
}
