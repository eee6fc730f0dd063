"""The OpenAPI document's schemas against msgspec's own.

For every `POST /t/N` route of the matrix app, the request body schema the
compiler writes into the document must equal the schema
`msgspec.json.schema_components` gives for the same type, and the
components (one per model) must equal msgspec's components, name for name.

One exception, named here: msgspec has no schema for a field annotated
`object` (it asks for a `schema_hook`); prebake reads `object` as `Any`,
whose schema is `{}`. The hook below stands in for that.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import msgspec

import gen
from test_check import checker

ANY_OBJECT = {"x-prebake-object": True}


def hook(t: type) -> dict[str, Any]:
    if t is object:
        return ANY_OBJECT
    raise NotImplementedError


def strict(v: Any) -> Any:
    """A value whose equality tells `1`, `1.0` and `True` apart."""
    if isinstance(v, dict):
        return {k: strict(x) for k, x in v.items()}
    if isinstance(v, list):
        return [strict(x) for x in v]
    return (type(v).__name__, v)


def unwrap_any(v: Any) -> Any:
    """msgspec's schema as its JSON text reads (tuples become lists, int
    keys strings), with `{"x-prebake-object": true, ...}` -> `{...}`."""
    v = json.loads(json.dumps(v))
    return _unwrap(v)


def _unwrap(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _unwrap(x) for k, x in v.items() if k != "x-prebake-object"}
    if isinstance(v, list):
        return [_unwrap(x) for x in v]
    return v


def _local_names(v: Any) -> Any:
    if isinstance(v, dict):
        return {_local_names(k): _local_names(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_local_names(x) for x in v)
    if isinstance(v, str):
        return v.replace("matrix.", "")
    return v


def test_schemas_match_msgspec() -> None:
    app = gen.load_app()
    routes = [r for r in app.routes if r.kind == "t"]
    schemas, components = msgspec.json.schema_components(
        [r.ty for r in routes], schema_hook=hook, ref_template="#/components/schemas/{name}"
    )
    # This test imports the matrix app as the package `matrix`; in the
    # binary its modules are top-level (`models`), which is what
    # module-qualified names (generic aliases, shared class names) show.
    schemas, components = _local_names((schemas, components))
    out = subprocess.run(
        [*checker(), "openapi", str(gen.ROOT / "tests" / "apps" / "matrix" / "app.py")],
        cwd=gen.ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    # `Counted[int]` binds the TypeVar to its own bound: prebake lowers it as
    # the bare class (the same schema), which msgspec names by the alias.
    same_as_bare = {"Counted[int]"}
    components = {k: v for k, v in components.items() if k != "Counted_int_"}
    wrong = []
    for r, want in zip(routes, schemas):
        if gen.type_repr(r.ty) in same_as_bare:
            continue
        got = doc["paths"][f"/t/{r.index}"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        if strict(got) != strict(unwrap_any(want)):
            wrong.append(f"{gen.type_repr(r.ty)}:\n  prebake {json.dumps(got)}\n  msgspec {json.dumps(want)}")
    got_components = doc["components"]["schemas"]
    for name, want in components.items():
        got = got_components.get(name)
        if got is None or strict(got) != strict(unwrap_any(want)):
            wrong.append(f"component {name}:\n  prebake {json.dumps(got)}\n  msgspec {json.dumps(want)}")
    extra = set(got_components) - set(components) - {"HTTPError", "ValidationError"}
    if extra:
        wrong.append(f"components msgspec does not have: {sorted(extra)}")
    assert not wrong, f"{len(wrong)} schemas differ from msgspec's:\n" + "\n".join(wrong)
