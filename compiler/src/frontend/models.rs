//! Lowering class definitions into [`Model`]s: msgspec Structs (with their
//! class options, inherited fields and renames), dataclasses, TypedDicts and
//! enums.

use rustpython_parser::ast;

use super::lower::Lowerer;
use super::scope::{DefKind, Resolved};
use super::types::subscript_args;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::{
    DataclassOptions, EnumFlavor, EnumMember, Field, FieldDefault, Model, ModelId, ModelKind,
    RenameStyle, StructOptions, TagValue, Value, ValueKind,
};

/// What a base class makes of a class.
enum Base {
    Struct,
    TypedDict,
    Enum(EnumFlavor),
    Local(ModelId),
    Mixin,
    Other(String),
}

impl Lowerer<'_> {
    /// The model for the class at `module`/`stmt`, lowering it on first use;
    /// `None` if the class is not a model kind.
    pub(crate) fn model_for(&mut self, module: usize, stmt: usize) -> Option<ModelId> {
        if let Some(&id) = self.model_ids.get(&(module, stmt)) {
            return id;
        }
        let program = self.program;
        let ast::Stmt::ClassDef(class) = &program.modules[module].body[stmt] else {
            return None;
        };
        let span = program.span(module, class);
        let name_span = self.name_span(span, "class", class.name.as_str());

        // Classify by decorators and bases before lowering fields, so that a
        // recursive reference finds the id.
        let dataclass = class
            .decorator_list
            .iter()
            .find_map(|d| self.dataclass_decorator(module, d));
        let mut bases = Vec::new();
        for b in &class.bases {
            bases.push((self.base(module, b), program.span(module, b)));
        }
        let parent = bases.iter().find_map(|(b, _)| match b {
            Base::Local(id) => Some(*id),
            _ => None,
        });
        let kind = if let Some(opts) = dataclass {
            ModelKind::Dataclass(opts)
        } else if bases.iter().any(|(b, _)| matches!(b, Base::Struct)) {
            ModelKind::Struct(StructOptions::default())
        } else if bases.iter().any(|(b, _)| matches!(b, Base::TypedDict)) {
            ModelKind::TypedDict { total: true }
        } else if let Some(flavor) = bases.iter().find_map(|(b, _)| match b {
            Base::Enum(f) => Some(*f),
            _ => None,
        }) {
            ModelKind::Enum {
                flavor,
                members: Vec::new(),
            }
        } else if let Some(p) = parent {
            match &self.models[p.0 as usize].kind {
                ModelKind::Struct(o) => ModelKind::Struct(o.clone()),
                ModelKind::TypedDict { total } => ModelKind::TypedDict { total: *total },
                ModelKind::Dataclass(o) => ModelKind::Dataclass(o.clone()),
                ModelKind::Enum { flavor, .. } => ModelKind::Enum {
                    flavor: *flavor,
                    members: Vec::new(),
                },
            }
        } else {
            self.model_ids.insert((module, stmt), None);
            return None;
        };
        for (b, b_span) in &bases {
            if let Base::Other(q) = b {
                self.sink.report(
                    Diagnostic::new(
                        Code::PB041,
                        *b_span,
                        format!("unsupported base class `{q}`"),
                    )
                    .with_label("prebake cannot see what this base adds"),
                );
            }
        }

        let id = ModelId(u32::try_from(self.models.len()).expect("fewer than 2^32 models"));
        self.model_ids.insert((module, stmt), Some(id));
        self.models.push(Model {
            name: class.name.to_string(),
            module: program.modules[module].name.clone(),
            kind: kind.clone(),
            fields: Vec::new(),
            span,
            name_span,
        });

        let inherited: Vec<Field> = parent
            .map(|p| self.models[p.0 as usize].fields.clone())
            .unwrap_or_default();
        let kind = match kind {
            ModelKind::Struct(base_opts) => {
                ModelKind::Struct(self.struct_options(module, class, base_opts))
            }
            ModelKind::TypedDict { total } => ModelKind::TypedDict {
                total: self.typed_dict_total(module, class, total),
            },
            ModelKind::Enum { flavor, .. } => ModelKind::Enum {
                flavor,
                members: self.enum_members(module, class, flavor),
            },
            other => other,
        };
        let fields = if matches!(kind, ModelKind::Enum { .. }) {
            Vec::new()
        } else {
            self.fields(module, class, &kind, inherited)
        };
        let model = &mut self.models[id.0 as usize];
        model.kind = kind;
        model.fields = fields;
        Some(id)
    }

    fn base(&mut self, module: usize, expr: &ast::Expr) -> Base {
        let target = match expr {
            ast::Expr::Subscript(s) => &*s.value,
            e => e,
        };
        match self.scopes.resolve(self.program, module, target) {
            Resolved::External(q) => match q.as_str() {
                "msgspec.Struct" => Base::Struct,
                "typing.TypedDict" => Base::TypedDict,
                "enum.Enum" => Base::Enum(EnumFlavor::Enum),
                "enum.IntEnum" => Base::Enum(EnumFlavor::IntEnum),
                "enum.StrEnum" => Base::Enum(EnumFlavor::StrEnum),
                "enum.IntFlag" | "enum.Flag" => Base::Enum(EnumFlavor::Flag),
                "builtins.str" | "builtins.int" | "builtins.object" => Base::Mixin,
                _ => Base::Other(q),
            },
            Resolved::Local {
                module: bm,
                stmt,
                kind: DefKind::Class,
                name,
            } => self
                .model_for(bm, stmt)
                .map_or(Base::Other(name), Base::Local),
            other => Base::Other(other.qualified(self.program)),
        }
    }

    fn dataclass_decorator(&mut self, module: usize, d: &ast::Expr) -> Option<DataclassOptions> {
        let (func, keywords) = match d {
            ast::Expr::Call(c) => (&*c.func, c.keywords.as_slice()),
            other => (other, &[][..]),
        };
        if self.scopes.resolve(self.program, module, func).external()
            != Some("dataclasses.dataclass")
        {
            return None;
        }
        let mut opts = DataclassOptions::default();
        for kw in keywords {
            let v = self.value(module, &kw.value);
            match (kw.arg.as_deref(), v.as_bool()) {
                (Some("frozen"), Some(b)) => opts.frozen = b,
                (Some("kw_only"), Some(b)) => opts.kw_only = b,
                _ => {}
            }
        }
        Some(opts)
    }

    fn struct_options(
        &mut self,
        module: usize,
        class: &ast::StmtClassDef,
        mut opts: StructOptions,
    ) -> StructOptions {
        let flags: &[&str] = &[
            "forbid_unknown_fields",
            "omit_defaults",
            "array_like",
            "kw_only",
            "frozen",
            "order",
            "eq",
            "repr_omit_defaults",
            "dict",
            "weakref",
            "cache_hash",
            "gc",
        ];
        let mut own = Vec::new();
        for kw in &class.keywords {
            let Some(key) = kw.arg.as_deref() else {
                continue;
            };
            let value = self.value(module, &kw.value);
            let kw_span = self.program.span(module, kw);
            own.push((key.to_string(), value.clone()));
            match key {
                k if flags.contains(&k) => {
                    let Some(b) = value.as_bool() else {
                        self.sink.report(
                            Diagnostic::new(
                                Code::PB040,
                                value.span,
                                format!("`{k}` must be True or False"),
                            )
                            .with_label(format!("found {}", value.type_name())),
                        );
                        continue;
                    };
                    match k {
                        "forbid_unknown_fields" => opts.forbid_unknown_fields = b,
                        "omit_defaults" => opts.omit_defaults = b,
                        "array_like" => opts.array_like = b,
                        "kw_only" => opts.kw_only = b,
                        "frozen" => opts.frozen = b,
                        _ => {}
                    }
                }
                "rename" => opts.rename = self.rename_style(&value),
                "tag" => match &value.kind {
                    ValueKind::Bool(true) => opts.tag = Some(TagValue::Str(class.name.to_string())),
                    ValueKind::Bool(false) | ValueKind::None => opts.tag = None,
                    ValueKind::Str(s) => opts.tag = Some(TagValue::Str(s.clone())),
                    ValueKind::Int(i) => opts.tag = Some(TagValue::Int(*i)),
                    ValueKind::Name(f) if callable_tag(f, "").is_some() => {
                        opts.tag = callable_tag(f, &class.name).map(TagValue::Str);
                    }
                    _ => self.sink.report(
                        Diagnostic::new(
                            Code::PB040,
                            value.span,
                            "`tag` must be True, a string or an int literal, or a `str` method such as `str.lower`",
                        )
                        .with_label(format!("found {}", value.type_name()))
                        .with_note("another callable tag cannot be evaluated without running the module"),
                    ),
                },
                "tag_field" => match &value.kind {
                    ValueKind::Str(s) => opts.tag_field = Some(s.clone()),
                    ValueKind::None => opts.tag_field = None,
                    _ => self.sink.report(
                        Diagnostic::new(
                            Code::PB040,
                            value.span,
                            "`tag_field` must be a string literal",
                        )
                        .with_label(format!("found {}", value.type_name())),
                    ),
                },
                _ => self.sink.report(
                    Diagnostic::new(
                        Code::PB040,
                        kw_span,
                        format!("unknown Struct option `{key}`"),
                    )
                    .with_label("msgspec.Struct does not accept this keyword")
                    .with_note("msgspec raises TypeError when the class is created"),
                ),
            }
        }
        // Keep the inherited keywords first, own ones after, for the IR dump
        // and for subclasses.
        opts.keywords
            .retain(|(k, _)| !own.iter().any(|(o, _)| o == k));
        opts.keywords.extend(own);
        // The tag as msgspec resolves it from the nearest keywords: `True`,
        // or `tag_field=` alone, tags each class with its own name; a str or
        // int tag is inherited as it is; `False` untags.
        let keyword = |name: &str| {
            opts.keywords
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.kind.clone())
        };
        let tag_field = match keyword("tag_field") {
            Some(ValueKind::Str(s)) => Some(s),
            _ => None,
        };
        opts.tag = match keyword("tag") {
            Some(ValueKind::Bool(true)) => Some(TagValue::Str(class.name.to_string())),
            Some(ValueKind::Str(s)) => Some(TagValue::Str(s)),
            Some(ValueKind::Int(i)) => Some(TagValue::Int(i)),
            // A callable tag is called with each class's own name.
            Some(ValueKind::Name(f)) if callable_tag(&f, "").is_some() => {
                callable_tag(&f, &class.name).map(TagValue::Str)
            }
            Some(ValueKind::Bool(false)) => None,
            _ => tag_field
                .as_ref()
                .map(|_| TagValue::Str(class.name.to_string())),
        };
        opts.tag_field = opts
            .tag
            .as_ref()
            .map(|_| tag_field.unwrap_or_else(|| "type".to_string()));
        opts
    }

    fn rename_style(&mut self, value: &Value) -> Option<RenameStyle> {
        match &value.kind {
            ValueKind::None => None,
            ValueKind::Str(s) => match s.as_str() {
                "lower" => Some(RenameStyle::Lower),
                "upper" => Some(RenameStyle::Upper),
                "camel" => Some(RenameStyle::Camel),
                "pascal" => Some(RenameStyle::Pascal),
                "kebab" => Some(RenameStyle::Kebab),
                other => {
                    self.sink.report(
                        Diagnostic::new(Code::PB040, value.span, format!("unknown rename style {other:?}"))
                            .with_label("not a rename style")
                            .with_help("use \"lower\", \"upper\", \"camel\", \"pascal\" or \"kebab\", or a dict"),
                    );
                    None
                }
            },
            ValueKind::Dict(pairs) => {
                let mut map = Vec::new();
                for (k, v) in pairs {
                    match (k.as_str(), v.as_str()) {
                        (Some(k), Some(v)) => map.push((k.to_string(), v.to_string())),
                        _ => self.sink.report(
                            Diagnostic::new(
                                Code::PB040,
                                v.span.cover(k.span),
                                "rename mapping entries must be strings",
                            )
                            .with_label("not a string pair"),
                        ),
                    }
                }
                Some(RenameStyle::Mapping(map))
            }
            _ => {
                self.sink.report(
                    Diagnostic::new(
                        Code::PB040,
                        value.span,
                        "`rename` must be a style name or a dict literal",
                    )
                    .with_label(format!("found {}", value.type_name()))
                    .with_note("a rename function cannot be evaluated without running the module"),
                );
                None
            }
        }
    }

    fn typed_dict_total(
        &mut self,
        module: usize,
        class: &ast::StmtClassDef,
        inherited: bool,
    ) -> bool {
        let mut total = inherited;
        for kw in &class.keywords {
            if kw.arg.as_deref() == Some("total") {
                let v = self.value(module, &kw.value);
                match v.as_bool() {
                    Some(b) => total = b,
                    None => self.sink.report(
                        Diagnostic::new(Code::PB040, v.span, "`total` must be True or False")
                            .with_label(format!("found {}", v.type_name())),
                    ),
                }
            }
        }
        total
    }

    fn enum_members(
        &mut self,
        module: usize,
        class: &ast::StmtClassDef,
        flavor: EnumFlavor,
    ) -> Vec<EnumMember> {
        let mut members = Vec::new();
        let mut last_int: i128 = 0;
        for stmt in &class.body {
            let ast::Stmt::Assign(a) = stmt else { continue };
            let [ast::Expr::Name(target)] = a.targets.as_slice() else {
                continue;
            };
            let name = target.id.to_string();
            if name.starts_with('_') {
                continue;
            }
            let span = self.program.span(module, stmt);
            let mut value = self.value(module, &a.value);
            if let ValueKind::Call { callee, .. } = &value.kind
                && callee == "enum.auto"
            {
                value.kind = match flavor {
                    EnumFlavor::StrEnum => ValueKind::Str(name.to_lowercase()),
                    // The next power of two above the last value (1 first).
                    EnumFlavor::Flag => ValueKind::Int(if last_int <= 0 {
                        1
                    } else {
                        1i128
                            .checked_shl(128 - last_int.leading_zeros())
                            .unwrap_or(i128::MAX)
                    }),
                    _ => ValueKind::Int(last_int + 1),
                };
            }
            if let ValueKind::Int(i) = value.kind {
                last_int = i;
            }
            let ok = matches!(
                (&value.kind, flavor),
                (
                    ValueKind::Int(_),
                    EnumFlavor::IntEnum | EnumFlavor::Enum | EnumFlavor::Flag
                ) | (ValueKind::Str(_), EnumFlavor::StrEnum | EnumFlavor::Enum)
            );
            if !ok {
                self.sink.report(
                    Diagnostic::new(
                        Code::PB045,
                        value.span,
                        format!("enum member `{name}` has an unsupported value"),
                    )
                    .with_label(format!("{} value", value.type_name()))
                    .with_note(
                        "msgspec encodes enums by value, which must be an int or a str literal",
                    ),
                );
            }
            members.push(EnumMember { name, value, span });
        }
        members
    }

    fn fields(
        &mut self,
        module: usize,
        class: &ast::StmtClassDef,
        kind: &ModelKind,
        inherited: Vec<Field>,
    ) -> Vec<Field> {
        let program = self.program;
        let owner = format!("{}.{}", program.modules[module].name, class.name);
        let mut fields = inherited;
        let (struct_opts, total, mut kw_only_all) = match kind {
            // `kw_only=` applies to the fields of the class that sets it,
            // not to those of its subclasses.
            ModelKind::Struct(o) => (Some(o), true, own_kw_only(class)),
            ModelKind::TypedDict { total } => (None, *total, false),
            ModelKind::Dataclass(o) => (None, true, o.kw_only),
            ModelKind::Enum { .. } => (None, true, false),
        };
        let is_typed_dict = matches!(kind, ModelKind::TypedDict { .. });
        for stmt in &class.body {
            let ast::Stmt::AnnAssign(a) = stmt else {
                continue;
            };
            let ast::Expr::Name(target) = a.target.as_ref() else {
                continue;
            };
            let name = target.id.to_string();
            let span = program.span(module, stmt);

            // Qualifiers: ClassVar skips, KW_ONLY switches, NotRequired/Required.
            let mut annotation = a.annotation.as_ref();
            let mut required_override = None;
            loop {
                let ast::Expr::Subscript(sub) = annotation else {
                    if self.scopes.resolve(program, module, annotation).external()
                        == Some("dataclasses.KW_ONLY")
                    {
                        kw_only_all = true;
                    }
                    break;
                };
                match self.scopes.resolve(program, module, &sub.value).external() {
                    Some("typing.ClassVar") => {
                        required_override = Some(None);
                        break;
                    }
                    Some("typing.NotRequired") | Some("typing.Required") if is_typed_dict => {
                        let req = self.scopes.resolve(program, module, &sub.value).external()
                            == Some("typing.Required");
                        required_override = Some(Some(req));
                        annotation = subscript_args(&sub.slice)[0];
                    }
                    _ => break,
                }
            }
            if required_override == Some(None) {
                continue;
            }
            if self.scopes.resolve(program, module, annotation).external()
                == Some("dataclasses.KW_ONLY")
            {
                continue;
            }
            let ty = self.lower_type(module, annotation);
            let (default, explicit_name) = match &a.value {
                None => (FieldDefault::Required, None),
                Some(v) => self.field_default(module, v),
            };
            if is_typed_dict && !matches!(default, FieldDefault::Required) {
                self.sink.report(
                    Diagnostic::new(
                        Code::PB041,
                        program.span(module, a.value.as_deref().expect("has value")),
                        "TypedDict fields cannot have defaults",
                    )
                    .with_label("ignored: the key is still required")
                    .with_help("use NotRequired[...] or `total=False` for optional keys"),
                );
            }
            if let FieldDefault::Value(v) = &default
                && is_nonempty_mutable(v)
            {
                self.sink.report(
                    Diagnostic::new(Code::PB049, v.span, "non-empty mutable default")
                        .with_label("shared between every instance")
                        .with_help("use `msgspec.field(default_factory=...)` instead"),
                );
            }
            let required = if is_typed_dict {
                required_override.flatten().unwrap_or(total)
            } else {
                matches!(default, FieldDefault::Required)
            };
            let wire_name = explicit_name.unwrap_or_else(|| {
                struct_opts
                    .and_then(|o| o.rename.as_ref())
                    .map_or_else(|| name.clone(), |r| rename(&name, r))
            });
            let field = Field {
                name: name.clone(),
                wire_name,
                ty,
                default,
                required,
                kw_only: kw_only_all,
                declared_in: owner.clone(),
                span,
            };
            // A redefinition in a subclass replaces the inherited field in place.
            if let Some(existing) = fields.iter_mut().find(|f| f.name == name) {
                *existing = field;
            } else {
                fields.push(field);
            }
        }
        // Renames configured on a subclass apply to inherited fields too.
        if let Some(style) = struct_opts.and_then(|o| o.rename.as_ref()) {
            for f in &mut fields {
                if f.declared_in != owner && f.wire_name == f.name {
                    f.wire_name = rename(&f.name, style);
                }
            }
        }
        fields
    }

    /// Reads `= value`, `= msgspec.field(...)` or `= dataclasses.field(...)`:
    /// the default, and an explicit wire name.
    fn field_default(&mut self, module: usize, expr: &ast::Expr) -> (FieldDefault, Option<String>) {
        let value = self.value(module, expr);
        let ValueKind::Call { callee, kwargs, .. } = &value.kind else {
            return (FieldDefault::Value(value), None);
        };
        if callee != "msgspec.field" && callee != "dataclasses.field" {
            return (FieldDefault::Value(value), None);
        }
        let mut default = FieldDefault::Required;
        let mut name = None;
        for (k, v) in kwargs {
            match k.as_str() {
                "default" => default = FieldDefault::Value(v.clone()),
                "default_factory" => default = FieldDefault::Factory(v.clone()),
                "name" => match &v.kind {
                    ValueKind::Str(s) => name = Some(s.clone()),
                    ValueKind::None => {}
                    _ => self.sink.report(
                        Diagnostic::new(Code::PB040, v.span, "`name` must be a string literal")
                            .with_label(format!("found {}", v.type_name())),
                    ),
                },
                _ => {}
            }
        }
        (default, name)
    }

    /// The span of `name` in a `class name` / `def name` statement.
    pub(crate) fn name_span(
        &self,
        stmt: crate::source::Span,
        keyword: &str,
        name: &str,
    ) -> crate::source::Span {
        let text = self.text(stmt);
        // Skip decorators: find the keyword followed by the name.
        let needle = format!("{keyword} {name}");
        match text.find(&needle) {
            Some(i) => {
                let start = stmt.start + u32::try_from(i + keyword.len() + 1).unwrap_or(0);
                crate::source::Span::new(
                    stmt.file,
                    start,
                    start + u32::try_from(name.len()).unwrap_or(0),
                )
            }
            None => stmt,
        }
    }
}

