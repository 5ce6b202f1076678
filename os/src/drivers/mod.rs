//! Device drivers beyond the console: the virtio block devices ([`virtio_blk`]).

pub mod virtio_blk;
