//! The operations of a network rule: create (CreateNetworkRule, with the ownership proof of
//! `named_resource`), read (DescribeNetworkRule), update (the addresses and the description, in
//! place, through UpdateNetworkRule) and delete. The id is the name (checked by the registry
//! before read, update and delete).

use crate::kms::{CallOptions, Client, KmsError};

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
use super::super::policy::{describe_policy, list_policies, DescribedPolicy};
use super::super::property::PropertyValue;
use super::super::referrers::{self, delete_unless_referred, Referred};
use super::super::resource::known_outputs;
use super::declaration::DECLARATION;
use super::inputs::{properties_of, NetworkRuleInputs};
use super::kms::{
    create_network_rule, delete_network_rule, describe_network_rule, update_network_rule,
    UpdateNetworkRuleRequest,
};

pub(super) async fn create(
    context: &OperationContext,
    request: CreateRequest,
    inputs: NetworkRuleInputs,
) -> Result<CreateResult, ResourceError> {
    let urn = request.urn.as_deref();
    let client = context.kms.client()?;
    let call = KmsCall::start(context, Operation::Create, urn, request.timeout);
    let subject = NamedResource {
        resource: DECLARATION.name,
        noun: "network rule",
        name: &inputs.name,
        import_command: import_command(DECLARATION.token, urn, &inputs.name),
    };
    let (client, inputs) = (&client, &inputs);
    let created = create_named(
        &call,
        &subject,
        "DescribeNetworkRule",
        move |options| async move { describe_network_rule(client, &inputs.name, &options).await },
        move |options| async move {
            create_network_rule(
                client,
                &inputs.name,
                &inputs.source_private_ips,
                inputs.description.as_deref(),
                &options,
            )
            .await
        },
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
    let described = describe_network_rule(&client, &request.id, &call.options()).await;
    read_outcome(&call, request.id, described, properties_of)
}

pub(super) async fn update(
    context: &OperationContext,
    request: UpdateRequest,
) -> Result<UpdateResult, ResourceError> {
    if let Some(name) = request
        .news
        .get("networkRuleName")
        .and_then(PropertyValue::as_str)
    {
        if name != request.id {
            return Err(ResourceError::InvalidInputs {
                resource: DECLARATION.name,
                failures: vec![CheckFailure::new(
                    "networkRuleName",
                    format!(
                        "networkRuleName cannot change in place (from {} to {name}): a new name replaces the \
                         network rule; diff asks for that replacement",
                        request.id
                    ),
                )],
            });
        }
    }
    if request.preview {
        return Ok(UpdateResult {
            properties: known_outputs(request.news),
        });
    }
    let inputs = NetworkRuleInputs::from_properties(&request.news)?;
    let client = context.kms.client()?;
    let call = KmsCall::start(
        context,
        Operation::Update,
        request.urn.as_deref(),
        request.timeout,
    );
    let description = description_to_send(&request.olds, inputs.description.as_ref());
    let update_request = UpdateNetworkRuleRequest {
        name: request.id.clone(),
        source_private_ip: Some(inputs.source_private_ips.clone()),
        description,
    };
    if let Err(error) = update_network_rule(&client, &update_request, &call.options()).await {
        let hint = if error.is_not_found() {
            Some(format!(
                "the network rule {} no longer exists; run a refresh to drop it from the state, and the next update \
                 creates it again",
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

/// Who may still name a network rule: the policies whose access control rules list it.
const REFERRED: Referred = Referred {
    resource: DECLARATION.name,
    noun: "network rule",
    referrers: "permission policies",
    permissions: "kms:ListPolicies and kms:DescribePolicy",
    how_to_unbind: "remove the rule from the accessControlRules of those policies (or delete them) first, then \
                    delete the rule (in a Pulumi program, make the policies depend on the rule, for example \
                    through networkRuleName, so that they go first)",
};

/// DeleteNetworkRule, unless a policy still names the rule (the provider's own check, see
/// `referrers`: KMS would delete it and the addresses of those policies would lose access).
pub(super) async fn delete(
    context: &OperationContext,
    request: DeleteRequest,
) -> Result<(), ResourceError> {
    delete_unless_referred(
        context,
        &request,
        &REFERRED,
        policies_naming,
        |client, name, options| async move { delete_network_rule(&client, &name, &options).await },
    )
    .await
}

/// The policies whose access control rules name the network rule `name`: every page of
/// ListPolicies, then DescribePolicy for each (the list has names only).
async fn policies_naming(
    client: Client,
    name: String,
    options: CallOptions,
) -> Result<Vec<String>, KmsError> {
    let (client, options) = (&client, &options);
    let all =
        referrers::all_names(|page_number| list_policies(client, page_number, options)).await?;
    referrers::referring(
        all,
        |policy| {
            let (client, options) = (client.clone(), options.clone());
            async move { describe_policy(&client, &policy, &options).await }
        },
        |described: &DescribedPolicy| described.network_rule_names().contains(&name),
    )
    .await
}
