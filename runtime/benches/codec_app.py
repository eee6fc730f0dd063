"""The app `runtime/benches/codec_bench.rs` measures: decoding a body into
Structs and encoding it back, against msgspec in the same interpreter.

`/validate` is the hello example's (`{"name":"Ada","age":42}`); `/catalog` takes a
nested document of about 10 KB (`codec_doc.json`).
"""

from typing import Annotated

import msgspec

from prebake import App

app = App(title="codec")


class User(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    age: Annotated[int, msgspec.Meta(ge=0, le=150)]
    email: str | None = None


class Address(msgspec.Struct):
    street: str
    city: str
    zip: str
    country: str = "NL"


class Variant(msgspec.Struct):
    sku: str
    price: float
    stock: int
    tags: list[str] = msgspec.field(default_factory=list)


class Product(msgspec.Struct):
    id: int
    name: str
    description: str
    price: float
    rating: float | None = None
    in_stock: bool = True
    variants: list[Variant] = msgspec.field(default_factory=list)
    categories: list[str] = msgspec.field(default_factory=list)


class Catalog(msgspec.Struct):
    id: int
    owner: User
    address: Address
    products: list[Product]
    tags: list[str] = msgspec.field(default_factory=list)


@app.post("/validate", status_code=201)
def validate(user: User) -> User:
    return user


@app.post("/catalog")
def catalog(doc: Catalog) -> Catalog:
    return doc


class Strings(msgspec.Struct):
    items: list[str]


class Floats(msgspec.Struct):
    items: list[float]


class Point(msgspec.Struct):
    x: int
    y: int


class Points(msgspec.Struct):
    items: list[Point]


@app.post("/strings")
def strings(body: Strings) -> Strings:
    return body


@app.post("/floats")
def floats(body: Floats) -> Floats:
    return body


@app.post("/points")
def points(body: Points) -> Points:
    return body
