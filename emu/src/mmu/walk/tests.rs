//! Tests of the walker over page tables built in a [`VecMem`], one or more per rule of
//! priv/supervisor.adoc, "Virtual Address Translation Process".

use super::testmem::{PtBuilder, RWXAD};
use super::*;
use crate::mmu::mode::{SV39, SV48, SV57};
use Access::{Fetch, Load, Store};
use PteFlags as F;

const ROOT: u64 = 0x8020_0000;

fn ctx(b: &PtBuilder, access: Access, prv: Priv) -> WalkCtx {
    WalkCtx {
        satp: b.satp(0x1234),
        mode: b.mode,
        access,
        prv,
        sum: false,
        mxr: false,
        ad: AdMode::Fault,
    }
}

fn run(c: &WalkCtx, b: &mut PtBuilder, va: u64) -> Walk {
    walk(c, va, &mut b.mem)
}

fn result(b: &mut PtBuilder, access: Access, prv: Priv, va: u64) -> Result<Leaf, Exception> {
    let c = ctx(b, access, prv);
    run(&c, b, va).result
}

#[test]
fn identity_gigapage_sv39() {
    let mut b = PtBuilder::new(&SV39, ROOT);
    let pte_addr = b.map(0x8000_0000, 0x8000_0000, 2, RWXAD | F::G);
    let w = run(&ctx(&b, Load, Priv::S), &mut b, 0x8012_3456);
    let leaf = w.result.unwrap();
    assert_eq!(
        leaf,
        Leaf {
            va_base: 0x8000_0000,
            pa_base: 0x8000_0000,
            level: 2,
            flags: RWXAD | F::G,
            pte_addr,
            asid: 0x1234,
        }
    );
    assert_eq!(leaf.translate(0x8012_3456), 0x8012_3456);
    assert_eq!(pte_addr, ROOT + 2 * 8);
    assert_eq!(w.n_steps, 1);
    assert_eq!(w.steps()[0].level, 2);
    assert_eq!(w.ad_update, None);
}

#[test]
fn small_and_mega_pages_both_modes() {
    for mode in [&SV39, &SV48] {
        let mut b = PtBuilder::new(mode, ROOT);
        b.map(0x1_0000, 0x8040_0000, 0, RWXAD | F::U);
        b.map(0x20_0000, 0x8060_0000, 1, RWXAD | F::U);
        let w = run(&ctx(&b, Store, Priv::U), &mut b, 0x1_0abc);
        let leaf = w.result.unwrap();
        assert_eq!(
            (leaf.level, leaf.va_base, leaf.pa_base),
            (0, 0x1_0000, 0x8040_0000)
        );
        assert_eq!(w.n_steps, mode.levels, "{}", mode.name);
        let levels: Vec<u8> = w.steps().iter().map(|s| s.level).collect();
        let want: Vec<u8> = (0..mode.levels).rev().collect();
        assert_eq!(levels, want);
        assert_eq!(w.steps()[0].pte_addr, ROOT, "root entry 0");

        let w = run(&ctx(&b, Fetch, Priv::U), &mut b, 0x2f_fffe);
        let leaf = w.result.unwrap();
        assert_eq!(
            (leaf.level, leaf.va_base, leaf.pa_base),
            (1, 0x20_0000, 0x8060_0000)
        );
        assert_eq!(leaf.translate(0x2f_fffe), 0x806f_fffe);
        assert_eq!(w.n_steps, mode.levels - 1);
        // A hole next to the mapped pages: V=0 at level 0.
        assert_eq!(
            result(&mut b, Load, Priv::U, 0x1_1000),
            Err(Exception::LoadPageFault(0x1_1000))
        );
    }
}

#[test]
fn sv48_terapage_and_sv57_walk() {
    let mut b = PtBuilder::new(&SV48, ROOT);
    b.map(0, 0, 3, RWXAD);
    let leaf = result(&mut b, Load, Priv::S, 0x12_3456_7890).unwrap();
    assert_eq!(
        (leaf.level, leaf.pa_base, leaf.page_size()),
        (3, 0, 512 << 30)
    );

    let mut b = PtBuilder::new(&SV57, ROOT);
    let va = 0xff00_0000_1234_5000;
    b.map(va, 0x9000_0000, 0, RWXAD);
    let w = run(&ctx(&b, Load, Priv::S), &mut b, va + 8);
    assert_eq!(w.result.unwrap().translate(va + 8), 0x9000_0008);
    assert_eq!(w.n_steps, 5);
}

