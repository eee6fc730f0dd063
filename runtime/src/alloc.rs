//! The Rust side's allocator: mimalloc.
//!
//! With glibc's malloc the server's small allocations (hyper's read
//! buffers, header maps, response bodies) ran into `malloc_consolidate` and
//! `_int_malloc` slow paths, because CPython's own allocations interleave
//! with them in one heap: the same six allocations per request cost ~1,700
//! instructions against ~960 in a server without Python. mimalloc's
//! per-size free pages make them cheap again. CPython keeps its own
//! allocators (pymalloc over libc `malloc`).
//!
//! Built without transparent huge pages (`no_thp`): with them, mimalloc's
//! first arena pages became 2 MiB pages and the resident size of a fresh
//! server grew by 6 MB.
//!
//! Not the `mimalloc` crate's allocator: it sends every request through
//! `mi_malloc_aligned`, whose alignment handling cost ~100 instructions per
//! HTTP request; here only over-aligned layouts take that path.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// mimalloc's guaranteed alignment for plain `mi_malloc` (`MI_MAX_ALIGN_SIZE`).
const MIN_ALIGN: usize = 16;

struct MiMalloc;

#[global_allocator]
static ALLOCATOR: MiMalloc = MiMalloc;

#[inline]
fn plain(layout: Layout) -> bool {
    layout.align() <= MIN_ALIGN && layout.align() <= layout.size()
}

// SAFETY: the contract of `GlobalAlloc` is met by mimalloc's functions: each
// returns memory of at least the size asked, aligned as asked (plain
// `mi_malloc` for alignments it guarantees), or null; `mi_free` takes any
// pointer mimalloc returned.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see the impl.
        unsafe {
            if plain(layout) {
                mi::mi_malloc(layout.size()).cast()
            } else {
                mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see the impl.
        unsafe {
            if plain(layout) {
                mi::mi_zalloc(layout.size()).cast()
            } else {
                mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator.
        unsafe { mi::mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator with `layout`.
        unsafe {
            if layout.align() <= MIN_ALIGN && layout.align() <= new_size {
                mi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            }
        }
    }
}

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
