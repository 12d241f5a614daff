//! The resources this provider manages: one file per resource with its input rules, its diff
//! hints and its operations, plus the registry that routes a resource type to its file.
//!
//! To add a resource: write `resources/<name>.rs` (its `RULES`, `check_inputs` and the four
//! operations), add its schema entry to `schema/schema.json`, and add one variant and one arm per
//! method below. The generic `check` and `diff` engine in `provider` needs no change.

pub mod application_access_point;
pub mod client_key;
pub mod context;
pub mod error;
pub mod kms_access;
pub mod kms_call;
pub mod operations;
pub mod property;
pub mod timestamp;

use std::path::Path;

pub use client_key::tracker::CreateTracker;
pub use context::{EngineLog, LogEntry, LogSeverity, OperationContext, ProviderSettings};
pub use error::{CheckFailure, KmsServiceFailure, Operation, ResourceError};
pub use kms_access::KmsAccess;
pub use operations::{
    CreateRequest, CreateResult, DeleteRequest, ReadRequest, ReadResult, UpdateRequest,
    UpdateResult,
};
pub use property::{PropertyMap, PropertyValue, UnknownKind};

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

/// A resource type this provider manages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceType {
    ApplicationAccessPoint,
    ClientKey,
}

impl ResourceType {
    pub const ALL: [ResourceType; 2] = [
        ResourceType::ApplicationAccessPoint,
        ResourceType::ClientKey,
    ];

    pub fn from_token(token: &str) -> Option<ResourceType> {
        ResourceType::ALL
            .into_iter()
            .find(|resource| resource.token() == token)
    }

    pub fn rules(self) -> &'static ResourceRules {
        match self {
            ResourceType::ApplicationAccessPoint => &application_access_point::RULES,
            ResourceType::ClientKey => &client_key::RULES,
        }
    }

    pub fn token(self) -> &'static str {
        self.rules().token
    }

    pub fn name(self) -> &'static str {
        self.rules().name
    }

    /// Applies the resource's own input rules, after the generic schema checks. Values may be
    /// unknown (preview) or secret; rules skip what they cannot see and normalise in place.
    pub fn check_inputs(self, inputs: &mut PropertyMap, failures: &mut Vec<CheckFailure>) {
        match self {
            ResourceType::ApplicationAccessPoint => {
                application_access_point::check_inputs(inputs, failures)
            }
            ResourceType::ClientKey => client_key::check_inputs(inputs, failures),
        }
    }

    /// The checks of `check` that look at this machine rather than at the inputs alone (the key
    /// file's directory). Not run again by `create`, which checks for real before calling KMS.
    pub fn check_local(
        self,
        inputs: &PropertyMap,
        working_directory: &Path,
        failures: &mut Vec<CheckFailure>,
    ) {
        match self {
            ResourceType::ApplicationAccessPoint => {}
            ResourceType::ClientKey => client_key::check_local(inputs, working_directory, failures),
        }
    }

    pub async fn create(
        self,
        context: &OperationContext,
        request: CreateRequest,
    ) -> Result<CreateResult, ResourceError> {
        match self {
            ResourceType::ApplicationAccessPoint => {
                application_access_point::create(context, request).await
            }
            ResourceType::ClientKey => client_key::create(context, request).await,
        }
    }

    pub async fn read(
        self,
        context: &OperationContext,
        request: ReadRequest,
    ) -> Result<ReadResult, ResourceError> {
        match self {
            ResourceType::ApplicationAccessPoint => {
                application_access_point::read(context, request).await
            }
            ResourceType::ClientKey => client_key::read(context, request).await,
        }
    }

    pub async fn update(
        self,
        context: &OperationContext,
        request: UpdateRequest,
    ) -> Result<UpdateResult, ResourceError> {
        match self {
            ResourceType::ApplicationAccessPoint => {
                application_access_point::update(context, request).await
            }
            ResourceType::ClientKey => client_key::update(context, request).await,
        }
    }

    pub async fn delete(
        self,
        context: &OperationContext,
        request: DeleteRequest,
    ) -> Result<(), ResourceError> {
        match self {
            ResourceType::ApplicationAccessPoint => {
                application_access_point::delete(context, request).await
            }
            ResourceType::ClientKey => client_key::delete(context, request).await,
        }
    }
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
