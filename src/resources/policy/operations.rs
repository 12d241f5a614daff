//! The operations of a permission policy: create (CreatePolicy, with the ownership proof of
//! `named_resource`), read (DescribePolicy), update (permissions, resources, access control rules
//! and description, in place, through UpdatePolicy) and delete. The id is the name (checked by
//! the registry before read, update and delete).

use crate::kms::{
    ApplicationAccessPoint, CallOptions, Client, KmsError, ListApplicationAccessPointsRequest,
};

use super::super::context::OperationContext;
use super::super::create_by_name::create_named;
use super::super::error::{CheckFailure, Operation, ResourceError};
use super::super::kms_call::KmsCall;
use super::super::named_create::NamedResource;
use super::super::named_resource::{description_to_send, import_command, read_outcome};
use super::super::operations::{
    CreateRequest, CreateResult, DeleteRequest, ReadRequest, ReadResult, UpdateRequest,
    UpdateResult,
};
use super::super::property::{PropertyMap, PropertyValue};
use super::super::referrers::{self, delete_unless_referred, Page, Referred};
use super::super::resource::known_outputs;
use super::declaration::DECLARATION;
use super::inputs::{properties_of, PolicyInputs};
use super::kms::{
    create_policy, delete_policy, describe_policy, update_policy, CreatePolicyRequest,
    UpdatePolicyRequest,
};

/// The inputs that replace the policy when they change (KMS cannot update them).
const FIXED_INPUTS: [&str; 2] = ["policyName", "kmsInstanceId"];

pub(super) async fn create(
    context: &OperationContext,
    request: CreateRequest,
    inputs: PolicyInputs,
) -> Result<CreateResult, ResourceError> {
    let urn = request.urn.as_deref();
    let client = context.kms.client()?;
    let call = KmsCall::start(context, Operation::Create, urn, request.timeout);
    let subject = NamedResource {
        resource: DECLARATION.name,
        noun: "permission policy",
        name: &inputs.name,
        import_command: import_command(DECLARATION.token, urn, &inputs.name),
    };
    let create_request = CreatePolicyRequest {
        name: &inputs.name,
        kms_instance: &inputs.kms_instance_id,
        permissions: &inputs.permissions,
        resources: &inputs.resources,
        access_control_rules: &inputs.access_control_rules,
        description: inputs.description.as_deref(),
    };
    let (client, inputs, create_request) = (&client, &inputs, &create_request);
    let created = create_named(
        &call,
        &subject,
        "DescribePolicy",
        move |options| async move { describe_policy(client, &inputs.name, &options).await },
        move |options| async move { create_policy(client, create_request, &options).await },
        |existing| inputs.matches(existing),
    )
    .await?;
    Ok(CreateResult {
        id: created.name.clone(),
        properties: properties_of(&created),
        warnings: Vec::new(),
    })
}

pub(super) async fn read(
    context: &OperationContext,
    request: ReadRequest,
) -> Result<ReadResult, ResourceError> {
    let client = context.kms.client()?;
    let call = KmsCall::start(
        context,
        Operation::Read,
        request.urn.as_deref(),
        request.timeout,
    );
    let described = describe_policy(&client, &request.id, &call.options()).await;
    read_outcome(&call, request.id, described, properties_of)
}

/// The fixed inputs whose new value differs from the old state.
fn fixed_input_changes(olds: &PropertyMap, news: &PropertyMap, id: &str) -> Vec<CheckFailure> {
    FIXED_INPUTS
        .iter()
        .filter_map(|property| {
            let new = news.get(*property).and_then(PropertyValue::as_str)?;
            let old = match *property {
                "policyName" => Some(id),
                _ => olds.get(*property).and_then(PropertyValue::as_str),
            }?;
            (old != new).then(|| {
                CheckFailure::new(
                    *property,
                    format!(
                        "{property} of a Policy cannot change in place (from {old} to {new}): a new policy replaces \
                         the old one; diff asks for that replacement"
                    ),
                )
            })
        })
        .collect()
}

