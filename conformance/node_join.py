"""A worker node that joins node.py's control plane as `kubeadm join` does, its kubelet doing its own
TLS bootstrap (run by node.py --jar after --then, which made the cluster objects: the bootstrap-token
RBAC, cluster-info, kubeadm-config).

The joining node lives inside node.py's namespaces, with its own where a node has its own:
  * network: a namespace of its own (`ip netns add NETNS`) joined to the control plane's by a veth
    pair (CP_END, JOIN_END, RFC 5737 TEST-NET-2); its default route is the control plane's end, so the
    kubelet finds the node's address itself (no --node-ip); the control plane reaches it from its
    advertise address, as a host with one address would;
  * mount: a namespace of its own (held by a `sleep`) in which WORK/scratch/join's folders are bound
    over /etc/kubernetes, /var/lib/kubelet, /run/containerd, /var/lib/cni and /var/log/pods;
  * cgroups: the kubelet's cgroupRoot is /CGROUP_ROOT (the one setting beyond node.py's machine
    overrides: two kubelets on one host would each remove the other's pod cgroups as orphans);
  * PID: node.py's, so the node's end takes every process of the joiner with it.

Each step is a check:
  1. a worker on the control plane makes a bootstrap token (POST /v1/bootstrap-token, admin.conf);
  2. the joining node's own worker: POST /v1/discovery (the token, the API server, the CA pin computed
     here from the control plane's ca.crt) writes bootstrap-kubelet.conf and pki/ca.crt; POST
     /v1/kubelet-config with a JoinConfiguration for JOIN_NODE and the discovered ClusterConfiguration
     writes config.yaml and kubeadm-flags.env; /etc/kubernetes holds nothing else;
  3. containerd and the kubelet start as on node.py's node (--bootstrap-kubeconfig, --kubeconfig,
     --config, $KUBELET_KUBEADM_ARGS): the kubelet's node-client CSR is approved by
     kube-controller-manager (AutoApproved: kubeadm's node-autoapprove-bootstrap binding), the kubelet
     writes kubelet.conf, which authenticates as system:node:JOIN_NODE, and registers the Node;
  4. with a CNI bridge config for the node's pod subnet, the Node is Ready with no control-plane taint,
     and a pod created through the API for it runs there and answers from its pod-subnet address.
"""
from __future__ import annotations

import contextlib
import ctypes
import hashlib
import ipaddress
import os
import subprocess
import time
import urllib.parse
from pathlib import Path

import yaml

import controlplane as cp
from worker_tree import Worker

JOIN_NODE = "kf-join"
NETNS = "kf-join"
CP_END, JOIN_END, PREFIX_LEN = ("kfj0", "198.51.100.1"), ("kfj1", "198.51.100.2"), 24
CGROUP_ROOT = "kf-join"
CGROUP_ROOTS = (CGROUP_ROOT, "kf-cp2")  # every joining node's (node_join_cp.py's too): node.py cleans them
JOIN_POD_SUBNET = "10.244.1.0/24"  # when kube-controller-manager allocates no podCIDR
JOIN_POD = "kf-join-probe"
CLONE_NEWNET = 0x40000000
CSINODE_GAVE_UP = "failed to initialize CSINode"
_libc = ctypes.CDLL(None, use_errno=True)


def run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def ca_pin(ca: Path) -> str:
    """kubeadm's CA pin: sha256 of the CA certificate's SubjectPublicKeyInfo (DER)."""
    pem = subprocess.run(["openssl", "x509", "-in", str(ca), "-noout", "-pubkey"], check=True,
                         stdout=subprocess.PIPE).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pem, check=True,
                         stdout=subprocess.PIPE).stdout
    return "sha256:" + hashlib.sha256(der).hexdigest()


def cgroup_dirs(root: str) -> list[Path]:
    """ROOT in every cgroup hierarchy of this host (v1: one per controller; v2: one)."""
    base = Path("/sys/fs/cgroup")
    if (base / "cgroup.controllers").exists():
        return [base / root]
    return [d / root for d in base.iterdir()
            if d.is_dir() and not d.is_symlink() and (d / "cgroup.procs").exists()]


def post(w: Worker, path: str, body: dict) -> dict:
    """A worker call whose failure is a failed check (Worker.post exits the script)."""
    try:
        return w.post(path, body, [])
    except SystemExit as e:
        raise AssertionError(str(e)) from None



