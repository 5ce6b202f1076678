//! The signal frame a handler gets on its stack, laid out as riscv64 Linux's
//! `struct rt_sigframe` (arch/riscv/kernel/signal.c, uapi asm/ucontext.h, asm/sigcontext.h,
//! asm-generic/siginfo.h), so that a program's `ucontext_t *` and `siginfo_t *` read it as
//! they would on Linux:
//!
//! ```text
//!    0  siginfo (128 bytes): si_signo, si_errno, si_code (ints), then at 16 the union
//!  128  ucontext: uc_flags (8), uc_link (8), uc_stack (ss_sp 8, ss_flags 4 + 4, ss_size 8),
//!       uc_sigmask (8) and room for a sigset of 1024 bits (128 bytes from 168)
//!  304  uc_mcontext (16-byte aligned: the FP union holds a 16-aligned member):
//!       user_regs_struct: pc, then x1..x31 (32 × 8)
//!  560  FP state: the union __riscv_fp_state (528 bytes, its largest member the Q
//!       state); the D state used here is f[32] (8 bytes each) then fcsr (u32) at 816
//! 1076  the extension header's `reserved` word and at 1080 an empty (END) header: zeros
//! 1088  end (a multiple of 16)
//! ```

/// Bytes the frame takes (sizeof(struct rt_sigframe) without the vector state).
pub const SIZE: usize = 1088;
/// Where the ucontext starts.
pub const UCONTEXT: usize = 128;
const UC_STACK: usize = UCONTEXT + 16;
const UC_SIGMASK: usize = UCONTEXT + 40;
const MCONTEXT: usize = UCONTEXT + 176;
const FPREGS: usize = MCONTEXT + 32 * 8;
const FCSR: usize = FPREGS + 32 * 8;
const _: () =
    assert!(MCONTEXT.is_multiple_of(16) && FPREGS + 528 == SIZE && SIZE.is_multiple_of(16));

/// What the kernel fills the siginfo with (asm-generic/siginfo.h's union members at 16).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Info {
    /// si_code: SI_USER (0), SI_TKILL (-6), or the kernel's reason (> 0).
    pub code: i32,
    /// What the union holds.
    pub body: Body,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Body {
    /// Nothing (the zero union).
    #[default]
    None,
    /// kill and tgkill: the sender's si_pid, si_uid.
    Sender { pid: u32, uid: u32 },
    /// SIGCHLD: the child's si_pid, si_uid, si_status (exit code or signal).
    Child { pid: u32, uid: u32, status: i32 },
    /// A fault: si_addr.
    Fault { addr: u64 },
}

/// The saved state the frame carries back to rt_sigreturn.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Saved {
    /// regs[0] = pc, regs[n] = xn (user_regs_struct order).
    pub regs: [u64; 32],
    /// f0..f31.
    pub f: [u64; 32],
    pub fcsr: u32,
    /// The mask to restore.
    pub mask: u64,
    /// uc_stack: ss_sp, ss_flags, ss_size.
    pub stack: (u64, i32, u64),
}

fn put64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}
fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}
fn get64(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}
fn get32(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w)
}

/// Writes a 128-byte siginfo for signal `sig` into `b` (si_errno is always 0).
pub fn write_info(b: &mut [u8], sig: u32, info: &Info) {
    b[..128].fill(0);
    put32(b, 0, sig);
    put32(b, 8, info.code as u32);
    match info.body {
        Body::None => {}
        Body::Sender { pid, uid } => {
            put32(b, 16, pid);
            put32(b, 20, uid);
        }
        Body::Child { pid, uid, status } => {
            put32(b, 16, pid);
            put32(b, 20, uid);
            put32(b, 24, status as u32);
        }
        Body::Fault { addr } => put64(b, 16, addr),
    }
}

