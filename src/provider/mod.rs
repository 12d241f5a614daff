//! The provider: dispatch by resource type, the schema-driven `check` and `diff` engine, the
//! configuration, and the single mapping from errors to JSON-RPC errors (`error`).
//!
//! It knows the resources and the schema, not the wire: `protocol` decodes params into the
//! requests below and encodes the outcomes.

pub mod autoname;
pub mod check;
pub mod config;
pub mod config_rules;
pub mod diff;
pub mod error;
pub mod kms_options;
pub mod limits;
pub mod request_fields;
pub mod schema;
pub mod suggest;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::kms::ClientOptions;
use crate::resources::{
    CreateRequest, CreateResult, DeleteRequest, EngineLog, KmsAccess, OperationContext,
    PropertyMap, PropertyValue, ProviderSettings, ReadRequest, ReadResult, RegisteredResource,
    Registry, ResourceError, UpdateRequest, UpdateResult,
};

pub use check::CheckOutcome;
pub use diff::{DiffInputs, DiffKind, DiffOutcome, PropertyDiff};
pub use error::ProviderError;

use autoname::NamingContext;
use check::{check_resource, is_engine_metadata};
use kms_options::{client_options_from_environment, lost_create_settle_from_environment};

/// `check`: validate and normalise a resource's new inputs.
#[derive(Clone, Debug)]
pub struct CheckRequest {
    /// The resource type token (from the URN or the explicit `type`).
    pub resource_type: String,
    /// The URN, when the engine sent one (the `log` warnings of `check` name it).
    pub urn: Option<String>,
    /// The resource's name in the program (from the URN or the `name` param), for auto-naming.
    pub resource_name: Option<String>,
    /// The last checked inputs: an auto-named input keeps its name from them.
    pub olds: Option<PropertyMap>,
    pub news: PropertyMap,
    /// The engine's `randomSeed`, which makes a new auto-name deterministic.
    pub random_seed: Option<Vec<u8>>,
}

/// `diff`: compare the old state with new checked inputs.
#[derive(Clone, Debug)]
pub struct DiffRequest {
    pub resource_type: String,
    pub id: String,
    pub olds: PropertyMap,
    pub news: PropertyMap,
    /// The last inputs. Accepted for completeness; the engine compares against the state.
    pub old_inputs: Option<PropertyMap>,
    pub ignore_changes: Vec<String>,
}

/// `configure`: Pulumi's `variables` (keys `alicloud-kms:config:<name>`) and `args` (plain names).
#[derive(Clone, Debug, Default)]
pub struct ConfigureRequest {
    pub variables: BTreeMap<String, String>,
    pub args: Option<PropertyMap>,
}

/// What the provider is built with.
#[derive(Clone, Debug)]
pub struct ProviderOptions {
    /// Where `log` notifications for the engine go.
    pub engine_log: EngineLog,
    /// The directory relative paths are resolved against.
    pub working_directory: PathBuf,
}

/// The provider state shared by all requests.
#[derive(Debug)]
pub struct Provider {
    /// The settings of the last `configure` and their KMS client (built on first use).
    kms: RwLock<Arc<KmsAccess>>,
    client_options: ClientOptions,
    /// Every resource type, each with its process state.
    resources: Registry,
    cancellation: CancellationToken,
    engine_log: EngineLog,
    working_directory: Arc<Path>,
    lost_create_settle: Duration,
}

impl Provider {
    pub fn new(options: ProviderOptions) -> Provider {
        let client_options = client_options_from_environment();
        Provider {
            kms: RwLock::new(Arc::new(KmsAccess::new(
                Arc::new(ProviderSettings::default()),
                client_options.clone(),
                options.engine_log.clone(),
            ))),
            client_options,
            resources: Registry::new(),
            cancellation: CancellationToken::new(),
            engine_log: options.engine_log,
            working_directory: options.working_directory.into(),
            lost_create_settle: lost_create_settle_from_environment(),
        }
    }

