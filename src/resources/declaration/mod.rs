//! The declaration of a resource: its properties, each declared once (name, type, required,
//! secret, replace-on-change, set-like, write-only, time, output, description), and everything
//! derived from them: the schema entry (`provider::schema`), the rules `check` and `diff` apply
//! (`provider`), the typed inputs and state the operations use, and their outputs.
//!
//! A resource writes its declaration with [`declare_resource!`] (one property per field, the
//! field's Rust type saying the property's type and whether it is required), which generates the
//! typed inputs, the typed state, one [`Property`] per field and the [`Declaration`]. Code that
//! needs a property's name reads it from there (`PROPERTY.policies`), so each name is spelled
//! once, in its declaration.

mod compare;
mod value;

use std::fmt;

pub use compare::equal_ignoring_secrets;
pub use value::{
    decode_input, decode_state, encode_input, encode_state, Problem, PropertyType, ValueType,
    WireValue,
};

use super::property::{PropertyMap, PropertyValue};

/// One resource type: what the schema, `check`, `diff` and the messages need to know of it.
#[derive(Clone, Copy, Debug)]
pub struct Declaration {
    /// The resource type token, as in the schema (`alicloud-kms:index:NetworkRule`).
    pub token: &'static str,
    /// The short name used in messages (`NetworkRule`).
    pub name: &'static str,
    /// What it is called in a sentence (`network rule`).
    pub noun: &'static str,
    /// The schema's description of the resource (Markdown).
    pub description: &'static str,
    /// Its properties, inputs first, in the order the schema lists them.
    pub properties: &'static [Property],
}

impl Declaration {
    /// The property with this name.
    pub fn property(&self, name: &str) -> Option<&'static Property> {
        self.properties
            .iter()
            .find(|property| property.name == name)
    }

    /// The input properties (everything but the outputs only the cloud sets).
    pub fn inputs(&self) -> impl Iterator<Item = &'static Property> {
        self.properties
            .iter()
            .filter(|property| property.is_input())
    }

    /// The input that names the resource in the cloud, when the cloud identifies it by a name the
    /// user chooses: a replacement that keeps it would collide with the old resource.
    pub fn identity(&self) -> Option<&'static Property> {
        self.properties.iter().find(|property| property.identity)
    }

    /// The optional input `check` fills in when the program leaves it out (Pulumi's auto-naming).
    pub fn auto_named(&self) -> Option<&'static Property> {
        self.properties.iter().find(|property| property.auto_named)
    }

    /// An `a` or `an` for the resource's noun.
    pub fn article(&self) -> &'static str {
        article(self.noun)
    }
}

/// The indefinite article of a noun in a message (`an access point`, `a network rule`).
pub fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    }
}

/// One property of a resource. Built by [`declare_resource!`]: the type, required and secret come
/// from the field's Rust type, the rest from the flags of its `#[property]` line, each a `const`
/// method below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Property {
    /// The name on the wire and in the schema.
    pub name: &'static str,
    pub value_type: ValueType,
    /// An input the program must set.
    pub required: bool,
    /// Always a secret (the engine keeps it encrypted).
    pub secret: bool,
    /// A change replaces the resource (the cloud cannot change it in place).
    pub replaces: bool,
    /// A list whose order means nothing: compared as a set.
    pub set_like: bool,
    /// An input the cloud never returns: absent from the state of an imported resource, and
    /// carried over from the old state by a read.
    pub write_only: bool,
    /// An RFC 3339 time, compared as an instant in whole seconds.
    pub time: bool,
    /// An output only: set by the cloud, never an input.
    pub output: bool,
    /// An optional input that is always an output: the cloud fills it in when the program leaves
    /// it out, so its absence from the inputs is no change.
    pub computed: bool,
    /// The name the cloud identifies the resource by (also its id).
    pub identity: bool,
    /// Filled in by `check` when the program leaves it out.
    pub auto_named: bool,
    /// The schema's description (Markdown).
    pub description: &'static str,
}

impl Property {
    /// A property of the type `value_type`; [`declare_resource!`] passes what the field's type
    /// says, then the flags.
    pub const fn new(
        name: &'static str,
        value_type: ValueType,
        required: bool,
        secret: bool,
        description: &'static str,
    ) -> Property {
        Property {
            name,
            value_type,
            required,
            secret,
            replaces: false,
            set_like: false,
            write_only: false,
            time: false,
            output: false,
            computed: false,
            identity: false,
            auto_named: false,
            description,
        }
    }

