//! The private key file through the real binary against the in-process emulator: its contents and
//! mode, atomic replacement, a concurrent reader, unwritable paths (which must leave no key in
//! KMS), a write that fails after the key exists (the key is deleted again, or named when it
//! cannot be), and removal on delete only when the file still holds the deleted key. (A file that
//! holds a key still in KMS is never replaced: `key_file_safety`.)

use crate::resources_support;

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use kms_emulator::{Action, FaultSpec};
use resources_support::*;
use serde_json::{json, Value};

fn key_inputs(harness: &mut Harness, key_file: &str) -> Value {
    harness.assert_check_passes(
        KEY_TYPE,
        "key",
        json!({"aapName": "aap", "password": PASSWORD, "privateKeyDataFile": key_file}),
    )
}

#[test]
fn an_existing_file_is_replaced_atomically_with_mode_0600() {
    let mut harness = Harness::start();
    harness.create_access_point("aap", &["p"]);
    let target = harness.path("key.json");
    fs::write(&target, "the previous contents").unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o644)).unwrap();
    let old_handle = fs::File::open(&target).unwrap();

    let inputs = key_inputs(&mut harness, "key.json");
    let created = harness.provider.result(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    let id = created["id"].as_str().unwrap();
    let text = fs::read_to_string(&target).unwrap();
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed["KeyId"], id);
    assert_eq!(parsed.as_object().unwrap().len(), 2, "{text}");
    assert_eq!(file_mode(&target), 0o600);
    // Replaced by a rename, not rewritten in place: the old file is intact behind its handle.
    let mut old = String::new();
    (&old_handle).read_to_string(&mut old).unwrap();
    assert_eq!(old, "the previous contents");
    // No temporary file is left behind.
    assert_eq!(directory_names(harness.directory.path()), ["key.json"]);
    // The private key data is a base64 PKCS#12 (DER SEQUENCE, version 3).
    let data = parsed["PrivateKeyData"].as_str().unwrap();
    assert!(data.starts_with("MII"), "not a DER sequence in base64");
    let private_data = data.to_owned();
    harness.finish(&[PASSWORD, &private_data]);
}

#[test]
fn a_concurrent_reader_never_sees_a_partial_file() {
    let mut harness = Harness::start();
    harness.create_access_point("aap", &["p"]);
    let target = harness.path("shared.json");
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let target = target.clone();
        let done = done.clone();
        thread::spawn(move || {
            let mut complete_reads = 0u64;
            let mut seen_ids = std::collections::BTreeSet::new();
            while !done.load(Ordering::Acquire) {
                match fs::read(&target) {
                    Ok(bytes) => {
                        let parsed: Value = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                            panic!("a reader saw a partial key file of {} bytes", bytes.len())
                        });
                        assert!(parsed["KeyId"].as_str().unwrap().starts_with("KAAP."));
                        assert!(!parsed["PrivateKeyData"].as_str().unwrap().is_empty());
                        seen_ids.insert(parsed["KeyId"].as_str().unwrap().to_owned());
                        complete_reads += 1;
                    }
                    Err(error) => assert_eq!(error.kind(), std::io::ErrorKind::NotFound),
                }
            }
            (complete_reads, seen_ids)
        })
    };

    let inputs = key_inputs(&mut harness, "shared.json");
    let mut ids: Vec<String> = Vec::new();
    let mut secrets = vec![PASSWORD.to_owned()];
    // Each create writes the same path again: the previous key is deleted out of band and its
    // file moved away by hand (a create never replaces a file that holds a key), so the file
    // appears, and is renamed away, while the reader reads it.
    for round in 0..8 {
        if let Some(previous) = ids.last() {
            assert!(harness.emulator.delete_client_key(previous));
            fs::rename(&target, harness.path(&format!("moved-{round}.json"))).unwrap();
        }
        let created = harness.provider.result(
            "create",
            json!({"urn": urn(KEY_TYPE, &format!("key{round}")), "properties": inputs}),
        );
        ids.push(created["id"].as_str().unwrap().to_owned());
        secrets.push(key_file_private_data(&target));
    }
    done.store(true, Ordering::Release);
    let (complete_reads, seen_ids) = reader.join().expect("the reader saw only whole files");
    assert!(complete_reads > 0);
    assert!(seen_ids.iter().all(|id| ids.contains(id)), "{seen_ids:?}");
    let last: Value = serde_json::from_str(&fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(last["KeyId"], ids[7]);
    let mut expected: Vec<String> = (1..8).map(|round| format!("moved-{round}.json")).collect();
    expected.push("shared.json".to_owned());
    assert_eq!(directory_names(harness.directory.path()), expected);
    let secret_refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    harness.finish(&secret_refs);
}

