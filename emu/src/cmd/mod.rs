//! The `rvmmu` subcommands.

pub mod bare;
pub mod bench;
pub mod dump;
pub mod machine;
pub mod run;

use std::path::Path;

/// A host file's bytes, or the error line naming it.
pub fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// A new (truncated) host file, or the error line naming it.
pub fn create_file(path: &Path) -> Result<std::fs::File, String> {
    std::fs::File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))
}
