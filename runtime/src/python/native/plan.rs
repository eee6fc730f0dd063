//! The native decoder's plan for one body type, built at start-up from
//! `msgspec.inspect.type_info(T)`, so it describes the type as msgspec
//! sees it (renames, defaults, constraints). A type with anything else
//! (tags, `array_like`, `__post_init__`, dicts, unions other than
//! `T | None`, dates...) gets no plan: msgspec decodes it.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::constraint::{FloatBounds, IntBounds, Length};
use crate::json::parse::QuotedKey;

/// A decoding plan for one body type.
pub(crate) struct Plan {
    pub(super) nodes: Vec<Node>,
    pub(super) structs: Vec<StructPlan>,
    pub(super) root: usize,
}

pub(super) enum Node {
    /// `str`, `int`, `float` without constraints (the common case, which
    /// skips the checks).
    PlainStr,
    PlainInt,
    PlainFloat,
    Str {
        len: Length,
        /// `re.compile(pattern).search`.
        pattern: Option<Py<PyAny>>,
    },
    Int(IntBounds),
    Float(FloatBounds),
    Bool,
    None,
    Optional(usize),
    List {
        item: usize,
        len: Length,
    },
    Struct(usize),
}

pub(super) struct StructPlan {
    /// The class (kept alive by `_cls`: the class, or the generic alias
    /// `Page[Item]` over it).
    pub(super) tp: *mut ffi::PyTypeObject,
    pub(super) _cls: Py<PyAny>,
    pub(super) fields: Vec<FieldPlan>,
    pub(super) forbid_unknown: bool,
    pub(super) is_gc: bool,
}

pub(super) struct FieldPlan {
    /// The JSON key (the encoded field name).
    pub(super) key: Box<[u8]>,
    /// `"key":`, as a body spells the key written plainly and followed
    /// directly by its colon.
    pub(super) quoted: QuotedKey,
    pub(super) node: usize,
    /// The slot's offset in the instance.
    pub(super) offset: isize,
    pub(super) default: Default,
}

pub(super) enum Default {
    Required,
    Value(Py<PyAny>),
    Factory(Py<PyAny>),
}

// SAFETY: `tp` points at a class kept alive by `_cls`; plans are only used
// with the GIL held and never mutated after start-up.
unsafe impl Send for StructPlan {}
// SAFETY: as above.
unsafe impl Sync for StructPlan {}

impl Plan {
    /// A plan for `ty`, or `None` when msgspec should decode it.
    pub(crate) fn build(py: Python<'_>, ty: &Bound<'_, PyAny>) -> PyResult<Option<Plan>> {
        let info = py
            .import("msgspec.inspect")?
            .call_method1("type_info", (ty,))?;
        let mut b = Builder {
            py,
            plan: Plan {
                nodes: Vec::new(),
                structs: Vec::new(),
                root: 0,
            },
            seen: Vec::new(),
        };
        match b.node(&info)? {
            Some(root) if matches!(b.plan.nodes[root], Node::Struct(_) | Node::List { .. }) => {
                b.plan.root = root;
                Ok(Some(b.plan))
            }
            _ => Ok(None),
        }
    }
}

struct Builder<'py> {
    pub(super) py: Python<'py>,
    pub(super) plan: Plan,
    /// Struct classes already planned: (class pointer, struct index).
    pub(super) seen: Vec<(*mut ffi::PyObject, usize)>,
}

fn opt_i64(v: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if v.is_none() {
        Ok(None)
    } else {
        v.extract().map(Some)
    }
}

fn opt_f64(v: &Bound<'_, PyAny>) -> PyResult<Option<f64>> {
    if v.is_none() {
        Ok(None)
    } else {
        v.extract().map(Some)
    }
}

fn opt_usize(v: &Bound<'_, PyAny>) -> PyResult<Option<usize>> {
    if v.is_none() {
        Ok(None)
    } else {
        v.extract().map(Some)
    }
}

