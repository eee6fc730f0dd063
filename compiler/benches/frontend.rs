//! How long the front end and checks take on a large app: a generated module
//! of 1,000 routes with models, constraints and path parameters, analysed from
//! memory (no file IO). Editor-time target: under 50 ms.

use prebake_compiler::frontend::SourceProvider;

#[path = "support/big_app.rs"]
mod support;
use support::big_app;

fn main() {
    divan::main();
}

struct Mem(String);

impl SourceProvider for Mem {
    fn read(&self, rel_path: &str) -> Option<String> {
        (rel_path == "app.py").then(|| self.0.clone())
    }
}

#[divan::bench]
fn analyze_1000_routes(bencher: divan::Bencher) {
    let provider = Mem(big_app(1000));
    bencher.bench(|| {
        let analysis = prebake_compiler::analyze(&provider, "app.py", "");
        assert_eq!(analysis.ir.routes.len(), 1000);
        divan::black_box(analysis)
    });
}
