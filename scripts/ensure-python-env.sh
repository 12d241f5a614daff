#!/usr/bin/env bash
# Creates (or reuses) the Python virtualenv the tests need, at $KMS_TEST_VENV (default: .venv in
# the repository), from $KMS_PYTHON_REQUIREMENTS (default: tests/python/requirements.txt; the
# packaging tools use their own). Idempotent and safe to call from several tests at once: a stamp
# file records the hash of the requirements file, and a lock serialises concurrent installs.
# Prints the path of the venv's python on stdout; everything else goes to stderr.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${KMS_TEST_VENV:-$root/.venv}
req=${KMS_PYTHON_REQUIREMENTS:-$root/tests/python/requirements.txt}
want=$(sha256sum "$req" | cut -d' ' -f1)
stamp=$venv/.requirements.sha256
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "ensure-python-env: installing $req into $venv" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
