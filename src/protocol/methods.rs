//! The method table: each handler decodes its params, calls the provider, and encodes the result.
//! Handlers hold no logic of their own.

use std::sync::Arc;

use jsonrpc_stdio::{register_prebuilt_method, PrebuiltResult};

use jsonrpsee::core::RegisterMethodError;
use jsonrpsee::types::{ErrorObjectOwned, Params};
use jsonrpsee::RpcModule;
use serde::Serialize;

use crate::provider::schema::SCHEMA_TEXT;
use crate::provider::{
    request_fields, CheckRequest, ConfigureRequest, DiffRequest, Provider, ProviderError,
};
use crate::resources::{CreateRequest, DeleteRequest, ReadRequest, UpdateRequest};

use super::params::ParamReader;
use super::test_hooks::register_test_hooks;
use super::types::{
    CheckReply, ConfigureReply, CreateReply, DiffReply, EmptyReply, PluginInfoReply, ReadReply,
    UpdateReply,
};

/// The methods of the wire contract (`cancel` is normally sent as a notification).
pub const METHOD_NAMES: [&str; 11] = [
    "getPluginInfo",
    "getSchema",
    "checkConfig",
    "configure",
    "check",
    "diff",
    "create",
    "read",
    "update",
    "delete",
    "cancel",
];

/// How the method table is built.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProtocolOptions {
    /// Adds the `test/...` methods the transcript tests use to make timing deterministic. Off
    /// unless `ALICLOUD_KMS_PROVIDER_TEST_HOOKS=1`; never part of the contract.
    pub test_hooks: bool,
}

type MethodResult<T> = Result<T, ErrorObjectOwned>;

/// The methods that act on the work in flight (`cancel`): the server runs them as soon as it reads
/// them, even when every handler slot is taken by operations that wait on KMS.
pub const CONTROL_METHODS: &[&str] = &["cancel"];

/// Builds the JSON-RPC module that serves the provider.
pub fn rpc_module(provider: Provider, options: ProtocolOptions) -> RpcModule<Provider> {
    let provider = Arc::new(provider);
    let mut module = RpcModule::from_arc(provider.clone());
    // Registration fails only for a duplicate name, which is a programming error that the unit
    // test of this module would catch.
    let registered = "every method name is registered once";

    let mut answer_at_once = |name, handler| {
        register_answering_at_once(&mut module, &provider, name, handler).expect(registered)
    };
    answer_at_once("getPluginInfo", |_, provider| {
        reply_with(PluginInfoReply {
            version: provider.version(),
        })
    });
    answer_at_once("checkConfig", |params, provider| {
        let mut reader = ParamReader::parse("checkConfig", params.as_str())?;
        if let Some(outcome) = reader.oversized_check_outcome("news") {
            return reply_with(CheckReply::from(outcome));
        }
        let _olds = reader.property_map("olds")?;
        let news = reader.property_map("news")?.unwrap_or_default();
        reply_with(CheckReply::from(provider.check_config(news)))
    });
    answer_at_once("configure", |params, provider| {
        let mut reader = ParamReader::parse("configure", params.as_str())?;
        let request = ConfigureRequest {
            variables: reader.string_map("variables")?,
            args: reader.property_map("args")?,
        };
        // The engine's `acceptSecrets` needs no answer beyond ours: this provider reads secrets
        // in both forms, and always marks the secrets it returns.
        reader.optional_bool("acceptSecrets")?;
        provider.configure(request)?;
        reply_with(ConfigureReply {
            accept_secrets: true,
            supports_preview: true,
            accept_resources: false,
            accept_outputs: false,
        })
    });
    answer_at_once("check", |params, provider| {
        let mut reader = ParamReader::parse("check", params.as_str())?;
        if let Some(outcome) = reader.oversized_check_outcome("news") {
            return reply_with(CheckReply::from(outcome));
        }
        let (resource_type, urn) = reader.resource_type()?;
        // The resource name (for auto-naming): the URN's last part, or Pulumi's `name`.
        let name = reader.optional_string("name")?;
        let resource_name = request_fields::resource_name(urn.as_deref(), name)?;
        let request = CheckRequest {
            resource_type,
            urn,
            resource_name,
            olds: reader.property_map("olds")?,
            news: reader.required_property_map("news")?,
            random_seed: reader.optional_base64_bytes("randomSeed")?,
        };
        reply_with(CheckReply::from(provider.check(request)?))
    });
    answer_at_once("diff", |params, provider| {
        let mut reader = ParamReader::parse("diff", params.as_str())?;
        let (resource_type, _urn) = reader.resource_type()?;
        let request = DiffRequest {
            resource_type,
            id: reader.required_id()?,
            olds: reader.required_property_map("olds")?,
            news: reader.required_property_map("news")?,
            old_inputs: reader.property_map("oldInputs")?,
            ignore_changes: reader.string_list("ignoreChanges")?,
        };
        reply_with(DiffReply::from(provider.diff(request)?))
    });
    answer_at_once("cancel", |_, provider| {
        provider.cancel();
        reply_with(EmptyReply {})
    });
    register_prebuilt_method(&mut module, "getSchema", get_schema).expect(registered);

    module
        .register_async_method("create", |params, provider, _| async move {
            reply_async(create(params, provider)).await
        })
        .expect(registered);
    module
        .register_async_method("read", |params, provider, _| async move {
            reply_async(read(params, provider)).await
        })
        .expect(registered);
    module
        .register_async_method("update", |params, provider, _| async move {
            reply_async(update(params, provider)).await
        })
        .expect(registered);
    module
        .register_async_method("delete", |params, provider, _| async move {
            reply_async(delete(params, provider)).await
        })
        .expect(registered);

    if options.test_hooks {
        register_test_hooks(&mut module);
    }
    module
}

