//! The params of every method for the stdin fuzzer (a part of `frames.rs`'s generator): property
//! bags from the schema's names with right, wrong and extreme values, provider settings (with
//! `configure` pinned to the generator's endpoint), ids, options, and any JSON value.

use serde_json::{json, Map, Value};

use super::{FrameGenerator, Rng, AAP, KEY, POLICY, RULE, SECRET_SIG, UNKNOWN};

impl FrameGenerator {
    fn resource_type(&mut self) -> (&'static str, String) {
        let resource_type = *self.rng.pick(&[AAP, KEY, RULE, POLICY]);
        let name = self
            .rng
            .pick(&["r", "AAP0", "default", "x y", ""])
            .to_string();
        let urn = match self.rng.below(10) {
            0 => "urn:pulumi:::".to_owned(),
            1 => format!("urn:pulumi:dev::p::alicloud-kms:index:Nope::{name}"),
            2 => format!("urn:pulumi:dev::p::parent$${resource_type}::{name}"),
            _ => format!("urn:pulumi:dev::p::{resource_type}::{name}"),
        };
        (resource_type, urn)
    }

    pub(super) fn params(&mut self, method: &str) -> Value {
        let (resource_type, urn) = self.resource_type();
        let mut params = Map::new();
        let address = |params: &mut Map<String, Value>, rng: &mut Rng| match rng.below(4) {
            0 => {
                params.insert("type".into(), json!(resource_type));
            }
            1 => {
                params.insert("type".into(), json!(resource_type));
                params.insert("urn".into(), json!(urn));
            }
            _ => {
                params.insert("urn".into(), json!(urn));
            }
        };
        match method {
            "getPluginInfo" | "cancel" => return Value::Null,
            "getSchema" => {
                params.insert("version".into(), json!(self.rng.below(3)));
            }
            "checkConfig" => {
                params.insert("news".into(), self.config_bag(false));
                params.insert("olds".into(), json!({}));
            }
            "configure" => {
                params.insert(
                    "variables".into(),
                    json!({"alicloud-kms:config:region": "cn-hangzhou"}),
                );
                params.insert("args".into(), self.config_bag(true));
                params.insert("acceptSecrets".into(), json!(true));
            }
            "check" => {
                address(&mut params, &mut self.rng);
                params.insert("news".into(), self.property_bag(resource_type));
                if self.rng.chance(30) {
                    params.insert("olds".into(), self.property_bag(resource_type));
                }
            }
            "diff" | "update" => {
                address(&mut params, &mut self.rng);
                params.insert("id".into(), self.id_for(resource_type));
                params.insert("olds".into(), self.property_bag(resource_type));
                params.insert("news".into(), self.property_bag(resource_type));
                if self.rng.chance(30) {
                    params.insert("oldInputs".into(), self.property_bag(resource_type));
                }
                if self.rng.chance(20) {
                    params.insert("ignoreChanges".into(), json!(["policies[0]", "aapName"]));
                }
                self.operation_options(&mut params);
            }
            "create" => {
                address(&mut params, &mut self.rng);
                params.insert("properties".into(), self.property_bag(resource_type));
                self.operation_options(&mut params);
            }
            "read" | "delete" => {
                address(&mut params, &mut self.rng);
                params.insert("id".into(), self.id_for(resource_type));
                if self.rng.chance(60) {
                    params.insert("properties".into(), self.property_bag(resource_type));
                }
                if self.rng.chance(30) {
                    params.insert("inputs".into(), self.property_bag(resource_type));
                }
                self.operation_options(&mut params);
            }
            _ => unreachable!("every method has params"),
        }
        Value::Object(params)
    }

    fn operation_options(&mut self, params: &mut Map<String, Value>) {
        if self.rng.chance(50) {
            params.insert("preview".into(), json!(self.rng.chance(50)));
        }
        if self.rng.chance(30) {
            let timeout = self
                .rng
                .pick(&[
                    json!(0),
                    json!(1),
                    json!(30),
                    json!(-5),
                    json!(1e12),
                    json!("60"),
                ])
                .clone();
            params.insert("timeout".into(), timeout);
        }
    }

