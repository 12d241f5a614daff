//! The quickstart's conversation with the provider: the seed example grown into the whole access
//! chain (a network rule with private IPs, named by the provider; a permission policy on a KMS
//! instance bound to it; the application access point `terraform-example` with that policy; a
//! client key with its private key file), each link's outputs feeding the next one's inputs,
//! driven through the real `alicloud-kms-provider` binary over stdio exactly as an engine drives
//! it, then a second pass that must find nothing to change.
//!
//! Shared by the quickstart example (which starts the emulator, or targets the cloud) and by the
//! test that runs it against an in-process emulator (`tests/it/seed_example.rs`).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{json, Value};

/// The seed's values, and those of the links before the access point.
pub const SEED_AAP_NAME: &str = "terraform-example";
pub const SEED_SOURCE_PRIVATE_IPS: [&str; 3] =
    ["10.10.10.10/24", "192.168.17.13", "100.177.24.254"];
/// A placeholder KMS instance (the emulator takes any); the cloud needs a real one (`--kms-instance`).
pub const SEED_KMS_INSTANCE: &str = "kst-hzz634e67d126u9p9example";
pub const SEED_PERMISSION: &str = "RbacPermission/Template/CryptoServiceKeyUser";
pub const SEED_RESOURCE: &str = "key/*";
pub const SEED_PASSWORD: &str = "YouPassword123!";
pub const SEED_NOT_BEFORE: &str = "2023-09-01T14:11:22Z";
pub const SEED_NOT_AFTER: &str = "2028-09-01T14:11:22Z";
pub const SEED_KEY_FILE: &str = "./private_key_data_file.txt";

const NETWORK_RULE_TYPE: &str = "alicloud-kms:index:NetworkRule";
const POLICY_TYPE: &str = "alicloud-kms:index:Policy";
const AAP_TYPE: &str = "alicloud-kms:index:ApplicationAccessPoint";
const KEY_TYPE: &str = "alicloud-kms:index:ClientKey";

/// Where the provider should send its KMS calls.
#[derive(Clone, Debug)]
pub enum Target {
    /// A local emulator at `host:port`, with its demo credential.
    Emulator { endpoint: String },
    /// The real cloud: credentials and region from the environment or `~/.aliyun/config.json`
    /// (the provider resolves them; nothing is passed here).
    Cloud,
}

#[derive(Clone, Debug)]
pub struct Options {
    /// The `alicloud-kms-provider` binary.
    pub provider_binary: PathBuf,
    /// The provider's working directory: the key file lands here.
    pub working_directory: PathBuf,
    pub target: Target,
    /// The access point's name (the seed's `terraform-example` by default); the policy is
    /// `<aap name>-policy`.
    pub aap_name: String,
    /// The KMS instance the policy applies to.
    pub kms_instance_id: String,
    /// Delete the whole chain at the end.
    pub destroy: bool,
}

/// One thing the quickstart did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub resource: String,
    pub operation: String,
    pub id: String,
}

/// What the quickstart did.
#[derive(Clone, Debug)]
pub struct Report {
    pub steps: Vec<Step>,
    /// The name the provider generated for the network rule.
    pub network_rule_name: String,
    pub client_key_id: String,
    pub key_file: PathBuf,
}

/// The provider, spoken to one request at a time.
struct Session<'a> {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
    out: &'a mut dyn Write,
    steps: Vec<Step>,
}

