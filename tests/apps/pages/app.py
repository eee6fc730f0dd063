"""Template routes (`template=`): XSS payloads in every position,
inheritance, includes, macros,
optional, enum, nested and list fields of Structs, dataclasses and
TypedDicts, and the other ways a template route answers (an
`HTTPException`, a `Response`, a value of the wrong type), plus an
`HTMLResponse` built by hand. The TechEmpower fortunes page is the bench
app's (`bench/apps/fortunes`), tested as `fortunes` in tests/apps.txt."""

import datetime
import enum
from dataclasses import dataclass
from typing import Any, TypedDict

import msgspec

from prebake import App, HTMLResponse, HTTPException, Response

app = App(title="pages")


class Echo(msgspec.Struct):
    text: str


@app.get("/xss", template="xss.html")
def xss(text: str) -> Echo:
    return Echo(text)


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclass
class Address:
    city: str
    zip: str | None = None


class Tag(TypedDict):
    name: str
    weight: float


class Profile(msgspec.Struct):
    name: str
    age: int
    score: float
    admin: bool
    color: Color
    level: Level
    nickname: str | None
    address: Address
    tags: list[Tag]
    joined: datetime.date
    friends: list[str]
    manager: "Profile | None" = None
    notes: dict[str, int] = {}


def _not_a_profile() -> Any:
    return {"name": "broken"}


@app.get("/profile/{name}", template="profile.html")
def profile(name: str, nick: str | None = None) -> Profile:
    if name == "missing":
        raise HTTPException(404, "no such profile")
    if name == "redirect":
        return Response(b"", status_code=307, headers={"location": "/profile/ann"})  # type: ignore[return-value]
    if name == "broken":
        return _not_a_profile()
    boss = Profile(
        "Boss", 60, 9.5, True, Color.BLUE, Level.HIGH, None, Address("Paris"), [], datetime.date(2001, 1, 1), []
    )
    return Profile(
        name=name,
        age=42,
        score=1.0,
        admin=False,
        color=Color.RED,
        level=Level.LOW,
        nickname=nick,
        address=Address("Lyon", "69001"),
        tags=[Tag(name="a&b", weight=0.5), Tag(name="c", weight=2.0)],
        joined=datetime.date(2020, 2, 29),
        friends=["Bob", "Eve"],
        manager=boss,
    )


@app.get("/hand")
def hand(name: str = "world") -> HTMLResponse:
    return HTMLResponse(f"<p>Hello, {name}</p>", headers={"x-hand": "1"})