    fn id_for(&mut self, resource_type: &str) -> Value {
        match self.rng.below(6) {
            0 => json!(""),
            1 => json!(7),
            2 => json!("KAAP.66abf237-63f6-4625-b8cf-47e1086e0000"),
            3 => json!(format!(
                "KAAP.{:08x}-0000-4000-8000-000000000000",
                self.rng.next() as u32
            )),
            _ if resource_type != KEY => json!(self.aap_name()),
            _ => json!("KAAP.not-a-uuid"),
        }
    }

    fn aap_name(&mut self) -> String {
        self.rng
            .pick(&["aap", "fuzz-aap", "terraform-example", "a.b_c-d", "x"])
            .to_string()
    }

    /// Provider settings; `configure` keeps the endpoint and protocol pinned.
    fn config_bag(&mut self, pinned: bool) -> Value {
        let mut bag = Map::new();
        if self.rng.chance(70) {
            bag.insert(
                "region".into(),
                self.rng
                    .pick(&[
                        json!("cn-hangzhou"),
                        json!("CN hangzhou"),
                        json!(""),
                        json!(5),
                    ])
                    .clone(),
            );
        }
        if self.rng.chance(70) {
            bag.insert("accessKey".into(), json!("demo-access-key-id"));
            bag.insert(
                "secretKey".into(),
                self.maybe_secret(json!("demo-access-key-secret")),
            );
        }
        if self.rng.chance(20) {
            bag.insert("securityToken".into(), self.maybe_secret(json!("token")));
        }
        if self.rng.chance(15) {
            bag.insert("alicloud-kms:config:protocl".into(), json!("http"));
        }
        if pinned {
            bag.insert("endpoint".into(), json!(self.endpoint));
            bag.insert("protocol".into(), json!("HTTP"));
        } else {
            if self.rng.chance(50) {
                let endpoint = self
                    .rng
                    .pick(&[
                        json!("kms.cn-hangzhou.aliyuncs.com"),
                        json!("ftp://x"),
                        json!("http://a:b@h"),
                        json!("h:1:x"),
                        json!(""),
                    ])
                    .clone();
                bag.insert("endpoint".into(), endpoint);
            }
            if self.rng.chance(50) {
                bag.insert(
                    "protocol".into(),
                    self.rng
                        .pick(&[json!("https"), json!("HTTP"), json!("FTP")])
                        .clone(),
                );
            }
        }
        Value::Object(bag)
    }

    fn maybe_secret(&mut self, value: Value) -> Value {
        if self.rng.chance(50) {
            json!({SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "value": value})
        } else {
            value
        }
    }

    fn time(&mut self) -> Value {
        self.rng
            .pick(&[
                json!("2023-09-01T14:11:22Z"),
                json!("2028-09-01T14:11:22Z"),
                json!("2023-09-01T22:11:22.5+08:00"),
                json!("2023-13-01T00:00:00Z"),
                json!("yesterday"),
                json!(1693577482),
                json!(UNKNOWN),
            ])
            .clone()
    }

    /// A list of some of `choices` (repeats, blanks and wrong types included), sometimes unknown.
    fn list_of(&mut self, choices: &[Value]) -> Value {
        if self.rng.chance(5) {
            return json!(UNKNOWN);
        }
        let count = self.rng.below(5);
        Value::Array((0..count).map(|_| self.rng.pick(choices).clone()).collect())
    }

