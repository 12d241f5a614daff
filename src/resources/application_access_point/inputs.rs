//! The inputs and properties of an application access point as the operations see them: the
//! checked inputs, the properties of what KMS describes, the id rules, and the `pulumi import`
//! command the errors suggest.

use crate::kms::ApplicationAccessPoint;

use super::super::client_key::CLIENT_KEY_ID_PREFIX;
use super::super::error::{CheckFailure, ResourceError};
use super::super::property::{PropertyMap, PropertyValue};
use super::declaration::DECLARATION;

/// The checked inputs of an AAP, as the operations use them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessPointInputs {
    pub name: String,
    pub policies: Vec<String>,
    pub description: Option<String>,
}

impl AccessPointInputs {
    pub fn from_properties(properties: &PropertyMap) -> Result<AccessPointInputs, ResourceError> {
        let mut failures = Vec::new();
        let mut unknown = |property: &str| {
            failures.push(CheckFailure::new(
                property,
                format!("{property} is unknown; it must be known outside a preview"),
            ));
        };
        let name = match properties.get("applicationAccessPointName") {
            Some(value) if value.contains_unknown() => {
                unknown("applicationAccessPointName");
                None
            }
            Some(value) => value.as_str().map(str::to_owned),
            None => None,
        };
        let policies = match properties.get("policies") {
            Some(value) if value.contains_unknown() => {
                unknown("policies");
                None
            }
            Some(value) => value.as_array().map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_owned))
                    .collect::<Vec<_>>()
            }),
            None => None,
        };
        let description = match properties.get("description") {
            Some(value) if value.contains_unknown() => {
                unknown("description");
                None
            }
            Some(value) => value.as_str().map(str::to_owned),
            None => None,
        };
        match (name, policies) {
            (Some(name), Some(policies)) if failures.is_empty() => Ok(AccessPointInputs {
                name,
                policies,
                description: description.filter(|text| !text.is_empty()),
            }),
            _ => {
                if failures.is_empty() {
                    failures.push(CheckFailure::new(
                        "applicationAccessPointName",
                        "applicationAccessPointName and policies are required; set them on the ApplicationAccessPoint",
                    ));
                }
                Err(ResourceError::InvalidInputs {
                    resource: DECLARATION.name,
                    failures,
                })
            }
        }
    }

    /// Whether an existing AAP is exactly what these inputs ask for (policies in any order).
    pub fn matches(&self, existing: &ApplicationAccessPoint) -> bool {
        let mut wanted = self.policies.clone();
        wanted.sort();
        let mut found = existing.policies.clone();
        found.sort();
        wanted == found
            && self.description.as_deref().unwrap_or_default()
                == existing.description.as_deref().unwrap_or_default()
    }
}

/// The properties (and inputs) of an AAP as KMS describes it; an empty description is absent.
pub(super) fn properties_of(access_point: &ApplicationAccessPoint) -> PropertyMap {
    let mut properties = PropertyMap::new();
    properties.insert(
        "applicationAccessPointName".to_owned(),
        PropertyValue::String(access_point.name.clone()),
    );
    properties.insert(
        "policies".to_owned(),
        PropertyValue::Array(
            access_point
                .policies
                .iter()
                .cloned()
                .map(PropertyValue::String)
                .collect(),
        ),
    );
    if let Some(description) = access_point
        .description
        .as_ref()
        .filter(|text| !text.is_empty())
    {
        properties.insert(
            "description".to_owned(),
            PropertyValue::String(description.clone()),
        );
    }
    properties
}

/// The resource name of the URN (for the `pulumi import` suggestion), or a placeholder.
fn resource_name(urn: Option<&str>) -> String {
    urn.and_then(|urn| urn.rsplit("::").next())
        .filter(|name| !name.is_empty() && !name.starts_with("urn:"))
        .unwrap_or("<resource-name>")
        .to_owned()
}

pub(super) fn import_command(urn: Option<&str>, name: &str) -> String {
    format!(
        "pulumi import {} {} {name}",
        DECLARATION.token,
        resource_name(urn)
    )
}

/// Checks that `id` can be the name of an AAP and agrees with the state.
pub(super) fn check_access_point_id(
    id: &str,
    state: Option<&PropertyMap>,
) -> Result<(), ResourceError> {
    let invalid = |message: String| ResourceError::InvalidId {
        resource: DECLARATION.name,
        message,
    };
    if id.starts_with(CLIENT_KEY_ID_PREFIX) {
        return Err(invalid(format!(
            "{id:?} looks like a ClientKey id; the id of an ApplicationAccessPoint is its name \
             (applicationAccessPointName)"
        )));
    }
    if id
        .chars()
        .any(|character| character.is_whitespace() || character.is_control())
    {
        return Err(invalid(format!(
            "{id:?} is not an ApplicationAccessPoint id: the id is the access point's name, which has no spaces \
             or control characters"
        )));
    }
    if let Some(name) = state
        .and_then(|state| state.get("applicationAccessPointName"))
        .and_then(PropertyValue::as_str)
    {
        if name != id {
            return Err(invalid(format!(
                "the id {id:?} and applicationAccessPointName {name:?} of the state disagree; the id of an \
                 ApplicationAccessPoint is its name, so pass the state that belongs to this id"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_names_that_agree_with_the_state() {
        assert!(check_access_point_id("terraform-example", None).is_ok());
        for bad in [
            "KAAP.66abf237-63f6-4625-b8cf-47e1086e0000",
            "two words",
            "tab\tbed",
        ] {
            let error = check_access_point_id(bad, None).unwrap_err();
            assert!(matches!(error, ResourceError::InvalidId { .. }), "{bad}");
        }
        let state = PropertyMap::from([(
            "applicationAccessPointName".to_owned(),
            PropertyValue::String("other".into()),
        )]);
        let error = check_access_point_id("mine", Some(&state)).unwrap_err();
        assert!(error.to_string().contains("disagree"), "{error}");
    }

    #[test]
    fn the_import_suggestion_names_the_resource_from_the_urn() {
        assert_eq!(
            import_command(
                Some("urn:pulumi:dev::demo::alicloud-kms:index:ApplicationAccessPoint::AAP0"),
                "terraform-example"
            ),
            "pulumi import alicloud-kms:index:ApplicationAccessPoint AAP0 terraform-example"
        );
        assert_eq!(
            import_command(None, "x"),
            "pulumi import alicloud-kms:index:ApplicationAccessPoint <resource-name> x"
        );
    }

    #[test]
    fn matching_ignores_policy_order_and_an_empty_description() {
        let inputs = AccessPointInputs {
            name: "aap".into(),
            policies: vec!["b".into(), "a".into()],
            description: None,
        };
        let existing = ApplicationAccessPoint {
            request_id: "r".into(),
            name: "aap".into(),
            policies: vec!["a".into(), "b".into()],
            arn: None,
            authentication_method: None,
            description: Some(String::new()),
        };
        assert!(inputs.matches(&existing));
        let other = ApplicationAccessPoint {
            description: Some("x".into()),
            ..existing
        };
        assert!(!inputs.matches(&other));
    }
}
