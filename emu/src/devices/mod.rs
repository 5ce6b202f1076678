//! Memory-mapped devices of the `virt`-compatible machine (filled in by the devices work).
