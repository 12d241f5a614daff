//! The options of the KMS client the provider builds, and the waits of its resource operations:
//! the defaults, except where a test hook asks for shorter retry waits, a shorter settle delay
//! after a lost create, or points the instance metadata requests or OAuth logins at a local
//! stand-in.

use std::time::Duration;

use crate::kms::{ClientOptions, RetryPolicy};
use crate::resources::context::LOST_CREATE_SETTLE_DELAY;

/// The environment variable that turns the test hooks on: the `test/...` methods of `protocol`
/// and the short retry waits below.
pub const TEST_HOOKS_VARIABLE: &str = "ALICLOUD_KMS_PROVIDER_TEST_HOOKS";

/// With the test hooks on, the first KMS retry waits this many milliseconds instead of a second
/// (later waits double, up to twice that), so that fault tests stay short. Ignored otherwise.
pub const TEST_RETRY_DELAY_VARIABLE: &str = "ALICLOUD_KMS_PROVIDER_TEST_RETRY_DELAY_MS";

/// With the test hooks on, a create whose reply was lost waits this many milliseconds instead of
/// [`LOST_CREATE_SETTLE_DELAY`] before it looks a second time for what it made, so that the
/// fault tests stay short. Ignored otherwise.
pub const TEST_SETTLE_DELAY_VARIABLE: &str = "ALICLOUD_KMS_PROVIDER_TEST_SETTLE_DELAY_MS";

/// With the test hooks on, the ECS instance metadata requests (`ecsRoleName`) go to this base URL
/// (`http://127.0.0.1:<port>`, the KMS emulator's metadata stand-in) instead of
/// `http://100.100.100.200`. Ignored otherwise: without the hooks nothing but the real metadata
/// service can hand the provider instance credentials.
pub const TEST_METADATA_ENDPOINT_VARIABLE: &str = "ALICLOUD_KMS_PROVIDER_TEST_METADATA_ENDPOINT";

/// With the test hooks on, the OAuth service of CLI OAuth logins is this base URL (the KMS
/// emulator's stand-in) instead of the profile site's `https://oauth.aliyun.com` or
/// `https://oauth.alibabacloud.com`. Ignored otherwise.
pub const TEST_OAUTH_ENDPOINT_VARIABLE: &str = "ALICLOUD_KMS_PROVIDER_TEST_OAUTH_ENDPOINT";

/// The KMS client options: the defaults (retries wait 1 s, then 2, 4, ... up to 20 s), unless
/// the test hooks are on and [`TEST_RETRY_DELAY_VARIABLE`] asks for shorter waits or
/// [`TEST_METADATA_ENDPOINT_VARIABLE`] names a metadata stand-in.
pub fn client_options_from_environment() -> ClientOptions {
    let mut options = ClientOptions::default();
    let hooks_on = std::env::var_os(TEST_HOOKS_VARIABLE).is_some_and(|value| value == "1");
    let test_delay = std::env::var(TEST_RETRY_DELAY_VARIABLE)
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok());
    if let (true, Some(milliseconds)) = (hooks_on, test_delay) {
        let initial_delay = Duration::from_millis(milliseconds);
        options.retry_policy = RetryPolicy {
            initial_delay,
            max_delay: initial_delay * 2,
            ..RetryPolicy::default()
        };
        tracing::warn!(milliseconds, "test hook: short KMS retry waits");
    }
    let metadata_endpoint = std::env::var(TEST_METADATA_ENDPOINT_VARIABLE)
        .ok()
        .filter(|url| url.starts_with("http://") || url.starts_with("https://"));
    if let (true, Some(url)) = (hooks_on, metadata_endpoint) {
        tracing::warn!(endpoint = %url, "test hook: instance metadata requests go to a stand-in");
        options.metadata_endpoint = url;
    }
    let oauth_endpoint = std::env::var(TEST_OAUTH_ENDPOINT_VARIABLE)
        .ok()
        .filter(|url| url.starts_with("http://") || url.starts_with("https://"));
    if let (true, Some(url)) = (hooks_on, oauth_endpoint) {
        tracing::warn!(endpoint = %url, "test hook: OAuth logins go to a stand-in");
        options.oauth_endpoint = Some(url);
    }
    options
}

/// The settle delay after a lost create: [`LOST_CREATE_SETTLE_DELAY`], unless the test hooks are
/// on and [`TEST_SETTLE_DELAY_VARIABLE`] asks for another.
pub fn lost_create_settle_from_environment() -> Duration {
    let hooks_on = std::env::var_os(TEST_HOOKS_VARIABLE).is_some_and(|value| value == "1");
    let test_delay = std::env::var(TEST_SETTLE_DELAY_VARIABLE)
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok());
    match (hooks_on, test_delay) {
        (true, Some(milliseconds)) => {
            tracing::warn!(
                milliseconds,
                "test hook: short settle delay after a lost create"
            );
            Duration::from_millis(milliseconds)
        }
        _ => LOST_CREATE_SETTLE_DELAY,
    }
}