/// Whether the class statement itself says `kw_only=True`.
fn own_kw_only(class: &ast::StmtClassDef) -> bool {
    class.keywords.iter().any(|k| {
        k.arg.as_deref() == Some("kw_only")
            && matches!(&k.value, ast::Expr::Constant(c) if matches!(c.value, ast::Constant::Bool(true)))
    })
}

fn is_nonempty_mutable(v: &Value) -> bool {
    match &v.kind {
        ValueKind::List(items) | ValueKind::Set(items) => !items.is_empty(),
        ValueKind::Dict(items) => !items.is_empty(),
        _ => false,
    }
}

/// Python's `str.title()` on one word.
fn title(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut prev_cased = false;
    for c in word.chars() {
        if prev_cased {
            out.extend(c.to_lowercase());
        } else {
            out.extend(c.to_uppercase());
        }
        prev_cased = c.is_alphabetic();
    }
    out
}

/// The wire name msgspec gives `name` under a rename style.
pub(crate) fn rename(name: &str, style: &RenameStyle) -> String {
    let trimmed = name.trim_start_matches('_');
    let prefix = &name[..name.len() - trimmed.len()];
    let parts: Vec<&str> = trimmed.split('_').filter(|p| !p.is_empty()).collect();
    match style {
        RenameStyle::Lower => name.to_lowercase(),
        RenameStyle::Upper => name.to_uppercase(),
        RenameStyle::Kebab => name.trim_matches('_').replace('_', "-"),
        RenameStyle::Camel => {
            let mut out = prefix.to_string();
            for (i, p) in parts.iter().enumerate() {
                if i == 0 {
                    out.push_str(p);
                } else {
                    out.push_str(&title(p));
                }
            }
            out
        }
        RenameStyle::Pascal => {
            let mut out = prefix.to_string();
            for p in &parts {
                out.push_str(&title(p));
            }
            out
        }
        RenameStyle::Mapping(map) => map
            .iter()
            .find(|(k, _)| k == name)
            .map_or_else(|| name.to_string(), |(_, v)| v.clone()),
    }
}