#[test]
fn upper_half_va_base_is_canonical() {
    let mut b = PtBuilder::new(&SV39, ROOT);
    b.map(0xffff_ffc0_0000_0000, 0x8000_0000, 2, RWXAD | F::G);
    let leaf = result(&mut b, Fetch, Priv::S, 0xffff_ffc0_0020_0000).unwrap();
    assert_eq!(leaf.va_base, 0xffff_ffc0_0000_0000);
    assert!(leaf.covers(0xffff_ffc0_3fff_ffff));
    assert_eq!(leaf.pte_addr, ROOT + 256 * 8);
}

#[test]
fn non_canonical_va_faults_before_any_read() {
    let mut b = PtBuilder::new(&SV39, ROOT);
    b.map(0, 0, 2, RWXAD);
    let va = 0x0000_0040_0000_0000; // canonical in Sv48, not Sv39
    for (access, want) in [
        (Fetch, Exception::InstructionPageFault(va)),
        (Load, Exception::LoadPageFault(va)),
        (Store, Exception::StorePageFault(va)),
    ] {
        let w = run(&ctx(&b, access, Priv::S), &mut b, va);
        assert_eq!(w.result, Err(want));
        assert_eq!(want.tval(), va);
        assert_eq!(w.n_steps, 0);
    }
    assert_eq!(b.mem.reads, 0);
    let mut b = PtBuilder::new(&SV48, ROOT);
    assert_eq!(
        result(&mut b, Load, Priv::S, 0x8000_0000_0000_0000),
        Err(Exception::LoadPageFault(0x8000_0000_0000_0000))
    );
}

#[test]
fn malformed_ptes_page_fault() {
    for mode in [&SV39, &SV48] {
        let mut b = PtBuilder::new(mode, ROOT);
        let va = 0x40_0000;
        let pf = Err(Exception::LoadPageFault(va));
        let good = Pte::new(0x80400, RWXAD).0;
        // Step 3: V=0 (an empty root), W without R, each reserved/N/PBMT bit.
        assert_eq!(result(&mut b, Load, Priv::S, va), pf, "V=0");
        b.set_raw(va, 0, Pte::new(0x80400, F::V | F::W | F::A | F::D).0);
        assert_eq!(result(&mut b, Load, Priv::S, va), pf, "W without R");
        for bit in [54, 60, 61, 62, 63] {
            b.set_raw(va, 0, good | 1 << bit);
            assert_eq!(result(&mut b, Load, Priv::S, va), pf, "bit {bit}");
        }
        b.set_raw(va, 0, good);
        assert!(result(&mut b, Load, Priv::S, va).is_ok());
        // Step 4: a pointer at level 0.
        b.set_raw(va, 0, Pte::new(0x80400, F::V).0);
        assert_eq!(result(&mut b, Load, Priv::S, va), pf, "non-leaf at level 0");
        // Step 3 again: D, A and U are reserved in a pointer; G is not.
        b.set_raw(va, 0, good);
        let l1 = b.pte_addr(va, 1);
        let ptr = b.mem.read(l1);
        for bit in [F::D, F::A, F::U] {
            b.mem.write(l1, ptr | bit.bits() as u64);
            assert_eq!(
                result(&mut b, Load, Priv::S, va),
                pf,
                "{bit:?} in a pointer"
            );
        }
        b.mem.write(l1, ptr | F::G.bits() as u64);
        assert!(result(&mut b, Load, Priv::S, va).is_ok(), "G in a pointer");
    }
}

#[test]
fn misaligned_superpages_page_fault() {
    let mut b = PtBuilder::new(&SV39, ROOT);
    b.map(0x20_0000, 0x8060_1000, 1, RWXAD); // 2 MiB page at a 4 KiB-aligned PA
    b.map(0x4000_0000, 0x8020_0000, 2, RWXAD); // 1 GiB page at a 2 MiB-aligned PA
    b.map(0x8000_0000, 0x8000_0000, 2, RWXAD);
    assert_eq!(
        result(&mut b, Store, Priv::S, 0x20_0010),
        Err(Exception::StorePageFault(0x20_0010))
    );
    assert_eq!(
        result(&mut b, Fetch, Priv::S, 0x4000_0000),
        Err(Exception::InstructionPageFault(0x4000_0000))
    );
    assert!(result(&mut b, Fetch, Priv::S, 0x8000_0000).is_ok());
}

