"""prebake runtime bootstrap: run once at start-up by the embedded interpreter.

It installs the importer that serves the modules carried inside the binary
(the app's modules and the `prebake` package), and holds the small pieces of
Python the Rust side needs: handler signature inspection and the asyncio
glue. Nothing here runs per request except `current_task` when a handler
asks for its Task (and `callback_failed` when a loop callback raises).
"""

import importlib
import importlib.machinery
import marshal
import sys
from importlib._bootstrap_external import MAGIC_NUMBER

# `asyncio`, `selectors` and `inspect` are imported where they are needed:
# asyncio (with ssl, concurrent.futures and logging) was half of the
# start-up of an app without `async def` handlers, which never needs it.

__all__ = [
    "install",
    "is_async",
    "signature",
    "new_loop",
    "patch_current_task",
    "adopt",
    "use_resume",
    "use_socket_io",
    "driving",
    "run_to_completion",
    "callback_failed",
    "HandlerTimeout",
    "at_exit",
]


#: The synthetic package that holds the app's top-level modules, so that
#: both `from .models import User` and `from models import User` work in
#: them (docs/semantics.md) and give the same module object.
APP_PACKAGE = "__prebake_app__"


class EmbeddedImporter:
    """A meta-path finder and loader for sources embedded in the binary.

    `modules` maps a dotted module name to `(file, source, is_package)`.
    `file` becomes `__file__` and the traceback file name; `get_source`
    lets `linecache` show lines even where that file does not exist.

    The app's modules (`app_modules`) keep their own names (`models`), but
    a top-level one runs with `__package__` set to `APP_PACKAGE`, and
    `APP_PACKAGE.models` is an alias of `models`: relative imports between
    the app's top-level modules resolve to the very same modules.
    """

    def __init__(self, modules, app_modules):
        self._modules = modules
        self._app = frozenset(app_modules)

    def find_spec(self, fullname, path=None, target=None):
        if fullname == APP_PACKAGE:
            return importlib.machinery.ModuleSpec(fullname, _Empty(), is_package=True)
        if fullname.startswith(APP_PACKAGE + "."):
            name = fullname[len(APP_PACKAGE) + 1 :]
            if name not in self._app:
                return None
            return importlib.machinery.ModuleSpec(
                fullname, _Alias(name), is_package=self._modules[name][2]
            )
        entry = self._modules.get(fullname)
        if entry is None:
            return None
        file, is_package = entry[0], entry[2]
        spec = importlib.machinery.ModuleSpec(
            fullname, self, origin=file, is_package=is_package
        )
        spec.has_location = True
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        name = module.__spec__.name
        if name in self._app and "." not in name and not self._modules[name][2]:
            module.__package__ = APP_PACKAGE
        exec(self.get_code(name), module.__dict__)

    def get_code(self, fullname):
        entry = self._modules[fullname]
        file, source = entry[0], entry[1]
        # The `prebake` package comes compiled by the build's interpreter
        # (its magic number first); another interpreter compiles the source.
        if len(entry) > 3 and entry[3][:4] == MAGIC_NUMBER:
            return marshal.loads(entry[3][4:])
        return compile(source, file, "exec", dont_inherit=True)

    def get_source(self, fullname):
        entry = self._modules.get(fullname)
        return None if entry is None else entry[1]

    def is_package(self, fullname):
        return self._modules[fullname][2]

    def get_filename(self, fullname):
        return self._modules[fullname][0]


class _Empty:
    """Loader of the empty synthetic package."""

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        pass


class _Alias:
    """Loader that answers `APP_PACKAGE.name` with the module `name`."""

    def __init__(self, name):
        self.name = name

    def create_module(self, spec):
        return importlib.import_module(self.name)

    def exec_module(self, module):
        pass


def install(modules, app_modules):
    """Put the embedded modules first on `sys.meta_path`."""
    sys.meta_path.insert(0, EmbeddedImporter(modules, app_modules))


_CO_VARARGS = 0x04
_CO_VARKEYWORDS = 0x08
_CO_COROUTINE = 0x80


def _plain_function(func):
    """The code object of a plain Python function, or None for anything
    `inspect` has to look through (wrappers, partials, callables)."""
    code = getattr(func, "__code__", None)
    if (
        type(func).__name__ != "function"
        or code is None
        or hasattr(func, "__wrapped__")
        or hasattr(func, "__signature__")
    ):
        return None
    return code


