//! Property bags between protobuf's `google.protobuf.Struct` (what the engine sends) and the
//! provider's `PropertyMap`.
//!
//! The engine encodes secrets and unknowns in a `Struct` exactly as the JSON-RPC protocol does in
//! JSON (the signature objects and sentinel strings, Pulumi's `plugin/rpc.go`), so a `Struct`
//! becomes JSON and then a `PropertyMap` through the one decoder of that encoding
//! (`PropertyValue::from_wire`), and back through `to_wire`. The size limits of a bag
//! (`provider::limits`) are checked on that JSON before anything else reads it, as for JSON-RPC.
//!
//! Numbers are doubles in a `Struct`: a whole number that a double holds exactly becomes a JSON
//! integer, so that a setting such as `sessionExpiration: 3600` reads as it does from JSON.

use prost_types::value::Kind;
use prost_types::{ListValue, Struct, Value as ProtoValue};
use serde_json::{Map, Number, Value};

use crate::provider::limits::{oversized_check_outcome, refuse_oversized_bag};
use crate::provider::{CheckOutcome, ProviderError};
use crate::resources::{PropertyMap, PropertyValue};

/// The largest whole number a double holds exactly (2^53).
const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;

/// A bag as JSON, the form the size limits and the value decoder read.
pub fn struct_to_json(bag: Struct) -> Map<String, Value> {
    bag.fields
        .into_iter()
        .map(|(name, value)| (name, value_to_json(value)))
        .collect()
}

fn value_to_json(value: ProtoValue) -> Value {
    match value.kind {
        None | Some(Kind::NullValue(_)) => Value::Null,
        Some(Kind::BoolValue(flag)) => Value::Bool(flag),
        Some(Kind::NumberValue(number)) => number_to_json(number),
        Some(Kind::StringValue(text)) => Value::String(text),
        Some(Kind::ListValue(list)) => {
            Value::Array(list.values.into_iter().map(value_to_json).collect())
        }
        Some(Kind::StructValue(object)) => Value::Object(struct_to_json(object)),
    }
}

fn number_to_json(number: f64) -> Value {
    if number.fract() == 0.0 && number.abs() < EXACT_INTEGER_LIMIT {
        // Exact: the magnitude is below 2^53 and there is no fraction.
        return Value::Number(Number::from(number as i64));
    }
    // NaN and infinities have no JSON form; no property of this provider takes one.
    Number::from_f64(number).map_or(Value::Null, Value::Number)
}

/// The bag `name` of a `method` request as properties, if the request has it; a bag past the
/// size limits is refused before its values are read.
pub fn property_map(
    method: &str,
    name: &str,
    bag: Option<Struct>,
) -> Result<Option<PropertyMap>, ProviderError> {
    let Some(bag) = bag else {
        return Ok(None);
    };
    let fields = struct_to_json(bag);
    refuse_oversized_bag(method, name, &fields)?;
    Ok(Some(json_to_properties(fields)))
}

/// A bag the request must have (an absent `Struct` is refused as an absent JSON object is).
pub fn required_property_map(
    method: &str,
    name: &str,
    bag: Option<Struct>,
) -> Result<PropertyMap, ProviderError> {
    property_map(method, name, bag)?.ok_or_else(|| {
        ProviderError::invalid_params(format!(
            "{method} needs {name} (an object of property values) in its params"
        ))
    })
}

/// The bag `news` of a `check`: either its properties, or (past the size limits) the outcome
/// that reports the breaches.
pub fn checked_bag(name: &str, bag: Option<Struct>) -> Result<PropertyMap, CheckOutcome> {
    let fields = bag.map(struct_to_json).unwrap_or_default();
    match oversized_check_outcome(name, &fields) {
        Some(outcome) => Err(outcome),
        None => Ok(json_to_properties(fields)),
    }
}

fn json_to_properties(fields: Map<String, Value>) -> PropertyMap {
    fields
        .into_iter()
        .map(|(name, value)| (name, PropertyValue::from_wire(value)))
        .collect()
}

/// Properties as the `Struct` the engine reads (secrets and unknowns in their wire form).
pub fn properties_to_struct(properties: &PropertyMap) -> Struct {
    Struct {
        fields: properties
            .iter()
            .map(|(name, value)| (name.clone(), json_to_value(value.to_wire())))
            .collect(),
    }
}

fn json_to_value(value: Value) -> ProtoValue {
    let kind = match value {
        Value::Null => Kind::NullValue(0),
        Value::Bool(flag) => Kind::BoolValue(flag),
        Value::Number(number) => Kind::NumberValue(number.as_f64().unwrap_or(f64::NAN)),
        Value::String(text) => Kind::StringValue(text),
        Value::Array(items) => Kind::ListValue(ListValue {
            values: items.into_iter().map(json_to_value).collect(),
        }),
        Value::Object(object) => Kind::StructValue(Struct {
            fields: object
                .into_iter()
                .map(|(name, value)| (name, json_to_value(value)))
                .collect(),
        }),
    };
    ProtoValue { kind: Some(kind) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn struct_of(value: Value) -> Struct {
        match json_to_value(value).kind {
            Some(Kind::StructValue(object)) => object,
            other => panic!("not an object: {other:?}"),
        }
    }

    #[test]
    fn secrets_unknowns_and_plain_values_survive_the_round_trip() {
        let wire = json!({
            "password": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "pw"},
            "aapName": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
            "policies": ["a", "b"],
            "nested": {"flag": true, "nothing": null},
            "sessionExpiration": 3600,
            "ratio": 0.5,
        });
        let properties = property_map("create", "properties", Some(struct_of(wire.clone())))
            .unwrap()
            .unwrap();
        assert!(properties["password"].is_secret());
        assert!(properties["aapName"].is_unknown());
        assert_eq!(
            serde_json::to_value(&properties["sessionExpiration"]).unwrap(),
            json!(3600),
            "a whole number stays an integer"
        );
        let back = struct_to_json(properties_to_struct(&properties));
        assert_eq!(Value::Object(back), wire);
    }

    #[test]
    fn bags_past_the_limits_are_refused_or_reported() {
        let many: Map<String, Value> = (0..1001)
            .map(|index| (format!("p{index}"), json!("x")))
            .collect();
        let error = property_map(
            "update",
            "news",
            Some(struct_of(Value::Object(many.clone()))),
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("news in the params of update is too large"),
            "{error}"
        );
        let outcome = checked_bag("news", Some(struct_of(Value::Object(many)))).unwrap_err();
        assert!(outcome.inputs.is_empty());
        assert_eq!(outcome.failures[0].property, "news");
        assert_eq!(
            required_property_map("diff", "olds", None)
                .unwrap_err()
                .to_string(),
            "diff needs olds (an object of property values) in its params"
        );
    }
}
