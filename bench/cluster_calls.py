"""The worker's cluster calls against a real API server (part of `make bench`; runs alone too):

    .venv/bin/python bench/cluster_calls.py [ROUNDS]

Measures the two budgets of the cluster half (issue 8):

- first cluster call: a fresh worker (its own JVM options and class-data archive, as every
  launcher starts it) answers /healthz and is left until it is idle (its idle-time work, the key
  pool and the client warm-up, done: the worker's CPU time unchanged for 0.5 s, as a worker
  started by a play's first task is by the time a cluster task runs), then the first cluster call
  is timed: `POST /v1/bootstrap-token` with `state: list` (read the kubeconfig, build the TLS
  client, connect, ensure kubeadm:cluster-admins, one GET). Median and worst of ROUNDS fresh
  workers (default 5), next to the same call made again (warm), so the difference is the client's
  one-time set-up; wall time and the worker's CPU time (less sensitive to the machine's load).
  Budget: 0.5 s. The same for a second kind of first call, `cluster-bootstrap` in check mode (every
  init object read and dry-run applied), on its own fresh workers, and for the first kind again
  with the opt-in client warm-up (KUBEFORGE_CLIENT_WARM_UP=1, kube/WarmUp).
- RSS idle: of the fresh workers once idle (key pool full; with and without the warm-up). Budget:
  96 MB.
- RSS while applying the whole set of init objects: one fresh worker runs `bootstrap-token`
  (create), `cluster-bootstrap` (every object of upload-config, mark-control-plane, bootstrap-token
  RBAC/cluster-info, both addons) and `upload-certs`; its RSS is sampled every 5 ms meanwhile.
  Budget: 160 MB (peak).

The control plane is the worker's own: PKI, kubeconfigs and static Pod manifests written by a
first worker for advertise address 127.0.0.2 (on `lo`, no network namespace needed), then etcd and
kube-apiserver v1.34.10 started with the manifests' exact command lines, ports moved to free ones
(conformance/controlplane.py's Rewriter and Supervisor). A Node is registered as a kubelet would.
Binaries from $KUBEFORGE_KUBE_BIN (default .cache/kube/v1.34.10/bin). Prints the machine's load
with the figures; asserts nothing about time (exit 1 only when a call fails).
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "worker"))
sys.path.insert(0, str(REPO / "conformance"))
from class_archive import worker_client  # noqa: E402  (the one loader of worker_client.py)
from controlplane import (Client, KubeconfigIdentity, NotUp, Rewriter, Supervisor,  # noqa: E402
                          DEFAULT_PORTS, free_port, load_command, rewrite_kubeconfig)

JAR = Path(os.environ.get("KUBEFORGE_JAR", REPO / "worker" / "target" / "kubeforge-worker.jar"))
KUBE_BIN = Path(os.environ.get("KUBEFORGE_KUBE_BIN", REPO / ".cache" / "kube" / "v1.34.10" / "bin"))
ADVERTISE = "127.0.0.2"
NODE = "bench-node"
FIRST_CALL_BUDGET_S = 0.5
RSS_BUDGET_MB = 160
IDLE_RSS_BUDGET_MB = 96
IDLE_TIMEOUT_S = 120


def status_kb(pid, field):
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class Worker:
    """A fresh worker, started as every launcher starts it; up once /healthz answers."""

    def __init__(self, client, home, env_extra=None):
        home.mkdir(parents=True, exist_ok=True)
        archive = client.class_archive_of(str(JAR))
        self.archive = client.class_archive_is_current(str(JAR), archive)
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env.update(env_extra or {})
        self.proc = subprocess.Popen(client.java_command("java", str(JAR), str(home), archive), env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                endpoint = json.loads((home / "endpoint").read_text())
                if endpoint.get("pid") == self.proc.pid:
                    urllib.request.urlopen(endpoint["url"] + "/healthz", timeout=5).read()
                    break
            except (OSError, ValueError):
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the worker did not start")
            time.sleep(0.005)
        self.url = endpoint["url"]
        self.token = (home / "token").read_text().strip()

    def cpu(self):
        """CPU seconds the worker has used so far (every thread)."""
        fields = Path("/proc/%d/stat" % self.proc.pid).read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def await_idle(self, quiet=0.5):
        """Waits until the worker's CPU time has not grown for `quiet` seconds (its idle-time work
        done); returns the seconds waited."""
        t0 = time.monotonic()
        last, since = self.cpu(), t0
        while True:
            time.sleep(0.05)
            now, cpu = time.monotonic(), self.cpu()
            if cpu != last:
                last, since = cpu, now
            elif now - since >= quiet:
                return now - t0
            if now - t0 > IDLE_TIMEOUT_S:
                raise SystemExit("the worker did not become idle within %ds" % IDLE_TIMEOUT_S)

    def timed(self, call, body):
        """POST /v1/<call>; returns (seconds, worker CPU seconds, response)."""
        c0 = self.cpu()
        seconds, resp = self.post(call, body)
        return seconds, self.cpu() - c0, resp

    def post(self, call, body):
        """POST /v1/<call>; returns (seconds, response). A failure ends the bench."""
        req = urllib.request.Request(self.url + "/v1/" + call, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": "Bearer " + self.token,
                                              "Content-Type": "application/json"})
        t0 = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=180) as r:
                resp = json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise SystemExit("POST /v1/%s: HTTP %d: %s" % (call, e.code, e.read()[:2000].decode(errors="replace")))
        return time.monotonic() - t0, resp

    def rss_mb(self):
        return status_kb(self.proc.pid, "VmRSS") / 1024

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class RssSampler(threading.Thread):
    def __init__(self, pid, every=0.005):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak_kb, self.done = pid, every, 0, threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                self.peak_kb = max(self.peak_kb, status_kb(self.pid, "VmRSS"))
            except OSError:
                return
            time.sleep(self.every)

    def stop(self):
        self.done.set()
        self.join()
        return self.peak_kb / 1024


def wait_for(proc, what, probe, timeout):
    deadline = time.monotonic() + timeout
    last = "not tried"
    while time.monotonic() < deadline:
        if not proc.alive():
            raise NotUp("%s exited while waiting for %s:\n%s" % (proc.name, what, proc.tail()))
        try:
            ok, last = probe()
            if ok:
                return
        except Exception as e:  # noqa: BLE001 - any failure means "not yet"
            last = "%s: %s" % (type(e).__name__, e)
        time.sleep(0.5)
    raise NotUp("no %s within %ds (last: %s):\n%s" % (what, timeout, last, proc.tail()))


def write_tree(client, tmp, tree):
    """PKI, kubeconfigs and the etcd/kube-apiserver manifests, written by a worker."""
    w = Worker(client, tmp / "home-tree")
    try:
        common = {"cert_dir": str(tree / "pki"), "kubeconfig_dir": str(tree), "advertise_address": ADVERTISE,
                  "node_name": NODE}
        w.post("pki", common)
        w.post("kubeconfigs", common)
        w.post("static-pods", dict(common, manifest_dir=str(tree / "manifests"), etcd_data_dir=str(tmp / "etcd")))
    finally:
        w.stop()


def boot(tree, work, sup):
    """etcd and kube-apiserver with the manifests' command lines, on free ports; returns the API port."""
    ports = {k: free_port() for k in DEFAULT_PORTS}
    rw = Rewriter(tree, work, ports)
    etcd = sup.start("etcd", rw.command(load_command(tree / "manifests" / "etcd.yaml"), KUBE_BIN / "etcd"))

    def etcd_health():
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", ports["etcd-metrics"], timeout=5)
        try:
            conn.request("GET", "/health")
            r = conn.getresponse()
            body = r.read().decode()
            return r.status == 200 and '"health":"true"' in body, "HTTP %d %s" % (r.status, body[:120])
        finally:
            conn.close()
    wait_for(etcd, "etcd /health", etcd_health, 60)
    api = sup.start("kube-apiserver", rw.command(load_command(tree / "manifests" / "kube-apiserver.yaml"),
                                                 KUBE_BIN / "kube-apiserver"))
    ca = str(tree / "pki" / "ca.crt")

    def readyz():
        st, body = Client(ADVERTISE, ports["apiserver"], ca).request("GET", "/readyz")
        return st == 200, "HTTP %d %r" % (st, body[-200:])
    wait_for(api, "kube-apiserver /readyz", readyz, 180)
    return ports["apiserver"]


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("BENCH_ROUNDS", "5"))
    for b in ("etcd", "kube-apiserver"):
        if not (KUBE_BIN / b).is_file():
            raise SystemExit("%s missing: run conformance/build.sh (or set KUBEFORGE_KUBE_BIN)" % (KUBE_BIN / b))
    client = worker_client()
    tmp = Path(tempfile.mkdtemp(prefix="kubeforge-cluster-bench-"))
    tree, work, etc = tmp / "tree", tmp / "work", tmp / "etc"
    (work / "logs").mkdir(parents=True)
    sup = Supervisor(work / "logs")
    try:
        write_tree(client, tmp, tree)
        t0 = time.monotonic()
        port = boot(tree, work, sup)
        boot_s = time.monotonic() - t0
        for f in ("admin.conf", "super-admin.conf"):
            rewrite_kubeconfig(tree / f, etc / f, port, ADVERTISE)
        sup_client = KubeconfigIdentity(etc / "super-admin.conf", work / "scratch").client()
        sup_client.json("POST", "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node",
                                                   "metadata": {"name": NODE, "labels": {"kubernetes.io/hostname": NODE}}})
        report(measure(client, tmp, tree, etc, rounds), boot_s, rounds)
    except NotUp as e:
        raise SystemExit("the control plane did not come up: %s" % e)
    finally:
        sup.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


