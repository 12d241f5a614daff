//! Temporary credentials from STS: `AssumeRole` signed with the credentials beneath a role, and
//! `AssumeRoleWithOIDC` with the platform's OIDC token, each under the shared retry loop.

use std::path::PathBuf;

use super::{credentials_error, credentials_from_document, with_retries, FetchContext};
use crate::kms::credentials::error::CredentialsError;
use crate::kms::credentials::plan::{AssumeRole, Credentials, OidcRole, OidcToken};
use crate::kms::error::KmsError;
use crate::kms::local_file::{read_regular_file, ReadRules};
use crate::kms::options::CallOptions;
use crate::kms::response::decode_reply;
use crate::kms::secret::{secret_forms, value_problem, SecretString};
use crate::kms::signer::format_timestamp;
use crate::kms::sts::{
    assume_role_request, assume_role_with_oidc_request, refusal, StsContext, StsReply, StsRequest,
    TemporaryCredentials,
};
use crate::kms::transport::{HttpMethod, Transport, WireRequest};
/// A failure worded for STS (the KMS wording says "kms").
fn describe_sts_failure(error: &KmsError) -> String {
    match error {
        KmsError::Service {
            action,
            code,
            request_id,
            http_status,
            ..
        } => format!(
            "sts refused {action}: {code} (http {http_status}, request id {})",
            request_id.as_deref().unwrap_or("unknown")
        ),
        KmsError::Transport { host, reason, .. } => {
            format!("could not reach sts at {host}: {reason}")
        }
        KmsError::InvalidResponse {
            problem,
            http_status,
            ..
        } => format!(
            "sts answered with something that is not credentials (http {http_status}): {problem}"
        ),
        other => other.to_string(),
    }
}

/// Turns the final failure of an STS exchange into the error the operation reports. Deadline and
/// cancellation stay what they are, so the operation reports them as such.
fn sts_failure(error: KmsError, context: &StsContext<'_>, host: &str) -> KmsError {
    if matches!(
        error,
        KmsError::DeadlineExceeded { .. } | KmsError::Cancelled { .. } | KmsError::Credentials(_)
    ) {
        return error;
    }
    if let Some(refused) = refusal(&error, context) {
        return credentials_error(refused);
    }
    credentials_error(CredentialsError::Unavailable {
        credential: format!("credentials for role {} from sts at {host}", context.role_arn),
        problem: describe_sts_failure(&error),
        advice: "check stsEndpoint (or ALIBABA_CLOUD_STS_ENDPOINT), the network and any proxy, then try again".to_owned(),
    })
}

async fn send_sts(
    transport: &Transport,
    request: StsRequest,
    secrets: &[&str],
) -> Result<TemporaryCredentials, KmsError> {
    let wire = WireRequest {
        action: request.action,
        method: HttpMethod::Post,
        path: String::new(),
        query: request.encoded_query(),
        form_body: Some(request.encoded_body()),
        headers: Vec::new(),
        timeout: None,
    };
    let reply = transport.send(wire).await?;
    let decoded: StsReply = decode_reply(request.action, reply.status, &reply.body, secrets)?;
    let document = serde_json::json!({
        "AccessKeyId": decoded.credentials.access_key_id,
        "AccessKeySecret": decoded.credentials.access_key_secret.expose_secret(),
        "SecurityToken": decoded.credentials.security_token.expose_secret(),
        "Expiration": decoded.credentials.expiration,
    });
    credentials_from_document(request.action, reply.status, &document).map_err(
        |error| match error {
            KmsError::InvalidResponse {
                action,
                http_status,
                problem,
                ..
            } => KmsError::InvalidResponse {
                action,
                request_id: decoded.request_id.clone(),
                http_status,
                problem,
            },
            other => other,
        },
    )
}

