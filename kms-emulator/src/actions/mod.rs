//! The 19 actions of KMS 2016-01-20 that the emulator serves, plus the STS 2015-04-01 actions of
//! its STS stand-in: their names, and dispatch from a verified request to the handler of each
//! resource kind (STS actions are dispatched by [`crate::sts`]).

mod access_points;
mod client_keys;
mod network_rules;
mod policies;

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::params::Params;
use crate::store::Store;

/// Declares every action once: its name (the variant) and its handler. Generates [`Action`], its
/// name lookups, and [`Service::dispatch`].
macro_rules! actions {
    ($($variant:ident => $handler:path),* $(,)?) => {
        /// An action of the emulated API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $(
                #[doc = concat!("`", stringify!($variant), "`")]
                $variant,
            )*
        }

        impl Action {
            /// Every action, in a stable order.
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];

            /// The action's name as sent in the `Action` parameter.
            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$variant => stringify!($variant),)*
                }
            }

            /// The action with this exact name, if the emulator serves it.
            pub fn from_name(name: &str) -> Option<Action> {
                match name {
                    $(stringify!($variant) => Some(Action::$variant),)*
                    _ => None,
                }
            }
        }

        impl Service<'_> {
            /// Runs `action` with verified `params`.
            pub fn dispatch(&self, action: Action, params: &Params) -> Result<ActionOutput, ApiError> {
                match action {
                    $(Action::$variant => $handler(self, params),)*
                }
            }
        }
    };
}

actions!(
    CreateClientKey => client_keys::create,
    GetClientKey => client_keys::get,
    DeleteClientKey => client_keys::delete,
    ListClientKeys => client_keys::list,
    CreateApplicationAccessPoint => access_points::create,
    DescribeApplicationAccessPoint => access_points::describe,
    UpdateApplicationAccessPoint => access_points::update,
    DeleteApplicationAccessPoint => access_points::delete,
    ListApplicationAccessPoints => access_points::list,
    CreatePolicy => policies::create,
    DescribePolicy => policies::describe,
    UpdatePolicy => policies::update,
    DeletePolicy => policies::delete,
    ListPolicies => policies::list,
    CreateNetworkRule => network_rules::create,
    DescribeNetworkRule => network_rules::describe,
    UpdateNetworkRule => network_rules::update,
    DeleteNetworkRule => network_rules::delete,
    ListNetworkRules => network_rules::list,
    // STS actions never reach the KMS service: `Shared::dispatch` routes them to the STS stand-in.
    AssumeRole => routed_to_sts,
    AssumeRoleWithOIDC => routed_to_sts,
    GetCallerIdentity => routed_to_sts,
);

/// The STS API version the STS stand-in serves.
pub const STS_API_VERSION: &str = "2015-04-01";

impl Action {
    /// Position in [`Action::ALL`], for per-action counters.
    pub fn index(self) -> usize {
        Action::ALL
            .iter()
            .position(|&action| action == self)
            .unwrap_or_else(|| unreachable!("ALL lists every action"))
    }

    /// Whether the action belongs to the STS stand-in (version 2015-04-01) rather than KMS.
    pub fn is_sts(self) -> bool {
        matches!(
            self,
            Action::AssumeRole | Action::AssumeRoleWithOIDC | Action::GetCallerIdentity
        )
    }

    /// The `Version` a request must name to reach this action.
    pub fn api_version(self) -> &'static str {
        if self.is_sts() {
            STS_API_VERSION
        } else {
            crate::gateway::API_VERSION
        }
    }

    /// Whether the action is called without a signature (`AssumeRoleWithOIDC`: the OIDC token
    /// is the proof).
    pub fn takes_no_signature(self) -> bool {
        self == Action::AssumeRoleWithOIDC
    }

    /// Whether the action does CPU-heavy work (key material) and should run off the async
    /// workers.
    pub fn is_cpu_heavy(self) -> bool {
        self == Action::CreateClientKey
    }
}

/// What an action needs from the emulator: the resources, and the names that go into ARNs.
pub struct Service<'a> {
    /// The resources.
    pub store: &'a RwLock<Store>,
    /// The region in ARNs.
    pub region: &'a str,
    /// The account id in ARNs.
    pub account_id: &'a str,
    /// Where a client key's creation time comes from.
    pub clock: &'a crate::clock::Clock,
}

/// A successful action: the response fields (without `RequestId`), and whether resources changed.
#[derive(Debug)]
pub struct ActionOutput {
    /// Response fields.
    pub body: Map<String, Value>,
    /// Whether the store changed (and the state file should be written).
    pub mutated: bool,
}

impl ActionOutput {
    fn read(body: Value) -> Self {
        ActionOutput {
            body: into_map(body),
            mutated: false,
        }
    }

    fn changed(body: Value) -> Self {
        ActionOutput {
            body: into_map(body),
            mutated: true,
        }
    }
}

fn into_map(body: Value) -> Map<String, Value> {
    match body {
        Value::Object(map) => map,
        _ => unreachable!("every action answers with a JSON object"),
    }
}

/// The handler of the STS actions on the KMS side: they never get here, because
/// `Shared::dispatch` sends them to the STS stand-in first.
fn routed_to_sts(_: &Service<'_>, _: &Params) -> Result<ActionOutput, ApiError> {
    Err(ApiError::api_not_found())
}

impl Service<'_> {
    fn arn(&self, kind: &str, name: &str) -> String {
        format!("acs:kms:{}:{}:{kind}/{name}", self.region, self.account_id)
    }

    fn read_store(&self) -> RwLockReadGuard<'_, Store> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that matters
        // more than stopping to serve, so poisoning is ignored.
        self.store.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_store(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One page of `items` (1-based page number).
fn page<T>(items: Vec<T>, page_number: u64, page_size: u64) -> Vec<T> {
    let skip = usize::try_from((page_number - 1).saturating_mul(page_size)).unwrap_or(usize::MAX);
    let take = usize::try_from(page_size).unwrap_or(usize::MAX);
    items.into_iter().skip(skip).take(take).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_there_are_nineteen_kms_and_three_sts_actions() {
        assert_eq!(Action::ALL.len(), 22);
        assert_eq!(
            Action::ALL.iter().filter(|action| action.is_sts()).count(),
            3
        );
        for &action in Action::ALL {
            assert_eq!(Action::from_name(action.name()), Some(action));
            assert_eq!(Action::ALL[action.index()], action);
        }
        assert_eq!(Action::from_name("getclientkey"), None);
    }

    #[test]
    fn paging_slices_by_one_based_page() {
        assert_eq!(page((1..=5).collect(), 2, 2), vec![3, 4]);
        assert_eq!(page((1..=5).collect(), 3, 2), vec![5]);
        assert!(page((1..=5).collect::<Vec<_>>(), 4, 2).is_empty());
    }
}
