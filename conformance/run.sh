#!/usr/bin/env bash
# `make conformance`: build the pinned Kubernetes/etcd binaries (cached) and the worker jar; for every
# config in conformance/configs/:
#   1. kubeadm writes its reference tree (twice: kubeadm_diff.py's own baseline must be empty),
#   2. the real worker jar writes our tree over HTTP (worker_tree.py, private mount namespace),
#   3. kubeadm_diff.py reference vs ours: every difference must be explained in allowed-differences.yaml,
#   4. a real control plane boots from the kubeadm tree AND from ours, every check must pass;
#   5. (CONFORMANCE_NODE_CONFIGS) a real node runs each tree: containerd + runc + the kubelet with
#      the tree's config.yaml / kubeadm-flags.env / kubelet.conf run the four static pods (node.py);
#      after the cluster half, a worker node in namespaces of its own joins it with the worker's
#      discovery and the kubelet's own TLS bootstrap (node_join.py); on both trees,
#      a second control plane joins by playbooks/join.yml, its static pods under its own kubelet
#      (node_join_cp.py), then playbooks/renew-certs.yml renews the tree under the kubelet (node_renew.py;
#      once per run, on the worker's tree, both control planes one at a time, then playbooks/rotate-ca.yml
#      rotates the kubernetes CA on both under their kubelets, then each CA of CONFORMANCE_ROTATE_ALSO on
#      its own, node_rotate.py);
# plus the worker's *IT Java classes against the same binaries (a skipped IT is a failure here).
#
# Env:
#   CONFORMANCE_CONFIGS     space-separated config names (default: all configs/*.yaml but *.fixture.yaml)
#   CONFORMANCE_ENCRYPTION  config:provider pairs whose worker tree also gets POST /v1/encryption-config
#                           wired into kube-apiserver (default "single-stack:secretbox")
#   CONFORMANCE_OUT         output folder (default <repo>/_out/conformance; wiped first)
#   CONFORMANCE_BUILD_DIR   maven build dir of the worker, relative to worker/ (default target-conf)
#   CONFORMANCE_JAR         use this worker jar instead of building one into worker/<build dir>
#   CONFORMANCE_SKIP_IT=1   do not run the *IT classes (counted as nothing, said loudly)
#   CONFORMANCE_NODE_CONFIGS configs whose two trees also run on a real node (node.py; default: every
#                           config of the run; empty: none)
#   CONFORMANCE_NODE_SIGKILL=0 skip node_sigkill.py (default: once, before the first node config's kubeadm node)
#   CONFORMANCE_LIFECYCLE=0 skip renewal_proof.py (with the SAN change) and ca_rotation_proof.py (default: both,
#                           each on a single-stack worker tree of its own)
#   CONFORMANCE_ROTATE_ALSO the CAs rotate-ca.yml rotates after the kubernetes CA on the two control planes
#                           (comma-separated: front-proxy, etcd, service-account; default "front-proxy": etcd
#                           takes 230-320 s more, service-account about 270 s, their restarts of etcd,
#                           kube-apiserver and kube-controller-manager, more than CI's budget has; empty: none)
#   CONFORMANCE_JOIN_CONFIGS configs (local etcd) whose worker control plane also gets a second control
#                           plane made by the join calls (join_proof.py; default "single-stack"; empty: none)
#   KUBEFORGE_CACHE         binary cache root, see build.sh
#   PYTHON                  python with PyYAML (default: <repo>/.venv/bin/python if it has it, else a
#                           venv made from conformance/requirements.txt under the cache)
# Needs root (unshare --net / --mount / --pid), openssl, iproute2 (ip), util-linux (unshare, mount),
# runc (node.py), java, mvn.
# Exit 0 only if every step passed. Last line: `conformance: N passed, N failed`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
t0=$(date +%s)
stamp() { echo "[conformance +$(( $(date +%s) - t0 ))s] $*"; }

