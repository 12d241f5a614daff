//! Helpers shared by the protocol tests: the real provider binary as a child process (from
//! `process`), the method table in process, and the table files.
#![allow(dead_code)]

pub mod process;

use alicloud_kms_provider::protocol::{rpc_module, ProtocolOptions};
use alicloud_kms_provider::provider::{Provider, ProviderOptions};
use alicloud_kms_provider::resources::registry::registered_declarations;
use alicloud_kms_provider::resources::{Declaration, EngineLog, LogEntry, LogSeverity};
use jsonrpsee::RpcModule;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

#[allow(unused_imports)] // Some test binaries use only the in-process table.
pub use process::ProviderProcess;

/// The method table in process: every method, minus the transport; the `log` messages the
/// provider sends are kept.
pub struct InProcess {
    module: RpcModule<Provider>,
    logs: Arc<Mutex<Vec<LogEntry>>>,
}

impl InProcess {
    pub fn new() -> InProcess {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let provider = Provider::new(ProviderOptions {
            engine_log: EngineLog::new(move |entry| sink.lock().unwrap().push(entry)),
            working_directory: std::env::temp_dir(),
        });
        InProcess {
            module: rpc_module(provider, ProtocolOptions::default()),
            logs,
        }
    }

    /// The messages of the `log` warnings sent since the last call of this, oldest first.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.logs.lock().unwrap())
            .into_iter()
            .filter(|entry| entry.severity == LogSeverity::Warning)
            .map(|entry| entry.message)
            .collect()
    }

    /// The whole JSON-RPC reply to one call (with id 1), as the stdio transport writes it: through
    /// `jsonrpc_stdio::call`, since jsonrpsee's own `raw_json_request` leaves out the results the
    /// methods write themselves (`PrebuiltResult`).
    pub async fn call(&self, method: &str, params: Value) -> Value {
        let id = RawValue::from_string("1".to_owned()).unwrap();
        // As the transport reads a message: `"params": null` counts as absent.
        let params = (!params.is_null()).then(|| params.to_string());
        let reply = jsonrpc_stdio::call(&self.module, method, Some(&id), params.as_deref()).await;
        serde_json::from_str(&reply).unwrap()
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

/// The inverse of [`expand_notation`], for what the provider answers: Pulumi's secret wrapper
/// becomes `{"$secret": v}` and the unknown sentinel `"$unknown"`, so that a reviewed snapshot
/// reads like the tables. A reply that holds the notation itself (a `"$unknown"` string, a
/// `"$secret"` key) would read the same as the sentinel, so it fails the test instead.
pub fn compact_notation(value: Value) -> Value {
    match value {
        Value::String(text) if text == "04da6b54-80e4-46f7-96ec-b56ff0331ba9" => {
            Value::String("$unknown".into())
        }
        Value::String(text) if text == "$unknown" => {
            panic!("a reply holds the string \"$unknown\", not the unknown sentinel")
        }
        Value::Object(mut map)
            if map.len() == 2
                && map.get("4dabf18193072939515e22adb298388d")
                    == Some(&json!("1b47061264138c4ac30d75fd1eb44270"))
                && map.contains_key("value") =>
        {
            json!({"$secret": compact_notation(map.remove("value").unwrap())})
        }
        Value::Object(map) => {
            assert!(
                !map.contains_key("$secret"),
                "a reply holds a \"$secret\" key, not the secret wrapper"
            );
            Value::Object(
                map.into_iter()
                    .map(|(key, value)| (key, compact_notation(value)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(compact_notation).collect()),
        other => other,
    }
}

/// The text of a table's snapshot: for each case in the table's order, its name and the reply
/// (in the tables' notation), as indented JSON, so that a changed reply is a reviewed diff of a
/// few lines.
pub fn table_snapshot(replies: Vec<(String, Value)>) -> String {
    let records: Vec<Value> = replies
        .into_iter()
        .map(|(name, reply)| json!({"case": name, "reply": compact_notation(reply)}))
        .collect();
    serde_json::to_string_pretty(&records).unwrap()
}

/// The name of a table's snapshot: its file name without `.json`.
pub fn table_snapshot_name(file: &str) -> &str {
    file.strip_suffix(".json").unwrap_or(file)
}

/// Checks each (snapshot name, text) with `assert`, then fails naming every snapshot that
/// differed, so that one run shows (and `cargo insta review` offers) all of them.
pub fn assert_every_snapshot(snapshots: Vec<(String, String)>, assert: impl Fn(&str, &str)) {
    let failed: Vec<String> = snapshots
        .iter()
        .filter(|(name, text)| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| assert(name, text))).is_err()
        })
        .map(|(name, _)| name.clone())
        .collect();
    assert!(
        failed.is_empty(),
        "replies differ from their reviewed snapshots (see above; `cargo insta review` accepts \
         an intended change): {failed:?}"
    );
}

/// Reads a table file under `tests/tables/`.
pub fn read_table(name: &str) -> Value {
    let path = fixture_path(&format!("tables/{name}"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// A credential table file (`tests/tables/credentials*.json`): what it holds, for its reader
/// (required, not used by the tests), the secrets no output may carry, and its cases as written.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialTable<C> {
    about: String,
    secrets: Vec<String>,
    cases: Vec<C>,
}

/// Reads a credential table file under `tests/tables/`: its secrets, and its cases each built
/// by `build`.
pub fn read_credential_table<C: serde::de::DeserializeOwned, T>(
    name: &str,
    build: impl FnMut(C) -> T,
) -> (Vec<String>, Vec<T>) {
    let table: CredentialTable<C> = serde_json::from_value(read_table(name))
        .unwrap_or_else(|error| panic!("tests/tables/{name}: {error}"));
    (table.secrets, table.cases.into_iter().map(build).collect())
}

/// A file a credential table creates: inline text, or `{"fixture": name}`, a file of
/// `tests/fixtures/credentials/`.
#[derive(serde::Deserialize)]
#[serde(untagged)]
pub enum TableFile {
    Text(String),
    Fixture { fixture: String },
}

impl TableFile {
    /// The file's contents.
    pub fn contents(self) -> String {
        match self {
            TableFile::Text(text) => text,
            TableFile::Fixture { fixture } => credential_fixture(&fixture),
        }
    }
}

/// A file of `tests/fixtures/credentials/`.
pub fn credential_fixture(name: &str) -> String {
    let path = fixture_path(&format!("fixtures/credentials/{name}"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The file name of a resource's table of one kind (`check` or `diff`): the kind, then the
/// resource's name in snake case (`check_client_key.json` for `ClientKey`).
pub fn resource_table_name(kind: &str, resource_name: &str) -> String {
    let mut snake = String::new();
    for (position, character) in resource_name.chars().enumerate() {
        if character.is_ascii_uppercase() && position > 0 {
            snake.push('_');
        }
        snake.push(character.to_ascii_lowercase());
    }
    format!("{kind}_{snake}.json")
}

/// The table of one kind for every registered resource, found by file name, with the resource's
/// type token. A registered resource without its table, or a table whose `type` is another
/// resource's, is an error that names the file to write.
pub fn resource_tables(kind: &str) -> Result<Vec<(&'static str, String, Value)>, String> {
    tables_of(kind, registered_declarations())
}

/// [`resource_tables`] for the given resources.
pub fn tables_of<'a>(
    kind: &str,
    resources: impl Iterator<Item = &'a Declaration>,
) -> Result<Vec<(&'a str, String, Value)>, String> {
    let mut tables = Vec::new();
    let mut problems = Vec::new();
    for declaration in resources {
        let name = resource_table_name(kind, declaration.name);
        if !fixture_path(&format!("tables/{name}")).is_file() {
            problems.push(format!(
                "{} is registered but has no {kind} table: write tests/tables/{name}",
                declaration.token
            ));
            continue;
        }
        let table = read_table(&name);
        if table["type"] != declaration.token {
            problems.push(format!(
                "tests/tables/{name} is the {kind} table of {}, so its \"type\" must be {}, not {}",
                declaration.name, declaration.token, table["type"]
            ));
            continue;
        }
        tables.push((declaration.token, name, table));
    }
    if problems.is_empty() {
        Ok(tables)
    } else {
        Err(problems.join("\n"))
    }
}

/// The table files of one kind under `tests/tables/` that belong to no registered resource
/// (`check_config.json`, the provider's own table, is not a resource table).
pub fn orphan_resource_tables(kind: &str) -> Vec<String> {
    let registered: Vec<String> = registered_declarations()
        .map(|declaration| resource_table_name(kind, declaration.name))
        .collect();
    let mut orphans: Vec<String> = std::fs::read_dir(fixture_path("tables"))
        .expect("tests/tables exists")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&format!("{kind}_")) && name.ends_with(".json"))
        .filter(|name| name != "check_config.json" && !registered.contains(name))
        .collect();
    orphans.sort();
    orphans
}
