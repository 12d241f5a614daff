//! Issue 17, through the real binary: credentials in the environments users really have.
//!
//! - A FIFO or `/dev/zero` (or a symbolic link to either) at any credential path the provider
//!   reads (`sharedCredentialsFile`, `~/.aliyun/config.json`, `ALIBABA_CLOUD_CREDENTIALS_FILE`,
//!   the OIDC token file), or a file swapped for a FIFO while operations read it: the operation
//!   fails with an error naming the path and what is there, `getPluginInfo` sent meanwhile is
//!   answered, and SIGTERM still ends the process. (How fast, and in how much memory, is measured
//!   by `bench/credential_hazards.py`, not asserted here.)
//! - A proxy named in the environment sees the KMS and STS requests and never an instance
//!   metadata request.

use crate::kms_support::{BackgroundServer, Reply};
use crate::resources_support as support;

use std::path::Path;
use std::sync::Arc;

use kms_emulator::{Action, Config, Emulator, MetadataConfig, MetadataEndpoint, Role, StsConfig};
use serde_json::{json, Value};
use support::{send_signal, urn, ProviderSession, AAP_TYPE};

fn fifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(status.success());
}

fn create_access_point(name: &str) -> Value {
    json!({"urn": urn(AAP_TYPE, name), "properties": {"applicationAccessPointName": name, "policies": ["p"]}, "timeout": 30})
}

/// Where the hostile file sits, and how the provider is told about it.
#[derive(Clone, Copy, Debug)]
enum CredentialPath {
    SharedCredentialsFile,
    CliFile,
    CredentialsFileVariable,
    OidcTokenFile,
}

const PATHS: [CredentialPath; 4] = [
    CredentialPath::SharedCredentialsFile,
    CredentialPath::CliFile,
    CredentialPath::CredentialsFileVariable,
    CredentialPath::OidcTokenFile,
];

/// The hostile file's path under `home`, the provider settings and environment that make the
/// provider read it.
fn arrange(
    place: CredentialPath,
    home: &Path,
) -> (std::path::PathBuf, Value, Vec<(String, String)>) {
    let mut settings =
        json!({"endpoint": "127.0.0.1:1", "protocol": "HTTP", "region": "cn-hangzhou"});
    let mut environment = Vec::new();
    let path = match place {
        CredentialPath::SharedCredentialsFile => {
            let path = home.join("team-credentials");
            settings["sharedCredentialsFile"] = json!(path.display().to_string());
            path
        }
        CredentialPath::CliFile => home.join(".aliyun/config.json"),
        CredentialPath::CredentialsFileVariable => {
            let path = home.join("sdk-credentials");
            environment.push((
                "ALIBABA_CLOUD_CREDENTIALS_FILE".to_owned(),
                path.display().to_string(),
            ));
            path
        }
        CredentialPath::OidcTokenFile => {
            let path = home.join("oidc-token");
            settings["assumeRoleWithOidc"] = json!({
                "roleArn": "acs:ram::1:role/ci",
                "oidcProviderArn": "acs:ram::1:oidc-provider/ci",
                "oidcTokenFile": path.display().to_string(),
            });
            settings["stsEndpoint"] = json!("127.0.0.1:1");
            path
        }
    };
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    (path, settings, environment)
}

fn start(home: &Path, environment: &[(String, String)]) -> ProviderSession {
    let environment: Vec<(&str, &str)> = environment
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .chain([(
            "ALICLOUD_KMS_PROVIDER_TEST_METADATA_ENDPOINT",
            "http://127.0.0.1:1",
        )])
        .collect();
    ProviderSession::start(home, &environment)
}

/// Issue 17 item 3 and its acceptance: for each credential path and each hostile file, the
/// operation fails naming the path and what is there, `getPluginInfo` sent after it is answered,
/// and SIGTERM ends the process.
#[test]
fn a_fifo_or_a_device_at_any_credential_path_fails_the_operation_and_blocks_nothing() {
    for place in PATHS {
        for kind in ["fifo", "dev-zero", "link-to-fifo"] {
            let home = tempfile::tempdir().unwrap();
            let (path, settings, environment) = arrange(place, home.path());
            match kind {
                "fifo" => fifo(&path),
                "dev-zero" => std::os::unix::fs::symlink("/dev/zero", &path).unwrap(),
                _ => {
                    let target = home.path().join("the-fifo");
                    fifo(&target);
                    std::os::unix::fs::symlink(&target, &path).unwrap();
                }
            }
            let what = if kind == "dev-zero" {
                "is a character device, not a regular file"
            } else {
                "is a FIFO, not a regular file"
            };
            let mut provider = start(home.path(), &environment);
            provider.result("configure", json!({"args": settings}));
            let create = provider.send("create", create_access_point("hostile"));
            let info = provider.send("getPluginInfo", json!({}));
            let answered = provider.reply(info);
            assert!(
                answered["result"]["version"].is_string(),
                "{place:?} {kind}: {answered}"
            );
            let reply = provider.reply(create);
            let message = reply["error"]["message"].as_str().unwrap_or_default();
            assert!(
                message.contains(&format!("{} {what}", path.display())),
                "{place:?} {kind}: {reply}"
            );
            send_signal(provider.pid(), "TERM");
            let status = provider.finish(&[]);
            assert!(status.success(), "{place:?} {kind}: {status:?}");
        }
    }
}

