"""playbooks/rotate-ca.yml on node.py's running cluster: the kubernetes CA rotated on both control planes
(node.py's and the second one node_join_cp.py joined) and the worker node node_join.py joined (the
playbook's workers), while each real kubelet runs its Pods (node.py --rotate-ca, after the renewal;
once per run, on the worker's tree).

The playbook runs as a user runs it (node_renew.Renewal's inventory and mount namespace). The harness
has no systemd: the playbook's `systemctl restart kubelet` is a stand-in on the hosts' PATH that asks
this harness to restart that host's kubelet with the same files, as kubeadm's unit would; `systemctl
show` answers that the unit runs. Everything else is the product: ca_rotate's phases, static_pods
re-rendered with the cluster model of each host, the static Pods moved out and back and the restarts
the real kubelets do, tls_bootstrap's renewal of each kubelet's client certificate from the new CA.

While it runs, a client loop (trust and credentials read from the first control plane's
super-admin.conf on disk per request, a fresh TLS connection each time, as kubectl does) GETs /readyz
and a Secret from the first API server, or from the second when the first does not answer (each
restarts in turn): it must never fail. Then: ca.crt on every node is the new CA alone (and the joined
nodes' kubelet.conf trusts it alone); both API servers serve a certificate of the new CA; the
super-admin client certificate from before is refused (401); every kubelet renews its Lease again (the
API servers take their new-CA client certificates; the joined nodes' verified with openssl); every
static Pod Ready, the worker Node Ready; cluster-info carries the new CA alone.

Then (node.py --rotate-also) the playbook rotates each other CA of the same cluster on its own
(-e kubeforge_rotate_ca=...), each control plane's files checked after: the front-proxy CA (each API
server takes the front-proxy headers with the new client certificate, not with the old CA's), the
service-account key (sa.key the same on both; a token issued after is accepted by each API server, one
issued before refused), the etcd CA (each etcd serves its reissued certificate, both members voting, a
client certificate of the old CA refused, each API server reads through etcd). The client loop must not
fail, except during the etcd CA's restarts: two members have no quorum while one restarts (kubeadm's
advice is three), so there the failed requests are counted and reported, not refused.
"""
from __future__ import annotations

import base64
import json
import os
import ssl
import subprocess
import sys
import time
from pathlib import Path

import yaml

from ca_rotation_proof import PROXIED, Loop
from controlplane import Client, KubeconfigIdentity
from join_proof import etcd_call
from node_join import JOIN_NODE
from node_renew import Renewal, file_der, served_der

SECRET = "kf-rotate-ca"
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
# the stand-in for systemctl: `show` says the unit runs, `restart` leaves a request for the harness
SYSTEMCTL = """#!/bin/sh
case "$1" in
  show) printf 'Id=%s\\nLoadState=loaded\\nActiveState=active\\nSubState=running\\n' "$2" ;;
  restart) touch "{requests}/{host}.$(date +%s%N)" ;;
  is-enabled) echo enabled ;;
  *) echo "systemctl stand-in: $*" >&2 ;;
esac
"""