pub(super) async fn update(
    context: &OperationContext,
    request: UpdateRequest,
) -> Result<UpdateResult, ResourceError> {
    let failures = fixed_input_changes(&request.olds, &request.news, &request.id);
    if !failures.is_empty() {
        return Err(ResourceError::InvalidInputs {
            resource: DECLARATION.name,
            failures,
        });
    }
    if request.preview {
        return Ok(UpdateResult {
            properties: known_outputs(request.news),
        });
    }
    let inputs = PolicyInputs::from_properties(&request.news)?;
    let client = context.kms.client()?;
    let call = KmsCall::start(
        context,
        Operation::Update,
        request.urn.as_deref(),
        request.timeout,
    );
    let description = description_to_send(&request.olds, inputs.description.as_ref());
    let update_request = UpdatePolicyRequest {
        name: request.id.clone(),
        permissions: Some(inputs.permissions.clone()),
        resources: Some(inputs.resources.clone()),
        access_control_rules: Some(inputs.access_control_rules.clone()),
        description,
    };
    if let Err(error) = update_policy(&client, &update_request, &call.options()).await {
        let hint = if error.is_not_found() {
            Some(format!(
                "the permission policy {} no longer exists; run a refresh to drop it from the state, and the next \
                 update creates it again",
                request.id
            ))
        } else {
            error.service_hint()
        };
        return Err(call.error_with_hint(error, hint));
    }
    Ok(UpdateResult {
        properties: known_outputs(request.news),
    })
}

/// Who may still name a policy: the access points that list it.
const REFERRED: Referred = Referred {
    resource: DECLARATION.name,
    noun: "permission policy",
    referrers: "application access points",
    permissions: "kms:ListApplicationAccessPoints and kms:DescribeApplicationAccessPoint",
    how_to_unbind: "remove the policy from the policies of those access points (or delete them) first, then \
                    delete the policy (in a Pulumi program, make the access points depend on the policy, for \
                    example through policyName, so that they go first)",
};

/// DeletePolicy, unless an access point still lists the policy (the provider's own check, see
/// `referrers`: KMS would delete it and cut those applications off).
pub(super) async fn delete(
    context: &OperationContext,
    request: DeleteRequest,
) -> Result<(), ResourceError> {
    delete_unless_referred(
        context,
        &request,
        &REFERRED,
        access_points_listing,
        |client, name, options| async move { delete_policy(&client, &name, &options).await },
    )
    .await
}

/// The access points that list the policy `name`: every page of ListApplicationAccessPoints,
/// then DescribeApplicationAccessPoint for each (the list has no policies).
async fn access_points_listing(
    client: Client,
    name: String,
    options: CallOptions,
) -> Result<Vec<String>, KmsError> {
    let (client, options) = (&client, &options);
    let all = referrers::all_names(|page_number| async move {
        let request = ListApplicationAccessPointsRequest {
            page_number: Some(page_number),
            page_size: Some(referrers::PAGE_SIZE),
        };
        let page = client
            .list_application_access_points(&request, options)
            .await?;
        Ok(Page {
            names: page
                .application_access_points
                .into_iter()
                .map(|point| point.name)
                .collect(),
            total_count: page.total_count,
        })
    })
    .await?;
    referrers::referring(
        all,
        |point| {
            let (client, options) = (client.clone(), options.clone());
            async move {
                client
                    .describe_application_access_point(&point, &options)
                    .await
            }
        },
        |described: &ApplicationAccessPoint| described.policies.contains(&name),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, &str)]) -> PropertyMap {
        entries
            .iter()
            .map(|(name, value)| {
                (
                    (*name).to_owned(),
                    PropertyValue::String((*value).to_owned()),
                )
            })
            .collect()
    }

    #[test]
    fn the_name_and_the_kms_instance_cannot_change_in_place() {
        let olds = map(&[("policyName", "p"), ("kmsInstanceId", "kst-1")]);
        assert!(fixed_input_changes(
            &olds,
            &map(&[("policyName", "p"), ("kmsInstanceId", "kst-1")]),
            "p"
        )
        .is_empty());
        let failures = fixed_input_changes(
            &olds,
            &map(&[("policyName", "q"), ("kmsInstanceId", "kst-2")]),
            "p",
        );
        let properties: Vec<&str> = failures
            .iter()
            .map(|failure| failure.property.as_str())
            .collect();
        assert_eq!(properties, ["policyName", "kmsInstanceId"]);
    }
}
