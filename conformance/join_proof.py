"""A second control plane joined by playbooks/join.yml from the first's facts alone, beside the worker's
first (cluster_proofs.py).

Inside the first control plane's network namespace, with its worker still up, after the download-certs
proof:

  1. lo gets JOIN_IP; ansible-playbook runs playbooks/join.yml (the built collection) on an inventory of
     two local hosts: the first control plane (the harness' tree and worker) and JOIN_NODE (advertise
     JOIN_IP, a scratch tree: pki/, kubeconfigs, manifests/, etcd data, var-lib-kubelet/, its own worker
     home, which the worker role installs and starts). The first host makes a token and uploads the CA
     keys under a new certificate key; JOIN_NODE takes both, the API server and the CA pin from its
     hostvars and joins as kubeadm join --control-plane does: discovery (pinned; the cluster's
     ClusterConfiguration read from kubeadm-config with the token), download-certs, pki, kubeconfig,
     the first's encryption configuration copied, static_pods with etcd_join (the member added as a
     learner, etcd.yaml written, promoted once it runs, then a quorum read), kubelet_config, and
     tls_bootstrap (kubelet.conf through a CSR the real controller-manager approves). Meanwhile this
     script does what the kubelet would: it starts etcd from etcd.yaml (command verbatim, argv[0] the
     built binary; ports are kubeadm's defaults, free in the namespace since the first control plane's
     were moved), then kube-apiserver from its manifest;
  2. checks: two voting members; a ConfigMap written through the first API server before the join is
     read through the second; objects written through either API server are read through the other
     with the same uid and resourceVersion; every certificate of the second tree verifies against the
     first's CA files (openssl verify), whose bytes it holds; kubelet.conf authenticates as
     system:node:JOIN_NODE; a second run of join.yml is changed=0 on both hosts with the member
     "present" and the tree untouched; the joining etcd.yaml equals what the real `kubeadm join phase
     etcd-join` renders for the same node against the same cluster (see kubeadm_etcd);
  3. cleanup, so the first control plane keeps its quorum: the second API server stopped, the member
     removed through the first etcd (as kubeadm reset does), the second etcd and worker stopped.
"""
from __future__ import annotations

import base64
import concurrent.futures
import json
import os
import shutil
import shlex
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import yaml

from controlplane import Client, KubeconfigIdentity, Supervisor, load_command, self_subject_review

REPO = Path(__file__).resolve().parents[1]

JOIN_IP = "192.0.2.11"
JOIN_NODE = "kf-cp2"
ETCD_JOIN_TIMEOUT = 60


