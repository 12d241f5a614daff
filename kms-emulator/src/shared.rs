//! The state one emulator shares between its connections, its control endpoint and its handle:
//! gateway, resources, faults, counters, the STS and metadata stand-ins; and the test hooks that
//! read and change them.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock};

use rand::RngExt as _;
use serde::{Deserialize, Serialize};

use crate::actions::{Action, ActionOutput, Service};
use crate::clock::Clock;
use crate::config::Config;
use crate::error::ApiError;
use crate::error::{FaultError, StartError};
use crate::faults::{FaultDecision, FaultSpec, FaultTable};
use crate::gateway::{Caller, Gateway};
use crate::logins::LoginState;
use crate::metadata::MetadataState;
use crate::params::Params;
use crate::state_file::StateFile;
use crate::store::{in_creation_order, AccessPoint, ClientKey, NetworkRule, Policy, Store};
use crate::sts::StsConfig;
use chrono::{DateTime, Utc};

/// A change to an AAP made behind the API's back (to simulate drift).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccessPointPatch {
    /// New policy names (not validated: drift can be anything).
    pub policies: Option<Vec<String>>,
    /// New description.
    pub description: Option<String>,
}

/// A change to a permission policy made behind the API's back (to simulate drift).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyPatch {
    /// New permissions (not validated).
    pub permissions: Option<Vec<String>>,
    /// New resources (not validated).
    pub resources: Option<Vec<String>>,
    /// New network rule names of `AccessControlRules` (not validated).
    pub network_rules: Option<Vec<String>>,
    /// New description.
    pub description: Option<String>,
}

/// A change to a network rule made behind the API's back (to simulate drift).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkRulePatch {
    /// New addresses (not validated).
    pub source_private_ip: Option<Vec<String>>,
    /// New description.
    pub description: Option<String>,
}

pub(crate) struct Shared {
    pub(crate) gateway: Gateway,
    pub(crate) store: RwLock<Store>,
    faults: Mutex<FaultTable>,
    call_counts: Vec<AtomicU64>,
    pub(crate) region: String,
    pub(crate) account_id: String,
    pub(crate) host_id: String,
    state_file: Option<StateFile>,
    pub(crate) control_endpoint: bool,
    sts: RwLock<StsConfig>,
    pub(crate) metadata: MetadataState,
    pub(crate) logins: LoginState,
    pub(crate) header_read_timeout: std::time::Duration,
    pub(crate) clock: Clock,
}

impl Shared {
    pub(crate) fn new(config: &Config) -> Result<Self, StartError> {
        if config.credentials.is_empty() {
            return Err(StartError::Config(
                "at least one credential is needed".to_owned(),
            ));
        }
        config.sts.validate().map_err(StartError::Config)?;
        let state_file = config.state_file.clone().map(StateFile::new);
        let store = match &state_file {
            Some(state_file) => state_file.load()?,
            None => Store::default(),
        };
        let mut faults = FaultTable::default();
        for (target, spec) in &config.faults {
            faults
                .set(target, spec.clone())
                .map_err(|error| StartError::Config(error.to_string()))?;
        }
        Ok(Shared {
            gateway: Gateway::new(&config.credentials, config.nonce_capacity),
            store: RwLock::new(store),
            faults: Mutex::new(faults),
            call_counts: Action::ALL.iter().map(|_| AtomicU64::new(0)).collect(),
            region: config.region.clone(),
            account_id: config.account_id.clone(),
            host_id: format!("kms.{}.aliyuncs.com", config.region),
            state_file,
            control_endpoint: config.control_endpoint,
            sts: RwLock::new(config.sts.clone()),
            metadata: MetadataState::new(config.metadata.clone()),
            logins: LoginState::new(config.logins.clone()),
            header_read_timeout: config.header_read_timeout,
            clock: config.clock.clone(),
        })
    }

