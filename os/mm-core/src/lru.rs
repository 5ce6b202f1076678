//! The LRU lists reclaim works from (NOTES.md, "Reclaim, swap, kswapd, OOM": two lists per
//! type, active and inactive; reclaim takes from the inactive tail; a page seen referenced
//! twice is activated). Four doubly linked lists threaded through the frames' metadata
//! ([`Page::lru`], the links a free block uses on the buddy allocator's lists: a frame is
//! on one or the other, never both), by frame index, with their lengths, which
//! /proc/meminfo shows as Active(anon), Inactive(anon), Active(file), Inactive(file).
//!
//! New pages go to the head of an inactive list (Linux 6.1 starts every new page there);
//! the tail is the oldest. Which page to move where is reclaim's decision (the kernel's
//! `mm/reclaim.rs`); this module only keeps the lists and the flags that say where a page
//! is ([`PageFlags::LRU`], [`PageFlags::ACTIVE`], [`PageFlags::ANON`]).

use crate::buddy::Buddy;
use crate::page::{ListLink, Page, PageFlags, NIL};

/// One of the four lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum List {
    InactiveAnon = 0,
    ActiveAnon = 1,
    InactiveFile = 2,
    ActiveFile = 3,
}

impl List {
    pub const ALL: [List; 4] = [
        List::InactiveAnon,
        List::ActiveAnon,
        List::InactiveFile,
        List::ActiveFile,
    ];

    /// The list for a page of this type (`anon`) and activity.
    pub const fn of(anon: bool, active: bool) -> List {
        match (anon, active) {
            (true, false) => List::InactiveAnon,
            (true, true) => List::ActiveAnon,
            (false, false) => List::InactiveFile,
            (false, true) => List::ActiveFile,
        }
    }

    pub const fn is_anon(self) -> bool {
        matches!(self, List::InactiveAnon | List::ActiveAnon)
    }

    pub const fn is_active(self) -> bool {
        matches!(self, List::ActiveAnon | List::ActiveFile)
    }
}

/// Access to the metadata array by frame index.
pub trait Pages {
    fn page_mut(&mut self, index: usize) -> &mut Page;
}

impl Pages for Buddy<'_> {
    fn page_mut(&mut self, index: usize) -> &mut Page {
        Buddy::page_mut(self, index)
    }
}

impl Pages for [Page] {
    fn page_mut(&mut self, index: usize) -> &mut Page {
        &mut self[index]
    }
}

/// The four lists: each one's first (newest) and last (oldest) frame, and its length.
#[derive(Clone, Copy, Debug)]
pub struct Lru {
    ends: [ListLink; 4],
    len: [usize; 4],
}

impl Default for Lru {
    fn default() -> Self {
        Lru {
            ends: [ListLink {
                prev: NIL,
                next: NIL,
            }; 4],
            len: [0; 4],
        }
    }
}

impl Lru {
    /// Pages on `list`.
    pub fn len(&self, list: List) -> usize {
        self.len[list as usize]
    }

    /// The oldest page of `list`.
    pub fn tail(&self, list: List) -> Option<usize> {
        let t = self.ends[list as usize].prev;
        (t != NIL).then_some(t as usize)
    }

    /// The list frame `index` is on, if any.
    pub fn list_of(pages: &mut (impl Pages + ?Sized), index: usize) -> Option<List> {
        let f = pages.page_mut(index).flags;
        f.contains(PageFlags::LRU)
            .then(|| List::of(f.contains(PageFlags::ANON), f.contains(PageFlags::ACTIVE)))
    }

    /// Puts frame `index` (on no list) at the head of `list`.
    pub fn add(&mut self, pages: &mut (impl Pages + ?Sized), index: usize, list: List) {
        let l = list as usize;
        let old_first = self.ends[l].next;
        {
            let p = pages.page_mut(index);
            debug_assert!(
                !p.flags.contains(PageFlags::LRU),
                "frame {index} already on a list"
            );
            p.flags.remove(PageFlags::ACTIVE | PageFlags::ANON);
            p.flags |= PageFlags::LRU;
            if list.is_active() {
                p.flags |= PageFlags::ACTIVE;
            }
            if list.is_anon() {
                p.flags |= PageFlags::ANON;
            }
            p.lru = ListLink {
                prev: NIL,
                next: old_first,
            };
        }
        if old_first == NIL {
            self.ends[l].prev = index as u32;
        } else {
            pages.page_mut(old_first as usize).lru.prev = index as u32;
        }
        self.ends[l].next = index as u32;
        self.len[l] += 1;
    }

