//! The declaration of a network rule: its properties, from which its schema entry, its checks,
//! its typed inputs and state and its outputs are derived.

use super::super::declaration::declare_resource;

declare_resource! {
    /// `alicloud-kms:index:NetworkRule`.
    pub const DECLARATION: Declaration = {
        token: "alicloud-kms:index:NetworkRule",
        name: "NetworkRule",
        noun: "network rule",
        description: include_str!("description.md"),
    };
    /// The properties of a network rule, one field each.
    pub struct NetworkRuleProperties = PROPERTY;
    /// The checked inputs of a network rule, as the operations use them.
    pub struct NetworkRuleInputs;
    /// A network rule as KMS describes it, or its state.
    pub struct NetworkRuleState;
    inputs {
        /// The name of the network rule. It is also the resource id; changing it replaces the rule.
        /// When left out, the provider generates one from the resource name and a random suffix,
        /// and keeps it from one update to the next.
        #[property("networkRuleName", identity, auto_named, replaces)]
        network_rule_name: String,
        /// The private IPv4 addresses and CIDR blocks the rule allows, such as `192.168.0.10` or
        /// `192.168.0.0/24`: one to 800 of them, each listed once. Their order does not matter.
        /// Can be changed in place.
        #[property("sourcePrivateIps", set_like)]
        source_private_ips: Vec<String>,
        /// A free-form description of the network rule. Can be changed in place.
        #[property("description")]
        description: Option<String>,
    }
    outputs {}
}
