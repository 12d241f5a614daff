//! The `kms-emulator` command line.

use std::path::PathBuf;

use crate::config::{Config, Credential};
use crate::faults::FaultSpec;

/// Usage text for `--help` and argument errors.
pub const USAGE: &str = "\
usage: kms-emulator [--listen ADDR] [--credential ID:SECRET[:TOKEN]]... [--state FILE]
                    [--region REGION] [--account-id ID] [--fault ACTION:KEY=VALUE[,KEY=VALUE]...]...
                    [--no-control] [--nonce-capacity N] [--header-read-timeout-ms MS]
                    [--role ARN[=TRUSTED,...]]... [--oidc-provider ARN=ISSUER]...
                    [--oidc-token ARN=TOKEN]... [--credential-lifetime SECONDS]
                    [--ecs-role-name NAME] [--imds-require-token]

  --listen ADDR         address to listen on (default 127.0.0.1:0, a free port)
  --credential ...      an accepted access key; repeatable; ID:SECRET:TOKEN is an STS credential whose
                        requests must carry SecurityToken=TOKEN
                        (default demo-access-key-id:demo-access-key-secret)
  --state FILE          keep resources in this JSON file across restarts
  --region REGION       region in ARNs and HostId (default cn-hangzhou)
  --account-id ID       account id in ARNs (default 1234567890123456)
  --fault SPEC          a fault active from the start; ACTION is an action name or '*', keys are
                        latency_ms, throttle_ratio, server_error_ratio, server_error_status,
                        drop_after_commit_ratio, hang_ratio, hang_ms, deliver_late_ratio,
                        deliver_late_ms, times
                        (e.g. --fault 'CreateClientKey:drop_after_commit_ratio=1,times=1')
  --no-control          do not serve the /__emulator/ control endpoint
  --nonce-capacity N    remember at most N signature nonces (default 500000)
  --header-read-timeout-ms MS
                        close a connection whose request head does not arrive within MS of its
                        start or of its previous response (idle and half-open connections), or
                        whose body does not arrive within MS of its head (default 75000)

STS stand-in (Version 2015-04-01 on the same address) and instance metadata stand-in:
  --role ARN[=T,...]    a role AssumeRole* can assume (acs:ram::<account>:role/<name>); trusting
                        only the AccessKey IDs, role ARNs and OIDC provider ARNs listed, or
                        everyone without '='
  --oidc-provider ARN=ISSUER
                        an OIDC provider (acs:ram::<account>:oidc-provider/<name>) whose tokens
                        must have iss=ISSUER and aud=sts.aliyuncs.com
  --oidc-token ARN=TOKEN
                        accept only these exact tokens for that provider (repeatable)
  --credential-lifetime SECONDS
                        every issued credential expires SECONDS after issue (tests of refresh)
  --ecs-role-name NAME  the instance RAM role served at /latest/meta-data/ram/security-credentials/
  --imds-require-token  refuse metadata requests without an IMDSv2 token (X-aliyun-ecs-metadata-token)

The first line on stdout is `listening on http://HOST:PORT`; logs go to stderr (RUST_LOG filters).
";

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    /// Run an emulator with this configuration.
    Run(Box<Config>),
    /// Print the usage text.
    Help,
}