bin="$("$here/build.sh" | tail -1)"
stamp "binaries: $bin"

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
declare -A node_configs=()
for n in ${CONFORMANCE_NODE_CONFIGS-${configs[*]}}; do node_configs["$n"]=1; done
rotate_also="${CONFORMANCE_ROTATE_ALSO-front-proxy}"
declare -A encryption=()
for pair in ${CONFORMANCE_ENCRYPTION-single-stack:secretbox}; do encryption["${pair%%:*}"]="${pair#*:}"; done

out="${CONFORMANCE_OUT:-$repo/_out/conformance}"
rm -rf "$out"; mkdir -p "$out"
passed=0; failed=0; status=0; sigkill_done=""; renew_both_done=""
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); status=1; }

# --- the worker jar, and its *IT classes in the background --------------------------------------
build_dir="${CONFORMANCE_BUILD_DIR:-target-conf}"
mvn_it_pid=""
if [[ -n "${CONFORMANCE_JAR:-}" ]]; then
  jar="$(cd "$(dirname "$CONFORMANCE_JAR")" && pwd)/$(basename "$CONFORMANCE_JAR")"
else
  jar="$repo/worker/$build_dir/kubeforge-worker.jar"
  if (cd "$repo/worker" && mvn -B -q -Dkf.buildDir="$build_dir" -DskipTests package) > "$out/mvn-package.log" 2>&1; then
    pass "worker jar builds ($jar)"
  else
    fail "worker jar does not build:"; tail -40 "$out/mvn-package.log"
  fi
fi
if [[ "${CONFORMANCE_SKIP_IT:-}" != 1 ]]; then
  rm -rf "$repo/worker/$build_dir/surefire-reports"
  # The ITs find the binaries through -Dkubeforge.kubeBin (TestControlPlane; KubeadmParityIT also
  # $KUBEADM_BIN), else <repo>/.cache/kube/v1.34.10/bin; -Dkubeforge.requireBinaries=true makes missing
  # binaries a failure instead of a skip. Independently of that, a skipped IT is counted as failed below.
  (cd "$repo/worker" && KUBEADM_BIN="$bin/kubeadm" mvn -B -q -Dkf.buildDir="$build_dir" -Dtest='*IT' \
      -Dsurefire.failIfNoSpecifiedTests=false -Dkubeforge.kubeBin="$bin" -Dkubeforge.requireBinaries=true \
      test) > "$out/mvn-it.log" 2>&1 &
  mvn_it_pid=$!
fi
stamp "worker jar: $jar"

# --- per config ------------------------------------------------------------------------------------
run_node() {  # run_node <label> <tree> <kubelet files> <work> [node.py options]: the tree's static pods under a real kubelet
  local label="$1" tree="$2" kfiles="$3" work="$4" rc p f t
  shift 4
  t=$(date +%s)
  set +e
  "$py" "$here/node.py" --bin "$bin" --tree "$tree" --kubelet-files "$kfiles" --work "$work" --images "$out/node-images" \
    --jar "$jar" "$@" 2>&1 \
    | tee "$work.out" | sed -u -n "s/^\(PASS\|FAIL\) /\1 [$label node] /p"
  rc=${PIPESTATUS[0]}
  set -e
  p=$(grep -c '^PASS ' "$work.out" || true)
  f=$(grep -c '^FAIL ' "$work.out" || true)
  passed=$((passed + p)); failed=$((failed + f))
  if (( rc != 0 )); then
    status=1
    (( f > 0 )) || failed=$((failed + 1))
    echo "conformance: [$label node] exited $rc (output: $work.out, logs: $work/logs)"
  fi
  stamp "$label: node $(( $(date +%s) - t ))s"
}

