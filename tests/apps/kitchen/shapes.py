"""Models of the kitchen test app, imported relatively (and `Shape` absolutely too)."""

import enum

import msgspec


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Point(msgspec.Struct, forbid_unknown_fields=True):
    x: int
    y: int
    label: str = ""


class Shape(msgspec.Struct):
    kind: str
    size: int
