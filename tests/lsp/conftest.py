"""Shared set-up for the language-server tests: the server binary, a client
connected to it, and helpers to write apps and wait for diagnostics.

The binary is `$PREBAKE_BIN` (what `cargo xtask test` sets, after building it
with `cargo build --release -p prebake-compiler --bin prebake`), else the
release build in the workspace's target directory.
"""

from __future__ import annotations

import asyncio
import os
import textwrap
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

ROOT = Path(__file__).resolve().parents[2]


def server_binary() -> Path:
    """The `prebake` binary under test."""
    if env := os.environ.get("PREBAKE_BIN"):
        return Path(env)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "prebake"


BIN = server_binary()
if not BIN.is_file():
    raise pytest.UsageError(
        f"{BIN} not found: run `cargo xtask test`, or build it with "
        "`cargo build --release -p prebake-compiler --bin prebake` and set PREBAKE_BIN"
    )


@pytest.fixture
def bin_path() -> Path:
    return BIN


class RecordingClient(LanguageClient):
    """pytest-lsp's client, also keeping every publishDiagnostics in order, so
    a test can wait for "the next one" without racing the event loop."""

    def __init__(self) -> None:
        super().__init__(converter_factory=default_converter)
        self.published: list[types.PublishDiagnosticsParams] = []
        self.published_event = asyncio.Event()


def on_publish(client: RecordingClient, params: types.PublishDiagnosticsParams) -> None:
    client.diagnostics[params.uri] = params.diagnostics
    client.published.append(params)
    client.published_event.set()


def make_client() -> RecordingClient:
    client = RecordingClient()
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = on_publish
    register_lsp_features(client, features)
    return client


@pytest_lsp.fixture(  # type: ignore[untyped-decorator]
    config=ClientServerConfig(server_command=[str(BIN), "lsp"], client_factory=make_client),
)
async def client(lsp_client: LanguageClient, tmp_path: Path) -> AsyncIterator[None]:
    """A client that initialised the server with `tmp_path` as its workspace,
    announcing VS Code's capabilities."""
    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        workspace_folders=[
            types.WorkspaceFolder(uri=tmp_path.as_uri(), name="workspace")
        ],
        initialization_options={"debounceMs": 0},
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


def write(path: Path, source: str) -> str:
    """Writes a dedented module and returns its text."""
    text = textwrap.dedent(source).lstrip("\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text


def open_doc(client: LanguageClient, path: Path, text: str | None = None) -> str:
    """Sends didOpen for `path` (its text on disk unless given); returns the URI."""
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri,
                language_id="python",
                version=1,
                text=path.read_text(encoding="utf-8") if text is None else text,
            )
        )
    )
    return uri


def replace_all(client: LanguageClient, uri: str, version: int, text: str) -> None:
    """Sends a full-text didChange."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def edit(
    client: LanguageClient,
    uri: str,
    version: int,
    start: tuple[int, int],
    end: tuple[int, int],
    new_text: str,
) -> None:
    """Sends an incremental didChange replacing `start..end` (line, UTF-16 column)."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=start[0], character=start[1]),
                        end=types.Position(line=end[0], character=end[1]),
                    ),
                    text=new_text,
                )
            ],
        )
    )


Diagnostics = Sequence[types.Diagnostic]


def mark(client: LanguageClient) -> int:
    """A position in the client's record of publications: call it before
    sending a change, and wait with `since=` that mark."""
    assert isinstance(client, RecordingClient)
    return len(client.published)


async def next_diagnostics(
    client: LanguageClient,
    uri: str,
    until: Callable[[Diagnostics], bool] = lambda _: True,
    since: int = 0,
    timeout: float = 10.0,
) -> Diagnostics:
    """Waits for a publishDiagnostics for `uri`, received after the mark
    `since`, whose list satisfies `until`, and returns that list."""
    assert isinstance(client, RecordingClient)

    async def wait() -> Diagnostics:
        seen = since
        while True:
            for params in client.published[seen:]:
                if params.uri == uri and until(params.diagnostics):
                    return list(params.diagnostics)
            seen = len(client.published)
            client.published_event.clear()
            await client.published_event.wait()

    return await asyncio.wait_for(wait(), timeout)


async def first_diagnostics(client: LanguageClient, uri: str, since: int) -> Diagnostics:
    """The first publishDiagnostics for `uri` after the mark `since`, whatever
    it holds (so a test sees exactly one re-analysis)."""
    return await next_diagnostics(client, uri, since=since)


def codes(diagnostics: Diagnostics) -> list[tuple[str, int]]:
    """(code, 0-based line) pairs, sorted."""
    return sorted((str(d.code), d.range.start.line) for d in diagnostics)


def line_of(text: str, needle: str) -> int:
    """The 0-based line of the first line containing `needle`."""
    for i, line in enumerate(text.splitlines()):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in text")


def apply_edits(text: str, edits: Sequence[types.TextEdit]) -> str:
    """Applies LSP text edits (UTF-16 positions) to `text`, last first."""

    def offset(pos: types.Position) -> int:
        lines = text.splitlines(keepends=True)
        before = sum(len(line) for line in lines[: pos.line])
        line = lines[pos.line] if pos.line < len(lines) else ""
        units = 0
        for i, ch in enumerate(line):
            if units >= pos.character:
                return before + i
            units += 2 if ord(ch) > 0xFFFF else 1
        return before + len(line)

    spans = sorted(
        ((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits),
        reverse=True,
    )
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text