boot() {  # boot <label> <tree> <work> [controlplane.py options]
  local label="$1" tree="$2" work="$3" rc p f
  shift 3
  set +e
  "$py" "$here/controlplane.py" --bin "$bin" --tree "$tree" --work "$work" --netns "$@" 2>&1 \
    | tee "$work.out" | sed -u "s/^\(PASS\|FAIL\) /\1 [$label] /"
  rc=${PIPESTATUS[0]}
  set -e
  p=$(grep -c '^PASS ' "$work.out" || true)
  f=$(grep -c '^FAIL ' "$work.out" || true)
  passed=$((passed + p)); failed=$((failed + f))
  if (( rc != 0 )); then
    status=1
    (( f > 0 )) || failed=$((failed + 1))   # did not come up: count it
    echo "conformance: [$label] exited $rc (logs: $work/logs)"
  fi
}

for c in "${configs[@]}"; do
  echo "=================== conformance: $c ==================="
  d="$out/$c"; mkdir -p "$d"
  cfg="$here/configs/$c.yaml"
  kout=(); wout=()
  if [[ -n "${node_configs[$c]:-}" ]]; then
    kout=(--kubelet-out "$d/kubeadm-kubelet"); wout=(--kubelet-out "$d/worker-kubelet")
  fi
  if ! "$py" "$here/run_kubeadm_reference.py" --kubeadm "$bin/kubeadm" --config "$cfg" --out "$d/kubeadm-tree" \
       "${kout[@]}" >/dev/null; then
    fail "$c: kubeadm could not generate the reference tree"; continue
  fi
  # the diff tool's own baseline: a second kubeadm run of the same config differs in nothing it compares
  if "$py" "$here/run_kubeadm_reference.py" --kubeadm "$bin/kubeadm" --config "$cfg" --out "$d/kubeadm-tree-again" >/dev/null \
     && "$py" "$here/kubeadm_diff.py" "$d/kubeadm-tree" "$d/kubeadm-tree-again" > "$d/kubeadm-baseline.diff"; then
    pass "$c: kubeadm_diff finds no difference between two kubeadm runs"
  else
    fail "$c: kubeadm_diff between two kubeadm runs:"; cat "$d/kubeadm-baseline.diff"
  fi
  stamp "$c: kubeadm trees"

  enc=()
  [[ -n "${encryption[$c]:-}" ]] && enc=(--encryption "${encryption[$c]}")
  worker_ok=0
  if "$py" "$here/worker_tree.py" --jar "$jar" --config "$cfg" --out "$d/worker-tree" "${enc[@]}" "${wout[@]}" \
       >/dev/null 2> "$d/worker_tree.err"; then
    pass "$c: the worker writes its tree (pki, kubeconfigs, static-pods${enc:+, encryption-config ${encryption[$c]}}${wout:+, kubelet-config}), nothing outside /etc/kubernetes${wout:+ and /var/lib/kubelet}"
    worker_ok=1
  else
    fail "$c: the worker could not write its tree:"; cat "$d/worker_tree.err"
  fi
  stamp "$c: worker tree"

  if (( worker_ok )); then
    if "$py" "$here/kubeadm_diff.py" "$d/kubeadm-tree" "$d/worker-tree" --allow "$here/allowed-differences.yaml" \
         --config "$c" > "$d/kubeadm-vs-worker.diff"; then
      pass "$c: kubeadm tree vs worker tree: $(tail -1 "$d/kubeadm-vs-worker.diff")"
    else
      fail "$c: kubeadm tree vs worker tree: $(tail -1 "$d/kubeadm-vs-worker.diff")"
      grep -E '^(UNEXPLAINED|STALE) ' "$d/kubeadm-vs-worker.diff" || true
    fi
  fi

  if (( worker_ok )) && [[ -n "${node_configs[$c]:-}" ]]; then
    kdiff="$("$py" - "$d/kubeadm-kubelet" "$d/worker-kubelet" <<'EOF'
import sys, yaml
from pathlib import Path
a, b = Path(sys.argv[1]), Path(sys.argv[2])
for n in sorted({f.name for f in a.iterdir()} | {f.name for f in b.iterdir()}):
    fa, fb = a / n, b / n
    if not fa.exists() or not fb.exists():
        print(f"{n}: only in {'kubeadm' if fa.exists() else 'worker'}")
    elif n.endswith(".yaml") and yaml.safe_load(fa.read_text()) != yaml.safe_load(fb.read_text()):
        print(f"{n}: differs")
    elif not n.endswith(".yaml") and fa.read_text() != fb.read_text():
        print(f"{n}: differs")
