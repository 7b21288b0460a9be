//! The server's allocator: mimalloc, asked for a plain block whenever a plain block is aligned
//! enough.
//!
//! The `mimalloc` crate's allocator sends every allocation through `mi_malloc_aligned`, whose
//! fast path covers only blocks of at most 1 KiB; a larger request that is not a power of two
//! (a boxed handler future, a connection's buffers) falls to its over-allocating path (size plus
//! alignment, the page marked as holding interior pointers) even when it asks for the 8-byte
//! alignment that every mimalloc block has. A cached `GET /transaction` made 49 allocations, 12
//! of them over-allocated, and spent 4.2k instructions in `mi_malloc_aligned` (callgrind; README,
//! Performance). `mi_malloc` promises what C's `malloc` does, alignment to 16 bytes
//! (`MI_MAX_ALIGN_SIZE`) for a block of at least 16, so a layout asking no more than that, and
//! no more than its own size, gets a plain block; any other goes to the aligned functions.
//! `mi_free` frees both.

// The one module that may use `unsafe`: implementing `GlobalAlloc` requires it, and each call
// below passes its layout on to mimalloc unchanged.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// The alignment `mi_malloc` gives every block at least this long.
const PLAIN_ALIGN: usize = 16;

/// mimalloc as the global allocator (`#[global_allocator]` in `main.rs`).
pub struct Mimalloc;

/// Whether a plain block of `size` bytes is aligned enough for `align`.
fn plain(size: usize, align: usize) -> bool {
    align <= PLAIN_ALIGN && align <= size
}

// SAFETY: every method hands mimalloc the layout's size and alignment as they are, and each
// block it returns is aligned as asked (`plain`, above) and at least as long; a pointer handed
// back to `dealloc` or `realloc` came from one of these methods, so from mimalloc, which frees
// blocks of either kind with `mi_free` and resizes them with `mi_realloc(_aligned)`.
unsafe impl GlobalAlloc for Mimalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see the impl.
        unsafe {
            if plain(layout.size(), layout.align()) {
                mi::mi_malloc(layout.size()).cast()
            } else {
                mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see the impl.
        unsafe {
            if plain(layout.size(), layout.align()) {
                mi::mi_zalloc(layout.size()).cast()
            } else {
                mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: see the impl.
        unsafe { mi::mi_free(ptr.cast::<c_void>()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: see the impl; mimalloc keeps the contents up to the smaller size.
        unsafe {
            if plain(new_size, layout.align()) {
                mi::mi_realloc(ptr.cast(), new_size).cast()
            } else {
                mi::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every size up to 4 KiB (mimalloc's small blocks and the first medium ones, where a plain
    /// block's alignment comes from its size class) at 8 and 16 bytes, and at every alignment
    /// from 1 byte to 4 KiB the sizes up to 64 bytes, every 997th size up to 64 KiB and a few
    /// far larger: each block is aligned as asked, holds its bytes, and keeps them through a
    /// `realloc` that grows it and one that shrinks it.
    #[test]
    fn every_block_is_aligned_as_asked_and_keeps_its_bytes() {
        let sizes = (1..=4096_usize)
            .chain((4097..=64 * 1024).step_by(997))
            .chain([100_000, 1 << 20, (4 << 20) + 3]);
        for size in sizes {
            for align in (0..=12).map(|shift| 1_usize << shift) {
                if size <= 64 || size > 4096 || matches!(align, 8 | 16) {
                    check(Layout::from_size_align(size, align).expect("a valid layout"));
                }
            }
        }
    }

    fn check(layout: Layout) {
        let allocator = Mimalloc;
        let fill = |ptr: *mut u8, len: usize| {
            for i in 0..len {
                // SAFETY: `ptr` holds at least `len` bytes.
                unsafe { ptr.add(i).write(i as u8) }
            }
        };
        let holds = |ptr: *const u8, len: usize| {
            // SAFETY: `ptr` holds at least `len` initialised bytes.
            (0..len).all(|i| unsafe { ptr.add(i).read() } == i as u8)
        };
        let aligned =
            |ptr: *mut u8, align: usize| !ptr.is_null() && (ptr as usize).is_multiple_of(align);
        // SAFETY: each pointer is the last one mimalloc returned for this block, used within
        // its size, and freed once.
        unsafe {
            let zeroed = allocator.alloc_zeroed(layout);
            assert!(
                aligned(zeroed, layout.align()),
                "zeroed {layout:?} at {zeroed:p}"
            );
            assert!(
                (0..layout.size()).all(|i| zeroed.add(i).read() == 0),
                "{layout:?}"
            );
            allocator.dealloc(zeroed, layout);

            let ptr = allocator.alloc(layout);
            assert!(aligned(ptr, layout.align()), "{layout:?} at {ptr:p}");
            fill(ptr, layout.size());
            let grown = allocator.realloc(ptr, layout, layout.size() * 2 + 8);
            assert!(
                aligned(grown, layout.align()),
                "{layout:?} grown at {grown:p}"
            );
            assert!(holds(grown, layout.size()), "{layout:?} grown");
            let larger = Layout::from_size_align(layout.size() * 2 + 8, layout.align())
                .expect("a valid layout");
            let shrunk = allocator.realloc(grown, larger, layout.size().div_ceil(2));
            assert!(
                aligned(shrunk, layout.align()),
                "{layout:?} shrunk at {shrunk:p}"
            );
            assert!(
                holds(shrunk, layout.size().div_ceil(2)),
                "{layout:?} shrunk"
            );
            allocator.dealloc(
                shrunk,
                Layout::from_size_align(layout.size().div_ceil(2), layout.align())
                    .expect("a valid layout"),
            );
        }
    }
}
