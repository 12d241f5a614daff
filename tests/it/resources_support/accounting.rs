//! The invariant every fault must leave intact: each client key in KMS is in a success reply
//! together with its key file, or named in an error reply, or (a request KMS carried out after
//! the provider stopped looking) named by its dates in a reply; and each key a success reply
//! names still exists.

use std::path::{Path, PathBuf};

use kms_emulator::Emulator;
use serde_json::Value;

/// The reply to one ClientKey `create` (the whole JSON-RPC reply, or a `{"result": ...}`), and
/// where its key file was to be written.
pub struct CreateReply {
    pub reply: Value,
    pub key_file: PathBuf,
}

impl CreateReply {
    pub fn new(reply: &Value, key_file: &Path) -> CreateReply {
        CreateReply {
            reply: reply.clone(),
            key_file: key_file.to_path_buf(),
        }
    }

    /// The key a success reply reports (with its file holding it).
    fn created(&self) -> Option<&str> {
        self.reply.get("result").map(|result| {
            result["id"]
                .as_str()
                .unwrap_or_else(|| panic!("a create result without an id: {}", self.reply))
        })
    }

    /// The keys an error reply names: the candidates of an ambiguous create, a key left without
    /// its private key, a key created but not fully initialised.
    pub fn named(&self) -> Vec<String> {
        let Some(data) = self.reply.get("error").map(|error| &error["data"]) else {
            return Vec::new();
        };
        let mut named: Vec<String> = data["candidateIds"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|id| id.as_str().map(str::to_owned))
            .collect();
        for member in ["clientKeyId", "id"] {
            if let Some(id) = data[member].as_str() {
                named.push(id.to_owned());
            }
        }
        let message = self.reply["error"]["message"].as_str().unwrap_or_default();
        for id in &named {
            assert!(
                message.contains(id.as_str()),
                "an error names {id} in its data but not in its message: {}",
                self.reply
            );
        }
        named
    }

    /// Whether the reply names a key by its validity dates (`NotBefore <a> and NotAfter <b>`),
    /// in an error's message or a success's warnings: a key that may appear after the provider
    /// looked.
    pub fn names_dates(&self, not_before: &str, not_after: &str) -> bool {
        let dates = format!("NotBefore {not_before} and NotAfter {not_after}");
        let error = self.reply["error"]["message"].as_str().unwrap_or_default();
        let warnings = self.reply["result"]["warnings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str);
        error.contains(&dates) || warnings.into_iter().any(|warning| warning.contains(&dates))
    }
}

/// Every key in the emulator is accounted for by `replies`, and every key a success reply
/// reports exists, with its key file holding it. `row` says which case failed.
pub fn assert_keys_accounted_for(emulator: &Emulator, replies: &[CreateReply], row: &str) {
    let keys = emulator.client_keys();
    let in_kms: Vec<String> = keys.iter().map(|key| key.id.clone()).collect();
    for reply in replies {
        if let Some(id) = reply.created() {
            assert!(
                in_kms.iter().any(|key| key == id),
                "{row}: the key {id} of a successful create is gone"
            );
            let text = std::fs::read_to_string(&reply.key_file).unwrap_or_else(|error| {
                panic!("{row}: the key file {}: {error}", reply.key_file.display())
            });
            let parsed: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                parsed["KeyId"],
                id,
                "{row}: {} holds another key",
                reply.key_file.display()
            );
        }
    }
    for key in &keys {
        let accounted = replies.iter().any(|reply| {
            reply.created() == Some(key.id.as_str())
                || reply.named().contains(&key.id)
                || reply.names_dates(&key.not_before, &key.not_after)
        });
        let key = &key.id;
        let replies: Vec<&Value> = replies.iter().map(|reply| &reply.reply).collect();
        assert!(
            accounted,
            "{row}: the key {key} is in KMS, but no reply accounts for it: {replies:?}"
        );
    }
}
