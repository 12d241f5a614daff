#!/usr/bin/env bash
# The one benchmark command: builds the release binaries (the provider, the emulator and its load
# generator, the harness), makes sure the Python environment exists, then runs the harness in
# bench/ (kms-bench), which measures every figure in one run and rewrites BENCHMARKS.md.
#
#   ./scripts/bench.sh            full run, rewrites BENCHMARKS.md (a few minutes)
#   ./scripts/bench.sh --quick    fewer samples, for trying things out
#   ./scripts/bench.sh --budget   only the counts and ratios that have budgets; exit 1 when one is
#                                 past its budget (builds only the provider and the harness)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

mode=run
args=()
for arg in "$@"; do
  case "$arg" in
    --budget) mode=budget ;;
    *) args+=("$arg") ;;
  esac
done

python=${KMS_TEST_PYTHON:-$(scripts/ensure-python-env.sh)}
if [ "$mode" = budget ]; then
  # One invocation for both (faster on a fresh machine). The harness adds no feature to the
  # provider's dependencies that changes its binary by more than a few bytes.
  cargo build --release --locked -p alicloud-kms-provider -p kms-bench --bin alicloud-kms-provider --bin kms-bench
  # The debug emulator is enough here (only the clients' CPU is measured); build it if missing.
  [ -x target/release/kms-emulator ] || [ -x target/debug/kms-emulator ] || cargo build --locked -p kms-emulator --bin kms-emulator
else
  # The provider (and the plugin's launcher beside it) is built on its own, as a user builds it:
  # cargo unifies the features of the dependencies of every package in one invocation, and the
  # emulator's would make it bigger.
  cargo build --release --locked -p alicloud-kms-provider --bin alicloud-kms-provider --bin pulumi-resource-alicloud-kms
  cargo build --release --locked -p kms-bench -p kms-emulator --bin kms-bench --bin kms-emulator --example load
fi
# The release artefacts' figures (wheel size, the packaged binary's cold start) need dist/ and the
# packaged binary from scripts/package.sh (scripts/test.d/50-artefacts.sh builds them before the
# budget step); build them when they are missing.
if ! compgen -G "dist/pulumi_alicloud_kms-*_x86_64.whl" >/dev/null || [ ! -x target/package/alicloud-kms-provider ]; then
  ./scripts/package.sh
fi
exec target/release/kms-bench "$mode" --root "$root" --python "$python" "${args[@]+"${args[@]}"}"
