#!/usr/bin/env python3
"""A real node for a kubeadm-shaped tree: containerd + runc + the kubelet run its static pods.

    node.py --bin BIN_DIR --tree TREE --kubelet-files KDIR [--work DIR] [--images DIR] [--hold SECONDS]
            [--then COMMAND [--jar JAR]] [--renew-config CONFIG --jar JAR]

TREE is an /etc/kubernetes-shaped folder (pki/, *.conf, manifests/) and KDIR holds the kubelet's
files of the same tree: config.yaml, kubeadm-flags.env [, instance-config.yaml], as kubeadm's
kubelet-start phase (run_kubeadm_reference.py --kubelet-out) or the worker's POST /v1/kubelet-config
(worker_tree.py --kubelet-out) writes them to /var/lib/kubelet. Nothing is rewritten: the kubelet
reads the manifests, config.yaml, kubeadm-flags.env and kubelet.conf at the paths of a real node.

How (root): the script re-runs itself under `unshare --net --mount --pid --fork --kill-child`:
  * network namespace: `lo` up with the tree's advertise address(es), as controlplane.py --netns;
    the kubelet gets --node-ip <advertise address> (the namespace has no default route);
  * mount namespace (private): /etc, /var, /run and /usr are overlays whose upper dirs are in WORK/scratch/ns, so
    nothing is written to the host's; TREE is bound read-only over /etc/kubernetes, WORK/scratch/kubelet
    (KDIR's files copied in) over /var/lib/kubelet, WORK/logs/pods over /var/log/pods. containerd's
    root and state and runc's root are in WORK (real disk: overlayfs cannot stack on overlayfs);
    its socket is the tree's criSocket, /run/containerd/containerd.sock;
  * PID namespace: this script is its PID 1. When it ends, however it ends (even SIGKILL), the
    kernel kills every process in it: kubelet, containerd, shims, containers.
It starts containerd (BIN/containerd, Debian's runc, BIN/cni plugins), imports the images that
images.py makes from BIN (`ctr -n k8s.io images import`; tags from the manifests and the sandbox
image), starts the kubelet as kubeadm's systemd drop-in does (--bootstrap-kubeconfig,
--kubeconfig=/etc/kubernetes/kubelet.conf, --config=/var/lib/kubelet/config.yaml,
$KUBELET_KUBEADM_ARGS, $KUBELET_EXTRA_ARGS) plus --config-dir with the machine overrides (below),
then checks, through the API server that the kubelet itself runs:
  * the four static pods are Ready (their mirror pods);
  * the node registered as system:node:<name> with the tree's kubelet.conf;
  * with a CNI bridge config written after registration (as a network add-on would), it is Ready;
  * a pod created through the API is scheduled on it, gets an address from the pod subnet (the
    node's podCIDR when kube-controller-manager allocates them, else DEFAULT_POD_SUBNET) and
    answers HTTP (the etcd image, serving /version);
  * with --then and --jar: a worker node joins (node_join.py): its own network and mount namespaces,
    its own worker's discovery and kubelet-config, its own containerd, and the kubelet's own TLS
    bootstrap approved by the real kube-controller-manager; it becomes Ready and runs a pod;
  * with --join-control-plane (and --then, --jar): a second control plane joins by playbooks/join.yml,
    its static Pods under its own kubelet (node_join_cp.py);
  * with --rotate-ca (and --renew-both): playbooks/rotate-ca.yml rotates the kubernetes CA on both control
    planes, each kubelet restarted through a systemctl stand-in, a client loop never failing (node_rotate.py);
  * with --renew-config and --jar: playbooks/renew-certs.yml renews the tree (it MUTATES the tree's
    pki/, kubeconfigs and manifests), with --renew-both the second control plane's after it (serial:
    1); each kubelet restarts its Pods and each kube-apiserver serves its renewed certificate
    (node_renew.py).
Stopping (pass, fail, Ctrl-C, SIGTERM): the kubelet (SIGTERM, SIGKILL after 10 s), then every
other process of the PID namespace by PID (containers first, containerd last), shim sockets under
/run/containerd/s removed, mounts under the node's folders unmounted, the pod cgroups the kubelet
made removed (only when there were none before); the outer script removes WORK's scratch and keeps
WORK/logs.

MACHINE_OVERRIDES is the one place where settings differ from the tree's files, each with the
reason and only when this machine needs it. A kubelet refusing what a tree wrote is a finding
about that tree, never a reason for an override.

Prints one PASS/FAIL line per check and "N passed, N failed". Exit 0 all pass, 1 a check failed,
2 the node did not come up. Python 3.11 standard library + PyYAML.
"""
from __future__ import annotations

import argparse
import contextlib
import ctypes
import http.client
import ipaddress
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import controlplane as cp  # noqa: E402  (Client, KubeconfigIdentity, setup_netns, tree_addresses)
import images  # noqa: E402
import node_join  # noqa: E402  (the worker node that joins, --jar)
import node_renew  # noqa: E402  (renew-certs.yml under the kubelet, --renew-config)
import node_join_cp  # noqa: E402  (a second control plane under its own kubelet, --join-control-plane)
import node_rotate  # noqa: E402  (rotate-ca.yml on both control planes, --rotate-ca)

STOP_GRACE_S = 10.0
CRI_SOCKET = "/run/containerd/containerd.sock"
DEFAULT_POD_SUBNET = "10.244.0.0/24"  # when kube-controller-manager allocates no podCIDR (no podSubnet)
COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]
PROBE_POD = "kf-node-probe"
UNTOLERATED_POD = "kf-node-probe-untolerated"
NODE_IPV6, NODE_IPV4 = "2001:db8::10", "192.0.2.10"  # the other family's node address of a dual-stack node (documentation ranges)
# kubeadm v1.34 markcontrolplane.labelsToAdd and constants.ControlPlaneTaint
CONTROL_PLANE_LABELS = ("node-role.kubernetes.io/control-plane", "node.kubernetes.io/exclude-from-external-load-balancers")
CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
# the host folders the node may write to (DirectoryOrCreate host paths such as kube-controller-manager's
# /usr/libexec/kubernetes/kubelet-plugins/volume/exec, /var/lib/etcd, containerd's socket): overlays
OVERLAID = ("/etc", "/var", "/run", "/usr")


def log(msg: str) -> None:
    print(f"[node {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(*cmd: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


# ----------------------------------------------------------------------------------------------
# what this machine needs (one place; see the module doc)
# ----------------------------------------------------------------------------------------------
def has_cap(bit: int) -> bool:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) >> bit & 1)
    return False


