"""The language server under a real LSP client (pytest-lsp): diagnostics on
open and change, clearing, the app of a model module, syntax errors that keep
the last good analysis, hover and code actions."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from conftest import (
    apply_edits,
    codes,
    edit,
    first_diagnostics,
    line_of,
    mark,
    next_diagnostics,
    open_doc,
    replace_all,
    write,
)

FAULTY = """
    from prebake import App

    app = App()


    @app.get("/users/{user_id}")
    def get_user(uid: int) -> dict[str, int]:
        return {"id": uid}
"""

CLEAN = """
    from typing import Annotated

    import msgspec
    from prebake import App, Header, Query

    app = App()


    class User(msgspec.Struct):
        name: str
        age: int = 0


    @app.get("/users/{user_id}")
    def get_user(user_id: int) -> dict[str, int]:
        return {"id": user_id}


    @app.get("/items")
    def items(
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        x_token: Annotated[str | None, Header(alias="x-token")] = None,
    ) -> list[str]:
        return []


    @app.post("/users", status_code=201)
    def create(user: User) -> User:
        return user
"""


async def test_faulty_app_gets_its_code_on_the_right_line(
    client: LanguageClient, tmp_path: Path
) -> None:
    text = write(tmp_path / "app.py", FAULTY)
    uri = open_doc(client, tmp_path / "app.py")
    diagnostics = await next_diagnostics(client, uri)
    assert codes(diagnostics) == [("PB011", line_of(text, "@app.get"))]
    d = diagnostics[0]
    line = text.splitlines()[d.range.start.line]
    assert line[d.range.start.character : d.range.end.character] == "user_id"
    assert d.severity == types.DiagnosticSeverity.Error
    assert d.source == "prebake"
    assert "help: add `user_id: str`" in d.message
    assert d.code_description is not None
    assert d.code_description.href.endswith("docs/diagnostics/PB011.md")
    # The handler's name is the related place.
    assert d.related_information
    related = d.related_information[0]
    assert related.location.uri == uri
    assert related.location.range.start.line == line_of(text, "def get_user")


async def test_fixing_the_error_clears_the_file(client: LanguageClient, tmp_path: Path) -> None:
    text = write(tmp_path / "app.py", FAULTY)
    uri = open_doc(client, tmp_path / "app.py")
    assert codes(await next_diagnostics(client, uri)) != []
    m = mark(client)
    replace_all(client, uri, 2, text.replace("uid", "user_id"))
    assert await first_diagnostics(client, uri, m) == []


async def test_typing_a_wrong_parameter_name_reports_within_one_analysis(
    client: LanguageClient, tmp_path: Path
) -> None:
    text = write(tmp_path / "app.py", CLEAN)
    uri = open_doc(client, tmp_path / "app.py")
    assert await next_diagnostics(client, uri) == []
    line = line_of(text, "def get_user")
    col = text.splitlines()[line].index("user_id")
    # Type one wrong character: `user_id` becomes `user_ix`.
    m = mark(client)
    edit(client, uri, 2, (line, col + 6), (line, col + 7), "x")
    diagnostics = await first_diagnostics(client, uri, m)
    assert codes(diagnostics) == [("PB011", line_of(text, '@app.get("/users/{user_id}")'))]


async def test_positions_count_utf16_units(client: LanguageClient, tmp_path: Path) -> None:
    text = write(
        tmp_path / "app.py",
        FAULTY.replace('"/users/{user_id}"', '"/\U0001F600é/{user_id}"'),
    )
    uri = open_doc(client, tmp_path / "app.py")
    (d,) = await next_diagnostics(client, uri)
    line = text.splitlines()[d.range.start.line]
    # `@app.get("/` is 11 units, the emoji 2, `é/` 2: the placeholder's name
    # starts at unit 16 (Python's index 15, as it counts code points).
    assert d.range.start.character == 16
    assert line.index("user_id") == 15
    assert d.range.end.character == 16 + len("user_id")


async def test_model_error_shows_on_the_model_file(client: LanguageClient, tmp_path: Path) -> None:
    write(
        tmp_path / "app.py",
        """
        from prebake import App

        from models import User

        app = App()


        @app.post("/users")
        def create(user: User) -> User:
            return user
        """,
    )
    models = write(
        tmp_path / "models.py",
        """
        import msgspec


        class User(msgspec.Struct):
            name: str = ""
            age: int
        """,
    )
    # Only the model module is open: its app is found through app.py.
    uri = open_doc(client, tmp_path / "models.py")
    diagnostics = await next_diagnostics(client, uri, lambda d: len(d) > 0)
    assert codes(diagnostics) == [("PB042", line_of(models, "age: int"))]
    assert (tmp_path / "app.py").as_uri() not in client.diagnostics or not client.diagnostics[
        (tmp_path / "app.py").as_uri()
    ]


async def test_syntax_error_is_reported_and_the_rest_keeps_the_last_analysis(
    client: LanguageClient, tmp_path: Path
) -> None:
    app = write(
        tmp_path / "app.py",
        """
        from prebake import App

        from models import User

        app = App()


        @app.post("/users")
        def create(user: User) -> User:
            return user


        @app.get("/users/{user_id}")
        def get_user(user_id: int) -> User:
            return User(name="a")
        """,
    )
    models = write(
        tmp_path / "models.py",
        """
        import msgspec


        class User(msgspec.Struct):
            name: str = ""
            age: int
        """,
    )
    # Open one file at a time and wait for its own publication, so nothing is
    # in flight when the edits below start.
    models_uri = open_doc(client, tmp_path / "models.py")
    await next_diagnostics(client, models_uri, lambda d: len(d) > 0)
    m = mark(client)
    app_uri = open_doc(client, tmp_path / "app.py")
    assert await next_diagnostics(client, app_uri, since=m) == []

    # Half-typed: `class User(msgspec.Struct` without its `):`.
    broken = models.replace("class User(msgspec.Struct):", "class User(msgspec.Struct")
    m = mark(client)
    replace_all(client, models_uri, 2, broken)
    diagnostics = await first_diagnostics(client, models_uri, m)
    # The parser trips on the first token after the open parenthesis; the
    # model's own finding, from the last text that parsed, stays.
    assert codes(diagnostics) == [
        ("PB001", line_of(broken, 'name: str = ""')),
        ("PB042", line_of(models, "age: int")),
    ]
    syntax = next(d for d in diagnostics if d.code == "PB001")
    assert "the last version that did is analysed" in syntax.message
    # app.py still sees `User`: no unresolved names appear there.
    assert not client.diagnostics.get(app_uri)

    # The server keeps serving: a new error in app.py is reported.
    line = line_of(app, "def get_user")
    col = app.splitlines()[line].index("user_id")
    m = mark(client)
    edit(client, app_uri, 2, (line, col), (line, col + len("user_id")), "uid")
    diagnostics = await next_diagnostics(client, app_uri, lambda d: len(d) > 0, since=m)
    assert codes(diagnostics) == [("PB011", line_of(app, "@app.get"))]

    # Fixing the syntax error brings the current text back.
    m = mark(client)
    replace_all(client, models_uri, 3, models.replace("age: int", "age: int = 0"))
    assert await first_diagnostics(client, models_uri, m) == []


async def test_hover_on_parameters_and_decorators(client: LanguageClient, tmp_path: Path) -> None:
    text = write(tmp_path / "app.py", CLEAN)
    uri = open_doc(client, tmp_path / "app.py")
    await next_diagnostics(client, uri)

    async def hover_at(needle: str, line_needle: str | None = None) -> str:
        line = line_of(text, line_needle or needle)
        col = text.splitlines()[line].index(needle) + 1
        result = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=col),
            )
        )
        assert result is not None, needle
        assert isinstance(result.contents, types.MarkupContent)
        return result.contents.value

    assert (await hover_at("user_id: int")).startswith(
        'path parameter "user_id": int, lax conversion'
    )
    assert (await hover_at("limit")).startswith(
        'query parameter "limit": int, ge=1, le=100, default 10'
    )
    assert (await hover_at("x_token")).startswith(
        'header "x-token": str | None, default None'
    )
    assert (await hover_at("user: User")).startswith("JSON body: User")
    decorator = await hover_at('app.get("/users/{user_id}")')
    assert decorator.startswith("GET /users/{user_id}")
    assert "status 200, response: JSON dict[str, int]" in decorator
    assert "runs inline on the interpreter thread" in decorator
    created = await hover_at('app.post("/users"')
    assert created.startswith("POST /users")
    assert "status 201, response: JSON User" in created


async def code_actions(
    client: LanguageClient, uri: str, diagnostic: types.Diagnostic
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    assert result is not None
    return [a for a in result if isinstance(a, types.CodeAction)]


async def test_code_action_adds_the_missing_path_parameter(
    client: LanguageClient, tmp_path: Path
) -> None:
    text = write(
        tmp_path / "app.py",
        """
        from prebake import App

        app = App()


        @app.get("/users/{user_id}/posts")
        def posts(limit: int = 10) -> list[str]:
            return []
        """,
    )
    uri = open_doc(client, tmp_path / "app.py")
    (d,) = await next_diagnostics(client, uri)
    actions = await code_actions(client, uri, d)
    titles = [a.title for a in actions]
    assert titles == ["Add parameter `user_id: str` to `posts`"]
    action = actions[0]
    assert action.kind == types.CodeActionKind.QuickFix
    assert action.is_preferred
    assert action.edit is not None and action.edit.changes is not None
    fixed = apply_edits(text, action.edit.changes[uri])
    assert "def posts(user_id: str, limit: int = 10) -> list[str]:" in fixed
    m = mark(client)
    replace_all(client, uri, 2, fixed)
    assert await first_diagnostics(client, uri, m) == []


async def test_code_action_renames_the_parameter_to_the_placeholder(
    client: LanguageClient, tmp_path: Path
) -> None:
    text = write(tmp_path / "app.py", FAULTY)
    uri = open_doc(client, tmp_path / "app.py")
    (d,) = await next_diagnostics(client, uri)
    actions = {a.title: a for a in await code_actions(client, uri, d)}
    assert set(actions) == {
        "Add parameter `user_id: str` to `get_user`",
        "Rename parameter `uid` to `user_id`",
        "Rename placeholder `{user_id}` to `{uid}`",
    }
    rename = actions["Rename parameter `uid` to `user_id`"]
    assert rename.edit is not None and rename.edit.changes is not None
    fixed = apply_edits(text, rename.edit.changes[uri])
    assert "def get_user(user_id: int)" in fixed
    assert 'return {"id": user_id}' in fixed
    m = mark(client)
    replace_all(client, uri, 2, fixed)
    assert await first_diagnostics(client, uri, m) == []


async def test_model_module_in_a_package_finds_the_app_in_a_parent_folder(
    client: LanguageClient, tmp_path: Path
) -> None:
    write(
        tmp_path / "app.py",
        """
        from prebake import App

        from shop.models import Order

        app = App()


        @app.post("/orders")
        def create(order: Order) -> Order:
            return order
        """,
    )
    write(tmp_path / "shop" / "__init__.py", "")
    models = write(
        tmp_path / "shop" / "models.py",
        """
        import msgspec


        class Order(msgspec.Struct):
            id: int = 0
            total: float
        """,
    )
    # A decoy in the package's own folder that does not import the module.
    write(tmp_path / "shop" / "main.py", "print('not the app')\n")
    uri = open_doc(client, tmp_path / "shop" / "models.py")
    diagnostics = await next_diagnostics(client, uri, lambda d: len(d) > 0)
    assert codes(diagnostics) == [("PB042", line_of(models, "total: float"))]


async def test_a_file_of_no_app_reports_only_syntax_errors(
    client: LanguageClient, tmp_path: Path
) -> None:
    text = write(tmp_path / "util.py", "def helper(x):\n    return x +\n")
    uri = open_doc(client, tmp_path / "util.py")
    diagnostics = await next_diagnostics(client, uri)
    assert codes(diagnostics) == [("PB001", line_of(text, "return x +"))]
    # Fixed, it is clean: no "no App in the entry module" for a helper file.
    m = mark(client)
    replace_all(client, uri, 2, "def helper(x):\n    return x + 1\n")
    assert await first_diagnostics(client, uri, m) == []


async def test_closing_the_last_file_of_an_app_clears_its_diagnostics(
    client: LanguageClient, tmp_path: Path
) -> None:
    write(tmp_path / "app.py", FAULTY)
    uri = open_doc(client, tmp_path / "app.py")
    assert codes(await next_diagnostics(client, uri)) != []
    m = mark(client)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert await first_diagnostics(client, uri, m) == []


async def test_a_save_finds_an_app_that_imports_the_file_since(
    client: LanguageClient, tmp_path: Path
) -> None:
    models = write(
        tmp_path / "models.py",
        """
        import msgspec


        class User(msgspec.Struct):
            name: str = ""
            age: int
        """,
    )
    uri = open_doc(client, tmp_path / "models.py")
    # No app imports it yet: nothing to report.
    assert await next_diagnostics(client, uri) == []
    write(
        tmp_path / "app.py",
        """
        from prebake import App

        from models import User

        app = App()


        @app.post("/users")
        def create(user: User) -> User:
            return user
        """,
    )
    m = mark(client)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    diagnostics = await next_diagnostics(client, uri, since=m)
    assert codes(diagnostics) == [("PB042", line_of(models, "age: int"))]


TEMPLATE_APP = """
    import msgspec
    from prebake import App

    app = App()


    class Page(msgspec.Struct):
        title: str
        items: list[str]


    @app.get("/", template="page.html")
    def page() -> Page:
        return Page("t", [])