/// `AssumeRole` with `caller`'s credentials.
pub(crate) async fn assume_role(
    context: &FetchContext,
    role: &AssumeRole,
    caller: &Credentials,
    role_source: &str,
    caller_description: &str,
    options: &CallOptions,
) -> Result<TemporaryCredentials, KmsError> {
    let mut secrets: Vec<&str> = vec![caller.access_key_secret.expose_secret()];
    secrets.extend(
        caller
            .security_token
            .as_ref()
            .map(|token| token.expose_secret()),
    );
    secrets.extend(role.external_id.as_ref().map(|id| id.expose_secret()));
    let forms = secret_forms(secrets.into_iter());
    let forms: Vec<&str> = forms.iter().map(String::as_str).collect();
    let transport = context.sts_of(role.sts_endpoint.as_deref());
    let sts_context = StsContext {
        action: crate::kms::sts::ASSUME_ROLE,
        role_arn: &role.role_arn,
        role_source: role_source.to_owned(),
        proof: caller_description.to_owned(),
        token_sent: caller.security_token.is_some(),
    };
    let result = with_retries(
        crate::kms::sts::ASSUME_ROLE,
        context,
        None,
        options,
        describe_sts_failure,
        || {
            let stamps = &context.stamps;
            let request = assume_role_request(
                role,
                caller,
                &format_timestamp(stamps.utc_now()),
                &stamps.fresh_nonce(),
            );
            send_sts(&transport, request, &forms)
        },
    )
    .await;
    result.map_err(|error| sts_failure(error, &sts_context, transport.host()))
}

/// `AssumeRoleWithOIDC`, reading a token file again for every attempt.
pub(crate) async fn assume_role_with_oidc(
    context: &FetchContext,
    role: &OidcRole,
    role_source: &str,
    options: &CallOptions,
) -> Result<TemporaryCredentials, KmsError> {
    let proof = match &role.token {
        OidcToken::File(path) => path.display().to_string(),
        OidcToken::Inline(_) => {
            "the OIDC token of the settings (oidcToken or ALIBABA_CLOUD_OIDC_TOKEN)".to_owned()
        }
    };
    let transport = context.sts_of(role.sts_endpoint.as_deref());
    let sts_context = StsContext {
        action: crate::kms::sts::ASSUME_ROLE_WITH_OIDC,
        role_arn: &role.role_arn,
        role_source: role_source.to_owned(),
        proof,
        token_sent: true,
    };
    let result = with_retries(
        crate::kms::sts::ASSUME_ROLE_WITH_OIDC,
        context,
        None,
        options,
        describe_sts_failure,
        || async {
            let token = match &role.token {
                OidcToken::File(path) => read_oidc_token(path.clone()).await?,
                OidcToken::Inline(token) => token.clone(),
            };
            let forms = secret_forms(std::iter::once(token.expose_secret()));
            let forms: Vec<&str> = forms.iter().map(String::as_str).collect();
            let request = assume_role_with_oidc_request(
                role,
                token.expose_secret(),
                &format_timestamp(context.stamps.utc_now()),
            );
            send_sts(&transport, request, &forms).await
        },
    )
    .await;
    result.map_err(|error| sts_failure(error, &sts_context, transport.host()))
}

/// The largest OIDC token file read (a JWT is a few KB).
const MAX_OIDC_TOKEN_BYTES: u64 = 64 * 1024;

/// Reads the token file through the hardened reader, on a blocking thread: a FIFO, a device or
/// a huge file at the path is named, never waited on; a token with a line break inside is not a
/// token.
async fn read_oidc_token(path: PathBuf) -> Result<SecretString, KmsError> {
    let read_path = path.clone();
    let read = tokio::task::spawn_blocking(move || -> Result<SecretString, String> {
        let rules = ReadRules {
            max_bytes: MAX_OIDC_TOKEN_BYTES,
            follow_symlinks: true,
        };
        let contents =
            read_regular_file(&read_path, rules).map_err(|problem| problem.to_string())?;
        let token =
            String::from_utf8(contents.bytes).map_err(|_| "is not UTF-8 text".to_owned())?;
        let token = token.trim();
        if token.is_empty() {
            return Err("is empty".to_owned());
        }
        if let Some(problem) = value_problem(token) {
            return Err(format!(
                "holds a token that {problem}, so it is not a valid OIDC token"
            ));
        }
        Ok(SecretString::new(token))
    })
    .await
    .unwrap_or_else(|error| Err(format!("could not be read ({error})")));
    read.map_err(|problem| credentials_error(CredentialsError::OidcTokenFile { path, problem }))
}
