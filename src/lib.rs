//! `alicloud-kms-provider`: a Pulumi-style resource provider for Alibaba Cloud KMS application
//! access, spoken to over JSON-RPC 2.0 on stdin/stdout.
//!
//! The layers, from the wire inward (an arrow may only point down this list):
//! `rpc` → `protocol` → `provider` → `resources` → `kms`, where `rpc` is the workspace crate
//! `jsonrpc-stdio` (rpc/), which depends on nothing of this crate. `plugin` (the same provider over
//! Pulumi's gRPC plugin protocol) is a sibling of `rpc` and `protocol` that calls `provider`;
//! `lifecycle` is what both entries do alike as processes. See `ARCHITECTURE.md`.

pub mod kms;
pub mod lifecycle;
pub mod plugin;
pub mod protocol;
pub mod provider;
pub mod resources;
