//! The emulator's answers to questions the KMS documentation leaves open (docs/kms-api.md §9).
//!
//! Every behaviour that no source confirms is decided here, in one place, as a constant, so that
//! changing a decision is a one-line edit. The README's "Unconfirmed behaviour" table lists each
//! constant with the reasoning behind the chosen value.

/// Width of the accepted clock skew between a request's `Timestamp` and the emulator's clock.
/// Documented by the gateway (`InvalidTimeStamp.Expired`: more than 15 minutes apart).
pub const TIMESTAMP_WINDOW_SECONDS: i64 = 15 * 60;

/// How long a `SignatureNonce` stays used. Documented by Alibaba staff as 31 minutes.
pub const NONCE_TTL_SECONDS: u64 = 31 * 60;

/// HTTP status of `InvalidAccessKeyId.NotFound`: the KMS error table says 404, the gateway page
/// says 400. We follow the KMS table.
pub const ACCESS_KEY_NOT_FOUND_STATUS: u16 = 404;

/// Throttling answer. The gateway documents `Throttling.User` with 400; KMS documents
/// `Rejected.Throttling` with 429. We answer as the gateway does.
pub const THROTTLING_CODE: &str = "Throttling.User";
/// See [`THROTTLING_CODE`].
pub const THROTTLING_STATUS: u16 = 400;
/// See [`THROTTLING_CODE`].
pub const THROTTLING_MESSAGE: &str = "Request was denied due to user flow control.";

/// Whether a missing gateway-level common parameter (`AccessKeyId`, `Timestamp`, ...) is reported
/// as `Missing<Name>` (the gateway's documented pattern, true) or as `MissingParameter` (false).
/// Missing action parameters are always `MissingParameter` (the KMS error table).
pub const GATEWAY_MISSING_USES_NAMED_CODE: bool = true;

/// Whether `SignatureNonce` is mandatory. The gateway rejects requests without one (the KMS
/// signing example that omits it predates nonces).
pub const NONCE_REQUIRED: bool = true;

/// Whether a client key may be created with a `NotBefore` that is not before its `NotAfter`.
pub const REQUIRE_NOT_BEFORE_BEFORE_NOT_AFTER: bool = true;

/// Bounds of a client key's validity period, in whole years, when enforced. The console states
/// "one to five years"; whether the API enforces it is unconfirmed, so by default it does not.
pub const CLIENT_KEY_VALIDITY_YEARS: Option<(i64, i64)> = None;

/// Default validity period of a client key when neither `NotBefore` nor `NotAfter` is given
/// (documented: creation time plus five years).
pub const DEFAULT_CLIENT_KEY_VALIDITY_YEARS: i32 = 5;

/// Whether upper- and lower-case letters count as two separate character classes in the client
/// key password rule ("at least two of: digits, letters, special characters"). We read the
/// documentation literally: letters are one class.
pub const PASSWORD_CASES_ARE_SEPARATE_CLASSES: bool = false;

/// Password length bounds (documented: 8 to 64 characters).
pub const PASSWORD_LENGTH: (usize, usize) = (8, 64);

/// Special characters allowed in a client key password (documented).
pub const PASSWORD_SPECIAL_CHARACTERS: &str = "~!@#$%^&*?_-";

/// Longest accepted name of an AAP, a policy or a network rule. Unconfirmed; 128 is generous.
pub const NAME_MAX_LENGTH: usize = 128;

/// Characters accepted in a name besides ASCII letters and digits. Unconfirmed.
pub const NAME_EXTRA_CHARACTERS: &str = "_-./";

/// Number of permission policies an AAP may carry (documented: at most 3).
pub const MAX_POLICIES_PER_ACCESS_POINT: usize = 3;

/// Whether an AAP may be created or updated with an empty policy list.
pub const ALLOW_EMPTY_POLICY_LIST: bool = false;

/// Whether the policies named by an AAP, and the network rules named by a policy, must exist.
/// The Terraform provider's acceptance tests use names that do not exist and pass, so no.
pub const VALIDATE_REFERENCED_NAMES_EXIST: bool = false;

/// Whether the policy names listed by an AAP must follow the name syntax above. They are not
/// required to exist ([`VALIDATE_REFERENCED_NAMES_EXIST`]), so the service has no reason to parse
/// them; only emptiness and length are checked, and any other characters round-trip unchanged.
pub const CHECK_REFERENCED_POLICY_NAME_SYNTAX: bool = false;

// Deleting an AAP deletes its client keys: documented ("After an AAP is deleted, all the client
// keys that are bound to the AAP are deleted", docs/kms-api.md §3.2), so not a choice here.

/// Whether deleting a permission policy that an AAP still lists is rejected (true) or allowed
/// (false, the AAP then names a policy that does not exist). The API reference tells callers to
/// unbind the policy first without saying what the service does otherwise; rejecting is the
/// stricter reading, and it makes an engine that deletes in the wrong order fail loudly instead
/// of leaving an AAP with a dangling policy name.
pub const REJECT_DELETING_BOUND_POLICY: bool = true;

/// Whether deleting a network rule that a policy still names in its `AccessControlRules` is
/// rejected (true) or allowed (false). Unconfirmed like [`REJECT_DELETING_BOUND_POLICY`], and
/// decided the same way.
pub const REJECT_DELETING_NAMED_NETWORK_RULE: bool = true;

/// Code and status of a deletion rejected because the resource is in use (unconfirmed; the
/// `Rejected.*` family is what KMS uses for refusals of this kind).
pub const RESOURCE_IN_USE_CODE: &str = "Rejected.ResourceInUse";
/// See [`RESOURCE_IN_USE_CODE`].
pub const RESOURCE_IN_USE_STATUS: u16 = 409;

/// Whether `ListClientKeys` with an `AapName` that does not exist fails with
/// `Forbidden.ResourceNotFound` (true) or returns an empty list (false).
pub const LIST_CLIENT_KEYS_REQUIRES_EXISTING_ACCESS_POINT: bool = true;

/// Whether `ListClientKeys` requires `AapName` (the 2023 doc says yes, the SDK and newer doc no).
pub const LIST_CLIENT_KEYS_REQUIRES_AAP_NAME: bool = false;

/// Whether `PublicKeyData` carries real line breaks (true) or the two characters `\` `n` as the
/// documentation example prints them (false). A PEM parser needs real line breaks.
pub const PUBLIC_KEY_PEM_REAL_NEWLINES: bool = true;

/// Paging bounds for the List* actions (documented: PageSize 1 to 100, default 20).
pub const PAGE_SIZE_DEFAULT: u64 = 20;
/// See [`PAGE_SIZE_DEFAULT`].
pub const PAGE_SIZE_MAX: u64 = 100;

/// PBKDF2 and MAC iteration count of the PKCS#12 (PBES2 AES-256-CBC with HMAC-SHA256, MAC
/// HMAC-SHA256; the algorithms KMS uses are unconfirmed). OpenSSL 3 uses the same scheme with
/// 2048 iterations; a low count keeps `CreateClientKey` fast.
pub const PKCS12_ITERATIONS: u32 = 2048;

/// Largest request body accepted, in bytes. Larger bodies get HTTP 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Whether a parameter given twice (twice in the query, twice in the body, or once in each) is
/// rejected (true) or the first occurrence wins (false). Rejecting keeps signatures unambiguous.
pub const REJECT_DUPLICATE_PARAMETERS: bool = true;
