//! Checking one template against the model it renders.
//!
//! The walk follows askama's scoping: the model's fields are the template's
//! variables (and `self`), `for` binds its target and `loop`, `set`/`let`
//! bind in the current block, `if let` binds its pattern, macro arguments
//! bind in the macro. A name bound by the template is of unknown type and
//! is not checked further; a field's type is known ([`TplTy`]), so reading
//! a field of a nested model, looping over a list and writing a value are
//! checked. `extends`, `include` and `import` are followed (each file once
//! per model), with the same scope: askama renders them over the same
//! struct.

use std::collections::{HashMap, HashSet};

use askama_parser::node::Cond;
use askama_parser::{Ast, Expr, Filter, LetValueOrBlock, Node, PathOrIdentifier, Target, WithSpan};

use super::Files;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::{Ir, ModelId, TplTy};
use crate::source::{FileId, SourceDb, Span};

/// Every filter askama 0.16 has (with the features the runtime enables).
pub(crate) const FILTERS: &[&str] = &[
    "assigned_or",
    "capitalize",
    "center",
    "default",
    "defined_or",
    "deref",
    "e",
    "escape",
    "filesizeformat",
    "fmt",
    "format",
    "indent",
    "join",
    "linebreaks",
    "linebreaksbr",
    "lower",
    "lowercase",
    "paragraphbreaks",
    "pluralize",
    "ref",
    "reject",
    "safe",
    "title",
    "titlecase",
    "trim",
    "truncate",
    "unique",
    "upper",
    "uppercase",
    "urlencode",
    "urlencode_strict",
    "value",
    "wordcount",
];

/// What a Jinja2 filter is in askama, for the help line of PB134.
fn jinja_hint(name: &str) -> Option<&'static str> {
    Some(match name {
        "length" | "count" => {
            "askama has no `length`: call `.len()` on the value (`{{ items.len() }}`)"
        }
        "tojson" | "json" => {
            "askama's `json` filter is not enabled in prebake; build the JSON in the handler"
        }
        "striptags" | "replace" | "round" | "int" | "float" | "string" | "list" | "sort"
        | "first" | "last" | "sum" | "map" | "select" | "selectattr" | "attr" | "batch"
        | "slice" | "groupby" => {
            "Jinja2's filter has no askama equivalent: compute the value in the handler and add it to the model"
        }
        _ => return None,
    })
}

/// Whether askama escapes a template as HTML: its extension.
fn is_html(path: &str) -> bool {
    let ext = path.rsplit('.').next().unwrap_or("");
    matches!(
        ext,
        "html" | "htm" | "xml" | "svg" | "j2" | "jinja" | "jinja2"
    )
}

#[derive(Clone, Debug)]
enum V {
    Ty(TplTy),
    Loop,
    Unknown,
}

/// Checks template `file` rendered with `model`.
pub(super) fn check(
    ir: &Ir,
    db: &mut SourceDb,
    files: &mut Files<'_>,
    file: FileId,
    model: ModelId,
) -> Vec<Diagnostic> {
    let mut c = Checker {
        ir,
        model,
        scopes: vec![HashMap::new()],
        loops: 0,
        out: Vec::new(),
        visited: HashSet::new(),
        file,
        len: 0,
        text: String::new(),
        html: false,
    };
    c.file_nodes(db, files, file, None);
    c.out
}

struct Checker<'a> {
    ir: &'a Ir,
    model: ModelId,
    scopes: Vec<HashMap<String, V>>,
    loops: u32,
    out: Vec<Diagnostic>,
    /// Files checked (or being checked) already, so cycles end.
    visited: HashSet<FileId>,
    /// The file being walked, its length, its text and whether askama
    /// escapes it as HTML (by extension).
    file: FileId,
    len: usize,
    text: String,
    html: bool,
}

