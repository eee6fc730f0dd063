//! How long the language server takes from a keystroke to the diagnostics
//! it publishes, on a 1,000-route app open in the editor: apply one
//! incremental `didChange`, re-analyse the app, convert the diagnostics to
//! the protocol and queue the notification. Editor-time target: under 50 ms.
//!
//! The app is the one `benches/frontend.rs` generates. Each iteration types
//! one character in a handler's parameter name, alternating between a name
//! that matches its placeholder and one that does not, so every iteration
//! publishes a changed list.

use crossbeam_channel::unbounded;
use lsp_server::{Message, Notification};
use lsp_types as lsp;
use prebake_compiler::lsp::Server;
use std::str::FromStr;

#[path = "support/big_app.rs"]
mod support;
use support::big_app;

fn main() {
    divan::main();
}

fn notification(method: &str, params: impl serde::Serialize) -> Message {
    Message::Notification(Notification::new(method.to_string(), params))
}

#[divan::bench]
fn keystroke_to_diagnostics_1000_routes(bencher: divan::Bencher) {
    let (sender, receiver) = unbounded();
    let mut server = Server::new(sender, &lsp::InitializeParams::default());
    let text = big_app(1000);
    // A folder that does not exist: nothing but the open document is read.
    let uri = lsp::Uri::from_str("file:///nonexistent-prebake-bench/app.py").unwrap();
    server.handle(notification(
        "textDocument/didOpen",
        lsp::DidOpenTextDocumentParams {
            text_document: lsp::TextDocumentItem::new(
                uri.clone(),
                "python".into(),
                1,
                text.clone(),
            ),
        },
    ));
    server.flush();
    let opened: Vec<Message> = receiver.try_iter().collect();
    assert_eq!(opened.len(), 1, "one publication for the opened file");

    // The last character of `item_id` in `def get_v2_50(item_id: int, ...`.
    let line = text
        .lines()
        .position(|l| l.starts_with("def get_v2_50("))
        .unwrap();
    let column = text.lines().nth(line).unwrap().find("item_id").unwrap() + "item_i".len();
    let range = lsp::Range::new(
        lsp::Position::new(line as u32, column as u32),
        lsp::Position::new(line as u32, column as u32 + 1),
    );
    let mut version = 1;
    bencher.bench_local(|| {
        version += 1;
        let typed = if version % 2 == 0 { "x" } else { "d" };
        server.handle(notification(
            "textDocument/didChange",
            lsp::DidChangeTextDocumentParams {
                text_document: lsp::VersionedTextDocumentIdentifier::new(uri.clone(), version),
                content_changes: vec![lsp::TextDocumentContentChangeEvent {
                    range: Some(range),
                    range_length: None,
                    text: typed.into(),
                }],
            },
        ));
        server.flush();
        let published: Vec<Message> = receiver.try_iter().collect();
        assert_eq!(published.len(), 1);
        divan::black_box(published)
    });
}
