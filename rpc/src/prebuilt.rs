//! Methods whose result is JSON text the handler already holds (the schema, escaped once): the
//! reply splices that text into jsonrpsee's reply instead of serialising it into the reply and
//! reading the reply again (which jsonrpsee's `MethodResponse` does to every reply it builds; for
//! the 33 KB schema that re-read was a fifth of the provider's start-up).

use std::sync::Arc;

use jsonrpsee::core::RegisterMethodError;
use jsonrpsee::types::{ErrorObjectOwned, Params};
use jsonrpsee::{Extensions, MethodCallback, MethodResponse, Methods, ResponsePayload};

/// A method's result as JSON text, valid as it stands: its maker vouches for it (it is written
/// once, as the schema is, and checked by the maker's tests), since nothing reads it again.
#[derive(Clone, Copy, Debug)]
pub struct PrebuiltResult(pub &'static str);

/// Registers a synchronous method whose result is [`PrebuiltResult`] text. To jsonrpsee it is a
/// method like any other (its table lists it, its errors are jsonrpsee's error replies); its
/// success carries a `null` result, which this crate's transport (`serve`) replaces with the
/// text. Calling the method through jsonrpsee's own entry points (`RpcModule::call`,
/// `raw_json_request`) bypasses the transport and gets that `null`, so tests that call the module
/// in process must not use it for a prebuilt method.
pub fn register_prebuilt_method<F>(
    methods: &mut Methods,
    name: &'static str,
    callback: F,
) -> Result<(), RegisterMethodError>
where
    F: Fn(Params<'_>) -> Result<PrebuiltResult, ErrorObjectOwned> + Send + Sync + 'static,
{
    methods.verify_and_insert(
        name,
        MethodCallback::Sync(Arc::new(
            move |id, params, max_response_size, _| match callback(params) {
                Ok(result) => {
                    let mut extensions = Extensions::new();
                    extensions.insert(result);
                    MethodResponse::response(id, ResponsePayload::success(()), max_response_size)
                        .with_extensions(extensions)
                }
                Err(error) => MethodResponse::error(id, error),
            },
        )),
    )?;
    Ok(())
}

/// The reply line of a response: jsonrpsee's text, with a prebuilt result put in place of its
/// `null` result.
pub(super) fn reply_line(response: MethodResponse) -> String {
    let (json, _, extensions) = response.into_parts();
    let text = String::from(Box::<str>::from(json));
    match extensions.get::<PrebuiltResult>() {
        Some(PrebuiltResult(result)) => match text.strip_suffix("null}") {
            // jsonrpsee writes `result` last: `{"jsonrpc":"2.0","id":…,"result":null}`.
            Some(head) if head.ends_with("\"result\":") => {
                let mut line = String::with_capacity(head.len() + result.len() + 1);
                line.push_str(head);
                line.push_str(result);
                line.push('}');
                line
            }
            _ => text,
        },
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use jsonrpsee::types::ErrorObject;
    use serde_json::value::RawValue;

    use super::*;
    use crate::handler::call;

    fn methods() -> Methods {
        let mut methods = Methods::new();
        register_prebuilt_method(&mut methods, "text", |params| match params.as_str() {
            None => Ok(PrebuiltResult(r#"{"a":"b\n"}"#)),
            Some(_) => Err(ErrorObject::owned(-32602, "no params", None::<()>)),
        })
        .unwrap();
        methods
    }

    #[tokio::test]
    async fn the_prebuilt_text_is_the_result_and_an_error_is_jsonrpsees() {
        let id = RawValue::from_string(r#""x\u0041""#.to_owned()).unwrap();
        let reply = call(&methods(), "text", Some(&id), None).await;
        assert_eq!(reply, r#"{"jsonrpc":"2.0","id":"xA","result":{"a":"b\n"}}"#);
        let reply = call(&methods(), "text", Some(&id), Some("{}")).await;
        assert_eq!(
            reply,
            r#"{"jsonrpc":"2.0","id":"xA","error":{"code":-32602,"message":"no params"}}"#
        );
    }
}