#[test]
fn user_mode_needs_u_pages() {
    let mut b = PtBuilder::new(&SV39, ROOT);
    b.map(0x1000, 0x8000_1000, 0, RWXAD | F::U);
    b.map(0x2000, 0x8000_2000, 0, RWXAD);
    for access in [Fetch, Load, Store] {
        assert!(result(&mut b, access, Priv::U, 0x1000).is_ok());
        assert_eq!(
            result(&mut b, access, Priv::U, 0x2000),
            Err(page_fault(access, 0x2000))
        );
    }
}

#[test]
fn supervisor_on_u_pages_needs_sum_and_never_fetches() {
    let mut b = PtBuilder::new(&SV48, ROOT);
    b.map(0x1000, 0x8000_1000, 0, RWXAD | F::U);
    for sum in [false, true] {
        for access in [Fetch, Load, Store] {
            let mut c = ctx(&b, access, Priv::S);
            c.sum = sum;
            let r = run(&c, &mut b, 0x1000).result;
            let allowed = sum && access != Fetch;
            assert_eq!(r.is_ok(), allowed, "sum={sum} {access:?}");
            if !allowed {
                assert_eq!(r, Err(page_fault(access, 0x1000)));
            }
        }
    }
}

#[test]
fn rwx_against_access_and_mxr() {
    let mut b = PtBuilder::new(&SV39, ROOT);
    let ad = F::V | F::A | F::D;
    b.map(0x1000, 0x8000_1000, 0, ad | F::R); // read-only
    b.map(0x2000, 0x8000_2000, 0, ad | F::X); // execute-only
    b.map(0x3000, 0x8000_3000, 0, ad | F::R | F::W); // read-write
    let cases = [
        (0x1000, [false, true, false]),
        (0x2000, [true, false, false]),
        (0x3000, [false, true, true]),
    ];
    for (va, allowed) in cases {
        for (access, ok) in [Fetch, Load, Store].into_iter().zip(allowed) {
            let r = result(&mut b, access, Priv::S, va);
            assert_eq!(r.is_ok(), ok, "{va:#x} {access:?}");
            if !ok {
                assert_eq!(r, Err(page_fault(access, va)));
            }
        }
    }
    // MXR makes the execute-only page readable by loads, and nothing else.
    let mut c = ctx(&b, Load, Priv::S);
    c.mxr = true;
    assert!(run(&c, &mut b, 0x2000).result.is_ok());
    c.access = Store;
    assert_eq!(
        run(&c, &mut b, 0x2000).result,
        Err(Exception::StorePageFault(0x2000))
    );
    // MXR with a U page in U-mode, and SUM does not lift MXR's limits.
    b.map(0x4000, 0x8000_4000, 0, ad | F::X | F::U);
    let mut c = ctx(&b, Load, Priv::U);
    assert_eq!(
        run(&c, &mut b, 0x4000).result,
        Err(Exception::LoadPageFault(0x4000))
    );
    c.mxr = true;
    assert!(run(&c, &mut b, 0x4000).result.is_ok());
}

#[test]
fn failed_pte_reads_are_access_faults() {
    let mut b = PtBuilder::new(&SV39, ROOT);
    b.map(0x1000, 0x8000_1000, 0, RWXAD);
    let mid_addr = b.pte_addr(0x1000, 1);
    b.mem.fail_at(mid_addr);
    for access in [Fetch, Load, Store] {
        let w = run(&ctx(&b, access, Priv::S), &mut b, 0x1000);
        assert_eq!(w.result, Err(access_fault(access, 0x1000)));
        assert_eq!(w.n_steps, 1, "the root entry was read");
    }
    assert_eq!(access_fault(Fetch, 7), Exception::InstructionAccessFault(7));
    assert_eq!(access_fault(Load, 7), Exception::LoadAccessFault(7));
    assert_eq!(access_fault(Store, 7), Exception::StoreAccessFault(7));
    let mut b = PtBuilder::new(&SV48, ROOT);
    b.map(0x1000, 0x8000_1000, 0, RWXAD);
    b.mem.fail_at(ROOT);
    assert_eq!(
        result(&mut b, Load, Priv::S, 0x1000),
        Err(Exception::LoadAccessFault(0x1000))
    );
}

