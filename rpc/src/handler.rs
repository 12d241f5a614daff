//! Calling a handler: through jsonrpsee's method table, with a panic turned into a `-32603`
//! reply, on a blocking thread when asked; the reply to an unknown method; and running a future
//! where it is until its first pause, spawning it only if it pauses.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use jsonrpsee::types::{Id, Params};
use jsonrpsee::{ConnectionId, Extensions, MethodCallback, Methods};
use serde_json::json;
use serde_json::value::RawValue;
use tokio::task::JoinHandle;

use super::dispatch::Call;
use super::envelope::{error_reply, kind_of, INTERNAL_ERROR, METHOD_NOT_FOUND};
use super::prebuilt::reply_line;

/// A future run to its first pause here, or handed to the runtime.
pub(super) enum Started<T> {
    Done(T),
    Spawned(JoinHandle<T>),
}

/// Polls `future` once, on the caller's task; if it has not finished, spawns it. Most requests
/// (`check`, `diff`, `getSchema`) finish without a pause, so they cost no task of their own, and
/// their replies are counted in the budget before the caller reads the next line, which is what
/// lets the budget hold memory down when replies are much larger than requests. A future that was
/// polled once and then spawned registers the task's waker on its next poll, which the spawn
/// schedules at once, so no wake-up is lost.
pub(super) async fn run_or_spawn<F>(future: F) -> Started<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut future = Box::pin(future);
    match std::future::poll_fn(|context| Poll::Ready(future.as_mut().poll(context))).await {
        Poll::Ready(output) => Started::Done(output),
        Poll::Pending => Started::Spawned(tokio::spawn(future)),
    }
}

/// [`call`] on a blocking thread. A synchronous handler never waits on the runtime, so running it
/// there through the runtime's handle is safe (and anything it spawned would still run on the
/// runtime).
pub(super) async fn call_off_thread(methods: Methods, request: Call) -> String {
    let id_for_failure = request.id.clone();
    let runtime = tokio::runtime::Handle::current();
    let work = move || {
        runtime.block_on(call(
            &methods,
            request.method,
            request.id.as_deref(),
            request.params(),
        ))
    };
    match tokio::task::spawn_blocking(work).await {
        Ok(reply) => reply,
        Err(error) => {
            tracing::error!("a request handled off the serving thread did not finish: {error}");
            error_reply(
                id_for_failure.as_deref(),
                INTERNAL_ERROR,
                "the provider failed while handling this request (a bug: please report it with the provider's stderr); it keeps serving",
                kind_of(INTERNAL_ERROR),
                json!({}),
            )
        }
    }
}

/// Like [`run_or_spawn`], for a future whose output, when it pauses, goes to `when_done` from the
/// task it is spawned as; the output of a future that finished here is returned.
pub(super) async fn run_here_or_spawn<F, D>(future: F, when_done: D) -> Option<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    D: FnOnce(F::Output) + Send + 'static,
{
    let mut future = Box::pin(future);
    match std::future::poll_fn(|context| Poll::Ready(future.as_mut().poll(context))).await {
        Poll::Ready(output) => Some(output),
        Poll::Pending => {
            tokio::spawn(async move { when_done(future.await) });
            None
        }
    }
}

/// Runs one call through jsonrpsee's method table and returns its reply line: the handler gets
/// jsonrpsee's `Id` and `Params` made from the message as `classify` read it, so the message is
/// parsed once and the params once, by the handler, into its typed request. (jsonrpsee's
/// `raw_json_request` would parse the whole message again, and log it whole at trace level.) A
/// panicking handler becomes a -32603 reply instead of a lost request.
///
/// Exported for callers of the method table in process (tests): the reply is the one the
/// transport writes, prebuilt results ([`PrebuiltResult`](crate::PrebuiltResult)) included.
/// `method` must be in the table.
pub async fn call(
    methods: &Methods,
    method: &str,
    id: Option<&RawValue>,
    params: Option<&str>,
) -> String {
    match CatchPanic(Box::pin(invoke(methods, method, id, params))).await {
        Ok(Some(reply)) => reply,
        Ok(None) => {
            // The message was classified as a call of a known method already.
            tracing::error!("jsonrpsee could not run a call the transport accepted");
            error_reply(
                id,
                INTERNAL_ERROR,
                "the request could not be dispatched",
                kind_of(INTERNAL_ERROR),
                json!({}),
            )
        }
        Err(()) => {
            tracing::error!(
                "a method handler panicked; the request is answered with an internal error"
            );
            error_reply(
                id,
                INTERNAL_ERROR,
                "the provider failed while handling this request (a bug: please report it with the provider's stderr); it keeps serving",
                kind_of(INTERNAL_ERROR),
                json!({}),
            )
        }
    }
}

/// Calls the method's callback; `None` when there is none to call (an unknown method, a
/// subscription, or an id jsonrpsee does not take, none of which `classify` lets through).
async fn invoke(
    methods: &Methods,
    method: &str,
    id: Option<&RawValue>,
    params: Option<&str>,
) -> Option<String> {
    let id = match id {
        None => Id::Null,
        Some(raw) => id_of(raw)?,
    };
    let params = Params::new(params);
    let response = match methods.method(method)? {
        MethodCallback::Sync(callback) => {
            callback(id.clone(), params, usize::MAX, Extensions::new())
        }
        MethodCallback::Async(callback) => {
            let future = callback(
                id.clone().into_owned(),
                params.into_owned(),
                ConnectionId(0),
                usize::MAX,
                Extensions::new(),
            );
            future.await
        }
        MethodCallback::Subscription(_) | MethodCallback::Unsubscription(_) => return None,
    };
    Some(reply_line(&id, response))
}

/// jsonrpsee's `Id` of a raw id `classify` accepted (`null`, a string, a non-negative integer),
/// read directly: `Id`'s own (untagged) deserializer tries each kind in turn and builds an error
/// for each that fails, which cost more than the rest of the call's dispatch.
fn id_of(raw: &RawValue) -> Option<Id<'_>> {
    let text = raw.get();
    if text == "null" {
        Some(Id::Null)
    } else if let Some(inner) = text
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    {
        if inner.contains('\\') {
            serde_json::from_str::<String>(text)
                .ok()
                .map(|text| Id::Str(text.into()))
        } else {
            Some(Id::Str(inner.into()))
        }
    } else {
        text.parse::<u64>().ok().map(Id::Number)
    }
}

/// The reply to an unknown method. The name the client sent is not echoed (it is free text from
/// the client, and nothing the client sends is repeated unless it is needed); a method that
/// differs only in case is suggested.
pub(super) fn method_not_found(id: &RawValue, method: &str, methods: &Methods) -> String {
    let mut known: Vec<&str> = methods
        .method_names()
        .filter(|name| !name.starts_with("test/"))
        .collect();
    known.sort_unstable();
    let suggestion = known
        .iter()
        .find(|name| name.eq_ignore_ascii_case(method))
        .copied();
    let hint = suggestion
        .map(|name| format!("did you mean {name}? "))
        .unwrap_or_default();
    let message = format!(
        "unknown method; {hint}this provider answers {} (names are case-sensitive)",
        known.join(", ")
    );
    let data = match suggestion {
        Some(name) => json!({ "suggestion": name }),
        None => json!({}),
    };
    error_reply(
        Some(id),
        METHOD_NOT_FOUND,
        &message,
        kind_of(METHOD_NOT_FOUND),
        data,
    )
}

/// Polls a future and turns a panic into `Err(())`.
struct CatchPanic<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, ()>;

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(context))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}
