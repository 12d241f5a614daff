//! The provider's outcomes as the engine's protobuf replies: the one place that knows both sides
//! on the way out, and the protocol features the plugin announces.

use super::generated::pulumirpc as proto;
use super::values::properties_to_struct;
use crate::provider::{CheckOutcome, DiffKind, DiffOutcome};
use crate::resources::{CreateResult, ReadResult, UpdateResult};

/// What `Handshake` and `Configure` announce. Secrets: the provider reads them wrapped or plain
/// and returns the schema's secrets wrapped. Resource references: accepted as values (the schema
/// has no property that takes one, so `check` says so). Previews: `create` and `update` plan
/// without calling KMS. Output values and autonaming configuration are not taken: auto-naming
/// uses `randomSeed`, as older engines send it.
const ACCEPT_SECRETS: bool = true;
const ACCEPT_RESOURCES: bool = true;
const SUPPORTS_PREVIEW: bool = true;

pub fn handshake() -> proto::ProviderHandshakeResponse {
    proto::ProviderHandshakeResponse {
        accept_secrets: ACCEPT_SECRETS,
        accept_resources: ACCEPT_RESOURCES,
        ..Default::default()
    }
}

pub fn configure() -> proto::ConfigureResponse {
    proto::ConfigureResponse {
        accept_secrets: ACCEPT_SECRETS,
        supports_preview: SUPPORTS_PREVIEW,
        accept_resources: ACCEPT_RESOURCES,
        ..Default::default()
    }
}

pub fn check(outcome: CheckOutcome) -> proto::CheckResponse {
    proto::CheckResponse {
        inputs: Some(properties_to_struct(&outcome.inputs)),
        failures: outcome
            .failures
            .into_iter()
            .map(|failure| proto::CheckFailure {
                property: failure.property,
                reason: failure.reason,
            })
            .collect(),
    }
}

pub fn diff(outcome: DiffOutcome) -> proto::DiffResponse {
    use proto::diff_response::DiffChanges;
    let changes = if outcome.has_changes {
        DiffChanges::DiffSome
    } else {
        DiffChanges::DiffNone
    };
    proto::DiffResponse {
        changes: changes as i32,
        replaces: outcome.replaces,
        stables: outcome.stables,
        delete_before_replace: outcome.delete_before_replace,
        diffs: outcome.diffs,
        detailed_diff: outcome
            .detailed_diff
            .into_iter()
            .map(|(path, diff)| {
                let diff = proto::PropertyDiff {
                    kind: kind_of(diff.kind) as i32,
                    input_diff: diff.input_diff,
                };
                (path, diff)
            })
            .collect(),
        has_detailed_diff: true,
    }
}

/// A diff kind by its name, which is the protocol's (`PropertyDiff.Kind`).
fn kind_of(kind: DiffKind) -> proto::property_diff::Kind {
    proto::property_diff::Kind::from_str_name(kind.as_str())
        .expect("DiffKind names are the protocol's PropertyDiff.Kind names")
}

pub fn create(result: CreateResult) -> proto::CreateResponse {
    proto::CreateResponse {
        id: result.id,
        properties: Some(properties_to_struct(&result.properties)),
        refresh_before_update: false,
    }
}

/// An empty id (with empty bags) tells the engine the resource is gone.
pub fn read(result: ReadResult) -> proto::ReadResponse {
    let (id, properties, inputs) = match result {
        ReadResult::Found {
            id,
            properties,
            inputs,
        } => (id, properties, inputs),
        ReadResult::Gone => Default::default(),
    };
    proto::ReadResponse {
        id,
        properties: Some(properties_to_struct(&properties)),
        inputs: Some(properties_to_struct(&inputs)),
        refresh_before_update: false,
    }
}

pub fn update(result: UpdateResult) -> proto::UpdateResponse {
    proto::UpdateResponse {
        properties: Some(properties_to_struct(&result.properties)),
        refresh_before_update: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_diff_kind_has_its_protocol_name() {
        use proto::property_diff::Kind;
        let table = [
            (DiffKind::Add, Kind::Add),
            (DiffKind::AddReplace, Kind::AddReplace),
            (DiffKind::Delete, Kind::Delete),
            (DiffKind::DeleteReplace, Kind::DeleteReplace),
            (DiffKind::Update, Kind::Update),
            (DiffKind::UpdateReplace, Kind::UpdateReplace),
        ];
        for (kind, expected) in table {
            assert_eq!(kind_of(kind), expected);
        }
    }
}