#[test]
fn svade_faults_on_clear_a_or_d() {
    let mut b = PtBuilder::new(&SV39, ROOT);
    let rw = F::V | F::R | F::W | F::X;
    b.map(0x1000, 0x8000_1000, 0, rw); // A=0, D=0
    b.map(0x2000, 0x8000_2000, 0, rw | F::A); // A=1, D=0
    for access in [Fetch, Load, Store] {
        assert_eq!(
            result(&mut b, access, Priv::S, 0x1000),
            Err(page_fault(access, 0x1000))
        );
    }
    assert!(result(&mut b, Load, Priv::S, 0x2000).is_ok());
    assert!(result(&mut b, Fetch, Priv::S, 0x2000).is_ok());
    assert_eq!(
        result(&mut b, Store, Priv::S, 0x2000),
        Err(Exception::StorePageFault(0x2000))
    );
}

fn hw(b: &PtBuilder, access: Access) -> WalkCtx {
    WalkCtx {
        ad: AdMode::Hardware,
        ..ctx(b, access, Priv::S)
    }
}

#[test]
fn svadu_sets_a_and_d() {
    let mut b = PtBuilder::new(&SV48, ROOT);
    let rw = F::V | F::R | F::W;
    let a1 = b.map(0x1000, 0x8000_1000, 0, rw);
    let a2 = b.map(0x2000, 0x8000_2000, 0, rw);
    let a3 = b.map(0x20_0000, 0x8020_0000, 1, rw | F::A);
    let old1 = b.mem.read(a1);

    let w = run(&hw(&b, Load), &mut b, 0x1000);
    assert_eq!(w.result.unwrap().flags, rw | F::A);
    assert_eq!(w.ad_update, Some((a1, old1, old1 | F::A.bits() as u64)));
    assert_eq!(w.ad_kind(), AdUpdate::SetA);
    assert_eq!(Pte(b.mem.read(a1)).flags(), rw | F::A);
    // A is now set: a second load writes nothing.
    let w = run(&hw(&b, Load), &mut b, 0x1000);
    assert_eq!((w.ad_update, w.ad_kind()), (None, AdUpdate::None));

    let w = run(&hw(&b, Store), &mut b, 0x2000);
    assert_eq!(w.ad_kind(), AdUpdate::SetAD);
    assert_eq!(w.result.unwrap().flags, rw | F::A | F::D);
    assert_eq!(Pte(b.mem.read(a2)).flags(), rw | F::A | F::D);

    let w = run(&hw(&b, Store), &mut b, 0x20_0008);
    assert_eq!(w.ad_kind(), AdUpdate::SetD);
    assert_eq!(w.ad_update.unwrap().0, a3);
    assert_eq!(Pte(b.mem.read(a3)).flags(), rw | F::A | F::D);
}

#[test]
fn svadu_writes_nothing_when_permission_fails() {
    let mut b = PtBuilder::new(&SV39, ROOT);
    let a = b.map(0x1000, 0x8000_1000, 0, F::V | F::R);
    let before = b.mem.read(a);
    let w = run(&hw(&b, Store), &mut b, 0x1000);
    assert_eq!(w.result, Err(Exception::StorePageFault(0x1000)));
    assert_eq!((w.ad_update, b.mem.read(a)), (None, before));
}

