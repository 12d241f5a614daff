//! Load generator for the emulator's benchmark: N concurrent clients, each on one keep-alive
//! connection, call GetClientKey (signed, fresh nonce each time) for a fixed time; prints
//! requests/s and latency percentiles.
//!
//! `cargo run --release -p kms-emulator --example load -- [--target HOST:PORT] [--clients 32] [--seconds 10]`
//!
//! Without `--target` it starts an emulator in this process. With `--target` it uses the demo
//! credential against that emulator.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kms_emulator::signature::{percent_encode, sign, string_to_sign};
use kms_emulator::{DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET};

fn signed_query(action: &str, extra: &[(&str, &str)], method: &str, nonce: &str) -> String {
    let mut params: std::collections::BTreeMap<String, String> = [
        ("Action", action),
        ("Version", "2016-01-20"),
        ("Format", "json"),
        ("AccessKeyId", DEMO_ACCESS_KEY_ID),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce),
    ]
    .iter()
    .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
    .collect();
    params.insert(
        "Timestamp".into(),
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    );
    for (key, value) in extra {
        params.insert((*key).to_owned(), (*value).to_owned());
    }
    let signature = sign(DEMO_ACCESS_KEY_SECRET, &string_to_sign(method, &params));
    params.insert("Signature".into(), signature);
    params
        .iter()
        .map(|(key, value)| format!("{}={}", percent_encode(key), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Sends one request on a keep-alive connection and reads the answer; returns status and body.
fn round_trip(
    writer: &mut TcpStream,
    reader: &mut BufReader<TcpStream>,
    method: &str,
    query: &str,
) -> std::io::Result<(u16, String)> {
    write!(
        writer,
        "{method} /?{query} HTTP/1.1\r\nHost: kms\r\nContent-Length: 0\r\n\r\n"
    )?;
    writer.flush()?;
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut content_length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().map_err(std::io::Error::other)?;
            }
        }
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body)?;
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn connect(addr: SocketAddr) -> std::io::Result<(TcpStream, BufReader<TcpStream>)> {
    let stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let reader = BufReader::new(stream.try_clone()?);
    Ok((stream, reader))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut target: Option<SocketAddr> = None;
    let mut clients = 32_usize;
    let mut seconds = 10_u64;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--target" => target = Some(value.parse()?),
            "--clients" => clients = value.parse()?,
            "--seconds" => seconds = value.parse()?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let _in_process;
    let addr = match target {
        Some(addr) => addr,
        None => {
            let emulator = kms_emulator::Emulator::start_blocking(kms_emulator::Config::default())?;
            let addr = emulator.addr();
            _in_process = emulator;
            addr
        }
    };

    // Set-up through the API: an AAP and one client key to read.
    let (mut writer, mut reader) = connect(addr)?;
    let aap = format!("bench_{}", std::process::id());
    let policies = "[\"bench\"]";
    let query = signed_query(
        "CreateApplicationAccessPoint",
        &[("Name", &aap), ("Policies", policies)],
        "POST",
        &format!("setup-1-{aap}"),
    );
    let (status, body) = round_trip(&mut writer, &mut reader, "POST", &query)?;
    if status != 200 && !body.contains("Rejected.ResourceExist") {
        return Err(format!("cannot create the AAP: {status} {body}").into());
    }
    let query = signed_query(
        "CreateClientKey",
        &[("AapName", &aap), ("Password", "Bench-Password-1")],
        "POST",
        &format!("setup-2-{aap}"),
    );
    let (status, body) = round_trip(&mut writer, &mut reader, "POST", &query)?;
    if status != 200 {
        return Err(format!("cannot create the client key: {status} {body}").into());
    }
    let created: serde_json::Value = serde_json::from_str(&body)?;
    let key_id = created["ClientKeyId"]
        .as_str()
        .ok_or("no ClientKeyId")?
        .to_owned();

    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|worker| {
            let stop = stop.clone();
            let failures = failures.clone();
            let key_id = key_id.clone();
            std::thread::spawn(move || -> Vec<Duration> {
                let mut latencies = Vec::with_capacity(200_000);
                let Ok((mut writer, mut reader)) = connect(addr) else {
                    failures.fetch_add(1, Ordering::Relaxed);
                    return latencies;
                };
                let mut sequence = 0_u64;
                while !stop.load(Ordering::Relaxed) {
                    sequence += 1;
                    let nonce = format!("load-{}-{worker}-{sequence}", std::process::id());
                    let query =
                        signed_query("GetClientKey", &[("ClientKeyId", &key_id)], "GET", &nonce);
                    let sent = Instant::now();
                    match round_trip(&mut writer, &mut reader, "GET", &query) {
                        Ok((200, _)) => latencies.push(sent.elapsed()),
                        Ok(_) => {
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => {
                            failures.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                    }
                }
                latencies
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let mut latencies: Vec<Duration> = workers
        .into_iter()
        .flat_map(|worker| worker.join().unwrap_or_default())
        .collect();
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "GetClientKey, {clients} keep-alive clients, {:.1} s",
        elapsed.as_secs_f64()
    )?;
    writeln!(
        stdout,
        "requests ok: {}, failures: {}",
        latencies.len(),
        failures.load(Ordering::Relaxed)
    )?;
    writeln!(
        stdout,
        "throughput: {:.0} requests/s",
        latencies.len() as f64 / elapsed.as_secs_f64()
    )?;
    writeln!(
        stdout,
        "latency p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
        percentile(0.50),
        percentile(0.90),
        percentile(0.99),
        latencies.last().copied().unwrap_or_default()
    )?;
    Ok(())
}
