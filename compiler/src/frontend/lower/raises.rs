//! The error statuses a route answers with through `raise HTTPException(...)`,
//! known before it runs: the calls of the handler and of every dependency
//! of its graph are followed (as for the blocking decision) to each
//! `HTTPException(...)` they make, and the status is read from the call when
//! it is a literal (`HTTPException(404, ...)`, `status_code=404`,
//! `status.HTTP_404_NOT_FOUND`). The OpenAPI document lists them, so a
//! client (or schemathesis) knows a 404 can come back.

use super::Lowerer;
use crate::frontend::calls::CallIndex;
use crate::ir::{ReachedCall, Route};

impl Lowerer<'_> {
    /// Records on `route` the statuses of the `HTTPException`s its handler
    /// and its dependencies may raise. Runs after [`Lowerer::place`], whose
    /// walk of the handler's calls it reuses; dependencies, async ones
    /// included, are walked here.
    pub(crate) fn raised_statuses(&self, route: &mut Route) {
        let mut from_dependencies: Vec<ReachedCall> = Vec::new();
        for dep in route.graph_dependencies() {
            let Some(m) = self.program.module_index(&dep.module) else {
                continue;
            };
            if let Some(f) = CallIndex::named(self.program, &self.scopes, m, &dep.name) {
                from_dependencies.extend(self.calls.reached(f));
            }
        }
        let mut statuses: Vec<u16> = route
            .handler
            .reached_calls
            .iter()
            .chain(&from_dependencies)
            .filter(|c| is_http_exception(&c.callee))
            .filter_map(|c| literal_status(self.text(c.span)))
            .filter(|s| (400..=599).contains(s))
            .collect();
        statuses.sort_unstable();
        statuses.dedup();
        route.raises = statuses;
    }
}

fn is_http_exception(callee: &str) -> bool {
    callee == "prebake.HTTPException"
        || callee == "fastapi.HTTPException"
        || callee == "starlette.exceptions.HTTPException"
}

/// The status of `HTTPException(<status>, ...)` from the call's text, when
/// it is written as a number or as a `status.HTTP_<n>_...` constant.
fn literal_status(call: &str) -> Option<u16> {
    let args = &call[call.find('(')? + 1..];
    let first = args
        .split([',', ')'])
        .map(str::trim)
        .find(|a| !a.is_empty())?;
    let value = first.strip_prefix("status_code").map_or(first, |rest| {
        rest.trim_start().trim_start_matches('=').trim()
    });
    if let Ok(n) = value.parse::<u16>() {
        return Some(n);
    }
    // `status.HTTP_404_NOT_FOUND`, `HTTPStatus.NOT_FOUND` is not read.
    let constant = value.rsplit('.').next()?;
    constant.strip_prefix("HTTP_")?.get(..3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::literal_status;

    #[test]
    fn statuses_are_read_from_the_call() {
        assert_eq!(
            literal_status(r#"HTTPException(404, "todo not found")"#),
            Some(404)
        );
        assert_eq!(literal_status("HTTPException(\n    409,\n)"), Some(409));
        assert_eq!(literal_status("HTTPException(status_code=403)"), Some(403));
        assert_eq!(
            literal_status("HTTPException(status_code = 401, detail='x')"),
            Some(401)
        );
        assert_eq!(
            literal_status("HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT)"),
            Some(422)
        );
        assert_eq!(literal_status("HTTPException(code)"), None);
        assert_eq!(literal_status("HTTPException()"), None);
    }
}