#[test]
fn svadu_retries_from_step_2_when_the_pte_changed() {
    let mut b = PtBuilder::new(&SV39, ROOT);
    let a = b.map(0x1000, 0x8000_1000, 0, F::V | F::R);
    // Someone remaps the page to another frame between our read and our update.
    let moved = Pte::new(0x80005, F::V | F::R).0;
    b.mem.interfere_at(a, &[moved]);
    let w = run(&hw(&b, Load), &mut b, 0x1000);
    let leaf = w.result.unwrap();
    assert_eq!(leaf.pa_base, 0x8000_5000, "the re-read PTE is used");
    assert_eq!(w.n_steps, 3, "the retry replaced the level-0 step");
    assert_eq!(w.steps()[2].pte, moved);
    assert_eq!(w.ad_update, Some((a, moved, moved | F::A.bits() as u64)));

    // ... or invalidates it: the re-read at step 3 faults.
    b.map(0x1000, 0x8000_1000, 0, F::V | F::R);
    b.mem.interfere_at(a, &[0]);
    let w = run(&hw(&b, Load), &mut b, 0x1000);
    assert_eq!(w.result, Err(Exception::LoadPageFault(0x1000)));
    assert_eq!(b.mem.read(a), 0);
}

#[test]
fn svadu_retries_are_bounded() {
    let mut b = PtBuilder::new(&SV39, ROOT);
    let a = b.map(0x1000, 0x8000_1000, 0, F::V | F::R);
    let flips: Vec<u64> = (0..=MAX_AD_RETRIES as u64)
        .map(|n| Pte::new(0x80002 + n, F::V | F::R).0)
        .collect();
    b.mem.interfere_at(a, &flips);
    let w = run(&hw(&b, Load), &mut b, 0x1000);
    assert_eq!(w.result, Err(Exception::LoadPageFault(0x1000)));
    assert_eq!(w.ad_update, None);
}

#[test]
fn svadu_update_refused_is_an_access_fault() {
    let mut b = PtBuilder::new(&SV39, ROOT);
    let a = b.map(0x1000, 0x8000_1000, 0, F::V | F::R | F::W | F::A);
    b.mem.read_only_at(a);
    assert!(run(&hw(&b, Load), &mut b, 0x1000).result.is_ok());
    let w = run(&hw(&b, Store), &mut b, 0x1000);
    assert_eq!(w.result, Err(Exception::StoreAccessFault(0x1000)));
}

#[test]
fn check_leaf_reports_needed_updates() {
    let b = PtBuilder::new(&SV39, ROOT);
    let rw = F::V | F::R | F::W;
    let cases = [
        (Load, rw, AdUpdate::SetA),
        (Load, rw | F::A, AdUpdate::None),
        (Store, rw, AdUpdate::SetAD),
        (Store, rw | F::D, AdUpdate::SetA),
        (Store, rw | F::A, AdUpdate::SetD),
        (Store, rw | F::A | F::D, AdUpdate::None),
    ];
    for (access, flags, need) in cases {
        assert_eq!(check_leaf(flags, &hw(&b, access), 0x5000), Ok(need));
        let svade = check_leaf(flags, &ctx(&b, access, Priv::S), 0x5000);
        if need == AdUpdate::None {
            assert_eq!(svade, Ok(AdUpdate::None));
        } else {
            assert_eq!(svade, Err(page_fault(access, 0x5000)));
        }
    }
    assert_eq!(AdUpdate::SetAD.bits(), F::A | F::D);
    // The same U/SUM/MXR rules as a walk.
    let c = ctx(&b, Fetch, Priv::S);
    assert_eq!(
        check_leaf(RWXAD | F::U, &WalkCtx { sum: true, ..c }, 9),
        Err(Exception::InstructionPageFault(9))
    );
}

#[test]
fn satp_fields() {
    let b = PtBuilder::new(&SV48, ROOT);
    let satp = b.satp(0xbeef);
    assert_eq!(satp_asid(satp), 0xbeef);
    assert_eq!((satp & SATP_PPN_MASK) << PAGE_SHIFT, ROOT);
    assert_eq!(PagingMode::from_satp(satp), Some(&SV48));
}

