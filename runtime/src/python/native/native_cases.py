"""Types and generated bodies for the native decoder's tests against msgspec
(`native/mod.rs`): valid documents with every spelling JSON allows (whitespace,
key order, escapes, unknown keys, number forms), and corrupted ones."""

import json
import random
from typing import Annotated, Optional

import msgspec


class Leaf(msgspec.Struct):
    s: str
    i: int
    f: float
    b: bool
    n: Optional[int] = None


class Tagged(msgspec.Struct, rename="camel"):
    user_name: str
    score_value: float = 0.5
    tags_list: list[str] = msgspec.field(default_factory=list)


class Strict(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=8)]
    age: Annotated[int, msgspec.Meta(ge=0, le=150)]
    ratio: Annotated[float, msgspec.Meta(gt=0.0, lt=1.0)] = 0.5
    code: Annotated[str, msgspec.Meta(pattern="^[a-z]+$")] = "x"


class Weird(msgspec.Struct, rename={"a": "a/q", "b": "é", "c": "日本語のキー", "d": "x y"}):
    a: int = 0
    b: int = 0
    c: int = 0
    d: int = 0


class Doc(msgspec.Struct):
    id: int
    leaves: list[Leaf]
    tagged: Tagged
    floats: list[float]
    ints: list[int]
    strs: list[str]
    nested: list[list[int]] = msgspec.field(default_factory=list)
    maybe: Optional[Leaf] = None
    strict: Optional[Strict] = None
    weird: Optional[Weird] = None


TYPES = [Doc, Leaf, Tagged, Strict, Weird, list[Leaf], list[float], list[str]]

ALPHABET = "ab\"\\/\b\f\n\r\t\x00\x1f\x7fé€😀 xyz0123456789"


def rand_str(r):
    kind = r.random()
    if kind < 0.3:
        return "".join(r.choice("abcdefghij") for _ in range(r.randrange(0, 40)))
    if kind < 0.5:
        # Long text with one special character at every position in turn.
        n = r.randrange(1, 40)
        base = ["q"] * n
        base[r.randrange(n)] = r.choice(ALPHABET)
        return "".join(base)
    if kind < 0.6:
        return chr(r.randrange(0x80, 0x10FFFF)).encode("utf-8", "surrogatepass").decode(
            "utf-8", "replace"
        ) * r.randrange(1, 4)
    return "".join(r.choice(ALPHABET) for _ in range(r.randrange(0, 20)))


def enc_str(r, s):
    """`s` as a JSON string, escaped in one of several ways."""
    mode = r.random()
    if mode < 0.5:
        return json.dumps(s, ensure_ascii=False)
    if mode < 0.7:
        return json.dumps(s, ensure_ascii=True)
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch in '"\\' or c < 0x20 or r.random() < 0.2:
            if c >= 0x10000:
                c -= 0x10000
                out.append("\\u%04x\\u%04X" % (0xD800 + (c >> 10), 0xDC00 + (c & 0x3FF)))
            elif ch == "/" and r.random() < 0.5:
                out.append("\\/")
            else:
                out.append("\\u%04x" % c if r.random() < 0.5 else "\\u%04X" % c)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def rand_int(r):
    kind = r.random()
    if kind < 0.5:
        return str(r.randrange(-300, 300))
    if kind < 0.7:
        return str(r.choice([0, -1, 2**63 - 1, -(2**63), 2**63, 2**64, 10**18, -(10**19), 10**30]))
    return str(r.randrange(-(2**64), 2**64))


def rand_float(r):
    kind = r.random()
    if kind < 0.25:
        return "%d.%0*d" % (r.randrange(-1000, 1000), r.randrange(1, 4), r.randrange(0, 999))
    if kind < 0.4:
        return repr(r.uniform(-1e6, 1e6))
    if kind < 0.5:
        # Near rounding boundaries: 17 to 25 significant digits.
        digits = "".join(r.choice("0123456789") for _ in range(r.randrange(17, 26)))
        return "%s%s.%se%d" % (r.choice(["", "-"]), r.randrange(1, 10), digits, r.randrange(-330, 310))
    if kind < 0.6:
        x = random.Random(r.random()).getrandbits(64)
        import struct

        f = struct.unpack("<d", struct.pack("<Q", x))[0]
        if f != f or f in (float("inf"), float("-inf")):
            f = 1.5
        return repr(f).replace("inf", "1e999")
    if kind < 0.7:
        return r.choice(["0", "-0", "0.0", "-0.0", "1e22", "1e23", "9007199254740993", "1E5", "1e+5", "1.0e-5", "123456789012345678", "1234567890123456789", "12345678901234567890", "5e-324", "1e-400", "1e400", "0.1e1", "00.5", "1.", ".5", "1e", "-", "2.5E-3"])
    if kind < 0.8:
        return str(r.randrange(-(10**20), 10**20))
    m = r.randrange(1, 2**53)
    e = r.randrange(-25, 25)
    return "%de%d" % (m, e)


def ws(r):
    return r.choice(["", "", "", " ", "\n", "\t ", "\r\n  "])


