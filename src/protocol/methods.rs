//! The method table: each handler decodes its params, calls the provider, and encodes the result.
//! Handlers hold no logic of their own.

use std::sync::{Arc, OnceLock};

use jsonrpsee::types::{ErrorObjectOwned, Params};
use jsonrpsee::RpcModule;
use serde_json::value::RawValue;

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

/// Builds the JSON-RPC module that serves the provider.
/// The methods that act on the work in flight (`cancel`): the server runs them as soon as it reads
/// them, even when every handler slot is taken by operations that wait on KMS.
pub const CONTROL_METHODS: &[&str] = &["cancel"];

pub fn rpc_module(provider: Provider, options: ProtocolOptions) -> RpcModule<Provider> {
    let mut module = RpcModule::new(provider);
    // Registration fails only for a duplicate name, which is a programming error that the unit
    // test of this module would catch.
    let registered = "every method name is registered once";

    module
        .register_method("getPluginInfo", |_, provider, _| -> MethodResult<_> {
            Ok(PluginInfoReply {
                version: provider.version(),
            })
        })
        .expect(registered);

    module
        .register_method("getSchema", |params, provider, _| {
            get_schema(params, provider)
        })
        .expect(registered);

    module
        .register_method(
            "checkConfig",
            |params, provider, _| -> MethodResult<CheckReply> {
                reply(|| {
                    let mut reader = ParamReader::parse("checkConfig", params.as_str())?;
                    if let Some(outcome) = reader.oversized_check_outcome("news") {
                        return Ok(outcome.into());
                    }
                    let _olds = reader.property_map("olds")?;
                    let news = reader.property_map("news")?.unwrap_or_default();
                    Ok(provider.check_config(news).into())
                })
            },
        )
        .expect(registered);

    module
        .register_method(
            "configure",
            |params, provider, _| -> MethodResult<ConfigureReply> {
                reply(|| {
                    let mut reader = ParamReader::parse("configure", params.as_str())?;
                    let request = ConfigureRequest {
                        variables: reader.string_map("variables")?,
                        args: reader.property_map("args")?,
                    };
                    // The engine's `acceptSecrets` needs no answer beyond ours: this provider reads secrets
                    // in both forms, and always marks the secrets it returns.
                    reader.optional_bool("acceptSecrets")?;
                    provider.configure(request)?;
                    Ok(ConfigureReply {
                        accept_secrets: true,
                        supports_preview: true,
                        accept_resources: false,
                        accept_outputs: false,
                    })
                })
            },
        )
        .expect(registered);

    module
        .register_method("check", |params, provider, _| -> MethodResult<CheckReply> {
            reply(|| {
                let mut reader = ParamReader::parse("check", params.as_str())?;
                if let Some(outcome) = reader.oversized_check_outcome("news") {
                    return Ok(outcome.into());
                }
                let (resource_type, urn) = reader.resource_type()?;
                // The resource name (for auto-naming): the URN's last part, or Pulumi's `name`.
                let name = reader.optional_string("name")?;
                let resource_name = request_fields::resource_name(urn.as_deref(), name)?;
                let request = CheckRequest {
                    resource_type,
                    urn: urn.clone(),
                    resource_name,
                    olds: reader.property_map("olds")?,
                    news: reader.required_property_map("news")?,
                    random_seed: reader.optional_base64_bytes("randomSeed")?,
                };
                Ok(provider.check(request)?.into())
            })
        })
        .expect(registered);

    module
        .register_method("diff", |params, provider, _| -> MethodResult<DiffReply> {
            reply(|| {
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
                Ok(provider.diff(request)?.into())
            })
        })
        .expect(registered);

    module
        .register_method("cancel", |_, provider, _| -> MethodResult<EmptyReply> {
            provider.cancel();
            Ok(EmptyReply {})
        })
        .expect(registered);

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

/// `getSchema`: the schema text wrapped once, at the first call, in `{"schema": "..."}`.
fn get_schema(params: Params<'_>, provider: &Provider) -> MethodResult<Box<RawValue>> {
    static REPLY: OnceLock<Box<RawValue>> = OnceLock::new();
    reply(|| {
        let mut reader = ParamReader::parse("getSchema", params.as_str())?;
        // Only version 0 exists; any integer is accepted, as Pulumi providers do.
        reader.optional_integer("version")?;
        let text = provider.schema_text();
        Ok(REPLY
            .get_or_init(|| {
                serde_json::value::to_raw_value(&serde_json::json!({ "schema": text }))
                    .expect("a JSON object with one string serialises")
            })
            .clone())
    })
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
}
