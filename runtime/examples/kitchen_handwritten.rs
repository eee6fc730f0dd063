//! Hand-written generated code for `tests/apps/kitchen_app.py`: every
//! parameter source, return kind, error path and async case the runtime's
//! tests exercise, in the shape the code generator emits (see
//! `hello_handwritten.rs` for the commented reference).

use ::prebake::__private as pb;
use pb::Source::{Header, Path, Query};

static MODULES: &[pb::Module] = &[
    pb::Module {
        name: "kitchen_app",
        file: concat!(env!("CARGO_MANIFEST_DIR"), "/tests/apps/kitchen_app.py"),
        source: include_str!("../tests/apps/kitchen_app.py"),
        is_package: false,
    },
    pb::Module {
        name: "kitchen_shapes",
        file: concat!(env!("CARGO_MANIFEST_DIR"), "/tests/apps/kitchen_shapes.py"),
        source: include_str!("../tests/apps/kitchen_shapes.py"),
        is_package: false,
    },
];

/// The app descriptor `main` serves.
pub static APP: pb::App = pb::App {
    name: "kitchen",
    entry: "kitchen_app",
    app: "app",
    modules: MODULES,
    types: &[
        "Order",
        "Literal['red', 'green']",
        "Size",
        "list[Size]",
        "Shape",
        "Item",
        // 6: the body of `/doc` (tests/production.rs).
        "dict[str, Any]",
    ],
    models: &[
        // 0: Order
        pb::enc::Model {
            ty: 0,
            kind: pb::enc::ModelKind::Struct,
            fields: &[
                pb::enc::Field {
                    name: "items",
                    enc: encode_list_item,
                },
                pb::enc::Field {
                    name: "note",
                    enc: encode_optional_str,
                },
            ],
        },
        // 1: Item
        pb::enc::Model {
            ty: 5,
            kind: pb::enc::ModelKind::Struct,
            fields: &[
                pb::enc::Field {
                    name: "name",
                    enc: pb::enc::str,
                },
                pb::enc::Field {
                    name: "price",
                    enc: pb::enc::float,
                },
                pb::enc::Field {
                    name: "tags",
                    enc: encode_list_str,
                },
            ],
        },
        // 2: Shape
        pb::enc::Model {
            ty: 4,
            kind: pb::enc::ModelKind::Struct,
            fields: &[
                pb::enc::Field {
                    name: "kind",
                    enc: pb::enc::str,
                },
                pb::enc::Field {
                    name: "size",
                    enc: pb::enc::int,
                },
            ],
        },
    ],
    patterns: &["^[a-z]+$"],
    routes: &ROUTES,
    router: route,
};

const fn get(
    path: &'static str,
    handler: &'static str,
    decode: pb::DecodeFn,
    returns: pb::Returns,
) -> pb::Route {
    pb::Route {
        method: pb::Method::Get,
        path,
        handler,
        params: &[],
        is_async: false,
        status: 200,
        body: pb::Body::None,
        decode,
        returns,
    }
}

