//! The declaration of a KMS action: its API name, how it travels and whether it may be repeated.
//! Each resource declares the actions it calls in its own folder, as [`Action`] constants, and
//! calls them through `Client::call`; the client's request builder and retry loop read the
//! constant.
//!
//! Methods follow the official SDKs; the placement follows tea-rpc, the client the Terraform
//! provider uses (docs/kms-api.md §2): mutations put their parameters in a form body and the
//! common parameters and `Signature` in the query, while reads put everything in the query
//! (Describe and List with an empty form body). Keeping a password out of the URL also keeps it
//! out of any proxy or server access log.

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