    pub const fn secret(self) -> Property {
        Property {
            secret: true,
            ..self
        }
    }

    pub const fn replaces(self) -> Property {
        Property {
            replaces: true,
            ..self
        }
    }

    pub const fn set_like(self) -> Property {
        Property {
            set_like: true,
            ..self
        }
    }

    pub const fn write_only(self) -> Property {
        Property {
            write_only: true,
            ..self
        }
    }

    pub const fn time(self) -> Property {
        Property { time: true, ..self }
    }

    pub const fn output(self) -> Property {
        Property {
            output: true,
            required: false,
            ..self
        }
    }

    pub const fn computed(self) -> Property {
        Property {
            computed: true,
            ..self
        }
    }

    pub const fn identity(self) -> Property {
        Property {
            identity: true,
            ..self
        }
    }

    /// Optional for the program (so not a required input), though the typed inputs always have
    /// it: `check` fills it in.
    pub const fn auto_named(self) -> Property {
        Property {
            auto_named: true,
            required: false,
            ..self
        }
    }

    pub const fn is_input(&self) -> bool {
        !self.output
    }

    /// Whether every state holds it: what the program must set, what `check` fills in, and what
    /// the cloud sets.
    pub const fn is_required_output(&self) -> bool {
        self.required || self.output || self.computed || self.auto_named
    }

    /// Whether the cloud (or `check`) fills it in when the program leaves it out: an optional
    /// input that every state holds. Its absence from new inputs is therefore no change.
    pub const fn is_filled_when_absent(&self) -> bool {
        self.is_input() && !self.required && self.is_required_output()
    }

    /// The value of this property in `map`, when it is set (null is not).
    pub fn get<'a>(&self, map: &'a PropertyMap) -> Option<&'a PropertyValue> {
        map.get(self.name).filter(|value| !value.is_null())
    }

    /// The known string of this property in `map`.
    pub fn get_str<'a>(&self, map: &'a PropertyMap) -> Option<&'a str> {
        map.get(self.name).and_then(PropertyValue::as_str)
    }
}

impl fmt::Display for Property {
    /// The property's name, as messages write it.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name)
    }
}

/// What the typed inputs and state generated by [`declare_resource!`] can do.
pub trait Properties: Sized + Send {
    /// Reads them from a property map; every problem names its property.
    fn decode(map: &PropertyMap) -> Result<Self, Vec<Problem>>;

    /// Writes the values that are set into a property map (the declared secrets as secrets).
    fn encode(&self) -> PropertyMap;
}

