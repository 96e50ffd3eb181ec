#!/usr/bin/env python3
"""kubeadm init's cluster half on a running control plane (run by controlplane.py --then).

    cluster_phase.py kubeadm --bin BIN --config CFG --dump OUT.json
    cluster_phase.py worker  --jar JAR --bin BIN --config CFG --dump OUT.json
    cluster_phase.py kubeadm|worker ... --node   (on node.py's kubelet-run control plane)
    cluster_phase.py diff KUBEADM.json WORKER.json --allow cluster-allowed-differences.yaml --config NAME

Both sides first register the Node a kubelet would (kf-node), then:
  kubeadm: the kubeadm:cluster-admins binding as kubeadm's EnsureAdminClusterRoleBinding makes it
           (see run_kubeadm), then the real `kubeadm init phase upload-config all`,
           `mark-control-plane`, `bootstrap-token`, `addon all` with --kubeconfig $KF_ETC/admin.conf;
  worker:  POST /v1/cluster-bootstrap (kubeadm_config = the config, kubeconfig_dir = $KF_ETC) twice:
           the second run must report changed=false and leave every resourceVersion as it was.
On both: anonymous may read cluster-info and nothing else; admin.conf may list Secrets in every
namespace. The dump holds the objects of the golden list (worker/src/test/resources/golden/cluster)
plus kubeadm:cluster-admins and the Node's labels/taints, normalised (uid, resourceVersion,
timestamps, managedFields, generation, status, jws-kubeconfig-* values dropped; the cluster's own
CA shown as <CA>). `diff` compares them field by field against the allow-list; a stale entry fails.
Worker mode then runs cluster_proofs.py (after the dump, the worker still up; kubeadm from --bin).
--node (node.py --then, where the kubelet registered the Node): the phases once, the access checks and
the dump; the second run and cluster_proofs.py ran on the process-run control plane of the same tree
(they take 30-50 s more per tree and nothing in them depends on who runs the components).
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster_proofs import Proofs, hosts_file  # noqa: E402
from controlplane import Client, KubeconfigIdentity  # noqa: E402
from worker_tree import Worker  # noqa: E402

HERE = Path(__file__).resolve().parent
GOLDEN = HERE.parent / "worker" / "src" / "test" / "resources" / "golden" / "cluster"
NODE = "kf-node"
PATHS = {  # kind -> (api prefix, plural)
    "ConfigMap": ("/api/v1", "configmaps"), "Service": ("/api/v1", "services"),
    "ServiceAccount": ("/api/v1", "serviceaccounts"), "Node": ("/api/v1", "nodes"),
    "Role": ("/apis/rbac.authorization.k8s.io/v1", "roles"),
    "RoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "rolebindings"),
    "ClusterRole": ("/apis/rbac.authorization.k8s.io/v1", "clusterroles"),
    "ClusterRoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings"),
    "Deployment": ("/apis/apps/v1", "deployments"), "DaemonSet": ("/apis/apps/v1", "daemonsets"),
}
results: list[bool] = []


def check(name: str, fn) -> None:
    try:
        detail = fn() or ""
        print(f"PASS {name}{': ' + detail if detail else ''}", flush=True)
        results.append(True)
    except Exception as e:  # noqa: BLE001
        print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
        results.append(False)


def url(kind: str, ns: str | None, name: str) -> str:
    prefix, plural = PATHS[kind]
    return f"{prefix}/{'namespaces/' + ns + '/' if ns else ''}{plural}/{name}"


def object_list(config: str) -> list[tuple[str, str | None, str]]:
    docs = yaml.safe_load_all((GOLDEN / config / "objects.yaml").read_text())
    out = [("ClusterRoleBinding", None, "kubeadm:cluster-admins")]
    out += [(d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]) for d in docs]
    return out + [("Node", None, NODE)]


def clients(etc: Path, scratch: Path) -> tuple[Client, Client, Client]:
    ident = KubeconfigIdentity(etc / "super-admin.conf", scratch)
    sup = ident.client()
    admin = KubeconfigIdentity(etc / "admin.conf", scratch).client()
    anon = Client(ident.ip, ident.port, None, cadata=ident.cadata, server_name=ident.server_name)
    return sup, admin, anon


def register_node(sup: Client) -> None:
    st, body = sup.request("POST", "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {
        "name": NODE, "labels": {"kubernetes.io/hostname": NODE}}})
    if st not in (201, 409):
        raise SystemExit(f"could not register Node {NODE}: HTTP {st} {body[:300]!r}")


def normalise(kind: str, obj: dict, ca_b64: str) -> dict:
    meta = obj.get("metadata", {})
    for k in ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation"):
        meta.pop(k, None)
    # written by the deployment controller, not by either tool, whenever it gets to the object
    meta.get("annotations", {}).pop("deployment.kubernetes.io/revision", None)
    if meta.get("annotations") == {}:
        meta.pop("annotations")
    obj.pop("status", None)
    if kind == "Node":  # registered by this harness; only what mark-control-plane sets is compared
        taints = [t for t in obj.get("spec", {}).get("taints", []) if not t["key"].startswith("node.kubernetes.io/")]
        return {"metadata": {"labels": meta.get("labels", {})}, "spec": {"taints": taints}}
    if kind == "ConfigMap" and meta.get("name") == "cluster-info":
        data = obj.get("data", {})
        for k in [k for k in data if k.startswith("jws-kubeconfig-")]:
            data.pop(k)
            data["jws-kubeconfig-<token id>"] = "<JWS of a generated token>"
        data["kubeconfig"] = re.sub(r"(server: https://[^\n]*):\d+\n", r"\1:<harness port>\n",
                                    data.get("kubeconfig", "").replace(ca_b64, "<CA>"))
    return obj


def wait_for_signature(sup: Client, seconds: float = 30) -> None:
    """The controller-manager's bootstrap signer adds jws-kubeconfig-<id> to cluster-info some
    seconds after a token exists; both sides are dumped once it has (or the bound has passed, and
    the missing signature shows as a difference)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        st, body = sup.request("GET", url("ConfigMap", "kube-public", "cluster-info"))
        if st == 200 and any(k.startswith("jws-kubeconfig-") for k in json.loads(body).get("data", {})):
            return
        time.sleep(0.5)


