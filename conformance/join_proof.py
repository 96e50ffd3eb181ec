"""A second control plane made only through the join calls, beside the worker's first (cluster_proofs.py).

Inside the first control plane's network namespace, with its worker still up, after the download-certs
proof (its token and certificate key):

  1. lo gets JOIN_IP; a tree under the scratch folder (pki/, kubeconfigs, manifests/, etcd data) is
     made by POST /v1/discovery (token discovery pinned by the first's ca_cert_hash; writes
     bootstrap-kubelet.conf and pki/ca.crt) -> /v1/download-certs (with bootstrap-kubelet.conf) ->
     /v1/pki -> /v1/kubeconfigs -> /v1/static-pods with etcd_join.endpoints = the first etcd's client
     URL, each with kubeadm_config = a JoinConfiguration (node JOIN_NODE, advertise JOIN_IP) plus the
     first's ClusterConfiguration. The static-pods call adds the member as a learner, writes etcd.yaml
     and waits to promote it (then reads through the quorum that now counts it); meanwhile this
     script does what the kubelet would: it starts etcd from etcd.yaml (command verbatim, argv[0] the built binary; ports are kubeadm's defaults, free in the
     namespace since the first control plane's were moved), then kube-apiserver from its manifest;
  2. checks: two voting members; a ConfigMap written through the first API server before the join is
     read through the second; objects written through either API server are read through the other
     with the same uid and resourceVersion; every certificate of the second tree verifies against the
     first's CA files (openssl verify), whose bytes it holds; a second static-pods call is changed=false
     with the member "present"; the joining etcd.yaml equals what the real `kubeadm join phase
     etcd-join` renders for the same node against the same cluster (see kubeadm_etcd);
  3. cleanup, so the first control plane keeps its quorum: the second API server stopped, the member
     removed through the first etcd (as kubeadm reset does), the second etcd stopped.
"""
from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import shlex
import ssl
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

import yaml

from controlplane import Client, KubeconfigIdentity, Supervisor, load_command

JOIN_IP = "192.0.2.11"
JOIN_NODE = "kf-cp2"
ETCD_JOIN_TIMEOUT = 60


def etcd_call(url: str, path: str, body: dict, pki: Path) -> dict:
    """etcd's v3 JSON gateway with the tree's apiserver-etcd-client certificate."""
    u = urllib.parse.urlsplit(url)
    c = Client(u.hostname, u.port, str(pki / "etcd" / "ca.crt"),
               cert=(str(pki / "apiserver-etcd-client.crt"), str(pki / "apiserver-etcd-client.key")))
    st, data = c.request("POST", path, body)
    if st != 200:
        raise AssertionError(f"etcd {path}: HTTP {st} {data[:300]!r}")
    return json.loads(data)


