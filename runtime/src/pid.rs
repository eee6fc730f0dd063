//! `getpid()`, answered from memory instead of a system call.
//!
//! CPython 3.11's `asyncio.get_running_loop()` (its C version, which
//! `asyncio.Future()`, `Task()`, `sleep` and most of `asyncio` call) and
//! `_set_running_loop()` each ask `getpid()`, to tell a forked child from
//! its parent. glibc has not cached the pid since 2.25, so every call is a
//! system call: nine per `/fortunes` request on asyncpg (strace), about
//! 180 ns each on the benchmark machine, close to 2% of the request.
//!
//! The executable defines `getpid`; the dynamic linker binds libpython's
//! and the extension modules' calls to it (the executable comes first in
//! the lookup order; the link exports it because libpython refers to it).
//! It asks the kernel once and remembers. A `fork()` clears the memory in
//! the child (a `pthread_atfork` handler, registered before `main`), which
//! is what glibc did when it still cached the pid. What that cache got
//! wrong, a child made by calling `clone` directly (not through `fork`)
//! that then asks its pid before `exec`, nothing in this process does:
//! Python's `os.fork` calls `fork`, and `subprocess`, `posix_spawn` and
//! Rust's `Command` exec at once in the child.

use std::sync::atomic::{AtomicI32, Ordering};

/// The pid, or 0 before the first call and in a fresh child.
static PID: AtomicI32 = AtomicI32::new(0);

/// `getpid(2)`, remembered.
#[unsafe(no_mangle)]
pub(crate) extern "C" fn getpid() -> libc::pid_t {
    let pid = PID.load(Ordering::Relaxed);
    if pid != 0 {
        return pid;
    }
    // SAFETY: getpid takes no arguments and cannot fail.
    #[allow(clippy::cast_possible_truncation)]
    let pid = unsafe { libc::syscall(libc::SYS_getpid) } as libc::pid_t;
    PID.store(pid, Ordering::Relaxed);
    pid
}

/// In a child just forked: forget the parent's pid.
extern "C" fn forget() {
    PID.store(0, Ordering::Relaxed);
}

/// Registers [`forget`] before `main` runs, so before any fork.
extern "C" fn register() {
    // SAFETY: registers a handler that only stores to an atomic.
    unsafe { libc::pthread_atfork(None, None, Some(forget)) };
}

#[used]
#[unsafe(link_section = ".init_array")]
static REGISTER: extern "C" fn() = register;

/// Keeps [`getpid`] in the executable (called from the event loop's
/// set-up: the apps with `async def` handlers are the ones that ask).
pub(crate) fn keep() {
    std::hint::black_box(getpid as extern "C" fn() -> libc::pid_t);
}