def first_calls(client, tmp, rounds, call, body, name, env_extra=None):
    """ROUNDS fresh workers, each idle, then `call` twice: {first, warm, first_cpu, warm_cpu, idle_rss,
    waited, archive}."""
    out = {k: [] for k in ("first", "warm", "first_cpu", "warm_cpu", "idle_rss", "waited")}
    for i in range(rounds):
        w = Worker(client, tmp / ("home-%s-%d" % (name, i)), env_extra)
        out["archive"] = w.archive
        try:
            out["waited"].append(w.await_idle())
            out["idle_rss"].append(w.rss_mb())
            s, c, _ = w.timed(call, body)
            out["first"].append(s)
            out["first_cpu"].append(c)
            s, c, _ = w.timed(call, body)
            out["warm"].append(s)
            out["warm_cpu"].append(c)
        finally:
            w.stop()
    return out


def measure(client, tmp, tree, etc, rounds):
    listing = {"kubeconfig_dir": str(etc), "state": "list"}
    model = {"cert_dir": str(tree / "pki"), "kubeconfig_dir": str(etc), "advertise_address": ADVERTISE,
             "node_name": NODE}
    firsts = [("bootstrap-token list", first_calls(client, tmp, rounds, "bootstrap-token", listing, "list")),
              ("cluster-bootstrap check mode",
               first_calls(client, tmp, rounds, "cluster-bootstrap", dict(model, dry_run=True), "check")),
              ("bootstrap-token list, client warm-up on (KUBEFORGE_CLIENT_WARM_UP=1)",
               first_calls(client, tmp, rounds, "bootstrap-token", listing, "warm", {"KUBEFORGE_CLIENT_WARM_UP": "1"}))]

    w = Worker(client, tmp / "home-init")
    try:
        w.await_idle()
        idle = w.rss_mb()
        sampler = RssSampler(w.proc.pid)
        sampler.start()
        t0 = time.monotonic()
        _, token = w.post("bootstrap-token", {"kubeconfig_dir": str(etc)})
        _, boot_resp = w.post("cluster-bootstrap", dict(model, sign_cluster_info="always"))
        _, certs = w.post("upload-certs", {"cert_dir": str(tree / "pki"), "kubeconfig_dir": str(etc)})
        apply_s = time.monotonic() - t0
        peak = sampler.stop()
        after = w.rss_mb()
        hwm = status_kb(w.proc.pid, "VmHWM") / 1024
        objects = len(boot_resp["result"]["objects"])
        _, again = w.post("cluster-bootstrap", dict(model, sign_cluster_info="always"))
        if not (token["changed"] and boot_resp["changed"] and certs["changed"]) or again["changed"]:
            raise SystemExit("unexpected changed flags: token %s, cluster-bootstrap %s then %s, upload-certs %s" % (
                token["changed"], boot_resp["changed"], again["changed"], certs["changed"]))
    finally:
        w.stop()
    return dict(firsts=firsts, idle=idle, peak=peak, hwm=hwm, after=after, objects=objects, apply_s=apply_s)


