#!/usr/bin/env python3
"""Boot a real control plane from a kubeadm-shaped tree and check its security wiring.

    controlplane.py --bin BIN_DIR --tree TREE [--work DIR] [--netns]

TREE is shaped like /etc/kubernetes (pki/, *.conf, manifests/*.yaml; external-etcd/etcd.yaml for an
external-etcd tree), as written by run_kubeadm_reference.py today and by the kubeforge worker later.

etcd, kube-apiserver, kube-controller-manager and kube-scheduler are started as plain processes with
the EXACT command lines of the static Pod manifests, rewritten only for
  * host paths:  /etc/kubernetes/pki -> TREE/pki, /etc/kubernetes/<x>.conf -> WORK/etc-kubernetes/<x>.conf
                 (copies whose server URL points at the rewritten port), /var/lib/etcd -> WORK/var-lib-etcd
  * ports:       6443, 2379, 2380, 2381, 10257, 10259 -> free ports (kube-controller-manager and
                 kube-scheduler get --secure-port=<port> appended; kubeadm relies on their defaults)
and, of the binary, the path (BIN_DIR/<name>). Every process is stopped when this script ends (pass,
fail, Ctrl-C, SIGTERM): SIGTERM, then SIGKILL after 10 s; they also get PR_SET_PDEATHSIG=SIGKILL.
Each has its log in WORK/logs/<name>.log, whose tail is printed when it fails to come up.

--netns re-runs this script inside a new network namespace (unshare --net, needs root) whose `lo`
is up and also carries the advertise address(es) of the tree (kubeadm refuses a loopback advertise
address, see configs/single-stack.yaml). Nothing can leave that namespace.

Prints one PASS/FAIL line per check and then "N passed, N failed". Exit status: 0 all checks pass,
1 a check failed, 2 the control plane did not come up (or bad usage).
Python 3.11 standard library + PyYAML (conformance/requirements.txt).
"""
from __future__ import annotations

import argparse
import base64
import ctypes
import http.client
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from pathlib import Path

import yaml

STOP_GRACE_S = 10.0
DEFAULT_PORTS = {"apiserver": 6443, "etcd-client": 2379, "etcd-peer": 2380, "etcd-metrics": 2381,
                 "kcm": 10257, "scheduler": 10259}
COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]


def log(msg: str) -> None:
    print(f"[controlplane {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def loud(msg: str) -> None:
    bar = "!" * 100
    print(f"\n{bar}\n{msg}\n{bar}", flush=True)


class NotUp(Exception):
    """A component did not come up: exit status 2."""


# ----------------------------------------------------------------------------------------------
# processes
# ----------------------------------------------------------------------------------------------
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _child_setup() -> None:  # runs in the child between fork and exec
    if _libc is not None:
        _libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: die with the harness


class Proc:
    def __init__(self, name: str, argv: list[str], logfile: Path):
        self.name, self.argv, self.logfile = name, argv, logfile
        self.fh = logfile.open("ab")
        self.fh.write(("$ " + " ".join(argv) + "\n").encode())
        self.fh.flush()
        # own session: a Ctrl-C in the terminal reaches the harness only, which stops us in order
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.fh, stderr=subprocess.STDOUT,
                                  start_new_session=True, preexec_fn=_child_setup)

    def alive(self) -> bool:
        return self.p.poll() is None

    def tail(self, n: int = 60) -> str:
        try:
            lines = self.logfile.read_text(errors="replace").splitlines()
        except OSError as e:
            return f"(cannot read {self.logfile}: {e})"
        return "\n".join(lines[-n:])


