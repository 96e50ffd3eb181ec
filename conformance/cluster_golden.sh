#!/usr/bin/env bash
# Regenerates worker/src/test/resources/golden/cluster/<config>/{kubeadm-config.yaml,objects.yaml}
# from the real kubeadm's dry run (root: a private mount namespace with a tmpfs over
# /etc/kubernetes, where kubeadm writes the CA and admin.conf its dry-run client reads; nothing
# reaches the host's /etc/kubernetes).
#   conformance/cluster_golden.sh [BIN_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-${KUBEFORGE_CACHE:-$here/../.cache}/kube/v1.34.10/bin}
py=${PYTHON:-$here/../.venv/bin/python}
if [ "${_KF_IN_NS:-}" != 1 ]; then
  exec env _KF_IN_NS=1 unshare --mount --propagation private "$0" "$bin"
fi
mkdir -p /etc/kubernetes && mount -t tmpfs tmpfs /etc/kubernetes
for name in single-stack dual-stack; do
  cfg=$here/configs/$name.yaml
  out=$here/../worker/src/test/resources/golden/cluster/$name
  work=$(mktemp -d)
  mkdir -p "$out"
  rm -rf /etc/kubernetes/*
  export KUBEADM_INIT_DRYRUN_DIR=/etc/kubernetes/dry
  mkdir -p "$KUBEADM_INIT_DRYRUN_DIR"
  "$bin/kubeadm" init phase certs ca --config "$cfg" >/dev/null
  "$bin/kubeadm" init phase kubeconfig admin --config "$cfg" --kubeconfig-dir "$KUBEADM_INIT_DRYRUN_DIR" >/dev/null
  cp /etc/kubernetes/pki/ca.crt "$out/ca.crt"
  for phase in "upload-config all" bootstrap-token "addon all"; do
    # shellcheck disable=SC2086
    "$bin/kubeadm" init phase $phase --dry-run --config "$cfg" > "$work/${phase// /_}.out"
  done
  cp "$cfg" "$out/kubeadm-config.yaml"
  "$py" "$here/dryrun_objects.py" "$out/objects.yaml" "$work/upload-config_all.out" "$work/bootstrap-token.out" "$work/addon_all.out"
  rm -rf "$work"
done