def is_async(func):
    """`inspect.iscoroutinefunction(func)`, without importing `inspect` for
    plain functions."""
    code = _plain_function(func)
    if code is not None:
        return bool(code.co_flags & _CO_COROUTINE)
    import inspect

    return inspect.iscoroutinefunction(func)


def signature(func):
    """`[(name, keyword_only, has_default, default)]` for `func`'s parameters.

    Raises `TypeError` for `*args` and `**kwargs`, which a route never binds.
    """
    code = _plain_function(func)
    if code is not None:
        return _code_signature(func, code)
    import inspect

    out = []
    for p in inspect.signature(func).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise TypeError(f"parameter {p.name!r}: *args and **kwargs are not supported")
        has_default = p.default is not p.empty
        default = p.default if has_default else None
        has_default, default = _unmark(has_default, default)
        out.append((p.name, p.kind == p.KEYWORD_ONLY, has_default, default))
    return out


def _unmark(has_default, default):
    """A `name: str = Query("x")` default (FastAPI's spelling, any marker)
    stands for the marker's own default; `Query()` and `Query(...)` for none."""
    if has_default and type(default).__module__ == "prebake._params":
        inner = default.default
        return (inner is not ..., None if inner is ... else inner)
    return (has_default, default)


def _code_signature(func, code):
    """`signature` of a plain function, from its code object (what
    `inspect.signature` reads too)."""
    positional = code.co_argcount
    if code.co_flags & (_CO_VARARGS | _CO_VARKEYWORDS):
        # `*args` (else `**kwargs`) follows the named parameters.
        name = code.co_varnames[positional + code.co_kwonlyargcount]
        raise TypeError(f"parameter {name!r}: *args and **kwargs are not supported")
    names = code.co_varnames[: positional + code.co_kwonlyargcount]
    defaults = func.__defaults__ or ()
    kwdefaults = func.__kwdefaults__ or {}
    first_default = positional - len(defaults)
    out = []
    for i, name in enumerate(names):
        if i < positional:
            has_default = i >= first_default
            default = defaults[i - first_default] if has_default else None
        else:
            has_default = name in kwdefaults
            default = kwdefaults.get(name)
        has_default, default = _unmark(has_default, default)
        out.append((name, i >= positional, has_default, default))
    return out


def new_loop():
    """The interpreter thread's event loop, driven from Rust: only apps
    with `async def` handlers create one.

    The loop is never `run_forever`ed: the Rust side waits on its
    selector's epoll fd and on the loop's next timer with tokio, then calls
    `loop._run_once()`, whose `select` must return at once.
    """
    import asyncio
    import selectors

    from asyncio import protocols, selector_events

    class NonBlockingSelector(selectors.EpollSelector):
        """An epoll selector that never blocks."""

        def select(self, timeout=None):
            return super().select(0)

    class SocketTransport(selector_events._SelectorSocketTransport):
        """asyncio's socket transport whose reader callback, `write` and
        `writelines` are the runtime's `SocketIo` (`transport.rs`): the
        same steps on the same attributes, without their Python frames.
        Everything else is the stock class's."""

        def __init__(self, loop, sock, protocol, waiter=None, extra=None, server=None):
            # Before the stock __init__, which calls set_protocol and
            # registers `self._read_ready` as the reader.
            io = _socket_io(self, sock.fileno(), self.max_size, selector_events._SelectorSocketTransport)
            self._io = io
            self._read_ready = io.read_ready
            self.write = io.write
            self.writelines = io.writelines
            super().__init__(loop, sock, protocol, waiter, extra, server)

        def set_protocol(self, protocol):
            super().set_protocol(protocol)
            self._io.buffered = isinstance(protocol, protocols.BufferedProtocol)

    class Loop(asyncio.SelectorEventLoop):
        """asyncio's selector loop; plain sockets get `SocketTransport`
        (TLS keeps the stock transports, and so does debug mode)."""

        def _make_socket_transport(self, sock, protocol, waiter=None, *, extra=None, server=None):
            if _socket_io is None or self._debug:
                return super()._make_socket_transport(sock, protocol, waiter, extra=extra, server=server)
            return SocketTransport(self, sock, protocol, waiter, extra, server)

    global _loop
    _loop = Loop(NonBlockingSelector())
    return _loop


def use_socket_io(cls):
    """Take the runtime's `SocketIo` (see `transport.rs`) for the loop's
    socket transports."""
    global _socket_io
    _socket_io = cls


