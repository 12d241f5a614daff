//! The operations of an application access point: create (CreateApplicationAccessPoint with
//! `AuthenticationMethod=ClientKey`), read (Describe), update (the policies and the description,
//! in place) and delete. The id is the name (checked by the registry before read, update and
//! delete, through `Resource::check_id`).
//!
//! The create is `create_by_name`'s, as for the other resources named by the program: the name
//! free first (a taken name stops it: the access point there is not its own); after a lost reply,
//! an AAP with exactly the requested policies and description is this create's and is adopted
//! (with a warning), no AAP (looked for twice, a settle delay apart) means nothing was made and
//! the create is tried once more, anything else is an `ambiguous_create` error that claims
//! nothing.

use crate::kms::{
    CreateApplicationAccessPointRequest, UpdateApplicationAccessPointRequest,
    CLIENT_KEY_AUTHENTICATION,
};

use super::super::context::OperationContext;
use super::super::create_by_name::create_named;
use super::super::error::{CheckFailure, Operation, ResourceError};
use super::super::kms_call::KmsCall;
use super::super::named_create::NamedResource;
use super::super::named_resource::{description_to_send, read_outcome};
use super::super::operations::{
    CreateRequest, CreateResult, DeleteRequest, ReadRequest, ReadResult, UpdateRequest,
    UpdateResult,
};
use super::super::property::PropertyValue;
use super::super::resource::known_outputs;
use super::declaration::DECLARATION;
use super::inputs::{import_command, properties_of, AccessPointInputs};

pub(super) async fn create(
    context: &OperationContext,
    request: CreateRequest,
    inputs: AccessPointInputs,
) -> Result<CreateResult, ResourceError> {
    let urn = request.urn.as_deref();
    let client = context.kms.client()?;
    let call = KmsCall::start(context, Operation::Create, urn, request.timeout);
    let named = NamedResource {
        resource: DECLARATION.name,
        noun: "access point",
        name: &inputs.name,
        import_command: import_command(urn, &inputs.name),
    };
    let create_request = CreateApplicationAccessPointRequest {
        name: inputs.name.clone(),
        policies: inputs.policies.clone(),
        authentication_method: CLIENT_KEY_AUTHENTICATION.to_owned(),
        description: inputs.description.clone(),
    };
    let (client, inputs, create_request) = (&client, &inputs, &create_request);
    let created = create_named(
        &call,
        &named,
        "DescribeApplicationAccessPoint",
        move |options| async move {
            client
                .describe_application_access_point(&inputs.name, &options)
                .await
        },
        move |options| async move {
            client
                .create_application_access_point(create_request, &options)
                .await
        },
        |existing| inputs.matches(existing),
    )
    .await?;
    let id = if created.name.is_empty() {
        inputs.name.clone()
    } else {
        created.name.clone()
    };
    Ok(CreateResult {
        id,
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
    let described = client
        .describe_application_access_point(&request.id, &call.options())
        .await;
    read_outcome(&call, request.id, described, properties_of)
}

pub(super) async fn update(
    context: &OperationContext,
    request: UpdateRequest,
) -> Result<UpdateResult, ResourceError> {
    if let Some(name) = request
        .news
        .get("applicationAccessPointName")
        .and_then(PropertyValue::as_str)
    {
        if name != request.id {
            return Err(ResourceError::InvalidInputs {
                resource: DECLARATION.name,
                failures: vec![CheckFailure::new(
                    "applicationAccessPointName",
                    format!(
                        "applicationAccessPointName cannot change in place (from {} to {name}): a new name replaces \
                         the access point; diff asks for that replacement",
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
    let inputs = AccessPointInputs::from_properties(&request.news)?;
    let client = context.kms.client()?;
    let call = KmsCall::start(
        context,
        Operation::Update,
        request.urn.as_deref(),
        request.timeout,
    );
    let description = description_to_send(&request.olds, inputs.description.as_ref());
    let update_request = UpdateApplicationAccessPointRequest {
        name: request.id.clone(),
        description,
        policies: Some(inputs.policies.clone()),
    };
    if let Err(error) = client
        .update_application_access_point(&update_request, &call.options())
        .await
    {
        let hint = if error.is_not_found() {
            Some(format!(
                "the access point {} no longer exists; run a refresh to drop it from the state, and the next update \
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

pub(super) async fn delete(
    context: &OperationContext,
    request: DeleteRequest,
) -> Result<(), ResourceError> {
    let urn = request.urn.as_deref();
    let client = context.kms.client()?;
    let call = KmsCall::start(context, Operation::Delete, urn, request.timeout);
    match client
        .delete_application_access_point(&request.id, &call.options())
        .await
    {
        Ok(_) => Ok(()),
        Err(error) if error.is_not_found() => {
            context
                .engine_log
                .info(format!("access point {} was already gone", request.id), urn);
            Ok(())
        }
        // KMS deletes the client keys of an access point with it (docs/kms-api.md §3.2).
        Err(error) => Err(call.error(error)),
    }
}
