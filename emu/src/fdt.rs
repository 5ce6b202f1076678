//! The flattened device tree (DTB) describing this machine to the guest.
//!
//! Used by `Bus::boot` ([`crate::bus`]), which places the blob in RAM and passes its address
//! in a1. Node names, compatible strings and phandles are those of QEMU 7.2's
//! `-machine virt` tree (compared with `-machine virt,dumpdtb=…` and `dtc`), restricted to the
//! devices this machine has: one hart with its interrupt controller, RAM, the CLINT, the PLIC,
//! the NS16550A UART, the eight virtio-mmio slots, the test finisher with the
//! `syscon-poweroff` / `syscon-reboot` nodes that use it, and `/chosen`.
//!
//! Differences from QEMU's tree: a `kevent@10009000` node (`rvmmu,kevent`, the kernel event
//! channel, which QEMU does not have); no PMU, fw-cfg, flash, PCIe, RTC or platform-bus nodes (the
//! devices do not exist); `riscv,isa` names what the hart implements; no `rng-seed` (runs are
//! deterministic); `linux,initrd-start`/`-end` are 64-bit values (QEMU 7.2 writes 32-bit
//! cells, which cannot hold an address above 4 GiB; Linux accepts either).
//!
//! [`layout`] also decides where the blob and the initrd go in RAM, following QEMU 7.2's
//! `hw/riscv/boot.c` for `-bios none -kernel`: the initrd at `entry + min(RAM / 2, 128 MiB)`
//! (QEMU measures from the kernel image's lowest load address, which for a usual kernel is its
//! entry), the DTB at `align_down(min(RAM end, 3 GiB) - dtb size, 2 MiB)`, e.g. 0x87e0_0000
//! with 128 MiB and 0xbfe0_0000 with 4 GiB (both read back from QEMU's reset vector).

use crate::bus::{
    CLINT_BASE, FINISHER_BASE, KEVENT_BASE, PLIC_BASE, RAM_BASE, UART_BASE, UART_IRQ, VIRTIO_BASE,
};
use crate::devices::clint::CLINT_SIZE;
use crate::devices::finisher::FINISHER_SIZE;
use crate::devices::kevent::KEVENT_SIZE;
use crate::devices::plic::{NUM_SOURCES, PLIC_SIZE};
use crate::devices::virtio_mmio::{VIRTIO_IRQ_BASE, VIRTIO_SLOTS, VIRTIO_SLOT_SIZE};
use crate::hart::trap::Interrupt;
use thiserror::Error as ThisError;
use vm_fdt::{Error, FdtWriter};

/// `/cpus/timebase-frequency`: mtime ticks per second (QEMU virt: 10 MHz).
pub const TIMEBASE_FREQUENCY: u32 = 10_000_000;
/// `riscv,isa` of the one hart.
pub const RISCV_ISA: &str = "rv64imafdc_zicsr_zifencei_zicntr";
/// `mmu-type` of the one hart.
pub const MMU_TYPE: &str = "riscv,sv48";
/// The UART's input clock as QEMU declares it (3.6864 MHz).
pub const UART_CLOCK: u32 = 0x38_4000;
/// Register window the device tree gives the UART (QEMU decodes only its first 8 bytes).
pub const UART_DT_SIZE: u64 = 0x100;

const PHANDLE_CPU: u32 = 1;
const PHANDLE_CPU_INTC: u32 = 2;
const PHANDLE_PLIC: u32 = 3;
const PHANDLE_TEST: u32 = 4;

/// `mip` bit numbers used in `interrupts-extended` (the hart's own definitions).
const IRQ_M_SOFT: u32 = Interrupt::MachineSoftware as u32;
const IRQ_M_TIMER: u32 = Interrupt::MachineTimer as u32;
const IRQ_S_EXT: u32 = Interrupt::SupervisorExternal as u32;
const IRQ_M_EXT: u32 = Interrupt::MachineExternal as u32;

/// What varies from one boot to the next.
#[derive(Clone, Debug, Default)]
pub struct FdtParams<'a> {
    /// RAM size in bytes (RAM starts at [`RAM_BASE`]).
    pub ram_size: u64,
    /// `/chosen/bootargs`; omitted when empty (as QEMU does without `-append`).
    pub bootargs: &'a str,
    /// Initrd `[start, end)` physical range, when there is one.
    pub initrd: Option<(u64, u64)>,
}

/// The blob and where it and the initrd go.
#[derive(Clone, Debug)]
pub struct BootLayout {
    pub dtb: Vec<u8>,
    pub fdt_addr: u64,
    /// Initrd `[start, end)`.
    pub initrd: Option<(u64, u64)>,
}

