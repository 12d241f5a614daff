//! The KMS client of one provider configuration, built on first use and shared by every operation
//! until the next `configure`.
//!
//! Building the client resolves where the credentials come from (provider config, then the
//! environment, then the credential files; see `kms::credentials`) and opens a connection pool.
//! The resolution reads files, so it runs on a blocking thread, and no lock is held meanwhile:
//! whatever sits at a credential path, the runtime keeps answering other requests. Two
//! operations that start at once may both resolve; the first client stored is the one every
//! operation shares (the other is dropped unused, before it fetched anything).
//! It never touches the network: temporary credentials (roles, OIDC, instance metadata) are
//! fetched by the first KMS call that needs them, then cached and refreshed by the client. Doing that once per configuration rather
//! than once per operation keeps connections alive across operations (200 pipelined creates reuse
//! a handful of connections) and reads the profile file once. A resolution that fails is not
//! remembered: the next operation tries again, so fixing the environment or the profile file does
//! not need a new provider process.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::kms::{
    self, ClientOptions, ClientSettings, Environment, ProcessEnvironment, SecretString,
};

use super::context::{EngineLog, ProviderSettings};
use super::error::ResourceError;

/// The settings of one `configure`, and the client built from them on first use.
pub struct KmsAccess {
    settings: Arc<ProviderSettings>,
    client_options: ClientOptions,
    /// Where the warnings of a resolution go (a credentials file others can read).
    engine_log: EngineLog,
    /// Held only to look at or store the client, never while building one.
    client: Mutex<Option<kms::Client>>,
    /// Whether `credentials_warning` has been asked (it answers once per configuration).
    credentials_looked_at: AtomicBool,
}

impl KmsAccess {
    pub fn new(
        settings: Arc<ProviderSettings>,
        client_options: ClientOptions,
        engine_log: EngineLog,
    ) -> KmsAccess {
        KmsAccess {
            settings,
            client_options,
            engine_log,
            client: Mutex::new(None),
            credentials_looked_at: AtomicBool::new(false),
        }
    }

    /// The warning of a preview when not one credential source is there (the provider config, the
    /// environment, the credential files by existence), naming where it looked; asked once per
    /// configuration, it answers the first time only. Nothing is read or fetched, and settings not
    /// known yet count as a source.
    pub fn credentials_warning(&self) -> Option<String> {
        let settings = &self.settings;
        if !settings.configured
            || !settings.unknown_settings.is_empty()
            || self.credentials_looked_at.swap(true, Ordering::Relaxed)
        {
            return None;
        }
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let looked_in = kms::missing_credential_sources(
            &client_settings(&self.settings),
            &ProcessEnvironment,
            home.as_deref(),
        )?;
        // The instance role is the chain's last resort; only the metadata service can say
        // whether there is one, and a preview does not ask it.
        let unless = if ProcessEnvironment.is_true(kms::credentials::ECS_METADATA_DISABLED_VARIABLE)
        {
            ""
        } else {
            " unless this runs on an ECS instance with a RAM role"
        };
        Some(format!(
            "no alibaba cloud credentials will be found{unless}: looked in {}; creating, reading, updating and deleting \
             resources will fail until there are some: set accessKey and secretKey (or assumeRoleWithOidc, \
             ecsRoleName, credentialsUri, profile) in the provider config, or ALIBABA_CLOUD_ACCESS_KEY_ID and \
             ALIBABA_CLOUD_ACCESS_KEY_SECRET in the environment, or add a profile to ~/.aliyun/config.json",
            looked_in.join(", ")
        ))
    }

    /// The settings `configure` stored.
    pub fn settings(&self) -> &Arc<ProviderSettings> {
        &self.settings
    }

