//! The environment variables the chain reads, each list in the order of precedence when more than
//! one is set, and where a test injects a map instead of the process environment.
//!
//! Where the tools disagree on a name, every name is read: the official SDKs and the CLI
//! (`ALIBABA_CLOUD_*`) first, then Terraform's and pulumi-alicloud's (`ALICLOUD_*`), then the
//! older `ALIBABACLOUD_*` that Terraform and the CLI still accept. docs/credentials.md lists the
//! source of every name.

use std::collections::{BTreeMap, HashMap};

/// The variables of one static key, as one family of tools names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyVariables {
    /// The AccessKey id.
    pub id: &'static str,
    /// The AccessKey secret.
    pub secret: &'static str,
    /// The STS security token of temporary keys.
    pub token: &'static str,
}

/// The static-key families, in order of precedence. A key is taken whole from one family (the
/// first that sets any of its variables): the id of one tool's key and the secret of another's
/// would only fail later with a confusing signature error.
pub const ACCESS_KEY_FAMILIES: [KeyVariables; 3] = [
    KeyVariables {
        id: "ALIBABA_CLOUD_ACCESS_KEY_ID",
        secret: "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        token: "ALIBABA_CLOUD_SECURITY_TOKEN",
    },
    KeyVariables {
        id: "ALICLOUD_ACCESS_KEY",
        secret: "ALICLOUD_SECRET_KEY",
        token: "ALICLOUD_SECURITY_TOKEN",
    },
    KeyVariables {
        id: "ALIBABACLOUD_ACCESS_KEY_ID",
        secret: "ALIBABACLOUD_ACCESS_KEY_SECRET",
        token: "ALIBABACLOUD_SECURITY_TOKEN",
    },
];

/// Region variables: the SDKs', Terraform's, then the CLI's.
pub const REGION_VARIABLES: [&str; 3] = [
    "ALIBABA_CLOUD_REGION",
    "ALICLOUD_REGION",
    "ALIBABA_CLOUD_REGION_ID",
];
/// Variables that select a profile of the credential files.
pub const PROFILE_VARIABLES: [&str; 2] = ["ALIBABA_CLOUD_PROFILE", "ALICLOUD_PROFILE"];
/// The endpoint override: the name the Terraform provider reads, then the plain `KMS_ENDPOINT`.
pub const ENDPOINT_VARIABLES: [&str; 2] = ["ALIBABA_CLOUD_ENDPOINT_KMS", "KMS_ENDPOINT"];
/// The ECS instance's RAM role name (the SDKs', then Terraform's and pulumi-alicloud's).
pub const ECS_ROLE_NAME_VARIABLES: [&str; 2] =
    ["ALIBABA_CLOUD_ECS_METADATA", "ALICLOUD_ECS_ROLE_NAME"];
/// A URL that returns temporary credentials.
pub const CREDENTIALS_URI_VARIABLES: [&str; 2] =
    ["ALIBABA_CLOUD_CREDENTIALS_URI", "ALICLOUD_CREDENTIALS_URI"];
/// A credentials file, INI (the SDKs) or the CLI's JSON (Terraform), told apart by content.
pub const CREDENTIALS_FILE_VARIABLES: [&str; 2] = [
    "ALIBABA_CLOUD_CREDENTIALS_FILE",
    "ALICLOUD_SHARED_CREDENTIALS_FILE",
];
/// The CLI's JSON file, instead of `~/.aliyun/config.json` (credentials-go).
pub const CLI_CONFIG_FILE_VARIABLE: &str = "ALIBABA_CLOUD_CONFIG_FILE";

/// The OIDC provider ARN (set by ACK RRSA).
pub const OIDC_PROVIDER_ARN_VARIABLE: &str = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN";
/// The file holding the OIDC token (set by ACK RRSA).
pub const OIDC_TOKEN_FILE_VARIABLE: &str = "ALIBABA_CLOUD_OIDC_TOKEN_FILE";
/// The OIDC token itself (Terraform's default of `assume_role_with_oidc.oidc_token`).
pub const OIDC_TOKEN_VARIABLE: &str = "ALIBABA_CLOUD_OIDC_TOKEN";
/// The role to assume with the OIDC token (set by ACK RRSA).
pub const ROLE_ARN_VARIABLE: &str = "ALIBABA_CLOUD_ROLE_ARN";
/// The session name of an assumed role.
pub const ROLE_SESSION_NAME_VARIABLE: &str = "ALIBABA_CLOUD_ROLE_SESSION_NAME";
/// `true` turns the instance metadata credential off (named and discovered alike).
pub const ECS_METADATA_DISABLED_VARIABLE: &str = "ALIBABA_CLOUD_ECS_METADATA_DISABLED";
/// `true` forbids plain (IMDSv1) metadata requests when no IMDSv2 token can be had.
pub const IMDS_V1_DISABLED_VARIABLE: &str = "ALIBABA_CLOUD_IMDSV1_DISABLED";
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

    /// The first of `names` that is set to a non-empty value, with the name it came from. When a
    /// later name is set to a different value too, the choice is logged (never the values).
    fn first_non_empty(&self, names: &[&'static str]) -> Option<(&'static str, String)> {
        let mut found: Option<(&'static str, String)> = None;
        for name in names {
            let Some(value) = self.non_empty(name) else {
                continue;
            };
            match &found {
                None => found = Some((name, value)),
                Some((chosen, chosen_value)) if *chosen_value != value => {
                    tracing::info!(
                        used = chosen,
                        ignored = name,
                        "two environment variables for the same setting differ; the first is used"
                    );
                }
                Some(_) => {}
            }
        }
        found
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
