//! The warning a preview gets when not one credential source is there (issue 19): the first
//! `check` after a `configure` sends a `log` warning naming every place the provider looked, once
//! per configuration; a source that is there (a setting, a variable, a credential file) silences
//! it, and the files are only looked at, never read (a FIFO at `~/.aliyun/config.json` would hang a
//! reader).

use crate::common;

use std::path::Path;
use std::process::Command;

use common::ProviderProcess;
use serde_json::{json, Value};

/// The binary in an environment with nothing but `HOME` (an empty directory unless the test puts
/// files there) and `PATH`.
fn provider(home: &Path, environment: &[(&str, &str)]) -> ProviderProcess {
    let mut command = ProviderProcess::command();
    command
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(environment.iter().copied());
    ProviderProcess::start(command)
}

fn check(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "check", "params": {
        "urn": "urn:pulumi:dev::project::alicloud-kms:index:NetworkRule::rule",
        "olds": {},
        "news": {"networkRuleName": "rule", "sourcePrivateIps": ["10.0.0.0/8"]},
    }})
}

/// Sends a request and returns the `log` notifications that came before its reply.
fn logs_of(provider: &mut ProviderProcess, request: Value) -> Vec<Value> {
    let id = request["id"].clone();
    provider.send(&request);
    let mut logs = Vec::new();
    loop {
        let message = provider.receive();
        if message["method"] == "log" {
            logs.push(message["params"].clone());
        } else {
            assert_eq!(message["id"], id, "{message}");
            assert!(message.get("error").is_none(), "{message}");
            return logs;
        }
    }
}

fn configure(provider: &mut ProviderProcess, id: u64, args: Value) {
    let reply = provider.call(id, "configure", json!({"args": args}));
    assert!(reply.get("error").is_none(), "{reply}");
}

#[test]
fn the_first_check_of_a_configuration_warns_once_naming_where_it_looked() {
    let home = tempfile::tempdir().unwrap();
    let mut provider = provider(home.path(), &[]);
    // Before any configure the engine has said nothing yet: no warning.
    assert_eq!(logs_of(&mut provider, check(1)), Vec::<Value>::new());
    configure(&mut provider, 2, json!({"region": "cn-hangzhou"}));
    let logs = logs_of(&mut provider, check(3));
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(logs[0]["severity"], "warning");
    let message = logs[0]["message"].as_str().unwrap();
    for place in [
        "no alibaba cloud credentials will be found",
        "the provider config (accessKey and secretKey",
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_CREDENTIALS_URI",
        &format!("{}/.aliyun/config.json (absent)", home.path().display()),
        &format!(
            "{}/.alibabacloud/credentials (absent)",
            home.path().display()
        ),
        "set accessKey and secretKey",
    ] {
        assert!(message.contains(place), "{place:?} missing from {message}");
    }
    assert_eq!(logs_of(&mut provider, check(4)), Vec::<Value>::new());
    // A new configuration is looked at again.
    configure(&mut provider, 5, json!({"region": "cn-shanghai"}));
    assert_eq!(logs_of(&mut provider, check(6)).len(), 1);
    let (status, unread, _) = provider.finish();
    assert!(
        status.success() && unread.is_empty(),
        "{status:?} {unread:?}"
    );
}

#[test]
fn a_source_that_is_there_silences_it_and_files_are_never_read() {
    let home = tempfile::tempdir().unwrap();
    let mut with_key = provider(home.path(), &[]);
    configure(
        &mut with_key,
        1,
        json!({"region": "cn-hangzhou", "accessKey": "LTAI", "secretKey": "secret"}),
    );
    assert_eq!(logs_of(&mut with_key, check(2)), Vec::<Value>::new());

    let mut with_variable = provider(
        home.path(),
        &[(
            "ALIBABA_CLOUD_CREDENTIALS_URI",
            "http://127.0.0.1:9/credentials",
        )],
    );
    configure(&mut with_variable, 1, json!({"region": "cn-hangzhou"}));
    assert_eq!(logs_of(&mut with_variable, check(2)), Vec::<Value>::new());

    // A FIFO blocks whoever opens it for reading: the check answers, so it only looked.
    std::fs::create_dir_all(home.path().join(".aliyun")).unwrap();
    let fifo = home.path().join(".aliyun/config.json");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let mut with_file = provider(home.path(), &[]);
    configure(&mut with_file, 1, json!({"region": "cn-hangzhou"}));
    assert_eq!(logs_of(&mut with_file, check(2)), Vec::<Value>::new());
}