/// A method that answers without waiting: its reply is written straight into the reply line
/// (`jsonrpc_stdio::PrebuiltResult`), not built by jsonrpsee and read again.
type AnswerAtOnce = fn(Params<'_>, &Provider) -> Result<PrebuiltResult, ProviderError>;

fn register_answering_at_once(
    module: &mut RpcModule<Provider>,
    provider: &Arc<Provider>,
    name: &'static str,
    handler: AnswerAtOnce,
) -> Result<(), RegisterMethodError> {
    let provider = provider.clone();
    register_prebuilt_method(module, name, move |params| {
        reply(|| handler(params, &provider))
    })
}

/// A handler's result, written as the reply's `result`.
fn reply_with<T: Serialize>(result: T) -> Result<PrebuiltResult, ProviderError> {
    Ok(PrebuiltResult::serialize(&result))
}

/// `getSchema`: the schema text in `{"schema": "..."}`, written at compile time
/// ([`SCHEMA_RESULT`]) and sent as it stands.
fn get_schema(params: Params<'_>) -> MethodResult<PrebuiltResult> {
    reply(|| {
        let mut reader = ParamReader::parse("getSchema", params.as_str())?;
        // Only version 0 exists; any integer is accepted, as Pulumi providers do.
        reader.optional_integer("version")?;
        Ok(PrebuiltResult(SCHEMA_RESULT.into()))
    })
}

/// `getSchema`'s result: `{"schema":"…"}` with the schema text escaped as serde_json escapes a
/// string (a unit test holds the two together). Escaping the 33 KB text at start-up cost a
/// quarter of the provider's cold start.
static SCHEMA_RESULT: &str = match std::str::from_utf8(&SCHEMA_RESULT_BYTES) {
    Ok(text) => text,
    Err(_) => panic!("an escaped UTF-8 text is UTF-8"),
};
const SCHEMA_RESULT_HEAD: &[u8] = br#"{"schema":""#;
const SCHEMA_RESULT_TAIL: &[u8] = br#""}"#;
static SCHEMA_RESULT_BYTES: [u8; SCHEMA_RESULT_HEAD.len()
    + escaped_length(SCHEMA_TEXT.as_bytes())
    + SCHEMA_RESULT_TAIL.len()] = schema_result_bytes();

/// What a byte becomes inside a JSON string, as serde_json writes it: itself (`0`), a two-byte
/// escape (`\n`) or `u` for `\u00XX`.
const fn escape_of(byte: u8) -> u8 {
    match byte {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        0x09 => b't',
        0x0A => b'n',
        0x0C => b'f',
        0x0D => b'r',
        0x00..=0x1F => b'u',
        _ => 0,
    }
}

const fn escaped_length(text: &[u8]) -> usize {
    let mut length = 0;
    let mut at = 0;
    while at < text.len() {
        length += match escape_of(text[at]) {
            0 => 1,
            b'u' => 6,
            _ => 2,
        };
        at += 1;
    }
    length
}

const fn schema_result_bytes<const N: usize>() -> [u8; N] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let text = SCHEMA_TEXT.as_bytes();
    let mut out = [0u8; N];
    let mut written = 0;
    let mut at = 0;
    while at < SCHEMA_RESULT_HEAD.len() {
        out[written] = SCHEMA_RESULT_HEAD[at];
        written += 1;
        at += 1;
    }
    at = 0;
    while at < text.len() {
        let byte = text[at];
        match escape_of(byte) {
            0 => {
                out[written] = byte;
                written += 1;
            }
            b'u' => {
                let escape = [
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(byte >> 4) as usize],
                    HEX[(byte & 0xF) as usize],
                ];
                let mut i = 0;
                while i < escape.len() {
                    out[written] = escape[i];
                    written += 1;
                    i += 1;
                }
            }
            escape => {
                out[written] = b'\\';
                out[written + 1] = escape;
                written += 2;
            }
        }
        at += 1;
    }
    at = 0;
    while at < SCHEMA_RESULT_TAIL.len() {
        out[written] = SCHEMA_RESULT_TAIL[at];
        written += 1;
        at += 1;
    }
    out
}

