//! A JSON tree that keeps its keys in insertion order, and its writer: the
//! document lists paths, properties and responses in source order, so a
//! reader of `/openapi.json` (and Swagger UI) sees them as written.

use std::fmt::Write;

/// A JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer (Python ints past 128 bits are kept as their digits).
    Int(i128),
    /// An integer too large for `i128`, as its decimal text.
    BigInt(String),
    /// A float (non-finite values are written as `null`, as msgspec does).
    Float(f64),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object, keys in insertion order.
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// An empty object.
    pub fn obj() -> Json {
        Json::Obj(Vec::new())
    }

    /// A string value.
    pub fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    /// Sets `key` (replacing an earlier value in place); no-op on non-objects.
    pub fn set(&mut self, key: &str, value: Json) {
        if let Json::Obj(items) = self {
            match items.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = value,
                None => items.push((key.to_string(), value)),
            }
        }
    }

    /// `self` with `key` set.
    #[must_use]
    pub fn with(mut self, key: &str, value: Json) -> Json {
        self.set(key, value);
        self
    }

    /// The value under `key`, for objects.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(items) => items.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Removes and returns the value under `key`.
    pub fn remove(&mut self, key: &str) -> Option<Json> {
        match self {
            Json::Obj(items) => {
                let i = items.iter().position(|(k, _)| k == key)?;
                Some(items.remove(i).1)
            }
            _ => None,
        }
    }

    /// Whether this is an object with no keys.
    pub fn is_empty_obj(&self) -> bool {
        matches!(self, Json::Obj(items) if items.is_empty())
    }

    /// The compact text (no spaces), as the server sends it.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Json::BigInt(s) => out.push_str(s),
            Json::Float(x) if x.is_finite() => {
                // serde_json writes the shortest text that reads back the
                // same float (`0.5`, `1e+300`), always with a `.` or an `e`.
                out.push_str(&serde_json::to_string(x).unwrap_or_else(|_| "null".into()));
            }
            Json::Float(_) => out.push_str("null"),
            Json::Str(s) => write_str(out, s),
            Json::Arr(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Json::Obj(items) => {
                out.push('{');
                for (i, (k, v)) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(out, k);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

fn write_str(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::Json;

    #[test]
    fn keeps_order_and_escapes() {
        let j = Json::obj()
            .with("b", Json::Int(1))
            .with(
                "a",
                Json::Arr(vec![Json::Float(0.5), Json::Float(1e300), Json::Null]),
            )
            .with("s", Json::str("q\"\n"))
            .with("b", Json::Bool(true));
        assert_eq!(
            j.to_text(),
            r#"{"b":true,"a":[0.5,1e+300,null],"s":"q\"\n"}"#
        );
    }
}
