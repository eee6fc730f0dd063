//! The server: the protocol's messages in, diagnostics, hovers and code
//! actions out.
//!
//! [`Server`] is the state machine (documents, apps, what was published);
//! [`run`] is the loop that feeds it from a connection. Notifications only
//! record what changed; the loop re-analyses once the client has been quiet
//! for the debounce window (10 ms by default, `initializationOptions`
//! `{"debounceMs": N}`), so a burst of keystrokes costs one analysis, and
//! every request that reads an analysis brings it up to date first.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crossbeam_channel::{RecvTimeoutError, Sender};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use serde_json::Value;

use super::convert;
use super::documents::Documents;
use super::workspace::Workspace;
use super::{code_actions, hover};

/// How long the client must be quiet before an edit is analysed.
const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(10);

/// What the loop should do after a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Keep serving.
    Continue,
    /// The client sent `exit`.
    Exit,
}

/// The language server's state.
pub struct Server {
    sender: Sender<Message>,
    docs: Documents,
    workspace: Workspace,
    /// What each file's last published list was (files with an empty list
    /// are absent).
    sent: HashMap<PathBuf, Vec<lsp::Diagnostic>>,
    /// Files to publish for even if nothing changed (just opened).
    force: BTreeSet<PathBuf>,
    debounce: Duration,
}

