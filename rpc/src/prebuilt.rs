//! Methods whose result is JSON text the handler has written itself: the reply splices that text
//! into jsonrpsee's reply instead of serialising the result into the reply and reading the whole
//! reply again (which jsonrpsee's `MethodResponse` does to every reply it builds, to make it a
//! `RawValue`; for the 33 KB schema that re-read was a fifth of the provider's start-up, and for a
//! `check` or `diff` a tenth of its cost).

use std::borrow::Cow;
use std::cell::Cell;
use std::sync::Arc;

use jsonrpsee::core::RegisterMethodError;
use jsonrpsee::types::{ErrorObjectOwned, Id, Params};
use jsonrpsee::{MethodCallback, MethodResponse, Methods};
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
                    // read again whole, only for the transport to replace its result: the text
                    // goes to `reply_line` (see `JUST_ANSWERED`), which writes the line, and the
                    // response only says so by its kind.
                    JUST_ANSWERED.set(Some(result));
                    MethodResponse::notification()
                }
                Err(error) => MethodResponse::error(id, error),
            },
        )),
    )?;
    Ok(())
}

thread_local! {
    /// The result of the prebuilt method that has just succeeded on this thread, on its way from
    /// the method's callback to [`reply_line`]: `handler::invoke` runs the one and then the other
    /// on the calling thread, with nothing in between (a prebuilt method is synchronous). Passing
    /// it in the response's `Extensions` cost three allocations a call. The response that goes
    /// with it is jsonrpsee's notification response, which no other method returns; a value left
    /// by a call that did not go through `invoke` is replaced by the next success before any read.
    static JUST_ANSWERED: Cell<Option<PrebuiltResult>> = const { Cell::new(None) };
}

/// The reply line of a response to the call `id`: jsonrpsee's text, or for a prebuilt result
/// the line jsonrpsee would write (`{"jsonrpc":"2.0","id":…,"result":…}`) around its text.
pub(super) fn reply_line(id: &Id<'_>, response: MethodResponse) -> String {
    let prebuilt = if response.is_notification() {
        JUST_ANSWERED.take()
    } else {
        None
    };
    let Some(PrebuiltResult(result)) = prebuilt else {
        return String::from(Box::<str>::from(response.into_json()));
    };
    const HEAD: &str = r#"{"jsonrpc":"2.0","id":"#;
    const RESULT: &str = r#","result":"#;
    // The id as jsonrpsee writes it (a string id unescaped by `classify` is escaped again).
    let mut digits = [0u8; 20];
    let escaped;
    let id_text = match id {
        Id::Null => "null",
        Id::Number(number) => decimal(*number, &mut digits),
        Id::Str(text) => {
            escaped = serde_json::to_string(text.as_ref()).expect("a string serialises to JSON");
            &escaped
        }
    };
    // The line is the result's own text with the head put in front (it was written with room to
    // spare), not a copy of it.
    let mut line = result.into_owned();
    line.reserve(HEAD.len() + id_text.len() + RESULT.len() + 1);
    line.insert_str(0, RESULT);
    line.insert_str(0, id_text);
    line.insert_str(0, HEAD);
    line.push('}');
    line
}

/// The decimal digits of `number`, written at the end of `digits`.
fn decimal(mut number: u64, digits: &mut [u8; 20]) -> &str {
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (number % 10) as u8;
        number /= 10;
        if number == 0 {
            break;
        }
    }
    std::str::from_utf8(&digits[start..]).expect("ASCII digits are UTF-8")
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
        for number in ["0", "7", "18446744073709551615"] {
            let id = RawValue::from_string(number.to_owned()).unwrap();
            let reply = call(&methods(), "text", Some(&id), None).await;
            assert_eq!(
                reply,
                format!(r#"{{"jsonrpc":"2.0","id":{number},"result":{{"a":"b\n"}}}}"#)
            );
        }
        let reply = call(&methods(), "text", Some(&id), Some("{}")).await;
        assert_eq!(
            reply,
            r#"{"jsonrpc":"2.0","id":"xA","error":{"code":-32602,"message":"no params"}}"#
        );
    }
}