def ansible_env(**extra: str) -> dict:
    """ansible-playbook's environment for the harness: the built collection, the test suite's JSON
    callback on stdout, no proxy, no ansible.cfg of the caller."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(REPO / "_build" / "collections"),
               ANSIBLE_CALLBACK_PLUGINS=str(REPO / "ansible_collection" / "tests" / "callback"),
               ANSIBLE_STDOUT_CALLBACK="test_json", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_HOST_KEY_CHECKING="0", **extra)
    env.pop("ANSIBLE_CONFIG", None)
    return env


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
        # encryption at rest on the first: every API server of the cluster needs the same
        # EncryptionConfiguration (kubeadm has no phase for it), or the second cannot read the Secrets the
        # first wrote; the join role copies it from the first host
        first = Path(os.environ.get("KF_ETC", "/nonexistent")) / "encryption" / "encryption-config.yaml"
        self.encryption = self.etc / "encryption" / "encryption-config.yaml" if first.exists() else None
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

    def start(self, name: str, manifest: Path, binary: str):
        cmd = load_command(manifest)
        return self.sup.start(name, [str(self.p.bin / binary), *cmd[1:]])

    # ------------------------------------------------------------------------------------------
    def inventory(self) -> Path:
        """Two hosts on this machine (local connection), each with its own worker: the first control plane
        (the harness' tree and worker) and the joining one (a scratch tree and a worker the play installs)."""
        local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
        first = dict(local, kubeforge_kubeconfig_dir=str(self.p.etc), kubeforge_cert_dir=str(self.p.pki),
                     kubeforge_worker_home=str(self.p.w.home))
        second = dict(local, kubeforge_kubeconfig_dir=str(self.etc), kubeforge_cert_dir=str(self.pki),
                      kubeforge_manifest_dir=str(self.man), kubeforge_etcd_data_dir=str(self.data),
                      kubeforge_kubelet_config_path=str(self.d / "var-lib-kubelet" / "config.yaml"),
                      kubeforge_node_name=JOIN_NODE, kubeforge_advertise_address=JOIN_IP,
                      kubeforge_worker_home=str(self.d / "home"), kubeforge_worker_stage_dir=str(self.d / "stage"),
                      # no controlPlaneEndpoint in this config: this host's admin.conf names its own API server,
                      # which does not run yet, so the etcd Pods cannot be read through it (kubeadm refuses such
                      # a join); the first member's client URL is given instead
                      kubeforge_join_etcd_endpoints=[self.first_etcd], kubeforge_join_etcd_timeout=ETCD_JOIN_TIMEOUT,
                      # kubeadm join --skip-phases: preflight, as both control planes share this
                      # machine's ports and kubeadm's join_control_plane checks refuse a cluster without
                      # a controlPlaneEndpoint; mark-control-plane, as this host's admin.conf names its
                      # own API server, which the harness starts after join.yml (the molecule `cluster`
                      # scenario runs both, with a controlPlaneEndpoint, on hosts of their own)
                      kubeforge_join_skip_phases=["preflight", "control-plane-join/mark-control-plane"])
        if self.encryption:
            first["kubeforge_encryption_config_path"] = os.environ["KF_ETC"] + "/encryption/encryption-config.yaml"
            second["kubeforge_encryption_config_path"] = str(self.encryption)
        inv = self.d / "inventory.yml"
        inv.write_text(yaml.safe_dump({"all": {
            "vars": {"kubeforge_cluster": True, "kubeforge_worker_jar": str(self.p.w.jar)},
            "children": {"control_plane": {"hosts": {"kf-node": first, JOIN_NODE: second}}}}}, sort_keys=False))
        return inv

    def playbook(self, inventory: Path, log: str) -> dict:
        """playbooks/join.yml as a user runs it; its results (the test suite's JSON callback)."""
        p = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
                            str(REPO / "playbooks" / "join.yml")], env=ansible_env(), cwd=self.d, capture_output=True,
                           text=True, timeout=4 * ETCD_JOIN_TIMEOUT + 300)
        (self.logs / f"join-playbook-{log}.json").write_text(p.stdout + p.stderr)
        try:
            out = json.loads(p.stdout)
        except ValueError:
            raise AssertionError(f"ansible-playbook printed no JSON (rc {p.returncode}): {p.stderr[-1500:]}")
        failed = [(t["task"]["name"], h, r.get("msg")) for play in out["plays"] for t in play["tasks"]
                  for h, r in t["hosts"].items() if r.get("failed")]
        assert p.returncode == 0 and not failed, f"join.yml failed (rc {p.returncode}): {failed}"
        return out

    @staticmethod
    def task_result(out: dict, task: str, host: str) -> dict:
        for play in out["plays"]:
            for t in play["tasks"]:
                if t["task"]["name"].split(" : ")[-1].startswith(task) and host in t["hosts"]:
                    return t["hosts"][host]
        raise AssertionError(f"no result of '{task}' for {host}")

    def join(self, token: dict, upload: dict) -> str:
        """playbooks/join.yml joins JOIN_NODE from the first's hostvars alone; etcd and kube-apiserver are
        started from the manifests as they appear (what the kubelet would do)."""
        self.first_ip = self.p.sup.ip
        subprocess.run(["ip", "addr", "add", f"{JOIN_IP}/32", "dev", "lo"], check=True, capture_output=True)
        self.source_routes(swap=True)
        t0 = time.monotonic()
        self.cfg = self.config(token)  # for kubeadm_etcd: the same node and cluster, kubeadm's way
        self.inv = self.inventory()
        self.before = self.p.sup.json("POST", "/api/v1/namespaces/default/configmaps", {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kf-written-before-join"},
            "data": {"by": "the first API server"}}, expect=(201,))
        t1 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            fut = ex.submit(self.playbook, self.inv, "first")
            deadline = time.monotonic() + 4 * ETCD_JOIN_TIMEOUT + 300
            while not (self.man / "etcd.yaml").exists():  # the kubelet's part: run what appears
                if fut.done() or time.monotonic() > deadline:
                    fut.result()
                    raise AssertionError("join.yml returned without writing etcd.yaml")
                time.sleep(0.1)
            etcd = self.start("etcd-" + JOIN_NODE, self.man / "etcd.yaml", "etcd")
            out = fut.result(timeout=4 * ETCD_JOIN_TIMEOUT + 300)
        t2 = time.monotonic()
        assert etcd.alive(), f"the joining etcd exited:\n{etcd.tail()}"
        first = self.task_result(out, "Write its static Pod manifests", JOIN_NODE)
        self.results["first"] = first
        disc = self.task_result(out, "Discover the cluster", JOIN_NODE)
        assert disc["ca_cert_hash"] == token["ca_cert_hash"], disc["ca_cert_hash"]
        certs = self.task_result(out, "Download the shared CA keys", JOIN_NODE)
        assert not certs.get("skipped"), "download-certs did not run"
        member = first["etcd_member"]
        assert first["changed"] and member["action"] == "added" and member["promoted"], json.dumps(member)
        kc = yaml.safe_load((self.etc / "kubelet.conf").read_text())  # a client certificate file, as the kubelet's
        server = urllib.parse.urlsplit(kc["clusters"][0]["cluster"]["server"])
        user = kc["users"][0]["user"]
        ui = self_subject_review(Client(server.hostname, server.port, None, server_name=self.p.sup.server_name,
                                        cadata=base64.b64decode(kc["clusters"][0]["cluster"]["certificate-authority-data"]).decode(),
                                        cert=(user["client-certificate"], user["client-key"])))
        assert ui.get("username") == f"system:node:{JOIN_NODE}", f"kubelet.conf is {ui}"
        assert member["quorum"] is True, f"no quorum read after the promotion: {json.dumps(member)}"
        api = self.start("kube-apiserver-" + JOIN_NODE, self.man / "kube-apiserver.yaml", "kube-apiserver")
        self.api2 = KubeconfigIdentity(self.etc / "admin.conf", self.d / "ids").client()
        assert (self.api2.ip, self.api2.port) == (JOIN_IP, 6443), (self.api2.ip, self.api2.port)
        until_ready(self.api2, api)
        t3 = time.monotonic()
        cmd = load_command(self.man / "etcd.yaml")
        flags = {a.split("=", 1)[0]: a.split("=", 1)[1] for a in cmd[1:] if "=" in a}
        return (f"join.yml (discovery, download-certs, pki, kubeconfig, static_pods: learner added, promoted once "
                f"started, quorum read; kubelet files, TLS bootstrap: kubelet.conf is system:node:{JOIN_NODE}) "
                f"{t2 - t1:.1f}s; second API server ready {t3 - t2:.1f}s; total {t3 - t0:.1f}s; "
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
        before = {f: f.stat().st_mtime_ns for top in (self.etc, self.man, self.d / "var-lib-kubelet")
                  for f in top.rglob("*") if f.is_file()}
        out = self.playbook(self.inv, "second")
        after = {f: f.stat().st_mtime_ns for f in before}
        changed = {h: s["changed"] for h, s in out["stats"].items() if s["changed"]}
        assert not changed, f"changed on the second run: {changed}"
        r = self.task_result(out, "Write its static Pod manifests", JOIN_NODE)
        m = r["etcd_member"]
        assert m["action"] == "present" and not m["promoted"] and not m["learner"] and m["quorum"] is True, m
        rewritten = [str(f.relative_to(self.d)) for f in before if before[f] != after[f]]
        assert not rewritten, f"rewritten: {rewritten}"
        acts = {x["name"]: x["action"] for x in r["manifests"]}
        assert set(acts.values()) == {"kept"}, acts
        return (f"changed=0 on both hosts, etcd_member present (quorum read), {len(acts)} manifests kept, "
                f"{len(before)} files of the joined tree untouched")

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
        """Second API server down, member removed through the first etcd, second etcd down, the joined
        host's worker stopped, lo as before."""
        try:
            pid = json.loads((self.d / "home" / "endpoint").read_text())["pid"]
            os.kill(int(pid), 15)
        except (OSError, ValueError, KeyError):
            pass
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
