#!/usr/bin/env bash
# Runs the Kontext benchmark and keeps its table and JSON. On a GPU machine without PyPI, first run
# fetch-wheels.sh where PyPI is reachable and bring <repo>/.whl along; they are installed into a
# scratch directory, not into the machine's environment.
#   gpu-worker/bench/run.sh                          # the full-size GPU run (about 7 minutes on an H100)
#   gpu-worker/bench/run.sh --tiny --device cpu      # the dry run
# Results go to $OUT (when set) or <repo>/bench-results: kontext-<time>.md (the table), .json and .log.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="${KONTEXT_BENCH_PYTHON:-python3}"
if [ -d "$repo/.whl" ] && ls "$repo"/.whl/*.whl >/dev/null 2>&1; then
  site="${TMPDIR:-/tmp}/kontext-bench-site"
  "$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" "$repo"/.whl/*.whl
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
results="${OUT:-$repo/bench-results}"
mkdir -p "$results"
stamp="$(date -u +%Y-%m-%dT%H-%M-%SZ)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv >&2 || true
PYTHONUNBUFFERED=1 "$python" "$repo/gpu-worker/bench/bench_kontext.py" --out "$results/kontext-$stamp.json" "$@" \
  2> >(tee "$results/kontext-$stamp.log" >&2) | tee "$results/kontext-$stamp.md"
