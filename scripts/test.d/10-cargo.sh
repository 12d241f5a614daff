#!/usr/bin/env bash
# Every Rust test in the workspace (unit, integration, snapshot), in debug mode.
set -euo pipefail
cargo test --workspace --all-targets --locked