class Rotation:
    def __init__(self, renewal: Renewal):
        self.r, self.n, self.cp2 = renewal, renewal.n, renewal.cp2
        # the worker node node_join.py joined, Ready with its own kubelet: the playbook's workers
        self.worker = next((j for j in self.n.joiners if j.name == JOIN_NODE and getattr(j, "kubelet", None)), None)
        self.d = self.n.scratch / "rotate"
        self.requests = self.d / "restart-requests"
        self.requests.mkdir(parents=True, exist_ok=True)
        self.restarts: dict[str, int] = {}
        self.crashes: list[str] = []

    def kubelets(self) -> dict:
        """Each host's holder of `kubelet` and `kubelet_argv` (node.py's Node, the joiners)."""
        out = {self.n.node_name: self.n, self.cp2.name: self.cp2}
        if self.worker:
            out[self.worker.name] = self.worker
        return out

    def keep_running(self) -> None:
        """systemd's Restart=always for the joined nodes' kubelets (node_renew.Renewal.keep_running): kubelet
        1.34 exits when its CSINode initialisation gives up while the API server its kubelet.conf names
        restarts."""
        self.r.keep_running()
        w = self.worker
        if w is not None and not w.kubelet.alive():
            assert len(self.crashes) < 3, f"{w.name}'s kubelet exited 3 times: {self.crashes}"
            self.crashes.append(f"{w.name} exited {w.kubelet.p.returncode}")
            w.kubelet = self.n.start(f"join-kubelet-restarted-rotate-{len(self.crashes)}", w.kubelet_argv)

    def worker_host(self) -> dict:
        """The worker node as an inventory host: its modules and worker in its namespaces, as kf-cp2's."""
        w = self.worker
        interpreter, path = w.d / "python-in-node", w.d / "node-bin"
        self.stand_in(w.name, path)
        interpreter.write_text(f"#!/bin/sh\nPATH={path}:$PATH exec " + " ".join(w.prefix()) + f" {sys.executable} \"$@\"\n")
        interpreter.chmod(0o755)
        return {w.name: {"ansible_connection": "local", "ansible_python_interpreter": str(interpreter),
                         "kubeforge_node_name": w.name, "kubeforge_worker_jar": str(self.r.jar),
                         "kubeforge_worker_home": str(w.d / "rotate-home"),
                         "kubeforge_worker_stage_dir": str(w.d / "rotate-stage")}}

    def stand_in(self, host: str, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        f = folder / "systemctl"
        f.write_text(SYSTEMCTL.format(requests=self.requests, host=host))
        f.chmod(0o755)

    def serve_restarts(self) -> None:
        """The harness's systemd: a kubelet restart request from a host's systemctl stand-in."""
        kubelets = self.kubelets()
        for req in sorted(self.requests.iterdir()):
            host = req.name.split(".")[0]
            req.unlink()
            self.restarts[host] = self.restarts.get(host, 0) + 1
            holder = kubelets[host]
            holder.kubelet.stop()
            holder.kubelet = self.n.start(f"kubelet-restarted-{host}-{self.restarts[host]}", holder.kubelet_argv)
        self.keep_running()

    def probes(self) -> dict:
        """/readyz and the Secret from the first API server, else the second (trust and credentials from disk)."""
        n, cp2 = self.n, self.cp2
        sup = n.tree / "super-admin.conf"
        keys = self.d / "loop-keys"

        def get(path: str):
            def probe():
                errors = []
                for addr, port in ((n.advertise, n.port), (cp2.join_end[1], 6443)):
                    try:
                        c = KubeconfigIdentity(sup, keys).client()
                        c.ip, c.port, c.server_name = addr, port, addr
                        st, body = c.request("GET", path)
                        if st == 200:
                            return None
                        errors.append(f"{addr}: HTTP {st} {body[:80]!r}")
                    except Exception as e:  # noqa: BLE001 - any failure: try the other API server
                        errors.append(f"{addr}: {type(e).__name__}: {e}")
                return "; ".join(errors)
            return probe
        return {path: get(path) for path in ("/readyz", f"/api/v1/namespaces/default/secrets/{SECRET}")}

    def play(self, extra: dict | None = None) -> tuple[dict, Loop, float]:
        """rotate-ca.yml (EXTRA as -e) over every node while the client loop runs: its task results, the
        loop, the seconds it took."""
        n, cp2 = self.n, self.cp2
        hosts = self.r.hosts()
        self.stand_in(n.node_name, self.d / "bin")
        self.stand_in(cp2.name, cp2.d / "node-bin")  # on the PATH its interpreter sets
        hosts[n.node_name] = dict(hosts[n.node_name], kubeforge_node_name=n.node_name)
        loop = Loop(self.probes())
        t = time.monotonic()
        loop.start()
        try:
            tasks = self.r.playbook("rotate-ca.yml", hosts, path=self.d / "bin", poll=self.serve_restarts,
                                    workers=self.worker_host() if self.worker else None, extra=extra)
        finally:
            loop.halt.set()
            loop.join()
        if hasattr(n, "_admin"):
            del n._admin  # n.api() reads super-admin.conf again: a rotated one may be refused now
        return tasks, loop, time.monotonic() - t

    def static_pods_ready(self) -> None:
        n = self.n
        for name, _addr, _port, _pki, manifests, watch in self.r.members():
            comps = [c for c in COMPONENTS if (manifests / f"{c}.yaml").exists()]

            def ready(name=name, comps=comps):
                self.serve_restarts()
                waiting = [c for c in comps if not n.ready(self.r.pod(c, name))]
                return not waiting, f"not Ready: {waiting}"
            n.wait(f"{name}'s static Pods Ready after the rotation", ready, 180, watch)

    def run(self) -> str:
        n, cp2 = self.n, self.cp2
        assert cp2 is not None, "no second control plane joined"
        pki = n.tree / "pki"
        old_ca = (pki / "ca.crt").read_text()
        old_admin = KubeconfigIdentity(n.tree / "super-admin.conf", self.d / "old-admin")
        st, body = n.api().request("POST", "/api/v1/namespaces/default/secrets", {
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": SECRET}, "data": {"k": "dg=="}})
        assert st in (201, 409), f"creating the Secret: HTTP {st} {body[:200]!r}"
        leases = {name: self.r.lease(name) for name in self.kubelets()}

        tasks, loop, took = self.play()
        kept = loop.verdict(took, {}).rstrip("; ")

        new_ca = (pki / "ca.crt").read_text()
        assert new_ca.count("BEGIN CERTIFICATE") == 1 and new_ca != old_ca, "ca.crt is not one new CA"
        joined = [j for j in (cp2, self.worker) if j is not None]
        for j in joined:
            assert (j.etc / "pki" / "ca.crt").read_text() == new_ca, f"{j.name}'s ca.crt is not the first's new CA"
            kc = yaml.safe_load((j.etc / "kubelet.conf").read_text())
            trusted = base64.b64decode(kc["clusters"][0]["cluster"]["certificate-authority-data"]).decode()
            assert trusted.strip() == new_ca.strip(), f"{j.name}'s kubelet.conf does not trust the new CA alone"
        for addr, port, p in ((n.advertise, n.port, pki), (cp2.join_end[1], 6443, cp2.etc / "pki")):
            served = served_der(addr, port, pki / "ca.crt")  # verified by the new CA alone
            assert served == file_der(p / "apiserver.crt"), f"{addr} does not serve its reissued apiserver.crt"
        c = old_admin.client()
        c.ip, c.port = n.advertise, n.port
        c.ctx.load_verify_locations(cadata=new_ca)
        st, _ = c.request("GET", "/readyz")
        assert st == 401, f"the super-admin certificate of the old CA: HTTP {st}, expected 401"
        info = n.get("/api/v1/namespaces/kube-public/configmaps/cluster-info")
        kc = yaml.safe_load(info["data"]["kubeconfig"])
        info_ca = base64.b64decode(kc["clusters"][0]["cluster"]["certificate-authority-data"]).decode()
        assert info_ca.strip() == new_ca.strip(), "cluster-info does not carry the new CA alone"
        self.static_pods_ready()
        for name in self.kubelets():
            n.wait(f"{name}'s kubelet renewing its Lease with its new-CA certificate",
                   lambda name=name: (self.serve_restarts() or self.r.lease(name) != leases[name],
                                      f"renewTime still {leases[name]}"), 90, [n.kubelet])
        worker = ""
        if self.worker:
            n.wait(f"Node {self.worker.name} Ready", lambda: (self.serve_restarts() or n.ready(
                n.get(f"/api/v1/nodes/{self.worker.name}")), "NotReady"), 90, [n.kubelet])
            worker = f"; worker {self.worker.name}: ca.crt and kubelet.conf the new CA alone, Node Ready"
        for j in joined:
            # the link names its file as the node sees it (/var/lib/kubelet/pki/...): the same name in its folder here
            current = j.kubelet_dir / "pki" / Path(os.readlink(j.kubelet_dir / "pki" / "kubelet-client-current.pem")).name
            v = subprocess.run(["openssl", "verify", "-CAfile", str(pki / "ca.crt"), str(current)],
                               capture_output=True, text=True, check=False)
            assert v.returncode == 0, f"{j.name}'s kubelet client certificate is not the new CA's: {v.stdout}{v.stderr}"
        renewed = [h for (h, task), r in tasks.items() if task.startswith("Renew the kubelet's client") and r.get("changed")]
        restarts = ", ".join(f"{h} {k}" for h, k in sorted(self.restarts.items()))
        crashed = f" (kubelets restarted as systemd would after exiting: {self.crashes})" if self.crashes else ""
        return (f"rotate-ca.yml over {', '.join(self.kubelets())} (control planes serial: 1) in {took:.0f}s; the client loop with "
                f"failover: {kept}; ca.crt the new CA alone on every node, both API servers serving their reissued "
                f"apiserver.crt (verified by the new CA), the old super-admin certificate refused (401), cluster-info "
                f"with the new CA; kubelet client certificates renewed by tls_bootstrap on {renewed} (those of "
                f"{', '.join(j.name for j in joined)} verified by the new CA), kubelets restarted through the systemctl "
                f"stand-in ({restarts}){crashed}, every static Pod Ready, each kubelet renewing its Lease{worker}")

    # after the kubernetes CA, each of the others on its own (node.py --rotate-also)
    FILES = {"front-proxy": ("front-proxy-ca.crt", "BEGIN CERTIFICATE"), "etcd": ("etcd/ca.crt", "BEGIN CERTIFICATE"),
             "service-account": ("sa.pub", "BEGIN PUBLIC KEY")}

    def other(self, ca: str) -> str:
        """rotate-ca.yml -e kubeforge_rotate_ca=CA (front-proxy, service-account or etcd) on the same cluster:
        the first control plane's new CA (or key) on every control plane, alone; what uses it proven on each
        API server; every static Pod Ready. The client loop must not fail, except for etcd: two etcd members
        lose their quorum while one restarts (kubeadm's advice is three), so there the outage is counted."""
        members = self.r.members()
        name, mark = self.FILES[ca]
        first = members[0][3] / name
        old = first.read_text()
        before = getattr(self, f"before_{ca.replace('-', '_')}")()
        _tasks, loop, took = self.play({"kubeforge_rotate_ca": ca})
        new = first.read_text()
        assert new != old and new.count(mark) == 1, f"{first} is not one new {ca} CA (or key)"
        for node, _addr, _port, p, _man, _watch in members[1:]:
            assert (p / name).read_text() == new, f"{node}'s {name} is not the first control plane's"
        self.static_pods_ready()
        proven = getattr(self, f"after_{ca.replace('-', '_')}")(before)
        if ca == "etcd" and loop.failures:
            kept = (f"{loop.ok} requests in {took:.0f}s, {len(loop.failures)} failed while a member of the two "
                    f"restarted (no quorum): first {loop.failures[0]}")
        else:
            kept = loop.verdict(took, {}).rstrip("; ")
        nodes = ", ".join(m[0] for m in members)
        return f"rotate-ca.yml -e kubeforge_rotate_ca={ca} over {nodes} in {took:.0f}s; the client loop: {kept}; {name} " \
               f"the first's new one alone on {nodes}; {proven}"

    def api_client(self, addr: str, port: int, **kw) -> Client:
        """A client of the API server at ADDR:PORT trusting super-admin.conf's CA, with its credentials
        unless KW names others (cert, bearer)."""
        sup = KubeconfigIdentity(self.n.tree / "super-admin.conf", self.d / "admin")
        if not kw:
            kw["cert"] = (str(sup.cert), str(sup.key))
        return Client(addr, port, None, cadata=sup.cadata, server_name=addr, **kw)

    def keep(self, stem: str) -> tuple[Path, Path]:
        """A copy of the first control plane's pki/STEM.crt and .key as they are now."""
        keep = self.d / f"old-{stem}"
        keep.mkdir(exist_ok=True)
        pair = keep / f"{stem}.crt", keep / f"{stem}.key"
        for f in pair:
            f.write_bytes((self.n.tree / "pki" / f.name).read_bytes())
        return pair

    def before_front_proxy(self) -> tuple[str, str]:
        crt, key = self.keep("front-proxy-client")
        return str(crt), str(key)

    def after_front_proxy(self, old: tuple[str, str]) -> str:
        out = []
        for node, addr, port, p, _man, _watch in self.r.members():
            verify("front-proxy-ca.crt", p, "front-proxy-client.crt")
            cert = (str(p / "front-proxy-client.crt"), str(p / "front-proxy-client.key"))
            users = [proxied(self.api_client(addr, port, cert=c)) for c in (cert, old)]
            assert users[0] == PROXIED and users[1] != PROXIED, f"{node}'s API server through the front-proxy " \
                f"headers: the new client certificate is {users[0]!r}, the old CA's {users[1]!r}"
            out.append(node)
        return (f"front-proxy-client.crt verified by the new CA; each API server ({', '.join(out)}) takes the "
                f"front-proxy headers with the new client certificate and not with the old CA's")

    def token(self) -> str:
        st, body = self.n.api().request("POST", "/api/v1/namespaces/default/serviceaccounts/default/token", {
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 3600}})
        assert st == 201, f"a TokenRequest: HTTP {st} {body[:200]!r}"
        return json.loads(body)["status"]["token"]

    def before_service_account(self) -> str:
        return self.token()

    def after_service_account(self, old: str) -> str:
        new = self.token()
        members = self.r.members()
        key = (members[0][3] / "sa.key").read_bytes()
        for node, addr, port, p, _man, _watch in members:
            assert (p / "sa.key").read_bytes() == key, f"{node}'s sa.key is not the first control plane's"
            got = [self.api_client(addr, port, bearer=t).request("GET", "/api")[0] for t in (new, old)]
            assert got == [200, 401], f"{node}'s API server: a token of the new key HTTP {got[0]}, of the old {got[1]}"
        return ("sa.key the same on both; a token issued after the rotation is accepted by each API server (200) "
                "and one issued before it refused (401)")

    def before_etcd(self) -> tuple[Path, Path]:
        return self.keep("apiserver-etcd-client")

    def after_etcd(self, old: tuple[Path, Path]) -> str:
        members = self.r.members()
        for node, addr, port, p, _man, _watch in members:
            verify("etcd/ca.crt", p, "etcd/server.crt", "etcd/peer.crt", "apiserver-etcd-client.crt")
            client = (p / "apiserver-etcd-client.crt", p / "apiserver-etcd-client.key")
            assert served_der(addr, 2379, p / "etcd" / "ca.crt", client) == file_der(p / "etcd" / "server.crt"), \
                f"{node}'s etcd does not serve its reissued server.crt"
            listed = etcd_call(f"https://{addr}:2379", "/v3/cluster/member/list", {}, p)["members"]
            assert len(listed) == len(members) and not [m for m in listed if m.get("isLearner")], listed
            try:
                st, _ = Client(addr, 2379, str(p / "etcd" / "ca.crt"), cert=(str(old[0]), str(old[1]))).request(
                    "POST", "/v3/maintenance/status", {})
                refused = st != 200
            except (OSError, ssl.SSLError):
                refused = True
            assert refused, f"{node}'s etcd still accepts a client certificate of the old etcd CA"
            st, body = self.api_client(addr, port).request("GET", f"/api/v1/namespaces/default/secrets/{SECRET}")
            assert st == 200, f"{node}'s API server reading a Secret through etcd: HTTP {st} {body[:120]!r}"
        return (f"each etcd serves its reissued server.crt (verified by the new CA), {len(members)} voting members, "
                "a client certificate of the old etcd CA refused, each API server reads a Secret through etcd")


def verify(ca: str, pki: Path, *certs: str) -> None:
    v = subprocess.run(["openssl", "verify", "-CAfile", str(pki / ca), *(str(pki / c) for c in certs)],
                       capture_output=True, text=True, check=False)
    assert v.returncode == 0, f"openssl verify -CAfile {pki / ca}: {v.stdout}{v.stderr}"


def proxied(c: Client) -> str | None:
    """The user a SelfSubjectReview through the front-proxy headers names (with C's client certificate)."""
    c.headers.update({"X-Remote-User": PROXIED, "X-Remote-Group": "kf-proxied-group"})
    st, body = c.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                         {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    return json.loads(body)["status"]["userInfo"].get("username") if st == 201 else None