def report(m, boot_s, rounds):
    load = os.getloadavg()
    print("cluster calls against kube-apiserver v1.34.10 (etcd + apiserver booted from the worker's files in %.1fs)"
          % boot_s)
    print("machine: %d CPUs, load average %.2f %.2f %.2f (1/5/15 min)" % ((os.cpu_count() or 0,) + load))
    med = statistics.median
    print("class-data archive: %s" % ("current, used" if m["firsts"][0][1]["archive"]
                                       else "none or stale (make jar makes it)"))
    for i, (kind, f) in enumerate(m["firsts"]):
        print("first cluster call after the worker is up and idle (%s, %d fresh workers, idle after %.1fs median): "
              "median %.3fs (CPU %.3fs), worst %.3fs; the same call warm: median %.3fs (CPU %.3fs)%s" % (
                  kind, rounds, med(f["waited"]), med(f["first"]), med(f["first_cpu"]), max(f["first"]),
                  med(f["warm"]), med(f["warm_cpu"]),
                  "  [budget %.1fs: %s]" % (FIRST_CALL_BUDGET_S, "met" if med(f["first"]) <= FIRST_CALL_BUDGET_S
                                             else "OVER") if i == 0 else ""))
    for label, runs in (("default", m["firsts"][:2]), ("client warm-up on", m["firsts"][2:])):
        idle_rss = [r for _, f in runs for r in f["idle_rss"]]
        print("RSS of a fresh worker once idle (%s; key pool full, %d workers): median %.0f MB, worst %.0f MB"
              "  [budget %d MB: %s]" % (label, len(idle_rss), med(idle_rss), max(idle_rss), IDLE_RSS_BUDGET_MB,
                                        "met" if max(idle_rss) <= IDLE_RSS_BUDGET_MB else "OVER"))
    print("whole init set (bootstrap-token + cluster-bootstrap with %d objects + upload-certs) in %.2fs: "
          "RSS idle %.0f MB, peak sampled %.0f MB, VmHWM %.0f MB, after %.0f MB  [budget %d MB: %s]" % (
              m["objects"], m["apply_s"], m["idle"], m["peak"], m["hwm"], m["after"], RSS_BUDGET_MB,
              "met" if m["hwm"] <= RSS_BUDGET_MB else "OVER"))


if __name__ == "__main__":
    main()