/// A credentials file replaced by a FIFO and back, again and again, while operations read it:
/// every operation is answered, either with the file's credentials (the emulator accepts the
/// key) or with the clear FIFO error, and the process stays responsive.
#[test]
fn a_file_swapped_for_a_fifo_while_it_is_read_never_hangs_an_operation() {
    let emulator = Emulator::start_blocking(Config::default()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("credentials");
    let regular = home.path().join("credentials.regular");
    let pipe = home.path().join("credentials.fifo");
    let contents = "[default]\ntype = access_key\naccess_key_id = demo-access-key-id\naccess_key_secret = demo-access-key-secret\n";
    std::fs::write(&path, contents).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let swapper = {
        let stop = stop.clone();
        let (path, regular, pipe) = (path.clone(), regular.clone(), pipe.clone());
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = std::fs::remove_file(&pipe);
                fifo(&pipe);
                std::fs::rename(&pipe, &path).unwrap();
                std::fs::write(&regular, contents).unwrap();
                std::fs::rename(&regular, &path).unwrap();
            }
        })
    };
    let mut provider = start(home.path(), &[]);
    let (mut worked, mut refused) = (0, 0);
    for round in 0..20 {
        // A fresh configuration builds a fresh client, which reads the file again.
        provider.result(
            "configure",
            json!({"args": {"endpoint": emulator.addr().to_string(), "protocol": "HTTP", "region": "cn-hangzhou", "sharedCredentialsFile": path.display().to_string()}}),
        );
        let create = provider.send("create", create_access_point(&format!("swap-{round}")));
        let info = provider.send("getPluginInfo", json!({}));
        assert!(provider.reply(info)["result"].is_object());
        let reply = provider.reply(create);
        if reply.get("result").is_some() {
            worked += 1;
        } else {
            let message = reply["error"]["message"].as_str().unwrap_or_default();
            assert!(
                message.contains("is a FIFO, not a regular file"),
                "round {round}: {reply}"
            );
            refused += 1;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    swapper.join().unwrap();
    assert_eq!(worked + refused, 20);
    assert_eq!(emulator.access_points().len(), worked);
    send_signal(provider.pid(), "TERM");
    assert!(provider.finish(&[]).success());
}

/// Issue 17 item 4: with `HTTP_PROXY` and `HTTPS_PROXY` set, KMS and STS requests go through the
/// proxy (as before), and the instance metadata requests never do: the proxy sees none, and the
/// metadata stand-in is still asked.
#[test]
fn no_instance_metadata_request_reaches_a_proxy_named_in_the_environment() {
    const INSTANCE_ROLE: &str = "instance-role";
    let emulator = Emulator::start_blocking(Config {
        sts: StsConfig {
            roles: vec![Role::new("acs:ram::1234567890123456:role/deployer")],
            ..StsConfig::default()
        },
        metadata: MetadataConfig {
            role_name: Some(INSTANCE_ROLE.to_owned()),
            require_token: true,
        },
        ..Config::default()
    })
    .unwrap();
    // A forward proxy that records each request line and passes the request on.
    let proxy = BackgroundServer::answering_every_request(Reply::Forward);
    let proxy_url = format!("http://{}", proxy.endpoint());
    let home = tempfile::tempdir().unwrap();
    let metadata = emulator.endpoint();
    let mut provider = ProviderSession::start(
        home.path(),
        &[
            (
                "ALICLOUD_KMS_PROVIDER_TEST_METADATA_ENDPOINT",
                metadata.as_str(),
            ),
            ("HTTP_PROXY", proxy_url.as_str()),
            ("http_proxy", proxy_url.as_str()),
            ("HTTPS_PROXY", proxy_url.as_str()),
            ("ALL_PROXY", proxy_url.as_str()),
        ],
    );
    // Nothing named: the instance role is discovered, then assumed into another role.
    provider.result(
        "configure",
        json!({"args": {
            "endpoint": emulator.addr().to_string(), "stsEndpoint": emulator.addr().to_string(),
            "protocol": "HTTP", "region": "cn-hangzhou",
            "assumeRole": {"roleArn": "acs:ram::1234567890123456:role/deployer"},
        }}),
    );
    let reply = provider.call("create", create_access_point("through-a-proxy"));
    assert_eq!(reply["result"]["id"], "through-a-proxy", "{reply}");
    assert!(emulator.metadata_call_count(MetadataEndpoint::RoleName) >= 1);
    assert!(emulator.metadata_call_count(MetadataEndpoint::RoleCredentials) >= 1);
    assert_eq!(emulator.call_count(Action::AssumeRole), 1);
    // The method and the absolute URL of each request line the proxy saw.
    let seen: Vec<String> = proxy
        .requests()
        .iter()
        .map(|request| format!("{} {}", request.method, request.target))
        .collect();
    let emulator_url = format!("http://{}/", emulator.addr());
    assert!(
        seen.iter()
            .any(|line| line.contains(&emulator_url) && line.contains("Action=AssumeRole")),
        "STS went through the proxy: {seen:?}"
    );
    assert!(
        seen.iter()
            .filter(|line| line.starts_with("POST ") || line.starts_with("GET "))
            .count()
            >= 2,
        "KMS went through the proxy: {seen:?}"
    );
    assert!(
        !seen.iter().any(|line| line.contains("/latest/")),
        "a metadata request reached the proxy: {seen:?}"
    );
    assert!(provider.finish(&[]).success());
}
