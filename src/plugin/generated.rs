//! The protocol types and services, generated from the descriptors of Pulumi's own definitions
//! (`pulumi/provider.proto`, `pulumi/engine.proto`, `google.rpc.Status`) by `tools/grpc-codegen`;
//! `tests/it/grpc_generated_code.rs` checks they are fresh. Not edited by hand.

#[allow(clippy::all, clippy::pedantic, rustdoc::all)]
pub mod pulumirpc {
    include!("generated/pulumirpc.rs");
}

#[allow(clippy::all, clippy::pedantic, rustdoc::all)]
pub mod google_rpc {
    include!("generated/google_rpc.rs");
}
