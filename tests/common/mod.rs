//! Helpers shared by the protocol tests: the real provider binary as a child process (from
//! `process`), the method table in process, and the table files.
#![allow(dead_code)]

pub mod process;

use alicloud_kms_provider::protocol::{rpc_module, ProtocolOptions};
use alicloud_kms_provider::provider::{Provider, ProviderOptions};
use alicloud_kms_provider::resources::EngineLog;
use jsonrpsee::RpcModule;
use serde_json::{json, Value};

#[allow(unused_imports)] // Some test binaries use only the in-process table.
pub use process::ProviderProcess;

/// The method table in process: every method, minus the transport.
pub struct InProcess {
    module: RpcModule<Provider>,
}

impl InProcess {
    pub fn new() -> InProcess {
        let provider = Provider::new(ProviderOptions {
            engine_log: EngineLog::discard(),
            working_directory: std::env::temp_dir(),
        });
        InProcess {
            module: rpc_module(provider, ProtocolOptions::default()),
        }
    }

    /// The whole JSON-RPC reply to one call.
    pub async fn call(&self, method: &str, params: Value) -> Value {
        let request =
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let (reply, _) = self
            .module
            .raw_json_request(&request, 1)
            .await
            .expect("the request is well formed");
        serde_json::from_str(reply.get()).unwrap()
    }

    /// The `result` of one call, failing the test on an error reply.
    pub async fn result(&self, method: &str, params: Value) -> Value {
        let reply = self.call(method, params).await;
        match reply.get("result") {
            Some(result) => result.clone(),
            None => panic!("{method} answered an error: {reply}"),
        }
    }
}

/// The path of a file under `tests/`.
pub fn fixture_path(relative: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(relative)
}

/// Expands the notation of the table files: `{"$secret": v}` is Pulumi's secret wrapper around
/// `v`, and `"$unknown"` is the string unknown sentinel.
pub fn expand_notation(value: Value) -> Value {
    match value {
        Value::String(text) if text == "$unknown" => {
            Value::String("04da6b54-80e4-46f7-96ec-b56ff0331ba9".into())
        }
        Value::Object(mut map) if map.len() == 1 && map.contains_key("$secret") => {
            let inner = expand_notation(map.remove("$secret").unwrap());
            json!({"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": inner})
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (key, expand_notation(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(expand_notation).collect()),
        other => other,
    }
}

/// Reads a table file under `tests/tables/`.
pub fn read_table(name: &str) -> Value {
    let path = fixture_path(&format!("tables/{name}"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}