static ROUTES: [pb::Route; 32] = [
    pb::Route {
        params: &["ms"],
        is_async: true,
        ..get(
            "/sleep",
            "sleep",
            decode_sleep,
            pb::Returns::Json(encode_dict_str_int),
        )
    },
    pb::Route {
        is_async: true,
        ..get(
            "/fast-async",
            "fast_async",
            decode_nothing,
            pb::Returns::Text,
        )
    },
    get("/boom", "boom", decode_nothing, pb::Returns::Text),
    pb::Route {
        is_async: true,
        ..get(
            "/async-boom",
            "async_boom",
            decode_nothing,
            pb::Returns::Text,
        )
    },
    get("/teapot", "teapot", decode_nothing, pb::Returns::Text),
    pb::Route {
        is_async: true,
        ..get("/forbidden", "forbidden", decode_nothing, pb::Returns::Text)
    },
    get(
        "/wrong-type",
        "wrong_type",
        decode_nothing,
        pb::Returns::Json(encode_dict_str_int),
    ),
    get("/bytes", "raw_bytes", decode_nothing, pb::Returns::Bytes),
    pb::Route {
        params: &["thing_id"],
        ..get(
            "/things/{thing_id}",
            "get_thing",
            decode_thing,
            pb::Returns::Json(encode_dict_str_int),
        )
    },
    pb::Route {
        method: pb::Method::Delete,
        params: &["thing_id"],
        status: 204,
        ..get(
            "/things/{thing_id}",
            "delete_thing",
            decode_thing,
            pb::Returns::Empty,
        )
    },
    get("/custom", "custom", decode_nothing, pb::Returns::Response),
    pb::Route {
        params: &["q", "n", "flag", "ratio", "ids", "x_id", "session", "code"],
        ..get(
            "/search",
            "search",
            decode_search,
            pb::Returns::Json(encode_dict_str_any),
        )
    },
    pb::Route {
        method: pb::Method::Post,
        params: &["order"],
        status: 201,
        body: pb::Body::Json {
            param: "order",
            ty: 0,
        },
        ..get(
            "/orders",
            "create_order",
            decode_body,
            pb::Returns::Json(encode_order),
        )
    },
    pb::Route {
        method: pb::Method::Post,
        params: &["request"],
        body: pb::Body::Raw,
        ..get(
            "/echo",
            "echo",
            decode_request,
            pb::Returns::Json(encode_dict_str_any),
        )
    },
    pb::Route {
        params: &["rest"],
        ..get(
            "/files/{rest:path}",
            "files",
            decode_path_str,
            pb::Returns::Text,
        )
    },
    pb::Route {
        params: &["name"],
        ..get(
            "/echo/{name}",
            "echo_name",
            decode_path_str,
            pb::Returns::Text,
        )
    },
    get(
        "/unicode",
        "unicode",
        decode_nothing,
        pb::Returns::Json(encode_dict_str_str),
    ),
    get(
        "/floats",
        "floats",
        decode_nothing,
        pb::Returns::Json(encode_list_float),
    ),
    pb::Route {
        params: &["n"],
        ..get("/big", "big", decode_big, pb::Returns::Json(pb::enc::int))
    },
    pb::Route {
        params: &["n"],
        ..get(
            "/maybe",
            "maybe",
            decode_maybe,
            pb::Returns::Json(encode_optional_int),
        )
    },
    pb::Route {
        is_async: true,
        ..get(
            "/spawn",
            "spawn_background",
            decode_nothing,
            pb::Returns::Text,
        )
    },
    get(
        "/background",
        "background",
        decode_nothing,
        pb::Returns::Json(encode_list_str),
    ),
    pb::Route {
        is_async: true,
        ..get("/thread", "in_thread", decode_nothing, pb::Returns::Text)
    },
    pb::Route {
        params: &["color", "size", "sizes", "tags", "seen"],
        ..get(
            "/pick",
            "pick",
            decode_pick,
            pb::Returns::Json(encode_dict_str_any),
        )
    },
    get(
        "/shape",
        "shape",
        decode_nothing,
        pb::Returns::Json(encode_shape),
    ),
    get("/exit", "exit_handler", decode_nothing, pb::Returns::Text),
    get("/interrupt", "interrupt", decode_nothing, pb::Returns::Text),
    pb::Route {
        is_async: true,
        ..get(
            "/async-exit",
            "async_exit",
            decode_nothing,
            pb::Returns::Text,
        )
    },
    pb::Route {
        params: &["ms"],
        ..get("/spin", "spin", decode_sleep, pb::Returns::Text)
    },
    pb::Route {
        params: &["ms"],
        ..get("/block", "block", decode_sleep, pb::Returns::Text)
    },
    // A decoder with a bug: the runtime must catch the panic (500).
    get("/panic", "panic", decode_panic, pb::Returns::Text),
    pb::Route {
        method: pb::Method::Post,
        params: &["doc"],
        body: pb::Body::Json {
            param: "doc",
            ty: 6,
        },
        ..get("/doc", "doc", decode_body, pb::Returns::Json(pb::enc::int))
    },
];

