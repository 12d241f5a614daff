//! The declaration of an application access point: its properties, from which its schema entry,
//! its checks, its typed inputs and state and its outputs are derived.

use super::super::declaration::declare_resource;

declare_resource! {
    /// `alicloud-kms:index:ApplicationAccessPoint`.
    pub const DECLARATION: Declaration = {
        token: "alicloud-kms:index:ApplicationAccessPoint",
        name: "ApplicationAccessPoint",
        noun: "access point",
        description: include_str!("description.md"),
    };
    /// The properties of an application access point, one field each.
    pub struct AccessPointProperties = PROPERTY;
    /// The checked inputs of an application access point, as the operations use them.
    pub struct AccessPointInputs;
    /// An application access point as KMS describes it, or its state.
    pub struct AccessPointState;
    inputs {
        /// The name of the application access point. It is also the resource id; changing it
        /// replaces the access point.
        #[property("applicationAccessPointName", identity, replaces)]
        application_access_point_name: String,
        /// The names of the permission policies bound to the application access point: one to
        /// three of them. Can be changed in place.
        #[property("policies", set_like)]
        policies: Vec<String>,
        /// A free-form description of the application access point. Can be changed in place.
        #[property("description")]
        description: Option<String>,
    }
    outputs {}
}