impl Builder<'_> {
    fn push(&mut self, n: Node) -> usize {
        let n = match n {
            Node::Str { len, pattern: None } if len.is_empty() => Node::PlainStr,
            Node::Int(b) if b.is_empty() => Node::PlainInt,
            Node::Float(b) if b.is_empty() => Node::PlainFloat,
            n => n,
        };
        self.plan.nodes.push(n);
        self.plan.nodes.len() - 1
    }

    /// The node of a `msgspec.inspect` type, or `None` if not supported.
    fn node(&mut self, info: &Bound<'_, PyAny>) -> PyResult<Option<usize>> {
        let kind = info.get_type().name()?.to_string();
        let get = |name: &str| info.getattr(name);
        Ok(Some(match kind.as_str() {
            "Metadata" => return self.node(&get("type")?),
            "StrType" => {
                let pattern = get("pattern")?;
                let pattern = if pattern.is_none() {
                    None
                } else {
                    let re = self.py.import("re")?;
                    Some(
                        re.call_method1("compile", (pattern,))?
                            .getattr("search")?
                            .unbind(),
                    )
                };
                self.push(Node::Str {
                    len: Length {
                        min: opt_usize(&get("min_length")?)?,
                        max: opt_usize(&get("max_length")?)?,
                    },
                    pattern,
                })
            }
            "IntType" => {
                let Some(bounds) = IntBounds::fold(
                    opt_i64(&get("ge")?)?,
                    opt_i64(&get("gt")?)?,
                    opt_i64(&get("le")?)?,
                    opt_i64(&get("lt")?)?,
                    opt_i64(&get("multiple_of")?)?,
                ) else {
                    return Ok(None);
                };
                self.push(Node::Int(bounds))
            }
            "FloatType" => self.push(Node::Float(FloatBounds {
                ge: opt_f64(&get("ge")?)?,
                gt: opt_f64(&get("gt")?)?,
                le: opt_f64(&get("le")?)?,
                lt: opt_f64(&get("lt")?)?,
                multiple_of: opt_f64(&get("multiple_of")?)?,
            })),
            "BoolType" => self.push(Node::Bool),
            "NoneType" => self.push(Node::None),
            "UnionType" => {
                let types: Vec<Bound<'_, PyAny>> = get("types")?.extract()?;
                let names = types
                    .iter()
                    .map(|t| Ok(t.get_type().name()?.to_string()))
                    .collect::<PyResult<Vec<_>>>()?;
                let [a, b] = names.as_slice() else {
                    return Ok(None);
                };
                let inner = match (a.as_str(), b.as_str()) {
                    ("NoneType", "NoneType") => return Ok(None),
                    (_, "NoneType") => &types[0],
                    ("NoneType", _) => &types[1],
                    _ => return Ok(None),
                };
                let Some(inner) = self.node(inner)? else {
                    return Ok(None);
                };
                self.push(Node::Optional(inner))
            }
            "ListType" => {
                let Some(item) = self.node(&get("item_type")?)? else {
                    return Ok(None);
                };
                self.push(Node::List {
                    item,
                    len: Length {
                        min: opt_usize(&get("min_length")?)?,
                        max: opt_usize(&get("max_length")?)?,
                    },
                })
            }
            "StructType" => return self.structure(info),
            _ => return Ok(None),
        }))
    }

    fn structure(&mut self, info: &Bound<'_, PyAny>) -> PyResult<Option<usize>> {
        // `cls` is the class, or for a generic Struct with arguments
        // (`Page[Item]`) the alias: each alias is planned on its own (its
        // fields' types differ), over the class its instances have.
        let alias = info.getattr("cls")?;
        if let Some(&(_, s)) = self.seen.iter().find(|(p, _)| *p == alias.as_ptr()) {
            return Ok(Some(self.push(Node::Struct(s))));
        }
        let cls = match alias.getattr_opt("__origin__")? {
            Some(origin) if !alias.is_instance_of::<pyo3::types::PyType>() => origin,
            _ => alias.clone(),
        };
        if !cls.is_instance_of::<pyo3::types::PyType>() {
            return Ok(None);
        }
        let tagged = !info.getattr("tag_field")?.is_none();
        let array_like: bool = info.getattr("array_like")?.extract()?;
        let post_init = cls.getattr_opt("__post_init__")?.is_some();
        if tagged || array_like || post_init {
            return Ok(None);
        }
        let s = self.plan.structs.len();
        let tp = cls.as_ptr().cast::<ffi::PyTypeObject>();
        // SAFETY: reading the flags of a type object.
        let is_gc = unsafe { (*tp).tp_flags & ffi::Py_TPFLAGS_HAVE_GC != 0 };
        self.plan.structs.push(StructPlan {
            tp,
            _cls: alias.clone().unbind(),
            fields: Vec::new(),
            forbid_unknown: info.getattr("forbid_unknown_fields")?.extract()?,
            is_gc,
        });
        self.seen.push((alias.as_ptr(), s));
        let names: Vec<String> = cls.getattr("__struct_fields__")?.extract()?;
        let defaults = cls.getattr("__struct_defaults__")?.cast_into::<PyTuple>()?;
        let factory_cls = self.py.import("msgspec._core")?.getattr("Factory")?;
        let nodefault = self.py.import("msgspec")?.getattr("NODEFAULT")?;
        let first_default = names.len() - defaults.len();
        let fields: Vec<Bound<'_, PyAny>> = info.getattr("fields")?.extract()?;
        if fields.len() != names.len() {
            return Ok(None);
        }
        let mut planned = Vec::with_capacity(names.len());
        for (i, (name, f)) in names.iter().zip(&fields).enumerate() {
            let field_name: String = f.getattr("name")?.extract()?;
            if field_name != *name {
                return Ok(None);
            }
            let key: String = f.getattr("encode_name")?.extract()?;
            let Some(offset) = super::super::encode::slot_offset(&cls, name) else {
                return Ok(None);
            };
            let Some(node) = self.node(&f.getattr("type")?)? else {
                return Ok(None);
            };
            let default = if i < first_default {
                Default::Required
            } else {
                let d = defaults.get_item(i - first_default)?;
                if d.is_instance(&factory_cls)? {
                    Default::Factory(d.getattr("factory")?.unbind())
                } else if d.is(&nodefault) {
                    // A required keyword-only field after defaulted ones.
                    Default::Required
                } else {
                    Default::Value(d.unbind())
                }
            };
            planned.push(FieldPlan {
                quoted: QuotedKey::new(&key),
                key: key.into_bytes().into_boxed_slice(),
                node,
                offset,
                default,
            });
        }
        self.plan.structs[s].fields = planned;
        Ok(Some(self.push(Node::Struct(s))))
    }
}
