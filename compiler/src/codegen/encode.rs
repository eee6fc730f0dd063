//! Per-type encoders: one function per distinct declared return type (and
//! each type inside it), calling the runtime's `__private::enc` (the encoders
//! of `runtime/src/python/encode/`), and the `App::models` entry of each
//! Struct, dataclass or TypedDict a response reaches.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::app::Gen;
use super::decode::as_i64;
use super::{names, pytype};
use crate::ir::{Constraints, Literal as Lit, ModelId, ModelKind, Number, Ty, TyKind};

/// A type without its `Annotated` layers, and their constraints merged
/// (the outer layer wins, as msgspec merges nested `Meta`s).
fn flatten(ty: &Ty) -> (Ty, Constraints) {
    match &ty.kind {
        TyKind::Constrained(inner, c) => {
            let (base, mut merged) = flatten(inner);
            merged.merge(c);
            (base, merged)
        }
        _ => (ty.clone(), Constraints::default()),
    }
}

impl Gen<'_> {
    /// The encoder function of a declared type (one per distinct type,
    /// named before its body is generated so recursive models can refer
    /// to themselves).
    pub(super) fn encoder(&mut self, ty: &Ty) -> proc_macro2::Ident {
        self.encoder_for(ty, None)
    }

    /// [`Self::encoder`], for the field `field` of the model `model` when
    /// given: a constrained type's encoder is named after the field that
    /// declares it (`encode_User_name`), others after their type.
    fn encoder_for(&mut self, ty: &Ty, field: Option<(&str, &str)>) -> proc_macro2::Ident {
        let key = pytype::expr(self.ir, ty);
        if let Some((_, id, _)) = self.encoders.iter().find(|(k, _, _)| *k == key) {
            return id.clone();
        }
        let described = names::describe(self.ir, ty);
        let (base, doc) = match field {
            Some((model, field)) if !flatten(ty).1.is_empty() => (
                format!("encode_{model}_{field}"),
                format!(" Encodes the field `{model}.{field}`: `{described}`."),
            ),
            _ => (
                format!("encode_{}", names::type_slug(self.ir, ty)),
                format!(" Encodes `{described}`."),
            ),
        };
        let id = self.names.claim(&base);
        let slot = self.encoders.len();
        self.encoders.push((key, id.clone(), None));
        let body = self.enc_body(ty);
        let pb = &self.pb;
        self.encoders[slot].2 = Some(quote! {
            #[doc = #doc]
            fn #id(v: #pb::Obj<'_>, o: &mut Vec<u8>) -> Result<(), #pb::Mismatch> {
                #body
            }
        });
        id
    }

    /// The encoder of a dict key of type `ty`: the value's text as a JSON
    /// string (`1` becomes `"1"`), as msgspec writes keys.
    fn key_encoder(&mut self, ty: &Ty) -> TokenStream {
        let pb = self.pb.clone();
        if ty.unconstrained().kind == TyKind::Str && ty.constraints().is_none() {
            return quote!(#pb::enc::key_str);
        }
        if ty.unconstrained().kind == TyKind::Float && ty.constraints().is_none() {
            return quote!(#pb::enc::key_float);
        }
        let inner = self.encoder(ty);
        quote!(|v, o: &mut Vec<u8>| #pb::enc::key_quoted(v, o, #inner))
    }

    /// The body of a type's encoder function, over `v` and `o`.
    fn enc_body(&mut self, ty: &Ty) -> TokenStream {
        let pb = self.pb.clone();
        let enc = quote!(#pb::enc);
        let (base, c) = flatten(ty);
        let len = |c: &Constraints| {
            let n = |b: &Option<crate::ir::Bound<i128>>| match b {
                Some(b) => {
                    let n = usize::try_from(b.value).unwrap_or(0);
                    quote!(Some(#n))
                }
                None => quote!(None),
            };
            (n(&c.min_length), n(&c.max_length))
        };
        match &base.kind {
            TyKind::Str if c.is_empty() => quote!(#enc::str(v, o)),
            TyKind::Str => {
                let (min, max) = len(&c);
                let pattern = match &c.pattern {
                    Some(p) => {
                        let i = usize::from(self.patterns.index(p.value.clone()));
                        quote!(Some(#i))
                    }
                    None => quote!(None),
                };
                quote!(#enc::str_in(v, o, &#enc::StrBounds { min: #min, max: #max, pattern: #pattern }))
            }
            TyKind::Int if c.is_empty() => quote!(#enc::int(v, o)),
            TyKind::Int => {
                let opt = |x: Option<i64>| match x {
                    Some(n) => quote!(Some(#n)),
                    None => quote!(None),
                };
                let int = |b: &Option<crate::ir::Bound<Number>>, d: i64| {
                    b.as_ref()
                        .and_then(|b| as_i64(b.value))
                        .and_then(|n| n.checked_add(d))
                };
                let ge = opt(int(&c.ge, 0).or_else(|| int(&c.gt, 1)));
                let le = opt(int(&c.le, 0).or_else(|| int(&c.lt, -1)));
                let mo = opt(int(&c.multiple_of, 0));
                quote!(#enc::int_in(v, o, &#enc::IntBounds { ge: #ge, le: #le, multiple_of: #mo }))
            }
            TyKind::Float if c.is_empty() => quote!(#enc::float(v, o)),
            TyKind::Float => {
                let f = |b: &Option<crate::ir::Bound<Number>>| match b {
                    Some(b) => {
                        let x = Literal::f64_suffixed(b.value.as_f64());
                        quote!(Some(#x))
                    }
                    None => quote!(None),
                };
                let (ge, gt, le, lt, mo) =
                    (f(&c.ge), f(&c.gt), f(&c.le), f(&c.lt), f(&c.multiple_of));
                quote!(#enc::float_in(v, o, &#enc::FloatBounds { ge: #ge, gt: #gt, le: #le, lt: #lt, multiple_of: #mo }))
            }
            TyKind::Bool => quote!(#enc::bool(v, o)),
            TyKind::None => quote!(#enc::none(v, o)),
            TyKind::Bytes | TyKind::ByteArray | TyKind::MemoryView => {
                let (min, max) = len(&c);
                quote!(#enc::bytes_in(v, o, #min, #max))
            }
            TyKind::DateTime | TyKind::Time => {
                let tz = match &c.tz {
                    Some(b) => {
                        let t = b.value;
                        quote!(Some(#t))
                    }
                    None => quote!(None),
                };
                if base.kind == TyKind::DateTime {
                    quote!(#enc::leaf(v, o, #enc::Leaf::DateTime(#tz)))
                } else {
                    quote!(#enc::leaf(v, o, #enc::Leaf::Time(#tz)))
                }
            }
            TyKind::Date => quote!(#enc::leaf(v, o, #enc::Leaf::Date)),
            TyKind::TimeDelta => quote!(#enc::leaf(v, o, #enc::Leaf::TimeDelta)),
            TyKind::Uuid => quote!(#enc::leaf(v, o, #enc::Leaf::Uuid)),
            TyKind::Decimal => quote!(#enc::leaf(v, o, #enc::Leaf::Decimal)),
            TyKind::List(item) | TyKind::VarTuple(item) => {
                let f = self.encoder(item);
                let (min, max) = len(&c);
                quote!(#enc::list_in(v, o, #min, #max, #f))
            }
            TyKind::Set(item) | TyKind::FrozenSet(item) => {
                let f = self.encoder(item);
                let (min, max) = len(&c);
                quote!(#enc::set_in(v, o, #min, #max, #f))
            }
            TyKind::Tuple(items) => {
                let fs: Vec<_> = items.iter().map(|t| self.encoder(t)).collect();
                quote!(#enc::tuple(v, o, &[#(#fs),*]))
            }
            TyKind::Dict(k, val) => {
                let kf = self.key_encoder(k);
                let vf = self.encoder(val);
                let (min, max) = len(&c);
                quote!(#enc::dict_in(v, o, #min, #max, #kf, #vf))
            }
            // An UNSET field is left out before its encoder runs: the
            // encoder is the rest of the union's.
            TyKind::Union(items) if items.iter().any(|t| t.kind == TyKind::Unset) => {
                let rest: Vec<Ty> = items
                    .iter()
                    .filter(|t| t.kind != TyKind::Unset)
                    .cloned()
                    .collect();
                let f = match rest.len() {
                    0 => return quote!(#enc::unset(v, o)),
                    1 => self.encoder(&rest[0]),
                    _ => self.encoder(&Ty::new(TyKind::Union(rest), base.span)),
                };
                quote!(#f(v, o))
            }
            TyKind::Unset => quote!(#enc::unset(v, o)),
            TyKind::Raw => quote!(#enc::raw(v, o)),
            TyKind::Union(items)
                if items.len() == 2 && items.iter().any(|t| t.kind == TyKind::None) =>
            {
                let inner = items
                    .iter()
                    .find(|t| t.kind != TyKind::None)
                    .expect("two members");
                let f = self.encoder(inner);
                quote!(#enc::optional(v, o, #f))
            }
            TyKind::Union(items) => {
                // `float`, then `Decimal`, last: a number is one of them
                // only when no other member takes it, as msgspec prefers
                // (`msgspec.convert(3, float | int)` is `3`).
                let rank = |t: &&Ty| match t.unconstrained().kind {
                    TyKind::Float => 1,
                    TyKind::Decimal => 2,
                    _ => 0,
                };
                let mut ordered: Vec<&Ty> = items.iter().collect();
                ordered.sort_by_key(rank);
                let fs: Vec<_> = ordered.into_iter().map(|t| self.encoder(t)).collect();
                quote!(#enc::union(v, o, &[#(#fs),*]))
            }
            TyKind::Literal(values) => {
                let strs = values.iter().filter_map(|l| match l {
                    Lit::Str(s) => Some(s.as_str()),
                    _ => None,
                });
                let ints = values.iter().filter_map(|l| match l {
                    Lit::Int(i) => i64::try_from(*i).ok(),
                    _ => None,
                });
                let bools = values.iter().filter_map(|l| match l {
                    Lit::Bool(b) => Some(*b),
                    _ => None,
                });
                let none = values.iter().any(|l| matches!(l, Lit::None));
                quote!(#enc::literal(v, o, &#enc::Literal {
                    strs: &[#(#strs),*],
                    ints: &[#(#ints),*],
                    bools: &[#(#bools),*],
                    none: #none,
                }))
            }
            TyKind::Model(id) if self.ir.model(*id).is_enum() => {
                let idx = self.types.index(pytype::expr(self.ir, &base));
                quote!(#enc::enumeration(v, o, #idx))
            }
            TyKind::Model(id) => {
                let idx = self.model_plan(*id);
                quote!(#enc::model(v, o, #idx))
            }
            TyKind::Any
            | TyKind::Unknown
            | TyKind::Request
            | TyKind::UploadFile
            | TyKind::Response
            | TyKind::Constrained(..) => quote!(#enc::any(v, o)),
        }
    }

    /// The index in `App::models` of a Struct, dataclass, NamedTuple or TypedDict.
    pub(super) fn model_plan(&mut self, id: ModelId) -> u16 {
        if let Some(i) = self.models.iter().position(|(m, _)| *m == id) {
            return u16::try_from(i).expect("fewer than 65536 models");
        }
        let slot = self.models.len();
        self.models.push((id, None));
        let ir = self.ir;
        let m = ir.model(id);
        let pb = self.pb.clone();
        let enc = quote!(#pb::enc);
        let ty = self.types.index(pytype::class(ir, id));
        let kind = match m.kind {
            ModelKind::Struct(_) => quote!(#enc::ModelKind::Struct),
            ModelKind::Dataclass(_) => quote!(#enc::ModelKind::Dataclass),
            ModelKind::NamedTuple => quote!(#enc::ModelKind::NamedTuple),
            ModelKind::TypedDict { .. } | ModelKind::Enum { .. } => {
                quote!(#enc::ModelKind::TypedDict)
            }
        };
        let fields: Vec<_> = m
            .fields
            .iter()
            .map(|f| {
                let name = f.name.as_str();
                let e = self.encoder_for(&f.ty, Some((&m.name, name)));
                quote!(#enc::Field { name: #name, enc: #e })
            })
            .collect();
        self.models[slot].1 = Some(quote! {
            #enc::Model { ty: #ty, kind: #kind, fields: &[#(#fields),*] }
        });
        u16::try_from(slot).expect("fewer than 65536 models")
    }
}
