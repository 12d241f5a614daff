//! The `kms-emulator` binary: its first stdout line, its credentials option, its state file
//! surviving a restart, and its refusal of bad arguments.

use crate::common;

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use common::Client;

struct Running {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kms-emulator"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn kms-emulator");
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let url = first_line
        .strip_suffix('\n')
        .and_then(|line| line.strip_prefix("listening on http://"))
        .unwrap_or_else(|| {
            let _ = child.kill();
            panic!("unexpected first line {first_line:?}")
        });
    let addr: SocketAddr = url.parse().expect("HOST:PORT");
    Running { child, addr }
}

#[test]
fn prints_the_listening_line_and_serves_the_demo_credential() {
    let running = spawn(&[]);
    assert!(running.addr.ip().is_loopback());
    assert_ne!(running.addr.port(), 0);
    Client::demo(running.addr)
        .call("ListPolicies", &[])
        .assert_ok();
}

#[test]
fn credentials_replace_the_demo_pair() {
    let running = spawn(&[
        "--credential",
        "my-id:my-secret",
        "--credential",
        "STS.tmp:tmp-secret:tok",
        "--region",
        "eu-central-1",
    ]);
    Client::demo(running.addr)
        .call("ListPolicies", &[])
        .assert_error(404, "InvalidAccessKeyId.NotFound");
    let client = Client {
        addr: running.addr,
        access_key_id: "my-id".into(),
        access_key_secret: "my-secret".into(),
        security_token: None,
    };
    let created = client
        .call(
            "CreateApplicationAccessPoint",
            &[("Name", "aap"), ("Policies", "[\"p\"]")],
        )
        .assert_ok()
        .clone();
    assert_eq!(
        created["Arn"],
        "acs:kms:eu-central-1:1234567890123456:applicationaccesspoint/aap"
    );
    let sts = Client {
        addr: running.addr,
        access_key_id: "STS.tmp".into(),
        access_key_secret: "tmp-secret".into(),
        security_token: Some("tok".into()),
    };
    sts.call("ListPolicies", &[]).assert_ok();
}

#[test]
fn the_state_file_survives_a_restart() {
    let directory =
        std::env::temp_dir().join(format!("kms-emulator-cli-state-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let state = directory.join("state.json");
    let state_arg = state.to_str().unwrap();
    let key_id = {
        let running = spawn(&["--state", state_arg]);
        let client = Client::demo(running.addr);
        client
            .call(
                "CreateApplicationAccessPoint",
                &[("Name", "kept"), ("Policies", "[\"p\"]")],
            )
            .assert_ok();
        let created = client
            .call(
                "CreateClientKey",
                &[("AapName", "kept"), ("Password", "YouPassword123!")],
            )
            .assert_ok()
            .clone();
        created["ClientKeyId"].as_str().unwrap().to_owned()
    };
    let running = spawn(&["--state", state_arg]);
    let client = Client::demo(running.addr);
    client
        .call("DescribeApplicationAccessPoint", &[("Name", "kept")])
        .assert_ok();
    let key = client
        .get("GetClientKey", &[("ClientKeyId", &key_id)])
        .assert_ok()
        .clone();
    assert_eq!(key["AapName"], "kept");
    client
        .call(
            "CreateApplicationAccessPoint",
            &[("Name", "kept"), ("Policies", "[\"p\"]")],
        )
        .assert_error(409, "Rejected.ResourceExist");
    drop(running);
    let text = std::fs::read_to_string(&state).unwrap();
    assert!(
        !text.contains("YouPassword123!"),
        "the password is never stored"
    );
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn a_corrupt_state_file_stops_the_start_with_a_clear_error() {
    let directory =
        std::env::temp_dir().join(format!("kms-emulator-cli-corrupt-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let state = directory.join("state.json");
    std::fs::write(&state, "{broken").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_kms-emulator"))
        .args(["--state", state.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "nothing on stdout");
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot load the state file"));
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn bad_arguments_exit_with_usage_and_status_2() {
    for args in [
        &["--bogus"][..],
        &["--credential", "no-secret"],
        &["--fault", "Nope:throttle_ratio=1"],
        &["--listen"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_kms-emulator"))
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(stderr.contains("kms-emulator:"), "{args:?}: {stderr}");
    }
    let help = Command::new(env!("CARGO_BIN_EXE_kms-emulator"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--credential"));
}

#[test]
fn a_busy_listen_address_is_reported() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_kms-emulator"))
        .args(["--listen", &address])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot listen on"));
}

#[test]
fn sts_and_metadata_flags_configure_the_stand_ins() {
    let running = spawn(&[
        "--role",
        "acs:ram::1234567890123456:role/cli-role=demo-access-key-id",
        "--credential-lifetime",
        "600",
        "--ecs-role-name",
        "CliEcsRole",
        "--imds-require-token",
        "--fault",
        "AssumeRole:throttle_ratio=1,times=1",
    ]);
    let client = Client::demo(running.addr);
    let assume = || {
        client.get(
            "AssumeRole",
            &[
                ("Version", "2015-04-01"),
                ("RoleArn", "acs:ram::1234567890123456:role/cli-role"),
                ("RoleSessionName", "cli"),
            ],
        )
    };
    assume().assert_error(400, "Throttling.User");
    let answer = assume().assert_ok().clone();
    let expiration = kms_emulator::validation::parse_api_time(
        answer["Credentials"]["Expiration"].as_str().unwrap(),
    )
    .unwrap();
    assert!((expiration - chrono::Utc::now()).num_seconds() <= 600);

    let request = format!(
        "GET /latest/meta-data/ram/security-credentials/ HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        running.addr
    );
    assert_eq!(
        common::send_raw(running.addr, request.as_bytes()).status(),
        401,
        "IMDSv2 is enforced"
    );
}
