#!/usr/bin/env bash
# Regenerates worker/src/test/resources/golden/cluster/<config>/{kubeadm-config.yaml,objects.yaml}
# from the real kubeadm's dry run (root: a private mount namespace with a tmpfs over
# /etc/kubernetes, where kubeadm writes the CA and admin.conf its dry-run client reads; nothing
# reaches the host's /etc/kubernetes). kubeadm runs with none of the caller's *_proxy variables;
# single-stack-proxy-env is the single-stack config run with the variables of its `environment`
# file (kubeadm passes them on to kube-proxy's DaemonSet). Each run makes a new CA, so name the
# goldens to regenerate (default: all).
#   conformance/cluster_golden.sh [BIN_DIR [GOLDEN...]]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-${KUBEFORGE_CACHE:-$here/../.cache}/kube/v1.34.10/bin}
py=${PYTHON:-$here/../.venv/bin/python}
if [ "${_KF_IN_NS:-}" != 1 ]; then
  exec env _KF_IN_NS=1 unshare --mount --propagation private "$0" "$bin" "${@:2}"
fi
all=(single-stack dual-stack external-etcd single-stack-proxy-env:single-stack)
wanted=("${@:2}")
mkdir -p /etc/kubernetes && mount -t tmpfs tmpfs /etc/kubernetes
while read -r var; do unset "$var"; done < <(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*_[Pp][Rr][Oo][Xx][Yy]\)=.*/\1/p')
for spec in "${all[@]}"; do
  name=${spec%%:*}
  if [ ${#wanted[@]} -gt 0 ] && ! printf '%s\n' "${wanted[@]}" | grep -qx "$name"; then continue; fi
  cfg=$here/configs/${spec##*:}.yaml
  out=$here/../worker/src/test/resources/golden/cluster/$name
  work=$(mktemp -d)
  mkdir -p "$out"
  rm -rf /etc/kubernetes/*
  proxy_env=()
  if [ -f "$out/environment" ]; then mapfile -t proxy_env < <(grep -v '^#' "$out/environment"); fi
  export KUBEADM_INIT_DRYRUN_DIR=/etc/kubernetes/dry
  mkdir -p "$KUBEADM_INIT_DRYRUN_DIR"
  "$bin/kubeadm" init phase certs ca --config "$cfg" >/dev/null
  "$bin/kubeadm" init phase kubeconfig admin --config "$cfg" --kubeconfig-dir "$KUBEADM_INIT_DRYRUN_DIR" >/dev/null
  cp /etc/kubernetes/pki/ca.crt "$out/ca.crt"
  for phase in "upload-config all" bootstrap-token "addon all"; do
    # shellcheck disable=SC2086
    env "${proxy_env[@]}" "$bin/kubeadm" init phase $phase --dry-run --config "$cfg" > "$work/${phase// /_}.out"
  done
  cp "$cfg" "$out/kubeadm-config.yaml"
  "$py" "$here/dryrun_objects.py" "$out/objects.yaml" "$work/upload-config_all.out" "$work/bootstrap-token.out" "$work/addon_all.out"
  rm -rf "$work"
done