EOF
)"
    if [[ -z "$kdiff" ]]; then
      pass "$c: kubelet files (config.yaml, kubeadm-flags.env, instance-config.yaml): the worker's equal kubeadm's"
    else
      fail "$c: kubelet files, kubeadm vs worker: $kdiff"
    fi
  fi

  # cluster half (issue 8): kubeadm's init phases on the kubeadm control plane, POST
  # /v1/cluster-bootstrap on the worker's, then the objects of both diffed (cluster_phase.py)
  kthen=(); wthen=()
  if [[ -d "$repo/worker/src/test/resources/golden/cluster/$c" ]]; then
    kthen=(--then "'$py' '$here/cluster_phase.py' kubeadm --bin '$bin' --config '$cfg' --dump '$d/cluster-kubeadm.json'")
    wthen=(--then "'$py' '$here/cluster_phase.py' worker --jar '$jar' --bin '$bin' --config '$cfg' --dump '$d/cluster-worker.json'")
  fi
  boot "$c kubeadm" "$d/kubeadm-tree" "$d/kubeadm-run" "${kthen[@]}"
  stamp "$c: kubeadm control plane"
  if (( worker_ok )); then
    boot "$c worker" "$d/worker-tree" "$d/worker-run" "${wthen[@]}"
    stamp "$c: worker control plane"
    if (( ${#kthen[@]} )); then
      if "$py" "$here/cluster_phase.py" diff "$d/cluster-kubeadm.json" "$d/cluster-worker.json" \
           --allow "$here/cluster-allowed-differences.yaml" --config "$c" > "$d/cluster-objects.diff"; then
        pass "$c: cluster objects, kubeadm vs cluster-bootstrap: $(tail -1 "$d/cluster-objects.diff")"
      else
        fail "$c: cluster objects, kubeadm vs cluster-bootstrap: $(tail -1 "$d/cluster-objects.diff")"
        grep -E '^(UNEXPLAINED|STALE) ' "$d/cluster-objects.diff" || true
      fi
    fi
  fi
  if [[ -n "${node_configs[$c]:-}" ]]; then
    # on the node: controlplane.py's checks on the kubelet-run control plane (node.py), then the cluster
    # half once (cluster_phase.py --node: mark-control-plane on the Node the kubelet registered) and
    # the taint proofs
    # (every node config, golden or not: the node's checks need the cluster objects)
    knode=(--then "'$py' '$here/cluster_phase.py' kubeadm --node --bin '$bin' --config '$cfg' --dump '$d/cluster-kubeadm-node.json'")
    wnode=(--then "'$py' '$here/cluster_phase.py' worker --node --jar '$jar' --bin '$bin' --config '$cfg' --dump '$d/cluster-worker-node.json'")
    killed=""
    if [[ "${CONFORMANCE_NODE_SIGKILL:-1}" == 1 && -z "$sigkill_done" ]]; then
      # once per run: node.py SIGKILLed while its pods run; the next start (the kubeadm node) cleans up
      killed="$d/kubeadm-node-killed"; sigkill_done=1
      set +e
      "$py" "$here/node_sigkill.py" --bin "$bin" --tree "$d/kubeadm-tree" --kubelet-files "$d/kubeadm-kubelet" \
        --work "$killed" --images "$out/node-images" > "$killed.check" 2>&1
      rc=$?
      set -e
      if (( rc != 0 )) && ! grep -q '^FAIL ' "$killed.check"; then
        fail "[$c node SIGKILL] node_sigkill.py exited $rc:"; tail -5 "$killed.check"
      fi
      while IFS= read -r line; do
        case "$line" in PASS*) pass "[$c node SIGKILL] ${line#PASS }";; FAIL*) fail "[$c node SIGKILL] ${line#FAIL }";; esac
      done < "$killed.check"
      stamp "$c: node SIGKILL"
    fi
    # on both trees a second control plane joins by playbooks/join.yml, then playbooks/renew-certs.yml
    # renews the tree under the kubelet (in place): our playbooks on kubeadm's cluster as on ours
    run_node "$c kubeadm" "$d/kubeadm-tree" "$d/kubeadm-kubelet" "$d/kubeadm-node" "${knode[@]}" --renew-config "$cfg" \
      --join-control-plane
    # once per run, on the worker's tree: renew-certs.yml rolls over both control planes, one at a time,
    # then rotate-ca.yml rotates the kubernetes CA on both (node_rotate.py)
    # (and the other CAs of CONFORMANCE_ROTATE_ALSO, each on its own)
    both=()
    if [[ -z "$renew_both_done" ]]; then
      both=(--renew-both --rotate-ca); renew_both_done=1
      [[ -z "$rotate_also" ]] || both+=(--rotate-also "$rotate_also")
    fi
    if [[ -n "$killed" ]] && ! grep '^PASS earlier run ' "$d/kubeadm-node.out" | grep -qF "work $killed)"; then
      fail "[$c kubeadm node] the start after the SIGKILL did not report the killed run's leftovers cleaned"
    fi
    if (( worker_ok )); then
      run_node "$c worker" "$d/worker-tree" "$d/worker-kubelet" "$d/worker-node" "${wnode[@]}" --renew-config "$cfg" \
        --join-control-plane "${both[@]}"
    fi
    left="$(ls -d /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/*/kf-join /sys/fs/cgroup/*/kf-cp2 2>/dev/null || true)"
    if [[ -z "$left" && ! -e "$killed/scratch" ]]; then
      pass "$c: after the nodes: no kubepods, kf-join or kf-cp2 cgroup${killed:+, no scratch of the killed run} left on the host"
    else
      fail "$c: after the nodes, left on the host: $left ${killed:+$(ls -d "$killed/scratch" 2>/dev/null)}"
    fi
    if (( worker_ok && ${#knode[@]} )); then
      if "$py" "$here/cluster_phase.py" diff "$d/cluster-kubeadm-node.json" "$d/cluster-worker-node.json" \
           --allow "$here/cluster-allowed-differences.yaml" --config "$c" > "$d/cluster-objects-node.diff"; then
        pass "$c: on the node, cluster objects (the kubelet-registered Node's labels and taints too), kubeadm vs cluster-bootstrap: $(tail -1 "$d/cluster-objects-node.diff")"
      else
        fail "$c: on the node, cluster objects, kubeadm vs cluster-bootstrap: $(tail -1 "$d/cluster-objects-node.diff")"
        grep -E '^(UNEXPLAINED|STALE) ' "$d/cluster-objects-node.diff" || true
      fi
    fi
  fi
done

# --- an invalid SAN: kubeadm refuses the config, so must the worker (nothing written by either) -----
d="$out/invalid-san"; mkdir -p "$d"
sed 's/^    - 192\.0\.2\.20$/    - "bad name!"/' "$here/configs/dual-stack.yaml" > "$d/config.yaml"
if ! grep -q '"bad name!"' "$d/config.yaml"; then
  fail "invalid SAN: could not make the config (configs/dual-stack.yaml changed?)"
else
  kubeadm_refused=0; worker_refused=0
  "$py" "$here/run_kubeadm_reference.py" --kubeadm "$bin/kubeadm" --config "$d/config.yaml" --out "$d/kubeadm-tree" \
      >/dev/null 2>"$d/kubeadm.err" || kubeadm_refused=1
  "$py" "$here/worker_tree.py" --jar "$jar" --config "$d/config.yaml" --out "$d/worker-tree" >/dev/null 2>"$d/worker.err" \
    || worker_refused=1
  written="$(find "$d/kubeadm-tree" "$d/worker-tree" \( -name '*.crt' -o -name '*.key' -o -name '*.conf' \) 2>/dev/null | head -3)"
  if (( kubeadm_refused && worker_refused )) && [[ -z "$written" ]] && grep -q 'config.invalid_san' "$d/worker.err"; then
    pass "invalid SAN \"bad name!\": kubeadm and the worker (400 config.invalid_san) both refuse, nothing written"
  else
    fail "invalid SAN: kubeadm refused=$kubeadm_refused worker refused=$worker_refused written=[$written]"
    tail -5 "$d/kubeadm.err" "$d/worker.err"
  fi
fi
stamp "invalid SAN"

# --- the certificate lifecycle on a running control plane: renewal and a SAN added after init, and a
# full CA rotation, each on a worker tree of its own (they replace its certificates) --------------------
if [[ "${CONFORMANCE_LIFECYCLE:-1}" == 1 ]]; then
  cfg="$here/configs/single-stack.yaml"
  for proof in renewal_proof ca_rotation_proof; do
    d="$out/$proof"; mkdir -p "$d"
    extra=""; [[ "$proof" == renewal_proof ]] && extra=" --config '$cfg'"
    if "$py" "$here/worker_tree.py" --jar "$jar" --config "$cfg" --out "$d/worker-tree" >/dev/null 2> "$d/worker_tree.err"; then
      boot "$proof" "$d/worker-tree" "$d/run" --then "'$py' '$here/$proof.py' --jar '$jar'$extra"
    else
      fail "$proof: the worker could not write its tree:"; cat "$d/worker_tree.err"
    fi
    stamp "$proof"
  done
else
  echo "conformance: lifecycle proofs NOT RUN (CONFORMANCE_LIFECYCLE=0)"
fi

# --- the worker's *IT classes ------------------------------------------------------------------------
if [[ -n "$mvn_it_pid" ]]; then
  echo "=================== conformance: worker *IT ==================="
  set +e; wait "$mvn_it_pid"; it_rc=$?; set -e
  reports="$repo/worker/$build_dir/surefire-reports"
  summary="$("$py" - "$reports" <<'EOF'
import sys, glob, xml.etree.ElementTree as ET
files = sorted(glob.glob(f"{sys.argv[1]}/TEST-*IT.xml"))
if not files:
    print("FAIL worker *IT: no surefire report (compilation failed or no IT ran)")
for f in files:
    for tc in ET.parse(f).getroot().iter("testcase"):
        name = f"{tc.get('classname').rsplit('.', 1)[-1]}.{tc.get('name')}"
        bad = next((c for c in tc if c.tag in ("failure", "error")), None)
        skip = tc.find("skipped")
        if bad is not None:
            print(f"FAIL worker IT {name}: {(bad.get('message') or bad.tag).splitlines()[0][:300]}")
        elif skip is not None:
            print(f"FAIL worker IT {name} was SKIPPED ({skip.get('message') or (skip.text or '').strip()[:200] or 'no reason given'}): it must run here")
        else:
            print(f"PASS worker IT {name} ({tc.get('time')}s)")
EOF
)"
  echo "$summary"
  passed=$((passed + $(grep -c '^PASS ' <<<"$summary" || true)))
  nfail=$(grep -c '^FAIL ' <<<"$summary" || true)
  failed=$((failed + nfail)); (( nfail == 0 )) || status=1
  if (( it_rc != 0 )); then
    status=1; (( nfail > 0 )) || { failed=$((failed + 1)); echo "FAIL worker *IT: mvn exited $it_rc"; }
    echo "mvn log: $out/mvn-it.log"; tail -30 "$out/mvn-it.log"
  fi
  stamp "worker *IT"
else
  echo "conformance: worker *IT NOT RUN (CONFORMANCE_SKIP_IT=1)"
fi

echo "conformance: ${configs[*]} in $(( $(date +%s) - t0 ))s"
echo "conformance: $passed passed, $failed failed"
exit $status