"""


async def test_template_errors_show_on_the_template_as_it_is_typed(
    client: LanguageClient, tmp_path: Path
) -> None:
    write(tmp_path / "app.py", TEMPLATE_APP)
    page = write(tmp_path / "templates" / "page.html", "<h1>{{ tittle }}</h1>\n")
    # Only the template is open: its app is found in a parent folder.
    uri = open_doc(client, tmp_path / "templates" / "page.html")
    diagnostics = await next_diagnostics(client, uri, lambda d: len(d) > 0)
    assert codes(diagnostics) == [("PB131", line_of(page, "tittle"))]
    d = diagnostics[0]
    assert page.splitlines()[0][d.range.start.character : d.range.end.character] == "tittle"
    # The unsaved edit is what is checked: fixed, the file clears; a loop
    # over a string is reported next.
    since = mark(client)
    replace_all(client, uri, 2, "<h1>{{ title }}</h1>\n")
    assert await next_diagnostics(client, uri, lambda d: len(d) == 0, since=since) == []
    since = mark(client)
    bad = "<h1>{{ title }}</h1>\n{% for c in title %}{{ c }}{% endfor %}\n"
    replace_all(client, uri, 3, bad)
    diagnostics = await next_diagnostics(client, uri, lambda d: len(d) > 0, since=since)
    assert codes(diagnostics) == [("PB133", 1)]