# the deployment and daemonset controllers write these objects' status and a revision annotation
# whenever they get to them, which moves resourceVersion; what the worker writes shows in generation
# (spec) and in the time and fields of its own managedFields entries (metadata too)
CONTROLLER_WRITTEN = {"Deployment", "DaemonSet"}


def write_mark(kind: str, meta: dict):
    if kind not in CONTROLLER_WRITTEN:
        return meta["resourceVersion"]
    ours = [(m.get("operation"), m.get("subresource", ""), m.get("time"), json.dumps(m.get("fieldsV1"), sort_keys=True))
            for m in meta.get("managedFields", []) if m.get("manager", "").startswith("kubeforge")]
    return json.dumps({"generation": meta.get("generation"), "kubeforge managedFields": ours}, sort_keys=True)


def dump(sup: Client, config: str, pki: Path) -> dict:
    wait_for_signature(sup)
    ca_b64 = base64.b64encode((pki / "ca.crt").read_bytes()).decode()
    out, rvs = {}, {}
    for kind, ns, name in object_list(config):
        st, body = sup.request("GET", url(kind, ns, name))
        key = f"{kind} {ns + '/' if ns else ''}{name}"
        if st != 200:
            out[key] = None
            continue
        obj = json.loads(body)
        rvs[key] = write_mark(kind, obj["metadata"])
        out[key] = normalise(kind, obj, ca_b64)
    return {"objects": out, "resourceVersions": rvs}


