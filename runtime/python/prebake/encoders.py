"""`jsonable_encoder`, as `fastapi.encoders` names it.

It turns a value into plain JSON-ready Python data (dicts, lists, strings,
numbers, booleans, `None`): msgspec Structs, dataclasses, TypedDicts, enums,
UUIDs and the other types msgspec knows become what `msgspec.to_builtins`
makes of them, with FastAPI's keywords and FastAPI's formats for the values
ported code stores or compares (datetimes as `isoformat()`, a `timedelta`
as its seconds, a `Decimal` as an int or a float, bytes decoded).
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

__all__ = ["jsonable_encoder"]

_LEAVES = (datetime.datetime, datetime.date, datetime.time, datetime.timedelta, decimal.Decimal)

IncEx = set[int] | set[str] | Mapping[int, Any] | Mapping[str, Any]


def jsonable_encoder(
    obj: Any,
    include: IncEx | None = None,
    exclude: IncEx | None = None,
    by_alias: bool = True,
    exclude_unset: bool = False,
    exclude_defaults: bool = False,
    exclude_none: bool = False,
    custom_encoder: Mapping[Any, Callable[[Any], Any]] | None = None,
    sqlalchemy_safe: bool = True,
) -> Any:
    """`obj` as JSON-ready builtins.

    `include` and `exclude` name the keys (fields of a model, keys of a
    dict) kept or dropped at the top level. `by_alias` (the default) keys a
    Struct's fields by their encoded names (`rename=`), else by attribute
    names. `exclude_unset` drops fields left `msgspec.UNSET` (always left out,
    as msgspec does), `exclude_defaults` fields equal to their default,
    `exclude_none` `None` values, all three at every level. `custom_encoder`
    maps a type to the function that encodes its instances.
    `sqlalchemy_safe` is accepted for ported code.
    """
    del exclude_unset, sqlalchemy_safe
    encoders = dict(custom_encoder or {})
    return _encode(obj, include, exclude, by_alias, exclude_defaults, exclude_none, encoders)


def _encode(
    obj: Any,
    include: IncEx | None,
    exclude: IncEx | None,
    by_alias: bool,
    exclude_defaults: bool,
    exclude_none: bool,
    encoders: dict[Any, Callable[[Any], Any]],
) -> Any:
    if encoders:
        if type(obj) in encoders:
            return encoders[type(obj)](obj)
        for cls, encoder in encoders.items():
            if isinstance(obj, cls):
                return encoder(obj)

    def again(value: Any) -> Any:
        return _encode(value, None, None, by_alias, exclude_defaults, exclude_none, encoders)

    if obj is None or isinstance(obj, (bool, int, float, str)) and not isinstance(obj, enum.Enum):
        return obj
    if isinstance(obj, enum.Enum):
        return again(obj.value)
    if isinstance(obj, msgspec.Struct):
        items = {}
        for f in msgspec.structs.fields(obj):
            value = getattr(obj, f.name)
            if value is msgspec.UNSET:
                continue
            if exclude_defaults and f.default is not msgspec.NODEFAULT and value == f.default:
                continue
            items[f.encode_name if by_alias else f.name] = value
        return _mapping(items, include, exclude, exclude_none, again)
    if _is_dataclass_instance(obj):
        items = {}
        for dc_field in dataclasses.fields(obj):
            value = getattr(obj, dc_field.name)
            default = dc_field.default
            if exclude_defaults and default is not dataclasses.MISSING and value == default:
                continue
            items[dc_field.name] = value
        return _mapping(items, include, exclude, exclude_none, again)
    if isinstance(obj, Mapping):
        return _mapping(obj, include, exclude, exclude_none, again)
    if isinstance(obj, (list, tuple, set, frozenset)) or _is_iterator(obj):
        return [again(v) for v in obj]
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj).decode()
    if isinstance(obj, (datetime.datetime, datetime.date, datetime.time)):
        return obj.isoformat()
    if isinstance(obj, datetime.timedelta):
        return obj.total_seconds()
    if isinstance(obj, decimal.Decimal):
        exponent = obj.as_tuple().exponent
        return int(obj) if isinstance(exponent, int) and exponent >= 0 else float(obj)
    try:
        return again(msgspec.to_builtins(obj, builtin_types=_LEAVES, str_keys=True))
    except TypeError:
        pass
    # FastAPI's last resort: the object's mapping, else its attributes.
    try:
        data = dict(obj)
    except (TypeError, ValueError):
        try:
            data = vars(obj)
        except TypeError as e:
            raise ValueError(f"cannot encode {type(obj).__name__!r} as JSON") from e
    return again(data)


def _is_dataclass_instance(obj: Any) -> bool:
    # A plain bool, not `is_dataclass`'s type guard: the checks after it
    # keep `obj` as `Any`.
    return dataclasses.is_dataclass(obj) and not isinstance(obj, type)


def _is_iterator(obj: Any) -> bool:
    return hasattr(obj, "__next__") and hasattr(obj, "__iter__")


def _mapping(
    items: Mapping[Any, Any],
    include: IncEx | None,
    exclude: IncEx | None,
    exclude_none: bool,
    again: Callable[[Any], Any],
) -> dict[Any, Any]:
    out = {}
    for key, value in items.items():
        if include is not None and key not in include:
            continue
        if exclude is not None and key in exclude:
            continue
        if exclude_none and value is None:
            continue
        encoded_key = again(key)
        if not isinstance(encoded_key, str):
            encoded_key = str(encoded_key) if not isinstance(encoded_key, (int, float)) else encoded_key
        out[encoded_key] = again(value)
    return out
