"""The object a route's body parameters are read from, when there are several.

FastAPI reads two or more body parameters (or one marked
``Body(embed=True)``) from one JSON object keyed by their names:
``{"item": {...}, "user": {...}, "importance": 5}``. The compiler describes
that object as a Struct, built here once at start-up, so msgspec decodes and
validates the whole body in one pass and its errors carry the field's path
(``item.name``).
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["body_struct"]


def body_struct(name: str, fields: tuple[tuple[str, str, Any, bool], ...]) -> type[msgspec.Struct]:
    """A Struct named `name` with one field per body parameter.

    Each entry of `fields` is the parameter's name, its key in the body (its
    alias), its type and whether it is required. An optional field defaults
    to `msgspec.UNSET`, which the runtime replaces by the parameter's own
    default (so a mutable default is never shared between requests).
    """
    specs: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    rename: dict[str, str] = {}
    for attr, key, tp, required in fields:
        specs.append((attr, tp) if required else (attr, tp, msgspec.UNSET))
        if key != attr:
            rename[attr] = key
    return msgspec.defstruct(name, specs, kw_only=True, rename=rename or None, module=__name__)
