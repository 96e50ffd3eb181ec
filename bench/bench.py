"""make bench: the kubeadm PKI (10 certificates + sa key, RSA-2048) through kubeforge.cluster.pki and
through the equivalent community.crypto tasks, side by side in one run.

Cold = an empty folder; converged = the same playbook again, nothing to do. Each figure is the wall
time of one ansible-playbook run (mean of BENCH_ROUNDS, default 3). The worker is started and its
pki path run once before timing (it is a long-lived per-host process); both are printed apart. Nothing here asserts
a time; it fails only if a run fails, a cold run changes nothing or a converged run changes something.
"""

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import worker_vs_kubeadm  # noqa: E402  (the worker alone: start, RSS, PKI against the real kubeadm)

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
JAR = Path(os.environ.get("KUBEFORGE_JAR", REPO / "worker" / "target" / "kubeforge-worker.jar"))


def main():
    tmp = Path(tempfile.mkdtemp(prefix="kubeforge-bench-"))
    home = tmp / "home"
    home.mkdir()
    shutil.copyfile(JAR, home / "worker.jar")
    env = dict(os.environ, KUBEFORGE_HOME=str(home), ANSIBLE_COLLECTIONS_PATH=str(REPO / "_build" / "collections"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    env.pop("ANSIBLE_CONFIG", None)
    try:
        run_bench(tmp, env)
    finally:
        stop_worker(home)
        shutil.rmtree(tmp, ignore_errors=True)


def play(book, bench_dir, env):
    """Runs one playbook; returns (seconds, changed count)."""
    t0 = time.monotonic()
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", str(REPO / "bench" / book),
                           "-e", "bench_dir=%s" % bench_dir], env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - t0
    recap = re.findall(r"changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", proc.stdout)
    if proc.returncode != 0 or not recap or recap[-1][1] != "0":
        sys.exit("%s failed:\n%s\n%s" % (book, proc.stdout[-4000:], proc.stderr[-2000:]))
    return elapsed, int(recap[-1][0])


def run_bench(tmp, env):
    crypto_version = json.loads(next(Path(sys.prefix).glob(
        "lib/python3*/site-packages/ansible_collections/community/crypto/MANIFEST.json")).read_text())
    core = subprocess.run([str(BIN / "ansible"), "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    print("kubeforge bench: kubeadm PKI (10 certificates + sa key, RSA-2048), %d rounds, %d cores; %s; "
          "community.crypto %s; load average %s" % (ROUNDS, os.cpu_count(), core.strip(),
                                                    crypto_version["collection_info"]["version"], os.getloadavg()[0]))
    t0 = time.monotonic()
    subprocess.run([str(BIN / "ansible"), "localhost", "-m", "kubeforge.cluster.cert_info",
                    "-a", "cert_dir=%s" % (tmp / "none")], env=env, capture_output=True, check=True)
    print("worker start-up + first module call (not counted below): %.2f s" % (time.monotonic() - t0))
    seconds, _ = play("kubeforge.yml", tmp / "warm-up", env)
    print("first pki call on the fresh worker, JIT still cold (not counted below): %.2f s" % seconds)

    times = {}
    for r in range(ROUNDS):
        times.setdefault("empty", []).append(play("empty.yml", tmp, env)[0])
        for impl in ("kubeforge", "crypto"):
            bench_dir = tmp / ("%s-%d" % (impl, r))
            seconds, changed = play(impl + ".yml", bench_dir, env)
            if changed == 0:
                sys.exit("the cold %s run changed nothing" % impl)
            times.setdefault(impl + "-cold", []).append(seconds)
            seconds, changed = play(impl + ".yml", bench_dir, env)
            if changed != 0:
                sys.exit("the converged %s run changed %d tasks" % (impl, changed))
            times.setdefault(impl + "-converged", []).append(seconds)
            crts = list((bench_dir / "pki").rglob("*.crt"))
            if len(crts) != 10:
                sys.exit("%s made %d certificates, not 10" % (impl, len(crts)))

    mean = {k: statistics.mean(v) for k, v in times.items()}
    empty = mean["empty"]
    print()
    print("%-10s %14s %18s %8s   %s" % ("", "kubeforge (s)", "community.crypto (s)", "ratio",
                                         "ratio net of ansible-playbook start-up (%.2f s)" % empty))
    for phase in ("cold", "converged"):
        k, c = mean["kubeforge-" + phase], mean["crypto-" + phase]
        print("%-10s %14.2f %18.2f %7.1fx   %.1fx" % (phase, k, c, c / k, (c - empty) / max(k - empty, 0.01)))
    print("(mean wall time of one ansible-playbook run; community.crypto runs 33 module calls (one per key, CSR, certificate, sa.pub, folder), kubeforge 1)")
    print()
    worker_vs_kubeadm.main(pairs=int(os.environ.get("BENCH_PAIRS", "5")))


def stop_worker(home):
    try:
        pid = json.loads((home / "endpoint").read_text())["pid"]
        os.kill(int(pid), signal.SIGTERM)
    except (OSError, ValueError, KeyError):
        pass


if __name__ == "__main__":
    main()
