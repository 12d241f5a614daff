//! The resources KMS identifies by a name the program chooses (an access point, a permission
//! policy, a network rule): one generic implementation of [`Resource`] for all of them, so that
//! each keeps only what is its own ([`NamedResource`]: its declaration, its KMS actions and the
//! request of each, how a reply reads as its state, its own input rules and who may still refer
//! to it).
//!
//! What they share:
//! - the id is the name (the declaration's identity property), checked before `read`, `update`
//!   and `delete` (`rules`), and the name is checked as KMS holds names;
//! - `create` describes the name first and creates through the ownership proof (`create`,
//!   `ownership`): a taken name stops it, a lost reply adopts only an exact match;
//! - `read` describes the name (gone when KMS says so);
//! - `update` refuses a change of what replaces the resource, then sends the checked inputs
//!   (a description the program no longer sets is cleared);
//! - `delete` looks for what still refers to the resource first, when something may
//!   (`referrers`), then deletes it; one already gone counts as deleted.

mod create;
mod ownership;
pub mod referrers;
mod rules;

use std::future::Future;

use serde::Serialize;

use crate::kms::{Action, CallOptions, Client, KmsError, KmsResponse, RequestIdResponse};

use super::context::OperationContext;
use super::declaration::{Declaration, Properties, Property};
use super::error::{CheckFailure, Operation, ResourceError};
use super::kms_call::KmsCall;
use super::operations::{Create, Created, Delete, Read, Update};
use super::property::{PropertyMap, PropertyValue};
use super::resource::Resource;
use create::create_named;
use ownership::Claim;
use referrers::{delete_unless_referred, Referred};

pub use rules::{check_distinct_items, check_name, list_of_strings, same_set};
pub use rules::{import_command, NAME_EXTRA_CHARACTERS, NAME_MAX_LENGTH};

/// The KMS actions of a resource identified by its name: `Describe` and `Delete` take the name
/// alone (`Name`), `Create` and `Update` the request the resource writes.
#[derive(Clone, Copy, Debug)]
pub struct NamedActions {
    pub create: Action,
    pub describe: Action,
    pub update: Action,
    pub delete: Action,
}

/// What a resource identified by a name the program chooses keeps of its own. Everything else,
/// the whole [`Resource`], is generic.
pub trait NamedResource: Send + Sync + 'static {
    /// Its properties; the identity property is the name, and the id.
    const DECLARATION: Declaration;
    /// Its KMS actions.
    const ACTIONS: NamedActions;
    /// Who may still refer to it when it is deleted (the delete looks first), if anyone.
    const REFERRED: Option<Referred> = None;

    /// The typed inputs its declaration generates.
    type Inputs: Properties + Sync;
    /// The typed state its declaration generates.
    type State: Properties + Default + Sync;
    /// What `Create` and `Describe` answer.
    type Reply: KmsResponse + Send;

    fn new() -> Self;

    /// The state a reply describes; `name` is the one asked about (a reply may leave it out).
    fn state_of(name: &str, reply: Self::Reply) -> Self::State;

    /// The `Create` request for checked inputs.
    fn create_request(inputs: &Self::Inputs) -> impl Serialize + Send + Sync + '_;

    /// The `Update` request that makes the resource `name` what `news` ask for; `olds` is its
    /// state (an optional input the program no longer sets is cleared, see
    /// [`description_to_send`]).
    fn update_request<'a>(
        name: &'a str,
        news: &'a Self::Inputs,
        olds: &'a Self::State,
    ) -> impl Serialize + Send + Sync + 'a;

    /// Its rules of `check` beyond the declaration and the name rule (see
    /// [`Resource::check_inputs`]). Default: none.
    fn check_inputs(
        &self,
        inputs: &mut PropertyMap,
        failures: &mut Vec<CheckFailure>,
        warnings: &mut Vec<String>,
    ) {
        let _ = (inputs, failures, warnings);
    }

    /// See [`Resource::same_meaning`]. Default: never.
    fn same_meaning(&self, property: &str, old: &PropertyValue, new: &PropertyValue) -> bool {
        let _ = (property, old, new);
        false
    }

    /// What is wrong with `id` besides the rules of every name (spaces, control characters), for
    /// an id that looks like another resource's. Default: nothing.
    fn id_problem(id: &str) -> Option<String> {
        let _ = id;
        None
    }

    /// The names of what still refers to the resource `name` ([`NamedResource::REFERRED`] says
    /// what they are). Default: none.
    fn find_referrers(
        client: Client,
        name: String,
        options: CallOptions,
    ) -> impl Future<Output = Result<Vec<String>, KmsError>> + Send {
        let _ = (client, name, options);
        std::future::ready(Ok(Vec::new()))
    }
}

