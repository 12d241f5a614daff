#!/usr/bin/env bash
# Performance budgets (BENCHMARKS.md, "Budgets"): checks the figures that hold on a shared machine
# (binary and wheel size, peak RSS, instruction counts under callgrind, the Rust/Python CPU ratio
# per KMS call) against wide budgets, on the binary 50-artefacts.sh packaged; the harness is built
# on that same release build (only kms-bench itself compiles), so a test run has one release
# build. Fails only on a real regression, never on a slow machine: no absolute time is judged.
# About a minute after 50-artefacts.sh.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
: "${KMS_TEST_PYTHON:?run scripts/ensure-python-env.sh and export KMS_TEST_PYTHON}"
# The instruction counts need valgrind (on the CI machines already; installed if not).
if ! command -v valgrind >/dev/null; then
  echo "60-bench-budget: installing valgrind (Debian package)" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq valgrind >&2
  else sudo -n apt-get update -qq && sudo -n apt-get install -y -qq valgrind >&2; fi
fi
exec ./scripts/bench.sh --budget