    /// The provider version (`getPluginInfo`), which is also the schema's version.
    pub fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// The published schema, byte for byte.
    pub fn schema_text(&self) -> &'static str {
        schema::SCHEMA_TEXT
    }

    /// `checkConfig`: validation failures are data. `olds` are not needed.
    pub fn check_config(&self, news: PropertyMap) -> CheckOutcome {
        config::check_config(news)
    }

    /// `DiffConfig` (the gRPC plugin's; the JSON-RPC protocol has none): the old and new checked
    /// settings compared; a new region replaces the provider, any other change updates it.
    pub fn diff_config(
        &self,
        olds: PropertyMap,
        news: PropertyMap,
        ignore_changes: &[String],
    ) -> DiffOutcome {
        config::diff_config(olds, news, ignore_changes)
    }

    /// `configure`: store the explicit settings for the resource operations.
    pub fn configure(&self, request: ConfigureRequest) -> Result<(), ProviderError> {
        let settings = config::settings_from_configure(&request.variables, request.args)
            .map_err(|failures| ProviderError::InvalidConfiguration { failures })?;
        tracing::debug!(settings = ?settings, "configured");
        if !settings.from_alicloud.is_empty() {
            let message = format!(
                "using pulumi-alicloud's stack config for {} (no alicloud-kms:config setting gives them)",
                settings.from_alicloud.join(", ")
            );
            tracing::info!("{message}");
            self.engine_log.info(message, None);
        }
        // A new configuration gets a new client (built on first use); operations in flight keep
        // the one they started with.
        let access = KmsAccess::new(
            Arc::new(settings),
            self.client_options.clone(),
            self.engine_log.clone(),
        );
        *self
            .kms
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(access);
        Ok(())
    }

    /// The settings `configure` stored.
    pub fn settings(&self) -> Arc<ProviderSettings> {
        self.kms_access().settings().clone()
    }

    fn kms_access(&self) -> Arc<KmsAccess> {
        self.kms
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// `check`: needs no credentials and works before `configure`. Besides the rules of the
    /// inputs, it checks what it can of this machine (the key file's directory).
    pub fn check(&self, request: CheckRequest) -> Result<CheckOutcome, ProviderError> {
        let resource = resolve_resource(&self.resources, &request.resource_type)?;
        let name_input = request
            .news
            .get(autoname::RESOURCE_NAME_INPUT)
            .and_then(PropertyValue::as_str)
            .map(str::to_owned);
        let stack_input = request
            .news
            .get(autoname::STACK_INPUT)
            .and_then(PropertyValue::as_str)
            .map(str::to_owned);
        let naming = NamingContext {
            resource_name: request.resource_name.as_deref().or(name_input.as_deref()),
            urn: request.urn.as_deref(),
            stack: stack_input.as_deref(),
            olds: request.olds.as_ref(),
            random_seed: request.random_seed.as_deref(),
        };
        let mut outcome = check_resource(resource, request.news, Some(&naming));
        resource.check_local(
            &outcome.inputs,
            request.olds.as_ref(),
            &self.working_directory,
            &mut outcome.failures,
            &mut outcome.warnings,
        );
        for warning in &outcome.warnings {
            self.engine_log
                .warning(warning.clone(), request.urn.as_deref());
        }
        // A preview checks every resource before anything calls KMS: the first check of a
        // configuration says so when no credential could be found, rather than every create later.
        if let Some(warning) = self.kms_access().credentials_warning() {
            self.engine_log.warning(warning, None);
        }
        Ok(outcome)
    }

    /// `diff`: needs no credentials and works before `configure`.
    pub fn diff(&self, request: DiffRequest) -> Result<DiffOutcome, ProviderError> {
        let resource = resolve_resource(&self.resources, &request.resource_type)?;
        ensure_state_belongs_to(resource, &request.olds, "olds")?;
        ensure_inputs_belong_to(resource, &request.news, "news")?;
        Ok(diff::diff_resource(
            resource,
            DiffInputs {
                id: &request.id,
                olds: &request.olds,
                news: &request.news,
                ignore_changes: &request.ignore_changes,
                working_directory: &self.working_directory,
            },
        ))
    }

    pub async fn create(
        &self,
        resource_type: &str,
        mut request: CreateRequest,
    ) -> Result<CreateResult, ProviderError> {
        let resource = resolve_resource(&self.resources, resource_type)?;
        request.properties = checked_inputs(resource, std::mem::take(&mut request.properties))?;
        Ok(resource.create(&self.operation_context(), request).await?)
    }

    pub async fn read(
        &self,
        resource_type: &str,
        request: ReadRequest,
    ) -> Result<ReadResult, ProviderError> {
        let resource = resolve_resource(&self.resources, resource_type)?;
        if let Some(properties) = &request.properties {
            ensure_state_belongs_to(resource, properties, "properties")?;
        }
        if let Some(inputs) = &request.inputs {
            ensure_inputs_belong_to(resource, inputs, "inputs")?;
        }
        Ok(resource.read(&self.operation_context(), request).await?)
    }

    pub async fn update(
        &self,
        resource_type: &str,
        mut request: UpdateRequest,
    ) -> Result<UpdateResult, ProviderError> {
        let resource = resolve_resource(&self.resources, resource_type)?;
        ensure_state_belongs_to(resource, &request.olds, "olds")?;
        request.news = checked_inputs(resource, std::mem::take(&mut request.news))?;
        Ok(resource.update(&self.operation_context(), request).await?)
    }

    pub async fn delete(
        &self,
        resource_type: &str,
        request: DeleteRequest,
    ) -> Result<(), ProviderError> {
        let resource = resolve_resource(&self.resources, resource_type)?;
        ensure_state_belongs_to(resource, &request.properties, "properties")?;
        Ok(resource.delete(&self.operation_context(), request).await?)
    }

    /// `cancel`: trips the provider-wide token; operations waiting on the cloud end promptly with
    /// a `cancelled` error. It stays tripped: the engine sends it when it is shutting down.
    pub fn cancel(&self) {
        tracing::info!("cancel received; in-flight operations stop waiting");
        self.cancellation.cancel();
    }

    pub fn cancellation_token(&self) -> CancellationToken {
        self.cancellation.clone()
    }

    pub fn engine_log(&self) -> &EngineLog {
        &self.engine_log
    }

    /// What a resource operation gets besides its request.
    pub fn operation_context(&self) -> OperationContext {
        let kms = self.kms_access();
        OperationContext {
            settings: kms.settings().clone(),
            kms,
            cancellation: self.cancellation.clone(),
            engine_log: self.engine_log.clone(),
            working_directory: self.working_directory.clone(),
            lost_create_settle: self.lost_create_settle,
        }
    }
}

