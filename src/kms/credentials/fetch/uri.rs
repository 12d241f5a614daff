//! Temporary credentials from a credentials URL (`credentialsUri`, `ALIBABA_CLOUD_CREDENTIALS_URI`,
//! a `CredentialsURI` profile): `GET <uri>` answers `{AccessKeyId, AccessKeySecret,
//! SecurityToken, Expiration}` (and, from some services, `Code: "Success"`).

use std::time::Duration;

use super::{
    credentials_error, describe_fetch_failure, parse_credentials_document, with_retries,
    FetchContext,
};
use crate::kms::credentials::error::CredentialsError;
use crate::kms::endpoint::url_origin;
use crate::kms::error::KmsError;
use crate::kms::options::CallOptions;
use crate::kms::secret::redact_secrets;
use crate::kms::sts::TemporaryCredentials;
use crate::kms::transport::{HttpMethod, WireRequest};

/// How long one credentials-URL request may take.
const URI_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Credentials from a credentials URL.
pub(crate) async fn uri_credentials(
    context: &FetchContext,
    uri: &str,
    options: &CallOptions,
) -> Result<TemporaryCredentials, KmsError> {
    const ACTION: &str = "GetCredentialsFromUri";
    // The URL may hold a token anywhere but in its origin: only that is ever quoted.
    let redacted = url_origin(uri).unwrap_or_else(|| "(not an http or https URL)".to_owned());
    let transport = context.elsewhere(uri.to_owned(), redacted.clone());
    let result = with_retries(
        ACTION,
        context,
        None,
        options,
        |error| redact_secrets(&error.to_string(), &[uri]),
        || async {
            let reply = transport
                .send(WireRequest {
                    action: ACTION,
                    method: HttpMethod::Get,
                    path: String::new(),
                    query: String::new(),
                    form_body: None,
                    headers: Vec::new(),
                    timeout: Some(URI_REQUEST_TIMEOUT),
                })
                .await?;
            parse_credentials_document(ACTION, reply.status, &reply.body)
        },
    )
    .await;
    result.map_err(|error| match error {
        KmsError::DeadlineExceeded { .. } | KmsError::Cancelled { .. } => error,
        other => credentials_error(CredentialsError::Unavailable {
            credential: format!("credentials from the credentials URI {redacted}"),
            problem: describe_fetch_failure(&other),
            advice:
                "check credentialsUri (or ALIBABA_CLOUD_CREDENTIALS_URI) and the service behind it"
                    .to_owned(),
        }),
    })
}
