//! The declaration of a client key: its properties, from which its schema entry, its checks, its
//! typed inputs and state and its outputs are derived.

use crate::kms::SecretString;

use super::super::declaration::declare_resource;

declare_resource! {
    /// `alicloud-kms:index:ClientKey`.
    pub const DECLARATION: Declaration = {
        token: "alicloud-kms:index:ClientKey",
        name: "ClientKey",
        noun: "client key",
        description: include_str!("description.md"),
    };
    /// The properties of a client key, one field each.
    pub struct ClientKeyProperties = PROPERTY;
    /// The checked inputs of a client key, as the operations use them.
    pub struct ClientKeyInputs;
    /// A client key as KMS describes it (without what KMS never returns), or its state.
    pub struct ClientKeyState;
    inputs {
        /// The name of the application access point the client key belongs to. Changing it
        /// replaces the client key.
        #[property("aapName", replaces)]
        aap_name: String,
        /// The password that protects the private key (a PKCS#12 file). Applications need it,
        /// together with the private key file, to initialise a KMS instance SDK client. 8 to 64
        /// characters from letters, digits and `~!@#$%^&*?_-`, with at least two of those three
        /// kinds. Changing it replaces the client key. KMS never returns it, so the state of an
        /// imported client key has none.
        #[property("password", replaces, write_only)]
        password: SecretString,
        /// The start of the validity period, as an RFC 3339 time such as `2023-09-01T14:11:22Z`.
        /// Set both `notBefore` and `notAfter`, or neither: then the provider chooses a validity of
        /// just under five years, starting a few minutes before the key is created (random dates
        /// that let it prove which key is its own if a reply is lost). Times with an offset are
        /// converted to UTC, and a fraction of a second is dropped, because KMS keeps whole
        /// seconds; the state holds it in UTC, as `YYYY-MM-DDTHH:MM:SSZ`. Changing it replaces the
        /// client key.
        #[property("notBefore", replaces, time, computed)]
        not_before: Option<String>,
        /// The end of the validity period, as an RFC 3339 time such as `2028-09-01T14:11:22Z`; it
        /// must be later than `notBefore`. Set both `notBefore` and `notAfter`, or neither. The
        /// state holds it in UTC, as `YYYY-MM-DDTHH:MM:SSZ`. Changing it replaces the client key.
        #[property("notAfter", replaces, time, computed)]
        not_after: Option<String>,
        /// The local file to write the private key to, as JSON
        /// `{"KeyId": ..., "PrivateKeyData": ...}`. A leading `~` is expanded and a relative path
        /// is resolved against the provider's working directory. Strongly recommended: KMS returns
        /// the private key only when the key is created, never again. Changing it replaces the
        /// client key. The state of an imported client key has none.
        #[property("privateKeyDataFile", replaces, write_only)]
        private_key_data_file: Option<String>,
    }
    outputs {
        /// When KMS created the client key, in UTC, as `YYYY-MM-DDTHH:MM:SSZ`.
        #[property("createTime")]
        create_time: String,
    }
}
