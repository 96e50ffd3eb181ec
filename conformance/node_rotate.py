"""playbooks/rotate-ca.yml on node.py's running cluster: the kubernetes CA rotated on both control planes
(node.py's and the second one node_join_cp.py joined), while each real kubelet runs its static Pods
(node.py --rotate-ca, after the renewal; once per run, on the worker's tree).

The playbook runs as a user runs it (node_renew.Renewal's inventory and mount namespace). The harness
has no systemd: the playbook's `systemctl restart kubelet` is a stand-in on the hosts' PATH that asks
this harness to restart that host's kubelet with the same files, as kubeadm's unit would; `systemctl
show` answers that the unit runs. Everything else is the product: ca_rotate's phases, static_pods
re-rendered with the cluster model of each host, the static Pods moved out and back and the restarts
the real kubelets do, tls_bootstrap's renewal of each kubelet's client certificate from the new CA.

While it runs, a client loop (trust and credentials read from the first control plane's
super-admin.conf on disk per request, a fresh TLS connection each time, as kubectl does) GETs /readyz
and a Secret from the first API server, or from the second when the first does not answer (each
restarts in turn): it must never fail. Then: ca.crt on both is the new CA alone; both API servers serve
a certificate of the new CA; the super-admin client certificate from before is refused (401); both
kubelets renew their Lease again (the API servers take their new-CA client certificates); every static
Pod Ready; cluster-info carries the new CA alone.
"""
from __future__ import annotations

import base64
import os
import subprocess
import time
from pathlib import Path

import yaml

from ca_rotation_proof import Loop
from controlplane import KubeconfigIdentity
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
        self.d = self.n.scratch / "rotate"
        self.requests = self.d / "restart-requests"
        self.requests.mkdir(parents=True, exist_ok=True)
        self.restarts: dict[str, int] = {}

    def stand_in(self, host: str, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        f = folder / "systemctl"
        f.write_text(SYSTEMCTL.format(requests=self.requests, host=host))
        f.chmod(0o755)

    def serve_restarts(self) -> None:
        """The harness's systemd: a kubelet restart request from a host's systemctl stand-in."""
        for req in sorted(self.requests.iterdir()):
            host = req.name.split(".")[0]
            req.unlink()
            self.restarts[host] = self.restarts.get(host, 0) + 1
            name = f"kubelet-restarted-{host}-{self.restarts[host]}"
            if host == self.n.node_name:
                self.n.kubelet.stop()
                self.n.kubelet = self.n.start(name, self.n.kubelet_argv)
            else:
                self.cp2.kubelet.stop()
                self.cp2.kubelet = self.n.start(name, self.cp2.kubelet_argv)
        self.r.keep_running()

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

    def run(self) -> str:
        n, cp2 = self.n, self.cp2
        assert cp2 is not None, "no second control plane joined"
        pki = n.tree / "pki"
        old_ca = (pki / "ca.crt").read_text()
        old_admin = KubeconfigIdentity(n.tree / "super-admin.conf", self.d / "old-admin")
        st, body = n.api().request("POST", "/api/v1/namespaces/default/secrets", {
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": SECRET}, "data": {"k": "dg=="}})
        assert st in (201, 409), f"creating the Secret: HTTP {st} {body[:200]!r}"
        leases = {name: self.r.lease(name) for name in (n.node_name, cp2.name)}

        hosts = self.r.hosts()
        self.stand_in(n.node_name, self.d / "bin")
        self.stand_in(cp2.name, cp2.d / "node-bin")  # on the PATH its interpreter sets
        hosts[n.node_name] = dict(hosts[n.node_name], kubeforge_node_name=n.node_name)
        loop = Loop(self.probes())
        t = time.monotonic()
        loop.start()
        try:
            tasks = self.r.playbook("rotate-ca.yml", hosts, path=self.d / "bin", poll=self.serve_restarts)
        finally:
            loop.halt.set()
            loop.join()
        took = time.monotonic() - t
        if hasattr(n, "_admin"):
            del n._admin  # n.api() reads super-admin.conf again: the old one is refused now
        kept = loop.verdict(took, {}).rstrip("; ")

        new_ca = (pki / "ca.crt").read_text()
        assert new_ca.count("BEGIN CERTIFICATE") == 1 and new_ca != old_ca, "ca.crt is not one new CA"
        assert (cp2.etc / "pki" / "ca.crt").read_text() == new_ca, f"{cp2.name}'s ca.crt is not the first's new CA"
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
        for name, manifests, watch in ((n.node_name, n.tree / "manifests", [n.kubelet]), (cp2.name, cp2.etc / "manifests", [])):
            comps = [c for c in COMPONENTS if (manifests / f"{c}.yaml").exists()]

            def ready(name=name, comps=comps):
                self.serve_restarts()
                waiting = [c for c in comps if not n.ready(self.r.pod(c, name))]
                return not waiting, f"not Ready: {waiting}"
            n.wait(f"{name}'s static Pods Ready after the rotation", ready, 180, watch)
            n.wait(f"{name}'s kubelet renewing its Lease with its new-CA certificate",
                   lambda name=name: (self.serve_restarts() or self.r.lease(name) != leases[name],
                                      f"renewTime still {leases[name]}"), 90, watch)
        # the link names its file as the node sees it (/var/lib/kubelet/pki/...): the same name in its folder here
        current = cp2.kubelet_dir / "pki" / Path(os.readlink(cp2.kubelet_dir / "pki" / "kubelet-client-current.pem")).name
        v = subprocess.run(["openssl", "verify", "-CAfile", str(pki / "ca.crt"), str(current)],
                           capture_output=True, text=True, check=False)
        assert v.returncode == 0, f"{cp2.name}'s kubelet client certificate is not the new CA's: {v.stdout}{v.stderr}"
        renewed = [h for (h, task), r in tasks.items() if task.startswith("Renew the kubelet's client") and r.get("changed")]
        restarts = ", ".join(f"{h} {k}" for h, k in sorted(self.restarts.items()))
        return (f"rotate-ca.yml over {n.node_name} and {cp2.name} (serial: 1) in {took:.0f}s; the client loop with "
                f"failover: {kept}; ca.crt the new CA alone on both, both API servers serving their reissued "
                f"apiserver.crt (verified by the new CA), the old super-admin certificate refused (401), cluster-info "
                f"with the new CA; kubelet client certificates renewed by tls_bootstrap on {renewed} ({cp2.name}'s "
                f"{current.name} verified by the new CA), kubelets restarted through the systemctl stand-in ({restarts}), every static Pod Ready, "
                f"each kubelet renewing its Lease")
