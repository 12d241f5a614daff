//! The resources this provider manages: one folder per resource, whose type implements
//! [`Resource`] (its rules, its input rules, its operations), and the list of them
//! ([`RESOURCES`]) from which the provider builds its [`Registry`].
//!
//! To add a resource: write `resources/<name>/` with its `declaration.rs` (`declare_resource!`) and
//! a type that implements [`Resource`] (or `named::NamedResource`), add its two lines below (its
//! `mod` and its line in [`RESOURCES`]), regenerate `schema/schema.json` (`UPDATE_SCHEMA=1 cargo
//! test --test it schema::`) and `sdk/`, add a check table and a diff table under `tests/tables/`, and
//! its documentation. Nothing else names a resource: the generic `check` and `diff` engine in
//! `provider`, the wire in `protocol` and the table tests find it through the registry.

// The resources, one folder each.
pub mod application_access_point;
pub mod client_key;
pub mod network_rule;
pub mod policy;

/// Every resource this provider manages, one line each.
pub const RESOURCES: &[Registration] = &[
    Registration::of::<network_rule::NetworkRule>(),
    Registration::of::<policy::Policy>(),
    Registration::of::<application_access_point::ApplicationAccessPoint>(),
    Registration::of::<client_key::ClientKey>(),
];

// What the resources share.
pub mod context;
pub mod declaration;
pub mod error;
pub mod kms_access;
pub mod kms_call;
pub mod named;
pub mod operations;
pub mod outputs;
pub mod property;
pub mod registry;
pub mod resource;
pub mod timestamp;

pub use context::{EngineLog, LogEntry, LogSeverity, OperationContext, ProviderSettings};
pub use declaration::{Declaration, Property};
pub use error::{CheckFailure, KmsServiceFailure, Operation, ResourceError};
pub use kms_access::KmsAccess;
pub use operations::{
    Create, CreateRequest, CreateResult, Created, Delete, DeleteRequest, Read, ReadRequest,
    ReadResult, Update, UpdateRequest, UpdateResult,
};
pub use property::{PropertyMap, PropertyValue, UnknownKind, WireDecoder};
pub use registry::{RegisteredResource, Registration, Registry};
pub use resource::Resource;

/// Reports a known string input that is empty or blank. Shared by the resources, whose names and
/// paths must never be blank.
pub(crate) fn check_not_blank(
    inputs: &PropertyMap,
    property: &str,
    failures: &mut Vec<CheckFailure>,
) {
    if let Some(text) = inputs.get(property).and_then(PropertyValue::as_str) {
        if text.trim().is_empty() {
            failures.push(CheckFailure::new(
                property,
                format!("{property} must not be empty"),
            ));
        }
    }
}
