//! `alicloud-kms:index:ApplicationAccessPoint`: an application access point (AAP) and the
//! permission policies bound to it. Its input rules, its diff hints, and its operations.
//!
//! KMS identifies an AAP by its name, which is also the resource id: a new name replaces the AAP,
//! while the policies and the description change in place.

pub mod declaration;
mod inputs;
mod operations;

use std::collections::BTreeMap;

use super::context::OperationContext;
use super::declaration::Declaration;
use super::error::{CheckFailure, ResourceError};
use super::named_resource::check_name;
use super::operations::{
    CreateRequest, CreateResult, DeleteRequest, ReadRequest, ReadResult, UpdateRequest,
    UpdateResult,
};
use super::property::{PropertyMap, PropertyValue};
use super::resource::Resource;
use declaration::DECLARATION;
use inputs::{check_access_point_id, AccessPointInputs};

/// KMS binds at most three permission policies to an AAP.
pub const MAX_POLICIES: usize = 3;

/// The rules of `check` beyond the schema: a non-blank name, one to three distinct policy names.
fn check_inputs(inputs: &mut PropertyMap, failures: &mut Vec<CheckFailure>) {
    check_name(inputs, "applicationAccessPointName", failures);
    let Some(policies) = inputs.get("policies").and_then(PropertyValue::as_array) else {
        return;
    };
    // The number of policies is known even when some names are not (preview).
    if policies.is_empty() || policies.len() > MAX_POLICIES {
        failures.push(CheckFailure::new(
            "policies",
            format!(
                "policies must name 1 to {MAX_POLICIES} permission policies (KMS binds at most {MAX_POLICIES} to an AAP), not {}",
                policies.len()
            ),
        ));
    }
    let mut first_position_by_name: BTreeMap<&str, usize> = BTreeMap::new();
    for (position, policy) in policies.iter().enumerate() {
        let Some(name) = policy.as_str() else {
            continue;
        };
        let path = format!("policies[{position}]");
        if name.trim().is_empty() {
            failures.push(CheckFailure::new(
                &path,
                format!("{path} must not be empty"),
            ));
            continue;
        }
        // A repeated name would bind the same policy twice; KMS's answer to that is UNCONFIRMED,
        // so it is refused here with a clear message instead.
        if let Some(first) = first_position_by_name.get(name) {
            failures.push(CheckFailure::new(
                &path,
                format!("{path} repeats policies[{first}] (\"{name}\"); list each policy once"),
            ));
        } else {
            first_position_by_name.insert(name, position);
        }
    }
}

/// The application access point. It keeps no state between operations.
#[derive(Debug)]
pub struct ApplicationAccessPoint;

impl Resource for ApplicationAccessPoint {
    const DECLARATION: Declaration = DECLARATION;
    type Inputs = AccessPointInputs;

    fn new() -> ApplicationAccessPoint {
        ApplicationAccessPoint
    }

    fn decode_inputs(properties: &PropertyMap) -> Result<AccessPointInputs, ResourceError> {
        AccessPointInputs::from_properties(properties)
    }

    fn check_inputs(
        &self,
        inputs: &mut PropertyMap,
        failures: &mut Vec<CheckFailure>,
        _warnings: &mut Vec<String>,
    ) {
        check_inputs(inputs, failures);
    }

    /// The id is the name; it must not look like a ClientKey id and must agree with the state.
    fn check_id(&self, id: &str, state: Option<&PropertyMap>) -> Result<(), ResourceError> {
        check_access_point_id(id, state)
    }

    /// CreateApplicationAccessPoint with `AuthenticationMethod=ClientKey`. Every output is an
    /// input, so the default preview fits.
    async fn create(
        &self,
        context: &OperationContext,
        request: CreateRequest,
        inputs: AccessPointInputs,
    ) -> Result<CreateResult, ResourceError> {
        operations::create(context, request, inputs).await
    }

    /// DescribeApplicationAccessPoint; gone when KMS says it does not exist.
    async fn read(
        &self,
        context: &OperationContext,
        request: ReadRequest,
    ) -> Result<ReadResult, ResourceError> {
        operations::read(context, request).await
    }

    /// Changes the policies and the description in place (UpdateApplicationAccessPoint).
    async fn update(
        &self,
        context: &OperationContext,
        request: UpdateRequest,
    ) -> Result<UpdateResult, ResourceError> {
        operations::update(context, request).await
    }

    /// DeleteApplicationAccessPoint; an AAP that is already gone counts as deleted.
    async fn delete(
        &self,
        context: &OperationContext,
        request: DeleteRequest,
    ) -> Result<(), ResourceError> {
        operations::delete(context, request).await
    }
}
