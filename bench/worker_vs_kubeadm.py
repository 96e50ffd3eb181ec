"""The worker on its own, side by side with the real kubeadm (part of `make bench`; runs alone too):

    .venv/bin/python bench/worker_vs_kubeadm.py [PAIRS]

- start to first answer (spawn to a 200 on /healthz) with the worker's own JVM options and
  class-data archive, exactly as the module client starts it (worker_client.java_command), median
  of several starts; RSS idle once its key pool is full;
- the PKI tree: one `POST /v1/pki` on an empty folder against `kubeadm init phase certs all` with
  the same advertise address (node name: the host name, for both), PAIRS pairs alternating, median
  ratio. The worker is long-lived and starts before the play (the module client starts it on the
  first task and it stays), so its key pool is full when a play asks for a tree: the bench waits
  for the pool to fill after start and to refill after each call before the next run of either
  tool (so the filler never competes with kubeadm). The same pairs are then run against a worker
  with the pool off (KUBEFORGE_KEY_POOL=0): every key made during the call;
- RSS: idle with a full pool, and the peak (VmHWM) while making the trees;
- CPU time beside each wall time, as the machine may be loaded: the worker's (without its key-pool
  thread) to its first answer and during each call, kubeadm's (the child's rusage).

The pool is full when the worker's `key-pool` thread sleeps and its CPU time stops growing (read
from /proc; no API of the worker tells). kubeadm comes from $KUBEFORGE_KUBE_BIN (default
.cache/kube/v1.34.10/bin, as conformance/ builds it). Nothing here asserts a time. Linux only.
"""

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "worker"))
from class_archive import worker_client  # noqa: E402  (the one loader of worker_client.py)
JAR = Path(os.environ.get("KUBEFORGE_JAR", REPO / "worker" / "target" / "kubeforge-worker.jar"))
KUBE_BIN = Path(os.environ.get("KUBEFORGE_KUBE_BIN", REPO / ".cache" / "kube" / "v1.34.10" / "bin"))
CLK_TCK = os.sysconf("SC_CLK_TCK")
POOL_FILL_TIMEOUT = 300


def status_mb(pid, field):
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(stat_path):
    """utime + stime of a process or thread, from its /proc stat file."""
    fields = Path(stat_path).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children_cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def load():
    return "load average %.1f %.1f %.1f" % os.getloadavg()


