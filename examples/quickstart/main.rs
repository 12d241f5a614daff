//! The quickstart: runs the seed example's whole chain (a network rule, a permission policy bound
//! to it, an application access point with that policy, and a client key with its private key
//! file) through the real `alicloud-kms-provider` binary over stdio, against a local KMS emulator
//! it starts itself, then a second pass that must find no changes. It prints what it did
//! (resource, operation, id) and where the key file is, and exits non-zero on any failure.
//!
//! `scripts/quickstart.sh` builds everything (release) and runs it. Options:
//!
//! - `--provider PATH`, `--emulator PATH`: the binaries (default: next to this example's directory,
//!   that is `target/<profile>/`);
//! - `--workdir DIR`: the provider's working directory (default: a new directory under the system
//!   temporary directory, kept so the key file can be looked at);
//! - `--aap-name NAME`: the access point's name (default the seed's `terraform-example`; the
//!   policy is `NAME-policy`, the network rule is named by the provider);
//! - `--kms-instance ID`: the KMS instance the policy applies to (default a placeholder, which
//!   the emulator accepts; the cloud needs a real `kst-...`);
//! - `--destroy`: delete the whole chain at the end (dependents first);
//! - `--cloud`: target the real Alibaba Cloud KMS instead of starting the emulator. Credentials and
//!   region come from the environment (`ALIBABA_CLOUD_ACCESS_KEY_ID`,
//!   `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, `ALIBABA_CLOUD_REGION`, ...) or `~/.aliyun/config.json`,
//!   exactly as the provider resolves them. This creates real resources in your account (use
//!   `--destroy` to remove them again, `--kms-instance` to name your KMS instance, and
//!   `--aap-name` if `terraform-example` is taken).

#[path = "driver.rs"]
mod driver;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};

use driver::{Options, Target};

fn main() -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match run(&mut out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = out.flush();
            eprintln!("quickstart failed: {error}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "options: --provider PATH, --emulator PATH, --workdir DIR, --aap-name NAME, \
                     --kms-instance ID, --destroy, --cloud";

struct Arguments {
    provider: PathBuf,
    emulator: PathBuf,
    workdir: Option<PathBuf>,
    aap_name: String,
    kms_instance_id: String,
    destroy: bool,
    cloud: bool,
}

fn parse_arguments() -> Result<Arguments, String> {
    let binaries = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("target/release"));
    let mut arguments = Arguments {
        provider: binaries.join("alicloud-kms-provider"),
        emulator: binaries.join("kms-emulator"),
        workdir: None,
        aap_name: driver::SEED_AAP_NAME.to_owned(),
        kms_instance_id: driver::SEED_KMS_INSTANCE.to_owned(),
        destroy: false,
        cloud: false,
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let mut value = |name: &str| given.next().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "--provider" => arguments.provider = value("--provider")?.into(),
            "--emulator" => arguments.emulator = value("--emulator")?.into(),
            "--workdir" => arguments.workdir = Some(value("--workdir")?.into()),
            "--aap-name" => arguments.aap_name = value("--aap-name")?,
            "--kms-instance" => arguments.kms_instance_id = value("--kms-instance")?,
            "--destroy" => arguments.destroy = true,
            "--cloud" => arguments.cloud = true,
            other => return Err(format!("unknown argument {other:?}; {USAGE}")),
        }
    }
    Ok(arguments)
}

/// The emulator child process; killed when dropped, so it stops whatever happens.
struct EmulatorProcess {
    child: Child,
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `kms-emulator` on a free loopback port and reads its `listening on http://HOST:PORT`.
fn start_emulator(binary: &Path, log: &Path) -> Result<(EmulatorProcess, String), String> {
    let log_file = std::fs::File::create(log)
        .map_err(|error| format!("cannot create {}: {error}", log.display()))?;
    let mut child = Command::new(binary)
        .args(["--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file)
        .spawn()
        .map_err(|error| format!("cannot start the emulator {}: {error}", binary.display()))?;
    let stdout = child.stdout.take().ok_or("the emulator has no stdout")?;
    let process = EmulatorProcess { child };
    let mut first_line = String::new();
    BufReader::new(stdout)
        .read_line(&mut first_line)
        .map_err(|error| format!("cannot read the emulator's first line: {error}"))?;
    let endpoint = first_line
        .trim()
        .strip_prefix("listening on http://")
        .ok_or_else(|| {
            format!(
                "the emulator did not say where it listens (first line {:?}); see {}",
                first_line.trim(),
                log.display()
            )
        })?
        .to_owned();
    Ok((process, endpoint))
}

fn run(out: &mut dyn Write) -> Result<(), String> {
    let arguments = parse_arguments()?;
    let workdir = match &arguments.workdir {
        Some(directory) => {
            std::fs::create_dir_all(directory)
                .map_err(|error| format!("cannot create {}: {error}", directory.display()))?;
            directory
                .canonicalize()
                .map_err(|error| format!("{}: {error}", directory.display()))?
        }
        None => tempfile::Builder::new()
            .prefix("alicloud-kms-quickstart-")
            .tempdir()
            .map_err(|error| format!("cannot create a working directory: {error}"))?
            .keep(),
    };
    let _ = writeln!(out, "working directory: {}", workdir.display());

    let (emulator, target) = if arguments.cloud {
        let _ = writeln!(
            out,
            "target: Alibaba Cloud KMS (credentials and region from the environment or ~/.aliyun/config.json)"
        );
        (None, Target::Cloud)
    } else {
        let log = workdir.join("kms-emulator.log");
        let (process, endpoint) = start_emulator(&arguments.emulator, &log)?;
        let _ = writeln!(
            out,
            "target: local KMS emulator at {endpoint} (log: {})",
            log.display()
        );
        (Some(process), Target::Emulator { endpoint })
    };

    let options = Options {
        provider_binary: arguments.provider,
        working_directory: workdir,
        target,
        aap_name: arguments.aap_name,
        kms_instance_id: arguments.kms_instance_id,
        destroy: arguments.destroy,
    };
    let report = driver::run(&options, out)?;
    drop(emulator);

    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "done: {} steps; network rule {}, client key {}",
        report.steps.len(),
        report.network_rule_name,
        report.client_key_id
    );
    if options.destroy {
        let _ = writeln!(
            out,
            "the whole chain was deleted again, and so was the key file"
        );
    } else {
        let _ = writeln!(
            out,
            "private key file: {} (mode 0600; {{\"KeyId\", \"PrivateKeyData\"}} as the KMS SDKs read it)",
            report.key_file.display()
        );
        if matches!(options.target, Target::Emulator { .. }) {
            let _ = writeln!(
                out,
                "the emulator has stopped, so the resources it held are gone; the key file stays for you to look at"
            );
        }
    }
    Ok(())
}
