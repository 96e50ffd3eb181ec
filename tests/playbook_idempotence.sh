#!/usr/bin/env bash
# site.yml on the local inventory, twice, into a temporary out dir and worker home: the first run
# must succeed and leave every file kubeadm init writes, the second must report changed=0 and
# failed=0. Then the same twice with kubeforge_kubeadm_config (inventories/sample/kubeadm-config.yaml)
# into a second out dir, whose fields must reach the files.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
export KUBEFORGE_HOME="$tmp/home"
export ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1
stop_worker() {
  if [ -f "$KUBEFORGE_HOME/endpoint" ]; then
    pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$KUBEFORGE_HOME/endpoint")
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap stop_worker EXIT

extra=()
[ -n "${KUBEFORGE_JAR:-}" ] && extra=(-e "kubeforge_worker_jar=$(realpath "$KUBEFORGE_JAR")")
book=site.yml
run() {  # run OUT_DIR [extra ansible-playbook args]: playbooks/$book
  local out=$1; shift
  .venv/bin/ansible-playbook -i inventories/local "playbooks/$book" -e "kubeforge_out_dir=$out" "${extra[@]}" "$@" \
    > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; echo "FAIL: $book exited non-zero" >&2; exit 1; }
  grep -A2 '^PLAY RECAP' "$tmp/run.log"
}
idempotent() {  # idempotent OUT_DIR [args]: the second run changes nothing
  local recap line
  recap=$(run "$@")
  echo "$recap"
  line=$(echo "$recap" | grep -E '^localhost +:')
  if ! [[ "$line" =~ changed=0\  ]] || ! [[ "$line" =~ failed=0\  ]]; then
    cat "$tmp/run.log"
    echo "FAIL: the second run of $book was not idempotent: $line" >&2
    exit 1
  fi
}
expect_files() {  # expect_files OUT_DIR: what kubeadm init writes, plus the encryption configuration
  local f
  for f in pki/ca.crt pki/ca.key pki/apiserver.crt pki/etcd/ca.crt pki/sa.key pki/sa.pub \
           admin.conf super-admin.conf controller-manager.conf scheduler.conf kubelet.conf \
           manifests/etcd.yaml manifests/kube-apiserver.yaml manifests/kube-controller-manager.yaml \
           manifests/kube-scheduler.yaml encryption/encryption-config.yaml; do
    test -s "$1/etc/kubernetes/$f" || { echo "FAIL: etc/kubernetes/$f missing" >&2; exit 1; }
  done
  for f in config.yaml kubeadm-flags.env instance-config.yaml; do
    test -s "$1/var/lib/kubelet/$f" || { echo "FAIL: var/lib/kubelet/$f missing" >&2; exit 1; }
  done
}

start=$(date +%s)
passed=0
echo "== first run"
run "$tmp/out"
expect_files "$tmp/out"
echo "== second run"
idempotent "$tmp/out"
passed=$((passed + 2))

book=renew-certs.yml
pki="$tmp/out/etc/kubernetes/pki"
old=$(openssl x509 -noout -serial -in "$pki/apiserver.crt")
echo "== renew-certs.yml: every certificate renewed, the manifests of the Pods using them rewritten"
recap=$(run "$tmp/out")
echo "$recap"
[ "$(openssl x509 -noout -serial -in "$pki/apiserver.crt")" != "$old" ] \
  || { echo "FAIL: apiserver.crt was not renewed" >&2; exit 1; }
openssl verify -CAfile "$pki/ca.crt" "$pki/apiserver.crt" >/dev/null \
  || { echo "FAIL: the renewed apiserver.crt does not verify against ca.crt" >&2; exit 1; }
for m in etcd kube-apiserver kube-controller-manager kube-scheduler; do
  grep -q 'kubeforge.io/certificates-hash: sha256:' "$tmp/out/etc/kubernetes/manifests/$m.yaml" \
    || { echo "FAIL: $m.yaml has no certificates-hash annotation" >&2; exit 1; }
done
echo "== renew-certs.yml with kubeforge_renew_before=720h: nothing is due"
idempotent "$tmp/out" -e kubeforge_renew_before=720h
passed=$((passed + 2))
book=site.yml

config=(-e "kubeforge_kubeadm_config=$(realpath inventories/sample/kubeadm-config.yaml)")
echo "== first run with kubeforge_kubeadm_config"
run "$tmp/yaml" "${config[@]}"
expect_files "$tmp/yaml"
grep -q '^    cluster: sample$' "$tmp/yaml/etc/kubernetes/admin.conf" \
  || { echo "FAIL: clusterName of kubeadm-config.yaml not in admin.conf" >&2; exit 1; }
grep -q -- '- 10.100.0.10$' "$tmp/yaml/var/lib/kubelet/config.yaml" \
  || { echo "FAIL: the kubelet's clusterDNS is not from the YAML's serviceSubnet" >&2; exit 1; }
grep -q -- '--advertise-address=127.0.0.1$' "$tmp/yaml/etc/kubernetes/manifests/kube-apiserver.yaml" \
  || { echo "FAIL: kubeforge_advertise_address did not override the YAML's advertiseAddress" >&2; exit 1; }
echo "== second run with kubeforge_kubeadm_config"
idempotent "$tmp/yaml" "${config[@]}"
passed=$((passed + 2))
echo "site.yml four times in $(( $(date +%s) - start )) s"
echo "idempotence: $passed passed, 0 failed"
