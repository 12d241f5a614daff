//! The machinery behind the list of resources ([`super::RESOURCES`], in `resources/mod.rs`, one
//! line per resource): a [`Registration`] per line, the [`Registry`] a provider builds from them,
//! and the object-safe face ([`RegisteredResource`]) through which the provider drives a
//! [`Resource`] without knowing its type.
//!
//! `provider` looks a type token up here and calls the five operations and the rules through
//! `RegisteredResource`; no code outside a resource's folder and the list names a resource.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use super::context::OperationContext;
use super::declaration::{Declaration, Properties, Property};
use super::error::{CheckFailure, ResourceError};
use super::operations::{
    Create, CreateRequest, CreateResult, Delete, DeleteRequest, Read, ReadRequest, ReadResult,
    Update, UpdateRequest, UpdateResult,
};
use super::outputs::{created_outputs, known_outputs, planned_outputs, read_outputs};
use super::property::{PropertyMap, PropertyValue};
use super::resource::{refuse_changes_in_place, update_without_change, Resource};
use super::RESOURCES;

/// One line of [`RESOURCES`]: the declaration of a resource type, and how to build its process
/// state.
#[derive(Clone, Copy)]
pub struct Registration {
    pub declaration: &'static Declaration,
    build: fn() -> Box<dyn RegisteredResource>,
}

impl Registration {
    pub const fn of<R: Resource>() -> Registration {
        Registration {
            declaration: const { &R::DECLARATION },
            build: build::<R>,
        }
    }
}

fn build<R: Resource>() -> Box<dyn RegisteredResource> {
    Box::new(R::new())
}

/// The declaration of every registered resource, in registration order (the schema lists them
/// so; tests and tools use the list without a provider).
pub fn registered_declarations() -> impl Iterator<Item = &'static Declaration> {
    RESOURCES
        .iter()
        .map(|registration| registration.declaration)
}

/// A boxed operation of a [`RegisteredResource`].
pub type OperationFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, ResourceError>> + Send + 'a>>;

/// A [`Resource`] seen without its type: what `provider` calls, on property maps. Implemented
/// for every `Resource`; the implementation does what every resource gets (the id check before
/// `read`, `update` and `delete`; a preview of `create` that calls nothing; the refusal of a
/// change in place of what replaces the resource; decoding the inputs and the state into the
/// resource's typed values; the outputs, with what a read carries over) around the resource's
/// own method.
pub trait RegisteredResource: Send + Sync {
    fn declaration(&self) -> &'static Declaration;

    /// [`Resource::equivalent`].
    fn equivalent(&self, property: &Property, old: &PropertyValue, new: &PropertyValue) -> bool;

    fn check_inputs(
        &self,
        inputs: &mut PropertyMap,
        failures: &mut Vec<CheckFailure>,
        warnings: &mut Vec<String>,
    );

    /// [`Resource::replacement_must_delete_first`].
    fn replacement_must_delete_first(
        &self,
        olds: &PropertyMap,
        news: &PropertyMap,
        working_directory: &Path,
    ) -> bool;

    fn check_local(
        &self,
        inputs: &PropertyMap,
        olds: Option<&PropertyMap>,
        working_directory: &Path,
        failures: &mut Vec<CheckFailure>,
        warnings: &mut Vec<String>,
    );

    fn create<'a>(
        &'a self,
        context: &'a OperationContext,
        request: CreateRequest,
    ) -> OperationFuture<'a, CreateResult>;

    fn read<'a>(
        &'a self,
        context: &'a OperationContext,
        request: ReadRequest,
    ) -> OperationFuture<'a, ReadResult>;

    fn update<'a>(
        &'a self,
        context: &'a OperationContext,
        request: UpdateRequest,
    ) -> OperationFuture<'a, UpdateResult>;

    fn delete<'a>(
        &'a self,
        context: &'a OperationContext,
        request: DeleteRequest,
    ) -> OperationFuture<'a, ()>;
}

impl std::fmt::Debug for dyn RegisteredResource + '_ {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.declaration().token)
    }
}