def access_checks(admin: Client, anon: Client) -> None:
    def anon_reads_cluster_info():
        st, _ = anon.request("GET", "/api/v1/namespaces/kube-public/configmaps/cluster-info")
        assert st == 200, f"HTTP {st}"
    check("anonymous can read kube-public/cluster-info", anon_reads_cluster_info)

    def anon_reads_nothing_else():
        for path in ("/api/v1/namespaces/kube-public/configmaps", "/api/v1/namespaces/kube-system/configmaps/kubeadm-config",
                     "/api/v1/secrets", "/api/v1/nodes", "/apis/rbac.authorization.k8s.io/v1/clusterroles"):
            st, _ = anon.request("GET", path)
            assert st == 403, f"GET {path}: HTTP {st}, want 403"
    check("anonymous can read nothing else (configmaps list, kubeadm-config, secrets, nodes, clusterroles: 403)",
          anon_reads_nothing_else)

    def admin_lists_secrets():
        st, body = admin.request("GET", "/api/v1/secrets")
        assert st == 200, f"HTTP {st} {body[:200]!r}"
        return f"{len(json.loads(body)['items'])} Secrets in all namespaces"
    check("admin.conf (kubeadm:cluster-admins) can list Secrets in every namespace", admin_lists_secrets)


def run_kubeadm(a, etc: Path, sup: Client) -> None:
    # kubeadm bootstraps kubeadm:cluster-admins only with its default --kubeconfig, and then dials
    # localAPIEndpoint (advertise address:6443), not the harness' port: the binding is created here,
    # exactly as EnsureAdminClusterRoleBinding creates it, and kubeadm gets --kubeconfig admin.conf.
    st, body = sup.request("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "kubeadm:cluster-admins"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "Group", "name": "kubeadm:cluster-admins"}]})
    assert st == 201, f"kubeadm:cluster-admins: HTTP {st} {body[:200]!r}"
    # mark-control-plane has no --kubeconfig: it runs in a private mount namespace whose
    # /etc/kubernetes is $KF_ETC, with a copy of the config whose bindPort is the harness' port
    # (kubeadm dials localAPIEndpoint to check kubeadm:cluster-admins; mark-control-plane itself
    # reads only nodeRegistration).
    port = urllib.parse.urlsplit(yaml.safe_load((etc / "admin.conf").read_text())["clusters"][0]["cluster"]["server"]).port
    marked = etc.parent / "mark-control-plane-config.yaml"
    marked.write_text(Path(a.config).read_text().replace("bindPort: 6443", f"bindPort: {port}"))
    for phase in ("upload-config all", "mark-control-plane", "bootstrap-token", "addon all"):
        if phase == "mark-control-plane":
            cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                   f"mkdir -p /etc/kubernetes && mount --bind '{etc}' /etc/kubernetes && exec '{a.bin}/kubeadm' init phase mark-control-plane "
                   f"--config '{marked}'"]
        else:
            cmd = [f"{a.bin}/kubeadm", "init", "phase", *phase.split(), "--config", a.config,
                   "--kubeconfig", str(etc / "admin.conf")]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        ok = p.returncode == 0
        results.append(ok)
        print(f"{'PASS' if ok else 'FAIL'} kubeadm init phase {phase}" + ("" if ok else ":\n" + p.stdout[-2000:]),
              flush=True)


def named_server(etc: Path, scratch: Path) -> tuple[Path, str]:
    """kubeforge's client does not take tls-server-name (controlplane.py's way to reach a
    controlPlaneEndpoint name that does not resolve): the worker then gets kubeconfigs with the name
    itself and runs in a mount namespace whose /etc/hosts maps the name to the advertise address."""
    java = os.environ.get("JAVA", "java")
    hosts = []
    out = scratch / "etc-kubernetes"
    out.mkdir(parents=True, exist_ok=True)
    for conf in ("admin.conf", "super-admin.conf"):
        kc = yaml.safe_load((etc / conf).read_text())
        for c in kc["clusters"]:
            name = c["cluster"].pop("tls-server-name", None)
            if name:
                u = urllib.parse.urlsplit(c["cluster"]["server"])
                hosts.append(f"{u.hostname} {name}")
                c["cluster"]["server"] = f"https://{name}:{u.port}"
        (out / conf).write_text(yaml.safe_dump(kc, sort_keys=False))
        (out / conf).chmod(0o600)
    if not hosts:
        return etc, java
    (scratch / "hosts").write_text(Path("/etc/hosts").read_text() + "\n" + "\n".join(sorted(set(hosts))) + "\n")
    wrapper = scratch / "java-with-hosts"
    wrapper.write_text(f"#!/bin/sh\nexec unshare --mount --propagation private sh -c "
                       f"'mount --bind {scratch / 'hosts'} /etc/hosts && exec {java} \"$@\"' java \"$@\"\n")
    wrapper.chmod(0o755)
    return out, str(wrapper)


