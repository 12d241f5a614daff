//! Issue 17's figures: the provider with a hostile file at a credential path (a FIFO, `/dev/zero`),
//! and off an ECS instance with nothing configured.
//!
//! For each hostile path: a `create` that needs the credentials, then `getPluginInfo`, written in
//! one go; the time to each reply, the process's peak RSS (`VmHWM`) afterwards, and the time from
//! SIGTERM to the exit. Off ECS: the real metadata address (no test hook), nothing configured; the
//! time to the "no credentials" reply of a first and a second operation (the instance is asked
//! once per process).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::stdio::{memory_of, request_line};
use crate::BenchError;

/// One hostile path.
pub struct HazardCase {
    pub name: &'static str,
    /// From the write to the `getPluginInfo` reply.
    pub plugin_info: Duration,
    /// From the write to the operation's (error) reply.
    pub operation: Duration,
    /// Whether that error names the path and what is there.
    pub clear_error: bool,
    /// `VmHWM` after both replies.
    pub peak_rss: u64,
    /// From SIGTERM to the exit.
    pub sigterm_exit: Duration,
}

pub struct CredentialHazards {
    pub cases: Vec<HazardCase>,
    /// Off ECS, nothing configured: the first operation's "no credentials" reply, and a second's.
    pub off_ecs: (Duration, Duration),
    /// Whether both said "no alibaba cloud credentials found".
    pub off_ecs_clear: bool,
    /// The same with a metadata address that accepts connections and never answers (the worst
    /// case; the test hook points the provider at it).
    pub silent_metadata: Duration,
}