impl<R: Resource> RegisteredResource for R {
    fn declaration(&self) -> &'static Declaration {
        const { &R::DECLARATION }
    }

    fn equivalent(&self, property: &Property, old: &PropertyValue, new: &PropertyValue) -> bool {
        Resource::equivalent(self, property, old, new)
    }

    fn check_inputs(
        &self,
        inputs: &mut PropertyMap,
        failures: &mut Vec<CheckFailure>,
        warnings: &mut Vec<String>,
    ) {
        Resource::check_inputs(self, inputs, failures, warnings);
    }

    fn check_local(
        &self,
        inputs: &PropertyMap,
        olds: Option<&PropertyMap>,
        working_directory: &Path,
        failures: &mut Vec<CheckFailure>,
        warnings: &mut Vec<String>,
    ) {
        Resource::check_local(self, inputs, olds, working_directory, failures, warnings);
    }

    fn replacement_must_delete_first(
        &self,
        olds: &PropertyMap,
        news: &PropertyMap,
        working_directory: &Path,
    ) -> bool {
        Resource::replacement_must_delete_first(self, olds, news, working_directory)
    }

    fn create<'a>(
        &'a self,
        context: &'a OperationContext,
        request: CreateRequest,
    ) -> OperationFuture<'a, CreateResult> {
        Box::pin(async move {
            let declaration = &R::DECLARATION;
            if request.preview {
                // A preview calls nothing and writes nothing; the id is decided by the cloud.
                return Ok(CreateResult {
                    id: String::new(),
                    properties: planned_outputs(declaration, request.properties),
                    warnings: Vec::new(),
                });
            }
            let inputs = decode_inputs(declaration, &request.properties)?;
            let typed = Create {
                urn: request.urn,
                inputs,
                timeout: request.timeout,
            };
            match Resource::create(self, context, typed).await {
                Ok(created) => Ok(CreateResult {
                    id: created.id,
                    properties: created_outputs(
                        declaration,
                        created.state.encode(),
                        &request.properties,
                    ),
                    warnings: created.warnings,
                }),
                // What exists is reported with the write-only inputs, as a success would be.
                Err(ResourceError::ResourceInitFailed {
                    resource,
                    id,
                    properties,
                    reasons,
                }) => Err(ResourceError::ResourceInitFailed {
                    resource,
                    id,
                    properties: created_outputs(declaration, properties, &request.properties),
                    reasons,
                }),
                Err(error) => Err(error),
            }
        })
    }

    fn read<'a>(
        &'a self,
        context: &'a OperationContext,
        request: ReadRequest,
    ) -> OperationFuture<'a, ReadResult> {
        Box::pin(async move {
            self.check_id(&request.id, request.properties.as_ref())?;
            let typed = Read {
                urn: request.urn,
                id: request.id,
                timeout: request.timeout,
            };
            let id = typed.id.clone();
            match Resource::read(self, context, typed).await? {
                None => Ok(ReadResult::Gone),
                Some(found) => {
                    let (properties, inputs) = read_outputs(
                        &R::DECLARATION,
                        found.encode(),
                        request.properties.as_ref(),
                        request.inputs.as_ref(),
                    );
                    Ok(ReadResult::Found {
                        id,
                        properties,
                        inputs,
                    })
                }
            }
        })
    }

    /// What replaces the resource is refused first (naming each property); a resource the cloud
    /// cannot change accepts only a call without a real change; a preview plans the new inputs
    /// as outputs; otherwise the resource changes in place and reports the new inputs.
    fn update<'a>(
        &'a self,
        context: &'a OperationContext,
        request: UpdateRequest,
    ) -> OperationFuture<'a, UpdateResult> {
        Box::pin(async move {
            let declaration = &R::DECLARATION;
            self.check_id(&request.id, Some(&request.olds))?;
            let equivalent = |property: &Property, old: &PropertyValue, new: &PropertyValue| {
                self.equivalent(property, old, new)
            };
            if !R::UPDATES_IN_PLACE {
                return update_without_change(declaration, equivalent, request);
            }
            let replacing = declaration.inputs().filter(|property| property.replaces);
            refuse_changes_in_place(declaration, equivalent, &request, replacing)?;
            if request.preview {
                return Ok(UpdateResult {
                    properties: known_outputs(request.news),
                });
            }
            let typed = Update {
                urn: request.urn,
                id: request.id,
                news: decode_inputs(declaration, &request.news)?,
                olds: decode_state::<R::State>(&request.olds),
                timeout: request.timeout,
            };
            Resource::update(self, context, typed).await?;
            Ok(UpdateResult {
                properties: known_outputs(request.news),
            })
        })
    }

    fn delete<'a>(
        &'a self,
        context: &'a OperationContext,
        request: DeleteRequest,
    ) -> OperationFuture<'a, ()> {
        Box::pin(async move {
            self.check_id(&request.id, Some(&request.properties))?;
            let typed = Delete {
                urn: request.urn,
                id: request.id,
                state: decode_state::<R::State>(&request.properties),
                timeout: request.timeout,
            };
            Resource::delete(self, context, typed).await
        })
    }
}

/// Reads typed inputs, or the `invalid_inputs` error naming every problem.
fn decode_inputs<I: Properties>(
    declaration: &Declaration,
    properties: &PropertyMap,
) -> Result<I, ResourceError> {
    I::decode(properties).map_err(|problems| ResourceError::InvalidInputs {
        resource: declaration.name,
        failures: problems
            .into_iter()
            .map(|problem| problem.into_failure(declaration.name))
            .collect(),
    })
}

/// Reads a state: whatever it holds of the declared properties.
fn decode_state<S: Properties + Default>(properties: &PropertyMap) -> S {
    S::decode(properties).unwrap_or_default()
}

/// The resources of one provider process, each with its state.
pub struct Registry {
    resources: Vec<Box<dyn RegisteredResource>>,
}

impl Registry {
    /// Builds every registered resource.
    pub fn new() -> Registry {
        Registry {
            resources: RESOURCES
                .iter()
                .map(|registration| (registration.build)())
                .collect(),
        }
    }

    /// The resource with this type token.
    pub fn find(&self, token: &str) -> Option<&dyn RegisteredResource> {
        self.iter()
            .find(|resource| resource.declaration().token == token)
    }

    pub fn iter(&self) -> impl Iterator<Item = &dyn RegisteredResource> {
        self.resources.iter().map(Box::as_ref)
    }
}

impl Default for Registry {
    fn default() -> Registry {
        Registry::new()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_names_are_unique_and_every_registration_builds_its_own_type() {
        let registry = Registry::new();
        let tokens: Vec<&str> = registry.iter().map(|r| r.declaration().token).collect();
        let listed: Vec<&str> = registered_declarations()
            .map(|declaration| declaration.token)
            .collect();
        assert_eq!(tokens, listed);
        let mut unique = tokens.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), tokens.len(), "{tokens:?}");
        let mut names: Vec<&str> = registered_declarations()
            .map(|declaration| declaration.name)
            .collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), tokens.len());
        for token in tokens {
            assert_eq!(registry.find(token).unwrap().declaration().token, token);
        }
        assert!(registry.find("alicloud-kms:index:Nothing").is_none());
    }
}
