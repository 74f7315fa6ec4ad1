//! The global allocator: a bump arena, then the system allocator.
//!
//! relnode lives for about a millisecond and then execs the release, which drops the whole
//! address space; freeing memory before that is wasted work. musl's allocator also maps and
//! unmaps pages as small vectors grow, which was half of relnode's syscalls and a third of its
//! start-up time (BENCHMARKS.md). So allocations come from a static arena (in .bss: pages
//! cost nothing until touched) and are never freed; past the arena, from the system allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Enough for `env`, `render` and `exec --output` with the built-in template: strace shows no
/// heap mmap for them (256 KiB was not, as a moved vector leaves its old copy behind). Pages
/// that are never touched cost nothing. `man`, or a big user template, continues in the system
/// allocator.
pub const ARENA_SIZE: usize = 1024 * 1024;

/// relnode lives a millisecond and then execs: allocate from a static arena, never free.
#[global_allocator]
static ALLOCATOR: Arena<ARENA_SIZE> = Arena::new();

/// For a long-running mode (`exec --init`): from now on, memory comes from the system
/// allocator and is freed again; what the arena handed out stays valid.
pub fn seal() {
    ALLOCATOR.seal();
}

#[repr(C, align(4096))]
struct Bytes<const N: usize>(UnsafeCell<[u8; N]>);

pub struct Arena<const N: usize> {
    bytes: Bytes<N>,
    /// Offset of the first free byte.
    used: AtomicUsize,
    /// After [`Arena::seal`], new allocations go to the system allocator.
    sealed: AtomicBool,
}

// The arena hands out disjoint ranges, claimed with compare-exchange on `used`.
unsafe impl<const N: usize> Sync for Arena<N> {}

impl<const N: usize> Arena<N> {
    pub const fn new() -> Self {
        Arena {
            bytes: Bytes(UnsafeCell::new([0; N])),
            used: AtomicUsize::new(0),
            sealed: AtomicBool::new(false),
        }
    }

    /// New allocations go to the system allocator; see [`seal`].
    pub fn seal(&self) {
        self.sealed.store(true, Ordering::Release);
    }

    fn base(&self) -> usize {
        self.bytes.0.get() as usize
    }

    fn owns(&self, ptr: *mut u8) -> bool {
        (self.base()..self.base() + N).contains(&(ptr as usize))
    }

    /// Claims `size` bytes at `align`; `None` when the arena cannot hold them or is sealed.
    fn claim(&self, layout: Layout) -> Option<*mut u8> {
        if self.sealed.load(Ordering::Acquire) {
            return None;
        }
        let base = self.base();
        // Acquire/AcqRel: bytes given back by a shrink (`resize_last`) may be handed out here,
        // and the shrinking thread's last writes to them must happen before ours.
        let mut used = self.used.load(Ordering::Acquire);
        loop {
            // Align the address, not the offset: the arena is only page-aligned, and an
            // alignment above a page (8192, say) must still be honoured.
            let start = (base + used).checked_next_multiple_of(layout.align())? - base;
            let end = start.checked_add(layout.size()).filter(|end| *end <= N)?;
            match self
                .used
                .compare_exchange_weak(used, end, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Some((base + start) as *mut u8),
                Err(now) => used = now,
            }
        }
    }

