//! `alicloud-kms:index:Policy`: a permission policy, which grants the applications of the access
//! points it is bound to some permissions on some keys and secrets of one KMS instance, from the
//! addresses of the network rules it names. Its input rules, its diff hints, its KMS actions and
//! its operations.
//!
//! KMS identifies a policy by its name, which is also the resource id. The name and the KMS
//! instance cannot change (a new one replaces the policy); the permissions, the resources, the
//! access control rules and the description change in place.

mod access_control;
pub mod declaration;
mod inputs;
mod kms;
mod operations;

use super::context::OperationContext;
use super::declaration::Declaration;
use super::error::{CheckFailure, ResourceError};
use super::named_resource::{check_name_id, list_of_strings};
use super::operations::{
    CreateRequest, CreateResult, DeleteRequest, ReadRequest, ReadResult, UpdateRequest,
    UpdateResult,
};
use super::property::{PropertyMap, PropertyValue};
use super::resource::Resource;
use declaration::DECLARATION;
use inputs::PolicyInputs;

pub use access_control::{canonical as canonical_access_control_rules, MAX_NETWORK_RULES};
// The network rule's check before it is deleted reads the policies.
pub use inputs::PERMISSION_TEMPLATES;
pub(crate) use kms::{describe_policy, list_policies, Policy as DescribedPolicy};

/// The permission policy. It keeps no state between operations.
#[derive(Debug)]
pub struct Policy;

impl Resource for Policy {
    const DECLARATION: Declaration = DECLARATION;
    type Inputs = PolicyInputs;

    fn new() -> Policy {
        Policy
    }

    fn decode_inputs(properties: &PropertyMap) -> Result<PolicyInputs, ResourceError> {
        PolicyInputs::from_properties(properties)
    }

    fn check_inputs(
        &self,
        inputs: &mut PropertyMap,
        failures: &mut Vec<CheckFailure>,
        _warnings: &mut Vec<String>,
    ) {
        inputs::check_inputs(inputs, failures);
    }

    /// The access control rules are JSON: the same rules in another layout are no change. The
    /// permissions are a set: one listed twice is no change.
    fn same_meaning(&self, property: &str, old: &PropertyValue, new: &PropertyValue) -> bool {
        match property {
            "accessControlRules" => match (old.as_str(), new.as_str()) {
                (Some(old), Some(new)) => {
                    access_control::canonical_from_service(old)
                        == access_control::canonical_from_service(new)
                }
                _ => false,
            },
            "permissions" => match (list_of_strings(old), list_of_strings(new)) {
                (Some(old), Some(new)) => inputs::same_permissions(&old, &new),
                _ => false,
            },
            _ => false,
        }
    }

    /// The id is the name; it must agree with the state.
    fn check_id(&self, id: &str, state: Option<&PropertyMap>) -> Result<(), ResourceError> {
        check_name_id(&DECLARATION, id, state)
    }

    /// CreatePolicy, after DescribePolicy has found the name free. Every output is an input, so
    /// the default preview fits.
    async fn create(
        &self,
        context: &OperationContext,
        request: CreateRequest,
        inputs: PolicyInputs,
    ) -> Result<CreateResult, ResourceError> {
        operations::create(context, request, inputs).await
    }

    /// DescribePolicy; gone when KMS says it does not exist.
    async fn read(
        &self,
        context: &OperationContext,
        request: ReadRequest,
    ) -> Result<ReadResult, ResourceError> {
        operations::read(context, request).await
    }

    /// Changes the permissions, resources, access control rules and description in place
    /// (UpdatePolicy).
    async fn update(
        &self,
        context: &OperationContext,
        request: UpdateRequest,
    ) -> Result<UpdateResult, ResourceError> {
        operations::update(context, request).await
    }

    /// DeletePolicy; a policy that is already gone counts as deleted.
    async fn delete(
        &self,
        context: &OperationContext,
        request: DeleteRequest,
    ) -> Result<(), ResourceError> {
        operations::delete(context, request).await
    }
}