fn spawn(
    binary: &Path,
    home: &Path,
    environment: &[(&str, String)],
) -> Result<std::process::Child, BenchError> {
    let mut command = Command::new(binary);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .current_dir(home)
        .env("HOME", home)
        .env_remove("RUST_LOG");
    for (name, _) in std::env::vars() {
        if ["ALIBABA_CLOUD_", "ALICLOUD_", "ALIBABACLOUD_"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
        {
            command.env_remove(name);
        }
    }
    for (name, value) in environment {
        command.env(name, value);
    }
    command
        .spawn()
        .map_err(|error| BenchError::new(format!("cannot start {}: {error}", binary.display())))
}

/// Writes `lines` at once, then returns the time from the write to each reply, by id.
fn timed_replies(
    child: &mut std::process::Child,
    lines: &[(u64, String)],
) -> Result<Vec<(u64, Duration, Value)>, BenchError> {
    let stdin = child.stdin.as_mut().expect("stdin is piped");
    let text: String = lines.iter().map(|(_, line)| line.as_str()).collect();
    let started = Instant::now();
    stdin
        .write_all(text.as_bytes())
        .and_then(|()| stdin.flush())
        .map_err(|error| BenchError::new(format!("writing to the provider failed: {error}")))?;
    let stdout = child.stdout.as_mut().expect("stdout is piped");
    let mut reader = BufReader::new(stdout);
    let mut replies = Vec::new();
    while replies.len() < lines.len() {
        let mut line = String::new();
        if reader
            .read_line(&mut line)
            .map_err(|error| BenchError::new(error.to_string()))?
            == 0
        {
            return Err(BenchError::new("the provider closed its stdout"));
        }
        let reply: Value =
            serde_json::from_str(&line).map_err(|error| BenchError::new(error.to_string()))?;
        if let Some(id) = reply.get("id").and_then(Value::as_u64) {
            replies.push((id, started.elapsed(), reply));
        }
    }
    Ok(replies)
}

fn configure_and_create(settings: &Value) -> Vec<(u64, String)> {
    vec![
        (1, request_line(1, "configure", &json!({"args": settings}))),
        (
            2,
            request_line(
                2,
                "create",
                &json!({"urn": "urn:pulumi:dev::bench::alicloud-kms:index:ApplicationAccessPoint::hazard",
                        "properties": {"applicationAccessPointName": "hazard", "policies": ["p"]}, "timeout": 30}),
            ),
        ),
        (3, request_line(3, "getPluginInfo", &json!({}))),
    ]
}

fn mkfifo(path: &Path) -> Result<(), BenchError> {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .map_err(|error| BenchError::new(format!("mkfifo: {error}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(BenchError::new("mkfifo failed"))
    }
}

/// Runs every case; `scratch` holds one home directory per case.
pub fn measure(binary: &Path, scratch: &Path) -> Result<CredentialHazards, BenchError> {
    let base = json!({"endpoint": "127.0.0.1:1", "protocol": "HTTP", "region": "cn-hangzhou"});
    let mut cases = Vec::new();
    let names: [&'static str; 4] = [
        "a FIFO at sharedCredentialsFile",
        "a FIFO at ~/.aliyun/config.json",
        "/dev/zero as ALIBABA_CLOUD_CREDENTIALS_FILE",
        "a FIFO as the OIDC token file",
    ];
    for (index, name) in names.into_iter().enumerate() {
        let home = scratch.join(format!("hazard-{index}"));
        std::fs::create_dir_all(home.join(".aliyun"))
            .map_err(|error| BenchError::new(error.to_string()))?;
        let mut settings = base.clone();
        let mut environment: Vec<(&str, String)> = vec![
            ("ALICLOUD_KMS_PROVIDER_TEST_HOOKS", "1".to_owned()),
            (
                "ALICLOUD_KMS_PROVIDER_TEST_METADATA_ENDPOINT",
                "http://127.0.0.1:1".to_owned(),
            ),
        ];
        let (path, what) = match index {
            0 => {
                let path = home.join("shared");
                mkfifo(&path)?;
                settings["sharedCredentialsFile"] = json!(path.display().to_string());
                (path, "is a FIFO")
            }
            1 => {
                let path = home.join(".aliyun/config.json");
                mkfifo(&path)?;
                (path, "is a FIFO")
            }
            2 => {
                environment.push(("ALIBABA_CLOUD_CREDENTIALS_FILE", "/dev/zero".to_owned()));
                ("/dev/zero".into(), "is a character device")
            }
            _ => {
                let path = home.join("token");
                mkfifo(&path)?;
                settings["assumeRoleWithOidc"] = json!({"roleArn": "acs:ram::1:role/x", "oidcProviderArn": "acs:ram::1:oidc-provider/x", "oidcTokenFile": path.display().to_string()});
                settings["stsEndpoint"] = json!("127.0.0.1:1");
                (path, "is a FIFO")
            }
        };
        let mut child = spawn(binary, &home, &environment)?;
        let replies = timed_replies(&mut child, &configure_and_create(&settings))?;
        let find = |id: u64| replies.iter().find(|(reply_id, _, _)| *reply_id == id);
        let (_, operation, create) = find(2).ok_or_else(|| BenchError::new("no create reply"))?;
        let (_, plugin_info, _) =
            find(3).ok_or_else(|| BenchError::new("no getPluginInfo reply"))?;
        let message = create["error"]["message"].as_str().unwrap_or_default();
        let clear_error = message.contains(&format!("{} {what}", path.display()));
        let (peak_rss, _) = memory_of(child.id())?;
        let signalled = Instant::now();
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .map_err(|error| BenchError::new(format!("kill: {error}")))?;
        child
            .wait()
            .map_err(|error| BenchError::new(error.to_string()))?;
        cases.push(HazardCase {
            name,
            plugin_info: *plugin_info,
            operation: *operation,
            clear_error,
            peak_rss,
            sigterm_exit: signalled.elapsed(),
        });
    }

    // Off ECS: no test hooks, so the real metadata address; nothing else configured.
    let home = scratch.join("off-ecs");
    std::fs::create_dir_all(&home).map_err(|error| BenchError::new(error.to_string()))?;
    let mut child = spawn(binary, &home, &[])?;
    let mut lines = configure_and_create(&base);
    lines.truncate(2);
    let first = timed_replies(&mut child, &lines)?;
    let second_line = vec![(
        4,
        request_line(
            4,
            "create",
            &json!({"urn": "urn:pulumi:dev::bench::alicloud-kms:index:ApplicationAccessPoint::again",
                    "properties": {"applicationAccessPointName": "again", "policies": ["p"]}}),
        ),
    )];
    let second = timed_replies(&mut child, &second_line)?;
    drop(child.stdin.take());
    let _ = child.wait();
    let said = |reply: &Value| {
        reply["error"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("no alibaba cloud credentials found"))
    };
    let first_create = first
        .iter()
        .find(|(id, _, _)| *id == 2)
        .ok_or_else(|| BenchError::new("no create reply"))?;

    // A metadata address that takes connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|error| BenchError::new(error.to_string()))?;
    let silent_url = format!(
        "http://{}",
        silent
            .local_addr()
            .map_err(|error| BenchError::new(error.to_string()))?
    );
    let holder = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().take(4).flatten() {
            held.push(stream);
        }
    });
    let mut child = spawn(
        binary,
        &home,
        &[
            ("ALICLOUD_KMS_PROVIDER_TEST_HOOKS", "1".to_owned()),
            ("ALICLOUD_KMS_PROVIDER_TEST_METADATA_ENDPOINT", silent_url),
        ],
    )?;
    let silent_replies = timed_replies(&mut child, &lines)?;
    drop(child.stdin.take());
    let _ = child.wait();
    drop(holder);
    let silent_create = silent_replies
        .iter()
        .find(|(id, _, _)| *id == 2)
        .ok_or_else(|| BenchError::new("no create reply"))?;
    Ok(CredentialHazards {
        cases,
        off_ecs: (first_create.1, second[0].1),
        off_ecs_clear: said(&first_create.2) && said(&second[0].2) && said(&silent_create.2),
        silent_metadata: silent_create.1,
    })
}
