//! Methods whose result is JSON text the handler has written itself: the reply splices that text
//! into jsonrpsee's reply instead of serialising the result into the reply and reading the whole
//! reply again (which jsonrpsee's `MethodResponse` does to every reply it builds, to make it a
//! `RawValue`; for the 33 KB schema that re-read was a fifth of the provider's start-up, and for a
//! `check` or `diff` a tenth of its cost).

use std::borrow::Cow;
use std::sync::Arc;

use jsonrpsee::core::RegisterMethodError;
use jsonrpsee::types::{ErrorObjectOwned, Id, Params};
use jsonrpsee::{Extensions, MethodCallback, MethodResponse, Methods};
use serde::Serialize;

/// A method's result as JSON text, valid as it stands: written once by its maker (the schema,
/// escaped at compile time) or by serde_json ([`PrebuiltResult::serialize`]), since nothing reads
/// it again.
#[derive(Clone, Debug)]
pub struct PrebuiltResult(pub Cow<'static, str>);

impl PrebuiltResult {
    /// The result written as serde_json writes it (as jsonrpsee would have in its reply).
    pub fn serialize<T: Serialize>(result: &T) -> PrebuiltResult {
        // Room for most results at once (`to_string` starts at 128 bytes and grows by copying).
        let mut text = Vec::with_capacity(512);
        serde_json::to_writer(&mut text, result).expect("a method's result serialises to JSON");
        PrebuiltResult(Cow::Owned(
            String::from_utf8(text).expect("serde_json writes UTF-8"),
        ))
    }
}

/// Registers a synchronous method whose result is [`PrebuiltResult`] text. To jsonrpsee it is a
/// method like any other (its table lists it, its errors are jsonrpsee's error replies); on
/// success it hands the text to this crate's transport (`serve`), which writes the reply line
/// around it. Calling the method through jsonrpsee's own entry points (`RpcModule::call`,
/// `raw_json_request`) bypasses the transport and gets no result: in-process callers (tests) go
/// through [`call`](crate::call), the transport's own path, instead.
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
            move |id, params, _max_response_size, _| match callback(params) {
                Ok(result) => {
                    // jsonrpsee's reply (`MethodResponse::response`) would be written and then
                    // read again whole, only for the transport to replace its result: the
                    // response carries the text alone, and `reply_line` writes the line.
                    let mut extensions = Extensions::new();
                    extensions.insert(result);
                    MethodResponse::notification().with_extensions(extensions)
                }
                Err(error) => MethodResponse::error(id, error),
            },
        )),
    )?;
    Ok(())
}

/// The reply line of a response to the call `id`: jsonrpsee's text, or for a prebuilt result
/// the line jsonrpsee would write (`{"jsonrpc":"2.0","id":…,"result":…}`) around its text.
pub(super) fn reply_line(id: &Id<'_>, response: MethodResponse) -> String {
    let (json, _, mut extensions) = response.into_parts();
    let Some(PrebuiltResult(result)) = extensions.remove::<PrebuiltResult>() else {
        return String::from(Box::<str>::from(json));
    };
    const HEAD: &str = r#"{"jsonrpc":"2.0","id":"#;
    const RESULT: &str = r#","result":"#;
    let mut line = String::with_capacity(HEAD.len() + 24 + RESULT.len() + result.len() + 1);
    line.push_str(HEAD);
    // The id as jsonrpsee writes it (a string id unescaped by `classify` is escaped again).
    match id {
        Id::Null => line.push_str("null"),
        Id::Number(number) => {
            use std::fmt::Write as _;
            write!(line, "{number}").expect("writing to a String succeeds");
        }
        Id::Str(text) => line
            .push_str(&serde_json::to_string(text.as_ref()).expect("a string serialises to JSON")),
    }
    line.push_str(RESULT);
    line.push_str(&result);
    line.push('}');
    line
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
            None => Ok(PrebuiltResult(r#"{"a":"b\n"}"#.into())),
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