/// The `Name` parameter of `Describe` and `Delete`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct NameRequest<'a> {
    name: &'a str,
}

/// Describes the resource `name` (a missing one is an error whose `is_not_found()` is true).
pub async fn describe<T: NamedResource>(
    client: &Client,
    name: &str,
    options: &CallOptions,
) -> Result<T::State, KmsError> {
    let reply = describe_reply::<T>(client, name, options).await?;
    Ok(T::state_of(name, reply))
}

/// The `Describe` reply for the resource `name`, as KMS sends it.
pub async fn describe_reply<T: NamedResource>(
    client: &Client,
    name: &str,
    options: &CallOptions,
) -> Result<T::Reply, KmsError> {
    client
        .call(T::ACTIONS.describe, &NameRequest { name }, options)
        .await
}

/// `Delete` of the resource `name`.
pub async fn delete<T: NamedResource>(
    client: &Client,
    name: &str,
    options: &CallOptions,
) -> Result<RequestIdResponse, KmsError> {
    client
        .call(T::ACTIONS.delete, &NameRequest { name }, options)
        .await
}

/// The description an update sends: the new one; an empty one, which clears a description the
/// program no longer sets; or none, which leaves it as it is.
pub fn description_to_send(old: Option<&String>, new: Option<&String>) -> Option<String> {
    match new {
        Some(text) => Some(text.clone()),
        None if old.is_some_and(|text| !text.is_empty()) => Some(String::new()),
        None => None,
    }
}

/// The identity property of a named resource's declaration.
fn identity(declaration: &Declaration) -> &'static Property {
    declaration
        .identity()
        .expect("a resource identified by its name declares its identity property")
}

impl<T: NamedResource> Resource for T {
    const DECLARATION: Declaration = T::DECLARATION;
    const UPDATES_IN_PLACE: bool = true;
    type Inputs = T::Inputs;
    type State = T::State;

    fn new() -> T {
        T::new()
    }

    /// The name as KMS holds names, then the resource's own rules.
    fn check_inputs(
        &self,
        inputs: &mut PropertyMap,
        failures: &mut Vec<CheckFailure>,
        warnings: &mut Vec<String>,
    ) {
        check_name(inputs, identity(&T::DECLARATION).name, failures);
        NamedResource::check_inputs(self, inputs, failures, warnings);
    }

    fn same_meaning(&self, property: &str, old: &PropertyValue, new: &PropertyValue) -> bool {
        NamedResource::same_meaning(self, property, old, new)
    }

    /// The id is the name; it must agree with the state.
    fn check_id(&self, id: &str, state: Option<&PropertyMap>) -> Result<(), ResourceError> {
        if let Some(message) = T::id_problem(id) {
            return Err(ResourceError::InvalidId {
                resource: T::DECLARATION.name,
                message,
            });
        }
        rules::check_name_id(&T::DECLARATION, id, state)
    }