class Worker:
    def __init__(self, client, home, env=None):
        archive = client.class_archive_of(str(JAR))
        self.proc = subprocess.Popen(client.java_command("java", str(JAR), str(home), archive), env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.monotonic()
        while True:
            try:
                endpoint = json.loads((home / "endpoint").read_text())
                if endpoint.get("pid") == self.proc.pid:
                    urllib.request.urlopen(endpoint["url"] + "/healthz", timeout=5).read()
                    break
            except (OSError, ValueError):
                pass
            if self.proc.poll() is not None or time.monotonic() - t0 > 60:
                raise SystemExit("the worker did not start")
            time.sleep(0.005)
        self.start_seconds = time.monotonic() - t0
        self.start_cpu = self.cpu()
        self.last_answer = time.monotonic()
        self.url = endpoint["url"]
        self.token = (home / "token").read_text().strip()

    def cpu(self):
        """CPU seconds of the worker so far, without its key-pool thread."""
        pool = self._pool_thread()
        return cpu_seconds("/proc/%d/stat" % self.proc.pid) - (pool[1] / CLK_TCK if pool else 0.0)

    def rss(self):
        return status_mb(self.proc.pid, "VmRSS")

    def peak_rss(self):
        return status_mb(self.proc.pid, "VmHWM")

    def _pool_thread(self):
        """(state, CPU ticks) of the worker's key-pool thread, or None before it exists."""
        for task in Path("/proc/%d/task" % self.proc.pid).iterdir():
            try:
                if (task / "comm").read_text().strip() == "key-pool":
                    fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                    return fields[0], int(fields[11]) + int(fields[12])
            except OSError:
                continue
        return None

    def await_pool(self):
        """Waits until the key pool is full: its thread asleep, CPU time unchanged, for 0.3 s (counted
        from 1 s after the last answer: the filler waits 0.5 s after the start and after each draw)."""
        t0 = time.monotonic()
        time.sleep(max(0.0, self.last_answer + 1.0 - t0))
        quiet, last = 0, None
        while quiet < 4:
            if time.monotonic() - t0 > POOL_FILL_TIMEOUT:
                raise SystemExit("the key pool did not fill in %d s" % POOL_FILL_TIMEOUT)
            time.sleep(0.1)
            now = self._pool_thread()
            quiet = quiet + 1 if now is not None and now[0] == "S" and last is not None and now[1] == last[1] else 0
            last = now
        return time.monotonic() - t0

    def pki(self, cert_dir):
        body = json.dumps({"cert_dir": str(cert_dir), "advertise_address": "192.0.2.10"})
        req = urllib.request.Request(self.url + "/v1/pki", data=body.encode(), method="POST", headers={
            "Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
        t0, c0 = time.monotonic(), self.cpu()
        urllib.request.urlopen(req, timeout=300).read()
        self.last_answer = time.monotonic()
        return self.last_answer - t0, self.cpu() - c0

    def stop(self):
        self.proc.terminate()
        self.proc.wait(20)


def kubeadm_certs(cert_dir):
    t0, c0 = time.monotonic(), children_cpu_seconds()
    subprocess.run([str(KUBE_BIN / "kubeadm"), "init", "phase", "certs", "all", "--cert-dir", str(cert_dir),
                    "--apiserver-advertise-address", "192.0.2.10", "--kubernetes-version", "v1.34.10"],
                   check=True, capture_output=True)
    return time.monotonic() - t0, children_cpu_seconds() - c0


def pairs_against_kubeadm(client, home, pairs, pool):
    """PAIRS alternating runs of the worker's PKI call and kubeadm's; returns the figures."""
    home.mkdir()
    env = dict(os.environ, KUBEFORGE_KEY_POOL="16" if pool else "0")
    w = Worker(client, home, env)
    try:
        filled = w.await_pool() if pool else 0.0
        idle = w.rss()
        w.pki(home / "warm-up")  # the long-lived worker's first call (JIT cold) is not counted
        ours, theirs, ratios, cpu_ratios, loads = [], [], [], [], []
        for i in range(pairs):
            if pool:
                w.await_pool()  # refilled, as between two plays
            loads.append(os.getloadavg()[0])
            a, a_cpu = w.pki(home / ("w%d" % i))
            if pool:
                w.await_pool()  # the filler never runs beside kubeadm
            b, b_cpu = kubeadm_certs(home / ("k%d" % i))
            ours.append(a)
            theirs.append(b)
            ratios.append(a / b)
            cpu_ratios.append(a_cpu / max(b_cpu, 0.01))
        return {"filled": filled, "idle": idle, "peak": w.peak_rss(), "after": w.rss(), "ours": ours,
                "theirs": theirs, "ratio": statistics.median(ratios), "cpu_ratio": statistics.median(cpu_ratios),
                "load": statistics.median(loads)}
    finally:
        w.stop()


def main(pairs=5, starts=5):
    client = worker_client()
    tmp = Path(tempfile.mkdtemp(prefix="kubeforge-bench-jvm-"))
    try:
        print("worker alone (%s, %d cores):" % (load(), os.cpu_count()))
        times, cpus = [], []
        for i in range(starts):
            home = tmp / ("start-%d" % i)
            home.mkdir()
            w = Worker(client, home)
            times.append(w.start_seconds)
            cpus.append(w.start_cpu)
            w.stop()
        archive = Path(client.class_archive_of(str(JAR)))
        print("  start to first answer: median %.2f s (%s; target <= 0.5 s), CPU to first answer median %.2f s; "
              "JVM options as the module client starts it, archive %s" % (
                  statistics.median(times), " ".join("%.2f" % t for t in times), statistics.median(cpus),
                  "used" if archive.is_file() else "missing (make jar makes it)"))
        if not (KUBE_BIN / "kubeadm").is_file():
            print("  kubeadm not found in %s (set KUBEFORGE_KUBE_BIN): PKI comparison skipped" % KUBE_BIN)
            return
        print("  PKI tree against `kubeadm init phase certs all` (%d pairs alternating, after one warm-up call "
              "not counted). A user's worker starts before the play and stays, so its key pool (16 RSA-2048 "
              "keys, made in idle time) is full when a play asks for a tree: the bench waits for the pool to "
              "fill after the start and to refill after every call." % pairs)
        results = {}
        for pool in (True, False):
            results[pool] = r = pairs_against_kubeadm(client, tmp / ("pool-%s" % ("on" if pool else "off")), pairs, pool)
            print("  key pool %-3s worker median %.3f s (%s), kubeadm median %.3f s (%s): median ratio %.2fx "
                  "(target <= 0.5x; CPU-time ratio %.2fx; load %.1f)" % (
                      "on:" if pool else "off:", statistics.median(r["ours"]), " ".join("%.2f" % t for t in r["ours"]),
                      statistics.median(r["theirs"]), " ".join("%.2f" % t for t in r["theirs"]), r["ratio"],
                      r["cpu_ratio"], r["load"]))
        on = results[True]
        print("  pool filled %.1f s after start; RSS idle with a full pool %.0f MB (target <= 96 MB); peak RSS "
              "while making %d trees %.0f MB (target <= 160 MB), %.0f MB after" % (
                  on["filled"], on["idle"], pairs + 1, on["peak"], on["after"]))
        print("  (%s)" % load())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
