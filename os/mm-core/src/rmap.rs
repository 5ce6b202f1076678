//! Reverse mapping: from a frame to the PTEs that map it (NOTES.md, "Reverse mapping finds
//! which page tables map a frame"; reclaim and swap need it to unmap a page before its
//! frame is reused).
//!
//! As Linux's anonymous reverse map (anon_vma), simplified: every address space belongs to
//! a *family*, the address spaces a fork tree shares frames with (exec starts a new one,
//! fork keeps the parent's). A user frame's [`crate::page::Page`] keeps the family in
//! `rmap` and, in `index`, the virtual page number it was first mapped at. A frame shared
//! by fork is at that same address in every member of the family; only mremap moves a
//! mapping, and then (for a frame still shared) the fast path misses it and
//! [`find_mappings`] falls back to scanning the family's tables, so the answer is always
//! complete: exactly `mapcount` PTEs.

use crate::addr::{PhysAddr, VirtAddr};
use crate::paging::{self, translate, PagingMode, TableAccess};
use alloc::vec::Vec;

/// Where a frame is mapped: the owner (a pid) and the virtual address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub owner: u32,
    pub va: VirtAddr,
}

/// The PTEs mapping `pa` among the family's address spaces (`spaces`: owner and root
/// table): first at `index_va` in each (the page's recorded address), then, while fewer
/// than `mapcount` are found, by a scan of the spaces' user halves.
pub fn find_mappings(
    mode: PagingMode,
    spaces: &[(u32, PhysAddr)],
    pa: PhysAddr,
    index_va: VirtAddr,
    mapcount: u32,
    mem: &impl TableAccess,
) -> Vec<Mapping> {
    let mut found = Vec::new();
    for &(owner, root) in spaces {
        if translate(mode, root, index_va, mem).is_some_and(|t| t.pa.align_down(4096) == pa) {
            found.push(Mapping {
                owner,
                va: index_va,
            });
        }
    }
    if found.len() >= mapcount as usize {
        return found;
    }
    for &(owner, root) in spaces {
        paging::visit_user(mode, root, mem, &mut |n| match n {
            paging::Node::Leaf(va, 0, pte) if pte.addr() == pa && va != index_va => {
                found.push(Mapping { owner, va })
            }
            _ => {}
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paging::{fork_copy, map, ForkPage, ENTRIES, SV39, SV48};
    use crate::pte::{Pte, PteFlags};
    use std::collections::HashMap;

    struct Mem(HashMap<u64, [u64; ENTRIES]>, u64);

    impl TableAccess for Mem {
        fn alloc_table(&mut self) -> Option<PhysAddr> {
            self.1 += 4096;
            self.0.insert(self.1, [0; ENTRIES]);
            Some(PhysAddr(self.1))
        }
        fn read(&self, table: PhysAddr, index: usize) -> Pte {
            Pte(self.0[&table.0][index])
        }
        fn write(&mut self, table: PhysAddr, index: usize, pte: Pte) {
            self.0.get_mut(&table.0).unwrap()[index] = pte.0;
        }
    }

    #[test]
    fn a_forked_frame_is_found_in_every_family_member_even_after_a_move() {
        for mode in [SV39, SV48] {
            let mut mem = Mem(HashMap::new(), 0x8000_0000);
            let parent = mem.alloc_table().unwrap();
            let frame = PhysAddr(0x9000_0000);
            let va = VirtAddr(0x2_0000);
            let rw = PteFlags::R | PteFlags::W | PteFlags::U | PteFlags::A | PteFlags::D;
            map(mode, parent, va, frame, 0, rw, &mut mem)
                .unwrap()
                .covered_by_full_fence();
            let child = mem.alloc_table().unwrap();
            fork_copy(
                mode,
                parent,
                child,
                &mut mem,
                &mut |_, _| ForkPage::CopyOnWrite,
                &mut |_| {},
                &mut |_| {},
            )
            .unwrap();
            let family = [(1, parent), (2, child)];
            let m = find_mappings(mode, &family, frame, va, 2, &mem);
            assert_eq!(
                m,
                [Mapping { owner: 1, va }, Mapping { owner: 2, va }].to_vec()
            );
            // The child moves its mapping (mremap): the scan finds it at the new place.
            let moved = VirtAddr(0x7000_0000);
            let ro = rw - PteFlags::W - PteFlags::D;
            map(mode, child, moved, frame, 0, ro, &mut mem)
                .unwrap()
                .covered_by_full_fence();
            let slot = |root| {
                let mut t = root;
                for l in (1..mode.levels).rev() {
                    t = mem.read(t, PagingMode::index(va, l)).addr();
                }
                t
            };
            let leaf_table = slot(child);
            mem.write(leaf_table, PagingMode::index(va, 0), Pte::INVALID);
            let m = find_mappings(mode, &family, frame, va, 2, &mem);
            assert_eq!(
                m,
                [
                    Mapping { owner: 1, va },
                    Mapping {
                        owner: 2,
                        va: moved
                    }
                ]
                .to_vec()
            );
        }
    }
}
