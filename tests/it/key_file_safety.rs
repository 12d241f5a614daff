//! The key file under hostile or careless conditions, through the real binary against the
//! emulator: two creates aiming at one file (at once, in one process and in two; and one after
//! the other, in two processes), a replacement that keeps its file, a delete that meets a FIFO, a
//! device or a huge file at the key file's path, and `check` run by a user without privileges (a
//! directory owned by root, a sticky directory with another user's file).

use crate::resources_support;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::Command;

use kms_emulator::{Action, FaultSpec};
use resources_support::accounting::{assert_keys_accounted_for, CreateReply};
use resources_support::*;
use serde_json::{json, Value};

fn key_news(key_file: &str) -> Value {
    json!({"aapName": "aap", "password": PASSWORD, "privateKeyDataFile": key_file})
}

/// Holds the next CreateClientKey for a while, so that a second create can meet the first.
fn slow_next_create(harness: &Harness) {
    fault(
        &harness.emulator,
        "CreateClientKey",
        FaultSpec {
            latency_ms: 1500,
            ..once()
        },
    );
}

/// One create succeeded and wrote the file; the other failed before KMS was called, saying that
/// another create is writing the file; every key in KMS is accounted for.
fn assert_one_writer(harness: &Harness, replies: [(&Value, &Path); 2], row: &str) {
    let successes = replies
        .iter()
        .filter(|(reply, _)| reply.get("result").is_some())
        .count();
    assert_eq!(successes, 1, "{row}: {replies:?}");
    let (failed, _) = replies
        .iter()
        .find(|(reply, _)| reply.get("error").is_some())
        .unwrap();
    let error = &failed["error"];
    assert_eq!(error["code"], -32059, "{row}: {error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("another create is writing"),
        "{row}: {message}"
    );
    assert!(
        message.contains("nothing was created in KMS"),
        "{row}: {message}"
    );
    assert_eq!(
        harness.emulator.call_count(Action::CreateClientKey),
        1,
        "{row}"
    );
    let replies: Vec<CreateReply> = replies
        .iter()
        .map(|(reply, path)| CreateReply::new(reply, path))
        .collect();
    assert_keys_accounted_for(&harness.emulator, &replies, row);
    // No lock or temporary file is left beside the key file.
    let directory = replies[0].key_file.parent().unwrap();
    let leftovers: Vec<String> = directory_names(directory)
        .into_iter()
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{row}: {leftovers:?}");
}

#[test]
fn two_creates_aiming_at_one_key_file_in_one_process_never_both_write_it() {
    let mut harness = Harness::start();
    harness.create_access_point("aap", &["p"]);
    let inputs = harness.assert_check_passes(KEY_TYPE, "key", key_news("shared.json"));
    slow_next_create(&harness);
    let first = harness.provider.send(
        "create",
        json!({"urn": urn(KEY_TYPE, "first"), "properties": inputs}),
    );
    wait_until_called(&harness.emulator, Action::CreateClientKey);
    let second = harness.provider.call(
        "create",
        json!({"urn": urn(KEY_TYPE, "second"), "properties": inputs}),
    );
    let first = harness.provider.reply(first);
    let path = harness.path("shared.json");
    assert_one_writer(&harness, [(&first, &path), (&second, &path)], "one process");
    harness.finish(&[PASSWORD]);
}

#[test]
fn two_creates_aiming_at_one_key_file_from_two_processes_never_both_write_it() {
    let mut harness = Harness::start();
    let mut other = harness.start_other_stack();
    harness.create_access_point("aap", &["p"]);
    let path = harness.path("shared.json");
    let absolute = path.to_str().unwrap();
    let inputs = harness.assert_check_passes(KEY_TYPE, "key", key_news(absolute));
    let other_inputs = other
        .provider
        .assert_check_passes(KEY_TYPE, "key", key_news(absolute));
    slow_next_create(&harness);
    let first = harness.provider.send(
        "create",
        json!({"urn": urn(KEY_TYPE, "first"), "properties": inputs}),
    );
    wait_until_called(&harness.emulator, Action::CreateClientKey);
    let second = other.provider.call(
        "create",
        json!({"urn": urn(KEY_TYPE, "second"), "properties": other_inputs}),
    );
    let first = harness.provider.reply(first);
    assert_one_writer(
        &harness,
        [(&first, &path), (&second, &path)],
        "two processes",
    );
    assert!(other.provider.finish(&[PASSWORD]).success());
    harness.finish(&[PASSWORD]);
}

