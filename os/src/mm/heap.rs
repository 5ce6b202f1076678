//! The kernel heap, `alloc`'s `#[global_allocator]`: a slab allocator for small objects on
//! top of the buddy allocator (NOTES.md: small kernel objects come from slabs).
//!
//! Sizes up to 2 KiB round up to a power-of-two class (16 B .. 2 KiB); each class carves
//! whole frames into equal objects, kept on a free list threaded through the free objects.
//! An object of class c is aligned to c (frames are page-aligned and objects are laid out
//! back to back), which covers any alignment up to the class size. Larger requests take
//! 2^order frames straight from the buddy allocator (naturally aligned to their size) and
//! give them back on free. Slab frames are not returned yet (a shrinker comes with reclaim).

use super::frame;
use super::layout::{phys_to_virt, virt_to_phys};
use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicUsize, Ordering};
use mm_core::page::PageFlags;
use mm_core::{VirtAddr, PAGE_SIZE};
use spin::Mutex;

const CLASSES: usize = 8;
const MIN_CLASS: usize = 16;
const MAX_SMALL: usize = MIN_CLASS << (CLASSES - 1);

struct Slabs {
    /// Head of each class's free list (a direct-map address; 0 = empty).
    free: [usize; CLASSES],
    /// Frames held by the slabs.
    frames: usize,
}

/// The global allocator.
pub struct Heap(Mutex<Slabs>);

#[global_allocator]
static HEAP: Heap = Heap(Mutex::new(Slabs {
    free: [0; CLASSES],
    frames: 0,
}));

/// Frames the slabs hold.
pub fn slab_frames() -> usize {
    HEAP.0.lock().frames
}

/// Frames held by large objects (taken straight from the buddy allocator).
static LARGE_FRAMES: AtomicUsize = AtomicUsize::new(0);

/// Frames the large objects hold now.
pub fn large_frames() -> usize {
    LARGE_FRAMES.load(Ordering::Relaxed)
}

fn class_of(layout: &Layout) -> Option<usize> {
    let size = layout.size().max(layout.align()).max(MIN_CLASS);
    (size <= MAX_SMALL).then(|| (size.next_power_of_two().trailing_zeros() - 4) as usize)
}

fn order_of(layout: &Layout) -> usize {
    let size = layout.size().max(layout.align()) as u64;
    size.div_ceil(PAGE_SIZE)
        .next_power_of_two()
        .trailing_zeros() as usize
}

#[allow(unsafe_code)]
impl Slabs {
    fn refill(&mut self, class: usize) -> bool {
        let Some(pa) = frame::alloc(0) else {
            return false;
        };
        frame::mark(pa, PageFlags::SLAB);
        self.frames += 1;
        let size = MIN_CLASS << class;
        let base = phys_to_virt(pa).0 as usize;
        for off in (0..PAGE_SIZE as usize).step_by(size).rev() {
            let obj = base + off;
            // SAFETY: `obj` is inside the fresh frame, aligned for a usize; the frame is
            // ours alone.
            unsafe { (obj as *mut usize).write(self.free[class]) };
            self.free[class] = obj;
        }
        true
    }

    fn pop(&mut self, class: usize) -> *mut u8 {
        if self.free[class] == 0 && !self.refill(class) {
            return core::ptr::null_mut();
        }
        let obj = self.free[class];
        // SAFETY: `obj` is on the free list: a free object whose first word links the next.
        self.free[class] = unsafe { (obj as *const usize).read() };
        obj as *mut u8
    }

    fn push(&mut self, class: usize, obj: *mut u8) {
        // SAFETY: `obj` was allocated from this class (GlobalAlloc's contract) and is free
        // now; its first word becomes the link.
        unsafe { (obj as *mut usize).write(self.free[class]) };
        self.free[class] = obj as usize;
    }
}

// SAFETY: alloc returns memory of at least `layout.size()` bytes aligned to `layout.align()`
// (class objects are aligned to their power-of-two size, buddy blocks to theirs) or null;
// dealloc takes back exactly what alloc gave for the same layout.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class_of(&layout) {
            Some(c) => self.0.lock().pop(c),
            None => match frame::alloc(order_of(&layout)) {
                Some(pa) => {
                    LARGE_FRAMES.fetch_add(1 << order_of(&layout), Ordering::Relaxed);
                    phys_to_virt(pa).0 as *mut u8
                }
                None => core::ptr::null_mut(),
            },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class_of(&layout) {
            Some(c) => self.0.lock().push(c, ptr),
            None => {
                LARGE_FRAMES.fetch_sub(1 << order_of(&layout), Ordering::Relaxed);
                frame::free(virt_to_phys(VirtAddr(ptr as u64)), order_of(&layout))
            }
        }
    }
}