/// Whether this process is subject to file permissions (root is not).
fn permissions_are_enforced(directory: &std::path::Path) -> bool {
    let locked = directory.join("locked-probe");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o500)).unwrap();
    let enforced = fs::write(locked.join("x"), "x").is_err();
    let _ = fs::remove_file(locked.join("x"));
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o700)).unwrap();
    fs::remove_dir(&locked).unwrap();
    enforced
}

#[test]
fn an_unwritable_path_fails_check_and_create_and_leaves_no_key() {
    let mut harness = Harness::start();
    harness.create_access_point("aap", &["p"]);
    fs::write(harness.path("plain-file"), "x").unwrap();
    fs::create_dir(harness.path("a-directory")).unwrap();
    fs::create_dir(harness.path("read-only")).unwrap();
    fs::set_permissions(harness.path("read-only"), fs::Permissions::from_mode(0o555)).unwrap();
    let mut table = vec![
        ("plain-file/key.json", "is not a directory"),
        ("missing/key.json", "does not exist"),
        ("a-directory", "is a directory"),
        ("~someone/key.json", "~user"),
        ("read-only/key.json", "not writable"),
    ];
    if !permissions_are_enforced(harness.directory.path()) {
        // Running as root: a directory without write bits is still writable, and both check
        // and create rightly accept it. The other rows still hold.
        table.retain(|(path, _)| !path.starts_with("read-only"));
    }

    for (path, reason) in &table {
        // check says so (as data) ...
        let check = harness.provider.result(
            "check",
            json!({"urn": urn(KEY_TYPE, "key"), "news": {"aapName": "aap", "password": PASSWORD, "privateKeyDataFile": path}}),
        );
        let failures = check["failures"].as_array().unwrap();
        assert_eq!(failures.len(), 1, "{path}: {check}");
        assert_eq!(failures[0]["property"], "privateKeyDataFile");
        assert!(
            failures[0]["reason"].as_str().unwrap().contains(reason),
            "{path}: {check}"
        );
        // ... and a create that skipped check fails before KMS is called.
        let error = harness.provider.error(
            "create",
            json!({"urn": urn(KEY_TYPE, "key"), "properties": check["inputs"]}),
        );
        assert_eq!(error["code"], -32059, "{path}: {error}");
        assert_eq!(error["data"]["kind"], "local_io");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("nothing was created in KMS"), "{message}");
        assert!(message.contains(reason), "{path}: {message}");
    }
    assert!(harness.emulator.client_keys().is_empty());
    assert_eq!(harness.emulator.call_count(Action::CreateClientKey), 0);
    fs::set_permissions(harness.path("read-only"), fs::Permissions::from_mode(0o755)).unwrap();
    harness.finish(&[PASSWORD]);
}

