//! Create/Describe/Update/Delete/ListApplicationAccessPoint(s).

use serde_json::{json, Value};

use super::{page, ActionOutput, Service};
use crate::error::ApiError;
use crate::params::Params;
use crate::rules;
use crate::store::{in_creation_order, AccessPoint, Store};
use crate::validation::{
    access_point_policies, check_name, compact_json_list, optional, paging, required,
};

/// The only authentication method KMS offers for AAPs.
const AUTHENTICATION_METHOD: &str = "ClientKey";
const KIND: &str = "ApplicationAccessPoint";

fn fields(service: &Service<'_>, access_point: &AccessPoint) -> Value {
    json!({
        "Arn": service.arn("applicationaccesspoint", &access_point.name),
        "AuthenticationMethod": access_point.authentication_method,
        "Description": access_point.description,
        "Name": access_point.name,
        // A string holding compact JSON, as the SDK models it and Terraform parses it.
        "Policies": compact_json_list(&access_point.policies),
    })
}

fn check_policies_exist(store: &Store, policies: &[String]) -> Result<(), ApiError> {
    if rules::VALIDATE_REFERENCED_NAMES_EXIST {
        if let Some(missing) = policies
            .iter()
            .find(|name| !store.policies.contains_key(*name))
        {
            return Err(ApiError::resource_not_found("Policy", missing));
        }
    }
    Ok(())
}

pub(super) fn create(service: &Service<'_>, params: &Params) -> Result<ActionOutput, ApiError> {
    let name = required(params, "Name")?;
    check_name("Name", name)?;
    let policies = access_point_policies(required(params, "Policies")?)?;
    let authentication_method =
        optional(params, "AuthenticationMethod").unwrap_or(AUTHENTICATION_METHOD);
    if authentication_method != AUTHENTICATION_METHOD {
        return Err(ApiError::invalid_parameter(
            "AuthenticationMethod",
            "The only supported value is ClientKey.",
        ));
    }
    let description = optional(params, "Description").unwrap_or_default();

    let mut store = service.write_store();
    if store.access_points.contains_key(name) {
        return Err(ApiError::resource_exists(KIND, name));
    }
    check_policies_exist(&store, &policies)?;
    let sequence = store.take_sequence();
    let record = AccessPoint {
        name: name.to_owned(),
        authentication_method: authentication_method.to_owned(),
        policies,
        description: description.to_owned(),
        sequence,
    };
    let body = fields(service, &record);
    store.access_points.insert(record.name.clone(), record);
    Ok(ActionOutput::changed(body))
}

pub(super) fn describe(service: &Service<'_>, params: &Params) -> Result<ActionOutput, ApiError> {
    let name = required(params, "Name")?;
    let store = service.read_store();
    let record = store
        .access_points
        .get(name)
        .ok_or_else(|| ApiError::resource_not_found(KIND, name))?;
    Ok(ActionOutput::read(fields(service, record)))
}

pub(super) fn update(service: &Service<'_>, params: &Params) -> Result<ActionOutput, ApiError> {
    let name = required(params, "Name")?;
    let policies = optional(params, "Policies")
        .map(access_point_policies)
        .transpose()?;
    let description = optional(params, "Description");

    let mut store = service.write_store();
    if !store.access_points.contains_key(name) {
        return Err(ApiError::resource_not_found(KIND, name));
    }
    if let Some(policies) = &policies {
        check_policies_exist(&store, policies)?;
    }
    let record = store
        .access_points
        .get_mut(name)
        .ok_or_else(|| ApiError::resource_not_found(KIND, name))?;
    if let Some(policies) = policies {
        record.policies = policies;
    }
    if let Some(description) = description {
        record.description = description.to_owned();
    }
    Ok(ActionOutput::changed(json!({})))
}

pub(super) fn delete(service: &Service<'_>, params: &Params) -> Result<ActionOutput, ApiError> {
    let name = required(params, "Name")?;
    let mut store = service.write_store();
    if !store.access_points.contains_key(name) {
        return Err(ApiError::resource_not_found(KIND, name));
    }
    // Documented: the client keys of a deleted AAP are deleted with it.
    store.remove_access_point_and_keys(name);
    Ok(ActionOutput::changed(json!({})))
}

pub(super) fn list(service: &Service<'_>, params: &Params) -> Result<ActionOutput, ApiError> {
    let (page_number, page_size) = paging(params)?;
    let store = service.read_store();
    let all = in_creation_order(store.access_points.values(), |record| record.sequence);
    let total = all.len();
    let items: Vec<Value> = page(all, page_number, page_size)
        .into_iter()
        .map(|record| json!({ "AuthenticationMethod": record.authentication_method, "Name": record.name }))
        .collect();
    Ok(ActionOutput::read(json!({
        "ApplicationAccessPoints": { "ApplicationAccessPoint": items },
        "PageNumber": page_number,
        "PageSize": page_size,
        "TotalCount": total,
    })))
}
