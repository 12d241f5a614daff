//! Benchmark client: makes N signed `GetClientKey` calls, one after another, against a local
//! server, through the real `kms::Client` (signing, HTTP keep-alive, reply decoding).
//!
//! It only makes the calls; `tests/python/kms_bench_signed_call.py` runs it next to the official
//! Python SDK doing the same calls and compares the CPU time the kernel charges each process.
//!
//! Usage: `kms_signed_call_bench <host:port> <calls> [multi-thread|current-thread]` (the runtime
//! flavour; default `multi-thread`, as the provider binary uses).

use alicloud_kms_provider::kms::{
    self, CallOptions, Credentials, CredentialsSource, ResolvedConfig, Scheme, SecretString,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut arguments = std::env::args().skip(1);
    let usage = "usage: kms_signed_call_bench <host:port> <calls> [multi-thread|current-thread]";
    let endpoint = arguments.next().ok_or(usage)?;
    let calls: u32 = arguments.next().ok_or(usage)?.parse()?;
    let flavour = arguments
        .next()
        .unwrap_or_else(|| "multi-thread".to_owned());

    let config = ResolvedConfig {
        credentials: Credentials {
            access_key_id: "testid".to_owned(),
            access_key_secret: SecretString::new("testsecret"),
            security_token: None,
        },
        credentials_source: CredentialsSource::ProviderConfig,
        region: Some("cn-hangzhou".to_owned()),
        endpoint,
        scheme: Scheme::Http,
    };
    let runtime = match flavour.as_str() {
        "multi-thread" => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?,
        "current-thread" => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        _ => return Err(usage.into()),
    };
    runtime.block_on(async move {
        let client = kms::Client::new(config)?;
        let options = CallOptions::new();
        for _ in 0..calls {
            let reply = client
                .get_client_key("KAAP.66abf237-63f6-4625-b8cf-47e1086e0000", &options)
                .await?;
            if reply.client_key.aap_name.is_empty() {
                return Err("empty AapName in the canned reply".into());
            }
        }
        Ok(())
    })
}
