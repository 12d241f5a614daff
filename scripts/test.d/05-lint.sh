#!/usr/bin/env bash
# Formatting and lints: cheap, and they keep the four crates reading alike.
set -euo pipefail
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
