//! asyncio's contract on the loop the runtime turns (`python/turn.rs`) and
//! the Task wrapper of handlers that suspend (`python/aio.rs`'s `Resume`),
//! over real sockets: callback and timer order, many cancelled timers,
//! readers and writers, streams, threads waking the loop, cancellation,
//! timeouts, a raising callback, debug mode, and a Task's introspection.
//!
//! Serves `tests/apps/aio/app.py`, compiled by `prebake::app!`, in this
//! test process.

prebake_macros::app!("../tests/apps/aio/app.py");

use std::net::SocketAddr;
use std::sync::OnceLock;

use prebake_testkit::get;
use serde_json::{Value, json};

fn server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        prebake::__private::spawn(&APP, "127.0.0.1:0".parse().unwrap()).expect("server starts")
    })
}

/// `GET target`, asserted 200, its JSON body.
fn observed(target: &str) -> Value {
    let r = get(server(), target);
    let body = String::from_utf8_lossy(&r.body).into_owned();
    assert_eq!(r.status, 200, "{target}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{target}: {e}: {body}"))
}

#[test]
fn callbacks_run_in_order_and_timers_by_deadline() {
    assert_eq!(
        observed("/order"),
        json!({
            "seen": ["step", "soon-0", "soon-1", "soon-2", "later-10ms", "at-20ms", "later-30ms"],
            "clock": true,
            "running": true,
        })
    );
}

#[test]
fn call_soon_makes_handles_that_run_in_their_context() {
    assert_eq!(
        observed("/call-soon"),
        json!({
            "seen": [["default", "copied"], ["given", "given"]],
            "handle": true,
            "context": true,
            "cancelled": true,
            "repr": true,
            // Positional arguments, the callback by keyword, `context=None`,
            // and Python's own errors for bad calls.
            "called": [[1, "two", null], ["by keyword"], ["later"], ["at"]],
            "errors": [
                "BaseEventLoop.call_soon() missing 1 required positional argument: 'callback'",
                "BaseEventLoop.call_soon() got an unexpected keyword argument 'bogus'",
                "BaseEventLoop.call_soon() got multiple values for argument 'callback'",
                "BaseEventLoop.call_at() missing 2 required positional arguments: 'when' and 'callback'",
                "BaseEventLoop.call_at() missing 1 required positional argument: 'callback'",
                "BaseEventLoop.call_later() got multiple values for argument 'delay'",
            ],
        })
    );
}

#[test]
fn many_cancelled_timers_leave_the_heap_and_the_rest_fire_in_order() {
    assert_eq!(
        observed("/timers"),
        json!({"fired": true, "in_order": true, "left": 0})
    );
}

#[test]
fn readers_and_writers_on_raw_sockets() {
    assert_eq!(
        observed("/reader"),
        json!({"data": "from a thread", "wrote": true, "called": [], "registered": false})
    );
}

#[test]
fn a_reader_that_leaves_data_is_called_again() {
    assert_eq!(
        observed("/reader-partial"),
        json!({"read": 100, "quick": true})
    );
}

#[test]
fn streams_echo_more_than_a_socket_buffer() {
    assert_eq!(
        observed("/streams"),
        json!({"echoed": true, "bytes": 4 << 20})
    );
}

#[test]
fn executors_and_threads_wake_the_loop() {
    assert_eq!(
        observed("/threads"),
        json!({"executor": 45, "to_thread": true, "threadsafe": "threadsafe"})
    );
}

#[test]
fn cancellation_reaches_the_await_where_a_handler_waits() {
    assert_eq!(
        observed("/cancelled"),
        json!({"cancelled": true, "cancelling": 0})
    );
    assert_eq!(
        observed("/cancelled-after-suspend"),
        json!({"cancelled": true})
    );
}

#[test]
fn wait_for_and_timeout_fire_on_time() {
    assert_eq!(
        observed("/wait-for"),
        json!({"wait_for": true, "timeout": true, "quick": true})
    );
}

#[test]
fn a_raising_callback_goes_to_the_exception_handler_and_the_loop_goes_on() {
    let seen = observed("/callback-error");
    assert_eq!(seen["reported"], 1, "{seen}");
    assert!(
        seen["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Exception in callback") && m.contains("boom")),
        "{seen}"
    );
    assert_eq!(seen["exception"], "ValueError");
    assert_eq!(seen["handle"], true);
    assert_eq!(seen["after"], json!(["ran"]));
}

#[test]
fn debug_mode_runs() {
    assert_eq!(
        observed("/debug"),
        json!({"value": "debug", "transport": "_SelectorSocketTransport", "echo": "ping"})
    );
    // And the loop is back to its own turns afterwards.
    assert_eq!(observed("/wait-for")["timeout"], true);
}