#[test]
fn a_later_create_in_another_process_never_replaces_the_file_of_a_live_key() {
    let mut first = Harness::start();
    first.create_access_point("aap", &["p"]);
    let created = first.assert_created(KEY_TYPE, "key", key_news("shared.json"));
    let key_id = created["id"].as_str().unwrap().to_owned();
    let path = first.path("shared.json");
    let written = fs::read(&path).unwrap();
    let private_data = key_file_private_data(&path);
    // The first process is gone before the second starts (another run of another stack, in the
    // same directory, spelling the path another way).
    let Harness {
        emulator,
        provider,
        directory,
    } = first;
    assert!(provider.finish(&[PASSWORD, &private_data]).success());

    let mut second = ProviderSession::start(directory.path(), &[]);
    second.result("configure", configure_params(&emulator));
    let inputs = second.assert_check_passes(KEY_TYPE, "other", key_news("./shared.json"));
    // check passes, with a warning that names the key the file holds.
    let warning = second.wait_for_log(|log| {
        log["severity"] == "warning"
            && log["message"]
                .as_str()
                .unwrap()
                .contains("already holds the private key of client key")
    });
    assert!(
        warning["message"].as_str().unwrap().contains(&key_id),
        "{warning}"
    );

    let counts = |emulator: &kms_emulator::Emulator| {
        [
            Action::CreateClientKey,
            Action::ListClientKeys,
            Action::GetClientKey,
        ]
        .map(|action| emulator.call_count(action))
    };
    let before = counts(&emulator);
    let error = second.error(
        "create",
        json!({"urn": urn(KEY_TYPE, "other"), "properties": inputs}),
    );
    assert_eq!(error["code"], -32059, "{error}");
    assert_eq!(error["data"]["heldClientKeyId"], key_id.as_str(), "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains(&key_id), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains("already holds the private key"),
        "{message}"
    );
    assert!(message.contains("nothing was created in KMS"), "{message}");
    // Refused before any KMS call: nothing created, listed or read.
    assert_eq!(
        counts(&emulator),
        before,
        "CreateClientKey, ListClientKeys, GetClientKey"
    );
    assert_eq!(fs::read(&path).unwrap(), written, "the file is unchanged");
    let keys = emulator.client_keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0].id, key_id);
    assert_eq!(directory_names(directory.path()), ["shared.json"]);
    assert!(second.finish(&[PASSWORD, &private_data]).success());
}

