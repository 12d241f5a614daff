//! The bound package: what the language emitters consume once `bind` has checked the schema.
//!
//! Everything here is resolved and validated, so emitters never re-check the schema: names are
//! legal in both SDKs, required lists point at real properties, and types are ones sdk-gen knows.

/// A package ready to be emitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    /// The schema `name`, e.g. `alicloud-kms`; also the namespace of its stack config keys.
    pub name: String,
    pub version: String,
    pub description: Option<String>,
    pub license: Option<String>,
    /// `keywords`, minus Pulumi's `category/...` and `kind/...` classifiers: the npm keywords and
    /// the Python package's keywords.
    pub keywords: Vec<String>,
    /// `homepage`: the project's web page, in both packages' metadata.
    pub homepage: Option<String>,
    /// `repository`: the source repository URL, in both packages' metadata.
    pub repository: Option<String>,
    /// The npm package name (`language.nodejs.packageName`).
    pub nodejs_package_name: String,
    /// The Python import and distribution name (`language.python.packageName`).
    pub python_package_name: String,
    /// Stack configuration variables, sorted by name.
    pub config_variables: Vec<ConfigVariable>,
    /// Resources, sorted by token.
    pub resources: Vec<Resource>,
}

/// One `config.variables` entry: a provider setting, as stack config (`alicloud-kms:region`) and as
/// a field of the SDKs' `ProviderSettings`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigVariable {
    pub name: String,
    pub description: Option<String>,
    pub secret: bool,
    pub property_type: PropertyType,
}

/// One resource and the three property sets the SDKs need.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// The schema token, e.g. `alicloud-kms:index:ClientKey`.
    pub token: String,
    /// The class name, e.g. `ClientKey`.
    pub class_name: String,
    pub description: Option<String>,
    pub deprecation_message: Option<String>,
    /// Output properties (`properties`); `required` means always set after create.
    pub outputs: Vec<Property>,
    /// Input properties (`inputProperties`); `required` means the user must set it.
    pub inputs: Vec<Property>,
    /// The properties `get` may pass (`stateInputs`, or every output when it is absent); never required.
    pub state: Vec<Property>,
}

impl Package {
    /// The name the docs import the package as, and the namespace pulumi-alicloud gives these
    /// resources (`kms` for `alicloud-kms`: `alicloud.kms.ClientKey`): the last part of the name.
    pub fn module_alias(&self) -> String {
        self.name
            .rsplit(['-', '_'])
            .next()
            .unwrap_or("sdk")
            .to_string()
    }

    /// The namespace both SDKs export their names again under, as pulumi-alicloud's module
    /// (`kms`: `alicloud.kms.ClientKey`), unless a resource's module already has that name in
    /// either SDK.
    pub fn namespace(&self) -> Option<String> {
        let alias = self.module_alias();
        let taken = self.resources.iter().any(|resource| {
            crate::names::to_snake_case(&resource.class_name) == alias
                || crate::names::to_camel_case(&resource.class_name) == alias
        });
        (!taken).then_some(alias)
    }

    /// Every property name of every resource, sorted and unique.
    pub fn all_property_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .resources
            .iter()
            .flat_map(Resource::all_property_names)
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

impl Resource {
    /// Outputs that are not inputs: the SDK seeds them so the engine resolves them.
    pub fn output_only(&self) -> impl Iterator<Item = &Property> {
        self.outputs
            .iter()
            .filter(|output| !self.inputs.iter().any(|input| input.name == output.name))
    }

    /// Names of every property that is secret as an input or an output, sorted and unique.
    pub fn secret_property_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .outputs
            .iter()
            .chain(&self.inputs)
            .filter(|property| property.secret)
            .map(|property| property.name.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Every property name across outputs, inputs and state, sorted and unique.
    pub fn all_property_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .outputs
            .iter()
            .chain(&self.inputs)
            .chain(&self.state)
            .map(|property| property.name.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

/// A property as one of the SDKs sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// The schema (wire) name, e.g. `aapName`.
    pub name: String,
    pub property_type: PropertyType,
    pub description: Option<String>,
    pub required: bool,
    pub secret: bool,
    pub will_replace_on_changes: bool,
    pub deprecation_message: Option<String>,
}

/// The property types sdk-gen can emit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropertyType {
    String,
    Integer,
    Number,
    Boolean,
    /// `pulumi.json#/Any`, or `pulumi.json#/Json`.
    Any,
    Array(Box<PropertyType>),
    /// An object with `additionalProperties`: string keys, values of one type.
    Map(Box<PropertyType>),
}
