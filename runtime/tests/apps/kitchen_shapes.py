"""A sibling module of `kitchen_app`, imported both relatively and absolutely."""

import msgspec


class Shape(msgspec.Struct):
    kind: str
    size: int
