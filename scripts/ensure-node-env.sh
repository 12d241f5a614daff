#!/usr/bin/env bash
# Installs (or reuses) the npm packages the Node-side tests need, into tests/node/node_modules,
# from the committed package-lock.json. Idempotent and safe to call concurrently (a lock serialises
# installs, a stamp records the lock file's hash). Prints the node_modules path on stdout.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=$root/tests/node
lock=$dir/package-lock.json
want=$(sha256sum "$dir/package.json" "$lock" 2>/dev/null | sha256sum | cut -d' ' -f1)
stamp=$dir/node_modules/.install.sha256
exec 9>"$dir/.install.lock"
flock 9
if [ ! -d "$dir/node_modules" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "ensure-node-env: npm ci in $dir" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
  echo "$want" > "$stamp"
fi
echo "$dir/node_modules"
