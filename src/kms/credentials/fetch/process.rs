//! Credentials printed by a program: a CLI profile in `External` mode names it
//! (`process_command`), and the program prints a JSON object on stdout, as the credentials
//! library reads it (`provider/external.py`): `{"mode": "AK" | "StsToken", "access_key_id",
//! "access_key_secret", "sts_token", "expiration": "2025-01-01T00:00:00Z"}`.
//!
//! The program runs without a shell, with stdin closed (the provider's stdin is the protocol),
//! its stdout and stderr captured and bounded, under a 60-second limit (the library's) and the
//! operation's deadline and cancellation; it is killed when any of them ends it. An error
//! quotes at most the program's stderr, cut short, and never its stdout, which holds the secret.

use std::process::Stdio;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt};

use super::credentials_error;
use crate::kms::credentials::chain::roles::static_key;
use crate::kms::credentials::error::CredentialsError;
use crate::kms::credentials::plan::Credentials;
use crate::kms::error::KmsError;
use crate::kms::options::CallOptions;
use crate::kms::sts::parse_expiration;

/// How long the program may run (the credentials library's limit).
const PROGRAM_TIMEOUT: Duration = Duration::from_secs(60);
/// The most stdout read (the JSON is a few hundred bytes).
const MAX_OUTPUT_BYTES: u64 = 64 * 1024;
/// The most stderr kept for the error message.
const MAX_ERROR_OUTPUT_BYTES: u64 = 4 * 1024;
/// The most of stderr quoted.
const QUOTED_ERROR_CHARACTERS: usize = 500;

#[derive(Deserialize)]
struct Printed {
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    access_key_id: Option<String>,
    #[serde(default)]
    access_key_secret: Option<String>,
    #[serde(default)]
    sts_token: Option<String>,
    #[serde(default)]
    expiration: Option<String>,
}

/// Runs the program; its credentials, and when they expire (none: a static key).
pub(crate) async fn external_credentials(
    command: &[String],
    source: &str,
    options: &CallOptions,
) -> Result<(Credentials, Option<DateTime<Utc>>), KmsError> {
    let fail = |problem: String| {
        credentials_error(CredentialsError::Unavailable {
            credential: format!("credentials from the external program of {source}"),
            problem,
            advice:
                "check process_command in the profile, and run it by hand to see what it prints"
                    .to_owned(),
        })
    };
    let Some((program, arguments)) = command.split_first() else {
        return Err(fail("process_command is empty".to_owned()));
    };
    let mut child = tokio::process::Command::new(program)
        .args(arguments)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| fail(format!("the program could not be started ({error})")))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let run = async {
        let (output, errors, status) = tokio::join!(
            read_bounded(stdout, MAX_OUTPUT_BYTES),
            read_bounded(stderr, MAX_ERROR_OUTPUT_BYTES),
            child.wait()
        );
        (output, errors, status)
    };
    let (output, errors, status) = tokio::select! {
        biased;
        () = options.cancellation.cancelled() => {
            return Err(KmsError::Cancelled { action: "RunCredentialsProgram", attempts: 1, request_in_flight: true });
        }
        () = tokio::time::sleep_until(options.deadline) => {
            return Err(KmsError::DeadlineExceeded { action: "RunCredentialsProgram", attempts: 1, request_in_flight: true, last_failure: None, last_request_id: None });
        }
        () = tokio::time::sleep(PROGRAM_TIMEOUT) => {
            return Err(fail(format!("the program did not finish within {} s and was stopped", PROGRAM_TIMEOUT.as_secs())));
        }
        finished = run => finished,
    };
    let status =
        status.map_err(|error| fail(format!("waiting for the program failed ({error})")))?;
    if !status.success() {
        let errors = quoted_errors(&errors.unwrap_or_default());
        let code = status
            .code()
            .map_or_else(|| "a signal".to_owned(), |code| format!("status {code}"));
        return Err(fail(if errors.is_empty() {
            format!("the program exited with {code}")
        } else {
            format!("the program exited with {code}; its stderr: {errors}")
        }));
    }
    let output = output.map_err(|()| {
        fail(format!(
            "the program printed more than {MAX_OUTPUT_BYTES} bytes"
        ))
    })?;
    let printed: Printed = serde_json::from_slice(&output).map_err(|_| {
        fail("the program did not print a JSON object (its output is not quoted: it may hold a secret)".to_owned())
    })?;
    let (Some(id), Some(secret)) = (
        printed.access_key_id.filter(|id| !id.is_empty()),
        printed
            .access_key_secret
            .filter(|secret| !secret.is_empty()),
    ) else {
        return Err(fail(
            "its output lacks access_key_id or access_key_secret".to_owned(),
        ));
    };
    let token = printed.sts_token.filter(|token| !token.is_empty());
    if printed.mode.as_deref() == Some("StsToken") && token.is_none() {
        return Err(fail(
            "its output is mode StsToken without sts_token".to_owned(),
        ));
    }
    let expiration = match printed.expiration.filter(|text| !text.is_empty()) {
        Some(text) => Some(
            parse_expiration(&text)
                .ok_or_else(|| fail("its expiration is not a time".to_owned()))?,
        ),
        None => None,
    };
    let place = format!("the output of the external program of {source}");
    let credentials =
        static_key(&place, &id, &secret, token.as_deref()).map_err(credentials_error)?;
    Ok((credentials, expiration))
}

/// Reads at most `limit` bytes; `Err` when there is more (the rest is drained, so the program is
/// never blocked on a full pipe).
async fn read_bounded(mut reader: impl AsyncRead + Unpin, limit: u64) -> Result<Vec<u8>, ()> {
    let mut kept = Vec::new();
    let mut buffer = [0u8; 8192];
    let mut too_much = false;
    loop {
        match reader.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => {
                if kept.len() as u64 + read as u64 > limit {
                    too_much = true;
                } else {
                    kept.extend_from_slice(&buffer[..read]);
                }
            }
        }
    }
    if too_much {
        Err(())
    } else {
        Ok(kept)
    }
}

/// The program's stderr as one short line: control characters become spaces, and it is cut at
/// [`QUOTED_ERROR_CHARACTERS`].
fn quoted_errors(errors: &[u8]) -> String {
    let text = String::from_utf8_lossy(errors);
    let line: String = text
        .trim()
        .chars()
        .map(|character| {
            if character.is_control() {
                ' '
            } else {
                character
            }
        })
        .take(QUOTED_ERROR_CHARACTERS)
        .collect();
    line.trim().to_owned()
}
