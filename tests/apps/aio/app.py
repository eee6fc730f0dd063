"""The test app of asyncio's contract on the loop the runtime drives.

Each route exercises one piece of what `asyncio` promises a handler, and
answers with what it observed: callbacks in order, timers (and many of
them cancelled), readers and writers on raw sockets, streams through a
server and a client, executors and `call_soon_threadsafe`, cancellation
thrown into a handler that suspended, `wait_for`, a callback that raises
(the loop's exception handler), the loop in debug mode, and a Task's
introspection.

Served in-process by `runtime/tests/aio.rs`.
"""

import asyncio
import contextvars
import http.server
import os
import socket
import threading
import time
from typing import Any

import httpx

from prebake import App

app = App(title="aio")


@app.get("/order")
async def order() -> dict[str, Any]:
    """`call_soon` runs FIFO, timers by deadline, all after the current step."""
    loop = asyncio.get_running_loop()
    seen: list[str] = []
    done = loop.create_future()
    loop.call_later(0.03, seen.append, "later-30ms")
    loop.call_later(0.01, seen.append, "later-10ms")
    loop.call_at(loop.time() + 0.02, seen.append, "at-20ms")
    for i in range(3):
        loop.call_soon(seen.append, f"soon-{i}")
    loop.call_later(0.04, done.set_result, None)
    seen.append("step")
    await done
    return {
        "seen": seen,
        "clock": abs(loop.time() - time.monotonic()) < 0.5,
        "running": asyncio.get_running_loop() is loop,
    }


@app.get("/call-soon")
async def call_soon() -> dict[str, Any]:
    """`call_soon` gives an `asyncio.Handle` that runs in a copy of the
    current context (or the one given), and not at all once cancelled."""
    loop = asyncio.get_running_loop()
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    seen: list[tuple[str, str]] = []
    var.set("copied")
    first = loop.call_soon(lambda: seen.append(("default", var.get())))
    given = contextvars.Context()
    given.run(var.set, "given")
    second = loop.call_soon(lambda: seen.append(("given", var.get())), context=given)
    third = loop.call_soon(seen.append, ("cancelled", "ran"))
    third.cancel()
    var.set("changed after")
    called: list[tuple[Any, ...]] = []
    loop.call_soon(lambda *a: called.append(a), 1, "two", None)
    loop.call_soon(callback=lambda: called.append(("by keyword",)), context=None)
    later = asyncio.Event()
    loop.call_later(callback=lambda *a: (called.append(("later", *a)), later.set()), delay=0)
    loop.call_at(loop.time(), called.append, ("at",), context=contextvars.copy_context())
    errors = []
    for bad in (
        lambda: loop.call_soon(),  # type: ignore[call-arg]
        lambda: loop.call_soon(print, bogus=1),  # type: ignore[call-arg]
        lambda: loop.call_soon(print, callback=print),  # type: ignore[misc]
        lambda: loop.call_at(),  # type: ignore[call-arg]
        lambda: loop.call_at(1),  # type: ignore[call-arg]
        lambda: loop.call_later(1, print, delay=3),  # type: ignore[misc]
    ):
        try:
            bad()
        except TypeError as e:
            errors.append(str(e))
    await asyncio.sleep(0)
    await later.wait()
    return {
        "seen": seen,
        "handle": type(first) is asyncio.Handle,
        "context": second._context is given,  # type: ignore[attr-defined]
        "cancelled": third.cancelled(),
        "repr": "call_soon" in repr(first),
        "called": called,
        "errors": errors,
    }


@app.get("/timers")
async def timers() -> dict[str, Any]:
    """300 timers, 200 of them cancelled (the loop's bulk clean-up of its
    heap): exactly the others fire, in deadline order."""
    loop = asyncio.get_running_loop()
    fired: list[int] = []
    handles = [loop.call_later(0.001 * (i % 30), fired.append, i) for i in range(300)]
    for i, h in enumerate(handles):
        if i % 3:
            h.cancel()
    kept = [i for i in range(300) if i % 3 == 0]
    deadline = [h.when() for h in handles]
    await asyncio.sleep(0.06)
    in_order = all(deadline[a] <= deadline[b] for a, b in zip(fired, fired[1:]))
    left = sum(1 for h in loop._scheduled if h in handles)  # type: ignore[attr-defined]
    return {"fired": sorted(fired) == kept, "in_order": in_order, "left": left}