/// Starts a create whose KMS call is slowed down, waits until KMS has the request, then removes
/// the key file's directory so that writing the file fails after the key exists.
fn create_while_the_directory_disappears(harness: &mut Harness) -> Value {
    fs::create_dir(harness.path("keys")).unwrap();
    harness
        .emulator
        .set_fault(
            "CreateClientKey",
            FaultSpec {
                latency_ms: 1500,
                times: Some(1),
                ..FaultSpec::default()
            },
        )
        .unwrap();
    let inputs = key_inputs(harness, "keys/key.json");
    let id = harness.provider.send(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    // The call counter moves when the request reaches the action, before the injected latency:
    // from then on the reply is at least 1.5 s away.
    wait_until_called(&harness.emulator, Action::CreateClientKey);
    fs::remove_dir_all(harness.path("keys")).unwrap();
    let reply = harness.provider.reply(id);
    reply
        .get("error")
        .unwrap_or_else(|| panic!("the create succeeded: {reply}"))
        .clone()
}

#[test]
fn a_write_that_fails_after_the_key_exists_deletes_the_key_again() {
    let mut harness = Harness::start();
    harness.create_access_point("aap", &["p"]);
    let error = create_while_the_directory_disappears(&mut harness);
    assert_eq!(error["code"], -32059, "{error}");
    assert!(error["data"].get("clientKeyId").is_none(), "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("was deleted again so that no key without its private key is left behind"),
        "{message}"
    );
    assert!(harness.emulator.client_keys().is_empty());
    assert_eq!(harness.emulator.call_count(Action::DeleteClientKey), 1);
    harness.finish(&[PASSWORD]);
}

#[test]
fn a_key_that_cannot_be_deleted_after_a_failed_write_is_named_with_how_to_delete_it() {
    let mut harness = Harness::start();
    harness.create_access_point("aap", &["p"]);
    harness
        .emulator
        .set_fault(
            "DeleteClientKey",
            FaultSpec {
                server_error_ratio: 1.0,
                server_error_status: Some(503),
                ..FaultSpec::default()
            },
        )
        .unwrap();
    let error = create_while_the_directory_disappears(&mut harness);
    let keys = harness.emulator.client_keys();
    assert_eq!(keys.len(), 1, "the orphan stays");
    let orphan = &keys[0].id;
    assert_eq!(error["code"], -32059, "{error}");
    assert_eq!(error["data"]["clientKeyId"], orphan.as_str());
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains(&format!(
            "aliyun kms DeleteClientKey --ClientKeyId {orphan}"
        )),
        "{message}"
    );
    assert!(message.contains("ServiceUnavailableTemporary"), "{message}");
    assert!(message.contains("RequestId"), "{message}");
    harness.finish(&[PASSWORD]);
}

#[test]
fn delete_removes_the_key_file_only_while_it_holds_the_deleted_key() {
    let mut harness = Harness::start();
    harness.create_access_point("aap", &["p"]);
    let inputs = key_inputs(&mut harness, "key.json");
    let first = harness.provider.result(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    let first_data = key_file_private_data(&harness.path("key.json"));
    // The first key is deleted out of band and its file moved away by hand (a create never
    // replaces a file that holds a key), so a second key may take the path.
    assert!(harness
        .emulator
        .delete_client_key(first["id"].as_str().unwrap()));
    fs::rename(harness.path("key.json"), harness.path("first.json")).unwrap();
    let second = harness.provider.result(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    let second_data = key_file_private_data(&harness.path("key.json"));

    harness.provider.result(
        "delete",
        json!({"urn": urn(KEY_TYPE, "key"), "id": first["id"], "properties": first["properties"]}),
    );
    let kept: Value =
        serde_json::from_str(&fs::read_to_string(harness.path("key.json")).unwrap()).unwrap();
    assert_eq!(kept["KeyId"], second["id"], "the second key's file stays");

    harness.provider.result(
        "delete",
        json!({"urn": urn(KEY_TYPE, "key"), "id": second["id"], "properties": second["properties"]}),
    );
    assert!(!harness.path("key.json").exists());
    assert!(harness.emulator.client_keys().is_empty());
    harness.finish(&[PASSWORD, &first_data, &second_data]);
}