impl Checker<'_> {
    /// Parses and walks one file; `from` is where it was named (an
    /// `include`, `extends` or `import`), for the syntax error's note.
    fn file_nodes(
        &mut self,
        db: &mut SourceDb,
        files: &mut Files<'_>,
        file: FileId,
        from: Option<Span>,
    ) {
        if !self.visited.insert(file) {
            return;
        }
        let text = db.file(file).text.clone();
        let syntax = askama_parser::Syntax::default();
        let ast = match Ast::from_str(&text, None, &syntax) {
            Ok(ast) => ast,
            Err(e) => {
                let at = e.offset.min(text.len());
                let end = text[at..]
                    .char_indices()
                    .nth(1)
                    .map_or(text.len(), |(i, _)| at + i);
                let message = e.message.as_deref().map_or_else(
                    || "the template does not parse".to_string(),
                    |m| format!("template syntax error: {m}"),
                );
                let mut d = Diagnostic::new(
                    Code::PB135,
                    super::span(file, Some(at..end), text.len()),
                    message,
                )
                .with_label("askama cannot parse this")
                .with_note(
                    "templates use askama's syntax, close to Jinja2's (see docs/templates.md)",
                );
                if let Some(from) = from {
                    d = d.with_secondary(from, "used here");
                }
                self.out.push(d);
                return;
            }
        };
        let saved = (
            self.file,
            self.len,
            std::mem::take(&mut self.text),
            self.html,
        );
        self.file = file;
        self.len = text.len();
        self.html = is_html(&db.file(file).path);
        self.text = text.clone();
        let mut refs = Vec::new();
        self.nodes(ast.nodes(), &mut refs);
        // Files named by this one, checked after it with the same scope.
        for (path, span) in refs {
            match files.load(db, &path) {
                Some(id) => self.file_nodes(db, files, id, Some(span)),
                None => self.out.push(
                    Diagnostic::new(Code::PB130, span, format!("template `{path}` not found"))
                        .with_label("no such file in the templates folder")
                        .with_note("paths are relative to the templates folder"),
                ),
            }
            self.file = file;
            self.len = text.len();
            self.html = is_html(&db.file(file).path);
            self.text = text.clone();
        }
        (self.file, self.len, self.text, self.html) = saved;
    }

    fn span<T>(&self, w: &WithSpan<T>) -> Span {
        super::span(self.file, w.span().byte_range(), self.len)
    }

    fn bind(&mut self, name: &str, v: V) {
        if let Some(s) = self.scopes.last_mut() {
            s.insert(name.to_string(), v);
        }
    }

    /// Binds every name of a pattern as unknown.
    fn bind_target(&mut self, t: &Target<'_>, v: V) {
        match t {
            Target::Name(n) => self.bind(n, v),
            Target::Tuple(w) => {
                for t in &w.1 {
                    self.bind_target(t, V::Unknown);
                }
            }
            Target::Array(w) | Target::OrChain(w) => {
                for t in w.iter() {
                    self.bind_target(t, V::Unknown);
                }
            }
            Target::Struct(w) => {
                for nt in &w.1 {
                    self.bind_target(&nt.dest, V::Unknown);
                }
            }
            Target::Rest(w) => {
                if let Some(n) = w.as_ref() {
                    self.bind(n, V::Unknown);
                }
            }
            _ => {}
        }
    }

    fn lookup(&self, name: &str) -> Option<V> {
        for s in self.scopes.iter().rev() {
            if let Some(v) = s.get(name) {
                return Some(v.clone());
            }
        }
        if name == "self" {
            return Some(V::Ty(TplTy::Model(self.model)));
        }
        if name == "loop" && self.loops > 0 {
            return Some(V::Loop);
        }
        let m = self.ir.model(self.model);
        m.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| V::Ty(TplTy::of(self.ir, &f.ty)))
    }

    fn nodes(&mut self, nodes: &[Box<Node<'_>>], refs: &mut Vec<(String, Span)>) {
        for n in nodes {
            self.node(n, refs);
        }
    }

    fn scoped(&mut self, f: impl FnOnce(&mut Self)) {
        self.scopes.push(HashMap::new());
        f(self);
        self.scopes.pop();
    }

    fn node(&mut self, n: &Node<'_>, refs: &mut Vec<(String, Span)>) {
        match n {
            Node::Expr(_, e) => {
                let v = self.expr(e);
                if !matches!(v, V::Ty(TplTy::Int | TplTy::Float | TplTy::Bool)) {
                    self.unquoted_attribute(e);
                }
                if let V::Ty(t @ (TplTy::Opt(_) | TplTy::List(_) | TplTy::Model(_))) = &v {
                    let (what, help) = match t {
                        TplTy::Opt(_) => (
                            "an optional value",
                            "test it first: `{% if let Some(x) = value %}{{ x }}{% endif %}`",
                        ),
                        TplTy::List(_) => (
                            "a list",
                            "loop over it: `{% for x in items %}{{ x }}{% endfor %}`",
                        ),
                        _ => ("a model", "write one of its fields: `{{ value.field }}`"),
                    };
                    self.out.push(
                        Diagnostic::new(
                            Code::PB139,
                            self.span(e),
                            format!("{what} cannot be written as text"),
                        )
                        .with_label(format!("this is {}", t.describe(self.ir)))
                        .with_help(help),
                    );
                }
            }
            Node::Let(l) => {
                let v = match &l.val {
                    LetValueOrBlock::Value(e) => self.expr(e),
                    LetValueOrBlock::Block { nodes, .. } => {
                        self.nodes(nodes, refs);
                        V::Unknown
                    }
                };
                self.bind_target(&l.var, v);
            }
            Node::Declare(d) => self.bind(&d.var_name, V::Unknown),
            Node::Compound(c) => {
                self.expr(&c.op.lhs);
                self.expr(&c.op.rhs);
            }
            Node::If(i) => {
                for b in &i.branches {
                    self.cond(b, refs);
                }
            }
            Node::Match(m) => {
                self.expr(&m.expr);
                for arm in &m.arms {
                    self.scoped(|c| {
                        for t in &arm.target {
                            c.bind_target(t, V::Unknown);
                        }
                        c.nodes(&arm.nodes, refs);
                    });
                }
            }
            Node::Loop(l) => {
                let item = match self.expr(&l.iter) {
                    V::Ty(TplTy::List(item)) => V::Ty(*item),
                    V::Ty(
                        t @ (TplTy::Str
                        | TplTy::Int
                        | TplTy::Float
                        | TplTy::Bool
                        | TplTy::Text
                        | TplTy::Opt(_)
                        | TplTy::Model(_)),
                    ) => {
                        self.out.push(
                            Diagnostic::new(
                                Code::PB133,
                                self.span(&l.iter),
                                "`for` over a value that is not a list",
                            )
                            .with_label(format!("this is {}", t.describe(self.ir)))
                            .with_note("a loop runs over a field typed `list[...]` (or a tuple, set or frozenset of one type)"),
                        );
                        V::Unknown
                    }
                    _ => V::Unknown,
                };
                self.scoped(|c| {
                    c.bind_target(&l.var, item);
                    c.loops += 1;
                    if let Some(cond) = &l.cond {
                        c.expr(cond);
                    }
                    c.nodes(&l.body, refs);
                    c.loops -= 1;
                });
                self.scoped(|c| c.nodes(&l.else_nodes, refs));
            }
            Node::Extends(e) => refs.push((e.path.to_string(), self.span(e))),
            Node::Include(i) => refs.push((i.path.to_string(), self.span(i))),
            Node::Import(i) => {
                refs.push((i.path.to_string(), self.span(i)));
                self.bind(i.scope, V::Unknown);
            }
            Node::BlockDef(b) => self.scoped(|c| c.nodes(&b.nodes, refs)),
            Node::Macro(m) => self.scoped(|c| {
                for a in &m.args {
                    if let Some(d) = &a.default {
                        c.expr(d);
                    }
                    c.bind(&a.name, V::Unknown);
                }
                c.bind("caller", V::Unknown);
                c.nodes(&m.nodes, refs);
            }),
            Node::Call(call) => {
                for a in call.args.iter().flatten() {
                    self.expr(a);
                }
                self.scoped(|c| {
                    for a in &call.caller_args {
                        c.bind(a, V::Unknown);
                    }
                    c.nodes(&call.nodes, refs);
                });
            }
            Node::FilterBlock(f) => {
                self.filter(&f.filters);
                self.scoped(|c| c.nodes(&f.nodes, refs));
            }
            Node::Lit(_) | Node::Comment(_) | Node::Raw(_) | Node::Break(_) | Node::Continue(_) => {
            }
        }
    }

    /// PB140: `attr={{ value }}` in an HTML template. Escaping covers
    /// `&<>"'` but not the space, `=` or backtick that end or split an
    /// unquoted attribute value, so a value can add attributes
    /// (`x onmouseover=...`), in askama as in Jinja2.
    fn unquoted_attribute(&mut self, e: &WithSpan<Box<Expr<'_>>>) {
        let Some(range) = e.span().byte_range() else {
            return;
        };
        if !self.html {
            return;
        }
        let before = self.text[..range.start.min(self.text.len())].trim_end();
        let Some(open) = before.rfind("{{") else {
            return;
        };
        let marks = before[open + 2..].trim();
        if !marks.is_empty() && !matches!(marks, "-" | "+" | "~") {
            return;
        }
        if !before[..open].trim_end().ends_with('=') {
            return;
        }
        self.out.push(
            Diagnostic::new(
                Code::PB140,
                self.span(e),
                "a value written as an unquoted attribute value",
            )
            .with_label("not quoted")
            .with_note("escaping does not cover spaces: a value like `x onmouseover=alert(1)` adds an attribute")
            .with_help("quote the attribute: `name=\"{{ value }}\"`"),
        );
    }

    fn cond(&mut self, b: &WithSpan<Cond<'_>>, refs: &mut Vec<(String, Span)>) {
        self.scoped(|c| {
            if let Some(test) = &b.cond {
                let v = c.expr(&test.expr);
                if let Some(target) = &test.target {
                    c.bind_some(target, v);
                }
            }
            c.nodes(&b.nodes, refs);
        });
    }

    /// Binds `Some(x)` of an optional field as the inner type; any other
    /// pattern's names as unknown.
    fn bind_some(&mut self, target: &Target<'_>, v: V) {
        if let Target::Tuple(w) = target
            && let [head] = w.0.as_slice()
            && *head.name == "Some"
            && let [Target::Name(n)] = w.1.as_slice()
            && let V::Ty(TplTy::Opt(inner)) = v
        {
            self.bind(n, V::Ty(*inner));
            return;
        }
        self.bind_target(target, V::Unknown);
    }

    fn filter(&mut self, f: &Filter<'_>) {
        if let PathOrIdentifier::Identifier(name) = &f.name {
            let span = self.span(name);
            if **name == "safe" {
                self.out.push(
                    Diagnostic::new(Code::PB136, span, "`|safe` turns off escaping")
                        .with_label("written as is")
                        .with_note("a value from a request or a database written unescaped lets a client inject markup and scripts (XSS)")
                        .with_help("drop `|safe` unless the value is markup the app itself built and trusts"),
                );
            } else if !FILTERS.contains(name) {
                let mut d =
                    Diagnostic::new(Code::PB134, span, format!("unknown filter `{}`", **name))
                        .with_label("askama has no such filter");
                d = match jinja_hint(name) {
                    Some(h) => d.with_help(h),
                    None => d.with_note(format!("askama's filters: {}", FILTERS.join(", "))),
                };
                self.out.push(d);
            }
        }
        for a in &f.arguments {
            self.expr(a);
        }
    }

    fn expr(&mut self, e: &WithSpan<Box<Expr<'_>>>) -> V {
        match &***e {
            Expr::Var(name) => match self.lookup(name) {
                Some(V::Ty(TplTy::Unsupported(why))) => {
                    self.unsupported(self.span(e), name, &why);
                    V::Unknown
                }
                Some(v) => v,
                None => {
                    let m = self.ir.model(self.model);
                    let fields: Vec<&str> = m.fields.iter().map(|f| f.name.as_str()).collect();
                    let mut d = Diagnostic::new(
                        Code::PB131,
                        self.span(e),
                        format!("unknown variable `{name}`"),
                    )
                    .with_label(format!("not a field of `{}`", m.name));
                    d = if fields.is_empty() {
                        d.with_note(format!("`{}` has no fields", m.name))
                    } else {
                        d.with_note(format!(
                            "the template's variables are the fields of `{}`: {}",
                            m.name,
                            fields.join(", ")
                        ))
                    };
                    self.out.push(d);
                    V::Unknown
                }
            },
            Expr::AssociatedItem(obj, item) => {
                let v = self.expr(obj);
                let id = match v {
                    V::Ty(TplTy::Model(id)) => id,
                    V::Ty(t) => {
                        let help = match t {
                            TplTy::Opt(_) => {
                                "test it first: `{% if let Some(x) = value %}{{ x.field }}{% endif %}`"
                            }
                            TplTy::List(_) => {
                                "loop over it: `{% for x in items %}{{ x.field }}{% endfor %}`"
                            }
                            _ => "only models have fields",
                        };
                        self.out.push(
                            Diagnostic::new(
                                Code::PB132,
                                self.span(&item.name),
                                format!("{} has no field `{}`", t.describe(self.ir), *item.name),
                            )
                            .with_label("no such field")
                            .with_help(help),
                        );
                        return V::Unknown;
                    }
                    _ => return V::Unknown,
                };
                let m = self.ir.model(id);
                match m.fields.iter().find(|f| f.name == *item.name) {
                    Some(f) => match TplTy::of(self.ir, &f.ty) {
                        TplTy::Unsupported(why) => {
                            self.unsupported(self.span(&item.name), &item.name, &why);
                            V::Unknown
                        }
                        t => V::Ty(t),
                    },
                    None => {
                        let fields: Vec<&str> = m.fields.iter().map(|f| f.name.as_str()).collect();
                        self.out.push(
                            Diagnostic::new(
                                Code::PB132,
                                self.span(&item.name),
                                format!("`{}` has no field `{}`", m.name, *item.name),
                            )
                            .with_label("no such field")
                            .with_note(format!("its fields: {}", fields.join(", "))),
                        );
                        V::Unknown
                    }
                }
            }
            Expr::Call(call) => {
                // A method call: the receiver is checked, the method is Rust's.
                match &**call.path {
                    Expr::AssociatedItem(obj, _) => {
                        self.expr(obj);
                    }
                    Expr::Var(_) | Expr::Path(_) => {}
                    _ => {
                        self.expr(&call.path);
                    }
                }
                for a in &call.args {
                    self.expr(a);
                }
                V::Unknown
            }
            Expr::Filter(f) => {
                self.filter(f);
                V::Unknown
            }
            Expr::Index(a, b) | Expr::BinOp(askama_parser::expr::BinOp { lhs: a, rhs: b, .. }) => {
                self.expr(a);
                self.expr(b);
                V::Unknown
            }
            Expr::ArrayRepeat(a, b) => {
                self.expr(a);
                self.expr(b);
                V::Unknown
            }
            Expr::Array(items) | Expr::Tuple(items) | Expr::Concat(items) => {
                for i in items {
                    self.expr(i);
                }
                V::Unknown
            }
            Expr::Group(inner) => self.expr(inner),
            Expr::Unary(_, inner)
            | Expr::As(inner, _)
            | Expr::Try(inner)
            | Expr::NamedArgument(_, inner) => {
                self.expr(inner);
                V::Unknown
            }
            Expr::Range(r) => {
                if let Some(l) = &r.lhs {
                    self.expr(l);
                }
                if let Some(r) = &r.rhs {
                    self.expr(r);
                }
                V::Unknown
            }
            Expr::LetCond(test) => {
                let v = self.expr(&test.expr);
                if let Some(t) = &test.target {
                    self.bind_some(t, v);
                }
                V::Unknown
            }
            _ => V::Unknown,
        }
    }

    fn unsupported(&mut self, span: Span, name: &str, why: &str) {
        self.out.push(
            Diagnostic::new(
                Code::PB138,
                span,
                format!("`{name}` is {why}, which templates cannot render"),
            )
            .with_label("used here")
            .with_note("template fields are str, int, float, bool, dates, times, UUIDs, decimals, enums, optionals, lists and nested models")
            .with_help("turn the value into one of those in the handler"),
        );
    }
}
