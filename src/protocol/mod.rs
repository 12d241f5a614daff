//! The wire side of the provider methods: decoding params, encoding results, and the method table
//! served over JSON-RPC. Property values keep Pulumi's secret and unknown encodings
//! (`resources::property`); see `docs/protocol.md` for the contract.

pub mod methods;
pub mod params;
pub mod test_hooks;
pub mod types;
pub mod undeliverable;

pub use methods::{rpc_module, ProtocolOptions, CONTROL_METHODS, METHOD_NAMES};
pub use test_hooks::TEST_HOOKS_VARIABLE;
pub use types::LogParams;
