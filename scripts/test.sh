#!/usr/bin/env bash
# The one command that runs every test, on a fresh machine as in CI: it installs what the tests
# need (a Python venv in .venv, npm packages in tests/node/node_modules, cargo-insta), then runs
# each step in scripts/test.d in name order. Any failing step fails the whole run.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
# insta: never write snapshots during a test run; a mismatch is a failure.
export INSTA_UPDATE=no CI=${CI:-true}
# A one-off build keeps nothing for next time: no incremental caches (they doubled the disk use).
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}

step() { printf '\n==> %s\n' "$*" >&2; }

step "python test environment"
KMS_TEST_PYTHON=$(scripts/ensure-python-env.sh)
export KMS_TEST_PYTHON
step "node test environment"
KMS_TEST_NODE_MODULES=$(scripts/ensure-node-env.sh)
export KMS_TEST_NODE_MODULES

for s in scripts/test.d/*.sh; do
  step "$s"
  bash "$s"
done
step "all tests passed"
