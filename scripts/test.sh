#!/usr/bin/env bash
# Installs every dependency, configures, builds (out of tree, in build/) and runs every test:
# the GoogleTest suites and the Python interoperability tests, all through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=${SPECMILL_JOBS:-$(nproc)}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"
cd build
ctest --output-on-failure -j"$jobs" --timeout 900
