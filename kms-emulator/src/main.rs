//! The `kms-emulator` binary: parses the command line, starts an emulator, prints
//! `listening on http://HOST:PORT` as the first stdout line, and serves until interrupted.

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;

use kms_emulator::cli::{parse_args, Command, USAGE};
use kms_emulator::Emulator;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never into a log file or a pipe.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    let config = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(config)) => *config,
        Ok(Command::Help) => {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(USAGE.as_bytes());
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("kms-emulator: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("kms-emulator: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        // Generate the shared RSA key pair in the background so the first CreateClientKey is fast.
        tokio::task::spawn_blocking(kms_emulator::key_material::warm_up);
        let emulator = match Emulator::start(config).await {
            Ok(emulator) => emulator,
            Err(error) => {
                eprintln!("kms-emulator: {error}");
                return ExitCode::FAILURE;
            }
        };
        let mut stdout = std::io::stdout().lock();
        if writeln!(stdout, "listening on {}", emulator.endpoint())
            .and_then(|()| stdout.flush())
            .is_err()
        {
            eprintln!("kms-emulator: cannot write to stdout");
            return ExitCode::FAILURE;
        }
        drop(stdout);
        wait_for_stop_signal().await;
        tracing::info!("stopping");
        emulator.shutdown();
        ExitCode::SUCCESS
    })
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
