//! The typed KMS operations, and for each action how it travels and whether it may be repeated.
//!
//! | action | method | action parameters in | idempotent |
//! |---|---|---|---|
//! | `CreateClientKey` | POST | form body | no |
//! | `GetClientKey` | GET | query | yes |
//! | `DeleteClientKey` | POST | form body | yes |
//! | `ListClientKeys` | GET | query | yes |
//! | `CreateApplicationAccessPoint` | POST | form body | no |
//! | `DescribeApplicationAccessPoint` | POST | query (empty form body) | yes |
//! | `UpdateApplicationAccessPoint` | POST | form body | yes |
//! | `DeleteApplicationAccessPoint` | POST | form body | yes |
//! | `ListApplicationAccessPoints` | POST | query (empty form body) | yes |
//!
//! Methods follow the official SDKs (reference §2); the placement follows tea-rpc, the client the
//! Terraform provider uses (reference §1): mutations put their parameters in a form body and the
//! common parameters and `Signature` in the query. Keeping a password out of the URL also keeps it
//! out of any proxy or server access log.

use crate::kms::client::{CallOptions, Client};
use crate::kms::error::KmsError;
use crate::kms::model::{
    ApplicationAccessPoint, ApplicationAccessPointNameRequest, ClientKeyIdRequest,
    CreateApplicationAccessPointRequest, CreateClientKeyRequest, CreateClientKeyResponse,
    GetClientKeyResponse, ListApplicationAccessPointsRequest, ListApplicationAccessPointsResponse,
    ListClientKeysRequest, ListClientKeysResponse, RequestIdResponse,
    UpdateApplicationAccessPointRequest,
};
use crate::kms::retry::Idempotency;
use crate::kms::transport::HttpMethod;

/// The KMS actions this client calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `CreateClientKey`.
    CreateClientKey,
    /// `GetClientKey`.
    GetClientKey,
    /// `DeleteClientKey`.
    DeleteClientKey,
    /// `ListClientKeys`.
    ListClientKeys,
    /// `CreateApplicationAccessPoint`.
    CreateApplicationAccessPoint,
    /// `DescribeApplicationAccessPoint`.
    DescribeApplicationAccessPoint,
    /// `UpdateApplicationAccessPoint`.
    UpdateApplicationAccessPoint,
    /// `DeleteApplicationAccessPoint`.
    DeleteApplicationAccessPoint,
    /// `ListApplicationAccessPoints`.
    ListApplicationAccessPoints,
}

impl Action {
    /// The API name of the action.
    pub fn name(self) -> &'static str {
        match self {
            Action::CreateClientKey => "CreateClientKey",
            Action::GetClientKey => "GetClientKey",
            Action::DeleteClientKey => "DeleteClientKey",
            Action::ListClientKeys => "ListClientKeys",
            Action::CreateApplicationAccessPoint => "CreateApplicationAccessPoint",
            Action::DescribeApplicationAccessPoint => "DescribeApplicationAccessPoint",
            Action::UpdateApplicationAccessPoint => "UpdateApplicationAccessPoint",
            Action::DeleteApplicationAccessPoint => "DeleteApplicationAccessPoint",
            Action::ListApplicationAccessPoints => "ListApplicationAccessPoints",
        }
    }

    /// The HTTP method, and whether the action parameters go in the form body (`true`) or the
    /// query (`false`).
    pub fn placement(self) -> (HttpMethod, bool) {
        match self {
            Action::GetClientKey | Action::ListClientKeys => (HttpMethod::Get, false),
            Action::DescribeApplicationAccessPoint | Action::ListApplicationAccessPoints => {
                (HttpMethod::Post, false)
            }
            Action::CreateClientKey
            | Action::DeleteClientKey
            | Action::CreateApplicationAccessPoint
            | Action::UpdateApplicationAccessPoint
            | Action::DeleteApplicationAccessPoint => (HttpMethod::Post, true),
        }
    }

    /// Whether repeating the action is harmless (see `retry`).
    pub fn idempotency(self) -> Idempotency {
        match self {
            Action::CreateClientKey | Action::CreateApplicationAccessPoint => {
                Idempotency::NonIdempotent
            }
            _ => Idempotency::Idempotent,
        }
    }

    /// Shorthand for `idempotency() == Idempotent`.
    pub fn is_idempotent(self) -> bool {
        self.idempotency() == Idempotency::Idempotent
    }
}

