//! The `ResourceProvider` methods: each one decodes its request (`requests`), calls the provider,
//! and encodes the outcome (`replies`) or the error (`status`). Nothing is decided here.
//!
//! Every call runs as its own task, so that a panicking one (a bug) answers `INTERNAL` and the
//! plugin keeps serving, as a panicking JSON-RPC handler answers `-32603`.

use std::future::Future;
use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::engine_log::EngineLink;
use super::generated::pulumirpc as proto;
use super::generated::pulumirpc::resource_provider_server::ResourceProvider;
use super::status::status_of;
use super::values::checked_bag;
use super::{replies, requests};
use crate::provider::{Provider, ProviderError};

/// What a panicking call answers.
const BUG_MESSAGE: &str =
    "the provider failed while handling this request (a bug: please report it with the plugin's stderr); it keeps serving";

pub struct PluginService {
    provider: Arc<Provider>,
    engine: EngineLink,
}

impl PluginService {
    pub fn new(provider: Arc<Provider>, engine: EngineLink) -> PluginService {
        PluginService { provider, engine }
    }
}

type Reply<T> = Result<Response<T>, Status>;

impl PluginService {
    /// Runs `call` with the provider as a task of its own; its error becomes the status. The
    /// reply goes once the messages it logged have reached the engine.
    async fn answer<T, F, Fut>(&self, method: &'static str, call: F) -> Reply<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Provider>) -> Fut,
        Fut: Future<Output = Result<T, ProviderError>> + Send + 'static,
    {
        let outcome = tokio::spawn(call(self.provider.clone())).await;
        self.engine.delivered().await;
        match outcome {
            Ok(Ok(reply)) => Ok(Response::new(reply)),
            Ok(Err(error)) => Err(status_of(&error)),
            Err(failure) => {
                tracing::error!("{method} did not finish: {failure}");
                Err(Status::internal(BUG_MESSAGE))
            }
        }
    }
}

#[tonic::async_trait]
impl ResourceProvider for PluginService {
    async fn handshake(
        &self,
        request: Request<proto::ProviderHandshakeRequest>,
    ) -> Reply<proto::ProviderHandshakeResponse> {
        self.engine
            .set_address(&request.into_inner().engine_address);
        Ok(Response::new(replies::handshake()))
    }

    async fn attach(&self, request: Request<proto::PluginAttach>) -> Reply<()> {
        self.engine.set_address(&request.into_inner().address);
        Ok(Response::new(()))
    }

    async fn get_plugin_info(&self, _: Request<()>) -> Reply<proto::PluginInfo> {
        Ok(Response::new(proto::PluginInfo {
            version: self.provider.version().to_owned(),
        }))
    }

    async fn get_schema(
        &self,
        request: Request<proto::GetSchemaRequest>,
    ) -> Reply<proto::GetSchemaResponse> {
        let request = request.into_inner();
        self.answer("GetSchema", |provider| async move {
            requests::get_schema(&request)?;
            Ok(proto::GetSchemaResponse {
                schema: provider.schema_text().to_owned(),
            })
        })
        .await
    }

    async fn check_config(
        &self,
        request: Request<proto::CheckRequest>,
    ) -> Reply<proto::CheckResponse> {
        let request = request.into_inner();
        self.answer("CheckConfig", |provider| async move {
            // The old settings are not needed; the new ones are checked as they are.
            let outcome = match checked_bag("news", request.news) {
                Ok(news) => provider.check_config(news),
                Err(oversized) => oversized,
            };
            Ok(replies::check(outcome))
        })
        .await
    }

    async fn diff_config(
        &self,
        request: Request<proto::DiffRequest>,
    ) -> Reply<proto::DiffResponse> {
        let request = request.into_inner();
        self.answer("DiffConfig", |provider| async move {
            let (olds, news, ignore_changes) = requests::diff_config(request)?;
            Ok(replies::diff(provider.diff_config(
                olds,
                news,
                &ignore_changes,
            )))
        })
        .await
    }

    async fn configure(
        &self,
        request: Request<proto::ConfigureRequest>,
    ) -> Reply<proto::ConfigureResponse> {
        let request = request.into_inner();
        self.answer("Configure", |provider| async move {
            provider.configure(requests::configure(request)?)?;
            Ok(replies::configure())
        })
        .await
    }

    async fn check(&self, request: Request<proto::CheckRequest>) -> Reply<proto::CheckResponse> {
        let mut request = request.into_inner();
        self.answer("Check", |provider| async move {
            let news = match checked_bag("news", request.news.take()) {
                Ok(news) => news,
                Err(oversized) => return Ok(replies::check(oversized)),
            };
            let outcome = provider.check(requests::check(request, news)?)?;
            Ok(replies::check(outcome))
        })
        .await
    }

    async fn diff(&self, request: Request<proto::DiffRequest>) -> Reply<proto::DiffResponse> {
        let request = request.into_inner();
        self.answer("Diff", |provider| async move {
            Ok(replies::diff(provider.diff(requests::diff(request)?)?))
        })
        .await
    }

    async fn create(&self, request: Request<proto::CreateRequest>) -> Reply<proto::CreateResponse> {
        let request = request.into_inner();
        self.answer("Create", |provider| async move {
            let (resource_type, request) = requests::create(request)?;
            Ok(replies::create(
                provider.create(&resource_type, request).await?,
            ))
        })
        .await
    }

    async fn read(&self, request: Request<proto::ReadRequest>) -> Reply<proto::ReadResponse> {
        let request = request.into_inner();
        self.answer("Read", |provider| async move {
            let (resource_type, request) = requests::read(request)?;
            Ok(replies::read(provider.read(&resource_type, request).await?))
        })
        .await
    }

    async fn update(&self, request: Request<proto::UpdateRequest>) -> Reply<proto::UpdateResponse> {
        let request = request.into_inner();
        self.answer("Update", |provider| async move {
            let (resource_type, request) = requests::update(request)?;
            Ok(replies::update(
                provider.update(&resource_type, request).await?,
            ))
        })
        .await
    }

    async fn delete(&self, request: Request<proto::DeleteRequest>) -> Reply<()> {
        let request = request.into_inner();
        self.answer("Delete", |provider| async move {
            let (resource_type, request) = requests::delete(request)?;
            provider.delete(&resource_type, request).await
        })
        .await
    }

    async fn cancel(&self, _: Request<()>) -> Reply<()> {
        self.provider.cancel();
        Ok(Response::new(()))
    }
}
