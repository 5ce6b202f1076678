//! The hart (STUB: being written).
pub mod disasm;
pub mod fpu;
pub mod trap;
