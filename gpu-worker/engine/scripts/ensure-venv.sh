#!/usr/bin/env bash
# Creates (or reuses) the Kontext engine's virtual environment from requirements.txt and prints the path
# of its python on the last line of stdout. Everything else goes to stderr.
#
#   KONTEXT_ENGINE_VENV     where the venv lives (default: <repo>/.venv-engine)
#   KONTEXT_ENGINE_PYTHON   the interpreter that creates it (default: python3; must be >= 3.11)
#
# The venv is (re)installed only when requirements.txt or pyproject.toml changed since the last
# successful install (a stamp file in the venv holds their sha256). pip runs quietly and uses its cache.
set -euo pipefail

fail() { echo "ensure-venv: error: $*" >&2; exit 1; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
engine="$(dirname "$here")"
repo="$(cd "$engine/../.." && pwd)"
venv="${KONTEXT_ENGINE_VENV:-$repo/.venv-engine}"
base_python="${KONTEXT_ENGINE_PYTHON:-python3}"
requirements="$engine/requirements.txt"
stamp="$venv/.kontext-engine-stamp"

[ -f "$requirements" ] || fail "missing $requirements"
command -v sha256sum >/dev/null || fail "sha256sum not found"
want="$(cat "$requirements" "$engine/pyproject.toml" | sha256sum | cut -d' ' -f1)"
python="$venv/bin/python"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$python" -c 'import kontext_engine' >/dev/null 2>&1; then
  echo "$python"
  exit 0
fi

command -v "$base_python" >/dev/null || fail "$base_python not found (set KONTEXT_ENGINE_PYTHON to a Python >= 3.11)"
"$base_python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || fail "$("$base_python" -V 2>&1) is too old: the engine needs Python >= 3.11 (set KONTEXT_ENGINE_PYTHON)"

mkdir -p "$(dirname "$venv")"
# One installer at a time per venv (concurrent test runs); the lock lives outside the work tree.
exec 9>"${TMPDIR:-/tmp}/kontext-engine-venv-$(printf '%s' "$venv" | sha256sum | cut -c1-16).lock"
if command -v flock >/dev/null; then flock 9; fi

# Another process may have finished the install while we waited for the lock.
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$python" -c 'import kontext_engine' >/dev/null 2>&1; then
  echo "$python"
  exit 0
fi

if ! "$python" -c 'import sys' >/dev/null 2>&1; then
  if [ -e "$venv" ] && [ ! -f "$venv/pyvenv.cfg" ] && [ -n "$(ls -A "$venv" 2>/dev/null)" ]; then
    fail "$venv exists and is not a virtual environment; remove it or set KONTEXT_ENGINE_VENV"
  fi
  echo "ensure-venv: creating $venv" >&2
  "$base_python" -m venv --clear "$venv" >&2 || fail "could not create a venv at $venv"
fi

# Keep the venv out of git (as `python -m venv` does itself from 3.13 on).
printf '*\n' >"$venv/.gitignore"
rm -f "$stamp"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off PIP_NO_INPUT=1
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pip}"
echo "ensure-venv: installing $requirements into $venv (pip cache: $PIP_CACHE_DIR)" >&2
"$python" -m pip install -q -r "$requirements" >&2 \
  || fail "pip install -r $requirements failed (see above); is PyPI reachable?"
"$python" -m pip install -q --no-deps --no-build-isolation -e "$engine" >&2 \
  || fail "pip install -e $engine failed (see above)"
"$python" -c 'import kontext_engine, torch, diffusers, transformers' >&2 \
  || fail "the installed environment does not import (see above)"
echo "$want" >"$stamp"
echo "ensure-venv: ready" >&2
echo "$python"