class Supervisor:
    def __init__(self, logdir: Path):
        self.logdir = logdir
        self.procs: list[Proc] = []

    def start(self, name: str, argv: list[str]) -> Proc:
        log(f"starting {name}: {' '.join(argv)}")
        p = Proc(name, argv, self.logdir / f"{name}.log")
        self.procs.append(p)
        return p

    def fail(self, p: Proc, why: str) -> None:
        state = "still running" if p.alive() else f"exited with status {p.p.returncode}"
        loud(f"{p.name} DID NOT COME UP: {why} ({state})\nlog: {p.logfile}\n--- last lines ---\n{p.tail()}")
        raise NotUp(f"{p.name}: {why}")

    @staticmethod
    def stop(p: Proc) -> None:
        """SIGTERM to the process group, SIGKILL after STOP_GRACE_S."""
        if p.alive():
            try:
                os.killpg(p.p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.p.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                log(f"{p.name} ignored SIGTERM for {STOP_GRACE_S:.0f}s: SIGKILL")
                try:
                    os.killpg(p.p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.p.wait(timeout=5)
        p.fh.close()

    def restart(self, p: Proc) -> Proc:
        """Stop one component and start it again with the same command line, in its place in the
        stop order (as the kubelet restarts a static pod whose files changed)."""
        self.stop(p)
        log(f"restarting {p.name} (exited {p.p.returncode})")
        q = Proc(p.name, p.argv, p.logfile)
        self.procs[self.procs.index(p)] = q
        return q

    def stop_all(self) -> None:
        """Stop in reverse start order, one at a time (kube-apiserver shuts down cleanly only while
        etcd is still there)."""
        for p in reversed(self.procs):
            self.stop(p)
        if self.procs:
            log("all components stopped: " + ", ".join(f"{p.name}={p.p.returncode}" for p in self.procs))
        self.procs.clear()


# ----------------------------------------------------------------------------------------------
# manifests and rewriting
# ----------------------------------------------------------------------------------------------
def load_command(manifest: Path) -> list[str]:
    pod = yaml.safe_load(manifest.read_text())
    containers = pod["spec"]["containers"]
    if len(containers) != 1:
        raise SystemExit(f"{manifest}: expected one container, found {len(containers)}")
    c = containers[0]
    cmd = list(c.get("command") or []) + list(c.get("args") or [])
    if not cmd:
        raise SystemExit(f"{manifest}: container has no command")
    return [str(x) for x in cmd]


def flag_value(cmd: list[str], flag: str) -> str | None:
    for a in cmd:
        if a.startswith(f"--{flag}="):
            return a.split("=", 1)[1]
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("0.0.0.0", 0))
        return s.getsockname()[1]


class Rewriter:
    def __init__(self, tree: Path, work: Path, ports: dict[str, int]):
        self.paths = [  # longest prefix first
            ("/etc/kubernetes/pki", str(tree / "pki")),
            ("/etc/kubernetes", str(work / "etc-kubernetes")),
            ("/var/lib/etcd", str(work / "var-lib-etcd")),
        ]
        self.portmap = {str(DEFAULT_PORTS[k]): str(v) for k, v in ports.items()}
        self._port_re = re.compile(r"(://(?:\[[^\]]+\]|[^/:,\s]+)):(\d+)")

    def path(self, value: str) -> str:
        for old, new in self.paths:
            value = re.sub(rf"(?<![\w/]){re.escape(old)}(?=/|$|,)", new, value)
        return value

    def url_ports(self, value: str) -> str:
        return self._port_re.sub(lambda m: f"{m.group(1)}:{self.portmap.get(m.group(2), m.group(2))}", value)

    def arg(self, a: str) -> str:
        if not a.startswith("--") or "=" not in a:
            return self.path(a)
        k, v = a.split("=", 1)
        if k == "--secure-port":
            v = self.portmap.get(v, v)
        v = self.path(v)
        if "://" in v:
            v = self.url_ports(v)
        return f"{k}={v}"

    def command(self, cmd: list[str], binary: Path, add: list[str] = ()) -> list[str]:
        return [str(binary)] + [self.arg(a) for a in cmd[1:]] + list(add)


def rewrite_kubeconfig(src: Path, dst: Path, apiserver_port: int, connect_ip: str) -> None:
    """Copy a kubeconfig with its server URL pointing at the rewritten apiserver port. A host name
    (controlPlaneEndpoint) is replaced by the advertise IP and kept as tls-server-name, so the
    serving certificate is still verified against the name the kubeconfig was written for."""
    kc = yaml.safe_load(src.read_text())
    for c in kc.get("clusters", []):
        cl = c["cluster"]
        u = urllib.parse.urlsplit(cl["server"])
        host = u.hostname
        try:
            ipaddress.ip_address(host)
            new_host = host
        except ValueError:
            new_host = connect_ip
            cl["tls-server-name"] = host
        hostpart = f"[{new_host}]" if ":" in new_host else new_host
        cl["server"] = urllib.parse.urlunsplit((u.scheme, f"{hostpart}:{apiserver_port}", u.path, "", ""))
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(yaml.safe_dump(kc, sort_keys=False))
    dst.chmod(0o600)


# ----------------------------------------------------------------------------------------------
# HTTP over TLS with client certificates (stdlib)
# ----------------------------------------------------------------------------------------------
class TLSConn(http.client.HTTPSConnection):
    """HTTPSConnection that connects to (ip, port) but verifies/SNIs `server_name`."""

    def __init__(self, ip: str, port: int, ctx: ssl.SSLContext, server_name: str, timeout: float = 15):
        super().__init__(ip, port, context=ctx, timeout=timeout)
        self._ctx, self._server_name = ctx, server_name

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._ctx.wrap_socket(sock, server_hostname=self._server_name)


class Client:
    def __init__(self, ip: str, port: int, cafile: str | None, cadata: str | None = None,
                 cert: tuple[str, str] | None = None, server_name: str | None = None,
                 bearer: str | None = None, headers: dict[str, str] | None = None):
        self.ip, self.port = ip, port
        self.ctx = ssl.create_default_context(cafile=cafile, cadata=cadata)
        if cert:
            self.ctx.load_cert_chain(cert[0], cert[1])
        self.server_name = server_name or ip
        self.headers = dict(headers or {})
        if bearer:
            self.headers["Authorization"] = f"Bearer {bearer}"

    def request(self, method: str, path: str, body: object | None = None) -> tuple[int, bytes]:
        conn = TLSConn(self.ip, self.port, self.ctx, self.server_name)
        try:
            hdrs = dict(self.headers)
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                hdrs["Content-Type"] = "application/json"
            hdrs["Accept"] = "application/json"
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def json(self, method: str, path: str, body: object | None = None, expect: tuple[int, ...] = (200, 201)) -> dict:
        status, data = self.request(method, path, body)
        if status not in expect:
            raise AssertionError(f"{method} {path}: HTTP {status}: {data[:400]!r}")
        return json.loads(data)


class KubeconfigIdentity:
    """Client credentials and server of a kubeconfig (embedded data written to files)."""

    def __init__(self, path: Path, scratch: Path):
        kc = yaml.safe_load(path.read_text())
        ctx_name = kc["current-context"]
        ctx = next(c["context"] for c in kc["contexts"] if c["name"] == ctx_name)
        cluster = next(c["cluster"] for c in kc["clusters"] if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in kc["users"] if u["name"] == ctx["user"])
        self.name = path.name
        u = urllib.parse.urlsplit(cluster["server"])
        self.ip, self.port = u.hostname, u.port
        self.server_name = cluster.get("tls-server-name") or u.hostname
        self.cadata = base64.b64decode(cluster["certificate-authority-data"]).decode()
        scratch.mkdir(parents=True, exist_ok=True)
        self.cert = scratch / f"{path.stem}.crt"
        self.key = scratch / f"{path.stem}.key"
        self.cert.write_bytes(base64.b64decode(user["client-certificate-data"]))
        self.key.write_bytes(base64.b64decode(user["client-key-data"]))
        self.key.chmod(0o600)

    def client(self) -> Client:
        return Client(self.ip, self.port, None, cadata=self.cadata, cert=(str(self.cert), str(self.key)),
                      server_name=self.server_name)


def self_subject_review(c: Client) -> dict:
    r = c.json("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
               {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    return r["status"]["userInfo"]


def b64url_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# ----------------------------------------------------------------------------------------------
# the harness
# ----------------------------------------------------------------------------------------------
class Harness:
    def __init__(self, bin_dir: Path, tree: Path, work: Path, ports: dict[str, int] | None = None):
        """ports: None = free ports for the components this harness starts; DEFAULT_PORTS = attach
        to a control plane that already runs on the manifests' own ports (node.py: under a kubelet)."""
        self.bin, self.tree, self.work = bin_dir, tree, work
        self.logs = work / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.scratch = work / "scratch"
        self.sup = Supervisor(self.logs)
        self.results: list[tuple[str, bool, str]] = []
        man = tree / "manifests"
        self.cmds = {n: load_command(man / f"{n}.yaml") for n in COMPONENTS if (man / f"{n}.yaml").exists()}
        self.external_etcd = "etcd" not in self.cmds
        if self.external_etcd:
            ext = tree / "external-etcd" / "etcd.yaml"
            if not ext.exists():
                raise SystemExit(f"{tree}: no manifests/etcd.yaml and no external-etcd/etcd.yaml")
            self.cmds["etcd"] = load_command(ext)
        for n in COMPONENTS:
            if n not in self.cmds:
                raise SystemExit(f"{tree}: missing manifests/{n}.yaml")
        self.ports = dict(ports) if ports else {k: free_port() for k in DEFAULT_PORTS}
        self.rw = Rewriter(tree, work, self.ports)
        self.advertise = flag_value(self.cmds["kube-apiserver"], "advertise-address")
        self.pki = tree / "pki"

    # --- boot ---------------------------------------------------------------------------------
    def wait(self, p: Proc, what: str, probe, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "not tried"
        while time.monotonic() < deadline:
            if not p.alive():
                self.sup.fail(p, f"exited while waiting for {what}")
            try:
                ok, last = probe()
                if ok:
                    return
            except Exception as e:  # noqa: BLE001 - any failure means "not yet"
                last = f"{type(e).__name__}: {e}"
            time.sleep(1)
        self.sup.fail(p, f"no {what} within {timeout:.0f}s (last: {last})")

    def prepare(self) -> None:
        """WORK/etc-kubernetes: the tree's kubeconfigs pointed at self.ports' apiserver port and the
        other files a manifest may name; the checks read them from there."""
        etc = self.work / "etc-kubernetes"
        etc.mkdir(parents=True, exist_ok=True)
        for entry in self.tree.iterdir():  # other files a manifest may name, e.g. an encryption config
            if entry.name in ("pki", "manifests") or entry.name.startswith(".") or entry.suffix == ".conf":
                continue
            (shutil.copytree if entry.is_dir() else shutil.copy2)(entry, etc / entry.name)
        for f in ("admin.conf", "super-admin.conf", "kubelet.conf", "controller-manager.conf", "scheduler.conf"):
            if (self.tree / f).exists():
                rewrite_kubeconfig(self.tree / f, self.work / "etc-kubernetes" / f, self.ports["apiserver"],
                                   self.advertise)
        self.api_ca = str(self.pki / "ca.crt")

    def boot(self) -> None:
        t0 = time.monotonic()
        self.prepare()
        (self.work / "var-lib-etcd").mkdir(mode=0o700, exist_ok=True)

        etcd_cmd = self.rw.command(self.cmds["etcd"], self.bin / "etcd")
        etcd = self.sup.start("etcd", etcd_cmd)
        metrics = flag_value(etcd_cmd, "listen-metrics-urls").split(",")[0]
        mu = urllib.parse.urlsplit(metrics)

        def etcd_health():
            conn = http.client.HTTPConnection(mu.hostname, mu.port, timeout=5)
            try:
                conn.request("GET", "/health")
                r = conn.getresponse()
                body = r.read().decode()
                return r.status == 200 and '"health":"true"' in body, f"HTTP {r.status} {body[:120]}"
            finally:
                conn.close()
        self.probes = {"etcd": ("etcd /health", etcd_health, 60)}
        self.wait(etcd, "etcd /health", etcd_health, 60)
        log(f"etcd healthy ({time.monotonic() - t0:.1f}s)")

        api = self.sup.start("kube-apiserver",
                             self.rw.command(self.cmds["kube-apiserver"], self.bin / "kube-apiserver"))

        def readyz():
            st, body = Client(self.advertise, self.ports["apiserver"], self.api_ca).request("GET", "/readyz")
            return st == 200, f"HTTP {st} {body[-300:]!r}"
        self.probes["kube-apiserver"] = ("kube-apiserver /readyz", readyz, 180)
        self.wait(api, "kube-apiserver /readyz", readyz, 180)
        log(f"kube-apiserver ready ({time.monotonic() - t0:.1f}s)")

        self.kcm = self.sup.start("kube-controller-manager", self.rw.command(
            self.cmds["kube-controller-manager"], self.bin / "kube-controller-manager",
            add=[f"--secure-port={self.ports['kcm']}"]))
        self.sched = self.sup.start("kube-scheduler", self.rw.command(
            self.cmds["kube-scheduler"], self.bin / "kube-scheduler",
            add=[f"--secure-port={self.ports['scheduler']}"]))
        for p, port in ((self.kcm, self.ports["kcm"]), (self.sched, self.ports["scheduler"])):
            def healthz(port=port):
                ctx = ssl.create_default_context()
                ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE  # self-signed serving cert
                conn = TLSConn("127.0.0.1", port, ctx, "localhost", timeout=5)
                try:
                    conn.request("GET", "/healthz")
                    r = conn.getresponse()
                    return r.status == 200, f"HTTP {r.status} {r.read()[:200]!r}"
                finally:
                    conn.close()
            self.probes[p.name] = (f"{p.name} /healthz", healthz, 120)
            self.wait(p, f"{p.name} /healthz", healthz, 120)
        log(f"control plane up in {time.monotonic() - t0:.1f}s")

    def restart(self, name: str) -> float:
        """Restart one component this harness started and wait for its boot probe; seconds taken.
        Only for a control plane booted here (node.py's kubelet restarts its own pods)."""
        t0 = time.monotonic()
        p = next((p for p in self.sup.procs if p.name == name), None)
        if p is None or name not in getattr(self, "probes", {}):
            raise NotUp(f"{name}: not started by this harness")
        q = self.sup.restart(p)
        if name == "kube-controller-manager":
            self.kcm = q
        elif name == "kube-scheduler":
            self.sched = q
        what, probe, timeout = self.probes[name]
        self.wait(q, what, probe, timeout)
        return time.monotonic() - t0

    def serve_control(self, path: Path) -> socketserver.UnixStreamServer:
        """A Unix socket for --then (KF_CONTROL): the line `restart <component>` restarts it and
        answers `ok <seconds>` once its boot probe passes, or `error <why>`. One request at a time."""
        harness = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                words = self.rfile.readline().decode().split()
                try:
                    if len(words) != 2 or words[0] != "restart" or words[1] not in COMPONENTS:
                        raise NotUp(f"expected `restart <{'|'.join(COMPONENTS)}>`, got {words!r}")
                    answer = f"ok {harness.restart(words[1]):.1f}"
                except Exception as e:  # noqa: BLE001 - answered to the client
                    answer = f"error {type(e).__name__}: {e}"
                self.wfile.write((answer + "\n").encode())

        path.unlink(missing_ok=True)
        srv = socketserver.UnixStreamServer(str(path), Handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        return srv

    # --- checks -------------------------------------------------------------------------------
    def check(self, name: str, fn) -> None:
        try:
            detail = fn() or ""
            self.results.append((name, True, detail))
            print(f"PASS {name}{': ' + detail if detail else ''}", flush=True)
        except Exception as e:  # noqa: BLE001
            self.results.append((name, False, f"{type(e).__name__}: {e}"))
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
            if not isinstance(e, AssertionError):
                traceback.print_exc()

    def ident(self, conf: str) -> KubeconfigIdentity:
        return KubeconfigIdentity(self.work / "etc-kubernetes" / conf, self.scratch)

    def run_checks(self) -> None:
        c = self.check
        c("apiserver /readyz over TLS verified by pki/ca.crt", self.chk_readyz)
        c("apiserver rejects a server-name not in its certificate", self.chk_bad_sni)
        expectations = {
            "admin.conf": ("kubernetes-admin", {"kubeadm:cluster-admins"}),
            "super-admin.conf": ("kubernetes-super-admin", {"system:masters"}),
            "controller-manager.conf": ("system:kube-controller-manager", set()),
            "scheduler.conf": ("system:kube-scheduler", set()),
            "kubelet.conf": ("system:node:" + self.node_name(), {"system:nodes"}),
        }
        for conf, (user, groups) in expectations.items():
            if (self.work / "etc-kubernetes" / conf).exists():
                c(f"{conf} authenticates as {user} {sorted(groups)}",
                  lambda conf=conf, user=user, groups=groups: self.chk_identity(conf, user, groups))
        if (self.pki / "apiserver-kubelet-client.crt").exists():
            c("apiserver-kubelet-client authenticates as kube-apiserver-kubelet-client, no group (as kubeadm 1.34)",
              self.chk_kubelet_client)
        c("super-admin.conf is authorized (system:masters): list namespaces", self.chk_super_admin_authz)
        c("kube-controller-manager holds its lease", lambda: self.chk_lease("kube-controller-manager"))
        c("kube-scheduler holds its lease", lambda: self.chk_lease("kube-scheduler"))
        c("etcd answers a client with apiserver-etcd-client cert", self.chk_etcd_with_cert)
        c("etcd refuses a client without a client certificate", self.chk_etcd_no_cert)
        c("etcd refuses a client certificate from another CA", self.chk_etcd_foreign_cert)
        c("ServiceAccount token verifies against sa.pub (RS256, openssl)", self.chk_sa_token)
        c("front-proxy: X-Remote-User with front-proxy-client cert is that user", self.chk_front_proxy)
        c("front-proxy: X-Remote-User with a non-front-proxy cert is ignored", self.chk_front_proxy_wrong_cert)
        c("kubernetes Service has the first IP of the service subnet", self.chk_kubernetes_service)
        c("Secrets in etcd: encrypted iff --encryption-provider-config is set", self.chk_encryption_at_rest)
        if "," in (flag_value(self.cmds["kube-apiserver"], "service-cluster-ip-range") or ""):
            c("dual-stack: a RequireDualStack Service gets an IP from each service subnet", self.chk_dual_stack)

    def node_name(self) -> str:
        cmd = self.cmds["etcd"]
        return flag_value(cmd, "name") or "kf-node"

    def api(self, **kw) -> Client:
        return Client(self.advertise, self.ports["apiserver"], self.api_ca, **kw)

    def chk_readyz(self) -> str:
        st, body = self.api().request("GET", "/readyz?verbose")
        assert st == 200, f"HTTP {st}: {body[-400:]!r}"
        return f"{len(body.splitlines())} readyz lines, all ok"

    def chk_bad_sni(self) -> str:
        try:
            self.api(server_name="not-in-the-cert.invalid").request("GET", "/readyz")
        except ssl.SSLCertVerificationError as e:
            return f"refused: {e.verify_message}"
        raise AssertionError("TLS verification accepted a name that is not in the apiserver certificate")

    def chk_identity(self, conf: str, user: str, groups: set[str]) -> str:
        ui = self_subject_review(self.ident(conf).client())
        got = set(ui.get("groups") or [])
        assert ui.get("username") == user, f"username {ui.get('username')!r}, want {user!r}"
        want = groups | {"system:authenticated"}
        assert want <= got, f"groups {sorted(got)}, want at least {sorted(want)}"
        return f"user={ui['username']} groups={sorted(got)}"

    def chk_kubelet_client(self) -> str:
        # kubeadm 1.34 (certlist.go KubeadmCertKubeletClient) gives it no Organization; the user is
        # bound to system:kubelet-api-admin by the ClusterRoleBinding kubeadm:apiserver-kubelet-client.
        # A group such as kubeadm:cluster-admins would make the kubelet client cert cluster-admin.
        ui = self_subject_review(self.api(cert=(str(self.pki / "apiserver-kubelet-client.crt"),
                                                str(self.pki / "apiserver-kubelet-client.key"))))
        got = sorted(ui.get("groups") or [])
        assert ui.get("username") == "kube-apiserver-kubelet-client", ui
        assert got == ["system:authenticated"], f"groups {got}, want only system:authenticated"
        return f"user={ui['username']} groups={got}"

    def chk_super_admin_authz(self) -> str:
        r = self.ident("super-admin.conf").client().json("GET", "/api/v1/namespaces")
        names = sorted(i["metadata"]["name"] for i in r["items"])
        assert "kube-system" in names, names
        return f"namespaces={names}"

    def chk_lease(self, name: str) -> str:
        c = self.ident("super-admin.conf").client()
        deadline, last = time.monotonic() + 120, ""
        while time.monotonic() < deadline:
            st, body = c.request("GET", f"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/{name}")
            if st == 200:
                spec = json.loads(body).get("spec", {})
                if spec.get("holderIdentity") and spec.get("renewTime"):
                    return f"holder={spec['holderIdentity']} renewTime={spec['renewTime']}"
                last = f"spec={spec}"
            else:
                last = f"HTTP {st}"
            time.sleep(2)
        raise AssertionError(f"lease {name} not held within 120s ({last})")

    def etcd_client_addr(self) -> tuple[str, int]:
        u = urllib.parse.urlsplit(flag_value(self.rw.command(self.cmds["etcd"], self.bin / "etcd"),
                                             "listen-client-urls").split(",")[0])
        return u.hostname, u.port

    def etcd_get(self, cert: tuple[str, str] | None) -> tuple[int, bytes]:
        host, port = self.etcd_client_addr()
        return Client(host, port, str(self.pki / "etcd" / "ca.crt"), cert=cert).request("GET", "/version")

    def chk_etcd_with_cert(self) -> str:
        st, body = self.etcd_get((str(self.pki / "apiserver-etcd-client.crt"), str(self.pki / "apiserver-etcd-client.key")))
        assert st == 200, f"HTTP {st} {body!r}"
        return body.decode()

    def _etcd_refuses(self, cert) -> str:
        try:
            st, body = self.etcd_get(cert)
        except (ssl.SSLError, ConnectionError, OSError) as e:
            return f"refused: {type(e).__name__}: {e}"
        raise AssertionError(f"etcd answered HTTP {st}: {body[:200]!r}")

    def chk_etcd_no_cert(self) -> str:
        return self._etcd_refuses(None)

    def chk_etcd_foreign_cert(self) -> str:
        # apiserver-kubelet-client is signed by the cluster CA, not etcd/ca
        return self._etcd_refuses((str(self.pki / "apiserver-kubelet-client.crt"), str(self.pki / "apiserver-kubelet-client.key")))

    def chk_sa_token(self) -> str:
        c = self.ident("super-admin.conf").client()
        ns, sa = "default", "kf-conformance"
        c.json("POST", f"/api/v1/namespaces/{ns}/serviceaccounts",
               {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa}}, expect=(201, 409))
        r = c.json("POST", f"/api/v1/namespaces/{ns}/serviceaccounts/{sa}/token",
                   {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 600}})
        token = r["status"]["token"]
        h64, p64, s64 = token.split(".")
        header, payload = json.loads(b64url_decode(h64)), json.loads(b64url_decode(p64))
        assert header.get("alg") == "RS256", header
        issuer = flag_value(self.cmds["kube-apiserver"], "service-account-issuer")
        assert payload.get("iss") == issuer, f"iss {payload.get('iss')!r} != {issuer!r}"
        assert payload.get("sub") == f"system:serviceaccount:{ns}:{sa}", payload.get("sub")
        with tempfile.TemporaryDirectory(dir=self.scratch) as d:
            data, sig = Path(d, "data"), Path(d, "sig")
            data.write_bytes(f"{h64}.{p64}".encode())
            sig.write_bytes(b64url_decode(s64))
            ok = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(self.pki / "sa.pub"),
                                 "-signature", str(sig), str(data)], capture_output=True, text=True)
            assert ok.returncode == 0 and "Verified OK" in ok.stdout, f"openssl: {ok.stdout}{ok.stderr}"
            # negative control: the same signature must not verify under another key
            other = Path(d, "other.pub")
            subprocess.run(["openssl", "x509", "-in", str(self.pki / "ca.crt"), "-noout", "-pubkey", "-out", str(other)],
                           check=True, capture_output=True)
            bad = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(other), "-signature", str(sig), str(data)],
                                 capture_output=True, text=True)
            assert bad.returncode != 0, "signature also verified under the cluster CA key?!"
        ui = self_subject_review(self.api(bearer=token))
        assert ui.get("username") == f"system:serviceaccount:{ns}:{sa}", ui
        return f"kid={header.get('kid')} iss={payload['iss']}; token authenticates as {ui['username']}"

    def chk_front_proxy(self) -> str:
        cert = (str(self.pki / "front-proxy-client.crt"), str(self.pki / "front-proxy-client.key"))
        ui = self_subject_review(self.api(cert=cert, headers={"X-Remote-User": "kf-proxied-user",
                                                              "X-Remote-Group": "kf-proxied-group"}))
        assert ui.get("username") == "kf-proxied-user", ui
        assert "kf-proxied-group" in (ui.get("groups") or []), ui
        return f"user={ui['username']} groups={ui.get('groups')}"

    def chk_front_proxy_wrong_cert(self) -> str:
        idt = self.ident("admin.conf")
        ui = self_subject_review(self.api(cert=(str(idt.cert), str(idt.key)),
                                          headers={"X-Remote-User": "kf-proxied-user"}))
        assert ui.get("username") == "kubernetes-admin", f"impersonation via headers accepted: {ui}"
        return "headers ignored, user=kubernetes-admin"

    def chk_kubernetes_service(self) -> str:
        r = self.ident("super-admin.conf").client().json("GET", "/api/v1/namespaces/default/services/kubernetes")
        cidr = flag_value(self.cmds["kube-apiserver"], "service-cluster-ip-range").split(",")[0]
        want = str(ipaddress.ip_network(cidr)[1])
        assert r["spec"]["clusterIP"] == want, f"clusterIP {r['spec']['clusterIP']} != {want}"
        return f"clusterIP={want}"

    def etcd_raw_value(self, key: str) -> bytes | None:
        """Read one key straight from etcd (v3 JSON gateway), as the apiserver stored it."""
        host, port = self.etcd_client_addr()
        c = Client(host, port, str(self.pki / "etcd" / "ca.crt"),
                   cert=(str(self.pki / "apiserver-etcd-client.crt"), str(self.pki / "apiserver-etcd-client.key")))
        r = c.json("POST", "/v3/kv/range", {"key": base64.b64encode(key.encode()).decode()})
        kvs = r.get("kvs") or []
        return base64.b64decode(kvs[0]["value"]) if kvs else None

    def chk_encryption_at_rest(self) -> str:
        cfg = flag_value(self.cmds["kube-apiserver"], "encryption-provider-config")
        name, marker = "kf-enc-probe", "kf-plaintext-marker-5b1f"
        c = self.ident("super-admin.conf").client()
        c.json("POST", "/api/v1/namespaces/default/secrets",
               {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
                "stringData": {"probe": marker}}, expect=(201, 409))
        raw = self.etcd_raw_value(f"/registry/secrets/default/{name}")
        assert raw is not None, "secret not found in etcd under /registry/secrets/default/"
        if cfg is None:
            assert raw.startswith(b"k8s\x00") and marker.encode() in raw, f"unexpected raw value {raw[:40]!r}"
            return "no --encryption-provider-config: stored as plain protobuf (as kubeadm leaves it)"
        assert raw.startswith(b"k8s:enc:"), f"not encrypted: {raw[:40]!r}"
        assert marker.encode() not in raw, "plaintext visible in the encrypted value"
        provider = raw.split(b":")[2].decode(errors="replace")
        # the provider and key are the first ones of the config for secrets (the write key)
        enc = yaml.safe_load(Path(self.rw.path(cfg)).read_text())
        first = next(r["providers"][0] for r in enc["resources"] if "secrets" in r["resources"])
        (want_provider, spec), = first.items()
        if want_provider in ("aescbc", "aesgcm", "secretbox"):
            want = f"k8s:enc:{want_provider}:v1:{spec['keys'][0]['name']}:".encode()
            assert raw.startswith(want), f"stored with {raw[:60]!r}, config wants {want!r}"
        else:
            assert provider == want_provider, f"provider {provider!r}, config wants {want_provider!r}"
        # and the apiserver still reads it back
        got = c.json("GET", f"/api/v1/namespaces/default/secrets/{name}")
        assert base64.b64decode(got["data"]["probe"]).decode() == marker
        return f"stored as {b':'.join(raw.split(b':')[:5]).decode(errors='replace')}:... (first provider and key of the config), read back"

    def chk_dual_stack(self) -> str:
        c = self.ident("super-admin.conf").client()
        svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kf-dual-stack"},
               "spec": {"ipFamilyPolicy": "RequireDualStack", "ports": [{"port": 80}]}}
        r = c.json("POST", "/api/v1/namespaces/default/services", svc, expect=(201,))
        ips = r["spec"].get("clusterIPs") or []
        nets = [ipaddress.ip_network(n) for n in
                flag_value(self.cmds["kube-apiserver"], "service-cluster-ip-range").split(",")]
        assert len(ips) == len(nets), f"clusterIPs {ips} for ranges {nets}"
        for ip, net in zip(ips, nets):
            assert ipaddress.ip_address(ip) in net, f"{ip} not in {net}"
        return f"clusterIPs={ips} ipFamilies={r['spec'].get('ipFamilies')}"

    def summary(self) -> int:
        passed = sum(1 for _, ok, _ in self.results if ok)
        failed = len(self.results) - passed
        print(f"{passed} passed, {failed} failed", flush=True)
        return 0 if failed == 0 else 1