    /// The name described first, then `Create` through the ownership proof. Every output is an
    /// input, so the generic preview fits.
    async fn create(
        &self,
        context: &OperationContext,
        request: Create<T::Inputs>,
    ) -> Result<Created<T::State>, ResourceError> {
        let declaration = &T::DECLARATION;
        let identity = identity(declaration);
        let wanted = request.inputs.encode();
        let name = identity.get_str(&wanted).unwrap_or_default();
        let urn = request.urn.as_deref();
        let client = context.kms.client().await?;
        let call = KmsCall::start(context, Operation::Create, urn, request.timeout);
        let claim = Claim {
            resource: declaration.name,
            noun: declaration.noun,
            name,
            import_command: import_command(declaration.token, urn, name),
        };
        let create_request = T::create_request(&request.inputs);
        let (client, create_request) = (&client, &create_request);
        let state = create_named(
            &call,
            &claim,
            T::ACTIONS.describe.name(),
            move |options| async move { describe::<T>(client, name, &options).await },
            move |options| async move {
                let reply: T::Reply = client
                    .call(T::ACTIONS.create, create_request, &options)
                    .await?;
                Ok(T::state_of(name, reply))
            },
            |existing: &T::State| matches(self, &wanted, existing),
        )
        .await?;
        let id = identity
            .get_str(&state.encode())
            .filter(|id| !id.is_empty())
            .unwrap_or(name)
            .to_owned();
        Ok(Created {
            id,
            state,
            warnings: Vec::new(),
        })
    }

    /// `Describe`; gone when KMS says it does not exist. The description is both the outputs and
    /// the inputs (an import takes its inputs from here).
    async fn read(
        &self,
        context: &OperationContext,
        request: Read,
    ) -> Result<Option<T::State>, ResourceError> {
        let client = context.kms.client().await?;
        let call = KmsCall::start(
            context,
            Operation::Read,
            request.urn.as_deref(),
            request.timeout,
        );
        match describe::<T>(&client, &request.id, &call.options()).await {
            Ok(found) => Ok(Some(found)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(call.error(error)),
        }
    }

    /// `Update` with what the resource's own request says (what replaces it was refused before).
    async fn update(
        &self,
        context: &OperationContext,
        request: Update<T::Inputs, T::State>,
    ) -> Result<(), ResourceError> {
        let client = context.kms.client().await?;
        let call = KmsCall::start(
            context,
            Operation::Update,
            request.urn.as_deref(),
            request.timeout,
        );
        let update_request = T::update_request(&request.id, &request.news, &request.olds);
        let updated: Result<RequestIdResponse, KmsError> = client
            .call(T::ACTIONS.update, &update_request, &call.options())
            .await;
        match updated {
            Ok(_) => Ok(()),
            Err(error) => {
                let hint = if error.is_not_found() {
                    Some(format!(
                        "the {} {} no longer exists; run a refresh to drop it from the state, and the next \
                         update creates it again",
                        T::DECLARATION.noun,
                        request.id
                    ))
                } else {
                    error.service_hint()
                };
                Err(call.error_with_hint(error, hint))
            }
        }
    }

    /// `Delete`, unless something still refers to the resource (the provider's own check, see
    /// `referrers`: KMS would delete it, and what refers to it would lose access).
    async fn delete(
        &self,
        context: &OperationContext,
        request: Delete<T::State>,
    ) -> Result<(), ResourceError> {
        delete_unless_referred(
            context,
            request.urn.as_deref(),
            &request.id,
            request.timeout,
            &T::DECLARATION,
            T::REFERRED.as_ref(),
            T::find_referrers,
            |client, name, options| async move { delete::<T>(&client, &name, &options).await },
        )
        .await
    }
}

/// Whether an existing resource is exactly what checked inputs ask for: every input the same by
/// the declaration and the resource's own reading (lists in any order where the order means
/// nothing, an empty description the same as none). Only such a resource may be adopted after a
/// lost reply.
pub(crate) fn matches<T: NamedResource>(
    resource: &T,
    inputs: &PropertyMap,
    existing: &T::State,
) -> bool {
    let existing = existing.encode();
    T::DECLARATION.inputs().all(|property| {
        match (property.set_value(inputs), property.set_value(&existing)) {
            (None, None) => true,
            (Some(wanted), Some(found)) => Resource::equivalent(resource, property, found, wanted),
            _ => false,
        }
    })
}
