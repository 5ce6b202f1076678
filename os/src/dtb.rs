//! What the kernel learns from the device tree (a1 at boot), read with the `fdt` crate and
//! copied out at once, so the blob's memory can be reused.

use mm_core::PhysAddr;

/// Longest bootargs kept (Linux's riscv COMMAND_LINE_SIZE is 1024 too).
pub const BOOTARGS_MAX: usize = 1024;

/// Most virtio-mmio transports kept (QEMU virt has 8).
pub const VIRTIO_MAX: usize = 16;

/// A `virtio,mmio` node: its register window and its interrupt (a PLIC source).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VirtioMmio {
    pub base: PhysAddr,
    pub size: u64,
    pub irq: u32,
}

/// The boot facts.
pub struct BootInfo {
    /// RAM `[start, end)`.
    pub ram: (PhysAddr, PhysAddr),
    /// `/chosen/bootargs` (empty when absent).
    bootargs: [u8; BOOTARGS_MAX],
    bootargs_len: usize,
    /// `/chosen/linux,initrd-start` .. `linux,initrd-end`, when present.
    pub initrd: Option<(PhysAddr, PhysAddr)>,
    /// `/cpus/timebase-frequency`: `time` ticks per second.
    pub timebase: u64,
    /// The `virtio,mmio` nodes, by address (QEMU lists them highest first; the slot order
    /// is the address order), the first [`VIRTIO_MAX`].
    virtio: [VirtioMmio; VIRTIO_MAX],
    virtio_len: usize,
    /// The `rvmmu,kevent` node's registers (rvmmu only: the kernel event channel).
    pub kevent: Option<PhysAddr>,
}

impl BootInfo {
    /// The kernel command line.
    pub fn bootargs(&self) -> &str {
        core::str::from_utf8(&self.bootargs[..self.bootargs_len]).unwrap_or("")
    }

    /// The virtio-mmio transports, lowest address first.
    pub fn virtio(&self) -> &[VirtioMmio] {
        &self.virtio[..self.virtio_len]
    }
}

/// Why the device tree could not be used.
pub enum DtbError {
    Parse(fdt::FdtError),
    NoMemory,
}

impl core::fmt::Display for DtbError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DtbError::Parse(e) => write!(f, "bad device tree: {e:?}"),
            DtbError::NoMemory => f.write_str("no memory node"),
        }
    }
}

/// Reads the blob at `pa`, reached through the direct map.
#[allow(unsafe_code)]
pub fn read(pa: PhysAddr) -> Result<BootInfo, DtbError> {
    let va = crate::mm::layout::phys_to_virt(pa);
    // SAFETY: the boot ROM (or QEMU's reset vector) passed a device tree at `pa`, which the
    // boot table maps; nothing writes it while it is read here.
    let fdt = unsafe { fdt::Fdt::from_ptr(va.0 as *const u8) }.map_err(DtbError::Parse)?;
    let region = fdt.memory().regions().next().ok_or(DtbError::NoMemory)?;
    let start = region.starting_address as u64;
    let size = region.size.ok_or(DtbError::NoMemory)? as u64;
    let chosen = fdt.find_node("/chosen");
    let prop = |name| {
        chosen
            .and_then(|c| c.property(name))
            .and_then(|p| p.as_usize())
            .map(|v| PhysAddr(v as u64))
    };
    let initrd = match (prop("linux,initrd-start"), prop("linux,initrd-end")) {
        (Some(s), Some(e)) if e > s => Some((s, e)),
        _ => None,
    };
    let timebase = fdt
        .find_node("/cpus")
        .and_then(|c| c.property("timebase-frequency"))
        .and_then(|p| p.as_usize())
        .unwrap_or(10_000_000) as u64;
    let mut info = BootInfo {
        ram: (PhysAddr(start), PhysAddr(start + size)),
        bootargs: [0; BOOTARGS_MAX],
        bootargs_len: 0,
        initrd,
        timebase,
        virtio: [VirtioMmio::default(); VIRTIO_MAX],
        virtio_len: 0,
        kevent: None,
    };
    info.kevent = fdt
        .all_nodes()
        .find(|n| {
            n.compatible()
                .is_some_and(|c| c.all().any(|c| c == "rvmmu,kevent"))
        })
        .and_then(|n| n.reg().and_then(|mut r| r.next()))
        .map(|r| PhysAddr(r.starting_address as u64));
    let virtio = fdt.all_nodes().filter(|n| {
        n.compatible()
            .is_some_and(|c| c.all().any(|c| c == "virtio,mmio"))
    });
    for node in virtio {
        let Some(reg) = node.reg().and_then(|mut r| r.next()) else {
            continue;
        };
        let irq = node.interrupts().and_then(|mut i| i.next()).unwrap_or(0);
        let dev = VirtioMmio {
            base: PhysAddr(reg.starting_address as u64),
            size: reg.size.unwrap_or(0) as u64,
            irq: irq as u32,
        };
        if info.virtio_len < VIRTIO_MAX {
            info.virtio[info.virtio_len] = dev;
            info.virtio_len += 1;
        }
    }
    info.virtio[..info.virtio_len].sort_unstable_by_key(|d| d.base);
    let args = chosen
        .and_then(|c| c.property("bootargs"))
        .and_then(|p| p.as_str());
    if let Some(args) = args {
        let n = args.len().min(BOOTARGS_MAX);
        info.bootargs[..n].copy_from_slice(&args.as_bytes()[..n]);
        info.bootargs_len = n;
    }
    Ok(info)
}