def machine_overrides() -> tuple[dict, dict]:
    """(kubelet drop-in fields, containerd CRI runtime settings), each with its reason. Besides these,
    the kubelet gets --node-ip (KUBELET_EXTRA_ARGS): the namespace has no default route to find it by."""
    kubelet: dict[str, tuple[object, str]] = {}
    containerd: dict[str, tuple[object, str]] = {}
    if not Path("/run/systemd/system").is_dir():
        kubelet["cgroupDriver"] = ("cgroupfs", "no systemd as PID 1: the systemd cgroup driver has nobody to talk to")
    if Path("/sys/fs/cgroup/cgroup.controllers").exists() is False:
        kubelet["failCgroupV1"] = (False, "cgroup v1 host: kubelet 1.34 only warns, 1.35 refuses by default")
    if len(Path("/proc/swaps").read_text().splitlines()) > 1:
        kubelet["failSwapOn"] = (False, "swap is on")
    if not has_cap(24):  # CAP_SYS_RESOURCE
        kubelet["oomScoreAdj"] = (0, "no CAP_SYS_RESOURCE: the kubelet cannot lower its own oom_score_adj")
        containerd["restrict_oom_score_adj"] = (True, "no CAP_SYS_RESOURCE: runc cannot lower a container's "
                                                "oom_score_adj and every sandbox fails")
    kubelet["imageGCHighThresholdPercent"] = (100, "images exist only locally: nothing can be pulled back")
    kubelet["imageGCLowThresholdPercent"] = (99, "images exist only locally: nothing can be pulled back")
    return kubelet, containerd


# ----------------------------------------------------------------------------------------------
# processes (this script is PID 1 of its PID namespace: it reaps orphans, e.g. the shims)
# ----------------------------------------------------------------------------------------------
_libc = ctypes.CDLL(None, use_errno=True)


class Proc:
    def __init__(self, name: str, argv: list[str], logfile: Path, env: dict | None = None):
        self.name, self.logfile = name, logfile
        self.fh = logfile.open("ab")
        self.fh.write(("$ " + shlex.join(argv) + "\n").encode())
        self.fh.flush()
        log(f"starting {name}: {shlex.join(argv)}")
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.fh, stderr=subprocess.STDOUT,
                                  start_new_session=True, env=env)

    def alive(self) -> bool:
        return self.p.poll() is None

    def tail(self, n: int = 40) -> str:
        return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-n:])

    def stop(self) -> None:
        if self.alive():
            try:
                os.killpg(self.p.pid, signal.SIGTERM)
                self.p.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                log(f"{self.name} ignored SIGTERM for {STOP_GRACE_S:.0f}s: SIGKILL")
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait(timeout=5)
            except ProcessLookupError:
                pass
        self.fh.close()


def _die_with_parent() -> None:  # in the child between fork and exec
    _libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: unshare dies with us, then (--kill-child) PID 1


def reap_orphans(known: set[int]) -> None:
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) in known:
            continue
        try:
            st = (d / "stat").read_text()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        if fields[0] == "Z" and int(fields[1]) == os.getpid():
            try:
                os.waitpid(int(d.name), os.WNOHANG)
            except ChildProcessError:
                pass


def other_pids() -> list[int]:
    me = os.getpid()
    return [int(d.name) for d in Path("/proc").iterdir() if d.name.isdigit() and int(d.name) != me]


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


# ----------------------------------------------------------------------------------------------
# one node per host, and what a run that could not stop leaves behind (host side, outside the namespaces)
# ----------------------------------------------------------------------------------------------
# cgroup v1 `kubepods` is host-wide: one node at a time. The lock is held by the outer script for the
# whole run (the kernel drops it when that process dies, also by SIGKILL); its content is the run's
# state: the namespace's PID (unshare) with its start time, the work folder, the kubepods cgroups that
# existed before. A clean end empties it; a run killed before that leaves it, and the next start
# (holding the lock, so that run is gone) cleans by it.
LOCK = Path("/run/lock/kubeforge-node.lock")
LOCK_WAIT_S = 900.0
CLEAN_WAIT_S = 10.0


def proc_starttime(pid: int) -> str | None:
    try:
        st = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return st[st.rindex(")") + 2:].split()[19]


def cgroup_roots() -> list[Path]:
    base = Path("/sys/fs/cgroup")
    dirs = [d for d in base.iterdir() if d.is_dir() and not d.is_symlink()] if base.is_dir() else []
    return [d / name for d in dirs for name in ("kubepods", *node_join.CGROUP_ROOTS)]


def cgroup_pids(root: Path) -> set[int]:
    pids: set[int] = set()
    for dirpath, _dirs, files in os.walk(root):
        if "cgroup.procs" in files:
            try:
                pids |= {int(x) for x in Path(dirpath, "cgroup.procs").read_text().split()}
            except OSError:
                pass
    return pids


def remove_cgroups(before: set[str]) -> tuple[int, int, list[str]]:
    """The kubepods cgroups that did not exist before: every process still in them killed by PID,
    then the folders removed deepest first (retried while the killed processes are reaped).
    Returns (processes killed, folders removed, what is left)."""
    killed, removed, left = 0, 0, []
    for root in cgroup_roots():
        if str(root) in before or not root.exists():
            continue
        for pid in cgroup_pids(root):
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + CLEAN_WAIT_S
        while True:
            errors = []
            for dirpath, _dirs, _files in sorted(os.walk(root), key=lambda w: -len(w[0])):
                try:
                    os.rmdir(dirpath)
                    removed += 1
                except OSError as e:
                    errors.append(f"{dirpath}: {e.strerror}")
            if not errors or time.monotonic() > deadline:
                left += errors
                break
            time.sleep(0.2)
    return killed, removed, left


def host_mounts_under(folder: Path) -> list[str]:
    points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    return sorted({m for m in points if m == str(folder) or m.startswith(f"{folder}/")}, key=len, reverse=True)