    /// The shared client, built on first use. A `configuration` error (-32051) says what is
    /// missing and names every place that was looked in.
    pub async fn client(&self) -> Result<kms::Client, ResourceError> {
        if let Some(client) = self.stored() {
            return Ok(client);
        }
        let settings = self.settings.clone();
        let client_options = self.client_options.clone();
        let (client, warnings) =
            tokio::task::spawn_blocking(move || build_client(&settings, client_options))
                .await
                .map_err(|error| ResourceError::Configuration {
                    message: format!("resolving the credentials failed unexpectedly ({error})"),
                })??;
        let mut slot = self
            .client
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(stored) = slot.as_ref() {
            return Ok(stored.clone());
        }
        for warning in warnings {
            tracing::warn!("{warning}");
            self.engine_log.warning(warning, None);
        }
        *slot = Some(client.clone());
        Ok(client)
    }

    fn stored(&self) -> Option<kms::Client> {
        self.client
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// Resolves the settings and builds a client (reads files: call it on a blocking thread), with
/// the warnings of the resolution.
fn build_client(
    settings: &ProviderSettings,
    client_options: ClientOptions,
) -> Result<(kms::Client, Vec<String>), ResourceError> {
    if !settings.unknown_settings.is_empty() {
        return Err(ResourceError::Configuration {
            message: format!(
                "the provider settings {} are not known yet (they come from another resource's outputs); \
                 KMS can only be called once they are known, so run the update after those resources exist",
                settings.unknown_settings.join(", ")
            ),
        });
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let config = kms::resolve(
        &client_settings(settings),
        &ProcessEnvironment,
        home.as_deref(),
    )
    .map_err(|error| ResourceError::Configuration {
        message: error.to_string(),
    })?;
    tracing::info!(
        credentials = %config.credentials,
        endpoint = %config.endpoint,
        "kms client ready"
    );
    let warnings = config.warnings.clone();
    let client = kms::Client::with_options(config, client_options).map_err(|error| {
        ResourceError::Configuration {
            message: error.to_string(),
        }
    })?;
    Ok((client, warnings))
}

/// The explicit settings as the KMS client's resolver takes them (`kms::resolve`).
pub fn client_settings(settings: &ProviderSettings) -> ClientSettings {
    ClientSettings {
        region: settings.region.clone(),
        access_key: settings.access_key.clone(),
        secret_key: settings.secret_key.clone().map(SecretString::new),
        security_token: settings.security_token.clone().map(SecretString::new),
        endpoint: settings.endpoint.clone(),
        protocol: settings.protocol.clone(),
        credential_settings: settings.credential_settings.clone(),
    }
}

/// The settings' own `Debug` redacts the secrets; the client is only said to exist or not.
impl fmt::Debug for KmsAccess {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let built = self
            .client
            .lock()
            .map(|slot| slot.is_some())
            .unwrap_or(false);
        formatter
            .debug_struct("KmsAccess")
            .field("settings", &self.settings)
            .field("client_options", &self.client_options)
            .field("client_built", &built)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unknown_settings_are_a_configuration_error_naming_them() {
        let settings = ProviderSettings {
            configured: true,
            unknown_settings: vec!["region".into()],
            ..ProviderSettings::default()
        };
        let access = KmsAccess::new(
            Arc::new(settings),
            ClientOptions::default(),
            EngineLog::discard(),
        );
        let error = access.client().await.unwrap_err();
        assert!(
            matches!(&error, ResourceError::Configuration { message } if message.contains("region")),
            "{error}"
        );
    }

    #[tokio::test]
    async fn explicit_settings_build_one_shared_client() {
        let settings = ProviderSettings {
            configured: true,
            region: Some("cn-hangzhou".into()),
            access_key: Some("id".into()),
            secret_key: Some("very-secret".into()),
            endpoint: Some("127.0.0.1:9".into()),
            protocol: Some("HTTP".into()),
            ..ProviderSettings::default()
        };
        let access = KmsAccess::new(
            Arc::new(settings),
            ClientOptions::default(),
            EngineLog::discard(),
        );
        let first = access.client().await.unwrap();
        let second = access.client().await.unwrap();
        assert_eq!(first.config().endpoint, "127.0.0.1:9");
        assert_eq!(second.config().endpoint, "127.0.0.1:9");
        let printed = format!("{access:?}");
        assert!(!printed.contains("very-secret"), "{printed}");
        assert!(printed.contains("client_built: true"), "{printed}");
    }
}