    /// Takes frame `index` off its list; returns the list, or `None` if it was on none.
    pub fn remove(&mut self, pages: &mut (impl Pages + ?Sized), index: usize) -> Option<List> {
        let (flags, link) = {
            let p = pages.page_mut(index);
            (p.flags, p.lru)
        };
        if !flags.contains(PageFlags::LRU) {
            return None;
        }
        let list = List::of(
            flags.contains(PageFlags::ANON),
            flags.contains(PageFlags::ACTIVE),
        );
        let l = list as usize;
        if link.prev == NIL {
            self.ends[l].next = link.next;
        } else {
            pages.page_mut(link.prev as usize).lru.next = link.next;
        }
        if link.next == NIL {
            self.ends[l].prev = link.prev;
        } else {
            pages.page_mut(link.next as usize).lru.prev = link.prev;
        }
        let p = pages.page_mut(index);
        p.lru = ListLink::UNLINKED;
        p.flags.remove(PageFlags::LRU | PageFlags::ACTIVE);
        self.len[l] -= 1;
        Some(list)
    }

    /// Moves frame `index` (on some list) to the head of `list`.
    pub fn move_to(&mut self, pages: &mut (impl Pages + ?Sized), index: usize, list: List) {
        self.remove(pages, index);
        self.add(pages, index, list);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    fn walk(lru: &Lru, pages: &[Page], list: List) -> Vec<usize> {
        let mut out = Vec::new();
        let mut i = lru.ends[list as usize].next;
        while i != NIL {
            out.push(i as usize);
            i = pages[i as usize].lru.next;
        }
        // The back links agree.
        let mut back = Vec::new();
        let mut i = lru.ends[list as usize].prev;
        while i != NIL {
            back.push(i as usize);
            i = pages[i as usize].lru.prev;
        }
        back.reverse();
        assert_eq!(out, back);
        assert_eq!(out.len(), lru.len(list));
        out
    }

    #[test]
    fn newest_at_the_head_oldest_at_the_tail() {
        let mut pages = vec![Page::RESERVED; 8];
        let mut lru = Lru::default();
        for i in [3, 5, 1] {
            lru.add(&mut pages[..], i, List::InactiveAnon);
        }
        assert_eq!(walk(&lru, &pages, List::InactiveAnon), [1, 5, 3]);
        assert_eq!(lru.tail(List::InactiveAnon), Some(3));
        assert!(pages[5].flags.contains(PageFlags::LRU | PageFlags::ANON));
        assert!(!pages[5].flags.contains(PageFlags::ACTIVE));
        assert_eq!(Lru::list_of(&mut pages[..], 5), Some(List::InactiveAnon));
        assert_eq!(lru.tail(List::ActiveFile), None);
    }

    #[test]
    fn remove_and_move_keep_the_links() {
        let mut pages = vec![Page::RESERVED; 8];
        let mut lru = Lru::default();
        for i in 0..6 {
            lru.add(&mut pages[..], i, List::InactiveFile);
        }
        assert_eq!(lru.remove(&mut pages[..], 3), Some(List::InactiveFile));
        assert_eq!(lru.remove(&mut pages[..], 3), None);
        assert_eq!(lru.remove(&mut pages[..], 0), Some(List::InactiveFile)); // the tail
        assert_eq!(lru.remove(&mut pages[..], 5), Some(List::InactiveFile)); // the head
        assert_eq!(walk(&lru, &pages, List::InactiveFile), [4, 2, 1]);
        lru.move_to(&mut pages[..], 1, List::ActiveFile);
        assert_eq!(walk(&lru, &pages, List::InactiveFile), [4, 2]);
        assert_eq!(walk(&lru, &pages, List::ActiveFile), [1]);
        assert!(pages[1].flags.contains(PageFlags::ACTIVE));
        assert!(!pages[1].flags.contains(PageFlags::ANON));
        lru.move_to(&mut pages[..], 4, List::InactiveFile); // rotate to the head
        assert_eq!(walk(&lru, &pages, List::InactiveFile), [4, 2]);
        lru.move_to(&mut pages[..], 2, List::InactiveFile);
        assert_eq!(walk(&lru, &pages, List::InactiveFile), [2, 4]);
        for i in [2, 4, 1] {
            lru.remove(&mut pages[..], i);
        }
        for l in List::ALL {
            assert_eq!(lru.len(l), 0);
            assert_eq!(lru.tail(l), None);
        }
        assert!(pages.iter().all(|p| p.lru == ListLink::UNLINKED));
    }
}