async fn create(
    params: Params<'static>,
    provider: Arc<Provider>,
) -> Result<CreateReply, ProviderError> {
    let mut reader = ParamReader::parse("create", params.as_str())?;
    let (resource_type, urn) = reader.resource_type()?;
    let request = CreateRequest {
        urn,
        properties: reader.required_property_map("properties")?,
        timeout: reader.optional_timeout()?,
        preview: reader.optional_bool("preview")?.unwrap_or(false),
    };
    Ok(provider.create(&resource_type, request).await?.into())
}

async fn read(
    params: Params<'static>,
    provider: Arc<Provider>,
) -> Result<ReadReply, ProviderError> {
    let mut reader = ParamReader::parse("read", params.as_str())?;
    let (resource_type, urn) = reader.resource_type()?;
    let request = ReadRequest {
        urn,
        id: reader.required_id()?,
        properties: reader.property_map("properties")?,
        inputs: reader.property_map("inputs")?,
        timeout: reader.optional_timeout()?,
    };
    Ok(provider.read(&resource_type, request).await?.into())
}

async fn update(
    params: Params<'static>,
    provider: Arc<Provider>,
) -> Result<UpdateReply, ProviderError> {
    let mut reader = ParamReader::parse("update", params.as_str())?;
    let (resource_type, urn) = reader.resource_type()?;
    let request = UpdateRequest {
        urn,
        id: reader.required_id()?,
        olds: reader.required_property_map("olds")?,
        news: reader.required_property_map("news")?,
        old_inputs: reader.property_map("oldInputs")?,
        timeout: reader.optional_timeout()?,
        preview: reader.optional_bool("preview")?.unwrap_or(false),
        ignore_changes: reader.string_list("ignoreChanges")?,
    };
    let result = provider.update(&resource_type, request).await?;
    Ok(UpdateReply {
        properties: result.properties,
    })
}

async fn delete(
    params: Params<'static>,
    provider: Arc<Provider>,
) -> Result<EmptyReply, ProviderError> {
    let mut reader = ParamReader::parse("delete", params.as_str())?;
    let (resource_type, urn) = reader.resource_type()?;
    let request = DeleteRequest {
        urn,
        id: reader.required_id()?,
        properties: reader.property_map("properties")?.unwrap_or_default(),
        old_inputs: reader.property_map("oldInputs")?,
        timeout: reader.optional_timeout()?,
    };
    provider.delete(&resource_type, request).await?;
    Ok(EmptyReply {})
}

/// Runs a handler body and turns its error into the wire error (through `ProviderError`, the one
/// mapping).
fn reply<T>(body: impl FnOnce() -> Result<T, ProviderError>) -> MethodResult<T> {
    body().map_err(|error| log_and_convert(&error))
}

async fn reply_async<T>(
    body: impl std::future::Future<Output = Result<T, ProviderError>>,
) -> MethodResult<T> {
    body.await.map_err(|error| log_and_convert(&error))
}

fn log_and_convert(error: &ProviderError) -> ErrorObjectOwned {
    // The message is safe to log: provider error messages never contain secrets.
    tracing::debug!(
        code = error.code(),
        kind = error.kind(),
        "request failed: {error}"
    );
    error.to_error_object()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ProviderOptions;
    use crate::resources::EngineLog;

    #[test]
    fn the_module_serves_every_method_of_the_contract_and_no_other() {
        let provider = Provider::new(ProviderOptions {
            engine_log: EngineLog::discard(),
            working_directory: ".".into(),
        });
        let module = rpc_module(provider, ProtocolOptions::default());
        let mut served: Vec<&str> = module.method_names().collect();
        served.sort_unstable();
        let mut expected = METHOD_NAMES.to_vec();
        expected.sort_unstable();
        assert_eq!(served, expected);
    }

    #[test]
    fn the_schema_result_is_the_schema_escaped_as_serde_json_escapes_it() {
        let expected = serde_json::json!({ "schema": SCHEMA_TEXT }).to_string();
        assert_eq!(SCHEMA_RESULT, expected);
    }

    #[test]
    fn every_byte_is_escaped_as_serde_json_escapes_it() {
        let every_ascii: Vec<u8> = (0u8..0x80).collect();
        let text = std::str::from_utf8(&every_ascii).unwrap();
        let mut escaped = String::new();
        for &byte in text.as_bytes() {
            match escape_of(byte) {
                0 => escaped.push(byte as char),
                b'u' => escaped.push_str(&format!("\\u{byte:04x}")),
                escape => {
                    escaped.push('\\');
                    escaped.push(escape as char);
                }
            }
        }
        assert_eq!(
            format!("\"{escaped}\""),
            serde_json::to_string(text).unwrap()
        );
        assert_eq!(escaped.len(), escaped_length(text.as_bytes()));
    }
}