def run_worker(a, etc: Path, sup: Client, config: str, pki: Path, w: Worker) -> None:
    calls: list = []
    body = {"kubeadm_config": Path(a.config).read_text(), "kubeconfig_dir": str(etc)}
    # the token Secret is bootstrap_token's (kubeadm's bootstrap-token phase makes one too)
    token_body = {"kubeconfig_dir": str(etc)}
    w.post("/v1/bootstrap-token", token_body, calls)
    t0 = time.monotonic()
    first = w.post("/v1/cluster-bootstrap", body, calls)
    t1 = time.monotonic()
    acts = {o["action"] for o in first["result"]["objects"]}
    check("cluster-bootstrap: first run applies every object", lambda: (
        None if first["changed"] else (_ for _ in ()).throw(AssertionError("changed=false"))) or
        f"{len(first['result']['objects'])} objects ({', '.join(sorted(acts))}) in {t1 - t0:.1f}s")
    if a.node:
        (Path(a.dump).parent / f"{Path(a.dump).stem}-calls.json").write_text(json.dumps(calls, indent=1))
        return
    before = dump(sup, config, pki)["resourceVersions"]
    dry = w.post("/v1/cluster-bootstrap", dict(body, dry_run=True), calls)
    second = w.post("/v1/cluster-bootstrap", body, calls)
    after = dump(sup, config, pki)["resourceVersions"]

    def idempotent():
        assert not second["changed"], "second run changed=true: " + json.dumps(
            [o for o in second["result"]["objects"] if o["action"] != "unchanged"])
        assert not dry["changed"], "check-mode run after the first reports changed=true"
        # the Node is also written by the controller-manager's node lifecycle controller (taints,
        # status of a Node without kubelet); for it the second run's "unchanged" is the proof
        moved = {k: (v, after.get(k)) for k, v in before.items() if after.get(k) != v and not k.startswith("Node ")}
        assert not moved, f"written between the runs: {moved}"
        return (f"{len(before) - 1} objects not written (resourceVersion; Deployment, DaemonSet: generation and "
                f"kubeforge's managedFields; Node: action unchanged), {len(second['result']['objects'])} objects unchanged")
    check("cluster-bootstrap: second run (and check mode) changed=false, no write", idempotent)
    (Path(a.dump).parent / "cluster-bootstrap-calls.json").write_text(json.dumps(calls, indent=1))


