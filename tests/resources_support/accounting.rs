//! The invariant every fault must leave intact: each client key in KMS is in a success reply
//! together with its key file, or named in an error reply; and each key a success reply names
//! still exists.

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
}

/// Every key in the emulator is accounted for by `replies`, and every key a success reply
/// reports exists, with its key file holding it. `row` says which case failed.
pub fn assert_keys_accounted_for(emulator: &Emulator, replies: &[CreateReply], row: &str) {
    let in_kms: Vec<String> = emulator
        .client_keys()
        .into_iter()
        .map(|key| key.id)
        .collect();
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
    for key in &in_kms {
        let accounted = replies.iter().any(|reply| {
            reply.created() == Some(key.as_str()) || reply.named().iter().any(|id| id == key)
        });
        let replies: Vec<&Value> = replies.iter().map(|reply| &reply.reply).collect();
        assert!(
            accounted,
            "{row}: the key {key} is in KMS, but no reply accounts for it: {replies:?}"
        );
    }
}