@app.get("/reader")
async def reader() -> dict[str, Any]:
    """`add_reader` on a raw socket another thread writes to; then
    `add_writer`; then a reader whose handle was cancelled is dropped."""
    loop = asyncio.get_running_loop()
    a, b = socket.socketpair()
    a.setblocking(False)
    got = loop.create_future()

    def on_readable() -> None:
        if not got.done():
            got.set_result(a.recv(100))

    loop.add_reader(a, on_readable)
    threading.Timer(0.02, b.send, (b"from a thread",)).start()
    data = await asyncio.wait_for(got, 5)
    loop.remove_reader(a)

    writable = loop.create_future()
    loop.add_writer(b, lambda: writable.done() or writable.set_result(True))
    wrote = await asyncio.wait_for(writable, 5)
    loop.remove_writer(b)

    # A cancelled reader handle: the loop removes the reader on its next event.
    called: list[int] = []
    loop.add_reader(a, called.append, 1)
    loop._selector.get_key(a).data[0].cancel()  # type: ignore[attr-defined]
    b.send(b"x")
    for _ in range(5):
        await asyncio.sleep(0.005)
    registered = a.fileno() in loop._selector.get_map()  # type: ignore[attr-defined]
    a.close()
    b.close()
    return {"data": data.decode(), "wrote": wrote, "called": called, "registered": registered}


@app.get("/reader-partial")
async def reader_partial() -> dict[str, Any]:
    """A reader that takes part of what waits is called again, with nothing
    new arriving (the selector is level-triggered): 100 bytes, 10 a call."""
    loop = asyncio.get_running_loop()
    a, b = socket.socketpair()
    a.setblocking(False)
    got = bytearray()
    done = loop.create_future()

    def on_readable() -> None:
        got.extend(a.recv(10))
        if len(got) >= 100 and not done.done():
            done.set_result(None)

    b.send(bytes(100))
    started = time.monotonic()
    loop.add_reader(a, on_readable)
    try:
        await asyncio.wait_for(done, 3)
    finally:
        loop.remove_reader(a)
        a.close()
        b.close()
    return {"read": len(got), "quick": time.monotonic() - started < 1}