def do_diff(a) -> int:
    ref = json.loads(Path(a.reference).read_text())["objects"]
    cand = json.loads(Path(a.candidate).read_text())["objects"]
    lines: list[str] = []

    def walk(prefix: str, x, y) -> None:
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y)):
                walk(f"{prefix}.{k}" if prefix else k, x.get(k, "<absent>"), y.get(k, "<absent>"))
        elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for i, (xi, yi) in enumerate(zip(x, y)):
                walk(f"{prefix}[{i}]", xi, yi)
        elif x != y:
            lines.append(f"{prefix}: kubeadm={json.dumps(x)} kubeforge={json.dumps(y)}")

    for key in sorted(set(ref) | set(cand)):
        before = len(lines)
        walk("", ref.get(key, "<absent>"), cand.get(key, "<absent>"))
        lines[before:] = [f"DIFF {key}: {ln}" for ln in lines[before:]]
    allowed = [e for e in (yaml.safe_load(Path(a.allow).read_text()) or [])
               if "*" in e["configs"] or a.config in e["configs"]]
    for e in allowed:
        e["rx"] = re.compile(".*".join(re.escape(p) for p in e["line"].split("*")))
        e["used"] = False
    unexplained = 0
    for ln in lines:
        hit = next((e for e in allowed if e["rx"].fullmatch(ln)), None)
        if hit:
            hit["used"] = True
            print(f"EXPLAINED {ln}  # {hit['reason']}")
        else:
            unexplained += 1
            print(f"UNEXPLAINED {ln}")
    stale = [e for e in allowed if not e["used"]]
    for e in stale:
        print(f"STALE allow-list entry matched nothing for {a.config}: {e['line']}")
    print(f"{len(ref)} objects compared: {len(lines)} differences, {len(lines) - unexplained} explained, "
          f"{unexplained} unexplained, {len(stale)} stale allow-list entries")
    return 0 if unexplained == 0 and not stale else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["kubeadm", "worker", "diff"])
    ap.add_argument("reference", nargs="?")
    ap.add_argument("candidate", nargs="?")
    ap.add_argument("--bin")
    ap.add_argument("--jar")
    ap.add_argument("--config", help="config file (kubeadm/worker) or config name (diff)")
    ap.add_argument("--dump")
    ap.add_argument("--allow")
    ap.add_argument("--node", action="store_true",
                    help="on a kubelet-run control plane: the phases once, access checks, dump (no second run, no proofs)")
    a = ap.parse_args()
    if a.mode == "diff":
        return do_diff(a)
    etc, pki = Path(os.environ["KF_ETC"]), Path(os.environ["KF_PKI"])
    name = Path(a.config).stem
    scratch = Path(tempfile.mkdtemp(prefix="kf-cluster-"))
    try:
        return run(a, etc, pki, name, scratch)
    finally:
        # decoded client keys, the worker's home (token), the proofs' node key and join config
        if (scratch / "worker.log").exists():
            shutil.copyfile(scratch / "worker.log", Path(a.dump).parent / ("cluster-worker-node.log" if a.node
                                                                           else "cluster-worker.log"))
        shutil.rmtree(scratch, ignore_errors=True)


def run(a, etc: Path, pki: Path, name: str, scratch: Path) -> int:
    sup, admin, anon = clients(etc, scratch)
    if not a.node:  # on a node the kubelet registers it
        register_node(sup)
    if a.mode == "kubeadm":
        run_kubeadm(a, etc, sup)
        access_checks(admin, anon)
        Path(a.dump).write_text(json.dumps(dump(sup, name, pki), indent=1, sort_keys=True))
        return 0 if all(results) else 1
    named, java = named_server(etc, scratch)
    w = Worker(java, Path(a.jar), scratch / "home", scratch / "worker.log")
    try:
        run_worker(a, named, sup, name, pki, w)
        access_checks(admin, anon)
        Path(a.dump).write_text(json.dumps(dump(sup, name, pki), indent=1, sort_keys=True))
        if a.node:
            return 0 if all(results) else 1
        # after the dump, so that nothing they add can show in the object diff
        # the second control plane (join_proof.py) on local-etcd configs named in CONFORMANCE_JOIN_CONFIGS
        joins = os.environ.get("CONFORMANCE_JOIN_CONFIGS", "single-stack").split()
        join = (os.environ["KF_ETCD"], Path(a.dump).parent / "join-logs") if (
            name in joins and os.environ.get("KF_ETCD")) else None
        if join:
            join[1].mkdir(parents=True, exist_ok=True)
        proofs = Proofs(w, sup, named, pki, Path(a.bin), scratch, hosts_file(scratch), Path(a.config).read_text(), check,
                        join)
        try:
            proofs.run()
        finally:
            (Path(a.dump).parent / "cluster-proofs-calls.json").write_text(json.dumps(proofs.calls, indent=1))
    finally:
        w.stop()
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