fn route(method: pb::Method, path: &[u8], caps: &mut pb::Captures) -> pb::Match {
    use pb::Match::{NotAllowed, NotFound, Route};
    use pb::Method::{Delete, Get, Post};
    let only = |want: pb::Method, i: u16| {
        if method == want {
            Route(i)
        } else {
            NotAllowed(i)
        }
    };
    match path {
        b"/sleep" => return only(Get, 0),
        b"/fast-async" => return only(Get, 1),
        b"/boom" => return only(Get, 2),
        b"/async-boom" => return only(Get, 3),
        b"/teapot" => return only(Get, 4),
        b"/forbidden" => return only(Get, 5),
        b"/wrong-type" => return only(Get, 6),
        b"/bytes" => return only(Get, 7),
        b"/custom" => return only(Get, 10),
        b"/search" => return only(Get, 11),
        b"/orders" => return only(Post, 12),
        b"/echo" => return only(Post, 13),
        b"/unicode" => return only(Get, 16),
        b"/floats" => return only(Get, 17),
        b"/big" => return only(Get, 18),
        b"/maybe" => return only(Get, 19),
        b"/spawn" => return only(Get, 20),
        b"/background" => return only(Get, 21),
        b"/thread" => return only(Get, 22),
        b"/pick" => return only(Get, 23),
        b"/shape" => return only(Get, 24),
        b"/exit" => return only(Get, 25),
        b"/interrupt" => return only(Get, 26),
        b"/async-exit" => return only(Get, 27),
        b"/spin" => return only(Get, 28),
        b"/block" => return only(Get, 29),
        b"/panic" => return only(Get, 30),
        b"/doc" => return only(Post, 31),
        _ => {}
    }
    let segment = |prefix: &[u8]| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && !rest.contains(&b'/'))
    };
    if segment(b"/things/") {
        caps.push(8, path.len());
        return match method {
            Get => Route(8),
            Delete => Route(9),
            _ => NotAllowed(8),
        };
    }
    if segment(b"/echo/") {
        caps.push(6, path.len());
        return only(Get, 15);
    }
    if path.starts_with(b"/files/") {
        caps.push(7, path.len());
        return only(Get, 14);
    }
    NotFound
}

fn decode_nothing(_: &mut pb::Call<'_>) -> Result<(), pb::Rejection> {
    Ok(())
}

fn decode_panic(_: &mut pb::Call<'_>) -> Result<(), pb::Rejection> {
    panic!("a bug in generated glue")
}

fn decode_body(c: &mut pb::Call<'_>) -> Result<(), pb::Rejection> {
    c.push_body()
}

fn decode_request(c: &mut pb::Call<'_>) -> Result<(), pb::Rejection> {
    c.push_request();
    Ok(())
}

fn decode_path_str(c: &mut pb::Call<'_>) -> Result<(), pb::Rejection> {
    let raw = c.path(0);
    c.push_str(&raw);
    Ok(())
}

fn decode_thing(c: &mut pb::Call<'_>) -> Result<(), pb::Rejection> {
    let raw = c.path(0);
    let v = pb::lax::int(&raw).map_err(|e| e.at(Path, "thing_id"))?;
    c.push_int(&v);
    Ok(())
}

fn decode_sleep(c: &mut pb::Call<'_>) -> Result<(), pb::Rejection> {
    match c.query("ms") {
        Some(raw) => {
            let v = pb::lax::int(&raw).map_err(|e| e.at(Query, "ms"))?;
            c.push_int(&v);
        }
        None => c.push_default(),
    }
    Ok(())
}

fn decode_big(c: &mut pb::Call<'_>) -> Result<(), pb::Rejection> {
    let Some(raw) = c.query("n") else {
        return Err(pb::Rejection::missing(Query, "n"));
    };
    let v = pb::lax::int(&raw).map_err(|e| e.at(Query, "n"))?;
    c.push_int(&v);
    Ok(())
}

fn decode_maybe(c: &mut pb::Call<'_>) -> Result<(), pb::Rejection> {
    match c.query("n") {
        Some(raw) => match pb::lax::int_or_none(&raw).map_err(|e| e.at(Query, "n"))? {
            Some(v) => c.push_int(&v),
            None => c.push_none(),
        },
        None => c.push_default(),
    }
    Ok(())
}

fn decode_search(c: &mut pb::Call<'_>) -> Result<(), pb::Rejection> {
    // q: str (required)
    let Some(q) = c.query("q") else {
        return Err(pb::Rejection::missing(Query, "q"));
    };
    c.push_str(&q);
    // n: Annotated[int, Query(ge=1, le=10)] = 3
    match c.query("n") {
        Some(raw) => {
            let v = pb::lax::int(&raw)
                .and_then(|v| {
                    pb::check::int_ge(&v, 1)?;
                    pb::check::int_le(&v, 10)?;
                    Ok(v)
                })
                .map_err(|e| e.at(Query, "n"))?;
            c.push_int(&v);
        }
        None => c.push_default(),
    }
    // flag: bool = False
    match c.query("flag") {
        Some(raw) => c.push_bool(pb::lax::bool(&raw).map_err(|e| e.at(Query, "flag"))?),
        None => c.push_default(),
    }
    // ratio: float | None = None
    match c.query("ratio") {
        Some(raw) => match pb::lax::float_or_none(&raw).map_err(|e| e.at(Query, "ratio"))? {
            Some(v) => c.push_float(v),
            None => c.push_none(),
        },
        None => c.push_default(),
    }
    // ids: Annotated[list[int], Query()] = []
    let mut ids = c.new_list();
    for (i, raw) in c.query_all("ids").enumerate() {
        let v = pb::lax::int(&raw).map_err(|e| e.at_index(Query, "ids", i))?;
        ids.int(&v);
    }
    c.push_list(ids);
    // x_id: Annotated[int, Header(alias="x-id")] = 0
    match c.header("x-id") {
        Some(raw) => {
            let v = pb::lax::int(&raw).map_err(|e| e.at(Header, "x-id"))?;
            c.push_int(&v);
        }
        None => c.push_default(),
    }
    // session: Annotated[str | None, Cookie()] = None
    match c.cookie("session") {
        Some(raw) => c.push_str(&raw),
        None => c.push_default(),
    }
    // code: Annotated[str, Query(pattern="^[a-z]+$")] = "abc"
    match c.query("code") {
        Some(raw) => {
            c.check_pattern(&raw, 0).map_err(|e| e.at(Query, "code"))?;
            c.push_str(&raw);
        }
        None => c.push_default(),
    }
    Ok(())
}