impl Server {
    /// What the server can do, for the `initialize` response.
    pub fn capabilities() -> lsp::ServerCapabilities {
        lsp::ServerCapabilities {
            position_encoding: Some(lsp::PositionEncodingKind::UTF16),
            text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
                lsp::TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
                    save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                    ..lsp::TextDocumentSyncOptions::default()
                },
            )),
            hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
            code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
                lsp::CodeActionOptions {
                    code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
                    ..lsp::CodeActionOptions::default()
                },
            )),
            ..lsp::ServerCapabilities::default()
        }
    }

    /// A server that sends through `sender`, set up from the client's
    /// `initialize` parameters.
    pub fn new(sender: Sender<Message>, init: &lsp::InitializeParams) -> Self {
        let mut roots: Vec<PathBuf> = init
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| convert::path_of(&f.uri))
            .collect();
        #[allow(deprecated)] // Older clients send only `rootUri`.
        if roots.is_empty()
            && let Some(root) = init.root_uri.as_ref().and_then(convert::path_of)
        {
            roots.push(root);
        }
        let debounce = init
            .initialization_options
            .as_ref()
            .and_then(|o| o.get("debounceMs"))
            .and_then(Value::as_u64)
            .map_or(DEFAULT_DEBOUNCE, Duration::from_millis);
        Server {
            sender,
            docs: Documents::default(),
            workspace: Workspace::new(roots),
            sent: HashMap::new(),
            force: BTreeSet::new(),
            debounce,
        }
    }

    /// How long to wait for more edits before analysing.
    pub fn debounce(&self) -> Duration {
        self.debounce
    }

    /// Whether an edit is waiting to be analysed.
    pub fn needs_flush(&self) -> bool {
        self.workspace.needs_update() || !self.force.is_empty()
    }

    /// Handles one message from the client.
    ///
    /// A request whose handling panics (a compiler bug) is answered with an
    /// internal error instead of leaving the client waiting.
    pub fn handle(&mut self, msg: Message) -> Flow {
        match msg {
            Message::Request(req) => {
                let id = req.id.clone();
                let response = self.guarded(|s| s.request(req)).unwrap_or_else(|| {
                    Response::new_err(
                        id,
                        ErrorCode::InternalError as i32,
                        "prebake panicked; see the server's log".to_string(),
                    )
                });
                self.send(Message::Response(response));
                Flow::Continue
            }
            Message::Notification(n) => self.notification(n),
            Message::Response(_) => Flow::Continue,
        }
    }

    /// Analyses what changed and publishes every file whose diagnostics
    /// changed (an empty list clears a file that became clean).
    ///
    /// A panic in the analysis (a compiler bug) is caught: the pending work
    /// is dropped, the panic message goes to stderr (the editor's log), and
    /// the server keeps serving.
    pub fn flush(&mut self) {
        self.guarded(Self::flush_unguarded);
    }

    /// Runs `f`, turning a panic into `None` and dropping the pending work
    /// that may have caused it, so the loop does not retry it forever.
    fn guarded<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> Option<T> {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self)));
        if result.is_err() {
            self.workspace.settle();
            self.force.clear();
        }
        result.ok()
    }

    fn flush_unguarded(&mut self) {
        self.workspace.update(&mut self.docs);
        let mut now: BTreeMap<PathBuf, Vec<lsp::Diagnostic>> = BTreeMap::new();
        for unit in self.workspace.units() {
            for d in unit.reported() {
                let (path, diagnostic) = convert::diagnostic(&unit.analysis.db, d);
                now.entry(path).or_default().push(diagnostic);
            }
        }
        let mut paths: BTreeSet<PathBuf> = self.sent.keys().cloned().collect();
        paths.extend(now.keys().cloned());
        // A just-opened file is published even when clean, so the client
        // knows it was analysed.
        let forced: BTreeSet<PathBuf> = std::mem::take(&mut self.force)
            .into_iter()
            .filter(|p| self.docs.is_open(p))
            .collect();
        paths.extend(forced.iter().cloned());
        for path in paths {
            let mut list = now.remove(&path).unwrap_or_default();
            // A module several apps import reports the same finding once.
            list.sort_by(|a, b| {
                (a.range.start, a.range.end, &a.message).cmp(&(
                    b.range.start,
                    b.range.end,
                    &b.message,
                ))
            });
            list.dedup();
            let unchanged = self
                .sent
                .get(&path)
                .map_or(list.is_empty(), |old| *old == list);
            if unchanged && !forced.contains(&path) {
                continue;
            }
            self.publish(&path, list.clone());
            if list.is_empty() {
                self.sent.remove(&path);
            } else {
                self.sent.insert(path, list);
            }
        }
    }

    fn publish(&self, path: &Path, diagnostics: Vec<lsp::Diagnostic>) {
        let doc = self.docs.get(path);
        let params = lsp::PublishDiagnosticsParams {
            uri: doc.map_or_else(|| convert::uri_of(path), |d| d.uri.clone()),
            diagnostics,
            version: doc.map(|d| d.version),
        };
        self.send(Message::Notification(Notification::new(
            "textDocument/publishDiagnostics".to_string(),
            params,
        )));
    }

    fn send(&self, msg: Message) {
        // A client that hung up gets nothing; the loop ends on its own.
        let _ = self.sender.send(msg);
    }

    fn notification(&mut self, n: Notification) -> Flow {
        match n.method.as_str() {
            "exit" => return Flow::Exit,
            "textDocument/didOpen" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidOpenTextDocumentParams>(n.params)
                    && let Some(path) = convert::path_of(&p.text_document.uri)
                {
                    let doc = p.text_document;
                    self.docs.open(path.clone(), doc.uri, doc.version, doc.text);
                    self.workspace.opened(&path);
                    self.force.insert(path);
                }
            }
            "textDocument/didChange" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidChangeTextDocumentParams>(n.params)
                    && let Some(path) = convert::path_of(&p.text_document.uri)
                {
                    self.docs
                        .change(&path, p.text_document.version, p.content_changes);
                    self.workspace.changed(&path);
                }
            }
            "textDocument/didSave" => self.workspace.disk_changed(),
            "textDocument/didClose" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidCloseTextDocumentParams>(n.params)
                    && let Some(path) = convert::path_of(&p.text_document.uri)
                {
                    self.docs.close(&path);
                    self.workspace.changed(&path);
                }
            }
            _ => {}
        }
        Flow::Continue
    }

    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        let result = match req.method.as_str() {
            "shutdown" => Ok(Value::Null),
            "textDocument/hover" => self.parse(req).map(|p| self.hover(&p)),
            "textDocument/codeAction" => self.parse(req).map(|p| self.code_actions(&p)),
            other => Err(Response::new_err(
                id.clone(),
                ErrorCode::MethodNotFound as i32,
                format!("unsupported request `{other}`"),
            )),
        };
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err(error) => error,
        }
    }

    fn parse<P: serde::de::DeserializeOwned>(&self, req: Request) -> Result<P, Response> {
        serde_json::from_value(req.params).map_err(|e| invalid_params(req.id, &e))
    }

    /// The open document at `uri` and its path, after analysing any pending
    /// edit.
    fn current(&mut self, uri: &lsp::Uri) -> Option<PathBuf> {
        if self.needs_flush() {
            self.flush();
        }
        let path = convert::path_of(uri)?;
        self.docs.is_open(&path).then_some(path)
    }

    fn hover(&mut self, p: &lsp::HoverParams) -> Value {
        let pos = &p.text_document_position_params;
        let Some(path) = self.current(&pos.text_document.uri) else {
            return Value::Null;
        };
        let Some(doc) = self.docs.get(&path) else {
            return Value::Null;
        };
        let Some((analysis, file)) = self.workspace.analysis_of(&path, &doc.text) else {
            return Value::Null;
        };
        let offset = convert::offset(&doc.text, pos.position) as u32;
        let Some(info) = hover::hover(analysis, file, offset) else {
            return Value::Null;
        };
        let f = analysis.db.file(file);
        let hover = lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value: info.markdown,
            }),
            range: Some(convert::range(f, info.span)),
        };
        serde_json::to_value(hover).unwrap_or(Value::Null)
    }

    fn code_actions(&mut self, p: &lsp::CodeActionParams) -> Value {
        let Some(path) = self.current(&p.text_document.uri) else {
            return Value::Array(Vec::new());
        };
        let Some(doc) = self.docs.get(&path) else {
            return Value::Array(Vec::new());
        };
        let Some((analysis, file)) = self.workspace.analysis_of(&path, &doc.text) else {
            return Value::Array(Vec::new());
        };
        let start = convert::offset(&doc.text, p.range.start) as u32;
        let end = convert::offset(&doc.text, p.range.end) as u32;
        let f = analysis.db.file(file);
        let actions: Vec<lsp::CodeActionOrCommand> =
            code_actions::fixes(analysis, file, start, end)
                .into_iter()
                .map(|fix| {
                    let edits = fix
                        .edits
                        .iter()
                        .map(|(span, text)| {
                            lsp::TextEdit::new(convert::range(f, *span), text.clone())
                        })
                        .collect();
                    let diagnostic =
                        convert::diagnostic(&analysis.db, &analysis.diagnostics[fix.diagnostic]).1;
                    lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                        title: fix.title,
                        kind: Some(lsp::CodeActionKind::QUICKFIX),
                        diagnostics: Some(vec![diagnostic]),
                        edit: Some(lsp::WorkspaceEdit::new(HashMap::from([(
                            doc.uri.clone(),
                            edits,
                        )]))),
                        is_preferred: Some(fix.preferred),
                        ..lsp::CodeAction::default()
                    })
                })
                .collect();
        serde_json::to_value(actions).unwrap_or(Value::Array(Vec::new()))
    }
}

