//! The typed KMS operations, and the declaration of each action this client calls: its name,
//! how it travels and whether it may be repeated. Each action is declared once, as an [`Action`]
//! constant below; everything else (the client's request builder, its retry loop) reads the
//! constant.
//!
//! Methods follow the official SDKs; the placement follows tea-rpc, the client the Terraform
//! provider uses (docs/kms-api.md §2): mutations put their parameters in
//! a form body and the common parameters and `Signature` in the query, while reads put everything
//! in the query (Describe and List with an empty form body). Keeping a password out of the URL
//! also keeps it out of any proxy or server access log.

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

/// A KMS action: its API name, its HTTP method, where its parameters go, and whether repeating
/// it is harmless (see `retry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    name: &'static str,
    method: HttpMethod,
    parameters_in_body: bool,
    idempotency: Idempotency,
}

impl Action {
    /// A POST whose action parameters go in the form body (creates, updates, deletes). A
    /// resource may declare an action only it calls in its own folder, with this or
    /// [`Action::read`], and call it through the crate's `Client::call` with its own serde
    /// request and response types.
    pub const fn mutation(name: &'static str, idempotency: Idempotency) -> Action {
        Action {
            name,
            method: HttpMethod::Post,
            parameters_in_body: true,
            idempotency,
        }
    }

    /// A read whose parameters go in the query, sent with `method`.
    pub const fn read(name: &'static str, method: HttpMethod) -> Action {
        Action {
            name,
            method,
            parameters_in_body: false,
            idempotency: Idempotency::Idempotent,
        }
    }

    pub const CREATE_CLIENT_KEY: Action =
        Action::mutation("CreateClientKey", Idempotency::NonIdempotent);
    pub const GET_CLIENT_KEY: Action = Action::read("GetClientKey", HttpMethod::Get);
    pub const DELETE_CLIENT_KEY: Action =
        Action::mutation("DeleteClientKey", Idempotency::Idempotent);
    pub const LIST_CLIENT_KEYS: Action = Action::read("ListClientKeys", HttpMethod::Get);
    pub const CREATE_APPLICATION_ACCESS_POINT: Action =
        Action::mutation("CreateApplicationAccessPoint", Idempotency::NonIdempotent);
    pub const DESCRIBE_APPLICATION_ACCESS_POINT: Action =
        Action::read("DescribeApplicationAccessPoint", HttpMethod::Post);
    pub const UPDATE_APPLICATION_ACCESS_POINT: Action =
        Action::mutation("UpdateApplicationAccessPoint", Idempotency::Idempotent);
    pub const DELETE_APPLICATION_ACCESS_POINT: Action =
        Action::mutation("DeleteApplicationAccessPoint", Idempotency::Idempotent);
    pub const LIST_APPLICATION_ACCESS_POINTS: Action =
        Action::read("ListApplicationAccessPoints", HttpMethod::Post);

    /// The API name of the action.
    pub fn name(self) -> &'static str {
        self.name
    }

    /// The HTTP method, and whether the action parameters go in the form body (`true`) or the
    /// query (`false`).
    pub fn placement(self) -> (HttpMethod, bool) {
        (self.method, self.parameters_in_body)
    }

    /// Whether repeating the action is harmless (see `retry`).
    pub fn idempotency(self) -> Idempotency {
        self.idempotency
    }

    /// Shorthand for `idempotency() == Idempotent`.
    pub fn is_idempotent(self) -> bool {
        self.idempotency == Idempotency::Idempotent
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
        self.call(Action::CREATE_CLIENT_KEY, request, options).await
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
        self.call(Action::GET_CLIENT_KEY, &request, options).await
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
        self.call(Action::DELETE_CLIENT_KEY, &request, options)
            .await
    }

    /// `ListClientKeys`, optionally only those of one AAP.
    pub async fn list_client_keys(
        &self,
        request: &ListClientKeysRequest,
        options: &CallOptions,
    ) -> Result<ListClientKeysResponse, KmsError> {
        self.call(Action::LIST_CLIENT_KEYS, request, options).await
    }

    /// `CreateApplicationAccessPoint`. Not retried after an ambiguous failure (see
    /// [`Client::create_client_key`]); a later `Rejected.ResourceExist` would tell the caller.
    pub async fn create_application_access_point(
        &self,
        request: &CreateApplicationAccessPointRequest,
        options: &CallOptions,
    ) -> Result<ApplicationAccessPoint, KmsError> {
        self.call(Action::CREATE_APPLICATION_ACCESS_POINT, request, options)
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
        self.call(Action::DESCRIBE_APPLICATION_ACCESS_POINT, &request, options)
            .await
    }

    /// `UpdateApplicationAccessPoint`.
    pub async fn update_application_access_point(
        &self,
        request: &UpdateApplicationAccessPointRequest,
        options: &CallOptions,
    ) -> Result<RequestIdResponse, KmsError> {
        self.call(Action::UPDATE_APPLICATION_ACCESS_POINT, request, options)
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
        self.call(Action::DELETE_APPLICATION_ACCESS_POINT, &request, options)
            .await
    }

    /// `ListApplicationAccessPoints` (one page).
    pub async fn list_application_access_points(
        &self,
        request: &ListApplicationAccessPointsRequest,
        options: &CallOptions,
    ) -> Result<ListApplicationAccessPointsResponse, KmsError> {
        self.call(Action::LIST_APPLICATION_ACCESS_POINTS, request, options)
            .await
    }
}