def foreign_node_pids() -> list[str]:
    """A kubelet or containerd on this host that is not a node.py run's (which would hold the lock)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and comm(int(d.name)) in ("kubelet", "containerd"):
            out.append(f"{d.name}({comm(int(d.name))})")
    return out


def clean_run(state: dict) -> tuple[str, list[str]]:
    """Everything a run left on the host, by its state: its namespace's init by PID (if it is still
    that process), the processes in the kubepods cgroups it made, those cgroups, mounts under its work
    folder, its scratch. Returns (what was done, what could not be cleaned)."""
    done, left = [], []
    pid, start = state.get("pid"), state.get("starttime")
    if pid and start and proc_starttime(pid) == start:
        os.kill(pid, signal.SIGKILL)  # unshare: --kill-child takes the namespace's init, and with it all in it
        deadline = time.monotonic() + CLEAN_WAIT_S
        while proc_starttime(pid) == start and time.monotonic() < deadline:
            time.sleep(0.1)
        done.append(f"namespace PID {pid} killed")
    killed, removed, cg_left = remove_cgroups(set(state.get("cgroups_before", [])))
    left += [f"cgroup {c}" for c in cg_left]
    if killed or removed:
        done.append(f"{killed} process(es) in kubepods killed, {removed} cgroup folder(s) removed")
    work = Path(state.get("work", "/nonexistent"))
    mounts = host_mounts_under(work / "scratch")
    for m in mounts:
        subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)
    left += [f"mount {m}" for m in host_mounts_under(work / "scratch")]
    if mounts:
        done.append(f"{len(mounts)} mount(s) unmounted")
    if (work / "scratch").exists():
        shutil.rmtree(work / "scratch", ignore_errors=True)
        done.append(f"{work / 'scratch'} removed")
        if (work / "scratch").exists():
            left.append(f"{work / 'scratch'}")
    return "; ".join(done) or "nothing left", left


class HostLock:
    def __init__(self) -> None:
        import fcntl
        self.fcntl = fcntl
        LOCK.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        deadline, said = time.monotonic() + LOCK_WAIT_S, False
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                foreign = foreign_node_pids()
                if not foreign:
                    break
                fcntl.flock(self.fd, fcntl.LOCK_UN)
                why = f"a kubelet/containerd not started by node.py runs: {', '.join(foreign)}"
            except BlockingIOError:
                why = f"another node.py run holds {LOCK}"
            if time.monotonic() > deadline:
                raise SystemExit(f"node.py: {why}; gave up after {LOCK_WAIT_S:.0f}s (cgroup v1 kubepods is host-wide)")
            if not said:
                log(f"waiting: {why}")
                said = True
            time.sleep(2)

    def state(self) -> dict:
        os.lseek(self.fd, 0, os.SEEK_SET)
        raw = os.read(self.fd, 1 << 16).decode(errors="replace").strip()
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return {"unreadable": raw[:200]}

    def write(self, state: dict) -> None:
        os.ftruncate(self.fd, 0)
        os.lseek(self.fd, 0, os.SEEK_SET)
        os.write(self.fd, (json.dumps(state) + "\n").encode() if state else b"")
        os.fsync(self.fd)

    def release(self) -> None:
        self.fcntl.flock(self.fd, self.fcntl.LOCK_UN)
        os.close(self.fd)


# ----------------------------------------------------------------------------------------------
# the node
# ----------------------------------------------------------------------------------------------
class NotUp(Exception):
    pass


class Node:
    def __init__(self, a: argparse.Namespace):
        self.bin, self.tree, self.kfiles, self.work = a.bin, a.tree, a.kubelet_files, a.work
        self.then, self.jar, self.renew_config = a.then, a.jar, a.renew_config
        self.join_cp, self.renew_both, self.rotate_ca = a.join_control_plane, a.renew_both, a.rotate_ca
        self.rotate_also = a.rotate_also or []
        self.joiners: list[node_join.Joiner] = []
        self.images_dir = a.images or (self.work / "scratch" / "images")
        self.reuse_images = a.images is not None  # a folder of its own: shared by the runs that name it
        self.logs = self.work / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.scratch = self.work / "scratch"
        self.procs: list[Proc] = []
        self.results: list[tuple[str, bool, str]] = []
        self.manifests = {m.stem: yaml.safe_load(m.read_text()) for m in (self.tree / "manifests").glob("*.yaml")}
        ext = self.tree / "external-etcd" / "etcd.yaml"
        etcd_pod = self.manifests.get("etcd") or yaml.safe_load(ext.read_text())
        self.etcd_image = etcd_pod["spec"]["containers"][0]["image"]  # also the test pods' image
        self.addresses = cp.tree_addresses(self.tree)
        api_cmd = self.manifests["kube-apiserver"]["spec"]["containers"][0]["command"]
        self.advertise = cp.flag_value(api_cmd, "advertise-address")
        self.port = int(cp.flag_value(api_cmd, "secure-port") or 6443)
        kcm_cmd = self.manifests["kube-controller-manager"]["spec"]["containers"][0]["command"]
        self.allocates_cidrs = cp.flag_value(kcm_cmd, "allocate-node-cidrs") == "true"
        # --node-ip: the namespace has no default route, so the kubelet cannot find the node's addresses
        # itself; a dual-stack cluster (two cluster CIDR families) gets one per family, as a dual-stack
        # host's interfaces would give it (NODE_IPV6 put on lo, next to the advertise address)
        self.node_ips = [self.advertise]
        families = {ipaddress.ip_network(c).version for c in (cp.flag_value(kcm_cmd, "cluster-cidr") or "").split(",") if c}
        if len(families) == 2:
            other = NODE_IPV6 if ipaddress.ip_address(self.advertise).version == 4 else NODE_IPV4
            self.node_ips.append(other)
            if other not in self.addresses:
                self.addresses.append(other)
        self.flags_env = self.read_flags_env()
        self.node_name = self.flag("hostname-override") or os.uname().nodename.lower()
        self.kubelet_cfg = yaml.safe_load((self.kfiles / "config.yaml").read_text())
        self.cgroups_before = {str(c) for c in cgroup_roots() if c.exists()}
        self.t0 = time.monotonic()

    # --- files ----------------------------------------------------------------------------------
    def read_flags_env(self) -> list[str]:
        f = self.kfiles / "kubeadm-flags.env"
        for line in f.read_text().splitlines():
            if line.startswith("KUBELET_KUBEADM_ARGS="):
                return shlex.split(line.split("=", 1)[1])[0].split()  # systemd: the value, word-split
        raise SystemExit(f"{f}: no KUBELET_KUBEADM_ARGS")

    def flag(self, name: str) -> str | None:
        for a in self.flags_env:
            if a.startswith(f"--{name}="):
                return a.split("=", 1)[1]
        return None

    def sandbox_image(self) -> str:
        return self.flag("pod-infra-container-image") or f"registry.k8s.io/pause:{images.PAUSE_VERSION}"

    def mounts(self) -> None:
        ns = self.scratch / "ns"
        for lower in OVERLAID:
            name = lower.strip("/")
            up, wk = ns / f"{name}-upper", ns / f"{name}-work"
            up.mkdir(parents=True)
            wk.mkdir(parents=True)
            run("mount", "-t", "overlay", "overlay", "-o", f"lowerdir={lower},upperdir={up},workdir={wk}", lower)
        kubelet_dir = self.scratch / "kubelet"
        kubelet_dir.mkdir(mode=0o700)
        for f in self.kfiles.iterdir():
            shutil.copy2(f, kubelet_dir / f.name)
        pod_logs = self.logs / "pods"
        pod_logs.mkdir(exist_ok=True)
        binds = [(self.tree, "/etc/kubernetes", True), (kubelet_dir, "/var/lib/kubelet", False),
                 (pod_logs, "/var/log/pods", False)]
        for src, dst, ro in binds:
            Path(dst).mkdir(parents=True, exist_ok=True)  # in an upper dir only
            run("mount", "--bind", str(src), dst)
            if ro:
                run("mount", "-o", "remount,bind,ro", dst)
        log(f"mount namespace: {', '.join(OVERLAID)} overlaid (upper dirs in {ns}); {self.tree} read-only over "
            f"/etc/kubernetes, {kubelet_dir} over /var/lib/kubelet, {pod_logs} over /var/log/pods")

    def containerd_config(self, overrides: dict, base: Path | None = None) -> tuple[Path, Path]:
        """containerd's config.toml with its root, state and CNI config folder under BASE (default
        the node's scratch); returns (config.toml, CNI config folder)."""
        base = base or self.scratch
        ctd = base / "containerd"
        for d in ("root", "state", "runc"):
            (ctd / d).mkdir(parents=True, exist_ok=True)
        cni_conf = base / "cni" / "net.d"
        cni_conf.mkdir(parents=True)
        reasons = "".join(f"# {k}: {why}\n" for k, (_, why) in overrides.items())
        extra = "".join(f"  {k} = {json.dumps(v)}\n" for k, (v, _) in overrides.items())
        text = f"""# containerd for node.py. Machine overrides, each with its reason:
{reasons}version = 3
root = "{ctd / 'root'}"
state = "{ctd / 'state'}"

[grpc]
  address = "{CRI_SOCKET}"

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "{self.sandbox_image()}"

[plugins.'io.containerd.cri.v1.runtime']
{extra}  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = "{shutil.which('runc') or '/usr/sbin/runc'}"
        Root = "{ctd / 'runc'}"
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["{self.bin / 'cni'}"]
    conf_dir = "{cni_conf}"
"""
        path = ctd / "config.toml"
        path.write_text(text)
        return path, cni_conf

    def kubelet_dropin(self, overrides: dict, base: Path | None = None) -> Path:
        d = (base or self.scratch) / "kubelet.conf.d"
        d.mkdir()
        body = {"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration"}
        body.update({k: v for k, (v, _) in overrides.items()})
        reasons = "".join(f"# {k}: {why}\n" for k, (_, why) in overrides.items())
        (d / "50-kubeforge-machine.conf").write_text("# node.py: what this machine needs\n" + reasons +
                                                     yaml.safe_dump(body, sort_keys=False))
        return d

    # --- start ----------------------------------------------------------------------------------
    def env(self) -> dict:
        return {"PATH": f"{self.bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME": "/root", "LANG": "C.UTF-8"}

    def start(self, name: str, argv: list[str]) -> Proc:
        p = Proc(name, argv, self.logs / f"{name}.log", env=self.env())
        self.procs.append(p)
        return p

    def wait(self, what: str, probe, timeout: float, watch: list[Proc] = ()) -> object:
        deadline = time.monotonic() + timeout
        last = "not tried"
        while time.monotonic() < deadline:
            reap_orphans({p.p.pid for p in self.procs})
            for p in watch:
                if not p.alive():
                    raise NotUp(f"{p.name} exited ({p.p.returncode}) while waiting for {what}:\n{p.tail()}")
            try:
                ok, last = probe()
                if ok:
                    return last
            except Exception as e:  # noqa: BLE001 - any failure means "not yet"
                last = f"{type(e).__name__}: {e}"
            time.sleep(1)
        raise NotUp(f"no {what} within {timeout:.0f}s (last: {str(last)[:600]})")

    def ctr(self, *args: str, prefix: list[str] = ()) -> subprocess.CompletedProcess:
        """ctr against the node's containerd (PREFIX: nsenter into another node's namespaces)."""
        return subprocess.run([*prefix, str(self.bin / "ctr"), "--address", CRI_SOCKET, "-n", "k8s.io", *args],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=self.env())

    def import_images(self, tags: list[str], prefix: list[str] = ()) -> None:
        """The images made from BIN (images.py) for TAGS, imported into the containerd PREFIX reaches."""
        self.images_dir.mkdir(parents=True, exist_ok=True)
        for tag in tags:
            name, dest, entrypoint = images.image_for(tag)
            tar = images.archive(tag, self.bin / name, dest, entrypoint, self.images_dir, reuse=self.reuse_images)
            r = self.ctr("images", "import", "--platform", "linux/amd64", str(tar), prefix=prefix)
            if r.returncode != 0:
                raise NotUp(f"ctr images import {tar}: {r.stdout}")
        listed = self.ctr("images", "ls", "-q", prefix=prefix).stdout.split()
        missing = [t for t in tags if t not in listed]
        if missing:
            raise NotUp(f"images not in containerd after import: {missing}")
        log(f"images imported: {', '.join(tags)} ({time.monotonic() - self.t0:.1f}s)")

    def boot(self) -> None:
        cp.setup_netns(self.addresses)
        self.mounts()
        k_over, c_over = self.overrides = machine_overrides()
        for k, (v, why) in {**k_over, **c_over}.items():
            log(f"machine override {k}={v}: {why}")
        cfg, self.cni_conf = self.containerd_config(c_over)
        dropin = self.kubelet_dropin(k_over)

        ext = self.tree / "external-etcd" / "etcd.yaml"
        if "etcd" not in self.manifests and ext.exists():
            # the stand-in external etcd is not the node's: a plain process with its manifest's command
            # verbatim (the tree's /etc/kubernetes/pki paths, /var/lib/etcd in the /var overlay)
            cmd = cp.load_command(ext)
            self.ext_etcd = self.start("external-etcd", [str(self.bin / "etcd"), *cmd[1:]])
            host, port = self.etcd_client_addr()
            self.wait("external etcd", lambda: (self.etcd_version() is not None, "no answer"), 60, [self.ext_etcd])
            log(f"external etcd up on {host}:{port} ({time.monotonic() - self.t0:.1f}s)")

        ctd = self.start("containerd", [str(self.bin / "containerd"), "--config", str(cfg)])
        self.wait("containerd socket", lambda: (self.ctr("version").returncode == 0, "ctr version"), 30, [ctd])
        log(f"containerd up ({time.monotonic() - self.t0:.1f}s)")

        tags = sorted({c["image"] for m in self.manifests.values() for c in m["spec"]["containers"]}
                      | {self.sandbox_image(), self.etcd_image})
        self.import_images(tags)

        argv = [str(self.bin / "kubelet"),
                "--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf",
                "--kubeconfig=/etc/kubernetes/kubelet.conf",
                "--config=/var/lib/kubelet/config.yaml",
                *self.flags_env,
                f"--node-ip={','.join(self.node_ips)}",
                f"--config-dir={dropin}"]
        self.kubelet_argv = argv  # node_rotate.py restarts it with the same files, as systemd would
        self.kubelet = self.start("kubelet", argv)
        self.t_kubelet = time.monotonic()

    def etcd_client_addr(self) -> tuple[str, int]:
        ext = self.tree / "external-etcd" / "etcd.yaml"
        cmd = cp.load_command(ext if "etcd" not in self.manifests else self.tree / "manifests" / "etcd.yaml")
        u = urllib.parse.urlsplit(cp.flag_value(cmd, "listen-client-urls").split(",")[0])
        return u.hostname, u.port

    def etcd_version(self) -> str | None:
        host, port = self.etcd_client_addr()
        pki = self.tree / "pki"
        st, body = cp.Client(host, port, str(pki / "etcd" / "ca.crt"),
                             cert=(str(pki / "apiserver-etcd-client.crt"), str(pki / "apiserver-etcd-client.key"))
                             ).request("GET", "/version")
        return body.decode() if st == 200 else None

    # --- API ------------------------------------------------------------------------------------
    def api(self) -> cp.Client:
        # super-admin.conf (system:masters): admin.conf's kubeadm:cluster-admins is bound only by
        # kubeadm init's cluster half, which this node does not run
        if not hasattr(self, "_admin"):
            self._admin = cp.KubeconfigIdentity(self.tree / "super-admin.conf", self.scratch / "keys")
        c = self._admin.client()
        c.ip, c.port = self.advertise, self.port
        return c

    def get(self, path: str) -> dict | None:
        st, body = self.api().request("GET", path)
        if st == 404:
            return None
        if st != 200:
            raise AssertionError(f"GET {path}: HTTP {st} {body[:300]!r}")
        return json.loads(body)

    @staticmethod
    def ready(obj: dict | None) -> bool:
        conds = ((obj or {}).get("status") or {}).get("conditions") or []
        return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)

    # --- checks ---------------------------------------------------------------------------------
    def check(self, name: str, fn) -> bool:
        try:
            detail = fn() or ""
            self.results.append((name, True, detail))
            print(f"PASS {name}{': ' + detail if detail else ''}", flush=True)
            return True
        except Exception as e:  # noqa: BLE001
            self.results.append((name, False, f"{type(e).__name__}: {e}"))
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
            if not isinstance(e, (AssertionError, NotUp)):
                traceback.print_exc()
            return False

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.t_kubelet:.0f}s after the kubelet started"

    def chk_static_pod(self, comp: str) -> str:
        path = f"/api/v1/namespaces/kube-system/pods/{comp}-{self.node_name}"
        pod = self.wait(f"{comp} Ready", lambda: (self.ready(p := self.get(path)), p), 120, [self.kubelet])
        c = pod["spec"]["containers"][0]
        return f"mirror pod Ready, image {c['image']}, {self.elapsed()}"

    def chk_registered(self) -> str:
        node = self.wait("Node object", lambda: ((n := self.get(f"/api/v1/nodes/{self.node_name}")) is not None, n),
                         60, [self.kubelet])
        ident = cp.KubeconfigIdentity(self.tree / "kubelet.conf", self.scratch / "keys")
        c = ident.client()
        c.ip, c.port = self.advertise, self.port
        who = cp.self_subject_review(c)
        want = f"system:node:{self.node_name}"
        if who["username"] != want or "system:nodes" not in who.get("groups", []):
            raise AssertionError(f"kubelet.conf is {who}, expected {want} in system:nodes")
        addrs = [a["address"] for a in node["status"].get("addresses", []) if a["type"] == "InternalIP"]
        if addrs != self.node_ips:
            raise AssertionError(f"Node InternalIP {addrs}, expected {self.node_ips}")
        # the kubelet makes its lease after the Node (on a loaded machine, seconds later)
        path = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{self.node_name}"
        self.wait("the node's lease held by the node", lambda: (
            ((lease := self.get(path)) or {}).get("spec", {}).get("holderIdentity") == self.node_name, lease), 60,
            [self.kubelet])
        return f"Node {self.node_name} (InternalIP {', '.join(addrs)}), lease held; kubelet.conf is {want} in system:nodes"

    def pod_subnets(self, node_name: str | None = None, default: str = DEFAULT_POD_SUBNET) -> list[str]:
        name = node_name or self.node_name
        if self.allocates_cidrs:
            node = self.wait("Node podCIDRs", lambda: (bool((n := self.get(f"/api/v1/nodes/{name}"))
                                                            ["spec"].get("podCIDRs")), n), 60, [self.kubelet])
            return node["spec"]["podCIDRs"]
        return [default]

    def write_cni(self, subnets: list[str], folder: Path | None = None) -> None:
        ranges = [[{"subnet": s}] for s in subnets]
        routes = [{"dst": "0.0.0.0/0" if ipaddress.ip_network(s).version == 4 else "::/0"} for s in subnets]
        conf = {"cniVersion": "1.0.0", "name": "kf-node", "plugins": [
            {"type": "bridge", "bridge": "cni0", "isGateway": True, "ipMasq": False, "hairpinMode": True,
             "ipam": {"type": "host-local", "ranges": ranges, "routes": routes}},
            {"type": "portmap", "capabilities": {"portMappings": True}}]}
        (folder or self.cni_conf).joinpath("10-kf-node.conflist").write_text(json.dumps(conf, indent=2) + "\n")
        log(f"CNI bridge config written: pod subnet(s) {', '.join(subnets)}")

    def chk_node_ready(self) -> str:
        self.subnets = self.pod_subnets()
        node = self.get(f"/api/v1/nodes/{self.node_name}")
        cond = next((c for c in node["status"].get("conditions", []) if c["type"] == "Ready"), {})
        if cond.get("status") == "True":
            raise AssertionError(f"Ready before any CNI config ({cond}): this check would prove nothing")
        before = f"{cond.get('status', 'no Ready condition')}: {cond.get('message', '')}"[:120]
        t = time.monotonic()
        self.write_cni(self.subnets)
        self.wait("Node Ready", lambda: (self.ready(self.get(f"/api/v1/nodes/{self.node_name}")), "NotReady"),
                  120, [self.kubelet])
        return (f"Ready {time.monotonic() - t:.0f}s after the CNI config (pod subnet {', '.join(self.subnets)}); "
                f"before it: {before}")

    def probe_pod(self, name: str, tolerations: list[dict] | None = None) -> dict:
        """A Pod of the etcd image serving HTTP on 2379 (imagePullPolicy Never: images are local); on
        every pod address (dual-stack: [::] is Go's dual-stack wildcard)."""
        dual = any(ipaddress.ip_network(s).version == 6 for s in getattr(self, "subnets", []))
        listen = "[::]" if dual else "0.0.0.0"
        spec = {"containers": [{
            "name": "http", "image": self.etcd_image, "imagePullPolicy": "Never",
            "command": ["etcd", "--name=probe", "--data-dir=/data",
                        f"--listen-client-urls=http://{listen}:2379", "--advertise-client-urls=http://127.0.0.1:2379",
                        "--listen-peer-urls=http://127.0.0.1:2380",
                        "--initial-advertise-peer-urls=http://127.0.0.1:2380",
                        "--initial-cluster=probe=http://127.0.0.1:2380"],
            "ports": [{"containerPort": 2379}],
            "readinessProbe": {"httpGet": {"path": "/health", "port": 2379}, "periodSeconds": 1},
            "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
            "volumes": [{"name": "data", "emptyDir": {}}],
            "terminationGracePeriodSeconds": 1}
        if tolerations:
            spec["tolerations"] = tolerations
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"}, "spec": spec}

    def chk_pod(self) -> str:
        self.wait("ServiceAccount default/default",
                  lambda: (self.get("/api/v1/namespaces/default/serviceaccounts/default") is not None, "absent"), 60)
        # tolerates the control-plane taint when mark-control-plane ran (--then), as a workload meant
        # for a control-plane node must
        tol = [{"key": CONTROL_PLANE_TAINT["key"], "operator": "Exists", "effect": "NoSchedule"}] if self.then else None
        ips, answers, took = self.serve_probe(self.probe_pod(PROBE_POD, tol), self.node_name, self.subnets, [self.kubelet])
        return (f"{'tolerates the control-plane taint, ' if tol else ''}scheduled to {self.node_name}, Ready "
                f"{took:.0f}s after creation, IPs {ips} in {', '.join(self.subnets)}, "
                f"GET /version: {'; '.join(answers)}")

    def serve_probe(self, pod: dict, node_name: str, subnets: list[str], watch: list[Proc],
                    where=contextlib.nullcontext) -> tuple[list[str], list[str], float]:
        """POD created through the API: Ready on NODE_NAME, one address in each of SUBNETS, and every
        address answers GET /version (from the network namespace WHERE() enters).
        Returns (pod IPs, answers, seconds from creation to Ready)."""
        self.api().json("POST", "/api/v1/namespaces/default/pods", pod)
        t = time.monotonic()
        path = f"/api/v1/namespaces/default/pods/{pod['metadata']['name']}"
        got = self.wait("test pod Ready", lambda: (self.ready(p := self.get(path)), p), 120, watch)
        took = time.monotonic() - t
        if got["spec"].get("nodeName") != node_name:
            raise AssertionError(f"scheduled to {got['spec'].get('nodeName')!r}, expected {node_name}")
        ips = [i["ip"] for i in got["status"].get("podIPs") or [{"ip": got["status"].get("podIP", "")}]]
        for net in [ipaddress.ip_network(s) for s in subnets]:  # one address per pod subnet (dual-stack: one per family)
            if not any(ipaddress.ip_address(ip) in net for ip in ips):
                raise AssertionError(f"pod IPs {ips}: none in {net}")
        answers = []
        with where():
            for ip in ips:
                conn = http.client.HTTPConnection(ip, 2379, timeout=5)
                try:
                    conn.request("GET", "/version")
                    r = conn.getresponse()
                    body = r.read().decode()
                finally:
                    conn.close()
                if r.status != 200 or "etcdserver" not in body:
                    raise AssertionError(f"GET http://{ip}:2379/version: HTTP {r.status} {body[:200]}")
                answers.append(f"{ip} -> {body.strip()[:40]}")
        return ips, answers, took

    def chk_control_plane(self) -> None:
        """controlplane.py's checks, unchanged, against the control plane the kubelet runs (the
        manifests' own ports; the tree is /etc/kubernetes here)."""
        self.cp = cp.Harness(self.bin, self.tree, self.scratch / "cp", ports=cp.DEFAULT_PORTS)
        self.cp.prepare()
        self.cp.run_checks()
        self.results.extend(self.cp.results)

    def run_then(self) -> None:
        """--then (cluster_phase.py: kubeadm's init phases or POST /v1/cluster-bootstrap, mark-control-plane
        included) with KF_ETC / KF_PKI as controlplane.py sets them; its PASS/FAIL lines count."""
        env = dict(os.environ, KF_ETC=str(self.cp.work / "etc-kubernetes"), KF_PKI=str(self.tree / "pki"))
        t = time.monotonic()
        then = subprocess.run(["sh", "-c", self.then], env=env, stdout=subprocess.PIPE, text=True)
        for line in then.stdout.splitlines():
            print(line, flush=True)
            if line.startswith(("PASS ", "FAIL ")):
                self.results.append((line[5:], line.startswith("PASS"), ""))
        if then.returncode != 0 and all(ok for _, ok, _ in self.results):
            self.results.append((f"--then exited {then.returncode}", False, ""))
            print(f"FAIL --then exited {then.returncode}", flush=True)
        log(f"--then took {time.monotonic() - t:.1f}s")

    def chk_marked(self, name: str | None = None) -> str:
        node = self.get(f"/api/v1/nodes/{name or self.node_name}")
        labels = node["metadata"].get("labels") or {}
        missing = {k: labels.get(k, "<absent>") for k in CONTROL_PLANE_LABELS if labels.get(k) != ""}
        if missing:
            raise AssertionError(f"labels {missing}, want {{{', '.join(k + ': ' for k in CONTROL_PLANE_LABELS)}}}")
        taints = node["spec"].get("taints") or []
        if not any(t.get("key") == CONTROL_PLANE_TAINT["key"] and t.get("effect") == "NoSchedule"
                   and not t.get("value") for t in taints):
            raise AssertionError(f"taints {taints}, want {CONTROL_PLANE_TAINT}")
        return (f"labels {', '.join(k + '=' for k in CONTROL_PLANE_LABELS)}; taints "
                + ", ".join(f"{t['key']}:{t['effect']}" for t in taints))

    def chk_untolerated(self) -> str:
        """A pod without the toleration is not scheduled: the scheduler's own verdict names the taint."""
        self.wait("ServiceAccount default/default",
                  lambda: (self.get("/api/v1/namespaces/default/serviceaccounts/default") is not None, "absent"), 60)
        # the node lifecycle controller lifts its not-ready taint some seconds after Ready: until then the
        # verdict could be that taint's
        def only_cp_taint():
            taints = self.get(f"/api/v1/nodes/{self.node_name}")["spec"].get("taints") or []
            return [(t["key"], t["effect"]) for t in taints] == [(CONTROL_PLANE_TAINT["key"], "NoSchedule")], taints
        self.wait("the control-plane taint as the node's only taint", only_cp_taint, 60)
        self.api().json("POST", "/api/v1/namespaces/default/pods", self.probe_pod(UNTOLERATED_POD))
        path = f"/api/v1/namespaces/default/pods/{UNTOLERATED_POD}"

        def verdict():
            pod = self.get(path)
            cond = next((c for c in (pod.get("status") or {}).get("conditions") or [] if c["type"] == "PodScheduled"), {})
            return cond.get("status") == "False" and cond.get("reason") == "Unschedulable", (pod, cond)
        pod, cond = self.wait("PodScheduled=False for the untolerated pod", verdict, 60)
        taints = self.get(f"/api/v1/nodes/{self.node_name}")["spec"].get("taints") or []
        if pod["spec"].get("nodeName") or pod["status"].get("phase") != "Pending":
            raise AssertionError(f"nodeName {pod['spec'].get('nodeName')!r}, phase {pod['status'].get('phase')}")
        # kube-scheduler 1.34 does not name the taint ("1 node(s) had untolerated taint(s)"): the node's
        # only taint is then the control-plane one (the not-ready taint is gone once the node is Ready)
        if "untolerated taint" not in cond.get("message", ""):
            raise AssertionError(f"Unschedulable, but not for a taint: {cond.get('message')}")
        if [(t["key"], t["effect"]) for t in taints] != [(CONTROL_PLANE_TAINT["key"], "NoSchedule")]:
            raise AssertionError(f"the node's taints are {taints}: the verdict does not single out the control-plane taint")
        return (f"Pending, PodScheduled=False Unschedulable: {cond['message'].strip()!r}; the node's only taint: "
                f"{CONTROL_PLANE_TAINT['key']}:NoSchedule")

    def chk_still_pending(self) -> str:
        """After the tolerating pod ran on the node, the untolerated one is still not there."""
        pod = self.get(f"/api/v1/namespaces/default/pods/{UNTOLERATED_POD}")
        if pod["spec"].get("nodeName") or pod["status"].get("phase") != "Pending":
            raise AssertionError(f"nodeName {pod['spec'].get('nodeName')!r}, phase {pod['status'].get('phase')}")
        return (f"{UNTOLERATED_POD} still Pending {time.monotonic() - self.t_untolerated:.0f}s after creation, "
                f"while {PROBE_POD} runs on {self.node_name}")

    def run_checks(self) -> None:
        for comp in [c for c in COMPONENTS if c in self.manifests]:
            self.check(f"static pod {comp} Ready under the kubelet", lambda comp=comp: self.chk_static_pod(comp))
        if not self.check(f"node registers as system:node:{self.node_name} with the tree's kubelet.conf",
                          self.chk_registered):
            return
        t = time.monotonic()
        self.chk_control_plane()
        log(f"control-plane checks on the kubelet-run control plane: {time.monotonic() - t:.1f}s")
        if self.then:
            self.run_then()
            self.check("mark-control-plane: the Node carries kubeadm's control-plane labels and NoSchedule taint",
                       self.chk_marked)
        if not self.check("node Ready with the CNI bridge", self.chk_node_ready):
            return
        if self.then:
            self.t_untolerated = time.monotonic()
            self.check("a pod without the control-plane toleration is not scheduled on the node (Pending, Unschedulable for the taint)",
                       self.chk_untolerated)
        self.check("a pod created through the API is scheduled, gets a pod-subnet IP and answers", self.chk_pod)
        if self.then:
            self.check("the pod without the toleration is still Pending", self.chk_still_pending)
        if self.then and self.jar:
            self.join()
        cp2 = None
        if self.join_cp and self.then and self.jar and node_join.family_ok(self.advertise):
            self.joiners.append(node_join_cp.ControlPlaneJoiner(self, self.jar))
            if self.check(f"join: a second control plane {node_join_cp.CP_NODE} made by join.yml, its static Pods run by "
                          "its own kubelet", self.joiners[-1].run):
                cp2 = self.joiners[-1]
        if self.renew_config and self.jar:
            # with --renew-both and the second control plane joined, the playbook renews both, one at a time
            both = cp2 if self.renew_both else None
            renewal = node_renew.Renewal(self, self.renew_config, self.jar, both)
            renewed = self.check("renew-certs.yml: " + ("each control plane's kubelet, one at a time" if both else "the kubelet")
                                 + " restarts the static Pods whose certificates were renewed and kube-apiserver serves "
                                 "its renewed certificate", renewal.run)
            if self.rotate_ca and both and renewed:
                rotation = node_rotate.Rotation(renewal)
                if self.check("rotate-ca.yml: the kubernetes CA rotated on both control planes and the worker node "
                              "under their kubelets, no request failing", rotation.run):
                    for ca in self.rotate_also:
                        self.check(f"rotate-ca.yml: the {ca} " + ("key" if ca == "service-account" else "CA")
                                   + " rotated on both control planes under their kubelets",
                                   lambda ca=ca: rotation.other(ca))

    def join(self) -> None:
        """node_join.py: a worker node in its own namespaces joins with the worker's discovery and the
        kubelet's own TLS bootstrap (needs --then's cluster objects)."""
        if not node_join.family_ok(self.advertise):
            log(f"join: not run (IPv6 advertise address {self.advertise}; the veth carries IPv4)")
            return
        j = node_join.Joiner(self, self.jar)
        self.joiners.append(j)
        name, t = node_join.JOIN_NODE, time.monotonic()
        steps = [
            ("join: a bootstrap token from a worker on the control plane (POST /v1/bootstrap-token)", j.make_token),
            (f"join: {name}'s own worker writes bootstrap-kubelet.conf and pki/ca.crt (discovery, CA pinned) and the "
             "kubelet's files (kubelet-config), nothing else", j.files),
            (f"join: {name}'s containerd and kubelet start in its own network and mount namespaces", j.start),
            (f"join: {name}'s kubelet bootstraps its client certificate (CSR auto-approved by kube-controller-manager) "
             f"and registers as system:node:{name}", j.bootstrapped),
            (f"join: {name} Ready with the CNI bridge, no control-plane taint, a pod runs there and answers", j.ready),
        ]
        for what, step in steps:
            if not self.check(what, step):
                break
        log(f"join: {time.monotonic() - t:.0f}s")

    def summary(self) -> int:
        passed = sum(1 for _, ok, _ in self.results if ok)
        failed = len(self.results) - passed
        print(f"{passed} passed, {failed} failed", flush=True)
        return 0 if failed == 0 else 1

    # --- stop -----------------------------------------------------------------------------------
    def stop(self) -> None:
        t = time.monotonic()
        for j in self.joiners:
            j.stop()
        kubelet = next((p for p in self.procs if p.name == "kubelet"), None)
        if kubelet:
            kubelet.stop()
        ctd = next((p for p in self.procs if p.name == "containerd"), None)
        keep = {ctd.p.pid} if ctd and ctd.alive() else set()
        # every other process of this PID namespace: containers, shims (by PID; all are ours)
        for sig, grace in ((signal.SIGTERM, STOP_GRACE_S), (signal.SIGKILL, 5.0)):
            pids = [p for p in other_pids() if p not in keep]
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and [p for p in other_pids() if p not in keep]:
                reap_orphans(keep)
                time.sleep(0.2)
            left = [p for p in other_pids() if p not in keep]
            if not left:
                break
            log(f"still running after {sig.name}: " + ", ".join(f"{p}({comm(p)})" for p in left))
        if ctd:
            ctd.stop()
        reap_orphans(set())
        shim_dir = Path("/run/containerd/s")
        socks = list(shim_dir.iterdir()) if shim_dir.is_dir() else []
        for s in socks:
            s.unlink(missing_ok=True)
        # unmount what containerd and the kubelet mounted (rootfs overlays, volumes), deepest first
        ours = (str(self.scratch), "/var/lib/kubelet", "/run/containerd", "/var/log/pods")
        points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
        inner = [m for m in points if any(m.startswith(o + "/") for o in ours)]
        for m in sorted(set(inner), key=len, reverse=True):
            subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)
        _killed, removed, cg_left = remove_cgroups(self.cgroups_before)
        for c in cg_left:
            log(f"cgroup left: {c}")
        log(f"node stopped in {time.monotonic() - t:.1f}s: {len(socks)} shim socket(s) removed, "
            f"{len(inner)} mount(s) unmounted, {removed} pod cgroup folder(s) removed")

# ----------------------------------------------------------------------------------------------
def rotate_also(value: str) -> list[str]:
    cas = [ca for ca in value.split(",") if ca]
    unknown = [ca for ca in cas if ca not in node_rotate.Rotation.FILES]
    if unknown:
        raise argparse.ArgumentTypeError(f"{unknown}: not one of {sorted(node_rotate.Rotation.FILES)}")
    return cas


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, type=Path, help="conformance/build.sh's bin dir")
    ap.add_argument("--tree", required=True, type=Path, help="/etc/kubernetes-shaped folder")
    ap.add_argument("--kubelet-files", required=True, type=Path, help="config.yaml, kubeadm-flags.env of the tree")
    ap.add_argument("--work", type=Path, help="work/log folder (default: a new temp folder, kept)")
    ap.add_argument("--images", type=Path, help="where the image tarballs go, kept and reused while newer than their binary (default WORK/scratch/images, removed)")
    ap.add_argument("--hold", type=float, default=0, help="keep the node up this many seconds after the checks")
    ap.add_argument("--then", help="a shell command run after the control-plane checks, with KF_ETC (the tree's "
                    "kubeconfigs) and KF_PKI set, as controlplane.py --then; mark-control-plane must be in it: the "
                    "taint proofs follow")
    ap.add_argument("--jar", type=Path, help="the worker jar: with --then, a worker node joins (node_join.py)")
    ap.add_argument("--renew-config", type=Path, help="the tree's kubeadm configuration: with --jar, "
                    "playbooks/renew-certs.yml renews the tree under the kubelet (node_renew.py)")
    ap.add_argument("--renew-both", action="store_true", help="with --renew-config and --join-control-plane: "
                    "renew-certs.yml renews the second control plane too, after the first (serial: 1)")
    ap.add_argument("--rotate-ca", action="store_true", help="with --renew-both: playbooks/rotate-ca.yml then "
                    "rotates the kubernetes CA on both control planes and the joined worker node under their kubelets "
                    "(node_rotate.py)")
    ap.add_argument("--rotate-also", metavar="CAS", type=rotate_also, help="with --rotate-ca: then rotate-ca.yml rotates each of "
                    "these on both control planes, one after the other (front-proxy, service-account, etcd; comma-separated)")
    ap.add_argument("--join-control-plane", action="store_true", help="with --then and --jar: a second control "
                    "plane joins by playbooks/join.yml, its static Pods under its own kubelet (node_join_cp.py)")
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    a.bin, a.tree, a.kubelet_files = a.bin.resolve(), a.tree.resolve(), a.kubelet_files.resolve()
    a.work = (a.work or Path(tempfile.mkdtemp(prefix="kf-node-"))).resolve()
    a.images = a.images.resolve() if a.images else None
    a.jar = a.jar.resolve() if a.jar else None
    a.renew_config = a.renew_config.resolve() if a.renew_config else None

    def on_term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_term)

    if not a.inside:
        if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("runc"):
            print("node.py needs root, unshare (util-linux) and runc", file=sys.stderr)
            return 2
        for b in ("kubelet", "containerd", "ctr", "containerd-shim-runc-v2", "cni/bridge", "pause", "etcd"):
            if not os.access(a.bin / b, os.X_OK):
                print(f"no {a.bin / b} (conformance/build.sh builds it)", file=sys.stderr)
                return 2
        a.work.mkdir(parents=True, exist_ok=True)
        lock = HostLock()
        prev = lock.state()
        if prev or (a.work / "scratch").exists():
            # the lock is ours: the run that left this is gone (killed, or lost with its host session)
            prev = prev or {"work": str(a.work)}
            done, left = clean_run(prev)
            what = (f"earlier run (namespace PID {prev.get('pid', '?')}, work {prev.get('work')}) that did not stop: "
                    f"leftovers cleaned at start: {done}")
            if left:
                print(f"FAIL {what}; NOT cleaned: {', '.join(left)}", flush=True)
                return 2
            print(f"PASS {what}", flush=True)
        argv = [sys.executable, os.path.abspath(__file__), *sys.argv[1:], "--inside", "--work", str(a.work)]
        state = {"work": str(a.work), "cgroups_before": sorted(str(c) for c in cgroup_roots() if c.exists()),
                 "runner": os.getpid(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        lock.write(state)  # before the namespace exists: a kill from here on leaves a state to clean by
        p = subprocess.Popen(["unshare", "--net", "--mount", "--propagation", "private", "--pid", "--mount-proc",
                              "--fork", "--kill-child", "--", *argv], start_new_session=True,
                             preexec_fn=_die_with_parent)
        state.update(pid=p.pid, starttime=proc_starttime(p.pid))
        lock.write(state)
        rc = 130
        try:
            rc = p.wait()
        except KeyboardInterrupt as e:
            log(f"interrupted ({e}): asking the node to stop")
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=3 * STOP_GRACE_S + 15)
            except (ProcessLookupError, subprocess.TimeoutExpired, KeyboardInterrupt):
                os.killpg(p.pid, signal.SIGKILL)  # the PID namespace dies with its init
                p.wait()
        finally:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
            # the namespaces are gone (their init is); whatever the inner stop could not do (it was
            # killed, say) is done here by the same state a later start would use
            done, left = clean_run(state)
            if left:
                log(f"NOT cleaned (the next start retries): {', '.join(left)}")
            else:
                lock.write({})
                log(f"host clean ({done})")
            lock.release()
        return rc

    node = Node(a)
    try:
        try:
            node.boot()
            node.run_checks()
        except NotUp as e:
            print(f"FAIL node did not come up: {e}", flush=True)
            node.results.append(("node up", False, str(e)))
            return 2
        rc = node.summary()
        log(f"node checks done {time.monotonic() - node.t0:.0f}s after start")
        if a.hold > 0:
            log(f"holding the node for {a.hold:.0f}s")
            time.sleep(a.hold)
        return rc
    except KeyboardInterrupt as e:
        print(f"interrupted ({e}): stopping the node", flush=True)
        return 130
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
        node.stop()
        log(f"logs: {node.logs}")


if __name__ == "__main__":
    sys.exit(main())