impl Session<'_> {
    fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        let line =
            json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string();
        let stdin = self
            .stdin
            .as_mut()
            .ok_or("the provider's stdin is closed")?;
        writeln!(stdin, "{line}")
            .and_then(|()| stdin.flush())
            .map_err(|error| format!("cannot write to the provider: {error}"))?;
        loop {
            let mut reply = String::new();
            let read = self
                .stdout
                .read_line(&mut reply)
                .map_err(|error| format!("cannot read from the provider: {error}"))?;
            if read == 0 {
                return Err(format!(
                    "the provider exited while {method} was waiting for its reply"
                ));
            }
            let message: Value = serde_json::from_str(&reply)
                .map_err(|error| format!("the provider wrote a line that is not JSON ({error})"))?;
            if message["method"] == "log" {
                let params = &message["params"];
                let _ = writeln!(
                    self.out,
                    "    provider {}: {}",
                    params["severity"].as_str().unwrap_or("info"),
                    params["message"].as_str().unwrap_or_default()
                );
                continue;
            }
            if message["id"] != id {
                return Err(format!("a reply to another request arrived: {message}"));
            }
            if let Some(error) = message.get("error") {
                return Err(format!(
                    "{method} failed ({}): {}",
                    error["code"],
                    error["message"].as_str().unwrap_or_default()
                ));
            }
            return Ok(message["result"].clone());
        }
    }

    fn finish(mut self) -> Result<(), String> {
        self.stdin.take();
        let status = self
            .child
            .wait()
            .map_err(|error| format!("cannot wait for the provider: {error}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("the provider exited with {status}"))
        }
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        // Only reached with the child still running when something failed half-way.
        if self.stdin.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn urn(resource_type: &str, name: &str) -> String {
    format!("urn:pulumi:quickstart::alicloud-kms-quickstart::{resource_type}::{name}")
}

/// One link of the chain as the quickstart created it: what the second pass refreshes and diffs,
/// and what `--destroy` deletes.
struct Deployed {
    resource: &'static str,
    urn: String,
    id: String,
    /// The program's inputs (before `check`).
    program: Value,
    /// The checked inputs.
    inputs: Value,
    /// The state (the outputs).
    state: Value,
}

/// Runs the seed example. Progress goes to `out`; the error says which step failed and why.
pub fn run(options: &Options, out: &mut dyn Write) -> Result<Report, String> {
    let mut child = Command::new(&options.provider_binary)
        .current_dir(&options.working_directory)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|error| {
            format!(
                "cannot start the provider {}: {error}",
                options.provider_binary.display()
            )
        })?;
    let stdin = child.stdin.take();
    let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut session = Session {
        child,
        stdin,
        stdout,
        next_id: 0,
        out,
        steps: Vec::new(),
    };

    let info = session.call("getPluginInfo", json!({}))?;
    let _ = writeln!(
        session.out,
        "alicloud-kms-provider {} in {}",
        info["version"].as_str().unwrap_or("?"),
        options.working_directory.display()
    );
    let _ = writeln!(session.out, "\n  {:<24} {:<16} id", "resource", "operation");
    let configure = match &options.target {
        Target::Emulator { endpoint } => json!({
            "variables": {"alicloud-kms:config:region": "cn-hangzhou"},
            "args": {"endpoint": endpoint, "protocol": "HTTP", "accessKey": "demo-access-key-id",
                     "secretKey": "demo-access-key-secret"},
            "acceptSecrets": true,
        }),
        // The provider looks in the environment and ~/.aliyun/config.json itself.
        Target::Cloud => json!({"variables": {}, "acceptSecrets": true}),
    };
    session.call("configure", configure)?;

    // --- first pass: create the chain, as `pulumi up` would on an empty stack; each link's
    // outputs feed the next one's inputs ---
    let rule = session.deploy(
        "NetworkRule",
        NETWORK_RULE_TYPE,
        "networkRule",
        // No networkRuleName: the provider names the rule after its resource name.
        json!({"sourcePrivateIps": SEED_SOURCE_PRIVATE_IPS, "description": "example-description"}),
    )?;
    let rule_name = text(&rule.state["networkRuleName"], "the network rule's name")?;
    let policy = session.deploy(
        "Policy",
        POLICY_TYPE,
        "policy",
        json!({
            "policyName": format!("{}-policy", options.aap_name),
            "kmsInstanceId": options.kms_instance_id,
            "permissions": [SEED_PERMISSION],
            "resources": [SEED_RESOURCE],
            "accessControlRules": json!({"NetworkRules": [rule_name]}).to_string(),
            "description": "key use from the network rule's addresses",
        }),
    )?;
    let aap = session.deploy(
        "ApplicationAccessPoint",
        AAP_TYPE,
        "AAP0",
        json!({"applicationAccessPointName": options.aap_name,
               "policies": [policy.state["policyName"]], "description": "aa"}),
    )?;
    let key = session.deploy(
        "ClientKey",
        KEY_TYPE,
        "default",
        json!({
            "aapName": aap.state["applicationAccessPointName"],
            "password": SEED_PASSWORD,
            "notBefore": SEED_NOT_BEFORE,
            "notAfter": SEED_NOT_AFTER,
            "privateKeyDataFile": SEED_KEY_FILE,
        }),
    )?;
    let mut chain = vec![rule, policy, aap, key];

    // --- second pass: refresh and diff, as a second `pulumi up` would: nothing may change ---
    for link in &mut chain {
        let read = session.call(
            "read",
            json!({"urn": link.urn, "id": link.id, "properties": link.state, "inputs": link.inputs}),
        )?;
        if read["id"] != json!(link.id) {
            return Err(format!(
                "{} {} is gone on refresh: {read}",
                link.resource, link.id
            ));
        }
        session.record(link.resource, "refresh", &link.id);
        let news = checked(
            &mut session,
            &link.urn,
            read["inputs"].clone(),
            link.program.clone(),
        )?;
        let diff = session.call(
            "diff",
            json!({"urn": link.urn, "id": link.id, "olds": read["properties"], "news": news}),
        )?;
        if diff["changes"] != "DIFF_NONE" {
            return Err(format!(
                "the second diff of {} {} found changes: {diff}",
                link.resource, link.id
            ));
        }
        session.record(link.resource, "diff: no changes", &link.id);
        link.state = read["properties"].clone();
    }

    let key_id = chain[3].id.clone();
    let key_file = options.working_directory.join("private_key_data_file.txt");
    verify_key_file(&key_file, &key_id)?;

    if options.destroy {
        // Dependents first, as the engine deletes a stack: KMS keeps a policy an access point
        // still lists, and a network rule a policy still names.
        for link in chain.iter().rev() {
            session.call(
                "delete",
                json!({"urn": link.urn, "id": link.id, "properties": link.state, "timeout": 300}),
            )?;
            session.record(link.resource, "delete", &link.id);
        }
        for link in &chain {
            let read = session.call("read", json!({"urn": link.urn, "id": link.id}))?;
            if read["id"] != "" {
                return Err(format!(
                    "{} {} still exists after delete",
                    link.resource, link.id
                ));
            }
        }
        if key_file.exists() {
            return Err(format!(
                "{} still exists after the key was deleted",
                key_file.display()
            ));
        }
    }
    let steps = std::mem::take(&mut session.steps);
    session.finish()?;
    Ok(Report {
        steps,
        network_rule_name: rule_name,
        client_key_id: key_id,
        key_file,
    })
}

impl Session<'_> {
    /// Prints and keeps one thing the quickstart did.
    fn record(&mut self, resource: &str, operation: &str, id: &str) {
        let _ = writeln!(self.out, "  {resource:<24} {operation:<16} {id}");
        self.steps.push(Step {
            resource: resource.to_owned(),
            operation: operation.to_owned(),
            id: id.to_owned(),
        });
    }

    /// What `pulumi up` does for a new resource: check, preview create (nothing may be made),
    /// create.
    fn deploy(
        &mut self,
        resource: &'static str,
        resource_type: &str,
        name: &str,
        program: Value,
    ) -> Result<Deployed, String> {
        let urn = urn(resource_type, name);
        let inputs = checked(self, &urn, json!({}), program.clone())?;
        let planned = self.call(
            "create",
            json!({"urn": urn, "properties": inputs, "preview": true}),
        )?;
        if planned["id"] != "" {
            return Err(format!("a preview create returned an id: {planned}"));
        }
        self.record(resource, "preview create", "(none yet)");
        let created = self.call(
            "create",
            json!({"urn": urn, "properties": inputs, "timeout": 300}),
        )?;
        let id = text(&created["id"], &format!("the {resource} id"))?;
        self.record(resource, "create", &id);
        Ok(Deployed {
            resource,
            urn,
            id,
            program,
            inputs,
            state: created["properties"].clone(),
        })
    }
}