@app.get("/streams")
async def streams(size: int = 4 << 20) -> dict[str, Any]:
    """A stream server and client on the loop (transports and protocols):
    `size` bytes echoed back, more than a socket buffer holds, so writes
    wait for the writer callback and reads come in pieces."""

    async def echo(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        while chunk := await r.read(65536):
            w.write(chunk)
            await w.drain()
        w.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    r, w = await asyncio.open_connection("127.0.0.1", port)
    payload = bytes(range(256)) * (size // 256)

    async def send() -> None:
        w.write(payload)
        await w.drain()
        w.write_eof()

    sender = asyncio.create_task(send())
    back = await r.read(-1)
    await sender
    w.close()
    await w.wait_closed()
    server.close()
    await server.wait_closed()
    return {"echoed": back == payload, "bytes": len(back)}


@app.get("/threads")
async def threads() -> dict[str, Any]:
    """`run_in_executor`, `to_thread` and `call_soon_threadsafe` wake the loop."""
    loop = asyncio.get_running_loop()
    in_executor = await loop.run_in_executor(None, sum, range(10))
    to_thread = await asyncio.to_thread(lambda: threading.current_thread() is not threading.main_thread())
    fut = loop.create_future()

    def later() -> None:
        time.sleep(0.02)
        loop.call_soon_threadsafe(fut.set_result, "threadsafe")

    threading.Thread(target=later).start()
    return {"executor": in_executor, "to_thread": to_thread, "threadsafe": await fut}


@app.get("/cancelled")
async def cancelled() -> dict[str, Any]:
    """A Task cancelled while it waits sees `CancelledError` at its `await`
    (thrown through the runtime's wrapper) and may still answer."""
    me = asyncio.current_task()
    assert me is not None
    asyncio.get_running_loop().call_later(0.01, me.cancel)
    try:
        await asyncio.sleep(5)
    except asyncio.CancelledError:
        me.uncancel()
        return {"cancelled": True, "cancelling": me.cancelling()}
    return {"cancelled": False, "cancelling": me.cancelling()}


@app.get("/cancelled-after-suspend")
async def cancelled_after_suspend() -> dict[str, Any]:
    """As `/cancelled`, the Task found only after the first suspension."""
    await asyncio.sleep(0)
    me = asyncio.current_task()
    assert me is not None
    asyncio.get_running_loop().call_later(0.01, me.cancel)
    try:
        await asyncio.sleep(5)
    except asyncio.CancelledError:
        me.uncancel()
        return {"cancelled": True}
    return {"cancelled": False}


@app.get("/wait-for")
async def wait_for() -> dict[str, Any]:
    """`wait_for` and `timeout` cancel what they wait for on time."""
    started = time.monotonic()
    try:
        await asyncio.wait_for(asyncio.sleep(5), 0.02)
        wait_for_timed_out = False
    except TimeoutError:
        wait_for_timed_out = True
    try:
        async with asyncio.timeout(0.02):
            await asyncio.sleep(5)
        timeout_timed_out = False
    except TimeoutError:
        timeout_timed_out = True
    return {
        "wait_for": wait_for_timed_out,
        "timeout": timeout_timed_out,
        "quick": time.monotonic() - started < 1,
    }


@app.get("/callback-error")
async def callback_error() -> dict[str, Any]:
    """A callback that raises goes to the loop's exception handler, with the
    context `Handle._run` gives it, and the loop goes on."""
    loop = asyncio.get_running_loop()
    contexts: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: contexts.append(context))
    after: list[str] = []

    def boom() -> None:
        raise ValueError("boom")

    try:
        loop.call_soon(boom)
        loop.call_soon(after.append, "ran")
        await asyncio.sleep(0)
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)
    context = contexts[0] if contexts else {}
    return {
        "reported": len(contexts),
        "message": str(context.get("message", "")),
        "exception": type(context.get("exception")).__name__,
        "handle": isinstance(context.get("handle"), asyncio.Handle),
        "after": after,
    }


@app.get("/debug")
async def debug() -> dict[str, Any]:
    """The loop in debug mode still runs (the stock `_run_once` then), and
    a connection made then gets asyncio's own transport class."""
    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    try:
        await asyncio.sleep(0.01)
        fut = loop.create_future()
        loop.call_soon(fut.set_result, "debug")
        value = await fut
        port, thread = _thread_server(_echo)
        transport, proto = await loop.create_connection(Recorder, "127.0.0.1", port)
        proto.want = 4
        transport.write(b"ping")
        await asyncio.wait_for(proto.got_all, 5)
        transport.close()
        await asyncio.wait_for(proto.lost, 5)
        thread.join(5)
    finally:
        loop.set_debug(False)
    return {"value": value, "transport": type(transport).__name__, "echo": proto.data.decode()}


@app.get("/introspection")
async def introspection() -> dict[str, Any]:
    """After the first suspension the handler runs in a Task whose repr,
    coroutine and stack name the handler."""
    await asyncio.sleep(0)
    task = asyncio.current_task()
    assert task is not None
    coro = task.get_coro()
    return {
        "repr": "introspection" in repr(task),
        "qualname": coro.__qualname__,
        "frame": coro.cr_frame is not None,
        "stack": len(task.get_stack()),
        "all_tasks": task in asyncio.all_tasks(),
        "is_coroutine": asyncio.iscoroutine(coro),
    }


@app.get("/gather")
async def gather(n: int = 50) -> dict[str, Any]:
    """Many child Tasks at once, each suspending a few times."""

    async def child(i: int) -> int:
        for _ in range(3):
            await asyncio.sleep(0)
        await asyncio.sleep(0.001 * (i % 5))
        return i

    results = await asyncio.gather(*(child(i) for i in range(n)))
    return {"sum": sum(results), "n": len(results)}


class FactoryTask(asyncio.Task):  # type: ignore[type-arg]
    """The Task class the app's task factory makes."""


def _factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
    return FactoryTask(coro, loop=loop, **kwargs)


@app.get("/task-factory")
async def task_factory(on: bool) -> dict[str, Any]:
    """Sets (or removes) a task factory on the loop."""
    loop = asyncio.get_running_loop()
    loop.set_task_factory(_factory if on else None)
    return {"factory": loop.get_task_factory() is not None}