/// A `tag=` callable the compiler can apply to a class name (`str.lower`,
/// `str.upper`, `str.casefold`...): msgspec calls it with the class's name.
fn callable_tag(callee: &str, class_name: &str) -> Option<String> {
    let method = callee
        .strip_prefix("builtins.str.")
        .or_else(|| callee.strip_prefix("str."))?;
    Some(match method {
        "lower" | "casefold" => class_name.to_lowercase(),
        "upper" => class_name.to_uppercase(),
        "swapcase" => class_name
            .chars()
            .map(|c| {
                if c.is_lowercase() {
                    c.to_uppercase().collect::<String>()
                } else {
                    c.to_lowercase().collect()
                }
            })
            .collect(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_match_msgspec() {
        // Expected values produced by msgspec 0.22 (`defstruct(..., rename=style)`).
        let names = [
            "field_name",
            "_private",
            "a__b",
            "HTTPCode",
            "x1_y",
            "already_camelCase",
            "trailing_",
            "y2z_a2b_c",
            "__x_y__",
        ];
        let camel = [
            "fieldName",
            "_private",
            "aB",
            "HTTPCode",
            "x1Y",
            "alreadyCamelcase",
            "trailing",
            "y2zA2BC",
            "__xY",
        ];
        let pascal = [
            "FieldName",
            "_Private",
            "AB",
            "Httpcode",
            "X1Y",
            "AlreadyCamelcase",
            "Trailing",
            "Y2ZA2BC",
            "__XY",
        ];
        let kebab = [
            "field-name",
            "private",
            "a--b",
            "HTTPCode",
            "x1-y",
            "already-camelCase",
            "trailing",
            "y2z-a2b-c",
            "x-y",
        ];
        for (i, n) in names.iter().enumerate() {
            assert_eq!(rename(n, &RenameStyle::Camel), camel[i], "camel {n}");
            assert_eq!(rename(n, &RenameStyle::Pascal), pascal[i], "pascal {n}");
            assert_eq!(rename(n, &RenameStyle::Kebab), kebab[i], "kebab {n}");
        }
    }
}