/// Why [`layout`] could not place the boot data.
#[derive(Debug, ThisError)]
pub enum LayoutError {
    #[error("cannot build the device tree: {0}")]
    Fdt(#[from] Error),
    #[error("no room for the {what} at {start:#x}..{end:#x} in RAM {RAM_BASE:#x}..{ram_end:#x}")]
    NoRoom {
        what: &'static str,
        start: u64,
        end: u64,
        ram_end: u64,
    },
    #[error("the initrd {initrd_start:#x}..{initrd_end:#x} overlaps the device tree at {fdt:#x}")]
    Overlap {
        initrd_start: u64,
        initrd_end: u64,
        fdt: u64,
    },
}

/// Builds the DTB for `ram_size` bytes of RAM and places it, with an initrd of `initrd_len`
/// bytes if there is one, where QEMU 7.2 would for a kernel entered at `entry`.
pub fn layout(
    ram_size: u64,
    entry: u64,
    bootargs: &str,
    initrd_len: Option<u64>,
) -> Result<BootLayout, LayoutError> {
    let ram_end = RAM_BASE.saturating_add(ram_size);
    let no_room = |what, start, end| LayoutError::NoRoom {
        what,
        start,
        end,
        ram_end,
    };
    let initrd = match initrd_len {
        None => None,
        Some(len) => {
            let start = entry.saturating_add(ram_size.min(256 << 20) / 2);
            let end = start.saturating_add(len);
            if start < RAM_BASE || end > ram_end {
                return Err(no_room("initrd", start, end));
            }
            Some((start, end))
        }
    };
    let dtb = build(&FdtParams {
        ram_size,
        bootargs,
        initrd,
    })?;
    let len = dtb.len() as u64;
    let top = ram_end.min(3 << 30);
    let fdt_addr = match top.checked_sub(len).map(|a| a & !((2 << 20) - 1)) {
        Some(a) if a >= RAM_BASE => a,
        _ => return Err(no_room("device tree", top.saturating_sub(len), top)),
    };
    if let Some((s, e)) = initrd {
        if s < fdt_addr + len && fdt_addr < e {
            return Err(LayoutError::Overlap {
                initrd_start: s,
                initrd_end: e,
                fdt: fdt_addr,
            });
        }
    }
    Ok(BootLayout {
        dtb,
        fdt_addr,
        initrd,
    })
}

/// Builds the DTB.
pub fn build(p: &FdtParams<'_>) -> Result<Vec<u8>, Error> {
    let mut w = FdtWriter::new()?;
    let root = w.begin_node("")?;
    w.property_u32("#address-cells", 2)?;
    w.property_u32("#size-cells", 2)?;
    w.property_string("compatible", "riscv-virtio")?;
    w.property_string("model", "riscv-virtio,qemu")?;

    let chosen = w.begin_node("chosen")?;
    if !p.bootargs.is_empty() {
        w.property_string("bootargs", p.bootargs)?;
    }
    w.property_string("stdout-path", &format!("/soc/serial@{UART_BASE:x}"))?;
    if let Some((start, end)) = p.initrd {
        w.property_u64("linux,initrd-start", start)?;
        w.property_u64("linux,initrd-end", end)?;
    }
    w.end_node(chosen)?;

    for (name, value) in [("poweroff", 0x5555), ("reboot", 0x7777)] {
        let n = w.begin_node(name)?;
        w.property_u32("value", value)?;
        w.property_u32("offset", 0)?;
        w.property_u32("regmap", PHANDLE_TEST)?;
        w.property_string("compatible", &format!("syscon-{name}"))?;
        w.end_node(n)?;
    }

    let mem = w.begin_node(&format!("memory@{RAM_BASE:x}"))?;
    w.property_string("device_type", "memory")?;
    w.property_array_u64("reg", &[RAM_BASE, p.ram_size])?;
    w.end_node(mem)?;

    cpus(&mut w)?;
    soc(&mut w)?;
    w.end_node(root)?;
    w.finish()
}

fn cpus(w: &mut FdtWriter) -> Result<(), Error> {
    let cpus = w.begin_node("cpus")?;
    w.property_u32("#address-cells", 1)?;
    w.property_u32("#size-cells", 0)?;
    w.property_u32("timebase-frequency", TIMEBASE_FREQUENCY)?;

    let cpu = w.begin_node("cpu@0")?;
    w.property_phandle(PHANDLE_CPU)?;
    w.property_string("device_type", "cpu")?;
    w.property_u32("reg", 0)?;
    w.property_string("status", "okay")?;
    w.property_string("compatible", "riscv")?;
    w.property_string("riscv,isa", RISCV_ISA)?;
    w.property_string("mmu-type", MMU_TYPE)?;
    let intc = w.begin_node("interrupt-controller")?;
    w.property_u32("#interrupt-cells", 1)?;
    w.property_null("interrupt-controller")?;
    w.property_string("compatible", "riscv,cpu-intc")?;
    w.property_phandle(PHANDLE_CPU_INTC)?;
    w.end_node(intc)?;
    w.end_node(cpu)?;

    let map = w.begin_node("cpu-map")?;
    let cluster = w.begin_node("cluster0")?;
    let core = w.begin_node("core0")?;
    w.property_u32("cpu", PHANDLE_CPU)?;
    w.end_node(core)?;
    w.end_node(cluster)?;
    w.end_node(map)?;
    w.end_node(cpus)
}

fn soc(w: &mut FdtWriter) -> Result<(), Error> {
    let soc = w.begin_node("soc")?;
    w.property_u32("#address-cells", 2)?;
    w.property_u32("#size-cells", 2)?;
    w.property_string("compatible", "simple-bus")?;
    w.property_null("ranges")?;

    let n = w.begin_node(&format!("serial@{UART_BASE:x}"))?;
    w.property_u32("interrupts", UART_IRQ)?;
    w.property_u32("interrupt-parent", PHANDLE_PLIC)?;
    w.property_u32("clock-frequency", UART_CLOCK)?;
    w.property_array_u64("reg", &[UART_BASE, UART_DT_SIZE])?;
    w.property_string("compatible", "ns16550a")?;
    w.end_node(n)?;

    let n = w.begin_node(&format!("test@{FINISHER_BASE:x}"))?;
    w.property_phandle(PHANDLE_TEST)?;
    w.property_array_u64("reg", &[FINISHER_BASE, FINISHER_SIZE])?;
    w.property_string_list(
        "compatible",
        vec![
            "sifive,test1".into(),
            "sifive,test0".into(),
            "syscon".into(),
        ],
    )?;
    w.end_node(n)?;

    // QEMU lists the slots from the highest address down; Linux numbers them in tree order.
    for i in (0..VIRTIO_SLOTS as u64).rev() {
        let base = VIRTIO_BASE + i * VIRTIO_SLOT_SIZE;
        let n = w.begin_node(&format!("virtio_mmio@{base:x}"))?;
        w.property_u32("interrupts", VIRTIO_IRQ_BASE + i as u32)?;
        w.property_u32("interrupt-parent", PHANDLE_PLIC)?;
        w.property_array_u64("reg", &[base, VIRTIO_SLOT_SIZE])?;
        w.property_string("compatible", "virtio,mmio")?;
        w.end_node(n)?;
    }

    // rvmmu's own device (not in QEMU's tree): the kernel event channel.
    let n = w.begin_node(&format!("kevent@{KEVENT_BASE:x}"))?;
    w.property_array_u64("reg", &[KEVENT_BASE, KEVENT_SIZE])?;
    w.property_string("compatible", "rvmmu,kevent")?;
    w.end_node(n)?;

    let n = w.begin_node(&format!("plic@{PLIC_BASE:x}"))?;
    w.property_phandle(PHANDLE_PLIC)?;
    w.property_u32("riscv,ndev", NUM_SOURCES)?;
    w.property_array_u64("reg", &[PLIC_BASE, PLIC_SIZE])?;
    w.property_array_u32(
        "interrupts-extended",
        &[PHANDLE_CPU_INTC, IRQ_M_EXT, PHANDLE_CPU_INTC, IRQ_S_EXT],
    )?;
    w.property_null("interrupt-controller")?;
    w.property_string_list(
        "compatible",
        vec!["sifive,plic-1.0.0".into(), "riscv,plic0".into()],
    )?;
    w.property_u32("#address-cells", 0)?;
    w.property_u32("#interrupt-cells", 1)?;
    w.end_node(n)?;

    let n = w.begin_node(&format!("clint@{CLINT_BASE:x}"))?;
    w.property_array_u32(
        "interrupts-extended",
        &[PHANDLE_CPU_INTC, IRQ_M_SOFT, PHANDLE_CPU_INTC, IRQ_M_TIMER],
    )?;
    w.property_array_u64("reg", &[CLINT_BASE, CLINT_SIZE])?;
    w.property_string_list(
        "compatible",
        vec!["sifive,clint0".into(), "riscv,clint0".into()],
    )?;
    w.end_node(n)?;

    w.end_node(soc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(initrd: Option<(u64, u64)>) -> Vec<u8> {
        build(&FdtParams {
            ram_size: 256 << 20,
            bootargs: "console=ttyS0 quiet",
            initrd,
        })
        .unwrap()
    }

    #[test]
    fn parses_back_with_memory_bootargs_timebase_and_initrd() {
        let b = blob(Some((0x8800_0000, 0x8801_2345)));
        let t = fdt::Fdt::new(&b).unwrap();
        let regions: Vec<_> = t.memory().regions().collect();
        assert_eq!(regions.len(), 1);
        assert_eq!(regions[0].starting_address as u64, RAM_BASE);
        assert_eq!(regions[0].size, Some(256 << 20));
        assert_eq!(t.chosen().bootargs(), Some("console=ttyS0 quiet"));
        let chosen = t.find_node("/chosen").unwrap();
        let start = chosen.property("linux,initrd-start").unwrap().as_usize();
        let end = chosen.property("linux,initrd-end").unwrap().as_usize();
        assert_eq!((start, end), (Some(0x8800_0000), Some(0x8801_2345)));
        let cpus = t.find_node("/cpus").unwrap();
        let tb = cpus.property("timebase-frequency").unwrap().as_usize();
        assert_eq!(tb, Some(10_000_000));
        assert_eq!(t.cpus().count(), 1);
        let stdout = t.chosen().stdout().unwrap();
        assert_eq!(stdout.name, "serial@10000000");
    }

    #[test]
    fn devices_have_qemus_names_compatibles_and_interrupts() {
        let b = blob(None);
        let t = fdt::Fdt::new(&b).unwrap();
        assert!(t
            .find_node("/chosen")
            .unwrap()
            .property("linux,initrd-start")
            .is_none());
        let cpu = t.find_node("/cpus/cpu@0").unwrap();
        assert_eq!(cpu.property("riscv,isa").unwrap().as_str(), Some(RISCV_ISA));
        assert_eq!(
            cpu.property("mmu-type").unwrap().as_str(),
            Some("riscv,sv48")
        );
        let uart = t.find_node("/soc/serial@10000000").unwrap();
        assert!(uart.compatible().unwrap().all().eq(["ns16550a"]));
        assert_eq!(uart.property("interrupts").unwrap().as_usize(), Some(10));
        assert_eq!(
            uart.property("clock-frequency").unwrap().as_usize(),
            Some(0x38_4000)
        );
        let test = t.find_node("/soc/test@100000").unwrap();
        assert!(test
            .compatible()
            .unwrap()
            .all()
            .eq(["sifive,test1", "sifive,test0", "syscon"]));
        let plic = t.find_node("/soc/plic@c000000").unwrap();
        assert_eq!(plic.property("riscv,ndev").unwrap().as_usize(), Some(96));
        let reg = plic.reg().unwrap().next().unwrap();
        assert_eq!(reg.size, Some(0x60_0000));
        let ie = plic.property("interrupts-extended").unwrap().value;
        assert_eq!(ie, [0, 0, 0, 2, 0, 0, 0, 11, 0, 0, 0, 2, 0, 0, 0, 9]);
        let clint = t.find_node("/soc/clint@2000000").unwrap();
        assert!(clint
            .compatible()
            .unwrap()
            .all()
            .eq(["sifive,clint0", "riscv,clint0"]));
        for i in 0..8u64 {
            let v = t.find_node(&format!("/soc/virtio_mmio@{:x}", 0x1000_1000 + 0x1000 * i));
            let v = v.unwrap();
            assert_eq!(
                v.property("interrupts").unwrap().as_usize(),
                Some(i as usize + 1)
            );
            assert!(v.compatible().unwrap().all().eq(["virtio,mmio"]));
        }
        let k = t.find_node("/soc/kevent@10009000").unwrap();
        assert!(k.compatible().unwrap().all().eq(["rvmmu,kevent"]));
        let off = t.find_node("/poweroff").unwrap();
        assert_eq!(off.property("value").unwrap().as_usize(), Some(0x5555));
    }

    #[test]
    fn layout_follows_qemu_and_refuses_what_does_not_fit() {
        let l = layout(128 << 20, 0x8020_0000, "", Some(5000)).unwrap();
        assert_eq!(l.fdt_addr, 0x87e0_0000);
        assert_eq!(l.initrd, Some((0x8420_0000, 0x8420_0000 + 5000)));
        assert_eq!(
            layout(4 << 30, RAM_BASE, "", None).unwrap().fdt_addr,
            0xbfe0_0000
        );
        assert_eq!(
            layout(64 << 20, RAM_BASE, "", Some(1))
                .unwrap()
                .initrd
                .unwrap()
                .0,
            0x8200_0000
        );
        let e = layout(8 << 20, RAM_BASE, "", Some(3 << 20)).unwrap_err();
        assert!(
            matches!(
                e,
                LayoutError::Overlap {
                    fdt: 0x8060_0000,
                    ..
                }
            ),
            "{e}"
        );
        let e = layout(8 << 20, RAM_BASE + (6 << 20), "", Some(1)).unwrap_err();
        assert!(
            matches!(e, LayoutError::NoRoom { what: "initrd", .. }),
            "{e}"
        );
    }

    #[test]
    fn no_bootargs_means_no_property() {
        let b = build(&FdtParams {
            ram_size: 1 << 20,
            ..Default::default()
        })
        .unwrap();
        let t = fdt::Fdt::new(&b).unwrap();
        assert_eq!(t.chosen().bootargs(), None);
    }
}
