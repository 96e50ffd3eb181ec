"""A second control plane joined by playbooks/join.yml into node.py's control plane, its static Pods
run by its own kubelet (node.py --join-control-plane, after the other checks and before the renewal,
which then renews it too; both trees).

The node is node_join.py's (a network and mount namespace of its own, its own containerd, cgroupRoot
/kf-join), here named CP_NODE. join.yml runs as a user runs it on an inventory of two hosts: the first
control plane (this node's, a worker of its own) and CP_NODE, whose Python interpreter enters the new
node's namespaces, so every module and its worker run there. The kubelet is started once
config.yaml and bootstrap-kubelet.conf exist, as systemd restarts kubeadm's kubelet until they do;
it bootstraps its own client certificate (kubeforge_join_tls_bootstrap: false). Checks: join.yml
passes; two voting etcd members; CP_NODE's four static Pods Ready as mirror Pods of its own
kubelet; its kube-apiserver's /readyz over TLS verified by the cluster CA; its kubelet.conf is
system:node:CP_NODE. With a controlPlaneEndpoint (dual-stack), CP_NODE's /etc/hosts maps its name to
the first control plane (node_join.py), every phase runs and its Node carries the control-plane
labels and taint; without one, preflight and mark-control-plane are skipped as in join_proof.py
(kubeadm refuses such a join). With external etcd, no member is added: etcd keeps its one member, and
CP_NODE runs three static Pods, its kube-apiserver on the external etcd with the client files that
upload_certs and download_certs carried (the cluster's ClusterConfiguration names them).
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

import controlplane as cp
from join_proof import ansible_env, etcd_call
from node_join import Joiner
from worker_tree import Worker

REPO = Path(__file__).resolve().parents[1]
CP_NODE = "kf-cp2"
PLAYBOOK_TIMEOUT_S = 600
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")


class ControlPlaneJoiner(Joiner):
    # its own network (RFC 5737 TEST-NET-3), mount namespace and cgroupRoot, beside the worker node's
    name, log_prefix, netns_name, cgroup_root = CP_NODE, "cp2-", "kf-cp2", "kf-cp2"
    cp_end, join_end = ("kfc0", "203.0.113.1"), ("kfc1", "203.0.113.2")

    def images(self) -> list[str]:
        return [c["image"] for m in self.n.manifests.values() for c in m["spec"]["containers"]]

    def start_kubelet(self) -> None:
        """Deferred: run() starts the kubelet once join.yml has written its files."""

    def inventory(self, first_home: Path) -> Path:
        n = self.n
        interpreter = self.d / "python-in-node"
        # the node's PATH has its kubelet, as a real node's has (preflight's KubeletVersion runs it)
        path = self.d / "node-bin"
        path.mkdir(exist_ok=True)
        if not (path / "kubelet").exists():
            (path / "kubelet").symlink_to(n.bin / "kubelet")
        interpreter.write_text(f"#!/bin/sh\nPATH={path}:$PATH exec " + " ".join(self.prefix())
                               + f" {sys.executable} \"$@\"\n")
        interpreter.chmod(0o755)
        first = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                 "kubeforge_kubeconfig_dir": str(n.cp.work / "etc-kubernetes"), "kubeforge_cert_dir": str(n.tree / "pki"),
                 "kubeforge_worker_home": str(first_home)}
        second = {"ansible_connection": "local", "ansible_python_interpreter": str(interpreter),
                  "kubeforge_node_name": CP_NODE, "kubeforge_advertise_address": self.join_end[1],
                  "kubeforge_worker_home": str(self.d / "home"), "kubeforge_worker_stage_dir": str(self.d / "stage"),
                  "kubeforge_join_etcd_endpoints": [f"https://{n.advertise}:2379"],
                  "kubeforge_join_tls_bootstrap": False,
                  "kubeforge_join_skip_phases": [] if self.endpoint_name() else
                  ["preflight", "control-plane-join/mark-control-plane"]}
        encryption = n.tree / "encryption" / "encryption-config.yaml"
        if encryption.exists():
            first["kubeforge_encryption_config_path"] = str(encryption)
            second["kubeforge_encryption_config_path"] = "/etc/kubernetes/encryption/encryption-config.yaml"
        self.skipped = second["kubeforge_join_skip_phases"]
        inv = self.d / "inventory.yml"
        inv.write_text(yaml.safe_dump({"all": {
            "vars": {"kubeforge_cluster": True, "kubeforge_worker_jar": str(self.jar)},
            "children": {"control_plane": {"hosts": {n.node_name: first, CP_NODE: second}}}}}, sort_keys=False))
        return inv

    def run(self) -> str:
        n = self.n
        self.network()
        self.mounts()
        self.start()  # containerd and the images; the kubelet waits for its files
        first = Worker(self.java, self.jar, self.d / "first-home", n.logs / "cp2-first-worker.log")
        t = time.monotonic()
        out = (n.logs / "cp2-join-playbook.json").open("w")
        try:
            play = subprocess.Popen([str(Path(sys.executable).parent / "ansible-playbook"), "-i",
                                     str(self.inventory(first.home)), str(REPO / "playbooks" / "join.yml")],
                                    env=ansible_env(), cwd=self.d, stdout=out, stderr=subprocess.STDOUT)
            files = (self.kubelet_dir / "config.yaml", self.etc / "bootstrap-kubelet.conf")
            deadline = time.monotonic() + PLAYBOOK_TIMEOUT_S
            while play.poll() is None and not all(f.exists() for f in files) and time.monotonic() < deadline:
                time.sleep(0.5)
            if all(f.exists() for f in files):
                Joiner.start_kubelet(self)
            try:
                rc = play.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                play.kill()
                raise AssertionError(f"join.yml did not finish within {PLAYBOOK_TIMEOUT_S}s")
        finally:
            out.close()
            first.stop()
        took = time.monotonic() - t
        text = (n.logs / "cp2-join-playbook.json").read_text()
        try:
            results = json.loads(text[text.index("{"):])
        except ValueError:
            raise AssertionError(f"join.yml printed no JSON (rc {rc}): {text[-1500:]}")
        failed = [(tk["task"]["name"], h, r.get("msg")) for pl in results["plays"] for tk in pl["tasks"]
                  for h, r in tk["hosts"].items() if r.get("failed")]
        assert rc == 0 and not failed, f"join.yml failed (rc {rc}): {failed}"
        assert getattr(self, "kubelet", None) is not None, "join.yml wrote no config.yaml and bootstrap-kubelet.conf"

        external = "etcd" not in n.manifests
        components = [c for c in COMPONENTS if c != "etcd" or not external]
        members = etcd_call(f"https://{n.advertise}:2379", "/v3/cluster/member/list", {}, n.tree / "pki")["members"]
        names = sorted(m.get("name", "?") for m in members)
        want = [members[0].get("name", "?")] if external and len(members) == 1 else sorted([n.node_name, CP_NODE])
        assert names == want and not [m for m in members if m.get("isLearner")], members
        if external:
            present = sorted(p.name for p in (self.etc / "manifests").iterdir())
            assert "etcd.yaml" not in present, f"{CP_NODE} has an etcd manifest with external etcd: {present}"

        def mirrors():
            waiting = [c for c in components
                       if not n.ready(n.get(f"/api/v1/namespaces/kube-system/pods/{c}-{CP_NODE}"))]
            return not waiting, f"not Ready: {waiting}"
        n.wait(f"{CP_NODE}'s static Pods Ready", mirrors, 180, [self.kubelet])
        readyz = cp.Client(self.join_end[1], 6443, str(n.tree / "pki" / "ca.crt")).request("GET", "/readyz")
        assert readyz == (200, b"ok"), f"{CP_NODE} /readyz: {readyz}"
        kc = yaml.safe_load((self.etc / "kubelet.conf").read_text())
        pem = self.inside(kc["users"][0]["user"]["client-certificate"])
        who = cp.self_subject_review(cp.Client(n.advertise, n.port, str(n.tree / "pki" / "ca.crt"), cert=(str(pem), str(pem))))
        assert who["username"] == f"system:node:{CP_NODE}", who
        marked = ""
        if self.endpoint_name():
            marked = f"; mark-control-plane: Node {CP_NODE} carries {n.chk_marked(CP_NODE)}"
        etcd = (f"the external etcd keeps its one member ({names[0]}), no etcd manifest on {CP_NODE}" if external
                else f"etcd members {', '.join(names)}, none a learner")
        return (f"join.yml in {took:.0f}s (skipped phases: {', '.join(self.skipped) or 'none'}); {etcd}; {CP_NODE}'s "
                f"{', '.join(components)} Ready as mirror Pods of its own kubelet (started "
                f"{self.t_kubelet - t:.0f}s into the play, once its files were there); its kube-apiserver "
                f"https://{self.join_end[1]}:6443/readyz: ok; its kubelet.conf (the kubelet's own bootstrap) is "
                f"{who['username']}{marked}")
