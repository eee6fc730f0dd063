//! The names of generated items, chosen so that a backtrace into generated
//! code reads as the app it came from: `decode_get_user` for the decoder of
//! the handler `get_user`, `encode_list_User` for the encoder of
//! `list[User]`, `encode_User_name` for the encoder of a constrained field,
//! `node_user_param` for the trie node after `/user/{...}/`.
//!
//! A name depends only on what the item serves (and, for handlers that
//! share a name, on the routes that share it), never on a position among
//! all items, so adding a route renames nothing unrelated. Names are ASCII
//! Rust identifiers; one already taken gets the first free suffix `_2`,
//! `_3`, ... in generation order, which is deterministic.

use std::collections::{HashMap, HashSet};

use proc_macro2::Ident;
use quote::format_ident;

use crate::ir::{Constraints, Ir, Literal, Route, Ty, TyKind};

/// Names longer than this many characters (before a suffix) are cut.
const MAX_LEN: usize = 60;

/// The names given so far in one generated program.
#[derive(Default)]
pub(super) struct Names {
    used: HashSet<String>,
}

impl Names {
    /// `base` made a valid identifier, with a suffix if it is taken.
    pub(super) fn claim(&mut self, base: &str) -> Ident {
        let mut base = sanitize(base);
        if base.len() > MAX_LEN {
            base.truncate(MAX_LEN);
            base = base.trim_end_matches('_').to_string();
        }
        let mut name = base.clone();
        let mut n = 2;
        while !self.used.insert(name.clone()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        format_ident!("{}", name)
    }
}

/// `s` as an ASCII identifier fragment: other characters become `_`,
/// runs of `_` one, none at either end (`"{user_id}"` gives `user_id`).
pub(super) fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '_' };
        if c != '_' || !out.ends_with('_') {
            out.push(c);
        }
    }
    let out = out.trim_matches('_');
    match out.chars().next() {
        None => "x".to_string(),
        Some(c) if c.is_ascii_digit() => format!("_{out}"),
        Some(_) => out.to_string(),
    }
}

/// The decoder name of each IR route: `decode_<handler>`; routes whose
/// handlers share a name add their methods, then their paths.
pub(super) fn decoders(ir: &Ir) -> Vec<String> {
    let mut by_handler: HashMap<&str, usize> = HashMap::new();
    for r in &ir.routes {
        *by_handler.entry(r.handler.name.as_str()).or_default() += 1;
    }
    let methods = |r: &Route| {
        r.methods
            .iter()
            .map(|m| m.as_str().to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join("_")
    };
    let mut by_methods: HashMap<(&str, String), usize> = HashMap::new();
    for r in &ir.routes {
        *by_methods
            .entry((r.handler.name.as_str(), methods(r)))
            .or_default() += 1;
    }
    ir.routes
        .iter()
        .map(|r| {
            let handler = r.handler.name.as_str();
            if by_handler[handler] == 1 {
                format!("decode_{handler}")
            } else if by_methods[&(handler, methods(r))] == 1 {
                format!("decode_{handler}_{}", methods(r))
            } else {
                format!("decode_{handler}_{}_{}", methods(r), sanitize(&r.path.raw))
            }
        })
        .collect()
}

/// A type as a name fragment: `list_User`, `dict_str_int`, `str_or_none`,
/// `int_ge0_le150`.
pub(super) fn type_slug(ir: &Ir, ty: &Ty) -> String {
    let join = |items: &[Ty], sep: &str| {
        items
            .iter()
            .map(|t| type_slug(ir, t))
            .collect::<Vec<_>>()
            .join(sep)
    };
    match &ty.kind {
        TyKind::Any | TyKind::Unknown => "any".to_string(),
        TyKind::None => "none".to_string(),
        TyKind::Unset => "unset".to_string(),
        TyKind::Bool => "bool".to_string(),
        TyKind::Int => "int".to_string(),
        TyKind::Float => "float".to_string(),
        TyKind::Str => "str".to_string(),
        TyKind::Bytes => "bytes".to_string(),
        TyKind::ByteArray => "bytearray".to_string(),
        TyKind::MemoryView => "memoryview".to_string(),
        TyKind::Raw => "raw".to_string(),
        TyKind::DateTime => "datetime".to_string(),
        TyKind::Date => "date".to_string(),
        TyKind::Time => "time".to_string(),
        TyKind::TimeDelta => "timedelta".to_string(),
        TyKind::Uuid => "uuid".to_string(),
        TyKind::Decimal => "decimal".to_string(),
        TyKind::Request => "request".to_string(),
        TyKind::UploadFile => "upload_file".to_string(),
        TyKind::Response => "response".to_string(),
        TyKind::List(t) => format!("list_{}", type_slug(ir, t)),
        TyKind::Set(t) => format!("set_{}", type_slug(ir, t)),
        TyKind::FrozenSet(t) => format!("frozenset_{}", type_slug(ir, t)),
        TyKind::VarTuple(t) => format!("tuple_{}_etc", type_slug(ir, t)),
        TyKind::Tuple(items) if items.is_empty() => "tuple_empty".to_string(),
        TyKind::Tuple(items) => format!("tuple_{}", join(items, "_")),
        TyKind::Dict(k, v) => format!("dict_{}_{}", type_slug(ir, k), type_slug(ir, v)),
        TyKind::Union(items) => join(items, "_or_"),
        TyKind::Literal(values) => {
            let values: Vec<String> = values
                .iter()
                .map(|v| match v {
                    Literal::Str(s) => sanitize(s),
                    Literal::Int(i) if *i < 0 => format!("m{}", i.unsigned_abs()),
                    other => sanitize(&other.to_string()).to_ascii_lowercase(),
                })
                .collect();
            format!("literal_{}", values.join("_"))
        }
        TyKind::Model(id) => sanitize(&ir.model(*id).name),
        TyKind::Constrained(inner, c) => {
            let mut out = type_slug(ir, inner);
            for (key, value) in constraint_pairs(c) {
                out.push('_');
                out.push_str(match key {
                    "multiple_of" => "mul",
                    "min_length" => "min",
                    "max_length" => "max",
                    other => other,
                });
                if key != "pattern" {
                    out.push_str(&sanitize(&value.replace('-', "m")));
                }
            }
            out
        }
    }
}

/// The constraints of a `Meta(...)` as `(keyword, Python value)` pairs.
fn constraint_pairs(c: &Constraints) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let numbers = [
        ("gt", &c.gt),
        ("ge", &c.ge),
        ("lt", &c.lt),
        ("le", &c.le),
        ("multiple_of", &c.multiple_of),
    ];
    for (key, b) in numbers {
        if let Some(b) = b {
            out.push((key, b.value.to_string()));
        }
    }
    for (key, b) in [("min_length", &c.min_length), ("max_length", &c.max_length)] {
        if let Some(b) = b {
            out.push((key, b.value.to_string()));
        }
    }
    if let Some(b) = &c.pattern {
        out.push(("pattern", format!("{:?}", b.value)));
    }
    if let Some(b) = &c.tz {
        out.push(("tz", if b.value { "True" } else { "False" }.to_string()));
    }
    out
}