/// The resource for a type token, or an `invalid_params` error that names the types this
/// provider manages (and the closest one, for a near miss such as pulumi-alicloud's
/// `alicloud:kms/clientKey:ClientKey`).
fn resolve_resource<'r>(
    registry: &'r Registry,
    token: &str,
) -> Result<&'r dyn RegisteredResource, ProviderError> {
    registry.find(token).ok_or_else(|| {
        let managed: Vec<&str> = registry
            .iter()
            .map(|resource| resource.declaration().token)
            .collect();
        let last_segment = token.rsplit([':', '/']).next().unwrap_or(token);
        let hint = registry
            .iter()
            .find(|resource| {
                resource
                    .declaration()
                    .name
                    .eq_ignore_ascii_case(last_segment)
            })
            .map(|resource| format!("did you mean {}? ", resource.declaration().token))
            .unwrap_or_default();
        ProviderError::invalid_params(format!(
            "unknown resource type {token:?}; {hint}this provider manages {}",
            natural_list(&managed)
        ))
    })
}

/// `a`, `a and b`, `a, b and c`.
fn natural_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Runs `check` on inputs that reach create or update: the engine normally checked them, but a
/// client that skipped `check` must not get invalid inputs to the cloud.
fn checked_inputs(
    resource: &dyn RegisteredResource,
    inputs: PropertyMap,
) -> Result<PropertyMap, ProviderError> {
    let outcome = check_resource(resource, inputs, None);
    if outcome.failures.is_empty() {
        Ok(outcome.inputs)
    } else {
        Err(ResourceError::InvalidInputs {
            resource: resource.declaration().name,
            failures: outcome.failures,
        }
        .into())
    }
}

/// A state must hold only properties of its resource type; anything else means the engine sent
/// the state of another resource (or garbage), which no operation should act on.
fn ensure_state_belongs_to(
    resource: &dyn RegisteredResource,
    state: &PropertyMap,
    field: &str,
) -> Result<(), ProviderError> {
    let foreign = foreign_names(resource, state);
    if foreign.is_empty() {
        return Ok(());
    }
    Err(ProviderError::invalid_params(format!(
        "{field} holds properties that a {} does not have ({}); is this the state of another resource type?",
        resource.declaration().name,
        foreign.join(", ")
    )))
}

/// Inputs passed to diff or read must be inputs of the resource type (outputs are tolerated).
fn ensure_inputs_belong_to(
    resource: &dyn RegisteredResource,
    inputs: &PropertyMap,
    field: &str,
) -> Result<(), ProviderError> {
    let foreign = foreign_names(resource, inputs);
    if foreign.is_empty() {
        return Ok(());
    }
    Err(ProviderError::invalid_params(format!(
        "{field} holds properties that a {} does not have ({}); pass the inputs that check returned",
        resource.declaration().name,
        foreign.join(", ")
    )))
}

/// The names in `map` that are neither engine metadata nor properties of the resource.
fn foreign_names<'a>(resource: &dyn RegisteredResource, map: &'a PropertyMap) -> Vec<&'a str> {
    let declaration = resource.declaration();
    map.keys()
        .map(String::as_str)
        .filter(|name| !is_engine_metadata(name) && declaration.property(name).is_none())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::registry::registered_declarations;

    #[test]
    fn unknown_types_name_the_managed_ones_and_suggest_the_closest() {
        let error =
            resolve_resource(&Registry::new(), "alicloud:kms/clientKey:ClientKey").unwrap_err();
        let managed: Vec<&str> = registered_declarations()
            .map(|declaration| declaration.token)
            .collect();
        assert_eq!(
            error.to_string(),
            format!(
                "unknown resource type \"alicloud:kms/clientKey:ClientKey\"; did you mean alicloud-kms:index:ClientKey? \
                 this provider manages {}",
                natural_list(&managed)
            )
        );
        assert_eq!(natural_list(&["a", "b"]), "a and b");
        assert_eq!(natural_list(&["a", "b", "c"]), "a, b and c");
        assert_eq!(error.code(), error::codes::INVALID_PARAMS);
    }
}
