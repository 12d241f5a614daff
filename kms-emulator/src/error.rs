//! Errors: the KMS/gateway error answers (`ApiError`) and the emulator's own failures.

use std::borrow::Cow;

use crate::rules;

/// An error answer of the emulated service: HTTP status, `Code` and `Message`. The server adds
/// `RequestId`, `HostId` and `Recommend` when it writes the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status of the response.
    pub status: u16,
    /// The `Code` field, e.g. `Forbidden.ResourceNotFound`.
    pub code: Cow<'static, str>,
    /// The `Message` field.
    pub message: String,
}

impl ApiError {
    pub(crate) fn new(
        status: u16,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// `MissingParameter` (400): an action parameter is absent or empty.
    pub fn missing_parameter(name: &str) -> Self {
        Self::new(
            400,
            "MissingParameter",
            format!("The parameter \"{name}\" is needed but not provided."),
        )
    }

    /// A gateway-level common parameter is absent: `Missing<Name>` (400), or `MissingParameter`
    /// depending on [`rules::GATEWAY_MISSING_USES_NAMED_CODE`].
    pub fn missing_common_parameter(name: &str) -> Self {
        if rules::GATEWAY_MISSING_USES_NAMED_CODE {
            Self::new(
                400,
                format!("Missing{name}"),
                format!("{name} is mandatory for this action."),
            )
        } else {
            Self::missing_parameter(name)
        }
    }

    /// `InvalidParameter` (400) with a sentence saying what is wrong.
    pub fn invalid_parameter(name: &str, why: &str) -> Self {
        Self::new(
            400,
            "InvalidParameter",
            format!("The specified parameter \"{name}\" is not valid. {why}"),
        )
    }

    /// `Forbidden.ResourceNotFound` (404).
    pub fn resource_not_found(kind: &str, name: &str) -> Self {
        Self::new(
            404,
            "Forbidden.ResourceNotFound",
            format!("The resource is not found. {kind} \"{name}\" does not exist."),
        )
    }

    /// `Rejected.ResourceExist` (409).
    pub fn resource_exists(kind: &str, name: &str) -> Self {
        Self::new(
            409,
            "Rejected.ResourceExist",
            format!("The resource already exists. {kind} \"{name}\" already exists."),
        )
    }

    /// Throttling, as chosen in [`rules::THROTTLING_CODE`].
    pub fn throttled() -> Self {
        Self::new(
            rules::THROTTLING_STATUS,
            rules::THROTTLING_CODE,
            rules::THROTTLING_MESSAGE,
        )
    }

    /// A server-side failure with the given 5xx status.
    pub fn server_error(status: u16) -> Self {
        if status == 503 {
            Self::new(
                503,
                "ServiceUnavailableTemporary",
                "Service Unavailable Temporary.",
            )
        } else {
            Self::new(status, "InternalFailure", "Internal Failure.")
        }
    }

    /// `SignatureDoesNotMatch` (400), naming the server's string to sign as the real gateway does.
    pub fn signature_does_not_match(string_to_sign: &str) -> Self {
        Self::new(
            400,
            "SignatureDoesNotMatch",
            format!("Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"),
        )
    }

    /// `InvalidTimeStamp.Format` (400).
    pub fn timestamp_format() -> Self {
        Self::new(
            400,
            "InvalidTimeStamp.Format",
            "Specified time stamp or date value is not well formatted.",
        )
    }

    /// `InvalidTimeStamp.Expired` (400).
    pub fn timestamp_expired() -> Self {
        Self::new(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        )
    }

    /// `SignatureNonceUsed` (400).
    pub fn nonce_used() -> Self {
        Self::new(
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        )
    }

    /// `InvalidAccessKeyId.NotFound`.
    pub fn access_key_not_found() -> Self {
        Self::new(
            rules::ACCESS_KEY_NOT_FOUND_STATUS,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        )
    }

    /// `MissingSecurityToken` (400): the access key is an STS key but no token was sent.
    pub fn security_token_missing() -> Self {
        Self::missing_common_parameter("SecurityToken")
    }

    /// `InvalidSecurityToken.MismatchWithAccessKey` (400).
    pub fn security_token_mismatch() -> Self {
        Self::new(
            400,
            "InvalidSecurityToken.MismatchWithAccessKey",
            "Specified SecurityToken mismatch with the AccessKey.",
        )
    }

    /// `InvalidSecurityToken.Expired`: an issued temporary credential used after its
    /// `Expiration`.
    pub fn security_token_expired() -> Self {
        Self::new(
            rules::SECURITY_TOKEN_EXPIRED_STATUS,
            "InvalidSecurityToken.Expired",
            "Specified SecurityToken is expired.",
        )
    }

    /// `InvalidSignatureMethod` (400) for a V3 algorithm other than `ACS3-HMAC-SHA256`.
    pub fn invalid_signature_method_named(algorithm: &str) -> Self {
        Self::new(
            400,
            "InvalidSignatureMethod",
            format!("Specified signature method is not valid. The emulator verifies ACS3-HMAC-SHA256 (and HMAC-SHA1 signature version 1.0), not {algorithm}."),
        )
    }

    /// A V3 request whose `x-acs-content-sha256` is not the hash of its body, as chosen in
    /// [`rules::CONTENT_HASH_MISMATCH_CODE`].
    pub fn content_hash_mismatch() -> Self {
        Self::new(
            400,
            rules::CONTENT_HASH_MISMATCH_CODE,
            "The x-acs-content-sha256 header is not the hex SHA-256 of the request body.",
        )
    }

    /// `InvalidApi.NotFound` (404): unknown action, version or path.
    pub fn api_not_found() -> Self {
        Self::new(
            404,
            "InvalidApi.NotFound",
            "Specified api is not found,please check your url and method.",
        )
    }

    /// `UnsupportedHTTPMethod` (403).
    pub fn unsupported_method() -> Self {
        Self::new(
            403,
            "UnsupportedHTTPMethod",
            "This http method is not supported.",
        )
    }

    /// `InvalidSignatureMethod` (400).
    pub fn invalid_signature_method() -> Self {
        Self::new(
            400,
            "InvalidSignatureMethod",
            "Specified signature method is not valid.",
        )
    }

    /// `IncompleteSignature` (400) with a sentence saying what is wrong.
    pub fn incomplete_signature(why: &str) -> Self {
        Self::new(
            400,
            "IncompleteSignature",
            format!("The request signature does not conform to Alibaba Cloud standards. {why}"),
        )
    }

    /// `ParseRequestParameterException` (400, or 413 for a body over the limit).
    pub fn unparsable_request(status: u16, why: &str) -> Self {
        Self::new(
            status,
            "ParseRequestParameterException",
            format!("Server parse parameters exception. Please check your input params. {why}"),
        )
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listen address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address asked for.
        address: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The state file exists but could not be read or parsed.
    #[error("cannot load the state file {path}: {reason}; fix or delete it")]
    StateFile {
        /// The state file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The background runtime could not be started.
    #[error("cannot start the emulator's runtime: {0}")]
    Runtime(String),
}

/// Why a fault specification was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    /// The action name is neither a known action nor `*`.
    #[error("unknown action {0:?}: use a KMS action name (19), an STS action name (AssumeRole, AssumeRoleWithOIDC, GetCallerIdentity) or \"*\" for all actions")]
    UnknownAction(String),
    /// The specification is inconsistent.
    #[error("invalid fault specification: {0}")]
    Invalid(String),
}
