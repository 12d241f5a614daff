//! The provider binary: logs to stderr, speaks JSON-RPC on stdin/stdout.

fn main() {}
