//! Credentials of an OAuth login of the CLI, as the credentials library obtains them
//! (`provider/oauth.py`, `provider/cli_profile.py`):
//!
//! - the temporary key the last exchange stored in the profile, while it is valid;
//! - else, when the access token is missing or has 20 minutes or less left and there is a
//!   refresh token, `POST <site>/v1/token` with the form `grant_type=refresh_token`,
//!   `refresh_token`, `client_id`, `Timestamp`, which answers `{"access_token",
//!   "refresh_token", "expires_in"}`;
//! - then `POST <site>/v1/exchange` with `Authorization: Bearer <access token>`, which answers
//!   `{"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}`.
//!
//! A refresh may replace the refresh token, so after one the new tokens and key are written
//! back to the profile, as the library and the CLI do: only that profile's token fields
//! change, under an exclusive `flock` of the file, through a temporary file in the same
//! directory with the file's mode, renamed over it. Without a usable token the error says to log
//! in again with the CLI. Errors give the HTTP status and `RequestId`, never the service's
//! message (the request carried a token).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::cli_login::{
    bearer_headers, live_token, relogin_advice, request_id, stored_while_valid, LoginService,
};
use super::{credentials_error, credentials_from_document, FetchContext};
use crate::kms::credentials::error::CredentialsError;
use crate::kms::credentials::plan::{OAuthLogin, StoredSts};
use crate::kms::error::KmsError;
use crate::kms::local_file::{file_kind, read_regular_file, ReadRules};
use crate::kms::options::CallOptions;
use crate::kms::secret::{value_problem, SecretString};
use crate::kms::signer::{encode_pairs, format_timestamp};
use crate::kms::sts::TemporaryCredentials;

/// Refresh the access token when it has this many seconds or fewer left (the library's 1,200).
const REFRESH_MARGIN_SECONDS: i64 = 1200;
/// The access token's lifetime when the service does not say (the library's default).
const DEFAULT_EXPIRES_IN_SECONDS: i64 = 3600;
/// How long to wait for the CLI file's lock before giving up writing the tokens back.
const LOCK_WAIT: Duration = Duration::from_secs(2);

#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    refresh_token: String,
    #[serde(default)]
    expires_in: Option<i64>,
}

/// The login's credentials; `login` is updated with what a refresh and an exchange give.
pub(crate) async fn oauth_credentials(
    context: &FetchContext,
    login: &mut OAuthLogin,
    options: &CallOptions,
) -> Result<TemporaryCredentials, KmsError> {
    let now = context.stamps.utc_now().timestamp();
    if let Some(stored) = stored_while_valid(login.stored.as_ref(), now) {
        return Ok(stored);
    }
    let name = format!("the OAuth login of profile {:?}", login.profile);
    let relogin = relogin_advice(&login.profile, "OAuth");
    let site = context
        .oauth_endpoint
        .clone()
        .unwrap_or_else(|| login.sign_in_url.clone());
    let service = LoginService::at(context, &site).ok_or_else(|| {
        credentials_error(CredentialsError::InvalidSetting {
            setting: "oauth_site_type".to_owned(),
            place: format!("profile {:?}", login.profile),
            problem: "its sign-in URL is not an http(s) URL".to_owned(),
        })
    })?;

    let access_token_usable = login.access_token.is_some()
        && login.access_token_expires_at - now > REFRESH_MARGIN_SECONDS;
    let mut refreshed = false;
    if !access_token_usable {
        if let Some(refresh_token) = login.refresh_token.clone() {
            let reply = refresh(context, &service, login.client_id, &refresh_token, options)
                .await
                .map_err(|error| service.failure(&name, &relogin, error))?;
            login.access_token = Some(SecretString::new(reply.access_token));
            login.refresh_token = Some(SecretString::new(reply.refresh_token));
            login.access_token_expires_at = context.stamps.utc_now().timestamp()
                + reply.expires_in.unwrap_or(DEFAULT_EXPIRES_IN_SECONDS);
            refreshed = true;
        }
    }
    let access_token = live_token(
        login.access_token.as_ref(),
        login.access_token_expires_at,
        now,
        &name,
        &relogin,
    )?;
    let fresh = service
        .post(
            context,
            options,
            EXCHANGE,
            "v1/exchange",
            String::new(),
            bearer_headers(&access_token),
        )
        .await
        .and_then(|(status, document)| {
            if document.get("error").is_some() {
                return Err(KmsError::InvalidResponse {
                    action: EXCHANGE,
                    request_id: request_id(&document),
                    http_status: 401,
                    problem: "the service refused to exchange the token".to_owned(),
                });
            }
            credentials_from_document(EXCHANGE, status, &document)
        })
        .map_err(|error| service.failure(&name, &relogin, error))?;
    login.stored = Some(StoredSts {
        credentials: fresh.credentials.clone(),
        expires_at: fresh.expiration.timestamp(),
    });
    if refreshed {
        let path = login.profile_file.clone();
        let written = write_back(path.clone(), login.clone()).await;
        if let Err(problem) = written {
            tracing::warn!(file = %path.display(), "the refreshed OAuth tokens could not be written back to the CLI file ({problem}); if the CLI stops working, log in again with it");
        }
    }
    Ok(fresh)
}

