//! Reading constant expressions (defaults, decorator arguments, returned
//! literals) into [`Value`]s.

use rustpython_parser::ast::{self, Constant};

use super::lower::Lowerer;
use crate::ir::{Value, ValueKind};

impl Lowerer<'_> {
    /// Lowers an expression of module `m` to a [`Value`]; anything not constant
    /// is kept as its source text.
    pub(crate) fn value(&self, m: usize, expr: &ast::Expr) -> Value {
        self.value_at(m, expr, 0)
    }

    /// [`Self::value`], `depth` module-level constants deep (names of
    /// constants are followed at most [`MAX_CONSTANT_DEPTH`] times).
    fn value_at(&self, m: usize, expr: &ast::Expr, depth: usize) -> Value {
        let span = self.program.span(m, expr);
        let kind = match expr {
            ast::Expr::BinOp(b) => {
                let left = self.value_at(m, &b.left, depth).kind;
                let right = self.value_at(m, &b.right, depth).kind;
                fold(&b.op, &left, &right)
                    .unwrap_or_else(|| ValueKind::Other(self.text(span).to_string()))
            }
            ast::Expr::Constant(c) => constant(&c.value, || self.text(span).to_string()),
            ast::Expr::UnaryOp(u) if matches!(u.op, ast::UnaryOp::USub | ast::UnaryOp::UAdd) => {
                let negate = matches!(u.op, ast::UnaryOp::USub);
                match self.value_at(m, &u.operand, depth).kind {
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
                    super::scope::Resolved::Local {
                        module,
                        stmt,
                        kind: super::scope::DefKind::Assign,
                        ..
                    } if depth < MAX_CONSTANT_DEPTH
                        && let Some(k) = self.constant_at(module, stmt, depth + 1) =>
                    {
                        k
                    }
                    r => {
                        let name = r.qualified(self.program);
                        // `status.HTTP_201_CREATED` is the number it names.
                        super::prebake_names::status_constant(&name)
                            .map_or(ValueKind::Name(name), ValueKind::Int)
                    }
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

/// How many module-level constants deep a name is followed
/// (`LIMIT = MAX - 1`, `MAX = 100`).
const MAX_CONSTANT_DEPTH: usize = 8;

impl Lowerer<'_> {
    /// The value of a module-level `NAME = <number, str or bool>` (after
    /// folding arithmetic), or `None` for anything else, which stays a name.
    fn constant_at(&self, module: usize, stmt: usize, depth: usize) -> Option<ValueKind> {
        let value = match &self.program.modules[module].body[stmt] {
            ast::Stmt::Assign(a) if a.targets.len() == 1 => a.value.as_ref(),
            ast::Stmt::AnnAssign(a) => a.value.as_deref()?,
            _ => return None,
        };
        let kind = self.value_at(module, value, depth).kind;
        matches!(
            kind,
            ValueKind::Int(_) | ValueKind::Float(_) | ValueKind::Str(_) | ValueKind::Bool(_)
        )
        .then_some(kind)
    }
}

/// Folds arithmetic on numbers as Python computes it (`2**31 - 1`,
/// `10 * 10`, `1 / 4`) and `+` on strings (`PREFIX + "/items"`), or `None`
/// when it cannot be sure (overflow, a negative power, division by zero,
/// anything else).
fn fold(op: &ast::Operator, left: &ValueKind, right: &ValueKind) -> Option<ValueKind> {
    use ast::Operator as O;
    match (left, right) {
        (ValueKind::Str(a), ValueKind::Str(b)) if matches!(op, O::Add) => {
            Some(ValueKind::Str(format!("{a}{b}")))
        }
        (ValueKind::Int(a), ValueKind::Int(b)) => {
            let (a, b) = (*a, *b);
            Some(match op {
                O::Add => ValueKind::Int(a.checked_add(b)?),
                O::Sub => ValueKind::Int(a.checked_sub(b)?),
                O::Mult => ValueKind::Int(a.checked_mul(b)?),
                O::Pow => ValueKind::Int(a.checked_pow(u32::try_from(b).ok()?)?),
                O::FloorDiv => ValueKind::Int(floor_div(a, b)?),
                O::Mod => ValueKind::Int(a.checked_sub(b.checked_mul(floor_div(a, b)?)?)?),
                // Exact for the small ints bounds are written with.
                O::Div if b != 0 && a.unsigned_abs() < 1 << 53 && b.unsigned_abs() < 1 << 53 => {
                    ValueKind::Float(a as f64 / b as f64)
                }
                _ => return None,
            })
        }
        (ValueKind::Int(_) | ValueKind::Float(_), ValueKind::Int(_) | ValueKind::Float(_)) => {
            let as_f64 = |k: &ValueKind| match k {
                ValueKind::Int(i) if i.unsigned_abs() < 1 << 53 => Some(*i as f64),
                ValueKind::Float(x) => Some(*x),
                _ => None,
            };
            let (a, b) = (as_f64(left)?, as_f64(right)?);
            let x = match op {
                O::Add => a + b,
                O::Sub => a - b,
                O::Mult => a * b,
                O::Div if b != 0.0 => a / b,
                _ => return None,
            };
            x.is_finite().then_some(ValueKind::Float(x))
        }
        _ => None,
    }
}

/// Python's `a // b` (rounded toward negative infinity), `None` for a zero
/// divisor or an overflow (`i128::MIN // -1`).
fn floor_div(a: i128, b: i128) -> Option<i128> {
    let q = a.checked_div_euclid(b)?;
    // Euclidean division rounds up for a negative divisor with a remainder.
    Some(q - i128::from(b < 0 && a.checked_rem_euclid(b)? != 0))
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

#[cfg(test)]
mod tests {
    use rustpython_parser::ast::Operator as O;

    use super::fold;
    use crate::ir::ValueKind::{self, Float, Int, Str};

    fn int(op: O, a: i128, b: i128) -> Option<ValueKind> {
        fold(&op, &Int(a), &Int(b))
    }

    #[test]
    fn folds_as_python_computes() {
        assert_eq!(
            int(O::Pow, 2, 31).and_then(|p| fold(&O::Sub, &p, &Int(1))),
            Some(Int(2_147_483_647))
        );
        // Floor division and modulo round toward negative infinity.
        assert_eq!(int(O::FloorDiv, 7, -2), Some(Int(-4)));
        assert_eq!(int(O::FloorDiv, -7, 2), Some(Int(-4)));
        assert_eq!(int(O::FloorDiv, -7, -2), Some(Int(3)));
        assert_eq!(int(O::Mod, 7, -2), Some(Int(-1)));
        assert_eq!(int(O::Mod, -7, 2), Some(Int(1)));
        assert_eq!(int(O::Div, 1, 4), Some(Float(0.25)));
        assert_eq!(fold(&O::Mult, &Float(0.5), &Int(3)), Some(Float(1.5)));
        assert_eq!(
            fold(&O::Add, &Str("/a".into()), &Str("/b".into())),
            Some(Str("/a/b".into()))
        );
    }

    #[test]
    fn declines_what_it_cannot_be_sure_of() {
        assert_eq!(int(O::FloorDiv, 1, 0), None);
        assert_eq!(
            int(O::FloorDiv, i128::MIN, -1),
            None,
            "overflow, not a panic"
        );
        assert_eq!(int(O::Pow, 2, -1), None);
        assert_eq!(int(O::Pow, 10, 40), None, "past i128");
        assert_eq!(fold(&O::Sub, &Str("a".into()), &Str("b".into())), None);
        assert_eq!(fold(&O::Div, &Float(1.0), &Float(0.0)), None);
    }
}
