//! `rvmmu bench`: guest speed on fixed workloads, measured on the host's clock.
//!
//! Each workload is a guest program carried here as encoded instructions (so the command
//! needs no cross compiler); a unit test disassembles them back to their source text. A run
//! boots the machine normally (boot ROM, then the program at 0x8000_0000) and ends at the
//! test finisher. Results are reported as the median of several runs, in millions of guest
//! instructions per host second (MIPS). Record them in docs/PERFORMANCE.md.

use crate::addr::PhysAddr;
use crate::machine::{Exit, Machine, MachineConfig, MachineError};
use std::time::Instant;

/// A benchmark workload.
pub struct Workload {
    pub name: &'static str,
    pub what: &'static str,
    /// The program, loaded at 0x8000_0000.
    pub code: &'static [u32],
    /// Guest instructions per loop iteration (for the report).
    pub insns_per_iter: u64,
}

/// Integer loop, paging off: a load, a store and five ALU operations per iteration, on one
/// data word; the iteration count arrives in s2.
pub const INT_LOOP: Workload = Workload {
    name: "int-loop",
    what: "integer loop, paging off (ld/add/xor/sd/srli/add/addi/bnez)",
    code: &[
        0x00090293, // mv    t0,s2
        0x800105b7, // lui   a1,0x80010
        0x02059593, // slli  a1,a1,0x20
        0x0205d593, // srli  a1,a1,0x20
        0x00000613, // li    a2,0
        0x0005b303, // loop: ld t1,0(a1)
        0x00530333, // add   t1,t1,t0
        0x005343b3, // xor   t2,t1,t0
        0x0065b023, // sd    t1,0(a1)
        0x0033de13, // srli  t3,t2,0x3
        0x01c60633, // add   a2,a2,t3
        0xfff28293, // addi  t0,t0,-1
        0xfe0292e3, // bnez  t0,loop
        0x00100eb7, // lui   t4,0x100        (test finisher)
        0x00005f37, // lui   t5,0x5
        0x555f0f1b, // addiw t5,t5,1365      (0x5555: pass)
        0x01eea023, // sw    t5,0(t4)
        0x0000006f, // j     .
    ],
    insns_per_iter: 8,
};

/// Every workload.
pub const WORKLOADS: &[&Workload] = &[&INT_LOOP];

/// One measured run.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub instructions: u64,
    pub seconds: f64,
}

impl Sample {
    pub fn mips(&self) -> f64 {
        self.instructions as f64 / self.seconds.max(1e-9) / 1e6
    }
}

/// Runs `w` once with `iterations` loop iterations.
pub fn run_once(w: &Workload, iterations: u64) -> Result<Sample, MachineError> {
    let mut m = Machine::new(MachineConfig::capture(Vec::new()))?;
    let bytes: Vec<u8> = w.code.iter().flat_map(|i| i.to_le_bytes()).collect();
    m.load_image(PhysAddr(crate::bus::RAM_BASE), &bytes, crate::bus::RAM_BASE)?;
    m.hart.x[18] = iterations; // s2
    let start = Instant::now();
    let exit = m.run();
    let seconds = start.elapsed().as_secs_f64();
    if exit != Exit::Pass {
        return Err(MachineError::Guest(format!(
            "benchmark {} ended with {exit:?}",
            w.name
        )));
    }
    Ok(Sample {
        instructions: m.hart.steps,
        seconds,
    })
}

/// The median of `runs` samples, by speed.
pub fn median(mut samples: Vec<Sample>) -> Sample {
    samples.sort_by(|a, b| a.mips().total_cmp(&b.mips()));
    samples[samples.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hart::disasm::disassemble;

    #[test]
    fn the_int_loop_is_the_program_its_comments_say() {
        let text: Vec<String> = INT_LOOP
            .code
            .iter()
            .enumerate()
            .map(|(i, w)| disassemble(*w, 0x8000_0000 + 4 * i as u64))
            .collect();
        assert_eq!(text[0], "mv\tt0,s2");
        assert_eq!(text[5], "ld\tt1,0(a1)");
        assert_eq!(text[12], "bnez\tt0,80000014");
        assert_eq!(text[17], "j\t80000044");
    }

    #[test]
    fn a_short_run_passes_and_counts_its_instructions() {
        let s = run_once(&INT_LOOP, 1000).unwrap();
        // Boot ROM (6) + set-up (5) + loop + exit sequence (4, the last store retires).
        assert_eq!(s.instructions, 6 + 5 + 1000 * INT_LOOP.insns_per_iter + 4);
    }
}
