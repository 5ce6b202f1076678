//! Swap areas: none yet on this branch (the virtio-blk driver and the areas on its disks
//! come with the block-device work). Every call answers as a kernel with no swap does.

use mm_core::swap::SwapEntry;

/// A swap read or write failed.
#[derive(Clone, Copy, Debug)]
pub struct SwapIoError;

pub fn alloc_slot() -> Option<SwapEntry> {
    None
}
pub fn dup(_e: SwapEntry) -> bool {
    false
}
pub fn free(_e: SwapEntry) {}
pub fn use_count(_e: SwapEntry) -> u32 {
    0
}
pub fn write_page(_e: SwapEntry, _page: &[u8; 4096]) -> Result<(), SwapIoError> {
    Err(SwapIoError)
}
pub fn read_page(_e: SwapEntry, _page: &mut [u8; 4096]) -> Result<(), SwapIoError> {
    Err(SwapIoError)
}
pub fn total_pages() -> u64 {
    0
}
pub fn free_pages() -> u64 {
    0
}
