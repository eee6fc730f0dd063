//! The Rust side's allocator: jemalloc.
//!
//! With glibc's malloc the server's small allocations (hyper's read
//! buffers, header maps, response bodies) ran into `malloc_consolidate` and
//! `_int_malloc` slow paths, because CPython's own allocations interleave
//! with them in one heap: the same six allocations per request cost ~1,700
//! instructions against ~960 in a server without Python. CPython keeps its
//! own allocators (pymalloc over libc `malloc`; jemalloc is built with its
//! symbols prefixed, so it replaces nothing there).
//!
//! Measured against the alternatives on the hello app (callgrind,
//! instructions per request on /plaintext, /json, /user/{id}, POST
//! /validate): glibc 8,861 / 10,054 / 10,356 / 16,672; mimalloc 8,448 /
//! 9,528 / 9,827 / 15,152 (before later savings elsewhere), but its
//! `_mi_malloc_generic` slow path ran ~2.5 times per request, because a
//! server that frees each block before it asks for the next of that size
//! always finds the page's free list empty; jemalloc's thread cache serves
//! that pattern from a stack: 2–4% less CPU per POST /validate request
//! than mimalloc in alternating wrk runs on this machine, with the same
//! resident size (17.3 MB) and start-up. On the bodiless endpoints the two
//! were within the runs' noise (±3%; /user/{id} leaned to mimalloc), so
//! re-measure before switching again. Its background threads stay off (a second thread would put
//! every `malloc` and system call of the process on glibc's multi-threaded
//! paths).

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[cfg(test)]
mod tests {
    #[test]
    fn alignments_and_sizes() {
        use std::alloc::{Layout, alloc, alloc_zeroed, dealloc, realloc};
        for align in [1, 2, 8, 16, 32, 64, 128, 4096] {
            for size in [1, 7, 16, 24, 100, 4096, 70_000] {
                let layout = Layout::from_size_align(size, align).expect("layout");
                // SAFETY: non-zero sizes; each block freed with its layout.
                unsafe {
                    let p = alloc(layout);
                    assert!(
                        !p.is_null() && p.addr().is_multiple_of(align),
                        "{size}/{align}"
                    );
                    p.write_bytes(0xAB, size);
                    let p = realloc(p, layout, size * 3);
                    assert!(
                        !p.is_null() && p.addr().is_multiple_of(align),
                        "{size}/{align}"
                    );
                    assert!((0..size).all(|i| *p.add(i) == 0xAB));
                    dealloc(p, Layout::from_size_align(size * 3, align).expect("layout"));
                    let z = alloc_zeroed(layout);
                    assert!((0..size).all(|i| *z.add(i) == 0));
                    dealloc(z, layout);
                }
            }
        }
    }
}
