#!/usr/bin/env bash
# make bench: see bench/bench.py and bench/cluster_calls.py.
set -euo pipefail
cd "$(dirname "$0")/.."
export KUBEFORGE_KUBE_BIN="${KUBEFORGE_KUBE_BIN:-${KUBEFORGE_CACHE:-$PWD/.cache}/kube/v1.34.10/bin}"
.cache/bench-venv/bin/python bench/bench.py "$@"
exec .cache/bench-venv/bin/python bench/cluster_calls.py