class JoinProof:
    def __init__(self, proofs, first_etcd: str, logs: Path):
        self.p = proofs
        self.first_etcd = first_etcd
        self.logs = logs
        self.d = Path(tempfile.mkdtemp(dir=proofs.scratch, prefix="join-"))
        self.etc, self.pki, self.man = self.d / "etc-kubernetes", self.d / "etc-kubernetes" / "pki", self.d / "manifests"
        self.data = self.d / "var-lib-etcd"
        self.sup = Supervisor(logs)
        self.took: dict[str, float] = {}
        # encryption at rest on the first: every API server of the cluster needs the same
        # EncryptionConfiguration (kubeadm has no phase for it; an operator copies it), or the second
        # cannot read the Secrets the first wrote
        first = Path(os.environ.get("KF_ETC", "/nonexistent")) / "encryption" / "encryption-config.yaml"
        self.encryption = None
        if first.exists():
            self.encryption = self.etc / "encryption" / "encryption-config.yaml"
            self.encryption.parent.mkdir(parents=True, mode=0o700)
            shutil.copy2(first, self.encryption)
        self.results: dict[str, dict] = {}

    # ------------------------------------------------------------------------------------------
    def config(self, token: dict) -> str:
        docs = [d for d in yaml.safe_load_all(self.p.config_text) if d and d.get("kind") == "ClusterConfiguration"]
        join = {"apiVersion": "kubeadm.k8s.io/v1beta4", "kind": "JoinConfiguration",
                "discovery": {"bootstrapToken": {"apiServerEndpoint": f"{self.p.sup.ip}:{self.p.sup.port}",
                                                 "token": token["token"], "caCertHashes": [token["ca_cert_hash"]]}},
                "nodeRegistration": {"name": JOIN_NODE, "criSocket": "unix:///var/run/containerd/containerd.sock"},
                "controlPlane": {"localAPIEndpoint": {"advertiseAddress": JOIN_IP, "bindPort": 6443}}}
        return yaml.safe_dump_all([join, *docs], sort_keys=False)

    def paths(self) -> dict:
        p = {"cert_dir": str(self.pki), "kubeconfig_dir": str(self.etc), "manifest_dir": str(self.man),
             "etcd_data_dir": str(self.data)}
        if self.encryption:
            p["encryption_config_path"] = str(self.encryption)
        return p

    def post(self, path: str, body: dict) -> dict:
        from cluster_proofs import ok
        t0 = time.monotonic()
        r = ok(self.p.w, path, body, self.p.calls)
        self.took[path] = self.took.get(path, 0) + time.monotonic() - t0
        return r

    def static_pods(self, cfg: str) -> dict:
        from cluster_proofs import call
        st, resp = call(self.p.w, "/v1/static-pods", dict(self.paths(), kubeadm_config=cfg, etcd_join={
            "endpoints": [self.first_etcd], "timeout": ETCD_JOIN_TIMEOUT}), self.p.calls)
        if st != 200:
            raise AssertionError(f"POST /v1/static-pods: HTTP {st}: {json.dumps(resp)[:800]}")
        return resp

    def start(self, name: str, manifest: Path, binary: str):
        cmd = load_command(manifest)
        return self.sup.start(name, [str(self.p.bin / binary), *cmd[1:]])

    # ------------------------------------------------------------------------------------------
    def join(self, token: dict, upload: dict) -> str:
        """The chain of join calls; etcd and kube-apiserver started from the manifests as they appear."""
        self.first_ip = self.p.sup.ip
        subprocess.run(["ip", "addr", "add", f"{JOIN_IP}/32", "dev", "lo"], check=True, capture_output=True)
        self.source_routes(swap=True)
        t0 = time.monotonic()
        cfg = self.config(token)
        self.cfg = cfg
        disc = self.post("/v1/discovery", {"api_server_endpoint": f"{self.p.sup.ip}:{self.p.sup.port}",
                                           "token": token["token"], "ca_cert_hashes": [token["ca_cert_hash"]],
                                           "kubeconfig_dir": str(self.etc), "cert_dir": str(self.pki), "timeout": 20})
        assert disc["ca_cert_hash"] == token["ca_cert_hash"], disc["ca_cert_hash"]
        self.post("/v1/download-certs", {"kubeconfig": str(self.etc / "bootstrap-kubelet.conf"),
                                         "certificate_key": upload["certificate_key"], "cert_dir": str(self.pki)})
        self.post("/v1/pki", dict(self.paths(), kubeadm_config=cfg))
        self.post("/v1/kubeconfigs", dict(self.paths(), kubeadm_config=cfg))
        self.before = self.p.sup.json("POST", "/api/v1/namespaces/default/configmaps", {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kf-written-before-join"},
            "data": {"by": "the first API server"}}, expect=(201,))
        t1 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            fut = ex.submit(self.static_pods, cfg)
            deadline = time.monotonic() + ETCD_JOIN_TIMEOUT
            while not (self.man / "etcd.yaml").exists():  # the kubelet's part: run what appears
                if fut.done() or time.monotonic() > deadline:
                    fut.result()
                    raise AssertionError("static-pods returned without writing etcd.yaml")
                time.sleep(0.1)
            etcd = self.start("etcd-" + JOIN_NODE, self.man / "etcd.yaml", "etcd")
            first = fut.result(timeout=ETCD_JOIN_TIMEOUT + 30)
        t2 = time.monotonic()
        assert etcd.alive(), f"the joining etcd exited:\n{etcd.tail()}"
        self.results["first"] = first
        member = first["result"]["etcd_member"]
        assert first["changed"] and member["action"] == "added" and member["promoted"], json.dumps(member)
        assert member["quorum"] is True, f"no quorum read after the promotion: {json.dumps(member)}"
        api = self.start("kube-apiserver-" + JOIN_NODE, self.man / "kube-apiserver.yaml", "kube-apiserver")
        self.api2 = KubeconfigIdentity(self.etc / "admin.conf", self.d / "ids").client()
        assert (self.api2.ip, self.api2.port) == (JOIN_IP, 6443), (self.api2.ip, self.api2.port)
        until_ready(self.api2, api)
        t3 = time.monotonic()
        cmd = load_command(self.man / "etcd.yaml")
        flags = {a.split("=", 1)[0]: a.split("=", 1)[1] for a in cmd[1:] if "=" in a}
        return (f"{', '.join(f'{k} {v:.1f}s' for k, v in self.took.items())}; static-pods (add learner, write, "
                f"promote once started) {t2 - t1:.1f}s; second API server ready {t3 - t2:.1f}s; total {t3 - t0:.1f}s; "
                f"--initial-cluster={flags.get('--initial-cluster')} --initial-cluster-state="
                f"{flags.get('--initial-cluster-state')}")

    def members(self) -> str:
        ms = etcd_call(self.first_etcd, "/v3/cluster/member/list", {}, self.p.pki)["members"]
        names = sorted(m.get("name", "") for m in ms)
        assert names == sorted(["kf-node", JOIN_NODE]) or len(ms) == 2 and JOIN_NODE in names, names
        assert len(ms) == 2, f"{len(ms)} members: {ms}"
        learners = [m["name"] for m in ms if m.get("isLearner")]
        assert not learners, f"still learners: {learners}"
        local = json.loads(self.api2.request("GET", "/api/v1/namespaces/default/configmaps/kf-written-before-join")[1])
        assert local.get("metadata", {}).get("uid") == self.before["metadata"]["uid"], local
        return (f"members {', '.join(m['name'] + '=' + m['peerURLs'][0] for m in ms)}, none a learner; "
                f"kf-written-before-join (uid {self.before['metadata']['uid'][:8]}) read through {JOIN_IP}:6443")

    def same_objects(self) -> str:
        out = []
        for writer, reader, name in ((self.api2, self.p.sup, "kf-written-on-second"),
                                     (self.p.sup, self.api2, "kf-written-on-first")):
            made = writer.json("POST", "/api/v1/namespaces/default/configmaps", {
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": name}},
                expect=(201,))
            got = reader.json("GET", f"/api/v1/namespaces/default/configmaps/{name}")
            for k in ("uid", "resourceVersion"):
                assert got["metadata"][k] == made["metadata"][k], f"{name} {k}: {got['metadata'][k]} != {made['metadata'][k]}"
            out.append(f"{name} rv {made['metadata']['resourceVersion']}")
        a = {i["metadata"]["name"] for i in self.p.sup.json("GET", "/api/v1/namespaces/kube-system/secrets")["items"]}
        b = {i["metadata"]["name"] for i in self.api2.json("GET", "/api/v1/namespaces/kube-system/secrets")["items"]}
        assert a == b, f"kube-system Secrets differ: {sorted(a ^ b)}"
        return "; ".join(out) + f"; the same {len(a)} Secrets in kube-system through both"

    def signed_by_first(self) -> str:
        from cluster_proofs import openssl
        shared = ["ca.crt", "front-proxy-ca.crt", "etcd/ca.crt", "sa.pub"]
        differ = [f for f in shared if (self.pki / f).read_bytes() != (self.p.pki / f).read_bytes()]
        assert not differ, f"not the first's bytes: {differ}"
        issuers = {"front-proxy-client.crt": "front-proxy-ca.crt"}
        verified = []
        for crt in sorted(self.pki.rglob("*.crt")):
            rel = str(crt.relative_to(self.pki))
            if rel in shared:
                continue
            ca = issuers.get(rel, "etcd/ca.crt" if rel.startswith("etcd/") or rel == "apiserver-etcd-client.crt" else "ca.crt")
            v = openssl("verify", "-CAfile", str(self.p.pki / ca), str(crt))
            assert v.stdout.strip().endswith(": OK"), v.stdout
            verified.append(f"{rel}<-{ca}")
        for conf in ("admin.conf", "controller-manager.conf", "scheduler.conf"):
            ident = KubeconfigIdentity(self.etc / conf, self.d / "ids")
            v = openssl("verify", "-CAfile", str(self.p.pki / "ca.crt"), str(ident.cert))
            assert v.stdout.strip().endswith(": OK"), v.stdout
            verified.append(f"{conf}<-ca.crt")
        return f"{len(verified)} verified ({', '.join(verified)}); {', '.join(shared)} byte-equal to the first's"

    def second_run(self) -> str:
        before = {f.name: f.stat().st_mtime_ns for f in self.man.iterdir()}
        r = self.static_pods(self.cfg)
        after = {f.name: f.stat().st_mtime_ns for f in self.man.iterdir()}
        m = r["result"]["etcd_member"]
        assert not r["changed"], json.dumps(r["result"])[:600]
        assert m["action"] == "present" and not m["promoted"] and not m["learner"] and m["quorum"] is True, m
        assert before == after, "a manifest was rewritten"
        acts = {x["name"]: x["action"] for x in r["result"]["manifests"]}
        assert set(acts.values()) == {"kept"}, acts
        return f"changed=false, etcd_member action present, {len(acts)} manifests kept"

    def kubeadm_etcd(self) -> str:
        """The real kubeadm renders the joining etcd.yaml for the same node against the same cluster:
        `kubeadm join phase etcd-join` (in 1.34 `control-plane-join etcd` runs only with the Beta,
        on-by-default gate ControlPlaneKubeletLocalMode off; both call CreateStackedEtcdStaticPodManifestFile)
        in a private mount namespace (/etc an overlay,
        /etc/kubernetes = a folder with the second tree's pki/ and admin.conf). kubeadm finds the etcd
        endpoints in the etcd Pods' advertise-client-urls annotation, which the kubelet's mirror Pods
        carry; no kubelet runs here, so the two mirror Pods are created as the kubelet would. The member
        is present (our join added and promoted it): kubeadm, like us, adds nothing, lists the members,
        promotes nothing and checks the cluster. Its certificatesDir and dataDir are the cluster's
        (/etc/kubernetes/pki, /var/lib/etcd, from kubeadm-config), ours the scratch paths: compared
        after mapping those two prefixes, the Pod field by field."""
        sup = self.p.sup
        for node, url in (("kf-node", self.first_etcd), (JOIN_NODE, f"https://{JOIN_IP}:2379")):
            sup.json("POST", "/api/v1/namespaces/kube-system/pods", {
                "apiVersion": "v1", "kind": "Pod", "metadata": {
                    "name": f"etcd-{node}", "namespace": "kube-system",
                    "labels": {"component": "etcd", "tier": "control-plane"},
                    "annotations": {"kubeadm.kubernetes.io/etcd.advertise-client-urls": url,
                                    "kubernetes.io/config.mirror": "kf-conformance"}},
                "spec": {"nodeName": node, "containers": [{"name": "etcd", "image": "registry.k8s.io/etcd:3.6.5-0"}]}},
                expect=(201, 409))
        d = self.d / "kubeadm"
        out = d / "etc-kubernetes"
        (out / "manifests").mkdir(parents=True)
        shutil.copytree(self.pki, out / "pki")
        shutil.copy2(self.etc / "admin.conf", out / "admin.conf")
        join = d / "join.yaml"
        text = self.cfg.split("\n---\n")[0] if "\n---\n" in self.cfg else self.cfg
        jc = yaml.safe_load(text)
        jc["timeouts"] = {"discovery": "20s", "etcdAPICall": "30s"}
        join.write_text(yaml.safe_dump(jc, sort_keys=False))
        join.chmod(0o600)
        t0 = time.monotonic()
        p = self.kubeadm_in_mountns(d, out, ["join", "phase", "etcd-join", "--config", str(join),
                                             "-v=1"])
        took = time.monotonic() - t0
        (self.logs / "kubeadm-join-phase-etcd-join.log").write_text(p.stdout)
        assert p.returncode == 0, f"kubeadm exited {p.returncode}:\n{p.stdout[-1500:]}"
        theirs = yaml.safe_load((out / "manifests" / "etcd.yaml").read_text())
        text = (self.man / "etcd.yaml").read_text().replace(str(self.pki), "/etc/kubernetes/pki").replace(
            str(self.data), "/var/lib/etcd")
        ours = yaml.safe_load(text)
        diffs: list[str] = []
        walk("", theirs, ours, diffs)
        assert not diffs, "differences (kubeadm vs ours): " + "; ".join(diffs[:12])
        flags = [a for a in theirs["spec"]["containers"][0]["command"] if a.startswith("--initial-cluster")]
        return f"kubeadm {took:.1f}s; equal field by field, flags {' '.join(flags)}"

    def kubeadm_in_mountns(self, d: Path, out: Path, args: list[str]) -> subprocess.CompletedProcess:
        """kubeadm in a private mount namespace: /etc and /var overlays whose writes land under d
        (kubeadm creates the cluster's etcd dataDir, /var/lib/etcd), `out` bound over /etc/kubernetes."""
        script = []
        for top in ("etc", "var"):
            (d / f"{top}-upper").mkdir()
            (d / f"{top}-work").mkdir()
            script.append(f"mount -t overlay overlay -o lowerdir=/{top},upperdir={d}/{top}-upper,workdir={d}/{top}-work /{top}")
        script += ["mkdir -p /etc/kubernetes", f"mount --bind {out} /etc/kubernetes",
                   "exec " + shlex.join([str(self.p.bin / "kubeadm"), *args])]
        return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-ec", " && ".join(script)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=90)

    def source_routes(self, swap: bool) -> None:
        """etcd checks that a peer's certificate names the address it connects from. Both addresses
        are on lo, where the kernel would take the destination itself as the source; the local
        routes' preferred source is swapped (a connection to one comes from the other), as if each
        node had its own interface, and restored afterwards."""
        for dst, src in ((self.first_ip, JOIN_IP), (JOIN_IP, self.first_ip)):
            subprocess.run(["ip", "route", "replace", "local", dst, "dev", "lo", "table", "local", "proto", "kernel",
                            "scope", "host", "src", src if swap else dst], check=True, capture_output=True)

    def cleanup(self) -> None:
        """Second API server down, member removed through the first etcd, second etcd down, lo as before."""
        for p in reversed(self.sup.procs):
            if p.name.startswith("kube-apiserver"):
                p.p.terminate()
                try:
                    p.p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.p.kill()
        try:
            ms = etcd_call(self.first_etcd, "/v3/cluster/member/list", {}, self.p.pki)["members"]
            for m in ms:
                if m.get("name") == JOIN_NODE or any(JOIN_IP in u for u in m.get("peerURLs", [])):
                    etcd_call(self.first_etcd, "/v3/cluster/member/remove", {"ID": m["ID"]}, self.p.pki)
        finally:
            self.sup.stop_all()
            if getattr(self, "first_ip", None):
                self.source_routes(swap=False)
                subprocess.run(["ip", "addr", "del", f"{JOIN_IP}/32", "dev", "lo"], check=False, capture_output=True)


def until_ready(c: Client, proc, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    last = ""
    while time.monotonic() < deadline:
        if not proc.alive():
            raise AssertionError(f"{proc.name} exited:\n{proc.tail()}")
        try:
            st, body = c.request("GET", "/readyz")
            if st == 200:
                return
            last = f"HTTP {st} {body[-200:]!r}"
        except (OSError, ssl.SSLError) as e:
            last = f"{type(e).__name__}: {e}"
        time.sleep(0.5)
    raise AssertionError(f"{proc.name} not ready within {seconds:.0f}s ({last})")


def walk(prefix: str, a, b, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{prefix}.{k}: {'only ours' if k not in a else 'only kubeadm'}")
            else:
                walk(f"{prefix}.{k}", a[k], b[k], out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            walk(f"{prefix}[{i}]", x, y, out)
    elif a != b:
        out.append(f"{prefix}: kubeadm {shlex.quote(json.dumps(a))[:200]} ours {shlex.quote(json.dumps(b))[:200]}")