/// Parses the arguments (without the program name).
pub fn parse_args<I: IntoIterator<Item = String>>(args: I) -> Result<Command, String> {
    let mut config = Config::default();
    let mut credentials = Vec::new();
    let mut oidc_tokens: Vec<(String, String)> = Vec::new();
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let (name, inline_value) = match flag.split_once('=') {
            Some((name, value)) if name.starts_with("--") => {
                (name.to_owned(), Some(value.to_owned()))
            }
            _ => (flag.clone(), None),
        };
        let mut value = || -> Result<String, String> {
            inline_value
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--listen" => config.listen = value()?,
            "--credential" => credentials.push(Credential::parse(&value()?)?),
            "--state" => config.state_file = Some(PathBuf::from(value()?)),
            "--region" => config.region = non_empty(&name, value()?)?,
            "--account-id" => config.account_id = non_empty(&name, value()?)?,
            "--fault" => {
                let text = value()?;
                let (target, assignments) = text.split_once(':').ok_or_else(|| {
                    format!("--fault {text:?} must be ACTION:KEY=VALUE[,KEY=VALUE]...")
                })?;
                if target != crate::faults::ALL_ACTIONS
                    && crate::actions::Action::from_name(target).is_none()
                {
                    return Err(format!(
                        "--fault {text:?}: unknown action {target:?}; use an action name or '*'"
                    ));
                }
                let spec = FaultSpec::parse_assignments(assignments)
                    .map_err(|error| format!("--fault {text:?}: {error}"))?;
                config.faults.insert(target.to_owned(), spec);
            }
            "--no-control" => config.control_endpoint = false,
            "--header-read-timeout-ms" => {
                let milliseconds: u64 = value()?
                    .parse()
                    .ok()
                    .filter(|milliseconds| *milliseconds > 0)
                    .ok_or_else(|| {
                        "--header-read-timeout-ms needs a positive whole number".to_owned()
                    })?;
                config.header_read_timeout = std::time::Duration::from_millis(milliseconds);
            }
            "--nonce-capacity" => {
                config.nonce_capacity = value()?
                    .parse()
                    .map_err(|_| "--nonce-capacity needs a whole number".to_owned())?;
            }
            "--role" => {
                let role = crate::sts::config::parse_role_flag(&value()?)
                    .map_err(|error| format!("--role: {error}"))?;
                config.sts.upsert_role(role);
            }
            "--oidc-provider" => {
                let provider = crate::sts::config::parse_oidc_provider_flag(&value()?)
                    .map_err(|error| format!("--oidc-provider: {error}"))?;
                config.sts.upsert_oidc_provider(provider);
            }
            "--oidc-token" => {
                let text = value()?;
                let (arn, token) = text
                    .split_once('=')
                    .filter(|(arn, token)| !arn.is_empty() && !token.is_empty())
                    .ok_or_else(|| "--oidc-token must be PROVIDER_ARN=TOKEN".to_owned())?;
                oidc_tokens.push((arn.to_owned(), token.to_owned()));
            }
            "--credential-lifetime" => {
                let seconds: u64 = value()?
                    .parse()
                    .ok()
                    .filter(|seconds| *seconds > 0)
                    .ok_or_else(|| {
                        "--credential-lifetime needs a whole number of seconds, at least 1"
                            .to_owned()
                    })?;
                config.sts.credential_lifetime_seconds = Some(seconds);
            }
            "--ecs-role-name" => config.metadata.role_name = Some(non_empty(&name, value()?)?),
            "--imds-require-token" => config.metadata.require_token = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if !credentials.is_empty() {
        config.credentials = credentials;
    }
    for (arn, token) in oidc_tokens {
        let provider = config
            .sts
            .oidc_providers
            .iter_mut()
            .find(|provider| provider.arn.eq_ignore_ascii_case(&arn))
            .ok_or_else(|| {
                format!("--oidc-token names {arn:?}, which no --oidc-provider declares")
            })?;
        provider.tokens.push(token);
    }
    Ok(Command::Run(Box::new(config)))
}

fn non_empty(flag: &str, value: String) -> Result<String, String> {
    if value.is_empty() {
        Err(format!("{flag} cannot be empty"))
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Config, String> {
        match parse_args(args.iter().map(|arg| arg.to_string()))? {
            Command::Run(config) => Ok(*config),
            Command::Help => Err("help".into()),
        }
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let config = run(&[]).unwrap();
        assert_eq!(config.listen, "127.0.0.1:0");
        assert_eq!(config.credentials, vec![Credential::demo()]);
        assert!(config.state_file.is_none());
    }

    #[test]
    fn repeated_credentials_replace_the_demo_one() {
        let config = run(&[
            "--credential",
            "a:b",
            "--credential=STS.c:d:e",
            "--listen",
            "127.0.0.1:9",
        ])
        .unwrap();
        assert_eq!(
            config.credentials,
            vec![
                Credential::new("a", "b"),
                Credential::sts("STS.c", "d", "e")
            ]
        );
        assert_eq!(config.listen, "127.0.0.1:9");
    }

    #[test]
    fn sts_and_metadata_flags() {
        let config = run(&[
            "--role",
            "acs:ram::1:role/deployer=demo-access-key-id",
            "--oidc-provider",
            "acs:ram::1:oidc-provider/ack=https://oidc.example",
            "--oidc-token",
            "acs:ram::1:oidc-provider/ack=tok",
            "--credential-lifetime",
            "5",
            "--ecs-role-name",
            "EcsRole",
            "--imds-require-token",
            "--fault",
            "AssumeRole:throttle_ratio=1,times=1",
        ])
        .unwrap();
        assert_eq!(config.sts.roles[0].trusted, ["demo-access-key-id"]);
        assert_eq!(config.sts.oidc_providers[0].tokens, ["tok"]);
        assert_eq!(config.sts.credential_lifetime_seconds, Some(5));
        assert_eq!(config.metadata.role_name.as_deref(), Some("EcsRole"));
        assert!(config.metadata.require_token);
        assert!(config.faults.contains_key("AssumeRole"));
        assert!(run(&["--role", "nope"]).is_err());
        assert!(run(&["--oidc-token", "acs:ram::1:oidc-provider/x=t"]).is_err());
        assert!(run(&["--credential-lifetime", "0"]).is_err());
        assert!(run(&["--oidc-provider", "acs:ram::1:oidc-provider/x"]).is_err());
    }

    #[test]
    fn faults_parse_and_errors_are_reported() {
        let config = run(&["--fault", "*:throttle_ratio=0.5"]).unwrap();
        assert_eq!(config.faults["*"].throttle_ratio, 0.5);
        assert!(run(&["--fault", "throttle_ratio=0.5"]).is_err());
        assert!(run(&["--fault", "Nope:throttle_ratio=0.5"]).is_err());
        assert!(run(&["--listen"]).is_err());
        assert!(run(&["--bogus"]).is_err());
        assert!(run(&["--credential", "nosecret"]).is_err());
        assert_eq!(
            run(&["--header-read-timeout-ms", "250"])
                .unwrap()
                .header_read_timeout,
            std::time::Duration::from_millis(250)
        );
        assert!(run(&["--header-read-timeout-ms", "0"]).is_err());
        assert_eq!(run(&["--help"]).unwrap_err(), "help");
    }
}
