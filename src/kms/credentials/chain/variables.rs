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
/// The endpoint override: the name the Terraform provider reads, then the plain `KMS_ENDPOINT`
/// as a last fallback.
pub const ENDPOINT_VARIABLES: [&str; 2] = ["ALIBABA_CLOUD_ENDPOINT_KMS", "KMS_ENDPOINT"];

// The credential chain of the official Alibaba Cloud SDKs (`alibabacloud-credentials`,
// `credentials-go`); docs/credentials.md lists where each name comes from.

/// The OIDC provider ARN (set by ACK RRSA).
pub const OIDC_PROVIDER_ARN_VARIABLE: &str = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN";
/// The file holding the OIDC token (set by ACK RRSA).
pub const OIDC_TOKEN_FILE_VARIABLE: &str = "ALIBABA_CLOUD_OIDC_TOKEN_FILE";
/// The role to assume with the OIDC token (set by ACK RRSA).
pub const ROLE_ARN_VARIABLE: &str = "ALIBABA_CLOUD_ROLE_ARN";
/// The session name of an assumed role.
pub const ROLE_SESSION_NAME_VARIABLE: &str = "ALIBABA_CLOUD_ROLE_SESSION_NAME";
/// The ECS instance's RAM role name (turns on the instance metadata credential).
pub const ECS_METADATA_VARIABLE: &str = "ALIBABA_CLOUD_ECS_METADATA";
/// `true` turns the instance metadata credential off.
pub const ECS_METADATA_DISABLED_VARIABLE: &str = "ALIBABA_CLOUD_ECS_METADATA_DISABLED";
/// `true` forbids plain (IMDSv1) metadata requests when no IMDSv2 token can be had.
pub const IMDS_V1_DISABLED_VARIABLE: &str = "ALIBABA_CLOUD_IMDSV1_DISABLED";
/// A URL that returns temporary credentials.
pub const CREDENTIALS_URI_VARIABLE: &str = "ALIBABA_CLOUD_CREDENTIALS_URI";
/// The credentials INI file.
pub const CREDENTIALS_FILE_VARIABLE: &str = "ALIBABA_CLOUD_CREDENTIALS_FILE";
/// `true` skips the CLI profile file.
pub const CLI_PROFILE_DISABLED_VARIABLE: &str = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED";
/// The STS host.
pub const STS_ENDPOINT_VARIABLE: &str = "ALIBABA_CLOUD_STS_ENDPOINT";
/// The region of the default STS host (instead of the KMS region).
pub const STS_REGION_VARIABLE: &str = "ALIBABA_CLOUD_STS_REGION";
/// `true` uses the VPC STS host (`sts-vpc.<region>.aliyuncs.com`).
pub const VPC_ENDPOINT_ENABLED_VARIABLE: &str = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED";

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

    /// The value of `name` when it is set and not empty.
    fn non_empty(&self, name: &str) -> Option<String> {
        self.var(name).filter(|value| !value.is_empty())
    }

    /// Whether `name` is set to `true` (any case), the SDKs' way of switching a feature.
    fn is_true(&self, name: &str) -> bool {
        self.var(name)
            .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"))
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
