//! Methods that exist only for the transcript tests, so that "a slow request", "a request in
//! flight at EOF", "a log notification", "a handler that panics" and "an operation that holds a
//! staged key file and outlives any grace period" can be produced on demand through the real
//! binary, without timing games. They are registered only when
//! `ALICLOUD_KMS_PROVIDER_TEST_HOOKS=1` and are not part of the contract.

use std::path::PathBuf;
use std::time::Duration;

use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::RpcModule;

use crate::provider::{Provider, ProviderError};
use crate::resources::client_key::key_file::StagedKeyFile;
use crate::resources::{LogSeverity, ResourceError};

use super::params::ParamReader;
use super::types::EmptyReply;

/// The environment variable that turns the hooks on; the provider's short-retry hook reads the
/// same one, so it is declared once, next to that hook.
pub use crate::provider::kms_options::TEST_HOOKS_VARIABLE;

pub(super) fn register_test_hooks(module: &mut RpcModule<Provider>) {
    let registered = "every test hook is registered once";

    // Waits for `milliseconds`, or until `cancel`.
    module
        .register_async_method("test/sleep", |params, provider, _| async move {
            let milliseconds = ParamReader::parse("test/sleep", params.as_str())
                .and_then(|mut reader| reader.optional_integer("milliseconds"))
                .map_err(|error| ProviderError::from(error).to_error_object())?
                .unwrap_or(0)
                .clamp(0, 60_000);
            let cancellation = provider.cancellation_token();
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(milliseconds as u64)) => {
                    Ok::<_, ErrorObjectOwned>(serde_json::json!({ "sleptMilliseconds": milliseconds }))
                }
                () = cancellation.cancelled() => Err(cancelled("test/sleep")),
            }
        })
        .expect(registered);

    // Finishes only when the engine sends `cancel`, with the `cancelled` error.
    module
        .register_async_method("test/waitForCancel", |_, provider, _| async move {
            provider.cancellation_token().cancelled().await;
            Err::<EmptyReply, _>(cancelled("test/waitForCancel"))
        })
        .expect(registered);

    // Sends one `log` notification to the engine.
    module
        .register_method("test/log", |params, provider, _| {
            let mut reader = ParamReader::parse("test/log", params.as_str())
                .map_err(|error| ProviderError::from(error).to_error_object())?;
            let read = |reader: &mut ParamReader, name| {
                reader
                    .optional_string(name)
                    .map_err(|error| ProviderError::from(error).to_error_object())
            };
            let severity = match read(&mut reader, "severity")?.as_deref() {
                Some("debug") => LogSeverity::Debug,
                Some("warning") => LogSeverity::Warning,
                Some("error") => LogSeverity::Error,
                _ => LogSeverity::Info,
            };
            let message = read(&mut reader, "message")?.unwrap_or_default();
            let urn = read(&mut reader, "urn")?;
            provider.engine_log().log(severity, message, urn.as_deref());
            Ok::<_, ErrorObjectOwned>(EmptyReply {})
        })
        .expect(registered);

    // Stages a key file next to `path`, as a create does before it calls KMS, then never
    // finishes, not even on `cancel`: what a shutdown finds when an operation outlives the grace
    // period. The staged file must be gone after the exit.
    module
        .register_async_method("test/stageKeyFileAndHang", |params, _, _| async move {
            let path = ParamReader::parse("test/stageKeyFileAndHang", params.as_str())
                .and_then(|mut reader| reader.optional_string("path"))
                .map_err(|error| ProviderError::from(error).to_error_object())?
                .unwrap_or_default();
            let staged = StagedKeyFile::create(PathBuf::from(path))
                .await
                .map_err(|error| ErrorObjectOwned::owned(-32603, error.reason, None::<()>))?;
            std::future::pending::<()>().await;
            drop(staged);
            Ok::<_, ErrorObjectOwned>(EmptyReply {})
        })
        .expect(registered);

    // Panics inside a handler, to show the transport answers -32603 and keeps serving.
    module
        .register_method(
            "test/panic",
            |_, _, _| -> Result<EmptyReply, ErrorObjectOwned> {
                panic!("the test/panic hook panics on purpose")
            },
        )
        .expect(registered);
}

fn cancelled(operation: &'static str) -> ErrorObjectOwned {
    ProviderError::from(ResourceError::Cancelled {
        operation,
        message: "nothing was changed; run it again when ready".to_owned(),
    })
    .to_error_object()
}
