//! The `rvmmu` subcommands.

pub mod bare;
pub mod bench;
pub mod machine;
pub mod run;