/// `check` that must pass; returns the checked inputs.
fn checked(
    session: &mut Session<'_>,
    urn: &str,
    olds: Value,
    news: Value,
) -> Result<Value, String> {
    let result = session.call("check", json!({"urn": urn, "olds": olds, "news": news}))?;
    match result["failures"].as_array() {
        Some(failures) if failures.is_empty() => Ok(result["inputs"].clone()),
        _ => Err(format!("check of {urn} failed: {}", result["failures"])),
    }
}

fn text(value: &Value, what: &str) -> Result<String, String> {
    value
        .as_str()
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| format!("{what} is missing from the reply"))
}

/// The key file holds the new key, as the KMS SDKs read it, readable by its owner only.
fn verify_key_file(path: &Path, key_id: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read the key file {}: {error}", path.display()))?;
    let parsed: Value = serde_json::from_str(&text)
        .map_err(|error| format!("the key file {} is not JSON: {error}", path.display()))?;
    if parsed["KeyId"] != key_id || !parsed["PrivateKeyData"].is_string() {
        return Err(format!(
            "the key file {} does not hold the key {key_id}",
            path.display()
        ));
    }
    let mode = std::fs::metadata(path)
        .map_err(|error| error.to_string())?
        .permissions()
        .mode()
        & 0o777;
    if mode != 0o600 {
        return Err(format!("the key file has mode {mode:o}, not 600"));
    }
    Ok(())
}
