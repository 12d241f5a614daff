//! The wire form of every method's result, and of the server's `log` notification: plain serde
//! structs in the camelCase of Pulumi's `provider.proto`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::provider::{CheckOutcome, DiffOutcome};
use crate::resources::{CheckFailure, CreateResult, LogEntry, PropertyMap, ReadResult};

#[derive(Clone, Debug, Serialize)]
pub struct PluginInfoReply {
    pub version: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckFailureReply {
    pub property: String,
    pub reason: String,
}

impl From<CheckFailure> for CheckFailureReply {
    fn from(failure: CheckFailure) -> CheckFailureReply {
        CheckFailureReply {
            property: failure.property,
            reason: failure.reason,
        }
    }
}

/// `check` and `checkConfig`.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReply {
    pub inputs: PropertyMap,
    pub failures: Vec<CheckFailureReply>,
}

impl From<CheckOutcome> for CheckReply {
    fn from(outcome: CheckOutcome) -> CheckReply {
        CheckReply {
            inputs: outcome.inputs,
            failures: outcome.failures.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigureReply {
    pub accept_secrets: bool,
    pub supports_preview: bool,
    pub accept_resources: bool,
    pub accept_outputs: bool,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyDiffReply {
    pub kind: &'static str,
    pub input_diff: bool,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffReply {
    /// `DIFF_NONE` or `DIFF_SOME` (the provider always decides, so never `DIFF_UNKNOWN`).
    pub changes: &'static str,
    pub replaces: Vec<String>,
    pub stables: Vec<String>,
    pub delete_before_replace: bool,
    pub diffs: Vec<String>,
    pub detailed_diff: BTreeMap<String, PropertyDiffReply>,
    pub has_detailed_diff: bool,
}

impl From<DiffOutcome> for DiffReply {
    fn from(outcome: DiffOutcome) -> DiffReply {
        DiffReply {
            changes: if outcome.has_changes {
                "DIFF_SOME"
            } else {
                "DIFF_NONE"
            },
            replaces: outcome.replaces,
            stables: outcome.stables,
            delete_before_replace: outcome.delete_before_replace,
            diffs: outcome.diffs,
            detailed_diff: outcome
                .detailed_diff
                .into_iter()
                .map(|(path, diff)| {
                    (
                        path,
                        PropertyDiffReply {
                            kind: diff.kind.as_str(),
                            input_diff: diff.input_diff,
                        },
                    )
                })
                .collect(),
            has_detailed_diff: true,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct CreateReply {
    pub id: String,
    pub properties: PropertyMap,
    /// Not in Pulumi's `CreateResponse`: what the user must know although the create succeeded
    /// (sent as `log` warnings too). Absent when there is nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl From<CreateResult> for CreateReply {
    fn from(result: CreateResult) -> CreateReply {
        CreateReply {
            id: result.id,
            properties: result.properties,
            warnings: result.warnings,
        }
    }
}

/// `read`: an empty `id` (with empty maps) means the resource is gone.
#[derive(Clone, Debug, Serialize)]
pub struct ReadReply {
    pub id: String,
    pub properties: PropertyMap,
    pub inputs: PropertyMap,
}

impl From<ReadResult> for ReadReply {
    fn from(result: ReadResult) -> ReadReply {
        match result {
            ReadResult::Found {
                id,
                properties,
                inputs,
            } => ReadReply {
                id,
                properties,
                inputs,
            },
            ReadResult::Gone => ReadReply {
                id: String::new(),
                properties: PropertyMap::new(),
                inputs: PropertyMap::new(),
            },
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct UpdateReply {
    pub properties: PropertyMap,
}

/// `delete`, `cancel`, and the test hooks: `{}`.
#[derive(Clone, Debug, Serialize)]
pub struct EmptyReply {}

/// The params of the server → client `log` notification.
#[derive(Clone, Debug, Serialize)]
pub struct LogParams {
    pub severity: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub urn: Option<String>,
}

impl From<LogEntry> for LogParams {
    fn from(entry: LogEntry) -> LogParams {
        LogParams {
            severity: entry.severity.as_str(),
            message: entry.message,
            urn: entry.urn,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{LogSeverity, PropertyValue};
    use serde_json::json;

    #[test]
    fn results_encode_in_the_camel_case_of_provider_proto() {
        let read = ReadReply::from(ReadResult::Found {
            id: "aap".into(),
            properties: PropertyMap::from([("policies".to_owned(), PropertyValue::Array(vec![]))]),
            inputs: PropertyMap::new(),
        });
        assert_eq!(
            serde_json::to_value(read).unwrap(),
            json!({"id": "aap", "properties": {"policies": []}, "inputs": {}})
        );
        let gone = ReadReply::from(ReadResult::Gone);
        assert_eq!(
            serde_json::to_value(gone).unwrap(),
            json!({"id": "", "properties": {}, "inputs": {}})
        );
        let configure = ConfigureReply {
            accept_secrets: true,
            supports_preview: true,
            accept_resources: false,
            accept_outputs: false,
        };
        assert_eq!(
            serde_json::to_value(configure).unwrap(),
            json!({"acceptSecrets": true, "supportsPreview": true, "acceptResources": false, "acceptOutputs": false})
        );
        let log = LogParams::from(LogEntry {
            severity: LogSeverity::Warning,
            message: "slow".into(),
            urn: None,
        });
        assert_eq!(
            serde_json::to_value(log).unwrap(),
            json!({"severity": "warning", "message": "slow"})
        );
        assert_eq!(serde_json::to_value(EmptyReply {}).unwrap(), json!({}));
    }
}
