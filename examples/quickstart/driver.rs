//! The quickstart's conversation with the provider: the seed example (an application access
//! point `terraform-example` and a client key with its private key file), driven through the real
//! `alicloud-kms-provider` binary over stdio exactly as an engine drives it, then a second pass
//! that must find nothing to change.
//!
//! Shared by the quickstart example (which starts the emulator, or targets the cloud) and by the
//! test that runs it against an in-process emulator (`tests/seed_example.rs`).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{json, Value};

/// The seed's values.
pub const SEED_AAP_NAME: &str = "terraform-example";
pub const SEED_PASSWORD: &str = "YouPassword123!";
pub const SEED_NOT_BEFORE: &str = "2023-09-01T14:11:22Z";
pub const SEED_NOT_AFTER: &str = "2028-09-01T14:11:22Z";
pub const SEED_KEY_FILE: &str = "./private_key_data_file.txt";

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
    /// The access point's name (the seed's `terraform-example` by default).
    pub aap_name: String,
    /// Delete both resources at the end.
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
    };
    let mut steps = Vec::new();
    let mut record = |session: &mut Session<'_>, resource: &str, operation: &str, id: &str| {
        let _ = writeln!(session.out, "  {resource:<24} {operation:<16} {id}");
        steps.push(Step {
            resource: resource.to_owned(),
            operation: operation.to_owned(),
            id: id.to_owned(),
        });
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

    // --- first pass: create, as `pulumi up` would on an empty stack ---
    let aap_urn = urn(AAP_TYPE, "AAP0");
    let aap_program = json!({"applicationAccessPointName": options.aap_name, "policies": ["aa"], "description": "aa"});
    let aap_inputs = checked(&mut session, &aap_urn, json!({}), aap_program.clone())?;
    session.call(
        "create",
        json!({"urn": aap_urn, "properties": aap_inputs, "preview": true}),
    )?;
    record(
        &mut session,
        "ApplicationAccessPoint",
        "preview create",
        "(none yet)",
    );
    let aap = session.call(
        "create",
        json!({"urn": aap_urn, "properties": aap_inputs, "timeout": 300}),
    )?;
    let aap_id = text(&aap["id"], "the access point id")?;
    record(&mut session, "ApplicationAccessPoint", "create", &aap_id);

    let key_urn = urn(KEY_TYPE, "default");
    let key_program = json!({
        "aapName": aap["properties"]["applicationAccessPointName"],
        "password": SEED_PASSWORD,
        "notBefore": SEED_NOT_BEFORE,
        "notAfter": SEED_NOT_AFTER,
        "privateKeyDataFile": SEED_KEY_FILE,
    });
    let key_inputs = checked(&mut session, &key_urn, json!({}), key_program.clone())?;
    let planned = session.call(
        "create",
        json!({"urn": key_urn, "properties": key_inputs, "preview": true}),
    )?;
    if planned["id"] != "" {
        return Err(format!("a preview create returned an id: {planned}"));
    }
    record(&mut session, "ClientKey", "preview create", "(none yet)");
    let key = session.call(
        "create",
        json!({"urn": key_urn, "properties": key_inputs, "timeout": 300}),
    )?;
    let key_id = text(&key["id"], "the client key id")?;
    record(&mut session, "ClientKey", "create", &key_id);

    // --- second pass: refresh and diff, as a second `pulumi up` would: nothing may change ---
    let mut aap_state = aap["properties"].clone();
    let mut key_state = key["properties"].clone();
    for (urn, id, state, old_inputs, program, resource) in [
        (
            &aap_urn,
            &aap_id,
            &mut aap_state,
            &aap_inputs,
            &aap_program,
            "ApplicationAccessPoint",
        ),
        (
            &key_urn,
            &key_id,
            &mut key_state,
            &key_inputs,
            &key_program,
            "ClientKey",
        ),
    ] {
        let read = session.call(
            "read",
            json!({"urn": urn, "id": id, "properties": state, "inputs": old_inputs}),
        )?;
        if read["id"] != json!(id) {
            return Err(format!("{resource} {id} is gone on refresh: {read}"));
        }
        record(&mut session, resource, "refresh", id);
        let news = checked(&mut session, urn, read["inputs"].clone(), program.clone())?;
        let diff = session.call(
            "diff",
            json!({"urn": urn, "id": id, "olds": read["properties"], "news": news}),
        )?;
        if diff["changes"] != "DIFF_NONE" {
            return Err(format!(
                "the second diff of {resource} {id} found changes: {diff}"
            ));
        }
        record(&mut session, resource, "diff: no changes", id);
        *state = read["properties"].clone();
    }

    let key_file = options.working_directory.join("private_key_data_file.txt");
    verify_key_file(&key_file, &key_id)?;

    if options.destroy {
        session.call(
            "delete",
            json!({"urn": key_urn, "id": key_id, "properties": key_state, "timeout": 300}),
        )?;
        record(&mut session, "ClientKey", "delete", &key_id);
        session.call(
            "delete",
            json!({"urn": aap_urn, "id": aap_id, "properties": aap_state, "timeout": 300}),
        )?;
        record(&mut session, "ApplicationAccessPoint", "delete", &aap_id);
        for (urn, id) in [(&key_urn, &key_id), (&aap_urn, &aap_id)] {
            let read = session.call("read", json!({"urn": urn, "id": id}))?;
            if read["id"] != "" {
                return Err(format!("{id} still exists after delete"));
            }
        }
        if key_file.exists() {
            return Err(format!(
                "{} still exists after the key was deleted",
                key_file.display()
            ));
        }
    }
    session.finish()?;
    Ok(Report {
        steps,
        client_key_id: key_id,
        key_file,
    })
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
