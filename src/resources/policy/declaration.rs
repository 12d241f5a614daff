//! The declaration of a permission policy: its properties, from which its schema entry, its
//! checks, its typed inputs and state and its outputs are derived.

use super::super::declaration::declare_resource;

declare_resource! {
    /// `alicloud-kms:index:Policy`.
    pub const DECLARATION: Declaration = {
        token: "alicloud-kms:index:Policy",
        name: "Policy",
        noun: "permission policy",
        description: include_str!("description.md"),
    };
    /// The properties of a permission policy, one field each.
    pub struct PolicyProperties = PROPERTY;
    /// The checked inputs of a permission policy, as the operations use them.
    pub struct PolicyInputs;
    /// A permission policy as KMS describes it, or its state.
    pub struct PolicyState;
    inputs {
        /// The name of the permission policy. It is also the resource id; changing it replaces the
        /// policy.
        #[property("policyName", identity, replaces)]
        policy_name: String,
        /// The KMS instance the policy applies to (`kst-...`); changing it replaces the policy.
        #[property("kmsInstanceId", replaces)]
        kms_instance_id: String,
        /// The permissions the policy grants: `RbacPermission/Template/CryptoServiceKeyUser`
        /// (cryptographic operations with keys), `RbacPermission/Template/CryptoServiceSecretUser`
        /// (secret operations), or both. Their order does not matter. Can be changed in place.
        #[property("permissions", set_like)]
        permissions: Vec<String>,
        /// The keys and secrets of the KMS instance the policy applies to: `key/<KeyId>`, `key/*`
        /// (every key), `secret/<SecretName>`, `secret/*` (every secret). Their order does not
        /// matter. Can be changed in place.
        #[property("resources", set_like)]
        resources: Vec<String>,
        /// The network rules whose addresses may use the policy, as JSON:
        /// `{"NetworkRules":["<network rule name>", ...]}` (at most 40 names; an empty list for
        /// none). It is compared as JSON: whitespace, member order and the order of the names make
        /// no difference, and the state holds it in canonical form (compact, the names sorted).
        /// Can be changed in place.
        #[property("accessControlRules")]
        access_control_rules: String,
        /// A free-form description of the permission policy. Can be changed in place.
        #[property("description")]
        description: Option<String>,
    }
    outputs {}
}
