# Sourced by the test steps that run the generated SDKs (scripts/test.d/30-sdk.sh, 40-engine.sh):
# checks that scripts/test.sh exported the Python and Node environments, makes a scratch directory
# $work that goes away on exit, and defines `tsc` and `tsc6` (TypeScript 5 and 6, from the test
# packages), `program_directory` and `say`.
: "${KMS_TEST_PYTHON:?run scripts/ensure-python-env.sh and export KMS_TEST_PYTHON}"
: "${KMS_TEST_NODE_MODULES:?run scripts/ensure-node-env.sh and export KMS_TEST_NODE_MODULES}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PYTHONDONTWRITEBYTECODE=1
tsc() { node "$KMS_TEST_NODE_MODULES/typescript/bin/tsc" "$@"; }
tsc6() { node "$KMS_TEST_NODE_MODULES/typescript6/bin/tsc" "$@"; }
# The compiler flags a TypeScript program of the SDK is checked with: strict, and Node's own module
# resolution (the README's tsconfig; TypeScript 6 refuses the older `--moduleResolution node`).
program_tsc_flags=(--strict --target es2020 --module node16 --moduleResolution node16 --types node)
# program_directory DIR SDK: DIR looks like a user's program: node_modules holds the test packages
# (@pulumi/pulumi, typescript, ...) and `pulumi-alicloud-kms`, a link to SDK (a directory with the
# package.json and the compiled bin/).
program_directory() {
  mkdir -p "$1/node_modules"
  for entry in "$KMS_TEST_NODE_MODULES"/* "$KMS_TEST_NODE_MODULES"/.bin; do
    ln -s "$entry" "$1/node_modules/"
  done
  ln -s "$2" "$1/node_modules/pulumi-alicloud-kms"
}
say() { printf -- '--> %s\n' "$*" >&2; }