/// Types without a native conversion go through msgspec (`types[1..=3]`).
fn decode_pick(c: &mut pb::Call<'_>) -> Result<(), pb::Rejection> {
    // color: Literal["red", "green"]
    let Some(raw) = c.query("color") else {
        return Err(pb::Rejection::missing(Query, "color"));
    };
    c.push_convert(&raw, 1).map_err(|e| e.at(Query, "color"))?;
    // size: Size = Size.S
    match c.query("size") {
        Some(raw) => c.push_convert(&raw, 2).map_err(|e| e.at(Query, "size"))?,
        None => c.push_default(),
    }
    // sizes: Annotated[list[Size], Query()] = []
    let values: Vec<_> = c.query_all("sizes").collect();
    if values.is_empty() {
        let l = c.new_list();
        c.push_list(l);
    } else {
        c.push_convert_seq(&values, 3, Query, "sizes")?;
    }
    // tags: Annotated[list[str], Header(alias="x-tag")] = []
    let mut tags = c.new_list();
    for v in c.header_all("x-tag") {
        tags.str(&v);
    }
    c.push_list(tags);
    // seen: Annotated[list[str], Cookie()] = []
    let mut seen = c.new_list();
    for v in c.cookie_all("seen") {
        seen.str(&v);
    }
    c.push_list(seen);
    Ok(())
}

fn encode_dict_str_int(v: pb::Obj<'_>, out: &mut Vec<u8>) -> Result<(), pb::Mismatch> {
    pb::enc::dict(v, out, pb::enc::int)
}

fn encode_dict_str_str(v: pb::Obj<'_>, out: &mut Vec<u8>) -> Result<(), pb::Mismatch> {
    pb::enc::dict(v, out, pb::enc::str)
}

fn encode_dict_str_any(v: pb::Obj<'_>, out: &mut Vec<u8>) -> Result<(), pb::Mismatch> {
    pb::enc::dict(v, out, pb::enc::any)
}

fn encode_list_float(v: pb::Obj<'_>, out: &mut Vec<u8>) -> Result<(), pb::Mismatch> {
    pb::enc::list(v, out, pb::enc::float)
}

fn encode_list_str(v: pb::Obj<'_>, out: &mut Vec<u8>) -> Result<(), pb::Mismatch> {
    pb::enc::list(v, out, pb::enc::str)
}

fn encode_optional_int(v: pb::Obj<'_>, out: &mut Vec<u8>) -> Result<(), pb::Mismatch> {
    pb::enc::optional(v, out, pb::enc::int)
}

fn encode_shape(v: pb::Obj<'_>, out: &mut Vec<u8>) -> Result<(), pb::Mismatch> {
    pb::enc::model(v, out, 2)
}

fn encode_order(v: pb::Obj<'_>, out: &mut Vec<u8>) -> Result<(), pb::Mismatch> {
    pb::enc::model(v, out, 0)
}

fn encode_list_item(v: pb::Obj<'_>, out: &mut Vec<u8>) -> Result<(), pb::Mismatch> {
    pb::enc::list(v, out, |v, o| pb::enc::model(v, o, 1))
}

fn encode_optional_str(v: pb::Obj<'_>, out: &mut Vec<u8>) -> Result<(), pb::Mismatch> {
    pb::enc::optional(v, out, pb::enc::str)
}

fn main() -> std::process::ExitCode {
    pb::main(&APP)
}
