#!/usr/bin/env bash
# Every Rust test in the workspace (unit, integration, snapshot, doc), in debug mode: one
# integration-test binary per crate (tests/it). A snapshot that differs fails (scripts/test.sh sets
# INSTA_UPDATE=no); so does a snapshot file no test uses any more: insta lists every snapshot it
# compares in $INSTA_SNAPSHOT_REFERENCES_FILE (what `cargo insta test --unreferenced=reject`
# does), and the .snap files in the tree must be exactly those. No cargo-insta is needed here;
# `cargo insta review` is for a human accepting a changed snapshot.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
references=$(mktemp)
trap 'rm -f "$references"' EXIT
INSTA_SNAPSHOT_REFERENCES_FILE=$references cargo test --workspace --all-targets --locked --quiet
cargo test --workspace --doc --locked --quiet
unreferenced=$(comm -23 \
  <(find "$root" -name '*.snap' -not -path "$root/target/*" -not -path "$root/.git/*" -not -path '*/node_modules/*' | sort -u) \
  <(sort -u "$references"))
if [ -n "$unreferenced" ]; then
  echo "10-cargo: snapshot files no test uses (delete them, or run \`cargo insta test --unreferenced=delete\`):" >&2
  echo "$unreferenced" >&2
  exit 1
fi
echo "10-cargo: $(sort -u "$references" | wc -l) snapshots checked, none unreferenced" >&2
