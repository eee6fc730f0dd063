//! The generated large app both benches analyse, kept in one place so the
//! front-end and language-server numbers are about the same input.

/// A 1,000-route app: 100 models, each with five handlers (list, get,
/// create, update, delete) twice over under two API versions.
pub(crate) fn big_app(routes: usize) -> String {
    let mut s = String::from(
        "from typing import Annotated\nimport msgspec\nfrom prebake import App, Query, Header\n\napp = App(title=\"big\")\n\n",
    );
    let models = routes / 10;
    for i in 0..models {
        s.push_str(&format!(
            "class Item{i}(msgspec.Struct, forbid_unknown_fields=True):\n    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]\n    count: Annotated[int, msgspec.Meta(ge=0)] = 0\n    tags: list[str] = []\n    note: str | None = None\n\n"
        ));
    }
    for i in 0..models {
        for v in ["v1", "v2"] {
            s.push_str(&format!(
                "@app.get(\"/{v}/items{i}\")\ndef list_{v}_{i}(limit: Annotated[int, Query(ge=1, le=100)] = 10, q: str | None = None) -> list[Item{i}]:\n    return []\n\n\
                 @app.get(\"/{v}/items{i}/{{item_id}}\")\ndef get_{v}_{i}(item_id: int, x_token: Annotated[str | None, Header()] = None) -> Item{i}:\n    raise KeyError(item_id)\n\n\
                 @app.post(\"/{v}/items{i}\", status_code=201)\ndef create_{v}_{i}(item: Item{i}) -> Item{i}:\n    return item\n\n\
                 @app.put(\"/{v}/items{i}/{{item_id}}\")\ndef update_{v}_{i}(item_id: int, item: Item{i}) -> Item{i}:\n    return item\n\n\
                 @app.delete(\"/{v}/items{i}/{{item_id}}\")\ndef delete_{v}_{i}(item_id: int) -> None:\n    return None\n\n"
            ));
        }
    }
    s
}
