#!/usr/bin/env bash
# Downloads the wheels the GPU benchmark needs beyond what a stock CUDA PyTorch image holds (diffusers,
# torchao and what diffusers adds), for CPython 3.12 on x86-64 Linux, into <repo>/.whl, for machines that
# cannot reach PyPI themselves. run.sh installs them from there. Torch itself is not fetched: the
# benchmark uses the machine's CUDA build.
#   KONTEXT_BENCH_PYTHON_VERSION  target CPython (default 3.12)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
target="$repo/.whl"
version="${KONTEXT_BENCH_PYTHON_VERSION:-3.12}"
mkdir -p "$target"
for spec in diffusers==0.42.1 torchao==0.17.0 importlib_metadata==8.7.0; do
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version "$version" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d "$target" "$spec"
done
ls -1 "$target"