    /// Grows or shrinks the most recent allocation where it stands.
    fn resize_last(&self, ptr: *mut u8, old_size: usize, new_size: usize) -> bool {
        if self.sealed.load(Ordering::Acquire) {
            return false;
        }
        let start = ptr as usize - self.base();
        let Some(end) = start.checked_add(new_size).filter(|end| *end <= N) else {
            return false;
        };
        self.used
            .compare_exchange(start + old_size, end, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

unsafe impl<const N: usize> GlobalAlloc for Arena<N> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.claim(layout) {
            Some(ptr) => ptr,
            // SAFETY: the caller's contract for `layout` is passed on unchanged.
            None => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !self.owns(ptr) {
            // SAFETY: not ours, so it came from `System.alloc` with this layout.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !self.owns(ptr) {
            // SAFETY: not ours, so it came from `System` with this layout.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        if self.resize_last(ptr, layout.size(), new_size) {
            return ptr;
        }
        // SAFETY: `new_size` with the old alignment is a valid layout per realloc's contract.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: as for `alloc`.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are live, distinct, and at least this long.
            unsafe { std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).expect("valid layout")
    }

    #[test]
    fn allocations_are_aligned_disjoint_and_fall_back_when_full() {
        static ARENA: Arena<4096> = Arena::new();
        unsafe {
            let a = ARENA.alloc(layout(3, 1));
            let b = ARENA.alloc(layout(8, 8));
            let c = ARENA.alloc(layout(64, 64));
            assert!(ARENA.owns(a) && ARENA.owns(b) && ARENA.owns(c));
            assert_eq!(b as usize % 8, 0);
            assert_eq!(c as usize % 64, 0);
            assert!(b as usize >= a as usize + 3 && c as usize >= b as usize + 8);
            // Bigger than what is left: the system allocator serves it, and frees it.
            let big = ARENA.alloc(layout(8192, 8));
            assert!(!big.is_null() && !ARENA.owns(big));
            big.write_bytes(0xab, 8192);
            ARENA.dealloc(big, layout(8192, 8));
        }
    }

    /// Alignments above the arena's own (a page) are honoured, not just offsets.
    #[test]
    fn alignments_above_a_page_are_honoured() {
        static ARENA: Arena<65536> = Arena::new();
        unsafe {
            let _skew = ARENA.alloc(layout(1, 1));
            for align in [8192, 16384, 32768] {
                let p = ARENA.alloc(layout(16, align));
                assert!(!p.is_null());
                assert_eq!(p as usize % align, 0, "align {align}: {p:p}");
                if !ARENA.owns(p) {
                    ARENA.dealloc(p, layout(16, align));
                }
            }
        }
    }

    #[test]
    fn a_sealed_arena_hands_out_system_memory_and_keeps_what_it_gave() {
        static ARENA: Arena<4096> = Arena::new();
        unsafe {
            let before = ARENA.alloc(layout(8, 8));
            before.copy_from_nonoverlapping(b"arenamem".as_ptr(), 8);
            ARENA.seal();
            let after = ARENA.alloc(layout(8, 8));
            assert!(ARENA.owns(before) && !ARENA.owns(after));
            // A block from before the seal grows by moving into the system allocator.
            let grown = ARENA.realloc(before, layout(8, 8), 64);
            assert!(!ARENA.owns(grown));
            assert_eq!(std::slice::from_raw_parts(grown, 8), b"arenamem");
            ARENA.dealloc(grown, layout(64, 8));
            ARENA.dealloc(after, layout(8, 8));
        }
    }

    #[test]
    fn realloc_keeps_the_bytes_in_place_or_moved() {
        static ARENA: Arena<4096> = Arena::new();
        unsafe {
            let first = ARENA.alloc(layout(4, 1));
            first.copy_from_nonoverlapping(b"abcd".as_ptr(), 4);
            // The last allocation grows where it stands.
            let grown = ARENA.realloc(first, layout(4, 1), 16);
            assert_eq!(grown, first);
            let other = ARENA.alloc(layout(4, 1));
            // No longer the last one: it moves, with its bytes.
            let moved = ARENA.realloc(grown, layout(16, 1), 32);
            assert_ne!(moved, grown);
            assert_eq!(std::slice::from_raw_parts(moved, 4), b"abcd");
            // Past the arena: into the system allocator, bytes intact.
            let out = ARENA.realloc(moved, layout(32, 1), 10_000);
            assert!(!ARENA.owns(out));
            assert_eq!(std::slice::from_raw_parts(out, 4), b"abcd");
            ARENA.dealloc(out, layout(10_000, 1));
            ARENA.dealloc(other, layout(4, 1));
        }
    }

    #[test]
    fn threads_get_disjoint_blocks() {
        static ARENA: Arena<65536> = Arena::new();
        let blocks: Vec<usize> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        (0..100)
                            .map(|_| unsafe { ARENA.alloc(layout(16, 16)) as usize })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("thread"))
                .collect()
        });
        let mut sorted = blocks.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), blocks.len(), "no block handed out twice");
        assert!(sorted.windows(2).all(|w| w[1] - w[0] >= 16));
    }
}