/// The action names in messages and retry events.
const REFRESH: &str = "RefreshOAuthToken";
const EXCHANGE: &str = "ExchangeOAuthToken";

async fn refresh(
    context: &FetchContext,
    service: &LoginService,
    client_id: &str,
    refresh_token: &SecretString,
    options: &CallOptions,
) -> Result<TokenReply, KmsError> {
    let form = encode_pairs(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.expose_secret()),
        ("client_id", client_id),
        ("Timestamp", &format_timestamp(context.stamps.utc_now())),
    ]);
    let (status, document) = service
        .post(context, options, REFRESH, "v1/token", form, Vec::new())
        .await?;
    let invalid = |problem: &str| KmsError::InvalidResponse {
        action: REFRESH,
        request_id: request_id(&document),
        http_status: status,
        problem: problem.to_owned(),
    };
    let tokens: TokenReply = serde_json::from_value(document.clone())
        .map_err(|_| invalid("it lacks access_token or refresh_token"))?;
    if [&tokens.access_token, &tokens.refresh_token]
        .iter()
        .any(|token| token.is_empty() || value_problem(token).is_some())
    {
        return Err(invalid("a token it gave is empty or not a valid token"));
    }
    Ok(tokens)
}

/// Writes the login's tokens and key back to its profile (see the module docs), on a blocking
/// thread.
async fn write_back(path: PathBuf, login: OAuthLogin) -> Result<(), String> {
    tokio::task::spawn_blocking(move || write_back_blocking(&path, &login))
        .await
        .unwrap_or_else(|error| Err(error.to_string()))
}

fn write_back_blocking(path: &Path, login: &OAuthLogin) -> Result<(), String> {
    let target = std::fs::canonicalize(path).map_err(|error| error.to_string())?;
    // Opened as the hardened reader opens (never waiting on a FIFO swapped in meanwhile), to lock.
    let lock_file = rustix::fs::open(
        &target,
        rustix::fs::OFlags::RDONLY
            | rustix::fs::OFlags::NONBLOCK
            | rustix::fs::OFlags::NOCTTY
            | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map(std::fs::File::from)
    .map_err(|errno| errno.to_string())?;
    let opened = lock_file.metadata().map_err(|error| error.to_string())?;
    if let Some(found) = file_kind(&opened) {
        return Err(format!("it is {found}, not a regular file"));
    }
    let started = std::time::Instant::now();
    loop {
        match rustix::fs::flock(
            &lock_file,
            rustix::fs::FlockOperation::NonBlockingLockExclusive,
        ) {
            Ok(()) => break,
            Err(rustix::io::Errno::WOULDBLOCK) if started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(errno) => return Err(format!("the file is locked ({errno})")),
        }
    }
    let contents = read_regular_file(&target, ReadRules::CREDENTIAL_FILE)
        .map_err(|problem| problem.to_string())?;
    let mode = std::os::unix::fs::PermissionsExt::mode(&contents.metadata.permissions()) & 0o777;
    let mut document: Value = serde_json::from_slice(&contents.bytes)
        .map_err(|_| "it is not JSON any more".to_owned())?;
    let profile = document
        .get_mut("profiles")
        .and_then(Value::as_array_mut)
        .and_then(|profiles| {
            profiles
                .iter_mut()
                .find(|profile| profile.get("name").and_then(Value::as_str) == Some(&login.profile))
        })
        .and_then(Value::as_object_mut)
        .ok_or_else(|| format!("it has no profile {:?} any more", login.profile))?;
    let secret = |value: &Option<SecretString>| {
        Value::String(
            value
                .as_ref()
                .map(|value| value.expose_secret().to_owned())
                .unwrap_or_default(),
        )
    };
    profile.insert("oauth_access_token".to_owned(), secret(&login.access_token));
    profile.insert(
        "oauth_refresh_token".to_owned(),
        secret(&login.refresh_token),
    );
    profile.insert(
        "oauth_access_token_expire".to_owned(),
        Value::from(login.access_token_expires_at),
    );
    if let Some(stored) = &login.stored {
        profile.insert(
            "access_key_id".to_owned(),
            Value::String(stored.credentials.access_key_id.clone()),
        );
        profile.insert(
            "access_key_secret".to_owned(),
            Value::String(
                stored
                    .credentials
                    .access_key_secret
                    .expose_secret()
                    .to_owned(),
            ),
        );
        profile.insert(
            "sts_token".to_owned(),
            secret(&stored.credentials.security_token),
        );
        profile.insert("sts_expiration".to_owned(), Value::from(stored.expires_at));
    }
    let text = serde_json::to_vec_pretty(&document).map_err(|error| error.to_string())?;
    let directory = target.parent().ok_or("it has no directory")?;
    let mut staged =
        tempfile::NamedTempFile::new_in(directory).map_err(|error| error.to_string())?;
    std::fs::set_permissions(
        staged.path(),
        std::os::unix::fs::PermissionsExt::from_mode(mode),
    )
    .map_err(|error| error.to_string())?;
    std::io::Write::write_all(&mut staged, &text).map_err(|error| error.to_string())?;
    staged
        .as_file()
        .sync_all()
        .map_err(|error| error.to_string())?;
    staged
        .persist(&target)
        .map_err(|error| error.error.to_string())?;
    Ok(())
}