#[test]
fn a_suspended_handler_s_task_names_it() {
    let seen = observed("/introspection");
    assert_eq!(
        seen,
        json!({
            "repr": true,
            "qualname": "introspection",
            "frame": true,
            "stack": seen["stack"].as_u64().filter(|&n| n >= 1).map_or(json!("none"), Value::from),
            "all_tasks": true,
            "is_coroutine": true,
        })
    );
}

#[test]
fn many_tasks_under_concurrent_requests() {
    let handles: Vec<_> = (0..16)
        .map(|_| std::thread::spawn(|| observed("/gather?n=50")))
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), json!({"sum": 1225, "n": 50}));
    }
}

#[test]
fn the_app_s_task_factory_makes_the_handler_s_task() {
    assert_eq!(observed("/task-factory?on=true"), json!({"factory": true}));
    let made = observed("/task-factory/check");
    assert_eq!(
        observed("/task-factory?on=false"),
        json!({"factory": false})
    );
    assert_eq!(made, json!({"task": "FactoryTask"}));
    assert_eq!(observed("/task-factory/check"), json!({"task": "Task"}));
}

#[test]
fn create_connection_echoes_4_mib_with_flow_control() {
    let seen = observed("/transport/echo");
    assert_eq!(seen["transport"], "SocketTransport", "{seen}");
    assert_eq!(seen["echoed"], true, "{seen}");
    assert_eq!(seen["buffered"], true, "{seen}");
    // Paused past the high-water mark, resumed when drained; the echo
    // arrived in pieces; closing ends in connection_lost(None).
    let events: Vec<&str> = seen["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(events.first(), Some(&"made"), "{seen}");
    assert_eq!(events.last(), Some(&"lost:None"), "{seen}");
    let pause = events.iter().position(|e| *e == "pause");
    let resume = events.iter().position(|e| *e == "resume");
    assert!(
        matches!((pause, resume), (Some(p), Some(r)) if p < r),
        "{seen}"
    );
    assert!(events.contains(&"data"), "{seen}");
    assert_eq!(seen["limits"], json!([16384, 65536]), "{seen}");
    assert_eq!(
        seen["info"],
        json!({"socket": true, "peername": true, "sockname": true, "missing": "default", "nodelay": true})
    );
    assert_eq!(seen["closing"], json!([false, true]));
}

#[test]
fn a_peer_that_closes_gives_eof_then_connection_lost() {
    assert_eq!(
        observed("/transport/peer-close"),
        json!({"events": ["made", "data", "eof", "lost:None"], "data": "bye", "peer_got": ""})
    );
    // eof_received returning True keeps the transport open for writing.
    assert_eq!(
        observed("/transport/peer-close?keep_open=true"),
        json!({"events": ["made", "data", "eof", "lost:None"], "data": "bye", "peer_got": "still here"})
    );
}

#[test]
fn data_and_fin_that_arrive_together_give_eof_then_connection_lost() {
    assert_eq!(
        observed("/transport/data-and-fin"),
        json!({"events": ["made", "data", "eof", "lost:None"], "data": "terminating", "in_time": true})
    );
}

#[test]
fn abort_closes_at_once() {
    assert_eq!(
        observed("/transport/abort"),
        json!({"closing": true, "lost": true, "events": ["made", "lost:None"], "peer_ended": true})
    );
}

#[test]
fn transport_errors_are_asyncio_s() {
    assert_eq!(
        observed("/transport/errors"),
        json!({
            "type": "data argument must be a bytes-like object, not 'str'",
            "lines": "TypeError",
            "after_eof": "Cannot call write() after write_eof()",
            "lost": "ValueError",
            "message": "Fatal error: protocol.data_received() call failed.",
        })
    );
}

#[test]
fn a_buffered_protocol_reads_into_its_buffer() {
    assert_eq!(
        observed("/transport/buffered"),
        json!({"first": "first", "then": 5000, "protocol": true})
    );
}

#[test]
fn the_loop_runs_while_the_server_drives_it() {
    assert_eq!(
        observed("/running"),
        json!({
            "here": true,
            "thread": [true, false],
            "timers": {"types": ["TimerHandle", "TimerHandle"], "when": true, "scheduled": [true, true]},
            "errors": ["delay must not be None", "when cannot be None"],
            "agen": ["finally"],
        })
    );
}

#[test]
fn httpx_s_async_client_over_the_loop_s_transports() {
    assert_eq!(
        observed("/httpx"),
        json!({"status": [200, 200], "bodies": true})
    );
}

#[test]
fn getpid_is_remembered_and_forgotten_in_a_forked_child() {
    assert_eq!(
        observed("/fork"),
        json!({"parent": true, "child": true, "loop": [true, "none"]})
    );
}