/// The whole frame for signal `sig`.
pub fn build(sig: u32, info: &Info, saved: &Saved) -> [u8; SIZE] {
    let mut b = [0u8; SIZE];
    write_info(&mut b, sig, info);
    // uc_flags and uc_link stay 0, as Linux leaves them.
    put64(&mut b, UC_STACK, saved.stack.0);
    put32(&mut b, UC_STACK + 8, saved.stack.1 as u32);
    put64(&mut b, UC_STACK + 16, saved.stack.2);
    put64(&mut b, UC_SIGMASK, saved.mask);
    for (i, r) in saved.regs.iter().enumerate() {
        put64(&mut b, MCONTEXT + 8 * i, *r);
    }
    for (i, f) in saved.f.iter().enumerate() {
        put64(&mut b, FPREGS + 8 * i, *f);
    }
    put32(&mut b, FCSR, saved.fcsr);
    b
}

/// The state a frame holds (after the handler may have changed it).
pub fn parse(b: &[u8; SIZE]) -> Saved {
    let mut s = Saved {
        mask: get64(b, UC_SIGMASK),
        stack: (
            get64(b, UC_STACK),
            get32(b, UC_STACK + 8) as i32,
            get64(b, UC_STACK + 16),
        ),
        ..Saved::default()
    };
    for i in 0..32 {
        s.regs[i] = get64(b, MCONTEXT + 8 * i);
        s.f[i] = get64(b, FPREGS + 8 * i);
    }
    s.fcsr = get32(b, FCSR);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved() -> Saved {
        let mut s = Saved {
            mask: 0x8000_0000_0000_0201,
            stack: (0x1234_5000, 1, 0x4000),
            fcsr: 0xe1,
            ..Saved::default()
        };
        for i in 0..32 {
            s.regs[i] = 0x1000 + i as u64;
            s.f[i] = 0x4000_0000_0000_0000 | i as u64;
        }
        s
    }

    #[test]
    fn fields_sit_where_linux_puts_them() {
        let b = build(10, &Info::default(), &saved());
        // rt_sigframe = siginfo (128) + ucontext; uc_stack at 16, uc_sigmask at 40 and
        // uc_mcontext at 176 of the ucontext (16-aligned after 1024 bits of sigset).
        assert_eq!(get32(&b, 0), 10);
        assert_eq!(get64(&b, 128), 0, "uc_flags");
        assert_eq!(get64(&b, 136), 0, "uc_link");
        assert_eq!(get64(&b, 144), 0x1234_5000, "ss_sp");
        assert_eq!(get32(&b, 152), 1, "ss_flags");
        assert_eq!(get64(&b, 160), 0x4000, "ss_size");
        assert_eq!(get64(&b, 168), 0x8000_0000_0000_0201, "uc_sigmask");
        assert_eq!(get64(&b, 304), 0x1000, "sc_regs.pc");
        assert_eq!(get64(&b, 304 + 8 * 28), 0x1000 + 28, "sc_regs.t3 (x28)");
        assert_eq!(get64(&b, 560), 0x4000_0000_0000_0000, "f[0]");
        assert_eq!(get64(&b, 560 + 8 * 31), 0x4000_0000_0000_001f, "f[31]");
        assert_eq!(get32(&b, 816), 0xe1, "fcsr");
        // The extension header's reserved word and an END header: zero.
        assert_eq!(get32(&b, 1076), 0);
        assert_eq!(get64(&b, 1080), 0);
    }

    #[test]
    fn a_frame_reads_back_what_was_written() {
        let s = saved();
        assert_eq!(parse(&build(2, &Info::default(), &s)), s);
    }

    #[test]
    fn siginfo_unions() {
        let mut b = [0u8; 128];
        let kill = Info {
            code: -6,
            body: Body::Sender { pid: 7, uid: 0 },
        };
        write_info(&mut b, 10, &kill);
        assert_eq!(
            (get32(&b, 8) as i32, get32(&b, 16), get32(&b, 20)),
            (-6, 7, 0)
        );
        let chld = Info {
            code: 1,
            body: Body::Child {
                pid: 9,
                uid: 0,
                status: 7,
            },
        };
        write_info(&mut b, 17, &chld);
        assert_eq!((get32(&b, 0), get32(&b, 16), get32(&b, 24)), (17, 9, 7));
        let fault = Info {
            code: 2,
            body: Body::Fault { addr: 0xdead_b000 },
        };
        write_info(&mut b, 11, &fault);
        assert_eq!(
            (get32(&b, 8), get64(&b, 16), get32(&b, 4)),
            (2, 0xdead_b000, 0)
        );
    }
}
