#!/usr/bin/env bash
# The SDKs inside the real Pulumi hosts, end to end to a local KMS emulator:
#  - engine-level tests: the dynamic-provider hosts of the `pulumi` PyPI package
#    (python -m pulumi.dynamic) and of @pulumi/pulumi (cmd/dynamic-provider) driven over gRPC the
#    way the engine drives them, with the providers our SDKs serialise;
#  - program tests: the seed example as a Python and a TypeScript program using our SDKs, and every
#    program of the READMEs, run under Pulumi's mocks, the mock loading the serialised provider and
#    calling it;
#  - the native plugin pulumi-resource-alicloud-kms driven over gRPC as the engine drives a resource
#    plugin, with the `pulumi` package's stubs (tests/python/test_plugin_grpc.py).
# Builds the provider and the emulator (debug), installs sdk/python into a temporary directory and
# compiles sdk/nodejs into a temporary program directory, so the worktree gets no build output.
# Needs KMS_TEST_PYTHON and KMS_TEST_NODE_MODULES (scripts/test.sh exports them).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
# shellcheck source=../lib/sdk-test-env.sh
source scripts/lib/sdk-test-env.sh

say "cargo build: alicloud-kms-provider and kms-emulator (debug)"
# The same selection as 10-cargo.sh's cargo test, so features resolve the same way and this is
# a no-op after it (building only the two binaries would resolve some dependencies' features
# differently and compile them again).
cargo build --quiet --locked --workspace --all-targets
ALICLOUD_KMS_PROVIDER_PATH="$root/target/debug/alicloud-kms-provider"
KMS_EMULATOR_PATH="$root/target/debug/kms-emulator"
KMS_PLUGIN_PATH="$root/target/debug/pulumi-resource-alicloud-kms"
export ALICLOUD_KMS_PROVIDER_PATH KMS_EMULATOR_PATH KMS_PLUGIN_PATH

say "pip install: sdk/python into a temporary site directory"
cp -r sdk/python "$work/python-sdk"
"$KMS_TEST_PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
  --target "$work/site" "$work/python-sdk"

say "tsc: sdk/nodejs into a program directory's node_modules, then the seed program against it"
# The program directory looks like a user's: node_modules holds the test packages (@pulumi/pulumi,
# typescript, ...) and our package pulumi-alicloud-kms, compiled to JavaScript.
cp -r sdk/nodejs "$work/nodejs-sdk"
ln -s "$KMS_TEST_NODE_MODULES" "$work/nodejs-sdk/node_modules"
(cd "$work/nodejs-sdk" && tsc -p . --outDir bin)
program="$work/node-program"
program_directory "$program" "$work/nodejs-sdk"
cp tests/node/seed_program.ts "$program/"
"$KMS_TEST_PYTHON" tests/python/readme_examples.py --language typescript --out "$program/readme"
(cd "$program" && tsc "${program_tsc_flags[@]}" --noEmitOnError seed_program.ts readme/*.ts)

say "pytest: the Python host, the Python program and the native plugin"
PYTHONPATH="$work/site" "$KMS_TEST_PYTHON" -m pytest -q -p no:cacheprovider \
  tests/python/test_engine_python_host.py tests/python/test_engine_python_host_chain.py \
  tests/python/test_program_python.py tests/python/test_readme_examples.py tests/python/test_plugin_grpc.py

say "node --test: the Node host and the TypeScript program"
KMS_SDK_NODEJS_MODULES="$program/node_modules" KMS_SDK_NODEJS_SEED_PROGRAM="$program/seed_program.js" \
  KMS_SDK_README_EXAMPLES="$program/readme" \
  node --test tests/node/engine_host.test.js tests/node/engine_host_chain.test.js tests/node/program.test.js \
  tests/node/readme_examples.test.js
