#!/usr/bin/env bash
# The quickstart: builds the provider, the KMS emulator and the quickstart driver (release), then
# runs the seed example's whole chain (a network rule, a policy bound to it, an application access
# point with that policy, a client key with its private key file) through the real provider binary
# over stdio, against a local emulator the driver starts and stops itself. Prints what it did and
# where the key file is; exits non-zero on any failure.
#
#   ./scripts/quickstart.sh                 # against a local emulator
#   ./scripts/quickstart.sh --destroy       # ... and delete everything again at the end
#   ./scripts/quickstart.sh --cloud --kms-instance kst-...
#                                           # against the real cloud, credentials from the
#                                           # environment or ~/.aliyun/config.json
#   ./scripts/quickstart.sh --workdir DIR   # keep the key file in DIR
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
printf '==> building (release): alicloud-kms-provider, kms-emulator, the quickstart driver\n' >&2
cargo build --release --locked --quiet \
  --bin alicloud-kms-provider --example quickstart -p alicloud-kms-provider
cargo build --release --locked --quiet --bin kms-emulator -p kms-emulator
printf '==> running the seed example\n' >&2
exec "$root/target/release/examples/quickstart" \
  --provider "$root/target/release/alicloud-kms-provider" \
  --emulator "$root/target/release/kms-emulator" \
  "$@"
