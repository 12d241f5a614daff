# Sourced by the test steps that run the generated SDKs (scripts/test.d/30-sdk.sh, 40-engine.sh):
# checks that scripts/test.sh exported the Python and Node environments, makes a scratch directory
# $work that goes away on exit, and defines `tsc` (from the test packages) and `say`.
: "${KMS_TEST_PYTHON:?run scripts/ensure-python-env.sh and export KMS_TEST_PYTHON}"
: "${KMS_TEST_NODE_MODULES:?run scripts/ensure-node-env.sh and export KMS_TEST_NODE_MODULES}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PYTHONDONTWRITEBYTECODE=1
tsc() { node "$KMS_TEST_NODE_MODULES/typescript/bin/tsc" "$@"; }
say() { printf -- '--> %s\n' "$*" >&2; }