#: Set by `use_socket_io`.
_socket_io = None


def driving():
    """The server drives the loop from here on: `loop.is_running()` is true
    (from any thread, as for a loop in `run_forever`), and async generators
    first iterated on this thread are the loop's (finalised through it,
    closed by `shutdown_asyncgens`), as `run_forever` arranges."""
    import threading

    _loop._thread_id = threading.get_ident()
    sys.set_asyncgen_hooks(
        firstiter=_loop._asyncgen_firstiter_hook,
        finalizer=_loop._asyncgen_finalizer_hook,
    )


def run_to_completion(awaitable):
    """`loop.run_until_complete(awaitable)` at start-up or shutdown, while
    the server does not drive the loop (it refuses a loop that is running)."""
    _loop._thread_id = None
    return _loop.run_until_complete(awaitable)


#: The loop `new_loop` made.
_loop = None
#: The coroutine of the fast path's `send(None)`, while it runs (set from Rust).
_fast_coro = None
#: The Task made for it because it asked for one, and the `Resume` that
#: Task will run; `adopt` hands them to Rust once the send returned.
_fast_task = None
_fast_resume = None


def patch_current_task():
    """Make `asyncio.current_task()` answer during the fast path.

    The fast path sends into a handler's coroutine with no Task around it (a
    Task costs about 4 µs, more than many handlers). A handler or library
    that asks for its Task there (`asyncio.timeout()`, aiohttp's timers,
    anyio's cancel scopes) gets one made on the spot: the Task that will run
    the rest of the coroutine if it suspends, entered as the loop's current
    task until the send returns. Installed before the app is imported, so
    `from asyncio import current_task` sees it too.
    """
    import asyncio
    import asyncio.tasks as tasks

    c_current_task = tasks.current_task

    def current_task(loop=None):
        task = c_current_task(loop)
        if task is None and _fast_coro is not None and (loop is None or loop is _loop):
            task = _materialize(tasks)
        return task

    current_task.__doc__ = c_current_task.__doc__
    asyncio.current_task = tasks.current_task = current_task


def _materialize(tasks):
    global _fast_task, _fast_resume
    resume = Resume(_fast_coro)
    task = _loop.create_task(resume)
    tasks._enter_task(_loop, task)
    _fast_task, _fast_resume = task, resume
    return task


def adopt(value, suspended):
    """After a fast-path send that made a Task: leave it, and let it go on
    from `value` (the coroutine suspended) or finish at once (it returned or
    raised; Rust answers with that). Returns the Task."""
    import asyncio.tasks as tasks

    global _fast_task, _fast_resume
    task, resume = _fast_task, _fast_resume
    _fast_task = _fast_resume = None
    tasks._leave_task(_loop, task)
    if suspended:
        resume.value = value
    else:
        resume.coro = None
    return task


def use_resume(cls):
    """Take the runtime's `Resume` (see `aio.rs`): the coroutine a Task runs
    to finish a handler's coroutine whose first step happened in Rust. It is
    registered as a `collections.abc.Coroutine`, which `asyncio.Task` accepts."""
    import collections.abc

    global Resume
    Resume = cls
    collections.abc.Coroutine.register(cls)


#: Set by `use_resume`.
Resume = None


def callback_failed(handle, exc):
    """A callback the loop's turn (in Rust) ran raised `exc`: report it to the
    loop's exception handler as `Handle._run` does."""
    from asyncio import format_helpers

    cb = format_helpers._format_callback_source(handle._callback, handle._args)
    context = {
        "message": f"Exception in callback {cb}",
        "exception": exc,
        "handle": handle,
    }
    if handle._source_traceback:
        context["source_traceback"] = handle._source_traceback
    handle._loop.call_exception_handler(context)


class HandlerTimeout(BaseException):
    """Raised inside a handler that ran past `--handler-timeout`.

    A `BaseException`, like `asyncio.CancelledError`, so that a handler's
    `except Exception:` does not swallow it; the client gets a 503.
    """


async def anext_chunk(iterator):
    """The next chunk of a `StreamingResponse`'s async iterator, as a Task."""
    return await iterator.__anext__()


def at_exit():
    """On a graceful exit: run `atexit` callbacks and flush the standard streams.

    The embedded interpreter is never finalised (a blocked thread could hang
    the exit), so this is what `Py_Finalize` would have done for the app.
    """
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
