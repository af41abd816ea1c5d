#!/usr/bin/env bash
# `make bench`: a Release build, then bench.py (with the file-trigger scenario of bench/file_trigger.py,
# about 15 minutes; --skip-file-trigger leaves it out); results in bench/RESULTS.md and bench/RESULTS.json.
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/install-deps.sh bench
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target latchwatch latchwatch-fabric-sim
python3 bench/bench.py --build build-bench "$@"
# Issue 22: key loss to the CloudEvent at a receiver and to the blob in Azurite.
(cd tests/support/node && npm ci --prefer-offline --no-audit --no-fund >/dev/null)
python3 bench/azure_channels.py --build build-bench
python3 bench/azure_channels.py --build build-bench --defaults --repeats 1
