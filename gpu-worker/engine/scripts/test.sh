#!/usr/bin/env bash
# Runs the engine's tests (CPU only, no network, no weights): ensure-venv, then pytest. Extra arguments
# go to pytest, e.g. `gpu-worker/engine/scripts/test.sh -k cancel -x`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
out="$("$here/ensure-venv.sh")" || { echo "test.sh: could not prepare the engine's venv" >&2; exit 1; }
python="${out##*$'\n'}"
cd "$repo"
exec "$python" -m pytest gpu-worker/engine/tests -q "$@"
