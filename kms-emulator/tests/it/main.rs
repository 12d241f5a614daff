//! The emulator's integration tests, linked into one test binary (`cargo test -p kms-emulator
//! --test it`): one module per concern, and `common`, the signing client they share.

mod common;

mod cli;
mod faults_and_hooks;
mod gateway_errors;
mod hardening;
mod metadata_and_controls;
mod python_sdks;
mod service_rules;
mod signature_v3;
mod signing_vectors;
mod sts;
mod sts_oidc;