/// A type as the user wrote it, for a doc line: the outer `Annotated`
/// layer's constraints spelled out (`Annotated[str, Meta(min_length=1)]`).
pub(super) fn describe(ir: &Ir, ty: &Ty) -> String {
    match &ty.kind {
        TyKind::Constrained(inner, c) => {
            let meta: Vec<String> = constraint_pairs(c)
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!(
                "Annotated[{}, Meta({})]",
                inner.display(ir),
                meta.join(", ")
            )
        }
        _ => ty.display(ir).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_identifiers_and_unique() {
        assert_eq!(sanitize("{user_id}"), "user_id");
        assert_eq!(sanitize("/users/{id}/repos"), "users_id_repos");
        assert_eq!(sanitize("café"), "caf");
        assert_eq!(sanitize("1st"), "_1st");
        assert_eq!(sanitize("--"), "x");
        let mut names = Names::default();
        assert_eq!(names.claim("encode_a-b").to_string(), "encode_a_b");
        assert_eq!(names.claim("encode_a_b").to_string(), "encode_a_b_2");
        assert_eq!(names.claim("encode_a b").to_string(), "encode_a_b_3");
        let long = "x".repeat(100);
        assert_eq!(names.claim(&long).to_string().len(), MAX_LEN);
    }
}

#[cfg(test)]
mod program_tests {
    use crate::frontend::SourceProvider;

    struct Mem(String);

    impl SourceProvider for Mem {
        fn read(&self, rel_path: &str) -> Option<String> {
            (rel_path == "app.py").then(|| self.0.clone())
        }
    }

    /// The names of the functions generated for an app, in order.
    fn fns(src: &str) -> Vec<String> {
        let analysis = crate::analyze(&Mem(src.to_string()), "app.py", "");
        assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics);
        let file = super::super::app::generate_file(&analysis, "t");
        file.lines()
            .map(|l| l.trim_start().trim_start_matches("pub "))
            .filter_map(|l| l.strip_prefix("fn "))
            .filter_map(|l| l.split('(').next())
            .map(str::to_string)
            .collect()
    }

    const APP: &str = r#"
from typing import Annotated
import msgspec
from prebake import App
app = App()

class User(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1)]

@app.get("/items")
@app.post("/items")
def items() -> list[int]: return []

@app.get("/a/{x}")
@app.get("/b/{x}")
def twice(x: int) -> dict[str, User]: return {}
"#;

    #[test]
    fn handlers_sharing_a_name_are_told_apart_by_method_then_path() {
        let names = fns(APP);
        for expected in [
            "decode_items_get",
            "decode_items_post",
            "decode_twice_get_a_x",
            "decode_twice_get_b_x",
            "encode_list_int",
            "encode_dict_str_User",
            "encode_User_name",
            "node_a_param",
            "route",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} in {names:?}"
            );
        }
    }

    #[test]
    fn a_new_route_renames_nothing_else() {
        let before = fns(APP);
        let after = fns(&format!(
            "{APP}\n@app.get(\"/a/{{x}}/more\")\ndef more(x: int) -> list[str]: return []\n"
        ));
        for name in &before {
            assert!(after.contains(name), "{name} kept in {after:?}");
        }
    }
}