impl Client {
    /// `CreateClientKey`. Not retried after an ambiguous failure: the error is then
    /// `KmsError::OutcomeUnknown`, and the caller should list the AAP's keys to reconcile.
    pub async fn create_client_key(
        &self,
        request: &CreateClientKeyRequest,
        options: &CallOptions,
    ) -> Result<CreateClientKeyResponse, KmsError> {
        self.call(Action::CreateClientKey, request, options).await
    }

    /// `GetClientKey`; a missing key gives an error whose `is_not_found()` is true.
    pub async fn get_client_key(
        &self,
        client_key_id: &str,
        options: &CallOptions,
    ) -> Result<GetClientKeyResponse, KmsError> {
        let request = ClientKeyIdRequest {
            client_key_id: client_key_id.to_owned(),
        };
        self.call(Action::GetClientKey, &request, options).await
    }

    /// `DeleteClientKey`.
    pub async fn delete_client_key(
        &self,
        client_key_id: &str,
        options: &CallOptions,
    ) -> Result<RequestIdResponse, KmsError> {
        let request = ClientKeyIdRequest {
            client_key_id: client_key_id.to_owned(),
        };
        self.call(Action::DeleteClientKey, &request, options).await
    }

    /// `ListClientKeys`, optionally only those of one AAP.
    pub async fn list_client_keys(
        &self,
        request: &ListClientKeysRequest,
        options: &CallOptions,
    ) -> Result<ListClientKeysResponse, KmsError> {
        self.call(Action::ListClientKeys, request, options).await
    }

    /// `CreateApplicationAccessPoint`. Not retried after an ambiguous failure (see
    /// [`Client::create_client_key`]); a later `Rejected.ResourceExist` would tell the caller.
    pub async fn create_application_access_point(
        &self,
        request: &CreateApplicationAccessPointRequest,
        options: &CallOptions,
    ) -> Result<ApplicationAccessPoint, KmsError> {
        self.call(Action::CreateApplicationAccessPoint, request, options)
            .await
    }

    /// `DescribeApplicationAccessPoint`; a missing AAP gives an error whose `is_not_found()` is
    /// true.
    pub async fn describe_application_access_point(
        &self,
        name: &str,
        options: &CallOptions,
    ) -> Result<ApplicationAccessPoint, KmsError> {
        let request = ApplicationAccessPointNameRequest {
            name: name.to_owned(),
        };
        self.call(Action::DescribeApplicationAccessPoint, &request, options)
            .await
    }

    /// `UpdateApplicationAccessPoint`.
    pub async fn update_application_access_point(
        &self,
        request: &UpdateApplicationAccessPointRequest,
        options: &CallOptions,
    ) -> Result<RequestIdResponse, KmsError> {
        self.call(Action::UpdateApplicationAccessPoint, request, options)
            .await
    }

    /// `DeleteApplicationAccessPoint`.
    pub async fn delete_application_access_point(
        &self,
        name: &str,
        options: &CallOptions,
    ) -> Result<RequestIdResponse, KmsError> {
        let request = ApplicationAccessPointNameRequest {
            name: name.to_owned(),
        };
        self.call(Action::DeleteApplicationAccessPoint, &request, options)
            .await
    }

    /// `ListApplicationAccessPoints` (one page).
    pub async fn list_application_access_points(
        &self,
        request: &ListApplicationAccessPointsRequest,
        options: &CallOptions,
    ) -> Result<ListApplicationAccessPointsResponse, KmsError> {
        self.call(Action::ListApplicationAccessPoints, request, options)
            .await
    }
}