def endpoint_name(tree: Path) -> str | None:
    """The controlPlaneEndpoint's host name (admin.conf's server) if TREE has one: it does not resolve here, so
    whatever runs on a node's behalf gets /etc/hosts mapping it to the advertise address, as a real node's DNS does."""
    server = yaml.safe_load((tree / "admin.conf").read_text())["clusters"][0]["cluster"]["server"]
    host = urllib.parse.urlsplit(server).hostname
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        return host

class Joiner:
    name, log_prefix, netns_name, cgroup_root = JOIN_NODE, "join-", NETNS, CGROUP_ROOT
    cp_end, join_end = CP_END, JOIN_END

    def __init__(self, node, jar: Path):
        self.n, self.jar = node, jar
        self.d = node.scratch / self.netns_name
        self.etc, self.kubelet_dir = self.d / "etc-kubernetes", self.d / "var-lib-kubelet"
        self.procs: list = []
        self.java = os.environ.get("JAVA", "java")
        self.api_server = f"{node.advertise}:{node.port}"

    # --- namespaces ----------------------------------------------------------------------------
    def prefix(self) -> list[str]:
        return ["nsenter", f"--net=/run/netns/{self.netns_name}", f"--mount=/proc/{self.holder.p.pid}/ns/mnt", "--"]

    @contextlib.contextmanager
    def netns(self):
        """This process in the joining node's network namespace (a socket keeps the namespace it was made in)."""
        own, target = os.open("/proc/self/ns/net", os.O_RDONLY), os.open(f"/run/netns/{self.netns_name}", os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns {self.netns_name}")
            yield
        finally:
            _libc.setns(own, CLONE_NEWNET)
            os.close(own)
            os.close(target)

    def network(self) -> None:
        ns, (cp_dev, cp_ip), (dev, ip) = self.netns_name, self.cp_end, self.join_end
        run("ip", "netns", "add", ns)
        run("ip", "link", "add", cp_dev, "type", "veth", "peer", "name", dev, "netns", ns)
        run("ip", "addr", "add", f"{cp_ip}/{PREFIX_LEN}", "dev", cp_dev)
        run("ip", "link", "set", cp_dev, "up")
        # the control plane answers and dials from its advertise address, as a host with one address does:
        # etcd checks a peer's source address against the IP SANs of its certificate
        net = ipaddress.ip_interface(f"{cp_ip}/{PREFIX_LEN}").network
        run("ip", "route", "replace", str(net), "dev", cp_dev, "src", self.n.advertise)
        run("ip", "-n", ns, "link", "set", "lo", "up")
        # a Kubernetes node's own setting (kubeadm's preflight checks it): a new namespace inherits the host's
        # IPv4 settings, which are not the harness's to change
        run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        run("ip", "-n", ns, "addr", "add", f"{ip}/{PREFIX_LEN}", "dev", dev)
        run("ip", "-n", ns, "link", "set", dev, "up")
        run("ip", "-n", ns, "route", "add", "default", "via", cp_ip)

    def mounts(self) -> None:
        self.holder = self.n.start(f"{self.log_prefix}mount-namespace", ["unshare", "--mount", "--propagation", "private", "--",
                                                            "sleep", "infinity"])
        own = os.readlink("/proc/self/ns/mnt")
        self.n.wait("the joining node's mount namespace", lambda: (
            os.readlink(f"/proc/{self.holder.p.pid}/ns/mnt") != own and
            Path(f"/proc/{self.holder.p.pid}/comm").read_text().strip() == "sleep", "not yet"), 10, [self.holder])
        ns = ["nsenter", f"--mount=/proc/{self.holder.p.pid}/ns/mnt", "--"]
        logs = self.n.logs / f"{self.log_prefix}pods"
        binds = [(self.etc, "/etc/kubernetes"), (self.kubelet_dir, "/var/lib/kubelet"),
                 (self.d / "run-containerd", "/run/containerd"), (self.d / "var-lib-cni", "/var/lib/cni"),
                 (logs, "/var/log/pods"), (self.d / "var-lib-etcd", "/var/lib/etcd")]
        for src, dst in binds:
            src.mkdir(parents=True, exist_ok=True)
            run(*ns, "mkdir", "-p", dst)
            run(*ns, "mount", "--bind", str(src), dst)
        (self.etc / "manifests").mkdir(exist_ok=True)  # the kubelet's staticPodPath: a worker node has none
        name = self.endpoint_name()
        if name:  # the node's DNS for the controlPlaneEndpoint, as a real node has it (cluster-info names it)
            hosts = self.d / "hosts"
            hosts.write_text(Path("/etc/hosts").read_text().rstrip("\n") + f"\n{self.n.advertise} {name}\n")
            run(*ns, "mount", "--bind", str(hosts), "/etc/hosts")

    def endpoint_name(self) -> str | None:
        return endpoint_name(self.n.tree)

    def cgroups(self) -> list[Path]:
        made = []
        for d in cgroup_dirs(self.cgroup_root):
            d.mkdir(exist_ok=True)
            made.append(d)
            if (d / "cpuset.cpus").exists() and not (d / "cpuset.cpus").read_text().strip():
                for f in ("cpuset.cpus", "cpuset.mems"):  # a v1 cpuset cgroup starts empty: no task could run in it
                    (d / f).write_text((d.parent / f).read_text())
        return made

    # --- steps ---------------------------------------------------------------------------------
    def make_token(self) -> str:
        """Step 1: the joining node's namespaces; a bootstrap token from a worker on the control plane,
        through the tree's admin.conf."""
        self.network()
        self.mounts()
        w = Worker(self.java, self.jar, self.d / "cp-worker", self.n.logs / f"{self.log_prefix}cp-worker.log")
        try:
            r = post(w, "/v1/bootstrap-token", {"kubeconfig_dir": str(self.n.cp.work / "etc-kubernetes"),
                                                "description": f"kubeforge conformance: {JOIN_NODE}"})
        finally:
            w.stop()
        self.token_id, self.token = r["result"]["token_id"], r["result"]["token"]
        return (f"token id {self.token_id}; {self.netns_name} network namespace ({self.join_end[1]}, default route "
                f"{self.cp_end[1]})")

    def files(self) -> str:
        """Step 2: the joining node's worker writes what kubeadm join writes before the kubelet starts."""
        self.worker = Worker(self.java, self.jar, self.d / "join-worker", self.n.logs / f"{self.log_prefix}worker.log",
                             self.prefix())
        pin = ca_pin(self.n.tree / "pki" / "ca.crt")
        with self.netns():
            disc = post(self.worker, "/v1/discovery", {
                "api_server_endpoint": self.api_server, "token": self.token, "ca_cert_hashes": [pin],
                "kubeconfig_dir": "/etc/kubernetes", "cert_dir": "/etc/kubernetes/pki"})
            join = {"apiVersion": "kubeadm.k8s.io/v1beta4", "kind": "JoinConfiguration",
                    "nodeRegistration": {"name": JOIN_NODE, "criSocket": "unix:///var/run/containerd/containerd.sock"}}
            if not disc["result"].get("cluster_configuration"):
                raise AssertionError(f"discovery returned no ClusterConfiguration: {disc.get('warnings')}")
            kubelet = post(self.worker, "/v1/kubelet-config", {
                "kubeadm_config": yaml.safe_dump(join, sort_keys=False) + "---\n" + disc["result"]["cluster_configuration"],
                "kubelet_config_path": "/var/lib/kubelet/config.yaml"})
        self.worker.stop()
        written = sorted(str(p.relative_to(self.etc)) for p in self.etc.rglob("*") if p.is_file())
        if written != ["bootstrap-kubelet.conf", "pki/ca.crt"]:
            raise AssertionError(f"/etc/kubernetes of the joining node holds {written}")
        if (self.etc / "pki" / "ca.crt").read_bytes() != (self.n.tree / "pki" / "ca.crt").read_bytes():
            raise AssertionError("the discovered pki/ca.crt is not the control plane's CA")
        kfiles = sorted(p.name for p in self.kubelet_dir.iterdir())
        return (f"discovery (pin {pin[:19]}...) changed={disc['changed']}: bootstrap-kubelet.conf, pki/ca.crt "
                f"(the control plane's CA); kubelet-config changed={kubelet['changed']}: {', '.join(kfiles)}")

    def start(self) -> str:
        """Step 3's start: containerd (its images imported) and the kubelet in the joining node's namespaces."""
        k_over, c_over = self.n.overrides
        cfg, self.cni_conf = self.n.containerd_config(c_over, self.d)
        made = self.cgroups()
        k_over = dict(k_over, cgroupRoot=(f"/{self.cgroup_root}", "another node on this host: its pods' cgroups "
                                          "beside the first's, or each kubelet removes the other's as orphans"))
        self.dropin = self.n.kubelet_dropin(k_over, self.d)
        ctd = self.n.start(f"{self.log_prefix}containerd", [*self.prefix(), str(self.n.bin / "containerd"), "--config", str(cfg)])
        self.n.wait("the joining node's containerd", lambda: (
            self.n.ctr("version", prefix=self.prefix()).returncode == 0, "ctr version"), 30, [ctd])
        tags = sorted({self.n.sandbox_image(), self.n.etcd_image} | set(self.images()))
        self.n.import_images(tags, prefix=self.prefix())
        self.start_kubelet()
        return f"cgroupRoot /{self.cgroup_root} ({len(made)} hierarchies), images {', '.join(tags)}"

    def images(self) -> list[str]:
        """Images beyond the sandbox and the test pod's."""
        return []

    def start_kubelet(self) -> None:
        """The kubelet as kubeadm's systemd drop-in starts it, once its files are there."""
        self.kubelet_argv = [*self.prefix(), str(self.n.bin / "kubelet"),
                             "--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf",
                             "--kubeconfig=/etc/kubernetes/kubelet.conf",
                             "--config=/var/lib/kubelet/config.yaml", *self.flags_env(), f"--config-dir={self.dropin}"]
        self.kubelet = self.n.start(f"{self.log_prefix}kubelet", self.kubelet_argv)
        self.t_kubelet = time.monotonic()

    def flags_env(self) -> list[str]:
        for line in (self.kubelet_dir / "kubeadm-flags.env").read_text().splitlines():
            if line.startswith("KUBELET_KUBEADM_ARGS="):
                return line.split("=", 1)[1].strip().strip('"').split()
        raise AssertionError("kubeadm-flags.env: no KUBELET_KUBEADM_ARGS")

    def bootstrapped(self) -> str:
        """Step 3's proof: the CSR approved by kube-controller-manager, kubelet.conf is the node's."""
        n = self.n
        node = n.wait(f"Node {JOIN_NODE}", lambda: ((x := n.get(f"/api/v1/nodes/{JOIN_NODE}")) is not None, x),
                      120, [self.kubelet])
        took = time.monotonic() - self.t_kubelet
        csrs = [c for c in n.get("/apis/certificates.k8s.io/v1/certificatesigningrequests")["items"]
                if c["spec"].get("username") == f"system:bootstrap:{self.token_id}"]
        if not csrs:
            raise AssertionError(f"no CSR by system:bootstrap:{self.token_id}")
        csr = csrs[0]
        conds = {c["type"]: c for c in csr["status"].get("conditions", [])}
        if conds.get("Approved", {}).get("reason") != "AutoApproved" or not csr["status"].get("certificate"):
            raise AssertionError(f"CSR {csr['metadata']['name']}: conditions {list(conds.values())}, "
                                 f"certificate {'issued' if csr['status'].get('certificate') else 'not issued'}")
        if csr["spec"]["signerName"] != "kubernetes.io/kube-apiserver-client-kubelet":
            raise AssertionError(f"CSR signer {csr['spec']['signerName']}")
        # kubelet.conf as the kubelet wrote it: its client certificate is a file under /var/lib/kubelet/pki
        kc = yaml.safe_load((self.etc / "kubelet.conf").read_text())
        user = kc["users"][0]["user"]
        pem = self.inside(user["client-certificate"])
        if self.inside(user["client-key"]) != pem:
            raise AssertionError(f"kubelet.conf: certificate {user['client-certificate']}, key {user['client-key']}")
        c = cp.Client(n.advertise, n.port, str(self.etc / "pki" / "ca.crt"), cert=(str(pem), str(pem)))
        who = cp.self_subject_review(c)
        if who["username"] != f"system:node:{JOIN_NODE}" or "system:nodes" not in who.get("groups", []):
            raise AssertionError(f"kubelet.conf is {who}")
        addrs = [a["address"] for a in node["status"].get("addresses", []) if a["type"] == "InternalIP"]
        if addrs != [self.join_end[1]]:
            raise AssertionError(f"Node InternalIP {addrs}, expected {self.join_end[1]} (the joining node's own address)")
        return (f"CSR {csr['metadata']['name']} by system:bootstrap:{self.token_id}, "
                f"{conds['Approved']['reason']} and issued; kubelet.conf (written by the kubelet, certificate "
                f"{user['client-certificate']}) is {who['username']} in system:nodes; Node {JOIN_NODE} "
                f"(InternalIP {addrs[0]}) registered {took:.0f}s after the kubelet started")

    def inside(self, path: str) -> Path:
        """A path of the joining node's mount namespace, as this one sees it (symlinks followed there)."""
        p = Path(path)
        for _ in range(8):
            for src, dst in ((self.kubelet_dir, "/var/lib/kubelet"), (self.etc, "/etc/kubernetes")):
                if str(p).startswith(dst + "/"):
                    p = src / p.relative_to(dst)
                    break
            if not p.is_symlink():
                return p
            target = Path(os.readlink(p))
            p = target if target.is_absolute() else p.parent / target
        raise AssertionError(f"{path}: too many links")

    def ready(self) -> str:
        """Step 4: Ready with the CNI bridge, no control-plane taint, a pod runs there and answers."""
        n = self.n
        self.subnets = n.pod_subnets(JOIN_NODE, JOIN_POD_SUBNET)
        t = time.monotonic()
        n.write_cni(self.subnets, self.cni_conf)

        def ready():  # ends on Ready, or on the kubelet's NotReady for good (CSINode)
            node = n.get(f"/api/v1/nodes/{JOIN_NODE}")
            cond = next((c for c in node["status"].get("conditions", []) if c["type"] == "Ready"), {})
            if CSINODE_GAVE_UP in (cond.get("message") or ""):
                return True, cond["message"]
            return cond.get("status") == "True", f"{cond.get('reason')}: {cond.get('message')}"
        restarted = ""
        last = n.wait(f"Node {JOIN_NODE} Ready", ready, 120, [self.kubelet])
        if CSINODE_GAVE_UP in last:
            # kubelet 1.34 retries CSINode for about 23 s from its start, then stays NotReady for good;
            # a TLS-bootstrapping kubelet registers only once cadvisor and the runtime are up, which on a
            # loaded machine can be later. Under systemd (kubeadm's unit) the kubelet is restarted; here
            # once, with the same files, and said in the result.
            self.kubelet.stop()
            self.kubelet = n.start("join-kubelet-restarted", self.kubelet_argv)
            restarted = " (the kubelet restarted once: its CSINode initialisation gave up before the Node registered)"
            # the Node's condition keeps the old kubelet's message until the new one reports: only Ready counts
            n.wait(f"Node {JOIN_NODE} Ready after the restart",
                   lambda: (n.ready(n.get(f"/api/v1/nodes/{JOIN_NODE}")), "NotReady"), 120, [self.kubelet])
        ready_s = time.monotonic() - t
        node = n.get(f"/api/v1/nodes/{JOIN_NODE}")
        taints = [t["key"] for t in node["spec"].get("taints") or []]
        if any(k.startswith("node-role.kubernetes.io/control-plane") for k in taints):
            raise AssertionError(f"a worker node with a control-plane taint: {taints}")
        pod = n.probe_pod(JOIN_POD)
        pod["spec"]["nodeSelector"] = {"kubernetes.io/hostname": JOIN_NODE}
        ips, answers, took = n.serve_probe(pod, JOIN_NODE, self.subnets, [self.kubelet], self.netns)
        return (f"Ready {ready_s:.0f}s after the CNI config{restarted} (pod subnet {', '.join(self.subnets)}), "
                f"taints {taints or 'none'}; "
                f"{JOIN_POD} scheduled there, Ready {took:.0f}s after creation, IPs {ips}, GET /version from the "
                f"node: {'; '.join(answers)}")

    def stop(self) -> None:
        """The kubelet first (the rest goes with node.py's PID namespace sweep); the network namespace."""
        kubelet = getattr(self, "kubelet", None)
        if kubelet:
            kubelet.stop()
        w = getattr(self, "worker", None)
        if w:
            w.stop()
        subprocess.run(["ip", "netns", "del", self.netns_name], stderr=subprocess.DEVNULL)


def family_ok(advertise: str) -> bool:
    """The veth carries IPv4 (TEST-NET-2): an IPv6-advertised control plane is not joined here."""
    return ipaddress.ip_address(advertise).version == 4
