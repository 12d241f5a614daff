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

// Deleting a policy an AAP still lists, or a network rule a policy still names, goes through:
// the API pages ask callers to unbind first ("otherwise, related applications cannot access
// KMS"), which describes a delete that succeeds (docs/kms-api.md §3.3, §3.4). Not a choice here;
// the provider's own check before a delete is in `src/resources/referrers.rs`.

/// Whether a policy's `Permissions` may be empty. Terraform's acceptance test of
/// `alicloud_kms_policy` updates `permissions` to `[]` and reads back none, so yes (on update;
/// on create, unconfirmed, and allowed the same way).
pub const ALLOW_EMPTY_PERMISSIONS: bool = true;

/// Whether a permission listed twice is kept as sent (Terraform's acceptance test creates a
/// policy with the same permission twice and reads back two) rather than refused.
pub const KEEP_REPEATED_PERMISSIONS: bool = true;

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

// Signature V3, issued credentials, the STS stand-in and the instance metadata stand-in.

/// Whether a V3 request that carries `Content-Type` must list it in `SignedHeaders` (the V3
/// description says to sign it; the official SDKs sign every header they set).
pub const V3_CONTENT_TYPE_MUST_BE_SIGNED: bool = true;

/// Code of a V3 request whose `x-acs-content-sha256` is not the SHA-256 of its body. No source
/// names a dedicated code; a tampered body is a signature mismatch.
pub const CONTENT_HASH_MISMATCH_CODE: &str = "SignatureDoesNotMatch";

/// Whether an unsigned action (`AssumeRoleWithOIDC`) that carries a `Timestamp` must have a
/// well-formed one within the window. The official credential libraries send one.
pub const CHECK_TIMESTAMP_OF_UNSIGNED_ACTIONS: bool = true;

/// HTTP status of `InvalidSecurityToken.Expired` (the code is documented, the status is not; the
/// other security-token errors are 400).
pub const SECURITY_TOKEN_EXPIRED_STATUS: u16 = 400;

/// How many issued temporary credentials are remembered (memory bound); the oldest are
/// forgotten first, after which their AccessKey ID is unknown (`InvalidAccessKeyId.NotFound`).
pub const ISSUED_CREDENTIALS_CAPACITY: usize = 100_000;

/// Shape of issued credentials: `STS.` + this many random characters (real ids are `STS.` + 24
/// or more characters).
pub const STS_ACCESS_KEY_ID_RANDOM_LENGTH: usize = 24;
/// Length of an issued AccessKey secret.
pub const STS_ACCESS_KEY_SECRET_LENGTH: usize = 44;
/// An issued SecurityToken is `CAIS` + this many random characters (real tokens are opaque,
/// start with `CAIS` and are several hundred characters long).
pub const STS_SECURITY_TOKEN_RANDOM_LENGTH: usize = 300;

/// `DurationSeconds` when not given (documented: 3600).
pub const STS_DEFAULT_DURATION_SECONDS: u64 = 3600;
/// Smallest `DurationSeconds` (documented: 900).
pub const STS_MIN_DURATION_SECONDS: u64 = 900;
/// A role's `MaxSessionDuration` when not configured (documented default: 3600).
pub const STS_DEFAULT_MAX_SESSION_DURATION_SECONDS: u64 = 3600;
/// Bounds of a role's `MaxSessionDuration` (documented: 3600 to 43200).
pub const STS_MAX_SESSION_DURATION_RANGE: (u64, u64) = (3600, 43200);

/// `RoleSessionName` length: the current STS reference says 2 to 64 characters of
/// `[A-Za-z0-9.@_-]`; an older troubleshooting page says 2 to 32. We follow the reference.
pub const ROLE_SESSION_NAME_LENGTH: (usize, usize) = (2, 64);

/// Whether `AssumeRoleWithOIDC` requires `RoleSessionName` (the current reference marks it
/// required; an older one optional). The official credential libraries always send one.
pub const OIDC_ROLE_SESSION_NAME_REQUIRED: bool = true;
/// Session name used when [`OIDC_ROLE_SESSION_NAME_REQUIRED`] is false and none is given.
pub const OIDC_DEFAULT_SESSION_NAME: &str = "oidc-session";

/// Longest `Policy` (the current reference says 1 to 2048 characters; an older one 1024). A
/// policy must also be a JSON object with a string `Version` and a `Statement` array, else
/// `InvalidParameter.PolicyGrammar`.
pub const STS_POLICY_MAX_LENGTH: usize = 2048;

/// `ExternalId` length; characters `[A-Za-z0-9=,.@:/_-]`. Unconfirmed; a malformed one is
/// `InvalidParameter.ExternalId` 400, a wrong one `NoPermission` 403 (a trust condition that
/// fails).
pub const EXTERNAL_ID_LENGTH: (usize, usize) = (2, 1224);

/// `OIDCToken` length (documented: 4 to 20,000 characters); outside it,
/// `InvalidParameter.OIDCToken` 400 (code unconfirmed).
pub const OIDC_TOKEN_LENGTH: (usize, usize) = (4, 20_000);

/// HTTP status of the `AuthenticationFail.OIDCToken.*` errors (codes documented, status not).
pub const OIDC_TOKEN_ERROR_STATUS: u16 = 400;

/// The audience a token must name when an OIDC provider configures no client IDs
/// (documented for ACK RRSA: `sts.aliyuncs.com`).
pub const OIDC_DEFAULT_CLIENT_ID: &str = "sts.aliyuncs.com";

/// Longest role name in a role ARN (RAM: 1 to 64 characters).
pub const ROLE_NAME_MAX_LENGTH: usize = 64;

/// Whether role and OIDC provider ARNs match case-insensitively (RAM names are not
/// case-sensitive).
pub const ROLE_ARN_CASE_INSENSITIVE: bool = true;

/// Length of an IMDSv2 session token the metadata stand-in hands out.
pub const METADATA_TOKEN_LENGTH: usize = 44;
/// How many live metadata session tokens are remembered (memory bound; oldest forgotten first).
pub const METADATA_TOKEN_CAPACITY: usize = 10_000;
/// Accepted `X-aliyun-ecs-metadata-token-ttl-seconds` (documented: 1 to 21600); outside it, or
/// missing, 400.
pub const METADATA_TOKEN_TTL_RANGE: (u64, u64) = (1, 21_600);

/// Lifetime of an instance-role (and credentials-URI) credential unless the lifetime control
/// is set. Real instance credentials last about six hours.
pub const METADATA_CREDENTIAL_LIFETIME_SECONDS: u64 = 6 * 3600;

/// An instance-role credential is handed out again until this fraction of its life has passed;
/// then a new one is issued (the real service rotates ahead of expiry; the exact point is
/// unconfirmed).
pub const METADATA_REISSUE_AT_FRACTION: f64 = 0.5;

/// The role whose sessions the credentials-URI stand-in hands out
/// (`acs:ram::<account id>:role/<this>`).
pub const CREDENTIALS_URI_ROLE_NAME: &str = "credentials-uri-role";
