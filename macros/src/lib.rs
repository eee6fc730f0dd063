//! `prebake::app!("path/to/app.py")`: embeds a Python handler module in a
//! Rust program. A thin frontend: it parses the path, then hands the work to
//! `prebake_compiler` (analysis, checks, code generation), which the
//! `cargo xtask build` path uses too.
//!
//! The path is relative to the crate's `CARGO_MANIFEST_DIR`. On errors the
//! macro expands to one `compile_error!` per diagnostic, rendered as
//! `prebake check` would.

use proc_macro::TokenStream;
use quote::quote;
use syn::LitStr;

/// Expands to `pub use __prebake_app::APP;` (the app descriptor) and the
/// generated router, decoders and encoders. Serve it with
/// `prebake::__private::main(&APP)`.
#[proc_macro]
pub fn app(input: TokenStream) -> TokenStream {
    let lit = syn::parse_macro_input!(input as LitStr);
    let base = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let path = std::path::Path::new(&base).join(lit.value());
    let analysis = match prebake_compiler::driver::analyze_path(&path) {
        Ok(a) => a,
        Err(e) => {
            return syn::Error::new(lit.span(), e.to_string())
                .to_compile_error()
                .into();
        }
    };
    if analysis.has_errors() {
        let errors = analysis
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| {
                let text = prebake_compiler::diagnostics::render::human(
                    &analysis.db,
                    std::slice::from_ref(d),
                    prebake_compiler::diagnostics::render::Style::Plain,
                );
                syn::Error::new(lit.span(), text).to_compile_error()
            });
        return quote!(#(#errors)*).into();
    }
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let files: Vec<String> = analysis
        .db
        .files()
        .iter()
        .map(|f| {
            let rel = f.path.rsplit('/').next().unwrap_or(&f.path);
            let p = if f.module.contains('.') {
                dir.join(f.module.replace('.', "/") + ".py")
            } else {
                dir.join(rel)
            };
            p.display().to_string()
        })
        .collect();
    let name = prebake_compiler::driver::app_name(&path);
    let ctx = prebake_compiler::codegen::Ctx {
        app_dir: std::fs::canonicalize(dir)
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        ..Default::default()
    };
    prebake_compiler::codegen::app::expand_macro(&analysis, &name, &ctx, &files).into()
}