def obj(r, pairs):
    pairs = list(pairs)
    if r.random() < 0.2:
        r.shuffle(pairs)
    if r.random() < 0.1 and pairs:
        pairs.append(r.choice(pairs))
    if r.random() < 0.15:
        pairs.insert(r.randrange(len(pairs) + 1), (enc_str(r, rand_str(r)), gen_any(r, 0)))
    if r.random() < 0.1 and pairs:
        pairs.pop(r.randrange(len(pairs)))
    parts = [ws(r) + k + ws(r) + ":" + ws(r) + v + ws(r) for k, v in pairs]
    return "{" + ",".join(parts) + ws(r) + "}"


def key(r, name):
    return enc_str(r, name) if r.random() < 0.2 else json.dumps(name, ensure_ascii=False)


def gen_any(r, depth):
    kind = r.randrange(6 if depth < 3 else 4)
    if kind == 0:
        return enc_str(r, rand_str(r))
    if kind == 1:
        return rand_float(r)
    if kind == 2:
        return r.choice(["true", "false", "null"])
    if kind == 3:
        return rand_int(r)
    if kind == 4:
        return "[" + ",".join(gen_any(r, depth + 1) for _ in range(r.randrange(4))) + "]"
    return obj(r, [(enc_str(r, rand_str(r)), gen_any(r, depth + 1)) for _ in range(r.randrange(3))])


def arr(r, f):
    return "[" + ws(r) + ("," + ws(r)).join(f(r) for _ in range(r.randrange(0, 6))) + ws(r) + "]"


def leaf(r):
    fields = [
        (key(r, "s"), enc_str(r, rand_str(r))),
        (key(r, "i"), rand_int(r) if r.random() < 0.9 else rand_float(r)),
        (key(r, "f"), rand_float(r)),
        (key(r, "b"), r.choice(["true", "false", "null", "1"])),
    ]
    if r.random() < 0.5:
        fields.append((key(r, "n"), r.choice(["null", rand_int(r)])))
    return obj(r, fields)


def tagged(r):
    fields = [(key(r, "userName"), enc_str(r, rand_str(r)))]
    if r.random() < 0.6:
        fields.append((key(r, "scoreValue"), rand_float(r)))
    if r.random() < 0.6:
        fields.append((key(r, "tagsList"), arr(r, lambda r: enc_str(r, rand_str(r)))))
    if r.random() < 0.1:
        fields.append((key(r, "user_name"), '"snake"'))
    return obj(r, fields)


def strict(r):
    fields = [
        (key(r, "name"), enc_str(r, r.choice(["", "a", "abcdefgh", "abcdefghi", "é", rand_str(r)]))),
        (key(r, "age"), r.choice(["0", "150", "151", "-1", "42", "42.0"])),
    ]
    if r.random() < 0.5:
        fields.append((key(r, "ratio"), r.choice(["0", "0.0", "0.5", "1", "1.0", "0.999", rand_float(r)])))
    if r.random() < 0.5:
        fields.append((key(r, "code"), enc_str(r, r.choice(["abc", "ABC", "", "a b"]))))
    return obj(r, fields)


def weird(r):
    names = ["a/q", "é", "日本語のキー", "x y", "a", "b"]
    return obj(r, [(enc_str(r, n), rand_int(r)) for n in names if r.random() < 0.7])


def doc(r):
    fields = [
        (key(r, "id"), rand_int(r)),
        (key(r, "leaves"), arr(r, leaf)),
        (key(r, "tagged"), tagged(r)),
        (key(r, "floats"), arr(r, rand_float)),
        (key(r, "ints"), arr(r, rand_int)),
        (key(r, "strs"), arr(r, lambda r: enc_str(r, rand_str(r)))),
    ]
    if r.random() < 0.5:
        fields.append((key(r, "nested"), arr(r, lambda r: arr(r, rand_int))))
    if r.random() < 0.5:
        fields.append((key(r, "maybe"), r.choice(["null", leaf(r)])))
    if r.random() < 0.5:
        fields.append((key(r, "strict"), r.choice(["null", strict(r)])))
    if r.random() < 0.5:
        fields.append((key(r, "weird"), r.choice(["null", weird(r)])))
    return obj(r, fields)


GEN = {
    Doc: doc,
    Leaf: leaf,
    Tagged: tagged,
    Strict: strict,
    Weird: weird,
    list[Leaf]: lambda r: arr(r, leaf),
    list[float]: lambda r: arr(r, rand_float),
    list[str]: lambda r: arr(r, lambda r: enc_str(r, rand_str(r))),
}


def corrupt(r, b):
    kind = r.randrange(4)
    if not b:
        return b
    i = r.randrange(len(b))
    if kind == 0:
        return b[:i]
    if kind == 1:
        return b[:i] + bytes([r.randrange(256)]) + b[i + 1 :]
    if kind == 2:
        return b[:i] + b[i + 1 :]
    return b[:i] + r.choice([b"\\", b'"', b",", b"}", b"]", b"\xff", b"\xc3", b"\x00"]) + b[i:]


def cases(seed, n):
    """`n` (type index, body) pairs."""
    r = random.Random(seed)
    out = []
    for _ in range(n):
        t = r.randrange(len(TYPES))
        body = GEN[TYPES[t]](r).encode("utf-8", "surrogatepass")
        if r.random() < 0.25:
            body = corrupt(r, body)
        out.append((t, body))
    return out
