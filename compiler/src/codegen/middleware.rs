//! The middleware table of `runtime/src/middleware/mod.rs`: the built-in
//! middleware's settings as constants, Python middleware as placeholders
//! the server fills from `app.user_middleware` at start-up.
//!
//! An app without middleware gets no table and its `main` is unchanged, so
//! it pays nothing.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::{Ir, MiddlewareKind};

/// `static MIDDLEWARE`, or nothing when the app has none.
pub(super) fn table(ir: &Ir, pb: &TokenStream) -> Option<TokenStream> {
    if ir.middleware.is_empty() {
        return None;
    }
    let layers = ir.middleware.iter().map(|m| match &m.kind {
        MiddlewareKind::Cors(c) => {
            let origins = &c.allow_origins;
            let regex = match &c.allow_origin_regex {
                Some(r) => quote!(Some(#r)),
                None => quote!(None),
            };
            let methods = &c.allow_methods;
            let headers = &c.allow_headers;
            let creds = c.allow_credentials;
            let expose = &c.expose_headers;
            let max_age = c.max_age;
            let private_network = c.allow_private_network;
            quote! {
                #pb::Layer::Cors(#pb::Cors {
                    allow_origins: &[#(#origins),*],
                    allow_origin_regex: #regex,
                    allow_methods: &[#(#methods),*],
                    allow_headers: &[#(#headers),*],
                    allow_credentials: #creds,
                    expose_headers: &[#(#expose),*],
                    max_age: #max_age,
                    allow_private_network: #private_network,
                })
            }
        }
        MiddlewareKind::Compress(c) => {
            let min = c.minimum_size;
            let gz = c.gzip_level;
            let br = c.brotli_quality;
            let zs = c.zstd_level;
            let encodings = c.encodings.iter().map(|e| match e.as_str() {
                "zstd" => quote!(#pb::Encoding::Zstd),
                "br" => quote!(#pb::Encoding::Br),
                _ => quote!(#pb::Encoding::Gzip),
            });
            let types = &c.exclude_content_types;
            let exclude = c
                .exclude_routes
                .iter()
                .map(|&i| u16::try_from(i).unwrap_or(u16::MAX));
            quote! {
                #pb::Layer::Compress(#pb::Compress {
                    minimum_size: #min,
                    gzip_level: #gz,
                    brotli_quality: #br,
                    zstd_level: #zs,
                    encodings: &[#(#encodings),*],
                    exclude_routes: &[#(#exclude),*],
                    exclude_content_types: &[#(#types),*],
                })
            }
        }
        MiddlewareKind::TrustedHost {
            allowed_hosts,
            www_redirect,
        } => quote! {
            #pb::Layer::TrustedHost(#pb::TrustedHost {
                allowed_hosts: &[#(#allowed_hosts),*],
                www_redirect: #www_redirect,
            })
        },
        MiddlewareKind::HttpsRedirect => quote!(#pb::Layer::HttpsRedirect),
        MiddlewareKind::Python { name } => quote!(#pb::Layer::Python { name: #name }),
    });
    Some(quote! {
        /// The app's middleware, outermost first.
        pub static MIDDLEWARE: #pb::Middleware = #pb::Middleware {
            layers: &[#(#layers),*],
        };
    })
}
