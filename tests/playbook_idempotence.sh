#!/usr/bin/env bash
# site.yml on the local inventory, twice, into a temporary out dir and worker home:
# the first run must succeed, the second must report changed=0 and failed=0.
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
run() {
  .venv/bin/ansible-playbook -i inventories/local playbooks/site.yml -e "kubeforge_out_dir=$tmp/out" "${extra[@]}" \
    > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; echo "FAIL: site.yml exited non-zero" >&2; exit 1; }
  grep -A2 '^PLAY RECAP' "$tmp/run.log"
}

start=$(date +%s)
echo "== first run"
run
echo "== second run"
recap=$(run)
echo "$recap"
line=$(echo "$recap" | grep -E '^localhost +:')
if ! [[ "$line" =~ changed=0\  ]] || ! [[ "$line" =~ failed=0\  ]]; then
  cat "$tmp/run.log"
  echo "FAIL: the second run of site.yml was not idempotent: $line" >&2
  exit 1
fi
for f in ca.crt ca.key apiserver.crt etcd/ca.crt sa.key sa.pub; do
  test -s "$tmp/out/etc/kubernetes/pki/$f" || { echo "FAIL: $f missing" >&2; exit 1; }
done
echo "site.yml twice in $(( $(date +%s) - start )) s"
echo "idempotence: 2 passed, 0 failed"
