#!/usr/bin/env bash
# The release artefacts, installed as a user installs them (not the source tree):
#  - scripts/package.sh builds dist/ (the manylinux wheel, the sdist, the two npm packages);
#  - the wheel goes into a fresh venv with the lowest `pulumi` the package declares; the npm
#    packages into a fresh npm project with the lowest @pulumi/pulumi the package declares;
#  - the tests then run with no cargo on PATH, no ALICLOUD_KMS_PROVIDER_PATH and (Python) without
#    the venv's bin/ on PATH, so the SDKs must find the binary they were installed with:
#    tests/python/test_artefacts_python.py and tests/node/artefacts.test.js (the seed example's
#    whole chain through the real `pulumi.dynamic` and Node dynamic-provider hosts against a local emulator,
#    per-resource provider settings, secrets, refused options, the import option, the packed npm
#    manifest and npm's install output, the file names the READMEs give), plus the Python
#    engine-level tests (the chain's too) and the Node engine-level and program tests against those
#    lowest versions; the seed, typing and README programs compile against the installed packages
#    with TypeScript 5 and 6;
#  - the native plugin as each package installs it (the wheel's launcher in the venv's bin/, the
#    npm platform package's node_modules/.bin link), driven over gRPC as the engine drives it
#    (tests/python/test_plugin_grpc.py);
#  - `pip install --no-build-isolation` of sdk/python works in a stock venv.
# Needs KMS_TEST_PYTHON and KMS_TEST_NODE_MODULES (scripts/test.sh exports them); the emulator is
# the debug build of 40-engine.sh.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
# shellcheck source=../lib/sdk-test-env.sh
source scripts/lib/sdk-test-env.sh

# The declared floors, read from the generated manifests (the tests prove exactly these).
pulumi_python_floor=$(sed -n 's/^dependencies = \["pulumi>=\([0-9.]*\),.*/\1/p' sdk/python/pyproject.toml)
pulumi_node_floor=$(node -p 'require("./sdk/nodejs/package.json").peerDependencies["@pulumi/pulumi"].match(/>=([0-9.]+)/)[1]')
node_test_versions=$(node -p 'const p = require("./tests/node/package.json").dependencies; `typescript@${p.typescript} typescript6@${p.typescript6} @types/node@${p["@types/node"]}`')
version=$(node -p 'require("./sdk/nodejs/package.json").version')

say "package.sh: the release artefacts"
./scripts/package.sh

say "cargo build: kms-emulator (debug; a no-op after 40-engine.sh)"
cargo build --quiet --locked --workspace --all-targets
export KMS_EMULATOR_PATH="$root/target/debug/kms-emulator"
unset ALICLOUD_KMS_PROVIDER_PATH

# PATH without cargo (nor anything else from ~/.cargo/bin or rustup).
clean_path=$(tr ':' '\n' <<<"$PATH" | while read -r entry; do
  if [ -n "$entry" ] && [ ! -e "$entry/cargo" ] && [ ! -e "$entry/alicloud-kms-provider" ]; then printf '%s:' "$entry"; fi
done)
clean_path=${clean_path%:}

say "pip install --no-build-isolation: sdk/python in a stock venv (no wheel, no download)"
python3 -m venv "$work/stock-venv"
cp -r sdk/python "$work/stock-sdk"
"$work/stock-venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-build-isolation --no-deps \
  --target "$work/stock-site" "$work/stock-sdk"
test -f "$work/stock-site/pulumi_alicloud_kms/py.typed"

say "fresh venv: the wheel with pulumi==$pulumi_python_floor"
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "$(ls dist/pulumi_alicloud_kms-"$version"-*manylinux*.whl)" "pulumi==$pulumi_python_floor" \
  "$(grep -E '^pytest==' tests/python/requirements.txt)" "$(grep -E '^cryptography==' tests/python/requirements.txt)"

say "pytest: the installed wheel (venv interpreter, its bin/ not on PATH, no cargo)"
(cd tests/python && env PATH="$clean_path" PYTHONDONTWRITEBYTECODE=1 "$work/venv/bin/python" -m pytest -q -p no:cacheprovider \
  test_artefacts_python.py test_engine_python_host.py test_engine_python_host_chain.py test_program_python.py)

say "pytest: the plugin the wheel installed (its launcher beside the binary, not on PATH)"
test -x "$work/venv/bin/pulumi-resource-alicloud-kms"
(cd tests/python && env PATH="$clean_path" PYTHONDONTWRITEBYTECODE=1 KMS_PLUGIN_PATH="$work/venv/bin/pulumi-resource-alicloud-kms" \
  "$work/venv/bin/python" -m pytest -q -p no:cacheprovider test_plugin_grpc.py)

say "fresh npm project: the two npm packages with @pulumi/pulumi@$pulumi_node_floor"
project=$work/npm-project
mkdir -p "$project"
# npm's own output is kept (warnings included): artefacts.test.js reads it for install-script warnings.
(cd "$project" && printf '{"name": "artefact-test-program", "private": true}\n' > package.json &&
  # shellcheck disable=SC2086
  npm install --no-audit --no-fund --loglevel=warn \
    "$root/dist/pulumi-alicloud-kms-$version.tgz" "$root/dist/pulumi-alicloud-kms-linux-x64-gnu-$version.tgz" \
    "@pulumi/pulumi@$pulumi_node_floor" $node_test_versions >"$work/npm-install.log" 2>&1) ||
  { cat "$work/npm-install.log" >&2; exit 1; }
cat "$work/npm-install.log" >&2
cp tests/node/seed_program.ts tests/node/typing_optional_outputs.ts "$project/"
"$KMS_TEST_PYTHON" tests/python/readme_examples.py --language typescript --out "$project/readme"
say "tsc --strict, TypeScript 5 and 6: the seed, typing and README programs against the installed packages"
(cd "$project" && tsc "${program_tsc_flags[@]}" --noEmitOnError seed_program.ts &&
  tsc "${program_tsc_flags[@]}" --noEmit typing_optional_outputs.ts readme/*.ts &&
  node node_modules/typescript6/bin/tsc "${program_tsc_flags[@]}" --noEmit seed_program.ts typing_optional_outputs.ts readme/*.ts)

say "pytest: the plugin the npm platform package linked into node_modules/.bin"
test -L "$project/node_modules/.bin/pulumi-resource-alicloud-kms"
(cd tests/python && env PATH="$clean_path" PYTHONDONTWRITEBYTECODE=1 KMS_PLUGIN_PATH="$project/node_modules/.bin/pulumi-resource-alicloud-kms" \
  "$work/venv/bin/python" -m pytest -q -p no:cacheprovider test_plugin_grpc.py)

say "node --test: the installed npm packages (no cargo, no variable)"
env PATH="$clean_path" KMS_SDK_NODEJS_MODULES="$project/node_modules" KMS_SDK_NODEJS_SEED_PROGRAM="$project/seed_program.js" \
  KMS_SDK_NPM_INSTALL_LOG="$work/npm-install.log" \
  node --test tests/node/artefacts.test.js tests/node/engine_host.test.js tests/node/engine_host_chain.test.js tests/node/program.test.js