#[test]
fn serves_as_is_agrees_with_check_leaf() {
    let mode = &SV39;
    for bits in 0..=255u8 {
        let flags = F::from_bits_truncate(bits);
        for prv in [Priv::U, Priv::S, Priv::M] {
            for (sum, mxr) in [(false, false), (false, true), (true, false), (true, true)] {
                for ad in [AdMode::Fault, AdMode::Hardware] {
                    for access in [Fetch, Load, Store] {
                        let c = WalkCtx {
                            satp: 0,
                            mode,
                            access,
                            prv,
                            sum,
                            mxr,
                            ad,
                        };
                        let expected = check_leaf(flags, &c, 0x1000) == Ok(AdUpdate::None);
                        // The context's own access type does not matter, only the argument.
                        let other = WalkCtx { access: Fetch, ..c };
                        assert_eq!(
                            serves_as_is(flags, &other, access),
                            expected,
                            "{flags:?} {prv:?} sum {sum} mxr {mxr} {ad:?} {access:?}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn serves_mask_agrees_with_serves_as_is() {
    for bits in 0..=255u8 {
        let flags = F::from_bits_truncate(bits);
        for prv in [Priv::U, Priv::S, Priv::M] {
            for (sum, mxr) in [(false, false), (false, true), (true, false), (true, true)] {
                let c = WalkCtx {
                    satp: 0,
                    mode: &SV39,
                    access: Fetch,
                    prv,
                    sum,
                    mxr,
                    ad: AdMode::Hardware,
                };
                let mask = serves_mask(flags, prv, sum, mxr);
                // Flags that are not a well-formed leaf serve nothing (`walk_4k` relies on it).
                let raw = bits as u64;
                if BAD_FLAGS[bits as usize] || raw & (F::R | F::W | F::X).bits() as u64 == 0 {
                    assert_eq!(mask, 0, "{flags:?}");
                    continue;
                }
                for access in [Fetch, Load, Store] {
                    assert_eq!(
                        mask >> access.index() & 1 != 0,
                        serves_as_is(flags, &c, access),
                        "{flags:?} {prv:?} sum {sum} mxr {mxr} {access:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn step_3_table_follows_pte_is_invalid() {
    for flags in 0..=255u64 {
        for high in [0, 1 << 54, 1 << 63] {
            let raw = flags | high | 0x1234 << 10;
            assert_eq!(
                BAD_FLAGS[raw as u8 as usize] || raw & HIGH_BITS != 0,
                Pte(raw).is_invalid(),
                "{raw:#x}"
            );
        }
    }
}

/// [`walk_4k`] (with its caller's test of the level-0 flags) gives the leaf PTE and its
/// address exactly when the general walk reaches a well-formed 4 KiB leaf (its last step, at
/// level 0), and None wherever that walk faults before or finds a superpage: every flag byte,
/// with and without bits 63:54, in the PTE of every level, in every mode (steps 6-9 are its
/// caller's).
#[test]
fn walk_4k_agrees_with_walk() {
    let va = 0x12_3456_7000;
    for mode in [&SV39, &SV48, &SV57] {
        for level in 0..mode.levels {
            for flags in 0..=255u64 {
                for high in [0, 1 << 54, 1 << 61, 1 << 63] {
                    let mut b = PtBuilder::new(mode, ROOT);
                    b.map(va, 0x8040_0000, 0, RWXAD);
                    // The PTE at `level` keeps its PPN (a pointer still points at the next
                    // table) and gets these flags and high bits.
                    let addr = b.pte_addr(va, level);
                    let raw = Pte(b.mem.read(addr)).ppn() << 10 | flags | high;
                    b.mem.write(addr, raw);
                    let c = ctx(&b, Load, Priv::S);
                    let w = walk(&c, va, &mut b.mem);
                    let last = w.steps().last().unwrap();
                    let pte = Pte(last.pte);
                    let want = (last.level == 0 && !pte.is_invalid() && pte.is_leaf())
                        .then_some((last.pte, last.pte_addr));
                    let read = |pa| b.mem.read_pte(pa).ok();
                    let got = match mode.levels {
                        3 => walk_4k::<3>(c.satp, va, read),
                        4 => walk_4k::<4>(c.satp, va, read),
                        _ => walk_4k::<5>(c.satp, va, read),
                    };
                    // The level-0 flags are the caller's to check, with `serves_mask`, which
                    // is 0 for these (`serves_mask_agrees_with_serves_as_is`).
                    let leaf_flags = |raw: u64| {
                        !BAD_FLAGS[raw as u8 as usize]
                            && raw & (F::R | F::W | F::X).bits() as u64 != 0
                    };
                    let got = got.filter(|&(raw, _)| leaf_flags(raw));
                    assert_eq!(got, want, "{} level {level} pte {raw:#x}", mode.name);
                }
            }
        }
    }
}