fn invalid_params(id: RequestId, e: &serde_json::Error) -> Response {
    Response::new_err(id, ErrorCode::InvalidParams as i32, e.to_string())
}

/// Serves one client over `connection` until it sends `exit` or hangs up.
pub fn run(connection: &Connection) -> Result<(), String> {
    let (id, params) = connection
        .initialize_start()
        .map_err(|e| format!("initialize: {e}"))?;
    let init: lsp::InitializeParams =
        serde_json::from_value(params).map_err(|e| format!("initialize: {e}"))?;
    let result = serde_json::json!({
        "capabilities": Server::capabilities(),
        "serverInfo": { "name": "prebake", "version": env!("CARGO_PKG_VERSION") },
    });
    connection
        .initialize_finish(id, result)
        .map_err(|e| format!("initialize: {e}"))?;
    let mut server = Server::new(connection.sender.clone(), &init);
    loop {
        let Ok(msg) = connection.receiver.recv() else {
            return Ok(());
        };
        if server.handle(msg) == Flow::Exit {
            return Ok(());
        }
        // Wait for the client to pause, then analyse once.
        while server.needs_flush() {
            match connection.receiver.recv_timeout(server.debounce()) {
                Ok(msg) => {
                    if server.handle(msg) == Flow::Exit {
                        return Ok(());
                    }
                }
                Err(RecvTimeoutError::Timeout) => server.flush(),
                Err(_) => return Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use crossbeam_channel::{Receiver, unbounded};

    use super::*;

    const FAULTY: &str = "from prebake import App\n\napp = App()\n\n\n@app.get(\"/users/{user_id}\")\ndef get_user(uid: int) -> dict[str, int]:\n    return {\"id\": uid}\n";

    fn server() -> (Server, Receiver<Message>) {
        let (sender, receiver) = unbounded();
        (
            Server::new(sender, &lsp::InitializeParams::default()),
            receiver,
        )
    }

    fn uri() -> lsp::Uri {
        // A folder that does not exist: only the open document is read.
        lsp::Uri::from_str("file:///nonexistent-prebake-test/app.py").unwrap()
    }

    fn notify(server: &mut Server, method: &str, params: impl serde::Serialize) {
        let flow = server.handle(Message::Notification(Notification::new(
            method.to_string(),
            params,
        )));
        assert_eq!(flow, Flow::Continue);
    }

    fn set_text(server: &mut Server, version: i32, text: &str) {
        notify(
            server,
            "textDocument/didChange",
            lsp::DidChangeTextDocumentParams {
                text_document: lsp::VersionedTextDocumentIdentifier::new(uri(), version),
                content_changes: vec![lsp::TextDocumentContentChangeEvent {
                    range: None,
                    range_length: None,
                    text: text.to_string(),
                }],
            },
        );
        server.flush();
    }

    /// (code, line) of each diagnostic of every publication since the last
    /// call.
    fn published(receiver: &Receiver<Message>) -> Vec<Vec<(String, u32)>> {
        receiver
            .try_iter()
            .filter_map(|m| match m {
                Message::Notification(n) => {
                    let p: lsp::PublishDiagnosticsParams =
                        serde_json::from_value(n.params).unwrap();
                    assert_eq!(p.uri, uri());
                    Some(
                        p.diagnostics
                            .iter()
                            .map(|d| {
                                let code = match &d.code {
                                    Some(lsp::NumberOrString::String(s)) => s.clone(),
                                    _ => String::new(),
                                };
                                (code, d.range.start.line)
                            })
                            .collect(),
                    )
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn edits_publish_and_a_syntax_error_keeps_the_last_analysis() {
        let (mut server, receiver) = server();
        notify(
            &mut server,
            "textDocument/didOpen",
            lsp::DidOpenTextDocumentParams {
                text_document: lsp::TextDocumentItem::new(uri(), "python".into(), 1, FAULTY.into()),
            },
        );
        server.flush();
        assert_eq!(published(&receiver), vec![vec![("PB011".to_string(), 5)]]);

        // Half-typed: the syntax error is added, the PB011 of the last text
        // that parsed stays.
        let broken = FAULTY.replace("def get_user(uid: int)", "def get_user(uid: int");
        set_text(&mut server, 2, &broken);
        assert_eq!(
            published(&receiver),
            vec![vec![("PB011".to_string(), 5), ("PB001".to_string(), 6)]]
        );

        // Fixed: an empty list clears the file; nothing more is sent while
        // it stays clean.
        set_text(&mut server, 3, &FAULTY.replace("uid", "user_id"));
        assert_eq!(published(&receiver), vec![Vec::new()]);
        set_text(&mut server, 4, &FAULTY.replace("uid", "user_id"));
        assert_eq!(published(&receiver), Vec::<Vec<(String, u32)>>::new());
    }

    #[test]
    fn unknown_requests_get_an_error_and_shutdown_an_answer() {
        let (mut server, receiver) = server();
        let request = |id: i32, method: &str| {
            Message::Request(Request::new(RequestId::from(id), method.to_string(), ()))
        };
        server.handle(request(1, "textDocument/frobnicate"));
        server.handle(request(2, "shutdown"));
        let responses: Vec<Response> = receiver
            .try_iter()
            .filter_map(|m| match m {
                Message::Response(r) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(
            responses[0].response_result.as_ref().err().map(|e| e.code),
            Some(ErrorCode::MethodNotFound as i32)
        );
        assert!(responses[1].response_result.is_ok());
        assert_eq!(
            server.handle(Message::Notification(Notification::new(
                "exit".to_string(),
                ()
            ))),
            Flow::Exit
        );
    }
}
