//! `alicloud-kms:index:ApplicationAccessPoint`: an application access point (AAP) and the
//! permission policies bound to it. What is its own: its declaration, the rule of its policies, an
//! id that is not a client key's, and its KMS actions; the rest is `named`'s.
//!
//! KMS identifies an AAP by its name, which is also the resource id: a new name replaces the AAP,
//! while the policies and the description change in place. Nothing refers to an AAP by name that
//! its delete should look for: KMS deletes the client keys of an access point with it
//! (docs/kms-api.md §3.2).

pub mod declaration;
pub mod kms;

use std::collections::BTreeMap;

use serde::Serialize;

use super::client_key::CLIENT_KEY_ID_PREFIX;
use super::error::CheckFailure;
use super::named::{NamedActions, NamedResource};
use super::property::{PropertyMap, PropertyValue};
use super::Declaration;
use declaration::{AccessPointInputs, AccessPointState, DECLARATION, PROPERTY};
use kms::{
    ApplicationAccessPointReply, CreateApplicationAccessPointRequest,
    UpdateApplicationAccessPointRequest,
};

pub(crate) use kms::list_access_points;

/// KMS binds at most three permission policies to an AAP.
pub const MAX_POLICIES: usize = 3;

/// The application access point. It keeps no state between operations.
#[derive(Debug)]
pub struct ApplicationAccessPoint;

impl NamedResource for ApplicationAccessPoint {
    const DECLARATION: Declaration = DECLARATION;
    const ACTIONS: NamedActions = kms::ACTIONS;
    type Inputs = AccessPointInputs;
    type State = AccessPointState;
    type Reply = ApplicationAccessPointReply;

    fn new() -> ApplicationAccessPoint {
        ApplicationAccessPoint
    }

    fn state_of(name: &str, reply: ApplicationAccessPointReply) -> AccessPointState {
        kms::state_of(name, reply)
    }

    /// `CreateApplicationAccessPoint` with `AuthenticationMethod=ClientKey`.
    fn create_request(inputs: &AccessPointInputs) -> impl Serialize + Send + Sync + '_ {
        CreateApplicationAccessPointRequest::new(inputs)
    }

    /// The policies and the description, changed in place.
    fn update_request<'a>(
        name: &'a str,
        news: &'a AccessPointInputs,
        olds: &'a AccessPointState,
    ) -> impl Serialize + Send + Sync + 'a {
        UpdateApplicationAccessPointRequest::new(name, news, olds)
    }

    /// One to three distinct policy names.
    fn check_inputs(
        &self,
        inputs: &mut PropertyMap,
        failures: &mut Vec<CheckFailure>,
        _warnings: &mut Vec<String>,
    ) {
        check_policies(inputs, failures);
    }

    /// An id that looks like a client key's is refused before anything is sent.
    fn id_problem(id: &str) -> Option<String> {
        id.starts_with(CLIENT_KEY_ID_PREFIX).then(|| {
            format!(
                "{id:?} looks like a ClientKey id; the id of an ApplicationAccessPoint is its name ({})",
                PROPERTY.application_access_point_name
            )
        })
    }
}

/// One to three policy names, none blank, none twice.
fn check_policies(inputs: &mut PropertyMap, failures: &mut Vec<CheckFailure>) {
    let property = PROPERTY.policies;
    let Some(policies) = inputs.get(property.name).and_then(PropertyValue::as_array) else {
        return;
    };
    // The number of policies is known even when some names are not (preview).
    if policies.is_empty() || policies.len() > MAX_POLICIES {
        failures.push(CheckFailure::new(
            property.name,
            format!(
                "{property} must name 1 to {MAX_POLICIES} permission policies (KMS binds at most {MAX_POLICIES} to an \
                 AAP), not {}",
                policies.len()
            ),
        ));
    }
    let mut first_position_by_name: BTreeMap<&str, usize> = BTreeMap::new();
    for (position, policy) in policies.iter().enumerate() {
        let Some(name) = policy.as_str() else {
            continue;
        };
        let path = format!("{property}[{position}]");
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
                format!("{path} repeats {property}[{first}] (\"{name}\"); list each policy once"),
            ));
        } else {
            first_position_by_name.insert(name, position);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::declaration::Properties;
    use crate::resources::named::{import_command, matches};
    use crate::resources::{Resource, ResourceError};

    #[test]
    fn ids_must_be_names_that_agree_with_the_state() {
        let resource = ApplicationAccessPoint;
        assert!(resource.check_id("terraform-example", None).is_ok());
        for bad in [
            "KAAP.66abf237-63f6-4625-b8cf-47e1086e0000",
            "two words",
            "tab\tbed",
        ] {
            let error = resource.check_id(bad, None).unwrap_err();
            assert!(matches!(error, ResourceError::InvalidId { .. }), "{bad}");
        }
        let state = PropertyMap::from([(
            PROPERTY.application_access_point_name.name.to_owned(),
            PropertyValue::String("other".into()),
        )]);
        let error = resource.check_id("mine", Some(&state)).unwrap_err();
        assert!(error.to_string().contains("disagree"), "{error}");
        assert!(
            error
                .to_string()
                .contains("the id of an ApplicationAccessPoint"),
            "{error}"
        );
    }

    #[test]
    fn the_import_suggestion_names_the_resource_from_the_urn() {
        assert_eq!(
            import_command(
                DECLARATION.token,
                Some("urn:pulumi:dev::demo::alicloud-kms:index:ApplicationAccessPoint::AAP0"),
                "terraform-example"
            ),
            "pulumi import alicloud-kms:index:ApplicationAccessPoint AAP0 terraform-example"
        );
        assert_eq!(
            import_command(DECLARATION.token, None, "x"),
            "pulumi import alicloud-kms:index:ApplicationAccessPoint <resource-name> x"
        );
    }

    #[test]
    fn matching_ignores_policy_order_and_an_empty_description() {
        let inputs = AccessPointInputs {
            application_access_point_name: "aap".into(),
            policies: vec!["b".into(), "a".into()],
            description: None,
        }
        .encode();
        let existing = AccessPointState {
            application_access_point_name: Some("aap".into()),
            policies: Some(vec!["a".into(), "b".into()]),
            description: Some(String::new()),
        };
        assert!(matches(&ApplicationAccessPoint, &inputs, &existing));
        let other = AccessPointState {
            description: Some("x".into()),
            ..existing
        };
        assert!(!matches(&ApplicationAccessPoint, &inputs, &other));
    }
}
