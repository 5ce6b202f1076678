//! Hand-picked encodings per instruction group.

use super::disassemble;

#[test]
fn placeholder() {
    assert_eq!(disassemble(0x0000_0013, 0), "nop");
}
