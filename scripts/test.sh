#!/usr/bin/env bash
# The one command that runs every test, on a fresh machine as in CI: it installs what the tests
# need (a Python venv in .venv, npm packages in tests/node/node_modules), then runs the steps in
# scripts/test.d. Any failing step fails the whole run.
#
# The steps run in two lanes at once, so that a 2-core machine stays busy (one lane's compile
# fills the core the other's single-threaded work leaves idle: the release build's LTO, tsc,
# pytest, npm):
#   rust:     10-cargo, 40-engine, 05-lint, 30-sdk (the debug build first, then what it runs and
#             the lints' check build)
#   packages: 50-artefacts, 60-bench-budget        (the one release build and what it feeds)
# The debug build starts at once, beside the environment installs (it needs neither); 50-artefacts
# also needs the debug emulator, so the lints' check build comes after it.
# cargo's lock on target/ orders the compiles the lanes share: a step that needs the debug build
# waits for it rather than building it twice. Each step's output goes to target/test-logs/<step>.log
# and is printed whole when the step ends, so the two lanes never interleave their lines.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
# insta: never write snapshots during a test run; a mismatch is a failure.
export INSTA_UPDATE=no CI=${CI:-true}
# A one-off build keeps nothing for next time: no incremental caches (they doubled the disk use).
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}

logs=$root/target/test-logs
rm -rf "$logs"
mkdir -p "$logs"
started=$SECONDS

step() { printf '\n==> %s\n' "$*" >&2; }

# Runs one step with its output in its own log, then prints the log whole (one lane at a time).
run_step() {
  local name=$1
  shift
  local log=$logs/$name.log begin=$SECONDS status=0
  printf '==> %s: started at %ss\n' "$name" "$((begin - started))" >&2
  "$@" >"$log" 2>&1 || status=$?
  local verdict=ok
  [ "$status" = 0 ] || verdict="FAILED (exit $status)"
  {
    flock 8
    printf '\n==> %s: %s in %ss (log: %s)\n' "$name" "$verdict" "$((SECONDS - begin))" "${log#"$root"/}"
    cat "$log"
  } 8>"$logs/.print.lock" >&2
  return "$status"
}

# Runs steps one after another; stops at the first failure.
lane() {
  local step
  for step in "$@"; do
    run_step "$(basename "$step" .sh)" bash "$step" || return 1
  done
}

step "python and node test environments, and the debug build (in parallel)"
# The debug build needs neither environment: it starts now, and the steps that need it wait for
# it on cargo's lock (10-cargo's `cargo test` then only runs the tests).
run_step debug-build cargo test --workspace --all-targets --locked --no-run --quiet &
build_job=$!
scripts/ensure-python-env.sh >"$logs/python-env.path" 2>"$logs/python-env.log" &
python_job=$!
scripts/ensure-node-env.sh >"$logs/node-env.path" 2>"$logs/node-env.log" &
node_job=$!
environments_ok=true
wait "$python_job" || { cat "$logs/python-env.log" >&2; environments_ok=false; }
wait "$node_job" || { cat "$logs/node-env.log" >&2; environments_ok=false; }
$environments_ok || { echo "test.sh: installing the test environments failed" >&2; wait "$build_job" || true; exit 1; }
KMS_TEST_PYTHON=$(cat "$logs/python-env.path")
KMS_TEST_NODE_MODULES=$(cat "$logs/node-env.path")
export KMS_TEST_PYTHON KMS_TEST_NODE_MODULES

step "two lanes: rust (10-cargo, 40-engine, 05-lint, 30-sdk) and packages (50-artefacts, 60-bench-budget)"
lane scripts/test.d/10-cargo.sh scripts/test.d/40-engine.sh scripts/test.d/05-lint.sh scripts/test.d/30-sdk.sh &
rust_lane=$!
lane scripts/test.d/50-artefacts.sh scripts/test.d/60-bench-budget.sh &
packages_lane=$!
failed=()
wait "$build_job" || failed+=(debug-build)
wait "$rust_lane" || failed+=(rust)
wait "$packages_lane" || failed+=(packages)
# Every step script must belong to a lane: a new one is run here, after both.
for s in scripts/test.d/*.sh; do
  case "$(basename "$s")" in
    05-lint.sh | 10-cargo.sh | 30-sdk.sh | 40-engine.sh | 50-artefacts.sh | 60-bench-budget.sh) ;;
    *) run_step "$(basename "$s" .sh)" bash "$s" || failed+=("$(basename "$s" .sh)") ;;
  esac
done
if [ "${#failed[@]}" -gt 0 ]; then
  step "FAILED: ${failed[*]} (after $((SECONDS - started))s; logs in target/test-logs)"
  exit 1
fi
step "all tests passed in $((SECONDS - started))s"
