//! Generates the router function from a [`RouterPlan`]: a perfect-hash
//! lookup for static paths and one function per trie node for dynamic ones.
//!
//! The generated function has the runtime's `Router` signature:
//! `fn(Method, &[u8], &mut Captures) -> Match`.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::router_plan::RouterPlan;
use crate::ir::HttpMethod;

/// Sentinel for "no route" in the generated node functions.
const NONE: u16 = u16::MAX;

/// The runtime's `Method` variant for an IR method.
pub(crate) fn method_tokens(rt: &TokenStream, m: HttpMethod) -> TokenStream {
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
    quote!(#rt::__private::Method::#id)
}

fn u16_lit(n: usize) -> Literal {
    Literal::u16_suffixed(u16::try_from(n).expect("fewer than 65535 routes"))
}

/// `match m { Method::Get => return R, ... _ => record 405 }` for a template,
/// as an expression yielding a route id or `NONE`.
fn endpoint(plan: &RouterPlan, rt: &TokenStream, t: usize) -> TokenStream {
    let arms = plan.templates[t].routes.iter().map(|&r| {
        let m = method_tokens(rt, plan.routes[r].method);
        let id = u16_lit(r);
        quote!(#m => #id,)
    });
    let first = u16_lit(plan.templates[t].routes[0]);
    let none = Literal::u16_suffixed(NONE);
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

/// Generates the router as a function named `name`.
#[must_use]
pub fn generate(plan: &RouterPlan, rt: &TokenStream, name: &proc_macro2::Ident) -> TokenStream {
    let none = Literal::u16_suffixed(NONE);
    let max = plan.max_params.max(1);
    let node_fns = plan.nodes.iter().enumerate().map(|(i, n)| {
        let fname = format_ident!("__pb_node_{}", i);
        let statics = n.statics.iter().map(|(text, child)| {
            let bytes = Literal::byte_string(text.as_bytes());
            let on_last = match plan.nodes[*child].endpoint {
                Some(t) => endpoint(plan, rt, t),
                None => quote!(#none),
            };
            let child_fn = format_ident!("__pb_node_{}", child);
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
                Some(t) => endpoint(plan, rt, t),
                None => quote!(#none),
            };
            let child_fn = format_ident!("__pb_node_{}", child);
            quote! {
                if !seg.is_empty() {
                    sp[#depth] = (pos, end);
                    let r = if last { #on_last } else { #child_fn(p, end + 1, sp, m, na) };
                    if r != #none { return r; }
                }
            }
        });
        let catch_all = n.catch_all.map(|t| {
            let ep = endpoint(plan, rt, t);
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
            #[allow(unused_variables, clippy::needless_return)]
            #[inline]
            fn #fname(p: &[u8], pos: usize, sp: &mut [(usize, usize); #max], m: #rt::__private::Method, na: &mut u16) -> u16 {
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
                let ep = endpoint(plan, rt, plan.static_templates[k]);
                Some(quote! {
                    #slot => if p == #bytes {
                        let r = #ep;
                        if r != #none { return #rt::__private::Match::Route(r); }
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
            let h = #rt::__private::phash(p, #seed);
            let b = #rt::__private::phash_bucket(h, #buckets);
            match #rt::__private::phash_slot(h, DISPLACEMENTS[b], #bits) {
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
    let dynamic = if plan.nodes[0].statics.is_empty()
        && plan.nodes[0].param.is_none()
        && plan.nodes[0].catch_all.is_none()
    {
        quote!()
    } else {
        quote! {
            if p.first() == Some(&b'/') {
                let mut sp = [(0usize, 0usize); #max];
                let r = __pb_node_0(p, 1, &mut sp, m, na);
                if r != #none {
                    static PARAM_COUNTS: [usize; #n_routes] = [#(#counts),*];
                    for &(s, e) in &sp[..PARAM_COUNTS[usize::from(r)]] {
                        caps.push(s, e);
                    }
                    return #rt::__private::Match::Route(r);
                }
            }
        }
    };
    quote! {
        /// The router: static paths by perfect hash, dynamic ones by trie.
        #[allow(unused_mut, unused_variables)]
        pub fn #name(m: #rt::__private::Method, p: &[u8], caps: &mut #rt::__private::Captures) -> #rt::__private::Match {
            // The first template that matched the path but not the method:
            // the 405 answer if no other template serves the request.
            let mut not_allowed: u16 = #none;
            let na = &mut not_allowed;
            #static_lookup
            #dynamic
            if *na != #none { #rt::__private::Match::NotAllowed(*na) } else { #rt::__private::Match::NotFound }
        }
        #(#node_fns)*
    }
}
