#!/usr/bin/env bash
# Every Rust test in the workspace (unit, integration, snapshot, doc), in debug mode, through
# cargo-insta so that a snapshot file no test uses any more fails the run too. cargo-insta is
# installed (from crates.io, about a minute) when the machine lacks it.
set -euo pipefail
if ! command -v cargo-insta >/dev/null; then
  echo "10-cargo: installing cargo-insta" >&2
  cargo install --locked --quiet cargo-insta
fi
cargo insta test --check --unreferenced=reject --workspace --all-targets -- --quiet
cargo test --workspace --doc --locked --quiet
