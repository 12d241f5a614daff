//! The plugin's command line, as the engine writes it: flags it passes to every plugin
//! (`--logtostderr`, `--logflow`, `-v=<level>`, `--tracing <url>`; Pulumi's
//! `sdk/go/common/resource/plugin/plugin.go`, `buildPluginArguments`), then the engine's address.
//! The flags are accepted and ignored (logs follow `RUST_LOG`); an engine that attaches to a
//! plugin already running gives its address later, through `Attach`.

use std::ffi::OsString;

/// What the command line says.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Arguments {
    /// The engine's gRPC address (`127.0.0.1:<port>`), if given.
    pub engine_address: Option<String>,
}

impl Arguments {
    /// Reads the arguments after the program name.
    pub fn parse(arguments: impl IntoIterator<Item = OsString>) -> Arguments {
        let mut parsed = Arguments::default();
        let mut arguments = arguments.into_iter();
        while let Some(argument) = arguments.next() {
            let argument = argument.to_string_lossy().into_owned();
            if argument == "--tracing" {
                // Its value is the next argument.
                arguments.next();
            } else if argument.starts_with('-') {
                tracing::debug!(flag = %argument, "ignoring an engine flag");
            } else if parsed.engine_address.is_none() {
                parsed.engine_address = Some(argument);
            } else {
                tracing::warn!(argument = %argument, "ignoring an argument after the engine address");
            }
        }
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(arguments: &[&str]) -> Arguments {
        Arguments::parse(arguments.iter().map(OsString::from))
    }

    #[test]
    fn the_engine_address_follows_the_flags_the_engine_passes() {
        assert_eq!(
            parse(&[
                "--logtostderr",
                "-v=9",
                "--tracing",
                "http://127.0.0.1:9411",
                "127.0.0.1:4711"
            ]),
            Arguments {
                engine_address: Some("127.0.0.1:4711".into())
            }
        );
        assert_eq!(
            parse(&["127.0.0.1:4711", "extra"])
                .engine_address
                .as_deref(),
            Some("127.0.0.1:4711")
        );
        assert_eq!(
            parse(&[]),
            Arguments::default(),
            "attached: the address comes later"
        );
    }
}
