"""playbooks/renew-certs.yml on node.py's control plane, and on the second control plane when one has
joined (node_join_cp.py; serial: 1, the first control plane first): each real kubelet restarts the
static Pods whose certificates changed, and each kube-apiserver comes back serving its renewed
certificate (node.py --renew-config, after the other checks). The second control plane's host runs
its modules through an interpreter in its namespaces, as join.yml's does.

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
from node_join import endpoint_name

REPO = Path(__file__).resolve().parents[1]
HASH = "kubeforge.io/certificates-hash"
PLAYBOOK_TIMEOUT_S = 600


def served_der(host: str, port: int, ca: Path, cert: tuple[Path, Path] | None = None) -> bytes:
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.check_hostname = False  # the name is not the point here: which certificate is served
    if cert:  # etcd asks for a client certificate
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    with ctx.wrap_socket(__import__("socket").create_connection((host, port), timeout=5), server_hostname=host) as s:
        return s.getpeercert(binary_form=True)


def file_der(pem: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem.read_text())


class Renewal:
    """CP2: a second control plane (node_join_cp.ControlPlaneJoiner) that joined before; the playbook then
    renews both, one at a time, and each is checked the same way."""

    def __init__(self, node, config: Path, jar: Path, cp2=None):
        self.n, self.config, self.jar, self.cp2 = node, config, jar, cp2
        self.d = node.scratch / "renew"
        self.d.mkdir(parents=True, exist_ok=True)
        self.restarts: list[str] = []

    def keep_running(self) -> None:
        """systemd's Restart=always for the second control plane's kubelet (kubeadm's unit): kubelet 1.34 exits
        when its CSINode initialisation gives up, which the first control plane's API server restart can cause
        (kf-cp2's kubelet.conf names that server, as kubeadm's does without a controlPlaneEndpoint). Restarted
        with the same files, at most 3 times, and said in the result."""
        j = self.cp2
        if j is not None and not j.kubelet.alive():
            assert len(self.restarts) < 3, f"{j.name}'s kubelet exited 3 times: {self.restarts}"
            self.restarts.append(f"exited {j.kubelet.p.returncode}")
            j.kubelet = self.n.start(f"cp2-kubelet-restarted-{len(self.restarts)}", j.kubelet_argv)

    def pod(self, comp: str, node_name: str | None = None) -> dict:
        return self.n.get(f"/api/v1/namespaces/kube-system/pods/{comp}-{node_name or self.n.node_name}")

    @staticmethod
    def container_id(pod: dict) -> str | None:
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        return statuses[0].get("containerID") if statuses else None

    def hosts(self) -> dict:
        """The inventory's control_plane hosts: this node, and the second control plane when one joined."""
        n = self.n
        host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                "kubeforge_kubeadm_config": str(self.config), "kubeforge_worker_jar": str(self.jar),
                "kubeforge_worker_home": str(self.d / "home"), "kubeforge_worker_stage_dir": str(self.d / "stage"),
                "kubeforge_cluster": True, "kubeforge_readyz_host": n.advertise, "kubeforge_bind_port": n.port,
                "kubeforge_encryption": (n.tree / "encryption" / "encryption-config.yaml").exists()}
        hosts = {n.node_name: host}
        if self.cp2:
            j = self.cp2
            hosts[j.name] = dict(host, ansible_python_interpreter=str(j.d / "python-in-node"), kubeforge_node_name=j.name,
                                 kubeforge_advertise_address=j.join_end[1], kubeforge_readyz_host=j.join_end[1],
                                 kubeforge_bind_port=6443, kubeforge_worker_home=str(j.d / "renew-home"),
                                 kubeforge_worker_stage_dir=str(j.d / "renew-stage"))
        return hosts

    def playbook(self, name: str = "renew-certs.yml", hosts: dict | None = None, path: Path | None = None,
                 poll=None, workers: dict | None = None, extra: dict | None = None) -> dict:
        """Runs playbooks/NAME on an inventory of HOSTS (self.hosts()) and WORKERS as a user runs it (EXTRA as
        -e), the tree bound over /etc/kubernetes; PATH first (a folder of stand-ins), POLL() called while it
        runs. Its task results keyed (host, task name); a failed task fails."""
        n = self.n
        inventory = self.d / f"inventory-{name}"
        groups = {"control_plane": {"hosts": hosts or self.hosts()}}
        if workers:
            groups["workers"] = {"hosts": workers}
        inventory.write_text(yaml.safe_dump({"all": {"children": groups}}, sort_keys=False))  # the first control plane first
        env = ansible_env(HOME=str(self.d))
        if path:
            env["PATH"] = f"{path}:{env['PATH']}"
        play = shlex.join([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
                           *(["-e", json.dumps(extra)] if extra else []), str(REPO / "playbooks" / name)])
        stem = Path(name).stem + "".join(f"-{v}" for v in (extra or {}).values())
        log, err = n.logs / f"{stem}-playbook.json", n.logs / f"{stem}-playbook.stderr"
        mounts = f"mount --bind {shlex.quote(str(n.tree))} /etc/kubernetes"
        host = endpoint_name(n.tree)
        if host:  # this node's DNS for the controlPlaneEndpoint (the joined nodes' namespaces have theirs)
            etc_hosts = self.d / "hosts"
            etc_hosts.write_text(Path("/etc/hosts").read_text().rstrip("\n") + f"\n{n.advertise} {host}\n")
            mounts += f" && mount --bind {shlex.quote(str(etc_hosts))} /etc/hosts"
        with open(log, "w") as out_f, open(err, "w") as err_f, subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "sh", "-c", f"{mounts} && exec {play}"],
                env=env, cwd=self.d, stdout=out_f, stderr=err_f, text=True) as p:
            deadline = time.monotonic() + PLAYBOOK_TIMEOUT_S
            while p.poll() is None:
                if time.monotonic() > deadline:
                    p.kill()
                    raise AssertionError(f"{name} did not end within {PLAYBOOK_TIMEOUT_S}s")
                if poll:
                    poll()
                time.sleep(0.5)
        try:
            out = json.loads(log.read_text())
        except ValueError:
            raise AssertionError(f"ansible-playbook printed no JSON (rc {p.returncode}): {err.read_text()[-1500:]}")
        failed = [(t["task"]["name"], r.get("msg")) for play in out["plays"] for t in play["tasks"]
                  for r in t["hosts"].values() if r.get("failed")]
        assert p.returncode == 0 and not failed, f"{name} failed (rc {p.returncode}): {failed}"
        # serial: 1 gives one play per host; a later task of the same name (a re-run phase) wins
        return {(h, t["task"]["name"]): r for play in out["plays"] for t in play["tasks"] for h, r in t["hosts"].items()}

    def lease(self, name: str) -> str | None:
        return (self.n.get(f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{name}").get("spec")
                or {}).get("renewTime")

    def members(self) -> list[tuple[str, str, int, Path, Path, list]]:
        """(node name, address, port, its pki, its manifests, what watches it) of each control plane renewed."""
        n = self.n
        out = [(n.node_name, n.advertise, n.port, n.tree / "pki", n.tree / "manifests", [n.kubelet])]
        if self.cp2:
            j = self.cp2
            out.append((j.name, j.join_end[1], 6443, j.etc / "pki", j.etc / "manifests", []))  # keep_running()
        return out

    def run(self) -> str:
        n = self.n
        ca = n.tree / "pki" / "ca.crt"
        before, served_before, comps, ready_before = {}, {}, {}, {}
        for name, addr, port, pki, manifests, _ in self.members():
            comps[name] = [c for c in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
                           if (manifests / f"{c}.yaml").exists()]
            before[name] = {c: self.container_id(self.pod(c, name)) for c in comps[name]}
            # the second control plane has no CNI config (its Node stays NotReady): its kubelet's lease shows it alive
            ready_before[name] = n.ready(n.get(f"/api/v1/nodes/{name}"))
            served_before[name] = served_der(addr, port, ca)
            assert served_before[name] == file_der(pki / "apiserver.crt"), \
                f"{name}'s kube-apiserver does not serve its apiserver.crt before the renewal"
        t = time.monotonic()
        tasks = self.playbook()
        took = time.monotonic() - t
        self.keep_running()
        leases = {name: self.lease(name) for name, *_ in self.members()}
        said = []
        for name, addr, port, pki, manifests, watch in self.members():
            def result(prefix):
                return next(r for (h, task), r in tasks.items() if h == name and task.startswith(prefix))
            renewal = result("Renew the certificates")
            pods = result("Write the static Pod manifests")
            readyz = result("Wait for this node's API server")
            assert not readyz.get("skipped"), f"{name}: the playbook's /readyz wait was skipped"
            rewritten = sorted(m["name"] for m in pods["manifests"] if m["action"] == "updated")
            assert rewritten == sorted(comps[name]), f"{name}: manifests rewritten: {rewritten}, expected {comps[name]}"
            crt = pki / "apiserver.crt"
            assert served_before[name] != file_der(crt), f"{name}: apiserver.crt was not renewed"
            v = subprocess.run(["openssl", "verify", "-CAfile", str(ca), str(crt)], capture_output=True, text=True)
            assert v.returncode == 0, v.stdout + v.stderr
            hashes = {c: yaml.safe_load((manifests / f"{c}.yaml").read_text())["metadata"]["annotations"][HASH]
                      for c in comps[name]}

            def restarted(name=name, hashes=hashes):
                self.keep_running()
                waiting = []
                for c in comps[name]:
                    p = self.pod(c, name)
                    new = self.container_id(p)
                    if not (new and new != before[name][c] and n.ready(p)
                            and (p["metadata"].get("annotations") or {}).get(HASH) == hashes[c]):
                        waiting.append(c)
                return not waiting, f"not yet restarted and Ready: {waiting}"
            n.wait(f"{name}'s static Pods restarted by its kubelet", restarted, 180, watch)
            n.wait(f"{name}'s kube-apiserver serving the renewed apiserver.crt",
                   lambda addr=addr, port=port, crt=crt: (self.keep_running() or served_der(addr, port, ca) == file_der(crt),
                                                          "the old one"),
                   60, watch)
            if ready_before[name]:
                n.wait(f"Node {name} Ready", lambda name=name: (n.ready(n.get(f"/api/v1/nodes/{name}")), "NotReady"),
                       60, watch)
            n.wait(f"{name}'s kubelet renewing its Lease after the playbook",
                   lambda name=name: (self.keep_running() or self.lease(name) != leases[name],
                                      f"renewTime still {leases[name]}"), 60, watch)
            said.append(f"{name}: {len(renewal.get('renewed') or [])} certificates renewed, manifests rewritten with "
                        f"their certificates hash ({', '.join(rewritten)}), each restarted by its kubelet (new container, "
                        f"mirror Pod with the new hash) and Ready, its kube-apiserver serving the renewed apiserver.crt "
                        f"(openssl verify -CAfile ca.crt: OK), the playbook's /readyz wait passed, "
                        + ("Node Ready" if ready_before[name] else "its kubelet renewing its Lease (Node NotReady "
                           "before and after: no CNI config)"))
        restarted = (f" ({self.cp2.name}'s kubelet restarted as systemd would: {', '.join(self.restarts)}; its CSINode "
                     "initialisation gave up while the first API server restarted)") if self.restarts else ""
        return (f"renew-certs.yml ({len(said)} control plane{'s one at a time' if len(said) > 1 else ''}) in {took:.0f}s; "
                + "; ".join(said) + f"; all done {time.monotonic() - t:.0f}s after the playbook started{restarted}")