    pub(crate) fn service(&self) -> Service<'_> {
        Service {
            store: &self.store,
            region: &self.region,
            account_id: &self.account_id,
            clock: &self.clock,
        }
    }

    /// Runs an admitted action: STS actions in the STS stand-in, the others in the KMS service.
    pub(crate) fn dispatch(
        &self,
        action: Action,
        params: &Params,
        caller: Option<&Caller>,
        now: DateTime<Utc>,
    ) -> Result<ActionOutput, ApiError> {
        if action.is_sts() {
            crate::sts::dispatch(self, action, params, caller, now)
        } else {
            self.service().dispatch(action, params)
        }
    }

    pub(crate) fn read_sts<T>(&self, read: impl FnOnce(&StsConfig) -> T) -> T {
        read(&self.sts.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Changes the STS configuration after checking the result; on error nothing changes.
    pub(crate) fn change_sts(
        &self,
        change: impl FnOnce(&mut StsConfig),
    ) -> Result<StsConfig, String> {
        let updated = {
            let mut config = self.sts.write().unwrap_or_else(PoisonError::into_inner);
            let mut candidate = config.clone();
            change(&mut candidate);
            candidate.validate()?;
            *config = candidate.clone();
            candidate
        };
        // A new lifetime applies to the next credential the metadata stand-ins hand out.
        self.metadata.forget_credentials();
        Ok(updated)
    }

    /// Writes the state file, if there is one. A failure is logged, not fatal: the request
    /// already succeeded in memory.
    pub(crate) fn persist(&self) {
        if let Some(state_file) = &self.state_file {
            if let Err(error) = state_file.save(&self.store) {
                tracing::error!(path = %state_file.path().display(), %error, "cannot write the state file; changes are kept in memory only");
            }
        }
    }

    pub(crate) fn count_call(&self, action: Action) {
        self.call_counts[action.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn decide_fault(&self, action: Action) -> FaultDecision {
        let draw: f64 = rand::rng().random();
        self.lock_faults().decide(action.name(), draw)
    }

    fn lock_faults(&self) -> MutexGuard<'_, FaultTable> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn read_store<T>(&self, read: impl FnOnce(&Store) -> T) -> T {
        read(&self.store.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn change_store<T>(&self, change: impl FnOnce(&mut Store) -> T) -> T {
        let result = change(&mut self.store.write().unwrap_or_else(PoisonError::into_inner));
        self.persist();
        result
    }

    // Test hooks, shared by the library handle and the HTTP control endpoint.

    pub(crate) fn set_fault(&self, target: &str, spec: FaultSpec) -> Result<(), FaultError> {
        self.lock_faults().set(target, spec)
    }

    pub(crate) fn clear_fault(&self, target: &str) -> Result<bool, FaultError> {
        self.lock_faults().clear(target)
    }

    pub(crate) fn clear_faults(&self) {
        self.lock_faults().clear_all();
    }

    pub(crate) fn faults(&self) -> BTreeMap<String, FaultSpec> {
        self.lock_faults().snapshot()
    }

    /// Calls per action, plus requests per instance-metadata endpoint (`MetadataToken`, ...).
    pub(crate) fn call_counts(&self) -> BTreeMap<String, u64> {
        let actions = Action::ALL
            .iter()
            .map(|action| (action.name().to_owned(), self.call_count(*action)));
        let metadata = crate::metadata::MetadataEndpoint::ALL
            .iter()
            .map(|endpoint| {
                (
                    endpoint.name().to_owned(),
                    self.metadata.call_count(*endpoint),
                )
            });
        actions.chain(metadata).collect()
    }

    pub(crate) fn call_count(&self, action: Action) -> u64 {
        self.call_counts[action.index()].load(Ordering::Relaxed)
    }

    pub(crate) fn client_keys(&self) -> Vec<ClientKey> {
        self.read_store(|store| {
            store
                .client_keys_in_order(None)
                .into_iter()
                .cloned()
                .collect()
        })
    }

    pub(crate) fn access_points(&self) -> Vec<AccessPoint> {
        self.read_store(|store| {
            in_creation_order(store.access_points.values(), |r| r.sequence)
                .into_iter()
                .cloned()
                .collect()
        })
    }

    pub(crate) fn policies(&self) -> Vec<Policy> {
        self.read_store(|store| {
            in_creation_order(store.policies.values(), |r| r.sequence)
                .into_iter()
                .cloned()
                .collect()
        })
    }

    pub(crate) fn network_rules(&self) -> Vec<NetworkRule> {
        self.read_store(|store| {
            in_creation_order(store.network_rules.values(), |r| r.sequence)
                .into_iter()
                .cloned()
                .collect()
        })
    }

    pub(crate) fn delete_client_key(&self, id: &str) -> bool {
        self.change_store(|store| store.client_keys.remove(id).is_some())
    }

    pub(crate) fn delete_access_point(&self, name: &str) -> bool {
        self.change_store(|store| store.remove_access_point_and_keys(name))
    }

    pub(crate) fn update_access_point(&self, name: &str, patch: AccessPointPatch) -> bool {
        self.change_store(|store| {
            let Some(record) = store.access_points.get_mut(name) else {
                return false;
            };
            if let Some(policies) = patch.policies {
                record.policies = policies;
            }
            if let Some(description) = patch.description {
                record.description = description;
            }
            true
        })
    }

    pub(crate) fn delete_policy(&self, name: &str) -> bool {
        self.change_store(|store| store.policies.remove(name).is_some())
    }

    pub(crate) fn update_policy(&self, name: &str, patch: PolicyPatch) -> bool {
        self.change_store(|store| {
            let Some(record) = store.policies.get_mut(name) else {
                return false;
            };
            if let Some(permissions) = patch.permissions {
                record.permissions = permissions;
            }
            if let Some(resources) = patch.resources {
                record.resources = resources;
            }
            if let Some(network_rules) = patch.network_rules {
                record.network_rules = network_rules;
            }
            if let Some(description) = patch.description {
                record.description = description;
            }
            true
        })
    }

    pub(crate) fn delete_network_rule(&self, name: &str) -> bool {
        self.change_store(|store| store.network_rules.remove(name).is_some())
    }

    pub(crate) fn update_network_rule(&self, name: &str, patch: NetworkRulePatch) -> bool {
        self.change_store(|store| {
            let Some(record) = store.network_rules.get_mut(name) else {
                return false;
            };
            if let Some(addresses) = patch.source_private_ip {
                record.source_private_ip = addresses;
            }
            if let Some(description) = patch.description {
                record.description = description;
            }
            true
        })
    }
}
