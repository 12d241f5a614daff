//! Create/Describe/Update/Delete/ListNetworkRule(s).

use serde_json::{json, Value};

use super::{page, ActionOutput, Service};
use crate::error::ApiError;
use crate::params::Params;
use crate::store::{in_creation_order, NetworkRule};
use crate::validation::{
    check_name, compact_json_list, optional, paging, required, source_private_ips,
};

/// The only network rule type KMS offers.
const RULE_TYPE: &str = "Private";
const KIND: &str = "NetworkRule";

pub(super) fn create(service: &Service<'_>, params: &Params) -> Result<ActionOutput, ApiError> {
    let name = required(params, "Name")?;
    check_name("Name", name)?;
    let rule_type = required(params, "Type")?;
    if rule_type != RULE_TYPE {
        return Err(ApiError::invalid_parameter(
            "Type",
            "The only supported value is Private.",
        ));
    }
    let addresses = source_private_ips(required(params, "SourcePrivateIp")?)?;
    let description = optional(params, "Description").unwrap_or_default();

    let mut store = service.write_store();
    if store.network_rules.contains_key(name) {
        return Err(ApiError::resource_exists(KIND, name));
    }
    let sequence = store.take_sequence();
    let record = NetworkRule {
        name: name.to_owned(),
        rule_type: rule_type.to_owned(),
        source_private_ip: addresses,
        description: description.to_owned(),
        sequence,
    };
    let body = json!({
        "Arn": service.arn("network", &record.name),
        "Description": record.description,
        "Name": record.name,
        "SourcePrivateIp": compact_json_list(&record.source_private_ip),
        "Type": record.rule_type,
    });
    store.network_rules.insert(record.name.clone(), record);
    Ok(ActionOutput::changed(body))
}

pub(super) fn describe(service: &Service<'_>, params: &Params) -> Result<ActionOutput, ApiError> {
    let name = required(params, "Name")?;
    let store = service.read_store();
    let record = store
        .network_rules
        .get(name)
        .ok_or_else(|| ApiError::resource_not_found(KIND, name))?;
    // The SDK's DescribeNetworkRule model has no Name field.
    Ok(ActionOutput::read(json!({
        "Arn": service.arn("network", &record.name),
        "Description": record.description,
        "SourcePrivateIp": compact_json_list(&record.source_private_ip),
        "Type": record.rule_type,
    })))
}

pub(super) fn update(service: &Service<'_>, params: &Params) -> Result<ActionOutput, ApiError> {
    let name = required(params, "Name")?;
    let addresses = optional(params, "SourcePrivateIp")
        .map(source_private_ips)
        .transpose()?;
    let description = optional(params, "Description");
    if params.contains_key("Type") {
        return Err(ApiError::invalid_parameter(
            "Type",
            "The type of a network rule cannot be changed.",
        ));
    }
    let mut store = service.write_store();
    let record = store
        .network_rules
        .get_mut(name)
        .ok_or_else(|| ApiError::resource_not_found(KIND, name))?;
    if let Some(addresses) = addresses {
        record.source_private_ip = addresses;
    }
    if let Some(description) = description {
        record.description = description.to_owned();
    }
    Ok(ActionOutput::changed(json!({})))
}

pub(super) fn delete(service: &Service<'_>, params: &Params) -> Result<ActionOutput, ApiError> {
    let name = required(params, "Name")?;
    let mut store = service.write_store();
    if !store.network_rules.contains_key(name) {
        return Err(ApiError::resource_not_found(KIND, name));
    }
    // A policy may still name it: the delete goes through, as documented (docs/kms-api.md §3.4).
    store.network_rules.remove(name);
    Ok(ActionOutput::changed(json!({})))
}

pub(super) fn list(service: &Service<'_>, params: &Params) -> Result<ActionOutput, ApiError> {
    let (page_number, page_size) = paging(params)?;
    let store = service.read_store();
    let all = in_creation_order(store.network_rules.values(), |record| record.sequence);
    let total = all.len();
    let items: Vec<Value> = page(all, page_number, page_size)
        .into_iter()
        .map(|record| json!({ "Name": record.name, "Type": record.rule_type }))
        .collect();
    Ok(ActionOutput::read(json!({
        "NetworkRules": { "NetworkRule": items },
        "PageNumber": page_number,
        "PageSize": page_size,
        "TotalCount": total,
    })))
}
