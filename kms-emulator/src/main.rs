//! The `kms-emulator` binary.

fn main() {}
