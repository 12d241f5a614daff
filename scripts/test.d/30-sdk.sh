#!/usr/bin/env bash
# The generated SDKs: sdk/ equals a fresh generation (sdk-gen --check); the committed SDKs and the
# fixture SDKs type-check (tsc --strict, TypeScript 5 and 6 for the committed one; mypy --strict), and
# so do programs written against them (tests/*/typing_*); the Python SDK installs with pip; and the
# runtime helpers pass their own tests against a scripted child process (pytest, node --test).
# Needs KMS_TEST_PYTHON and KMS_TEST_NODE_MODULES (scripts/test.sh exports them). Works on copies
# in a temporary directory, so the worktree gets no build output or caches.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
# shellcheck source=../lib/sdk-test-env.sh
source scripts/lib/sdk-test-env.sh

say "sdk-gen --check: the committed SDKs equal a fresh generation"
cargo run --quiet --locked -p sdk-gen -- --schema schema/schema.json --out sdk --check

# Type-checks one generated tree: tsc on <tree>/nodejs (its node_modules is a symlink to the test
# packages, so @pulumi/pulumi resolves without touching the tree), mypy on <tree>/python.
typecheck() {
  local tree=$1
  ln -s "$KMS_TEST_NODE_MODULES" "$tree/nodejs/node_modules"
  say "tsc --strict --noEmit: $2 (TypeScript)"
  (cd "$tree/nodejs" && tsc --strict --noEmit -p .)
  say "mypy --strict: $2 (Python)"
  local package
  package=$(cd "$tree/python" && ls -d */ | grep -v -e '\.egg-info/' -e '^build/' | head -1)
  (cd "$tree/python" && "$KMS_TEST_PYTHON" -m mypy --strict --cache-dir "$work/mypy-cache" "${package%/}")
}

mkdir -p "$work/committed"
cp -r sdk/nodejs sdk/python "$work/committed/"
typecheck "$work/committed" "committed sdk/"
say "tsc (TypeScript 6) --strict --noEmit: committed sdk/"
(cd "$work/committed/nodejs" && tsc6 --strict --noEmit -p .)

# Programs written against the SDK type-check strictly, as a user's would: every resource's outputs
# (optional ones included) into the next one's optional inputs (tests/*/typing_optional_outputs.*),
# and every program of the READMEs (tests/python/readme_examples.py), the one ported from
# pulumi-alicloud among them.
say "mypy --strict: Python programs (typing test, README examples) against the committed SDK"
cp tests/python/typing_optional_outputs.py "$work/committed/python/"
"$KMS_TEST_PYTHON" tests/python/readme_examples.py --language python --out "$work/committed/python/readme"
(cd "$work/committed/python" && "$KMS_TEST_PYTHON" -m mypy --strict --cache-dir "$work/mypy-cache" \
  typing_optional_outputs.py readme/*.py)
say "tsc --strict, TypeScript 5 and 6, node16 resolution: TypeScript programs (typing test, README examples)"
(cd "$work/committed/nodejs" && tsc -p . --outDir "$work/committed/nodejs/bin")
program_directory "$work/typing" "$work/committed/nodejs"
cp tests/node/typing_optional_outputs.ts "$work/typing/"
"$KMS_TEST_PYTHON" tests/python/readme_examples.py --language typescript --out "$work/typing/readme"
(cd "$work/typing" && tsc "${program_tsc_flags[@]}" --noEmit typing_optional_outputs.ts readme/*.ts &&
  tsc6 "${program_tsc_flags[@]}" --noEmit typing_optional_outputs.ts readme/*.ts)

mkdir -p "$work/fixtures"
for fixture in sdk-gen/tests/fixtures/*.json; do
  name=$(basename "$fixture" .json)
  cargo run --quiet --locked -p sdk-gen -- --schema "$fixture" --out "$work/fixtures/$name" 2>/dev/null
  typecheck "$work/fixtures/$name" "fixture $name"
done

say "pip install: the Python SDK builds and installs"
"$KMS_TEST_PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
  --target "$work/site" "$work/committed/python"
test -f "$work/site/pulumi_alicloud_kms/py.typed"

say "pytest: Python runtime helpers and classes"
PYTHONPATH="$work/site" KMS_SDK_FIXTURES_DIR="$work/fixtures" \
  "$KMS_TEST_PYTHON" -m pytest -q -p no:cacheprovider sdk-gen/tests/runtime/test_python_runtime.py

say "node --test: TypeScript runtime helpers and classes"
KMS_SDK_NODEJS_BUILD="$work/committed/nodejs/bin" node --test sdk-gen/tests/runtime/node_runtime.test.js
