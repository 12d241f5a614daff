//! Temporary credentials from STS: `AssumeRole` signed with the credentials beneath a role, and
//! `AssumeRoleWithOIDC` with the platform's OIDC token, each under the shared retry loop.

use super::{credentials_error, with_retries, FetchContext};
use crate::kms::credentials::error::CredentialsError;
use crate::kms::credentials::plan::{AssumeRole, Credentials, OidcRole};
use crate::kms::error::KmsError;
use crate::kms::options::CallOptions;
use crate::kms::response::decode_reply;
use crate::kms::secret::secret_forms;
use crate::kms::signer::format_timestamp;
use crate::kms::sts::{
    assume_role_request, assume_role_with_oidc_request, parse_expiration, refusal, StsContext,
    StsReply, StsRequest, TemporaryCredentials,
};
use crate::kms::transport::{HttpMethod, WireRequest};
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
    context: &FetchContext,
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
    let reply = context.sts.send(wire).await?;
    let decoded: StsReply = decode_reply(request.action, reply.status, &reply.body, secrets)?;
    let expiration = parse_expiration(&decoded.credentials.expiration).ok_or_else(|| {
        KmsError::InvalidResponse {
            action: request.action,
            request_id: decoded.request_id.clone(),
            http_status: reply.status,
            problem: "Credentials.Expiration is not a time".to_owned(),
        }
    })?;
    Ok(TemporaryCredentials {
        credentials: Credentials {
            access_key_id: decoded.credentials.access_key_id,
            access_key_secret: decoded.credentials.access_key_secret,
            security_token: Some(decoded.credentials.security_token),
        },
        expiration,
    })
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
    let sts_context = StsContext {
        action: crate::kms::sts::ASSUME_ROLE,
        role_arn: &role.role_arn,
        role_source: role_source.to_owned(),
        proof: caller_description.to_owned(),
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
            send_sts(context, request, &forms)
        },
    )
    .await;
    result.map_err(|error| sts_failure(error, &sts_context, context.sts.host()))
}

/// `AssumeRoleWithOIDC`, reading the token file again for every attempt.
pub(crate) async fn assume_role_with_oidc(
    context: &FetchContext,
    role: &OidcRole,
    role_source: &str,
    options: &CallOptions,
) -> Result<TemporaryCredentials, KmsError> {
    let token_file = role.token_file.display().to_string();
    let sts_context = StsContext {
        action: crate::kms::sts::ASSUME_ROLE_WITH_OIDC,
        role_arn: &role.role_arn,
        role_source: role_source.to_owned(),
        proof: token_file.clone(),
    };
    let result = with_retries(
        crate::kms::sts::ASSUME_ROLE_WITH_OIDC,
        context,
        None,
        options,
        describe_sts_failure,
        || async {
            let token = read_oidc_token(role).await?;
            let forms = secret_forms(std::iter::once(token.as_str()));
            let forms: Vec<&str> = forms.iter().map(String::as_str).collect();
            let request = assume_role_with_oidc_request(
                role,
                &token,
                &format_timestamp(context.stamps.utc_now()),
            );
            send_sts(context, request, &forms).await
        },
    )
    .await;
    result.map_err(|error| sts_failure(error, &sts_context, context.sts.host()))
}

/// The largest OIDC token file read (a JWT is a few KB).
const MAX_OIDC_TOKEN_BYTES: u64 = 64 * 1024;

/// Reads the token file: only a regular file of bounded size, so a FIFO or a device at the path
/// cannot stall the runtime and a huge file is not read into memory.
async fn read_oidc_token(role: &OidcRole) -> Result<String, KmsError> {
    let read = || -> Result<String, String> {
        let metadata = std::fs::metadata(&role.token_file).map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => "the file does not exist".to_owned(),
            _ => error.to_string(),
        })?;
        if !metadata.is_file() {
            return Err("it is not a regular file".to_owned());
        }
        if metadata.len() > MAX_OIDC_TOKEN_BYTES {
            return Err(format!("it is larger than {MAX_OIDC_TOKEN_BYTES} bytes"));
        }
        let token =
            std::fs::read_to_string(&role.token_file).map_err(|error| match error.kind() {
                std::io::ErrorKind::InvalidData => "the file is not UTF-8 text".to_owned(),
                _ => error.to_string(),
            })?;
        let token = token.trim();
        if token.is_empty() {
            return Err("the file is empty".to_owned());
        }
        Ok(token.to_owned())
    };
    let problem = match read() {
        Ok(token) => return Ok(token),
        Err(problem) => problem,
    };
    Err(credentials_error(CredentialsError::OidcTokenFile {
        path: role.token_file.clone(),
        problem,
    }))
}