    fn property_bag(&mut self, resource_type: &str) -> Value {
        let mut bag = Map::new();
        if resource_type == RULE {
            if self.rng.chance(60) {
                bag.insert("networkRuleName".into(), json!(self.aap_name()));
            }
            if self.rng.chance(85) {
                let ips = self.list_of(&[
                    json!("10.0.0.1"),
                    json!("192.168.0.0/24"),
                    json!("10.0.0.0/33"),
                    json!("::1"),
                    json!(""),
                    json!(UNKNOWN),
                    json!(4),
                ]);
                bag.insert("sourcePrivateIps".into(), ips);
            }
            if self.rng.chance(40) {
                bag.insert("description".into(), json!("described"));
            }
        } else if resource_type == POLICY {
            if self.rng.chance(85) {
                bag.insert("policyName".into(), json!(self.aap_name()));
            }
            if self.rng.chance(85) {
                let instance = self
                    .rng
                    .pick(&[
                        json!("kst-hzz634e67d126u9p9example"),
                        json!(""),
                        json!(UNKNOWN),
                    ])
                    .clone();
                bag.insert("kmsInstanceId".into(), instance);
            }
            if self.rng.chance(85) {
                let permissions = self.list_of(&[
                    json!("RbacPermission/Template/CryptoServiceKeyUser"),
                    json!("RbacPermission/Template/CryptoServiceSecretUser"),
                    json!("Admin"),
                    json!(""),
                ]);
                bag.insert("permissions".into(), permissions);
            }
            if self.rng.chance(85) {
                let resources = self.list_of(&[
                    json!("key/*"),
                    json!("secret/*"),
                    json!("key/k-1"),
                    json!("x"),
                ]);
                bag.insert("resources".into(), resources);
            }
            if self.rng.chance(85) {
                let rules = self
                    .rng
                    .pick(&[
                        json!("{\"NetworkRules\":[\"r\"]}"),
                        json!("{ \"NetworkRules\": [\"b\", \"a\"] }"),
                        json!("{\"NetworkRules\":[\"r\",\"r\"]}"),
                        json!("{\"Other\":1}"),
                        json!("not json"),
                        json!(UNKNOWN),
                        json!(["r"]),
                    ])
                    .clone();
                bag.insert("accessControlRules".into(), rules);
            }
            if self.rng.chance(40) {
                bag.insert("description".into(), json!("described"));
            }
        } else if resource_type == AAP {
            if self.rng.chance(85) {
                bag.insert("applicationAccessPointName".into(), json!(self.aap_name()));
            }
            if self.rng.chance(85) {
                let count = self.rng.below(5);
                let policies: Vec<Value> = (0..count)
                    .map(|_| {
                        self.rng
                            .pick(&[
                                json!("aa"),
                                json!("bb"),
                                json!(""),
                                json!("aa"),
                                json!(UNKNOWN),
                                json!(3),
                            ])
                            .clone()
                    })
                    .collect();
                bag.insert("policies".into(), Value::Array(policies));
            }
            if self.rng.chance(40) {
                bag.insert("description".into(), json!("described"));
            }
        } else {
            if self.rng.chance(85) {
                bag.insert("aapName".into(), json!(self.aap_name()));
            }
            if self.rng.chance(80) {
                let password = self
                    .rng
                    .pick(&[
                        json!("YouPassword123!"),
                        json!("short"),
                        json!("Pässwörd-1234"),
                        json!(UNKNOWN),
                    ])
                    .clone();
                bag.insert("password".into(), self.maybe_secret(password));
            }
            if self.rng.chance(50) {
                bag.insert("notBefore".into(), self.time());
                bag.insert("notAfter".into(), self.time());
            }
            if self.rng.chance(50) {
                // Paths stay inside the provider's working directory (or nowhere).
                let path = self
                    .rng
                    .pick(&[
                        json!("./key.json"),
                        json!("k2.json"),
                        json!("~/k3.json"),
                        json!("missing-dir/k.json"),
                        json!("/nonexistent/k.json"),
                        json!(""),
                        json!("."),
                    ])
                    .clone();
                bag.insert("privateKeyDataFile".into(), path);
            }
            if self.rng.chance(20) {
                bag.insert("createTime".into(), self.time());
            }
        }
        if self.rng.chance(10) {
            bag.insert(
                self.rng
                    .pick(&["aap_name", "Policies", "__defaults", "extra"])
                    .to_string(),
                json!(["x"]),
            );
        }
        Value::Object(bag)
    }
}
