"""Routes chosen to stress the generated router (tests/fuzz_router.rs).

Static routes that share prefixes with dynamic ones, backtracking between
a static and a parameter segment, catch-alls, trailing slashes, several
methods on one template, and enough static paths to exercise the perfect
hash. The handlers only exist so that the app compiles; the fuzz test
never calls them.
"""

from prebake import App

app = App(title="Router stress")


@app.get("/")
def root() -> str:
    return ""


@app.get("/users")
def users() -> str:
    return ""


@app.post("/users")
def create_user() -> str:
    return ""


@app.get("/users/me")
def me() -> str:
    return ""


@app.get("/users/{user_id}")
def user(user_id: str) -> str:
    return user_id


@app.delete("/users/{user_id}")
def delete_user(user_id: str) -> str:
    return user_id


@app.get("/users/{user_id}/repos/{repo}")
def repo(user_id: str, repo: str) -> str:
    return repo


@app.put("/users/{user_id}/repos/{repo}")
def put_repo(user_id: str, repo: str) -> str:
    return repo


@app.get("/a/{x}/c")
def axc(x: str) -> str:
    return x


@app.get("/a/b/{y}")
def aby(y: str) -> str:
    return y


@app.get("/a/b/c/d")
def abcd() -> str:
    return ""


@app.get("/files/{rest:path}")
def files(rest: str) -> str:
    return rest


@app.get("/files/special/x")
def special() -> str:
    return ""


@app.get("/trailing/")
def trailing() -> str:
    return ""


@app.get("/items/{item_id}")
def item(item_id: str) -> str:
    return item_id


@app.patch("/items/{item_id}/tags/{tag}")
def tag(item_id: str, tag: str) -> str:
    return tag


@app.options("/items")
def items_options() -> str:
    return ""


@app.head("/ping")
def ping() -> str:
    return ""


@app.get("/a/b/c")
def abc() -> str:
    return ""


@app.get("/v/{version}/{rest:path}")
def versioned(version: str, rest: str) -> str:
    return rest


@app.get("/v/latest/{name}")
def latest(name: str) -> str:
    return name


@app.get("/static/s0")
def static_0() -> str:
    return ""

@app.get("/static/s1")
def static_1() -> str:
    return ""

@app.get("/static/s2")
def static_2() -> str:
    return ""

@app.get("/static/s3")
def static_3() -> str:
    return ""

@app.get("/static/s4")
def static_4() -> str:
    return ""

@app.get("/static/s5")
def static_5() -> str:
    return ""

@app.get("/static/s6")
def static_6() -> str:
    return ""

@app.get("/static/s7")
def static_7() -> str:
    return ""

@app.get("/static/s8")
def static_8() -> str:
    return ""

@app.get("/static/s9")
def static_9() -> str:
    return ""

@app.get("/static/s10")
def static_10() -> str:
    return ""

@app.get("/static/s11")
def static_11() -> str:
    return ""

@app.get("/static/s12")
def static_12() -> str:
    return ""

@app.get("/static/s13")
def static_13() -> str:
    return ""

@app.get("/static/s14")
def static_14() -> str:
    return ""

@app.get("/static/s15")
def static_15() -> str:
    return ""

@app.get("/static/s16")
def static_16() -> str:
    return ""

@app.get("/static/s17")
def static_17() -> str:
    return ""

@app.get("/static/s18")
def static_18() -> str:
    return ""

@app.get("/static/s19")
def static_19() -> str:
    return ""

@app.get("/static/s20")
def static_20() -> str:
    return ""

@app.get("/static/s21")
def static_21() -> str:
    return ""

@app.get("/static/s22")
def static_22() -> str:
    return ""

@app.get("/static/s23")
def static_23() -> str:
    return ""

@app.get("/static/s24")
def static_24() -> str:
    return ""

@app.get("/static/s25")
def static_25() -> str:
    return ""

@app.get("/static/s26")
def static_26() -> str:
    return ""

@app.get("/static/s27")
def static_27() -> str:
    return ""

@app.get("/static/s28")
def static_28() -> str:
    return ""

@app.get("/static/s29")
def static_29() -> str:
    return ""

@app.get("/static/s30")
def static_30() -> str:
    return ""

@app.get("/static/s31")
def static_31() -> str:
    return ""

@app.get("/static/s32")
def static_32() -> str:
    return ""

@app.get("/static/s33")
def static_33() -> str:
    return ""

@app.get("/static/s34")
def static_34() -> str:
    return ""

@app.get("/static/s35")
def static_35() -> str:
    return ""

@app.get("/static/s36")
def static_36() -> str:
    return ""

@app.get("/static/s37")
def static_37() -> str:
    return ""

@app.get("/static/s38")
def static_38() -> str:
    return ""

@app.get("/static/s39")
def static_39() -> str:
    return ""
