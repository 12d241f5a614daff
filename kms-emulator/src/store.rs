//! The emulated account's resources (network rules, policies, AAPs, client keys), in memory and
//! serialisable to the state file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A network rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkRule {
    /// Its name (identity).
    pub name: String,
    /// Always `Private`.
    pub rule_type: String,
    /// Private IPs and CIDR blocks.
    pub source_private_ip: Vec<String>,
    /// Free text.
    pub description: String,
    /// Creation order, for listing.
    pub sequence: u64,
}

/// A permission policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Its name (identity).
    pub name: String,
    /// The KMS instance it scopes (may be empty).
    pub kms_instance: String,
    /// RBAC permission templates.
    pub permissions: Vec<String>,
    /// `key/…` and `secret/…` resource patterns.
    pub resources: Vec<String>,
    /// Names of the network rules in `AccessControlRules`.
    pub network_rules: Vec<String>,
    /// Free text.
    pub description: String,
    /// Creation order, for listing.
    pub sequence: u64,
}

/// An application access point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessPoint {
    /// Its name (identity).
    pub name: String,
    /// Always `ClientKey`.
    pub authentication_method: String,
    /// Names of the bound permission policies (at most 3).
    pub policies: Vec<String>,
    /// Free text.
    pub description: String,
    /// Creation order, for listing.
    pub sequence: u64,
}

/// A client key. The private key is not kept: KMS returns it once, at creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientKey {
    /// `KAAP.<uuid>`.
    pub id: String,
    /// The AAP it belongs to.
    pub aap_name: String,
    /// Start of validity, `yyyy-MM-ddTHH:mm:ssZ`.
    pub not_before: String,
    /// End of validity, `yyyy-MM-ddTHH:mm:ssZ`.
    pub not_after: String,
    /// Creation time, `yyyy-MM-ddTHH:mm:ssZ`.
    pub create_time: String,
    /// The X.509 certificate, PEM.
    pub certificate_pem: String,
    /// Creation order, for listing.
    pub sequence: u64,
}

/// All resources of the emulated account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Store {
    /// The next creation sequence number.
    pub next_sequence: u64,
    /// Network rules by name.
    pub network_rules: BTreeMap<String, NetworkRule>,
    /// Policies by name.
    pub policies: BTreeMap<String, Policy>,
    /// AAPs by name.
    pub access_points: BTreeMap<String, AccessPoint>,
    /// Client keys by id.
    pub client_keys: BTreeMap<String, ClientKey>,
}

impl Store {
    /// Hands out the next creation sequence number.
    pub fn take_sequence(&mut self) -> u64 {
        self.next_sequence += 1;
        self.next_sequence
    }

    /// Client keys, oldest first, optionally only those of one AAP.
    pub fn client_keys_in_order(&self, aap_name: Option<&str>) -> Vec<&ClientKey> {
        let mut keys: Vec<&ClientKey> = self
            .client_keys
            .values()
            .filter(|key| aap_name.is_none_or(|name| key.aap_name == name))
            .collect();
        keys.sort_by_key(|key| key.sequence);
        keys
    }

    /// Removes an AAP and its client keys; false if there was no such AAP.
    pub fn remove_access_point_and_keys(&mut self, name: &str) -> bool {
        if self.access_points.remove(name).is_none() {
            return false;
        }
        self.client_keys.retain(|_, key| key.aap_name != name);
        true
    }
}

/// Sorts records by creation order.
pub fn in_creation_order<'a, T>(
    records: impl Iterator<Item = &'a T>,
    sequence: impl Fn(&T) -> u64,
) -> Vec<&'a T>
where
    T: 'a,
{
    let mut sorted: Vec<&T> = records.collect();
    sorted.sort_by_key(|record| sequence(record));
    sorted
}