@app.get("/task-factory/check")
async def task_factory_check() -> dict[str, Any]:
    """The Task of a handler that suspends comes from the loop's factory."""
    await asyncio.sleep(0)
    return {"task": type(asyncio.current_task()).__name__}


def _thread_server(serve: Any) -> tuple[int, threading.Thread]:
    """A listening socket on a free port whose one connection `serve(conn)`
    handles on a thread (blocking sockets: a peer outside the loop)."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def run() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn:
                serve(conn)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return port, thread


class Recorder(asyncio.Protocol):
    """A protocol that records what the transport did to it."""

    def __init__(self, keep_open: bool = False) -> None:
        self.events: list[str] = []
        self.data = bytearray()
        self.transport: Any = None
        self.lost: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.drained: asyncio.Future[None] | None = None
        self.keep_open = keep_open
        self.want: int | None = None
        self.got_all: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.events.append("made")

    def data_received(self, data: bytes) -> None:
        if not self.events or self.events[-1] != "data":
            self.events.append("data")
        self.data += data
        if self.want is not None and len(self.data) >= self.want and not self.got_all.done():
            self.got_all.set_result(None)

    def eof_received(self) -> bool:
        self.events.append("eof")
        return self.keep_open

    def pause_writing(self) -> None:
        self.events.append("pause")
        self.drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        self.events.append("resume")
        if self.drained is not None and not self.drained.done():
            self.drained.set_result(None)

    def connection_lost(self, exc: BaseException | None) -> None:
        self.events.append(f"lost:{type(exc).__name__ if exc else None}")
        if not self.lost.done():
            self.lost.set_result(exc)


def _echo(conn: socket.socket) -> None:
    while chunk := conn.recv(65536):
        conn.sendall(chunk)


@app.get("/transport/echo")
async def transport_echo(size: int = 4 << 20) -> dict[str, Any]:
    """4 MiB through `create_connection` to an echo peer on a thread: the
    write fills the socket, is buffered, pauses the protocol past the
    high-water mark and resumes it when drained; the echo comes back in
    pieces to `data_received`; `writelines` sends its buffers in order."""
    loop = asyncio.get_running_loop()

    def late_echo(conn: socket.socket) -> None:
        time.sleep(0.2)  # the client's socket fills up meanwhile
        _echo(conn)

    port, thread = _thread_server(late_echo)
    transport, proto = await loop.create_connection(Recorder, "127.0.0.1", port)
    transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
    transport.set_write_buffer_limits(high=64 * 1024)
    payload = bytes(range(256)) * (size // 256)
    lines = [b"abc", bytearray(b"def"), memoryview(b"--ghi--")[2:5]]
    proto.want = size + 9
    transport.writelines(lines)
    transport.write(memoryview(payload))
    buffered = transport.get_write_buffer_size()
    if proto.drained is not None:
        await asyncio.wait_for(proto.drained, 10)
    await asyncio.wait_for(proto.got_all, 10)
    sock = transport.get_extra_info("socket")
    info = {
        "socket": sock is not None and sock.fileno() >= 0,
        "peername": transport.get_extra_info("peername") == ("127.0.0.1", port),
        "sockname": transport.get_extra_info("sockname") == sock.getsockname(),
        "missing": transport.get_extra_info("nothing", "default"),
        "nodelay": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0,
    }
    closing_before = transport.is_closing()
    transport.close()
    await asyncio.wait_for(proto.lost, 5)
    thread.join(5)
    return {
        "transport": type(transport).__name__,
        "echoed": bytes(proto.data) == b"abcdefghi" + payload,
        "buffered": buffered > 0,
        "events": proto.events,
        "limits": list(transport.get_write_buffer_limits()),
        "info": info,
        "closing": [closing_before, transport.is_closing()],
    }


@app.get("/transport/peer-close")
async def transport_peer_close(keep_open: bool = False) -> dict[str, Any]:
    """The peer sends and closes: `data_received`, `eof_received`, then (the
    protocol not keeping the transport open) `connection_lost(None)`; kept
    open, the transport can still write until it is closed."""
    loop = asyncio.get_running_loop()
    got = bytearray()

    def serve(conn: socket.socket) -> None:
        conn.sendall(b"bye")
        conn.shutdown(socket.SHUT_WR)
        while chunk := conn.recv(100):
            got.extend(chunk)

    port, thread = _thread_server(serve)
    transport, proto = await loop.create_connection(lambda: Recorder(keep_open), "127.0.0.1", port)
    if keep_open:
        while "eof" not in proto.events:
            await asyncio.sleep(0.005)
        transport.write(b"still here")
        transport.close()
    await asyncio.wait_for(proto.lost, 5)
    thread.join(5)
    return {"events": proto.events, "data": proto.data.decode(), "peer_got": got.decode()}


@app.get("/transport/data-and-fin")
async def transport_data_and_fin() -> dict[str, Any]:
    """The peer's data and its FIN are both waiting when the transport first
    reads (a server that sends an error and closes, as PostgreSQL does for
    `pg_terminate_backend`): one read gets the data, and the end must still
    be seen with nothing else happening on the loop."""
    loop = asyncio.get_running_loop()
    sent = threading.Event()

    def serve(conn: socket.socket) -> None:
        conn.sendall(b"terminating")
        conn.shutdown(socket.SHUT_WR)
        sent.set()
        while conn.recv(100):
            pass

    port, thread = _thread_server(serve)
    transport, proto = await loop.create_connection(Recorder, "127.0.0.1", port)
    # Hold the loop until both are queued on the socket.
    sent.wait(5)
    time.sleep(0.05)
    start = time.monotonic()
    try:
        await asyncio.wait_for(proto.lost, 2)
    except TimeoutError:
        transport.abort()
    # Missed, the end would be seen only when the timeout's timer woke the
    # loop two seconds later.
    in_time = time.monotonic() - start < 1.0
    thread.join(5)
    return {"events": proto.events, "data": proto.data.decode(), "in_time": in_time}


@app.get("/transport/abort")
async def transport_abort() -> dict[str, Any]:
    """`abort` drops buffered data and calls `connection_lost(None)` soon;
    writes after it are counted, not raised; the peer sees the end."""
    loop = asyncio.get_running_loop()
    ended = threading.Event()

    def serve(conn: socket.socket) -> None:
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass
        ended.set()

    port, thread = _thread_server(serve)
    transport, proto = await loop.create_connection(Recorder, "127.0.0.1", port)
    transport.write(b"x" * 100)
    transport.abort()
    closing = transport.is_closing()
    transport.write(b"after")
    exc = await asyncio.wait_for(proto.lost, 5)
    thread.join(5)
    return {
        "closing": closing,
        "lost": exc is None,
        "events": proto.events,
        "peer_ended": ended.is_set(),
    }


@app.get("/transport/errors")
async def transport_errors() -> dict[str, Any]:
    """What the stock transport raises stays: a `str` to `write`, a write
    after `write_eof`; a `data_received` that raises goes to the loop's
    exception handler and closes the transport with that exception."""
    loop = asyncio.get_running_loop()
    port, thread = _thread_server(_echo)
    transport, proto = await loop.create_connection(Recorder, "127.0.0.1", port)
    out: dict[str, Any] = {}
    try:
        transport.write("text")
    except TypeError as e:
        out["type"] = str(e)
    try:
        transport.writelines(["text"])
    except TypeError as e:
        out["lines"] = type(e).__name__
    transport.write_eof()
    try:
        transport.write(b"late")
    except RuntimeError as e:
        out["after_eof"] = str(e)
    await asyncio.wait_for(proto.lost, 5)
    thread.join(5)

    contexts: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: contexts.append(context))

    class Raising(Recorder):
        def data_received(self, data: bytes) -> None:
            raise ValueError("bad data")

    try:
        port, thread = _thread_server(_echo)
        transport, proto = await loop.create_connection(Raising, "127.0.0.1", port)
        transport.write(b"ping")
        exc = await asyncio.wait_for(proto.lost, 5)
        thread.join(5)
    finally:
        loop.set_exception_handler(previous)
    out["lost"] = type(exc).__name__
    out["message"] = contexts[0]["message"] if contexts else None
    return out


class Buffered(asyncio.BufferedProtocol):
    """A `BufferedProtocol`: the transport reads into its buffer."""

    def __init__(self) -> None:
        self.buf = bytearray(1000)
        self.data = bytearray()
        self.lost: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def get_buffer(self, sizehint: int) -> bytearray:
        return self.buf

    def buffer_updated(self, nbytes: int) -> None:
        self.data += self.buf[:nbytes]

    def connection_lost(self, exc: BaseException | None) -> None:
        self.lost.set_result(exc)


@app.get("/transport/buffered")
async def transport_buffered() -> dict[str, Any]:
    """A `BufferedProtocol` gets `get_buffer`/`buffer_updated`, and
    `set_protocol` switches a transport between the two kinds."""
    loop = asyncio.get_running_loop()

    def serve(conn: socket.socket) -> None:
        conn.sendall(b"first")
        assert conn.recv(10) == b"go"
        conn.sendall(b"x" * 5000)

    port, thread = _thread_server(serve)
    transport, proto = await loop.create_connection(Recorder, "127.0.0.1", port)
    proto.want = 5
    await asyncio.wait_for(proto.got_all, 5)
    buffered = Buffered()
    transport.set_protocol(buffered)
    switched = transport.get_protocol() is buffered
    transport.write(b"go")
    await asyncio.wait_for(buffered.lost, 5)
    thread.join(5)
    return {"first": proto.data.decode(), "then": len(buffered.data), "protocol": switched}


@app.get("/running")
async def running() -> dict[str, Any]:
    """The loop counts as running while the server drives it, from any
    thread; the running loop is only this thread's; `call_at` and
    `call_later` make `TimerHandle`s (and refuse `None`); an async generator
    left unfinished is closed through the loop."""
    loop = asyncio.get_running_loop()

    def from_thread() -> list[bool]:
        try:
            asyncio.get_running_loop()
            has_loop = True
        except RuntimeError:
            has_loop = False
        return [loop.is_running(), has_loop]

    thread = await asyncio.to_thread(from_thread)
    later = loop.call_later(10, print)
    at = loop.call_at(loop.time() + 10, print)
    timers = {
        "types": [type(later).__name__, type(at).__name__],
        "when": abs(later.when() - at.when()) < 0.5,
        "scheduled": [later in loop._scheduled, at in loop._scheduled],  # type: ignore[attr-defined]
    }
    later.cancel()
    at.cancel()
    errors = []
    for call in (lambda: loop.call_later(None, print), lambda: loop.call_at(None, print)):  # type: ignore[arg-type]
        try:
            call()
        except TypeError as e:
            errors.append(str(e))
    closed: list[str] = []

    async def agen() -> Any:
        try:
            yield 1
            yield 2
        finally:
            closed.append("finally")

    gen = agen()
    await gen.__anext__()
    del gen
    for _ in range(3):
        await asyncio.sleep(0)
    return {
        "here": loop.is_running(),
        "thread": thread,
        "timers": timers,
        "errors": errors,
        "agen": closed,
    }


@app.get("/httpx")
async def via_httpx() -> dict[str, Any]:
    """httpx's `AsyncClient` (anyio's streams over the loop's transports):
    a 1 MiB body twice over one kept-alive connection."""
    body = bytes(range(256)) * 4096

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        async with httpx.AsyncClient() as client:
            first = await client.get(url)
            second = await client.get(url)
    finally:
        await asyncio.to_thread(server.shutdown)
        server.server_close()
    return {
        "status": [first.status_code, second.status_code],
        "bodies": first.content == body and second.content == body,
    }


@app.get("/fork")
async def fork() -> dict[str, Any]:
    """The server answers `getpid()` from memory (`pid.rs`): the kernel's
    pid in the server, the child's own in a forked child, where asyncio's
    fork check then finds no running loop, as it does on stock CPython."""
    with open("/proc/self/stat") as f:
        kernel = int(f.read().split()[0])
    parent = os.getpid()
    here = asyncio.get_running_loop() is not None
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            asyncio.get_running_loop()
            loop = "running"
        except RuntimeError:
            loop = "none"
        os.write(w, f"{os.getpid()} {loop}".encode())
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        pid, loop = f.read().decode().split()
    os.waitpid(child, 0)
    return {
        "parent": parent == kernel,
        "child": int(pid) == child and child != parent,
        "loop": [here, loop],
    }
