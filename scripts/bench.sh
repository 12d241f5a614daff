#!/usr/bin/env bash
# The one benchmark command: builds the release binaries (the provider, the emulator and its load
# generator, the harness), makes sure the Python environment exists, then runs the harness in
# bench/ (kms-bench), which measures every figure in one run and rewrites BENCHMARKS.md.
#
#   ./scripts/bench.sh            full run, rewrites BENCHMARKS.md (a few minutes)
#   ./scripts/bench.sh --quick    fewer samples, for trying things out
#   ./scripts/bench.sh --budget   only the counts and ratios that have budgets; exit 1 when one is
#                                 past its budget (measures the packaged binary of scripts/package.sh
#                                 and builds only the harness on top of that release build)
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
harness=target/release/kms-bench
if [ "$mode" = budget ]; then
  # The budgets measure the binary scripts/package.sh put into the packages, and the harness is
  # built on that same release build: the one release build of a test run (scripts/test.sh).
  # maturin builds the harness exactly as it built the provider (same target, profile, zig linker
  # and features), so cargo finds every dependency and the provider's library fresh and compiles
  # only kms-bench itself. package.sh runs first when its artefacts are missing.
  if ! compgen -G "dist/pulumi_alicloud_kms-*_x86_64.whl" >/dev/null || [ ! -x target/package/alicloud-kms-provider ]; then
    ./scripts/package.sh
  fi
  tools=$(dirname "$(KMS_TEST_VENV="$root/.cache/package-venv" KMS_PYTHON_REQUIREMENTS="$root/scripts/package-requirements.txt" \
    scripts/ensure-python-env.sh)")
  # shellcheck source=lib/release-build.sh
  source scripts/lib/release-build.sh
  release_build "$tools" -m bench/Cargo.toml --out target/package/harness-wheel
  harness=$release_dir/kms-bench
  args=(--provider target/package/alicloud-kms-provider "${args[@]+"${args[@]}"}")
  # The debug emulator is enough here (only the clients' CPU is measured); build it if missing.
  [ -x target/release/kms-emulator ] || [ -x target/debug/kms-emulator ] || cargo build --locked -p kms-emulator --bin kms-emulator
else
  # The provider (and the plugin's launcher beside it) is built on its own, as a user builds it:
  # cargo unifies the features of the dependencies of every package in one invocation, and the
  # emulator's would make it bigger.
  cargo build --release --locked -p alicloud-kms-provider --bin alicloud-kms-provider --bin pulumi-resource-alicloud-kms
  cargo build --release --locked -p kms-bench -p kms-emulator --bin kms-bench --bin kms-emulator --example load
  # The release artefacts' figures (wheel size, the packaged binary's cold start) need dist/ and
  # the packaged binary from scripts/package.sh; build them when they are missing.
  if ! compgen -G "dist/pulumi_alicloud_kms-*_x86_64.whl" >/dev/null || [ ! -x target/package/alicloud-kms-provider ]; then
    ./scripts/package.sh
  fi
fi
exec "$harness" "$mode" --root "$root" --python "$python" "${args[@]+"${args[@]}"}"
