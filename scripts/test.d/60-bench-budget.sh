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
exec ./scripts/bench.sh --budget
