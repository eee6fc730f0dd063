//! Generates the router function from a [`RouterPlan`]: a perfect-hash
//! lookup for static paths and one function per trie node for dynamic ones.
//!
//! The generated function has the runtime's `Router` signature:
//! `fn(Method, &[u8], &mut Captures) -> Match`. It names the runtime's
//! types through a path given by the caller (`pb`, the generated program's
//! alias of `::prebake::__private`).

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::names::{Names, sanitize};
use super::router_plan::RouterPlan;
use crate::ir::HttpMethod;

/// The "no route" answer of the generated node functions, by name.
const NONE: &str = "NO_ROUTE";

/// The runtime's `Method` variant for an IR method.
pub(crate) fn method_tokens(pb: &TokenStream, m: HttpMethod) -> TokenStream {
    let id = format_ident!(
        "{}",
        match m {
            HttpMethod::Get => "Get",
            HttpMethod::Head => "Head",
            HttpMethod::Post => "Post",
            HttpMethod::Put => "Put",
            HttpMethod::Patch => "Patch",
            HttpMethod::Delete => "Delete",
            HttpMethod::Options => "Options",
        }
    );
    quote!(#pb::Method::#id)
}

fn u16_lit(n: usize) -> Literal {
    Literal::u16_suffixed(u16::try_from(n).expect("fewer than 65535 routes"))
}

/// `match m { Method::Get => return R, ... _ => record 405 }` for a template,
/// as an expression yielding a route id or `NONE`.
fn endpoint(plan: &RouterPlan, pb: &TokenStream, t: usize) -> TokenStream {
    let arms = plan.templates[t].routes.iter().map(|&r| {
        let m = method_tokens(pb, plan.routes[r].method);
        let id = u16_lit(r);
        quote!(#m => #id,)
    });
    let first = u16_lit(plan.templates[t].routes[0]);
    let none = format_ident!("{}", NONE);
    quote! {
        match m {
            #(#arms)*
            _ => {
                if *na == #none { *na = #first; }
                #none
            }
        }
    }
}

/// Generates the router as a function named `name`, the trie node
/// functions it calls and the `NO_ROUTE` constant, naming the runtime's
/// router types as `#pb::Method` and so on.
#[must_use]
pub fn generate(plan: &RouterPlan, pb: &TokenStream, name: &Ident) -> TokenStream {
    let none = format_ident!("{}", NONE);
    let max = plan.max_params.max(1);
    // Node functions are the only `node_*` items: their names are unique
    // among themselves.
    let (node_names, node_docs) = node_names(plan, &mut Names::default());
    // Without a dynamic route the trie is never walked: no node functions
    // (they would be dead code in the app's crate).
    let has_dynamic = !(plan.nodes[0].statics.is_empty()
        && plan.nodes[0].param.is_none()
        && plan.nodes[0].catch_all.is_none());
    let walked = if has_dynamic { plan.nodes.len() } else { 0 };
    let node_fns = plan.nodes.iter().take(walked).enumerate().map(|(i, n)| {
        let fname = &node_names[i];
        let doc = &node_docs[i];
        let statics = n.statics.iter().map(|(text, child)| {
            let bytes = Literal::byte_string(text.as_bytes());
            let on_last = match plan.nodes[*child].endpoint {
                Some(t) => endpoint(plan, pb, t),
                None => quote!(#none),
            };
            let child_fn = &node_names[*child];
            quote! {
                #bytes => {
                    let r = if last { #on_last } else { #child_fn(p, end + 1, sp, m, na) };
                    if r != #none { return r; }
                }
            }
        });
        let static_match = if n.statics.is_empty() {
            quote!()
        } else {
            quote!(match seg { #(#statics)* _ => {} })
        };
        let depth = n.depth;
        let param = n.param.map(|child| {
            let on_last = match plan.nodes[child].endpoint {
                Some(t) => endpoint(plan, pb, t),
                None => quote!(#none),
            };
            let child_fn = &node_names[child];
            quote! {
                if !seg.is_empty() {
                    sp[#depth] = (pos, end);
                    let r = if last { #on_last } else { #child_fn(p, end + 1, sp, m, na) };
                    if r != #none { return r; }
                }
            }
        });
        let catch_all = n.catch_all.map(|t| {
            let ep = endpoint(plan, pb, t);
            quote! {
                sp[#depth] = (pos, p.len());
                #ep
            }
        });
        // A catch-all is the last resort: its answer ends the function.
        let tail = catch_all.unwrap_or_else(|| quote!(#none));
        let uses_seg = !n.statics.is_empty() || n.param.is_some();
        let seg_binding = if uses_seg {
            quote! {
                let end = match p[pos..].iter().position(|&b| b == b'/') { Some(i) => pos + i, None => p.len() };
                let seg = &p[pos..end];
                let last = end == p.len();
            }
        } else {
            quote!()
        };
        quote! {
            #[doc = #doc]
            #[allow(unused_variables, clippy::needless_return)]
            #[inline]
            fn #fname(p: &[u8], pos: usize, sp: &mut [(usize, usize); #max], m: #pb::Method, na: &mut u16) -> u16 {
                #seg_binding
                #static_match
                #param
                #tail
            }
        }
    });

    // Static paths: one hash, one table read, one comparison.
    let static_lookup = if plan.static_keys.is_empty() {
        quote!()
    } else {
        let seed = plan.table.seed;
        let bits = plan.table.bits;
        let buckets = u32::try_from(plan.table.displacements.len()).expect("few buckets");
        let disp = plan.table.displacements.iter();
        let n_disp = plan.table.displacements.len();
        let arms = plan
            .table
            .slots
            .iter()
            .enumerate()
            .filter_map(|(slot, key)| {
                let k = (*key)?;
                let bytes = Literal::byte_string(plan.static_keys[k].as_bytes());
                let ep = endpoint(plan, pb, plan.static_templates[k]);
                Some(quote! {
                    #slot => if p == #bytes {
                        let r = #ep;
                        if r != #none { return #pb::Match::Route(r); }
                    },
                })
            });
        // Paths whose length no static path has skip the hash: most requests
        // to a mostly-dynamic API never pay for it.
        let mut lengths = [0u64; 4];
        let mut long = false;
        for k in &plan.static_keys {
            match k.len() {
                n @ 0..256 => lengths[n / 64] |= 1 << (n % 64),
                _ => long = true,
            }
        }
        let [l0, l1, l2, l3] = lengths;
        let length_filter = if long {
            quote!(true)
        } else {
            quote!({
                static LENGTHS: [u64; 4] = [#l0, #l1, #l2, #l3];
                let n = p.len();
                n < 256 && LENGTHS[n / 64] & (1u64 << (n % 64)) != 0
            })
        };
        quote! {
            static DISPLACEMENTS: [u32; #n_disp] = [#(#disp),*];
            if #length_filter {
            let h = #pb::phash(p, #seed);
            let b = #pb::phash_bucket(h, #buckets);
            match #pb::phash_slot(h, DISPLACEMENTS[b], #bits) {
                #(#arms)*
                _ => {}
            }
            }
        }
    };

    let counts = plan
        .routes
        .iter()
        .map(|r| plan.templates[r.template].param_count());
    let n_routes = plan.routes.len().max(1);
    let counts: Vec<TokenStream> = if plan.routes.is_empty() {
        vec![quote!(0)]
    } else {
        counts.map(|c| quote!(#c)).collect()
    };
    let root = &node_names[0];
    let dynamic = if !has_dynamic {
        quote!()
    } else {
        quote! {
            if p.first() == Some(&b'/') {
                let mut sp = [(0usize, 0usize); #max];
                let r = #root(p, 1, &mut sp, m, na);
                if r != #none {
                    static PARAM_COUNTS: [usize; #n_routes] = [#(#counts),*];
                    for &(s, e) in &sp[..PARAM_COUNTS[usize::from(r)]] {
                        caps.push(s, e);
                    }
                    return #pb::Match::Route(r);
                }
            }
        }
    };
    quote! {
        /// What a trie node answers when no route below it matches.
        const #none: u16 = u16::MAX;

        /// The router: static paths by perfect hash, dynamic ones by trie.
        #[allow(unused_mut, unused_variables)]
        pub fn #name(m: #pb::Method, p: &[u8], caps: &mut #pb::Captures) -> #pb::Match {
            // The first template that matched the path but not the method:
            // the 405 answer if no other template serves the request.
            let mut not_allowed: u16 = #none;
            let na = &mut not_allowed;
            #static_lookup
            #dynamic
            if *na != #none { #pb::Match::NotAllowed(*na) } else { #pb::Match::NotFound }
        }
        #(#node_fns)*
    }
}

/// Each trie node's function name and doc line, from the path prefix it
/// follows: `node_root` for the first segment, `node_user` after `/user/`,
/// `node_user_param` after `/user/{...}/`.
fn node_names(plan: &RouterPlan, names: &mut Names) -> (Vec<Ident>, Vec<String>) {
    // Each node's prefix, parents before children.
    let mut prefixes: Vec<Option<Vec<String>>> = vec![None; plan.nodes.len()];
    prefixes[0] = Some(Vec::new());
    let mut stack = vec![0];
    while let Some(i) = stack.pop() {
        let prefix = prefixes[i].clone().unwrap_or_default();
        let n = &plan.nodes[i];
        let children = n
            .statics
            .iter()
            .map(|(text, child)| (text.clone(), *child))
            .chain(n.param.map(|child| ("{}".to_string(), child)));
        for (segment, child) in children {
            if prefixes[child].is_none() {
                let mut p = prefix.clone();
                p.push(segment);
                prefixes[child] = Some(p);
                stack.push(child);
            }
        }
    }
    prefixes
        .into_iter()
        .map(|prefix| {
            let prefix = prefix.unwrap_or_default();
            let base = if prefix.is_empty() {
                "node_root".to_string()
            } else {
                let parts: Vec<String> = prefix
                    .iter()
                    .map(|s| match s.as_str() {
                        "{}" => "param".to_string(),
                        "" => "empty".to_string(),
                        s => sanitize(s),
                    })
                    .collect();
                format!("node_{}", parts.join("_"))
            };
            let path: String = prefix.iter().map(|s| format!("/{s}")).collect();
            let doc = format!(" Trie node: the path segment after `{path}/`.");
            (names.claim(&base), doc)
        })
        .unzip()
}
