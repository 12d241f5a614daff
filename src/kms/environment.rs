//! Where environment variables come from, behind a trait so tests inject a map instead of
//! mutating the process environment, and the names `credentials::resolve` reads.

use std::collections::{BTreeMap, HashMap};

/// AccessKey id variables, newest name first (the older `ALICLOUD_*` names are still honoured).
pub const ACCESS_KEY_ID_VARIABLES: [&str; 2] =
    ["ALIBABA_CLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY"];
/// AccessKey secret variables, newest name first.
pub const ACCESS_KEY_SECRET_VARIABLES: [&str; 2] =
    ["ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_SECRET_KEY"];
/// STS security token variables, newest name first.
pub const SECURITY_TOKEN_VARIABLES: [&str; 2] =
    ["ALIBABA_CLOUD_SECURITY_TOKEN", "ALICLOUD_SECURITY_TOKEN"];
/// Region variables, newest name first.
pub const REGION_VARIABLES: [&str; 2] = ["ALIBABA_CLOUD_REGION", "ALICLOUD_REGION"];
/// Variables that select a profile of the CLI profile file, newest name first.
pub const PROFILE_VARIABLES: [&str; 2] = ["ALIBABA_CLOUD_PROFILE", "ALICLOUD_PROFILE"];
/// The endpoint override (the same name the Terraform provider reads).
pub const ENDPOINT_VARIABLES: [&str; 1] = ["ALIBABA_CLOUD_ENDPOINT_KMS"];

/// A source of environment variables.
pub trait Environment {
    /// The value of `name`, if set.
    fn var(&self, name: &str) -> Option<String>;

    /// The first of `names` that is set to a non-empty value, with the name it came from.
    fn first_non_empty(&self, names: &[&'static str]) -> Option<(&'static str, String)> {
        names.iter().find_map(|name| {
            self.var(name)
                .filter(|value| !value.is_empty())
                .map(|value| (*name, value))
        })
    }
}

/// The real process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Environment for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

impl Environment for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}
