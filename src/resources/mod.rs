//! The resources this provider manages: one folder per resource, whose type implements
//! [`Resource`] (its rules, its input rules, its operations), and the list of them
//! ([`RESOURCES`]) from which the provider builds its [`Registry`].
//!
//! To add a resource: write `resources/<name>/` with a type that implements [`Resource`], add its
//! two lines below (its `mod` and its line in [`RESOURCES`]), its entry to `schema/schema.json`
//! (then regenerate `sdk/`), a check table and a diff table under `tests/tables/`, and its
//! documentation. Nothing else names a resource: the generic `check` and `diff` engine in
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
pub mod create_by_name;
pub mod declaration;
pub mod error;
pub mod kms_access;
pub mod kms_call;
pub mod named_create;
pub mod named_resource;
pub mod operations;
pub mod property;
pub mod referrers;
pub mod registry;
pub mod resource;
pub mod timestamp;
pub mod wire_lists;

pub use context::{EngineLog, LogEntry, LogSeverity, OperationContext, ProviderSettings};
pub use error::{CheckFailure, KmsServiceFailure, Operation, ResourceError};
pub use kms_access::KmsAccess;
pub use operations::{
    CreateRequest, CreateResult, DeleteRequest, ReadRequest, ReadResult, UpdateRequest,
    UpdateResult,
};
pub use property::{PropertyMap, PropertyValue, UnknownKind};
pub use registry::{RegisteredResource, Registration, Registry};
pub use resource::Resource;

/// What the generic diff engine needs to know about a resource beyond its schema.
#[derive(Debug)]
pub struct ResourceRules {
    /// The resource type token, as in the schema.
    pub token: &'static str,
    /// The short name used in messages.
    pub name: &'static str,
    /// The input that names the resource in the cloud, if the cloud identifies it by a name the
    /// user chooses. A replacement that keeps this name would collide with the old resource, so
    /// the old one must be deleted first.
    pub identity_property: Option<&'static str>,
    /// Inputs the cloud never returns: absent from the state of an imported resource.
    pub write_only_inputs: &'static [&'static str],
    /// RFC 3339 time inputs, compared as instants in whole seconds.
    pub time_properties: &'static [&'static str],
    /// Array inputs whose order carries no meaning (compared as sets).
    pub unordered_properties: &'static [&'static str],
}

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