/// Declares a resource: its [`Declaration`], a [`Property`] per field (in a struct of them, with
/// a constant holding the values), the typed inputs (one field per input, typed as declared) and
/// the typed state (every property, each optional: what the cloud holds, or an old state).
///
/// ```ignore
/// declare_resource! {
///     /// The declaration of a network rule.
///     pub const DECLARATION: Declaration = {
///         token: "alicloud-kms:index:NetworkRule",
///         name: "NetworkRule",
///         noun: "network rule",
///         description: include_str!("description.md"),
///     };
///     /// One field per property.
///     pub struct NetworkRuleProperties = PROPERTY;
///     /// The checked inputs.
///     pub struct NetworkRuleInputs;
///     /// What KMS holds, or a state.
///     pub struct NetworkRuleState;
///     inputs {
///         /// The name of the network rule. It is also the resource id ...
///         #[property("networkRuleName", identity, auto_named, replaces)]
///         network_rule_name: String,
///     }
///     outputs {}
/// }
/// ```
///
/// The flags are the `const` methods of [`Property`]; the type says the rest (`String`,
/// `Vec<String>`, `SecretString` are required, an `Option` of one is not, `SecretString` is a
/// secret). A description is the field's doc comment, its lines joined.
macro_rules! declare_resource {
    (
        $(#[doc = $declaration_doc:literal])*
        pub const $declaration:ident: Declaration = {
            token: $token:expr,
            name: $name:expr,
            noun: $noun:expr,
            description: $description:expr $(,)?
        };
        $(#[doc = $properties_doc:literal])*
        pub struct $properties:ident = $property:ident;
        $(#[doc = $inputs_doc:literal])*
        pub struct $inputs:ident;
        $(#[doc = $state_doc:literal])*
        pub struct $state:ident;
        inputs {
            $(
                $(#[doc = $input_doc:literal])+
                #[property($input_name:literal $(, $input_flag:ident)* $(,)?)]
                $input:ident: $input_type:ty,
            )*
        }
        outputs {
            $(
                $(#[doc = $output_doc:literal])+
                #[property($output_name:literal $(, $output_flag:ident)* $(,)?)]
                $output:ident: $output_type:ty,
            )*
        }
    ) => {
        $(#[doc = $properties_doc])*
        #[derive(Clone, Copy, Debug)]
        pub struct $properties {
            $(pub $input: $crate::resources::declaration::Property,)*
            $(pub $output: $crate::resources::declaration::Property,)*
        }

        $(#[doc = $properties_doc])*
        pub const $property: $properties = $properties {
            $(
                $input: $crate::resources::declaration::Property::new(
                    $input_name,
                    <$input_type as $crate::resources::declaration::PropertyType>::VALUE_TYPE,
                    <$input_type as $crate::resources::declaration::PropertyType>::REQUIRED,
                    <$input_type as $crate::resources::declaration::PropertyType>::SECRET,
                    concat!($($input_doc),+),
                )$(.$input_flag())*,
            )*
            $(
                $output: $crate::resources::declaration::Property::new(
                    $output_name,
                    <$output_type as $crate::resources::declaration::PropertyType>::VALUE_TYPE,
                    false,
                    <$output_type as $crate::resources::declaration::PropertyType>::SECRET,
                    concat!($($output_doc),+),
                ).output()$(.$output_flag())*,
            )*
        };

        $(#[doc = $declaration_doc])*
        pub const $declaration: $crate::resources::declaration::Declaration =
            $crate::resources::declaration::Declaration {
                token: $token,
                name: $name,
                noun: $noun,
                description: $description,
                properties: &[$($property.$input,)* $($property.$output,)*],
            };

        $(#[doc = $inputs_doc])*
        #[derive(Clone, Debug)]
        pub struct $inputs {
            $(
                $(#[doc = $input_doc])+
                pub $input: $input_type,
            )*
        }

        impl $crate::resources::declaration::Properties for $inputs {
            fn decode(
                map: &$crate::resources::PropertyMap,
            ) -> Result<Self, Vec<$crate::resources::declaration::Problem>> {
                let mut problems = Vec::new();
                let inputs = $inputs {
                    $(
                        $input: $crate::resources::declaration::decode_input(
                            &$property.$input,
                            map,
                            &mut problems,
                        ),
                    )*
                };
                if problems.is_empty() {
                    Ok(inputs)
                } else {
                    Err(problems)
                }
            }

            fn encode(&self) -> $crate::resources::PropertyMap {
                let mut map = $crate::resources::PropertyMap::new();
                $(
                    $crate::resources::declaration::encode_input(
                        &$property.$input,
                        &self.$input,
                        &mut map,
                    );
                )*
                map
            }
        }

        $(#[doc = $state_doc])*
        #[derive(Clone, Debug, Default)]
        pub struct $state {
            $(
                $(#[doc = $input_doc])+
                pub $input: Option<<$input_type as $crate::resources::declaration::PropertyType>::Value>,
            )*
            $(
                $(#[doc = $output_doc])+
                pub $output: Option<<$output_type as $crate::resources::declaration::PropertyType>::Value>,
            )*
        }

        impl $crate::resources::declaration::Properties for $state {
            /// Never fails: what is absent, unknown or of another type is `None`.
            fn decode(
                map: &$crate::resources::PropertyMap,
            ) -> Result<Self, Vec<$crate::resources::declaration::Problem>> {
                Ok($state {
                    $($input: $crate::resources::declaration::decode_state(&$property.$input, map),)*
                    $($output: $crate::resources::declaration::decode_state(&$property.$output, map),)*
                })
            }

            fn encode(&self) -> $crate::resources::PropertyMap {
                let mut map = $crate::resources::PropertyMap::new();
                $(
                    $crate::resources::declaration::encode_state(
                        &$property.$input,
                        self.$input.as_ref(),
                        &mut map,
                    );
                )*
                $(
                    $crate::resources::declaration::encode_state(
                        &$property.$output,
                        self.$output.as_ref(),
                        &mut map,
                    );
                )*
                map
            }
        }
    };
}

pub(crate) use declare_resource;
