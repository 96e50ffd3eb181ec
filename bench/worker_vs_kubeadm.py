"""The worker on its own, side by side with the real kubeadm (part of `make bench`; runs alone too):

    .venv/bin/python bench/worker_vs_kubeadm.py [PAIRS]

- start to first answer (spawn to a 200 on /healthz) and RSS idle, with the worker's own JVM
  options and class-data archive (worker_client.JVM_OPTIONS), median of several starts;
- the PKI tree: one `POST /v1/pki` on an empty folder against `kubeadm init phase certs all` with
  the same advertise address (node name: the host name, for both), PAIRS pairs interleaved, median ratio; RSS after.

kubeadm comes from $KUBEFORGE_KUBE_BIN (default .cache/kube/v1.34.10/bin, as conformance/ builds
it). Nothing here asserts a time.
"""

import json
import os
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


def rss_mb(pid):
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Worker:
    def __init__(self, client, home):
        archive = client.class_archive_of(str(JAR))
        self.proc = subprocess.Popen(client.java_command("java", str(JAR), str(home), archive),
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
        self.url = endpoint["url"]
        self.token = (home / "token").read_text().strip()

    def pki(self, cert_dir):
        body = json.dumps({"cert_dir": str(cert_dir), "advertise_address": "192.0.2.10"})
        req = urllib.request.Request(self.url + "/v1/pki", data=body.encode(), method="POST", headers={
            "Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
        t0 = time.monotonic()
        urllib.request.urlopen(req, timeout=120).read()
        return time.monotonic() - t0

    def stop(self):
        self.proc.terminate()
        self.proc.wait(20)


def kubeadm_certs(cert_dir):
    t0 = time.monotonic()
    subprocess.run([str(KUBE_BIN / "kubeadm"), "init", "phase", "certs", "all", "--cert-dir", str(cert_dir),
                    "--apiserver-advertise-address", "192.0.2.10", "--kubernetes-version", "v1.34.10"],
                   check=True, capture_output=True)
    return time.monotonic() - t0


def main(pairs=5, starts=5):
    client = worker_client()
    tmp = Path(tempfile.mkdtemp(prefix="kubeforge-bench-jvm-"))
    try:
        times, idle = [], []
        for i in range(starts):
            home = tmp / ("start-%d" % i)
            home.mkdir()
            w = Worker(client, home)
            times.append(w.start_seconds)
            time.sleep(1)
            idle.append(rss_mb(w.proc.pid))
            w.stop()
        archive = Path(client.class_archive_of(str(JAR)))
        print("worker start to first answer: median %.2f s (%s); RSS idle: median %.0f MB; archive %s"
              % (statistics.median(times), " ".join("%.2f" % t for t in times), statistics.median(idle),
                 "used" if archive.is_file() else "missing (make jar makes it)"))
        if not (KUBE_BIN / "kubeadm").is_file():
            print("kubeadm not found in %s (set KUBEFORGE_KUBE_BIN): PKI comparison skipped" % KUBE_BIN)
            return
        (tmp / "home").mkdir()
        w = Worker(client, tmp / "home")
        try:
            w.pki(tmp / "warm-up")  # the long-lived worker's first call (JIT cold) is not counted
            ours, theirs, ratios = [], [], []
            for i in range(pairs):
                a = w.pki(tmp / ("w%d" % i))
                b = kubeadm_certs(tmp / ("k%d" % i))
                ours.append(a)
                theirs.append(b)
                ratios.append(a / b)
            after = rss_mb(w.proc.pid)
        finally:
            w.stop()
        print("PKI tree (%d pairs interleaved): worker median %.3f s, kubeadm init phase certs all median %.3f s, "
              "median ratio %.2fx (target <= 0.5x); worker RSS after %d trees: %.0f MB"
              % (pairs, statistics.median(ours), statistics.median(theirs), statistics.median(ratios),
                 pairs + 1, after))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