#[test]
fn a_replacement_that_keeps_its_key_file_deletes_the_old_key_first() {
    let mut harness = Harness::start();
    harness.create_access_point("aap", &["p"]);
    let old = harness.assert_created(KEY_TYPE, "key", key_news("key.json"));
    let old_data = key_file_private_data(&harness.path("key.json"));

    // A new password, the same file: diff asks for the old key to go first.
    let news =
        json!({"aapName": "aap", "password": "Rotated-Passw0rd", "privateKeyDataFile": "key.json"});
    let inputs = harness.assert_check_passes(KEY_TYPE, "key", news.clone());
    let diff = harness.provider.result(
        "diff",
        json!({"urn": urn(KEY_TYPE, "key"), "id": old["id"], "olds": old["properties"], "news": inputs}),
    );
    assert_eq!(diff["replaces"], json!(["password"]), "{diff}");
    assert_eq!(diff["deleteBeforeReplace"], true, "{diff}");

    // An engine that creates first anyway is refused: the file holds a live key.
    let refused = harness.provider.error(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    assert_eq!(refused["data"]["heldClientKeyId"], old["id"], "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("let the engine delete"),
        "{refused}"
    );

    // The engine's order: delete (which removes the file of the old key), then create.
    harness.provider.result(
        "delete",
        json!({"urn": urn(KEY_TYPE, "key"), "id": old["id"], "properties": old["properties"]}),
    );
    assert!(!harness.path("key.json").exists());
    let new = harness.provider.result(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    let new_data =
        assert_one_key_matching_the_file(&harness, new["id"].as_str().unwrap(), "key.json");
    assert_ne!(new["id"], old["id"]);

    // Another file needs no such order.
    let elsewhere = harness.assert_check_passes(
        KEY_TYPE,
        "key",
        json!({"aapName": "aap", "password": "Rotated-Passw0rd", "privateKeyDataFile": "elsewhere.json"}),
    );
    let diff = harness.provider.result(
        "diff",
        json!({"urn": urn(KEY_TYPE, "key"), "id": new["id"], "olds": new["properties"], "news": elsewhere}),
    );
    assert_eq!(diff["deleteBeforeReplace"], false, "{diff}");
    harness.finish(&[PASSWORD, "Rotated-Passw0rd", &old_data, &new_data]);
}

#[test]
fn the_file_of_a_key_gone_from_kms_is_kept_until_the_user_moves_it_away() {
    let mut harness = Harness::start();
    harness.create_access_point("aap", &["p"]);
    let old = harness.assert_created(KEY_TYPE, "key", key_news("key.json"));
    let old_id = old["id"].as_str().unwrap().to_owned();
    let written = fs::read(harness.path("key.json")).unwrap();
    let old_data = key_file_private_data(&harness.path("key.json"));
    // Deleted out of band (or with its access point, or in another account: the file cannot
    // say which), so the provider does not replace the file on its own.
    assert!(harness.emulator.delete_client_key(&old_id));
    let inputs = harness.assert_check_passes(KEY_TYPE, "key", key_news("key.json"));
    let creates_before = harness.emulator.call_count(Action::CreateClientKey);
    let refused = harness.provider.error(
        "create",
        json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
    );
    assert_eq!(refused["code"], -32059, "{refused}");
    assert_eq!(
        refused["data"]["heldClientKeyId"],
        old_id.as_str(),
        "{refused}"
    );
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("move the file away"),
        "{refused}"
    );
    assert_eq!(
        harness.emulator.call_count(Action::CreateClientKey),
        creates_before
    );
    assert_eq!(fs::read(harness.path("key.json")).unwrap(), written);

    // Once the user has moved it, the create writes the new key there.
    fs::rename(harness.path("key.json"), harness.path("old-key.json")).unwrap();
    let new = harness.assert_created(KEY_TYPE, "key", key_news("key.json"));
    let new_data =
        assert_one_key_matching_the_file(&harness, new["id"].as_str().unwrap(), "key.json");
    harness.finish(&[PASSWORD, &old_data, &new_data]);
}

/// Puts something at a path.
type MakeAtPath = dyn Fn(&Path);

#[test]
fn delete_leaves_a_fifo_a_device_and_a_huge_file_at_the_key_path_alone() {
    let mut harness = Harness::start();
    harness.create_access_point("aap", &["p"]);
    let make_fifo = |path: &Path| {
        let made = Command::new("mkfifo").arg(path).status().unwrap();
        assert!(made.success());
    };
    let make_huge = |path: &Path| {
        // Sparse: a gigabyte that takes no room on the disk.
        let file = fs::File::create(path).unwrap();
        file.set_len(1 << 30).unwrap();
    };
    let make_zero_link = |path: &Path| symlink("/dev/zero", path).unwrap();
    let rows: [(&str, &MakeAtPath, &str); 3] = [
        ("a FIFO", &make_fifo, "not a regular file"),
        (
            "a symlink to /dev/zero",
            &make_zero_link,
            "not a regular file",
        ),
        ("a huge file", &make_huge, "too large to be a key file"),
    ];
    for (what, make, reason) in rows {
        let inputs = harness.assert_check_passes(KEY_TYPE, "key", key_news("key.json"));
        let created = harness.provider.result(
            "create",
            json!({"urn": urn(KEY_TYPE, "key"), "properties": inputs}),
        );
        // Something else takes the key file's place.
        let path = harness.path("key.json");
        fs::remove_file(&path).unwrap();
        make(&path);
        let deleted = harness.provider.result(
            "delete",
            json!({"urn": urn(KEY_TYPE, "key"), "id": created["id"], "properties": created["properties"]}),
        );
        assert_eq!(deleted, json!({}), "{what}");
        assert!(harness.emulator.client_keys().is_empty(), "{what}");
        assert!(
            fs::symlink_metadata(&path).is_ok(),
            "{what}: it must be left alone"
        );
        let warned = harness.provider.has_log(Some("warning"), reason)
            && harness.provider.has_log(Some("warning"), "left alone");
        assert!(warned, "{what}: {:?}", harness.provider.logs);
        fs::remove_file(&path).unwrap();
        harness.provider.logs.clear();
    }
    harness.finish(&[PASSWORD]);
}

#[test]
fn check_tests_writability_with_the_real_permissions_and_says_the_actual_cause() {
    let mut harness = match Harness::start_unprivileged() {
        Ok(harness) => harness,
        Err(why) => {
            // Only reachable as root without setpriv: the rows need an unprivileged provider.
            eprintln!("skipped: {why}");
            return;
        }
    };
    let running_as_root = rustix::process::geteuid().is_root();
    harness.create_access_point("aap", &["p"]);
    let directory = harness.directory.path().to_path_buf();
    let mut rows = vec![
        // (path, what check must say, or None when it must pass)
        ("open/key.json", None),
        ("missing/key.json", Some("does not exist")),
    ];
    fs::create_dir(directory.join("open")).unwrap();
    fs::set_permissions(directory.join("open"), fs::Permissions::from_mode(0o777)).unwrap();
    if running_as_root {
        // A directory of root's with the usual mode 0755: its write bit is the owner's only.
        fs::create_dir(directory.join("root-only")).unwrap();
        fs::set_permissions(
            directory.join("root-only"),
            fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        rows.push((
            "root-only/key.json",
            Some("not writable by the user the provider runs as"),
        ));
        // A sticky directory like /tmp, with a file of root's where the key file would go.
        fs::create_dir(directory.join("sticky")).unwrap();
        fs::set_permissions(directory.join("sticky"), fs::Permissions::from_mode(0o1777)).unwrap();
        fs::write(directory.join("sticky/key.json"), "root's").unwrap();
        rows.push(("sticky/key.json", Some("belongs to another user")));
    } else {
        eprintln!(
            "the rows with another user's directory and file need root to set up; not run as this user"
        );
    }
    for (path, reason) in rows {
        let check = harness.provider.result(
            "check",
            json!({"urn": urn(KEY_TYPE, "key"), "olds": {}, "news": key_news(path)}),
        );
        let failures = check["failures"].as_array().unwrap();
        let Some(reason) = reason else {
            assert!(failures.is_empty(), "{path}: {check}");
            let created = harness.provider.result(
                "create",
                json!({"urn": urn(KEY_TYPE, "key"), "properties": check["inputs"]}),
            );
            let written = harness.path(path);
            assert_eq!(file_mode(&written), 0o600, "{path}");
            assert!(
                !key_file_private_data(&written).is_empty(),
                "{path}: {created}"
            );
            continue;
        };
        assert_eq!(failures.len(), 1, "{path}: {check}");
        let text = failures[0]["reason"].as_str().unwrap();
        assert!(text.contains(reason), "{path}: {text}");
        assert!(
            !text.contains("make it writable") || !reason.contains("another user"),
            "{path}: the advice must fit the cause: {text}"
        );
        // And a create that skipped check fails before KMS is called.
        let keys_before = harness.emulator.client_keys().len();
        let error = harness.provider.error(
            "create",
            json!({"urn": urn(KEY_TYPE, "key"), "properties": check["inputs"]}),
        );
        assert_eq!(error["code"], -32059, "{path}: {error}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(reason), "{path}: {message}");
        assert!(
            message.contains("nothing was created in KMS"),
            "{path}: {message}"
        );
        assert_eq!(harness.emulator.client_keys().len(), keys_before, "{path}");
    }
    if running_as_root {
        assert_eq!(
            fs::read_to_string(directory.join("sticky/key.json")).unwrap(),
            "root's"
        );
    }
    harness.finish(&[PASSWORD]);
}
