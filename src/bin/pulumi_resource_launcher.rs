//! `pulumi-resource-alicloud-kms` as an executable of its own, for the packages that cannot give
//! the provider binary a second name (a wheel holds no symlinks): it execs the
//! `alicloud-kms-provider` beside it under the plugin's name, which makes that binary the plugin
//! (`plugin::run`). It uses the standard library only, so it stays small and starts at once.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

use alicloud_kms_provider::plugin::PLUGIN_NAME;

/// The provider binary, installed in the same directory as this launcher.
const PROVIDER: &str = "alicloud-kms-provider";

fn main() -> ExitCode {
    let provider = match provider_beside_this_launcher() {
        Ok(provider) => provider,
        Err(message) => {
            eprintln!("{PLUGIN_NAME}: {message}");
            return ExitCode::FAILURE;
        }
    };
    // Only returns when the exec failed.
    let error = Command::new(&provider)
        .arg0(PLUGIN_NAME)
        .args(std::env::args_os().skip(1))
        .exec();
    eprintln!("{PLUGIN_NAME}: cannot run {}: {error}", provider.display());
    ExitCode::FAILURE
}

/// `alicloud-kms-provider` in this launcher's directory (symlinks to the launcher resolved).
fn provider_beside_this_launcher() -> Result<PathBuf, String> {
    let launcher = std::env::current_exe()
        .map_err(|error| format!("cannot tell where this launcher is installed: {error}"))?;
    let directory = launcher
        .parent()
        .ok_or_else(|| format!("{} has no directory", launcher.display()))?;
    let provider = directory.join(PROVIDER);
    if provider.is_file() {
        Ok(provider)
    } else {
        Err(format!(
            "{PROVIDER} is not installed beside this launcher (in {}); reinstall the package, or run {PROVIDER} \
             itself under the name {PLUGIN_NAME} (a symlink or a copy)",
            directory.display()
        ))
    }
}
