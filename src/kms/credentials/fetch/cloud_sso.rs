//! Credentials of a CloudSSO login of the CLI, as the credentials library and the CLI obtain
//! them (`provider/cloud_sso.py`; aliyun-cli `config/profile.go`):
//!
//! - the temporary key the last login stored in the profile, while it is valid;
//! - else, with the portal's access token (refused when missing or expired: only the CLI can log
//!   in, in a browser), `POST <portal>/cloud-credentials` with `Authorization: Bearer <token>`
//!   and the JSON body `{"AccountId", "AccessConfigurationId"}`, which answers
//!   `{"CloudCredential": {"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}}`.
//!
//! The provider never writes the CLI's file for CloudSSO: the CLI refreshes its own store.
//! Errors give the HTTP status and the portal's `RequestId`, never its message (the request
//! carried a token).

use serde_json::Value;

use super::cli_login::{
    bearer_headers, live_token, relogin_advice, stored_while_valid, LoginService,
};
use super::{credentials_error, credentials_from_document, FetchContext};
use crate::kms::credentials::error::CredentialsError;
use crate::kms::credentials::plan::CloudSsoLogin;
use crate::kms::error::KmsError;
use crate::kms::options::CallOptions;
use crate::kms::sts::TemporaryCredentials;

/// The action name in messages and retry events.
const ACTION: &str = "GetCloudSsoCredentials";

/// The login's credentials.
pub(crate) async fn cloud_sso_credentials(
    context: &FetchContext,
    login: &CloudSsoLogin,
    options: &CallOptions,
) -> Result<TemporaryCredentials, KmsError> {
    let now = context.stamps.utc_now().timestamp();
    if let Some(stored) = stored_while_valid(login.stored.as_ref(), now) {
        return Ok(stored);
    }
    let name = format!("the CloudSSO login of profile {:?}", login.profile);
    let relogin = relogin_advice(&login.profile, "CloudSSO");
    let access_token = live_token(
        login.access_token.as_ref(),
        login.access_token_expires_at,
        now,
        &name,
        &relogin,
    )?;
    let portal = LoginService::at(context, &login.sign_in_url).ok_or_else(|| {
        credentials_error(CredentialsError::InvalidSetting {
            setting: "cloud_sso_sign_in_url".to_owned(),
            place: format!("profile {:?}", login.profile),
            problem: "it must be an http:// or https:// URL".to_owned(),
        })
    })?;
    let body = serde_json::json!({
        "AccountId": login.account_id,
        "AccessConfigurationId": login.access_configuration_id,
    })
    .to_string();
    let answer = portal
        .post(
            context,
            options,
            ACTION,
            "cloud-credentials",
            body,
            bearer_headers(&access_token),
        )
        .await
        .and_then(|(status, document)| {
            let credential = document.get("CloudCredential").unwrap_or(&Value::Null);
            credentials_from_document(ACTION, status, credential)
        });
    answer.map_err(|error| portal.failure(&name, &relogin, error))
}
