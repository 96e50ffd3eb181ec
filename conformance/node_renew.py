"""playbooks/renew-certs.yml on node.py's control plane: the real kubelet restarts the static Pods
whose certificates changed, and kube-apiserver comes back serving its renewed certificate (node.py
--renew-config, after the other checks).

The playbook runs as a user runs it (the built collection, the worker role, a local inventory) in a
mount namespace of its own where the tree is bound read-write over /etc/kubernetes, so the worker
renews the files the kubelet's Pods read and writes the manifests the kubelet watches; everything
else of the node is untouched. Checks: every certificate renewed and verified by the tree's CA; the
four manifests rewritten with their certificates hash; the kubelet restarted each Pod (a new
container ID, the mirror Pod carrying the new hash) and each is Ready again; kube-apiserver serves
the renewed apiserver.crt over TLS verified by ca.crt; the playbook's own /readyz wait passed; the
Node is still Ready.
"""
from __future__ import annotations

import json
import shlex
import ssl
import subprocess
import sys
import time
from pathlib import Path

import yaml

from join_proof import ansible_env

REPO = Path(__file__).resolve().parents[1]
HASH = "kubeforge.io/certificates-hash"
PLAYBOOK_TIMEOUT_S = 600


def served_der(host: str, port: int, ca: Path) -> bytes:
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.check_hostname = False  # the name is not the point here: which certificate is served
    with ctx.wrap_socket(__import__("socket").create_connection((host, port), timeout=5), server_hostname=host) as s:
        return s.getpeercert(binary_form=True)


def file_der(pem: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem.read_text())


class Renewal:
    def __init__(self, node, config: Path, jar: Path):
        self.n, self.config, self.jar = node, config, jar
        self.d = node.scratch / "renew"
        self.d.mkdir(parents=True, exist_ok=True)

    def pod(self, comp: str) -> dict:
        return self.n.get(f"/api/v1/namespaces/kube-system/pods/{comp}-{self.n.node_name}")

    @staticmethod
    def container_id(pod: dict) -> str | None:
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        return statuses[0].get("containerID") if statuses else None

    def playbook(self) -> dict:
        n = self.n
        inventory = self.d / "inventory.yml"
        host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                "kubeforge_kubeadm_config": str(self.config), "kubeforge_worker_jar": str(self.jar),
                "kubeforge_worker_home": str(self.d / "home"), "kubeforge_worker_stage_dir": str(self.d / "stage"),
                "kubeforge_cluster": True, "kubeforge_readyz_host": n.advertise, "kubeforge_bind_port": n.port,
                "kubeforge_encryption": (n.tree / "encryption" / "encryption-config.yaml").exists()}
        inventory.write_text(yaml.safe_dump({"all": {"children": {"control_plane": {"hosts": {n.node_name: host}}}}}))
        env = ansible_env(HOME=str(self.d))
        play = shlex.join([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
                           str(REPO / "playbooks" / "renew-certs.yml")])
        p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            f"mount --bind {shlex.quote(str(n.tree))} /etc/kubernetes && exec {play}"],
                           env=env, cwd=self.d, capture_output=True, text=True, timeout=PLAYBOOK_TIMEOUT_S)
        (n.logs / "renew-certs-playbook.json").write_text(p.stdout + p.stderr)
        try:
            out = json.loads(p.stdout)
        except ValueError:
            raise AssertionError(f"ansible-playbook printed no JSON (rc {p.returncode}): {p.stderr[-1500:]}")
        failed = [(t["task"]["name"], r.get("msg")) for play in out["plays"] for t in play["tasks"]
                  for r in t["hosts"].values() if r.get("failed")]
        assert p.returncode == 0 and not failed, f"renew-certs.yml failed (rc {p.returncode}): {failed}"
        return {t["task"]["name"]: next(iter(t["hosts"].values())) for play in out["plays"] for t in play["tasks"]
                if t["hosts"]}

    def run(self) -> str:
        n = self.n
        ca, crt = n.tree / "pki" / "ca.crt", n.tree / "pki" / "apiserver.crt"
        comps = [c for c in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler") if c in n.manifests]
        before = {c: self.container_id(self.pod(c)) for c in comps}
        served_before = served_der(n.advertise, n.port, ca)
        assert served_before == file_der(crt), "kube-apiserver does not serve the tree's apiserver.crt before the renewal"
        t = time.monotonic()
        tasks = self.playbook()
        took = time.monotonic() - t
        renewal = next(r for name, r in tasks.items() if name.startswith("Renew the certificates"))
        pods = next(r for name, r in tasks.items() if name.startswith("Write the static Pod manifests"))
        readyz = next(r for name, r in tasks.items() if name.startswith("Wait for this node's API server"))
        assert not readyz.get("skipped"), "the playbook's /readyz wait was skipped"
        rewritten = sorted(m["name"] for m in pods["manifests"] if m["action"] == "updated")
        assert rewritten == sorted(comps), f"manifests rewritten: {rewritten}, expected {comps}"
        assert served_before != file_der(crt), "apiserver.crt was not renewed"
        v = subprocess.run(["openssl", "verify", "-CAfile", str(ca), str(crt)], capture_output=True, text=True)
        assert v.returncode == 0, v.stdout + v.stderr

        hashes = {c: yaml.safe_load((n.tree / "manifests" / f"{c}.yaml").read_text())["metadata"]["annotations"][HASH]
                  for c in comps}

        def restarted():
            waiting = []
            for c in comps:
                p = self.pod(c)
                new = self.container_id(p)
                if not (new and new != before[c] and n.ready(p)
                        and (p["metadata"].get("annotations") or {}).get(HASH) == hashes[c]):
                    waiting.append(c)
            return not waiting, f"not yet restarted and Ready: {waiting}"
        n.wait("the static Pods restarted by the kubelet", restarted, 180, [n.kubelet])
        n.wait("kube-apiserver serving the renewed apiserver.crt",
               lambda: (served_der(n.advertise, n.port, ca) == file_der(crt), "the old certificate"), 60, [n.kubelet])
        n.wait("the Node Ready", lambda: (n.ready(n.get(f"/api/v1/nodes/{n.node_name}")), "NotReady"), 60, [n.kubelet])
        return (f"renew-certs.yml in {took:.0f}s: {len(renewal.get('renewed') or [])} certificates renewed; manifests "
                f"rewritten with their certificates hash: {', '.join(rewritten)}; each restarted by the kubelet (new "
                f"container, mirror Pod with the new hash) and Ready; kube-apiserver serves the renewed apiserver.crt "
                f"(openssl verify -CAfile ca.crt: OK); the playbook's /readyz wait passed; Node Ready "
                f"{time.monotonic() - t:.0f}s after the playbook started")
