//! Create/Describe/Update/Delete/ListPolic(y|ies).

use serde_json::{json, Value};

use super::{page, ActionOutput, Service};
use crate::error::ApiError;
use crate::params::Params;
use crate::rules;
use crate::store::{in_creation_order, Policy, Store};
use crate::validation::{
    access_control_rules, check_name, compact_json_list, optional, paging, policy_permissions,
    policy_resources, required,
};

const KIND: &str = "Policy";

fn access_control_rules_text(policy: &Policy) -> String {
    json!({ "NetworkRules": policy.network_rules }).to_string()
}

fn check_rules_exist(store: &Store, network_rules: &[String]) -> Result<(), ApiError> {
    if rules::VALIDATE_REFERENCED_NAMES_EXIST {
        if let Some(missing) = network_rules
            .iter()
            .find(|name| !store.network_rules.contains_key(*name))
        {
            return Err(ApiError::resource_not_found("NetworkRule", missing));
        }
    }
    Ok(())
}

pub(super) fn create(service: &Service<'_>, params: &Params) -> Result<ActionOutput, ApiError> {
    let name = required(params, "Name")?;
    check_name("Name", name)?;
    let permissions = policy_permissions(required(params, "Permissions")?)?;
    let resources = policy_resources(required(params, "Resources")?)?;
    let network_rules = optional(params, "AccessControlRules")
        .filter(|text| !text.is_empty())
        .map(access_control_rules)
        .transpose()?
        .unwrap_or_default();
    let kms_instance = optional(params, "KmsInstance").unwrap_or_default();
    let description = optional(params, "Description").unwrap_or_default();

    let mut store = service.write_store();
    if store.policies.contains_key(name) {
        return Err(ApiError::resource_exists(KIND, name));
    }
    check_rules_exist(&store, &network_rules)?;
    let sequence = store.take_sequence();
    let record = Policy {
        name: name.to_owned(),
        kms_instance: kms_instance.to_owned(),
        permissions,
        resources,
        network_rules,
        description: description.to_owned(),
        sequence,
    };
    // CreatePolicy types every field as a string, Permissions and Resources included.
    let body = json!({
        "AccessControlRules": access_control_rules_text(&record),
        "Arn": service.arn("policy", &record.name),
        "Description": record.description,
        "KmsInstance": record.kms_instance,
        "Name": record.name,
        "Permissions": compact_json_list(&record.permissions),
        "Resources": compact_json_list(&record.resources),
    });
    store.policies.insert(record.name.clone(), record);
    Ok(ActionOutput::changed(body))
}

pub(super) fn describe(service: &Service<'_>, params: &Params) -> Result<ActionOutput, ApiError> {
    let name = required(params, "Name")?;
    let store = service.read_store();
    let record = store
        .policies
        .get(name)
        .ok_or_else(|| ApiError::resource_not_found(KIND, name))?;
    // DescribePolicy returns Permissions and Resources as real JSON arrays.
    Ok(ActionOutput::read(json!({
        "AccessControlRules": access_control_rules_text(record),
        "Arn": service.arn("policy", &record.name),
        "Description": record.description,
        "KmsInstance": record.kms_instance,
        "Name": record.name,
        "Permissions": record.permissions,
        "Resources": record.resources,
    })))
}

pub(super) fn update(service: &Service<'_>, params: &Params) -> Result<ActionOutput, ApiError> {
    let name = required(params, "Name")?;
    let permissions = optional(params, "Permissions")
        .map(policy_permissions)
        .transpose()?;
    let resources = optional(params, "Resources")
        .map(policy_resources)
        .transpose()?;
    let network_rules = optional(params, "AccessControlRules")
        .map(access_control_rules)
        .transpose()?;
    let description = optional(params, "Description");
    if params.contains_key("KmsInstance") {
        return Err(ApiError::invalid_parameter(
            "KmsInstance",
            "The scope of a policy cannot be changed.",
        ));
    }

    let mut store = service.write_store();
    if !store.policies.contains_key(name) {
        return Err(ApiError::resource_not_found(KIND, name));
    }
    if let Some(network_rules) = &network_rules {
        check_rules_exist(&store, network_rules)?;
    }
    let record = store
        .policies
        .get_mut(name)
        .ok_or_else(|| ApiError::resource_not_found(KIND, name))?;
    if let Some(permissions) = permissions {
        record.permissions = permissions;
    }
    if let Some(resources) = resources {
        record.resources = resources;
    }
    if let Some(network_rules) = network_rules {
        record.network_rules = network_rules;
    }
    if let Some(description) = description {
        record.description = description.to_owned();
    }
    Ok(ActionOutput::changed(json!({})))
}

pub(super) fn delete(service: &Service<'_>, params: &Params) -> Result<ActionOutput, ApiError> {
    let name = required(params, "Name")?;
    let mut store = service.write_store();
    if !store.policies.contains_key(name) {
        return Err(ApiError::resource_not_found(KIND, name));
    }
    // An access point may still list it: the delete goes through, as documented (docs/kms-api.md
    // §3.3), and the access point keeps naming a policy that is gone.
    store.policies.remove(name);
    Ok(ActionOutput::changed(json!({})))
}

pub(super) fn list(service: &Service<'_>, params: &Params) -> Result<ActionOutput, ApiError> {
    let (page_number, page_size) = paging(params)?;
    let store = service.read_store();
    let all = in_creation_order(store.policies.values(), |record| record.sequence);
    let total = all.len();
    let items: Vec<Value> = page(all, page_number, page_size)
        .into_iter()
        .map(|record| json!({ "Name": record.name }))
        .collect();
    Ok(ActionOutput::read(json!({
        "Policies": { "Policy": items },
        "PageNumber": page_number,
        "PageSize": page_size,
        "TotalCount": total,
    })))
}
