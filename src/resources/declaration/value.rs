//! The Rust types a declared property can have, what each says about the property (its schema
//! type, whether it is required, whether it is a secret), and how values of them are read from
//! and written to a property map.

use crate::kms::SecretString;

use super::super::error::CheckFailure;
use super::super::property::{PropertyMap, PropertyValue};
use super::Property;

/// The type of a property, as the schema writes it and as `check` verifies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    String,
    Boolean,
    Integer,
    Number,
    Array(&'static ValueType),
    /// An object with values of one type (`additionalProperties`).
    Map(&'static ValueType),
    /// Anything (`pulumi.json#/Any`, or an object type the engine does not look into).
    Any,
}

impl ValueType {
    /// The type with an article, for messages ("a string", "an array of strings").
    pub fn describe(&self) -> String {
        match self {
            ValueType::String => "a string".into(),
            ValueType::Boolean => "a boolean".into(),
            ValueType::Integer => "an integer".into(),
            ValueType::Number => "a number".into(),
            ValueType::Array(items) => format!("an array of {}", items.describe_plural()),
            ValueType::Map(values) => format!("an object of {}", values.describe_plural()),
            ValueType::Any => "any value".into(),
        }
    }

    fn describe_plural(&self) -> String {
        match self {
            ValueType::String => "strings".into(),
            ValueType::Boolean => "booleans".into(),
            ValueType::Integer => "integers".into(),
            ValueType::Number => "numbers".into(),
            ValueType::Array(items) => format!("arrays of {}", items.describe_plural()),
            ValueType::Map(values) => format!("objects of {}", values.describe_plural()),
            ValueType::Any => "values".into(),
        }
    }
}

/// A value a property holds, as the operations use it: `String`, `Vec<String>`, `SecretString`.
pub trait WireValue: Clone + Default + Send + Sync {
    const VALUE_TYPE: ValueType;
    const SECRET: bool = false;

    /// Reads a known value (secrets unwrapped); `None` for a value of another type.
    fn from_property(value: &PropertyValue) -> Option<Self>;

    /// Writes the value (not yet marked secret: that is the declaration's business).
    fn to_property(&self) -> PropertyValue;

    /// Whether an optional property with this value counts as absent (the cloud reports an
    /// empty text for "none").
    fn is_empty(&self) -> bool;
}

impl WireValue for String {
    const VALUE_TYPE: ValueType = ValueType::String;

    fn from_property(value: &PropertyValue) -> Option<String> {
        value.as_str().map(str::to_owned)
    }

    fn to_property(&self) -> PropertyValue {
        PropertyValue::String(self.clone())
    }

    fn is_empty(&self) -> bool {
        self.is_empty()
    }
}

impl WireValue for Vec<String> {
    const VALUE_TYPE: ValueType = ValueType::Array(&ValueType::String);

    fn from_property(value: &PropertyValue) -> Option<Vec<String>> {
        value
            .as_array()?
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect()
    }

    fn to_property(&self) -> PropertyValue {
        PropertyValue::Array(self.iter().cloned().map(PropertyValue::String).collect())
    }

    fn is_empty(&self) -> bool {
        self.is_empty()
    }
}

impl WireValue for SecretString {
    const VALUE_TYPE: ValueType = ValueType::String;
    const SECRET: bool = true;

    fn from_property(value: &PropertyValue) -> Option<SecretString> {
        value.as_str().map(SecretString::from)
    }

    fn to_property(&self) -> PropertyValue {
        PropertyValue::String(self.expose_secret().to_owned())
    }

    fn is_empty(&self) -> bool {
        self.is_empty()
    }
}

/// The type of a field of typed inputs: a [`WireValue`] (a required input) or an `Option` of one
/// (an optional input).
pub trait PropertyType: Default + Send + Sync {
    type Value: WireValue;
    const VALUE_TYPE: ValueType = <Self::Value as WireValue>::VALUE_TYPE;
    const SECRET: bool = <Self::Value as WireValue>::SECRET;
    const REQUIRED: bool;

    /// The field from the value that was read: `None` when a required value is missing.
    fn from_value(value: Option<Self::Value>) -> Option<Self>;

    /// The value of the field, when it has one.
    fn value(&self) -> Option<&Self::Value>;
}

macro_rules! property_types {
    ($($value:ty),*) => {$(
        impl PropertyType for $value {
            type Value = $value;
            const REQUIRED: bool = true;

            fn from_value(value: Option<$value>) -> Option<$value> {
                value
            }

            fn value(&self) -> Option<&$value> {
                Some(self)
            }
        }

        impl PropertyType for Option<$value> {
            type Value = $value;
            const REQUIRED: bool = false;

            fn from_value(value: Option<$value>) -> Option<Option<$value>> {
                Some(value)
            }

            fn value(&self) -> Option<&$value> {
                self.as_ref()
            }
        }
    )*};
}

property_types!(String, Vec<String>, SecretString);

/// Why a value could not be read into typed inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// A required input is absent.
    Missing(&'static str),
    /// The value is not known yet (only a preview may leave one unknown).
    Unknown(&'static str),
    /// The value has another type than the declaration's.
    WrongType {
        property: &'static str,
        expected: ValueType,
        actual: &'static str,
    },
}

impl Problem {
    /// The failure `invalid_inputs` reports for it; `resource` names the resource type.
    pub fn into_failure(self, resource: &str) -> CheckFailure {
        match self {
            Problem::Missing(property) => CheckFailure::new(
                property,
                format!("{property} is required; set it on the {resource}"),
            ),
            Problem::Unknown(property) => CheckFailure::new(
                property,
                format!("{property} is unknown; it must be known outside a preview"),
            ),
            Problem::WrongType {
                property,
                expected,
                actual,
            } => CheckFailure::new(
                property,
                format!("{property} must be {}, not {actual}", expected.describe()),
            ),
        }
    }
}

/// Reads the field of typed inputs that holds `property`: set, known and of the declared type (an
/// empty optional value counts as absent). A problem is recorded and a default returned.
pub fn decode_input<T: PropertyType>(
    property: &Property,
    map: &PropertyMap,
    problems: &mut Vec<Problem>,
) -> T {
    let value = match property.get(map) {
        None => None,
        Some(value) if value.contains_unknown() => {
            problems.push(Problem::Unknown(property.name));
            return T::default();
        }
        Some(value) => match T::Value::from_property(value) {
            Some(value) => Some(value),
            None => {
                problems.push(Problem::WrongType {
                    property: property.name,
                    expected: property.value_type,
                    actual: value.type_description(),
                });
                return T::default();
            }
        },
    };
    let value = value.filter(|value| T::REQUIRED || !value.is_empty());
    T::from_value(value).unwrap_or_else(|| {
        problems.push(Problem::Missing(property.name));
        T::default()
    })
}

/// Reads one property of a state: `None` when it is absent, unknown or of another type, or an
/// empty optional value.
pub fn decode_state<V: WireValue>(property: &Property, map: &PropertyMap) -> Option<V> {
    let value = property
        .get(map)
        .filter(|value| !value.contains_unknown())?;
    V::from_property(value).filter(|value| property.required || !value.is_empty())
}

/// Writes the field of typed inputs that holds `property`, if it has a value.
pub fn encode_input<T: PropertyType>(property: &Property, field: &T, map: &mut PropertyMap) {
    encode_state(property, field.value(), map);
}

/// Writes one property of a state, if it has a value; a declared secret as a secret.
pub fn encode_state<V: WireValue>(property: &Property, value: Option<&V>, map: &mut PropertyMap) {
    if let Some(value) = value {
        let value = value.to_property();
        let value = if property.secret {
            value.into_secret()
        } else {
            value
        };
        map.insert(property.name.to_owned(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::property::UnknownKind;

    const NAME: Property = Property::new("name", ValueType::String, true, false, "");
    const LIST: Property = Property::new(
        "list",
        ValueType::Array(&ValueType::String),
        true,
        false,
        "",
    );
    const NOTE: Property = Property::new("note", ValueType::String, false, false, "");

    #[test]
    fn inputs_are_read_known_and_typed_and_every_problem_is_named() {
        let map = PropertyMap::from([
            (
                "name".to_owned(),
                PropertyValue::String("x".into()).into_secret(),
            ),
            (
                "list".to_owned(),
                PropertyValue::Unknown(UnknownKind::Array),
            ),
            ("note".to_owned(), PropertyValue::String(String::new())),
        ]);
        let mut problems = Vec::new();
        let name: String = decode_input(&NAME, &map, &mut problems);
        let list: Vec<String> = decode_input(&LIST, &map, &mut problems);
        let note: Option<String> = decode_input(&NOTE, &map, &mut problems);
        assert_eq!(
            (name.as_str(), note),
            ("x", None),
            "an empty optional text is none"
        );
        assert!(list.is_empty());
        let missing: String = decode_input(&NAME, &PropertyMap::new(), &mut problems);
        assert!(missing.is_empty());
        let failures: Vec<CheckFailure> = problems
            .into_iter()
            .map(|problem| problem.into_failure("Thing"))
            .collect();
        assert_eq!(
            failures,
            [
                CheckFailure::new(
                    "list",
                    "list is unknown; it must be known outside a preview"
                ),
                CheckFailure::new("name", "name is required; set it on the Thing"),
            ]
        );
    }

    #[test]
    fn a_state_reads_what_it_can_and_writes_secrets_as_secrets() {
        let secret = Property::new("password", ValueType::String, true, true, "");
        let map = PropertyMap::from([
            ("name".to_owned(), PropertyValue::Bool(true)),
            ("password".to_owned(), PropertyValue::String("p".into())),
        ]);
        assert_eq!(decode_state::<String>(&NAME, &map), None);
        let password = decode_state::<SecretString>(&secret, &map);
        let mut written = PropertyMap::new();
        encode_state(&secret, password.as_ref(), &mut written);
        assert_eq!(
            written["password"],
            PropertyValue::String("p".into()).into_secret()
        );
    }
}
