#!/usr/bin/env bash
# make bench: see bench/bench.py.
set -euo pipefail
cd "$(dirname "$0")/.."
export KUBEFORGE_KUBE_BIN="${KUBEFORGE_KUBE_BIN:-$PWD/.cache/kube/v1.34.10/bin}"
exec .cache/bench-venv/bin/python bench/bench.py "$@"
