#!/usr/bin/env bash
# `make conformance`: build the pinned Kubernetes/etcd binaries (cached), let kubeadm write its
# reference tree for every config in conformance/configs/, and boot + check a real control plane
# from each tree inside a private network namespace.
#
# Env:
#   CONFORMANCE_CONFIGS  space-separated config names (default: all configs/*.yaml but *.fixture.yaml)
#   CONFORMANCE_OUT      output folder (default <repo>/_out/conformance; wiped first)
#   KUBEFORGE_CACHE      binary cache root, see build.sh
#   PYTHON               python with PyYAML (default: <repo>/.venv/bin/python if it has it, else a
#                        venv made from conformance/requirements.txt under the cache)
# Needs root (unshare --net), openssl, iproute2 (ip), util-linux (unshare).
# Exit 0 only if every config's control plane came up and passed every check.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
t0=$(date +%s)

bin="$("$here/build.sh" | tail -1)"

py="${PYTHON:-}"
if [[ -z "$py" ]]; then
  if [[ -x "$repo/.venv/bin/python" ]] && "$repo/.venv/bin/python" -c 'import yaml' 2>/dev/null; then
    py="$repo/.venv/bin/python"
  else
    venv="${KUBEFORGE_CACHE:-$repo/.cache}/conformance-venv"
    if ! "$venv/bin/python" -c 'import yaml' 2>/dev/null; then
      python3 -m venv "$venv"
      "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
    fi
    py="$venv/bin/python"
  fi
fi

if [[ -n "${CONFORMANCE_CONFIGS:-}" ]]; then
  read -r -a configs <<<"$CONFORMANCE_CONFIGS"
else
  configs=()
  for f in "$here"/configs/*.yaml; do
    n="$(basename "$f" .yaml)"; [[ "$n" == *.fixture ]] || configs+=("$n")
  done
fi

out="${CONFORMANCE_OUT:-$repo/_out/conformance}"
rm -rf "$out"; mkdir -p "$out"
passed=0; failed=0; status=0
for c in "${configs[@]}"; do
  echo "=================== conformance: $c ==================="
  if ! "$py" "$here/run_kubeadm_reference.py" --kubeadm "$bin/kubeadm" \
        --config "$here/configs/$c.yaml" --out "$out/$c/tree" >/dev/null; then
    echo "FAIL $c: kubeadm could not generate the reference tree"; failed=$((failed + 1)); status=1; continue
  fi
  # the diff tool's own baseline: a second kubeadm run of the same config differs in nothing it compares
  if "$py" "$here/run_kubeadm_reference.py" --kubeadm "$bin/kubeadm" --config "$here/configs/$c.yaml" \
        --out "$out/$c/tree-again" >/dev/null \
     && "$py" "$here/kubeadm_diff.py" "$out/$c/tree" "$out/$c/tree-again" > "$out/$c/kubeadm_diff.out"; then
    echo "PASS $c: kubeadm_diff finds no difference between two kubeadm runs"; passed=$((passed + 1))
  else
    echo "FAIL $c: kubeadm_diff between two kubeadm runs:"; cat "$out/$c/kubeadm_diff.out"; failed=$((failed + 1)); status=1
  fi
  set +e
  "$py" "$here/controlplane.py" --bin "$bin" --tree "$out/$c/tree" --work "$out/$c/run" --netns \
    2>&1 | tee "$out/$c/controlplane.out"
  rc=${PIPESTATUS[0]}
  set -e
  p=$(grep -c '^PASS ' "$out/$c/controlplane.out" || true)
  f=$(grep -c '^FAIL ' "$out/$c/controlplane.out" || true)
  passed=$((passed + p)); failed=$((failed + f))
  if (( rc != 0 )); then
    status=1
    (( f > 0 )) || failed=$((failed + 1))   # did not come up: count it
    echo "conformance: $c exited $rc (logs: $out/$c/run/logs)"
  fi
done
echo "conformance: ${configs[*]} in $(( $(date +%s) - t0 ))s"
echo "conformance: $passed passed, $failed failed"
exit $status
