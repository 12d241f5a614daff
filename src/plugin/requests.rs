//! The engine's protobuf requests as the provider's typed requests: the one place that knows
//! both sides on the way in. Every field is read as the JSON-RPC protocol reads its camelCase
//! twin, through the same rules (`provider::request_fields`, `provider::limits`), so that both
//! wires refuse the same requests with the same messages.

use super::generated::pulumirpc as proto;
use super::values::{property_map, required_property_map};
use crate::provider::{self, request_fields, ProviderError};
use crate::resources::{CreateRequest, DeleteRequest, PropertyMap, ReadRequest, UpdateRequest};

/// A proto3 string is never absent: empty stands for "not sent".
fn sent(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

fn resource_type(method: &str, urn: Option<&str>, explicit: &str) -> Result<String, ProviderError> {
    request_fields::resource_type(method, urn, Some(explicit))
}

pub fn configure(
    request: proto::ConfigureRequest,
) -> Result<provider::ConfigureRequest, ProviderError> {
    // `acceptSecrets` and `acceptResources` need no answer beyond ours: the provider reads
    // secrets in both forms, and the engine that calls `Configure` takes both.
    Ok(provider::ConfigureRequest {
        variables: request.variables.into_iter().collect(),
        args: property_map("configure", "args", request.args)?,
    })
}

/// `Check`, with its `news` already read (and found within the size limits).
pub fn check(
    request: proto::CheckRequest,
    news: PropertyMap,
) -> Result<provider::CheckRequest, ProviderError> {
    let urn = sent(request.urn);
    Ok(provider::CheckRequest {
        resource_type: resource_type("check", urn.as_deref(), &request.r#type)?,
        resource_name: request_fields::resource_name(urn.as_deref(), Some(request.name))?,
        urn,
        olds: property_map("check", "olds", request.olds)?,
        news,
        // The autonaming options are not read: `Configure` does not offer autonaming
        // configuration, so the engine sends none; a name comes from `randomSeed`.
        random_seed: (!request.random_seed.is_empty()).then_some(request.random_seed),
    })
}

pub fn diff(request: proto::DiffRequest) -> Result<provider::DiffRequest, ProviderError> {
    let urn = sent(request.urn);
    Ok(provider::DiffRequest {
        resource_type: resource_type("diff", urn.as_deref(), &request.r#type)?,
        id: request_fields::required_id("diff", Some(request.id))?,
        olds: required_property_map("diff", "olds", request.olds)?,
        news: required_property_map("diff", "news", request.news)?,
        old_inputs: property_map("diff", "oldInputs", request.old_inputs)?,
        ignore_changes: request.ignore_changes,
    })
}

/// `DiffConfig`: the old settings (the last checked inputs, else the old state, which for a
/// provider is the same), the new ones and the paths to ignore.
pub fn diff_config(
    request: proto::DiffRequest,
) -> Result<(PropertyMap, PropertyMap, Vec<String>), ProviderError> {
    let old_inputs = property_map("diffConfig", "oldInputs", request.old_inputs)?;
    let olds = property_map("diffConfig", "olds", request.olds)?;
    let news = required_property_map("diffConfig", "news", request.news)?;
    Ok((
        old_inputs.or(olds).unwrap_or_default(),
        news,
        request.ignore_changes,
    ))
}

pub fn create(request: proto::CreateRequest) -> Result<(String, CreateRequest), ProviderError> {
    let urn = sent(request.urn);
    let resource_type = resource_type("create", urn.as_deref(), &request.r#type)?;
    Ok((
        resource_type,
        CreateRequest {
            properties: required_property_map("create", "properties", request.properties)?,
            timeout: request_fields::timeout("create", request.timeout)?,
            preview: request.preview,
            urn,
        },
    ))
}

pub fn read(request: proto::ReadRequest) -> Result<(String, ReadRequest), ProviderError> {
    let urn = sent(request.urn);
    let resource_type = resource_type("read", urn.as_deref(), &request.r#type)?;
    Ok((
        resource_type,
        ReadRequest {
            id: request_fields::required_id("read", Some(request.id))?,
            properties: property_map("read", "properties", request.properties)?,
            inputs: property_map("read", "inputs", request.inputs)?,
            timeout: request_fields::timeout("read", request.timeout)?,
            urn,
        },
    ))
}

pub fn update(request: proto::UpdateRequest) -> Result<(String, UpdateRequest), ProviderError> {
    let urn = sent(request.urn);
    let resource_type = resource_type("update", urn.as_deref(), &request.r#type)?;
    Ok((
        resource_type,
        UpdateRequest {
            id: request_fields::required_id("update", Some(request.id))?,
            olds: required_property_map("update", "olds", request.olds)?,
            news: required_property_map("update", "news", request.news)?,
            old_inputs: property_map("update", "oldInputs", request.old_inputs)?,
            timeout: request_fields::timeout("update", request.timeout)?,
            preview: request.preview,
            ignore_changes: request.ignore_changes,
            urn,
        },
    ))
}

pub fn delete(request: proto::DeleteRequest) -> Result<(String, DeleteRequest), ProviderError> {
    let urn = sent(request.urn);
    let resource_type = resource_type("delete", urn.as_deref(), &request.r#type)?;
    Ok((
        resource_type,
        DeleteRequest {
            id: request_fields::required_id("delete", Some(request.id))?,
            properties: property_map("delete", "properties", request.properties)?
                .unwrap_or_default(),
            old_inputs: property_map("delete", "oldInputs", request.old_inputs)?,
            timeout: request_fields::timeout("delete", request.timeout)?,
            urn,
        },
    ))
}

/// `GetSchema`: there is one schema, of any version; a sub-package exists only after
/// `Parameterize`, which this provider does not offer.
pub fn get_schema(request: &proto::GetSchemaRequest) -> Result<(), ProviderError> {
    if request.subpackage_name.is_empty() {
        return Ok(());
    }
    Err(ProviderError::invalid_params(format!(
        "this provider has no sub-package {:?}: it is not parameterized",
        request.subpackage_name
    )))
}