def setup_netns(addresses: list[str]) -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for a in addresses:
        ip = ipaddress.ip_address(a)
        if ip.is_loopback:
            continue
        if ip.version == 4:
            subprocess.run(["ip", "addr", "add", f"{a}/32", "dev", "lo"], check=True)
        else:
            subprocess.run(["ip", "-6", "addr", "add", f"{a}/128", "dev", "lo", "nodad"], check=True)
    log("network namespace: lo up with " + ", ".join(addresses))


def tree_addresses(tree: Path) -> list[str]:
    """Advertise/listen addresses the manifests need to bind."""
    addrs: list[str] = []
    for m in list((tree / "manifests").glob("*.yaml")) + list((tree / "external-etcd").glob("*.yaml")):
        cmd = load_command(m)
        for flag in ("advertise-address", "listen-client-urls", "listen-peer-urls", "bind-address"):
            v = flag_value(cmd, flag)
            for part in (v or "").split(","):
                host = urllib.parse.urlsplit(part).hostname if "://" in part else part
                try:
                    if host and str(ipaddress.ip_address(host)) not in addrs:
                        addrs.append(str(ipaddress.ip_address(host)))
                except ValueError:
                    pass
    return addrs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, type=Path, help="directory with etcd, kube-apiserver, ...")
    ap.add_argument("--tree", required=True, type=Path, help="/etc/kubernetes-shaped folder")
    ap.add_argument("--work", type=Path, help="work/log folder (default: a new temp folder, kept)")
    ap.add_argument("--netns", action="store_true", help="run inside a new network namespace (root)")
    ap.add_argument("--in-netns", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--hold", type=float, default=0,
                    help="keep the control plane up this many seconds after the checks (debugging; Ctrl-C ends it)")
    ap.add_argument("--then", help="a shell command run after the checks, with KF_ETC (the rewritten kubeconfigs), "
                    "KF_PKI, KF_ETCD (etcd's advertised client URL) and KF_CONTROL (a Unix socket: `restart <component>`) "
                    "set; its PASS/FAIL lines count like the checks'")
    ap.add_argument("--extra-lo-address", action="append", default=[],
                    help="also put this address on lo inside the namespace")
    a = ap.parse_args()
    tree = a.tree.resolve()
    work = (a.work or Path(tempfile.mkdtemp(prefix="kf-conformance-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)

    def on_term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    # SIGINT explicitly too: a shell that starts us in the background without job control sets it
    # to ignored, and the harness must always be stoppable.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_term)

    if a.netns and not a.in_netns:
        if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
            loud("--netns needs root, unshare (util-linux) and ip (iproute2)")
            return 2
        argv = [sys.executable, os.path.abspath(__file__), *sys.argv[1:], "--in-netns", "--work", str(work)]
        # unshare (and the harness inside) in a session of their own: every signal to us is
        # forwarded as one SIGTERM. --kill-child + PR_SET_PDEATHSIG: if we are SIGKILLed, unshare
        # dies, then the inner harness, then its components (each has PR_SET_PDEATHSIG too).
        p = subprocess.Popen(["unshare", "--net", "--kill-child", "--fork", "--", *argv],
                             start_new_session=True, preexec_fn=_child_setup)
        try:
            return p.wait()
        except KeyboardInterrupt as e:
            log(f"interrupted ({str(e) or 'SIGINT'}): asking the harness in the namespace to stop its components")
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            for _ in range(2):
                try:
                    p.wait(timeout=len(COMPONENTS) * STOP_GRACE_S + 10)
                    break
                except KeyboardInterrupt:
                    continue  # a second Ctrl-C: keep waiting, bounded by the timeout
                except subprocess.TimeoutExpired:
                    break
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            return 130
    if a.in_netns:
        setup_netns(tree_addresses(tree) + a.extra_lo_address)

    log(f"tree={tree} work={work} bin={a.bin.resolve()}")
    h = Harness(a.bin.resolve(), tree, work)
    log("ports: " + ", ".join(f"{k}={v}" for k, v in h.ports.items()))
    try:
        try:
            h.boot()
        except NotUp as e:
            print(f"control plane did not come up: {e}", flush=True)
            return 2
        h.run_checks()
        if a.then:
            etcd_url = flag_value(h.rw.command(h.cmds["etcd"], h.bin / "etcd"), "advertise-client-urls") or ""
            control = h.serve_control(work / "control.sock")
            env = dict(os.environ, KF_ETC=str(work / "etc-kubernetes"), KF_PKI=str(tree / "pki"),
                       KF_ETCD=etcd_url.split(",")[0], KF_CONTROL=str(work / "control.sock"))
            try:
                then = subprocess.run(["sh", "-c", a.then], env=env, stdout=subprocess.PIPE, text=True)
            finally:
                control.shutdown()
                control.server_close()
                (work / "control.sock").unlink(missing_ok=True)
            for line in then.stdout.splitlines():
                print(line, flush=True)
                if line.startswith(("PASS ", "FAIL ")):
                    h.results.append((line[5:], line.startswith("PASS"), ""))
            if then.returncode != 0 and not any(not ok for _, ok, _ in h.results):
                h.results.append((f"--then exited {then.returncode}", False, ""))
        rc = h.summary()
        if a.hold > 0:
            log(f"holding the control plane for {a.hold:.0f}s: KUBECONFIG={work}/etc-kubernetes/super-admin.conf")
            time.sleep(a.hold)
        return rc
    except KeyboardInterrupt as e:
        loud(f"interrupted ({str(e) or 'SIGINT'}): stopping components")
        return 130
    finally:
        # a second Ctrl-C must not cut the (bounded) shutdown short
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
        h.sup.stop_all()
        log(f"logs: {h.logs}")
        shutil.rmtree(h.scratch, ignore_errors=True)  # decoded client keys


if __name__ == "__main__":
    sys.exit(main())
