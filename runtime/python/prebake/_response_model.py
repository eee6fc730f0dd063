"""FastAPI's `response_model_*` options, for the routes that set them.

A route decorated with `response_model_exclude_unset=`, `_exclude_defaults=`,
`_exclude_none=`, `_include=` or `_exclude=` answers through `render`: the
returned value is read into the declared type as `response_model=` reads it
(`msgspec.convert`, by attributes, leniently), then written as msgspec writes
it, less the fields the options leave out. Every other route is encoded by
its generated encoder and never comes here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from typing import Any

import msgspec

_NODEFAULT = msgspec.NODEFAULT
#: A dataclass field msgspec left at its class default (see `_value`).
_MISSING = object()


def render(
    value: Any,
    tp: Any,
    include: Collection[str] | None,
    exclude: Collection[str] | None,
    exclude_unset: bool,
    exclude_defaults: bool,
    exclude_none: bool,
) -> bytes:
    """The JSON body of `value`, returned for the declared type `tp`."""
    model = msgspec.convert(value, tp, from_attributes=True, strict=False)
    opts = (exclude_unset, exclude_defaults, exclude_none)
    out = _dump(model, value, opts)
    if isinstance(out, dict) and (include is not None or exclude is not None):
        out = {
            k: v for k, v in out.items()
            if (include is None or k in include) and (exclude is None or k not in exclude)
        }
    return msgspec.json.encode(out)


def _dump(obj: Any, source: Any, opts: tuple[bool, bool, bool]) -> Any:
    """`obj` with its models as dicts of the fields the options keep.
    `source` is what the handler returned at this spot: the keys of a dict
    are the fields it set (FastAPI's "unset" are the others)."""
    if isinstance(obj, msgspec.Struct):
        config = obj.__struct_config__
        if config.array_like:
            return obj  # written as msgspec writes it: an array, every field
        tag = None if config.tag_field is None else (config.tag_field, config.tag)
        return _fields(obj, source, _struct_fields(obj), opts, tag, config.omit_defaults)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _fields(obj, source, _dataclass_fields(obj), opts, None, False)
    if isinstance(obj, dict):
        return {
            k: _dump(v, source.get(k) if isinstance(source, dict) else None, opts)
            for k, v in obj.items()
        }
    if isinstance(obj, (list, tuple)):
        items = list(source) if isinstance(source, (list, tuple)) else []
        return [
            _dump(v, items[i] if i < len(items) else None, opts) for i, v in enumerate(obj)
        ]
    return obj


def _fields(
    obj: Any,
    source: Any,
    fields: list[tuple[str, str, Any]],
    opts: tuple[bool, bool, bool],
    tag: tuple[str, Any] | None,
    omit_defaults: bool,
) -> dict[str, Any]:
    """The kept fields of one model. `omit_defaults` is the Struct's own
    option (msgspec leaves its default-valued fields out); it applies to
    this model only, not to the models inside it."""
    exclude_unset, exclude_defaults, exclude_none = opts
    exclude_defaults = exclude_defaults or omit_defaults
    out: dict[str, Any] = {}
    if tag is not None:
        out[tag[0]] = tag[1]
    for name, key, default in fields:
        value = _value(obj, name)
        if value is _MISSING or value is msgspec.UNSET:
            continue  # msgspec leaves out a field the instance does not have
        if exclude_unset and _unset(source, name, key, value, default):
            continue
        if exclude_defaults and default is not _NODEFAULT and _equal(value, default):
            continue
        if exclude_none and value is None:
            continue
        out[key] = _dump(value, _sub(source, name, key), opts)
    return out


def _value(obj: Any, name: str) -> Any:
    """A field's value, or `_MISSING` for a dataclass field msgspec left at
    its class default (not in the instance's `__dict__`: msgspec leaves it
    out of the JSON)."""
    if not isinstance(obj, msgspec.Struct):
        d = getattr(obj, "__dict__", None)
        if d is not None:
            return d.get(name, _MISSING)
    return getattr(obj, name, _MISSING)


def _unset(source: Any, name: str, key: str, value: Any, default: Any) -> bool:
    """Whether the handler left the field out: absent from a returned dict;
    for a returned object, which cannot tell, equal to its default."""
    if isinstance(source, dict):
        return key not in source and name not in source
    return default is not _NODEFAULT and _equal(value, default)


def _sub(source: Any, name: str, key: str) -> Any:
    if isinstance(source, dict):
        return source.get(key, source.get(name))
    return getattr(source, name, None)


def _equal(value: Any, default: Any) -> bool:
    try:
        return bool(value == default)
    except Exception:
        return False


def _struct_fields(obj: msgspec.Struct) -> list[tuple[str, str, Any]]:
    out = []
    for f in msgspec.structs.fields(obj):
        if f.default is not _NODEFAULT:
            default = f.default
        elif f.default_factory is not _NODEFAULT:
            default = f.default_factory()
        else:
            default = _NODEFAULT
        out.append((f.name, f.encode_name, default))
    return out


def _dataclass_fields(obj: Any) -> list[tuple[str, str, Any]]:
    out = []
    for f in dataclasses.fields(obj):
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = _NODEFAULT
        out.append((f.name, f.name, default))
    return out
