#!/usr/bin/env bash
# Performance budgets (BENCHMARKS.md, "Budgets"): builds the release provider and the harness,
# then checks the figures that hold on a shared machine (binary size, peak RSS, instruction counts
# under callgrind, the Rust/Python CPU ratio per KMS call) against wide budgets. Fails only on a
# real regression, never on a slow machine: no absolute time is judged. About 2-3 minutes on a
# fresh 2-core machine, most of it the release build.
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
