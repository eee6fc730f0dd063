"""The checker against msgspec: an annotation is a check-time error exactly
when msgspec refuses it (when `Meta(...)`, the class or the decoder is
built), so nothing msgspec rejects reaches a running server.

Each annotation below becomes one route of a generated app (models from
`tests/apps/matrix/models.py`); `prebake check --format json` must report an
error on that route's line if and only if `msgspec.json.Decoder(T)` raises.
`STRICTER` lists the annotations the checker refuses on purpose although
msgspec builds a decoder for them: types that can never decode a value.
"""

from __future__ import annotations

import datetime
import decimal
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union

import msgspec

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MODELS = ROOT / "tests" / "apps" / "matrix" / "models.py"

M = "msgspec.Meta"
ANNOTATIONS = [
    "dict[float, int]",
    "dict[bytes, int]",
    "dict[datetime.date, int]",
    "dict[datetime.datetime, int]",
    "dict[Literal[1, 2], int]",
    "dict[decimal.Decimal, int]",
    "dict[int | str, int]",
    "dict[Priority, int]",
    "dict[Level, int]",
    "dict[uuid.UUID, int]",
    "dict[Any, int]",
    f"dict[Annotated[int, {M}(ge=0)], int]",
    "list[int] | tuple[int, ...]",
    "Item | dict[str, int]",
    "Cat | Item",
    "Cat | Dog | Item",
    "Literal['a'] | str",
    "int | Priority",
    "int | Literal[1]",
    "Priority | Literal[5]",
    "Color | Literal['x']",
    "Color | Status",
    "datetime.datetime | str",
    "bytes | str",
    "uuid.UUID | str",
    "float | decimal.Decimal",
    "int | decimal.Decimal",
    "datetime.date | datetime.datetime",
    "Literal[1, 'a', None]",
    "Literal[True, False]",
    "Literal[True, 1]",
    "Literal['a'] | Literal['b']",
    "set[FrozenPoint]",
    "set[Color]",
    "set[float]",
    "set[tuple[int, str]]",
    f"Annotated[str, {M}(ge=1)]",
    f"Annotated[int, {M}(min_length=1)]",
    f"Annotated[list[int], {M}(ge=1)]",
    f"Annotated[datetime.date, {M}(tz=True)]",
    f"Annotated[float, {M}(multiple_of=1e-320)]",
    f"Annotated[int, {M}(ge=9223372036854775808)]",
    f"Annotated[int, {M}(ge=9223372036854775807)]",
    f"Annotated[int, {M}(gt=9223372036854775807)]",
    f"Annotated[int, {M}(gt=9223372036854775806)]",
    f"Annotated[int, {M}(lt=-9223372036854775808)]",
    f"Annotated[int, {M}(le=-9223372036854775809)]",
    f"Annotated[int, {M}(multiple_of=9223372036854775808)]",
    f"Annotated[str, {M}(max_length=9223372036854775808)]",
    "Literal[9223372036854775808]",
    "Literal[-9223372036854775809]",
    "Literal[-9223372036854775808]",
    "Literal[1.5]",
    "Optional[Cat | Dog]",
    "tuple[()] | list[int]",
    "Movie | Item",
    "Movie | dict[str, int]",
    "DataclassUser | Item",
    "bytearray",
    f"Annotated[bytearray, {M}(max_length=2)]",
    "memoryview",
    f"Annotated[memoryview, {M}(min_length=1)]",
    "list[memoryview]",
    "memoryview | None",
    "memoryview | str",
    "msgspec.Raw",
    "msgspec.Raw | None",
    "list[msgspec.Raw]",
    "msgspec.Raw | int",
    f"Annotated[int, {M}(ge=0)] | Annotated[str, {M}(min_length=1)]",
    f"Annotated[int | None, {M}(ge=0)]",
    f"Annotated[Color, {M}(min_length=1)]",
    f"Annotated[Any, {M}(ge=1)]",
    "Point2",
    "Point2 | None",
    "Point2 | list[int]",
    "Point2 | tuple[int, float]",
    "Point2 | Row",
    "Point2 | Point3",
    "Point2 | Item",
    "Point2 | int | str",
    "Row | Movie",
    "GPair[int, str]",
    "GPair[int, str] | GPair[str, int]",
    "GPair[Point2, Row]",
    "list[Point2] | Row",
    "NoFields",
    "set[Point2]",
    "Legacy",
    "Coord | Legacy",
    "Coord | Item | None",
    "list[Legacy]",
]

# Refused by the checker although msgspec builds a decoder: no value can
# ever decode (JSON keys are strings; set items must hash).
STRICTER = [
    "dict[bool, int]",
    "dict[tuple[int, int], int]",
    "dict[int | None, int]",
    "dict[frozenset[int], int]",
    "set[list[int]]",
    "set[Item]",
]


def msgspec_accepts(annotation: str, ns: dict[str, Any]) -> bool:
    try:
        msgspec.json.Decoder(eval(annotation, ns))
        return True
    except Exception:
        return False


def checker() -> list[str]:
    exe = os.environ.get("PREBAKE_XTASK")
    if exe:
        return [exe]
    return [os.environ.get("CARGO", "cargo"), "xtask"]


def test_check_errors_match_msgspec(tmp_path: Path) -> None:
    shutil.copy(MODELS, tmp_path / "models.py")
    sys.path.insert(0, str(tmp_path))
    try:
        import models
    finally:
        sys.path.pop(0)
    names = [n for n in vars(models) if isinstance(getattr(models, n), type) and getattr(models, n).__module__ == "models"]
    ns: dict[str, Any] = dict(vars(models))
    ns.update(
        datetime=datetime, decimal=decimal, uuid=uuid, msgspec=msgspec,
        Annotated=Annotated, Any=Any, Literal=Literal, Optional=Optional, Union=Union,
    )
    lines = [
        "import datetime",
        "import decimal",
        "import uuid",
        "from typing import Annotated, Any, Literal, Optional, Union",
        "import msgspec",
        "from prebake import App, Body",
        f"from .models import {', '.join(sorted(names))}",
        'app = App(title="check")',
    ]
    line_of: dict[int, str] = {}
    for i, ann in enumerate(ANNOTATIONS + STRICTER):
        lines.append(f'@app.post("/t/{i}")')
        lines.append(f"def t{i}(body: Annotated[{ann}, Body()]) -> int:")
        line_of[len(lines)] = ann
        lines.append("    return 0")
    (tmp_path / "app.py").write_text("\n".join(lines) + "\n")
    out = subprocess.run(
        [*checker(), "check", str(tmp_path / "app.py"), "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    diags = json.loads(out.stdout)
    errors: dict[str, list[str]] = {}
    for d in diags:
        if d["severity"] == "error":
            ann = line_of.get(d["line"], f"{d['file']}:{d['line']}")
            errors.setdefault(ann, []).append(f"{d['code']} {d['message']}")
    wrong = []
    for ann in ANNOTATIONS:
        accepted = msgspec_accepts(ann, ns)
        if accepted == (ann in errors):
            said = "accepts" if accepted else "refuses"
            wrong.append(f"{ann}: msgspec {said} it, the checker says {errors.get(ann, 'nothing')}")
    for ann in STRICTER:
        if ann not in errors:
            wrong.append(f"{ann}: the checker should refuse it")
    stray = [f"{k}: {v}" for k, v in errors.items() if k not in ANNOTATIONS and k not in STRICTER]
    assert not wrong and not stray, "\n".join(wrong + stray)
