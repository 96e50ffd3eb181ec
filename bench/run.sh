#!/usr/bin/env bash
# make bench: see bench/bench.py.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .cache/bench-venv/bin/python bench/bench.py "$@"
