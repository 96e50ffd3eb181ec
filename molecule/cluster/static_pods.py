#!/usr/bin/python3
"""Runs a host's static Pods as processes: the molecule `cluster` scenario's stand-in for the kubelet.

    static_pods.py --bin BIN_DIR [--manifests /etc/kubernetes/manifests] [--logs /var/log/kubeforge-static-pods]

Test code, not product. A podman test host has no container runtime, so this does the one part of
the kubelet's work the scenario needs: every `*.yaml` in the manifest folder is a Pod whose single
container's command and args are run as they are written (the binary taken from BIN_DIR, where
conformance/build.sh puts the real etcd and control-plane binaries). A Pod whose manifest changes is
stopped and started again, as the kubelet restarts a Pod whose manifest changes; one whose process
exits is started again after a back-off; one whose manifest goes is stopped. Each Pod's output goes
to LOGS/<pod>.log. The real kubelet running the same manifests is proven by `make conformance`.
Python 3 standard library and PyYAML (this machine's /usr/bin/python3, which the host shares).
"""

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

POLL_S = 0.5
BACKOFF_S = 2.0
STOP_GRACE_S = 10.0


class Pod:
    def __init__(self, name, digest, command, log):
        self.name, self.digest, self.command, self.log = name, digest, command, log
        self.proc = None
        self.exited_at = 0.0

    def start(self):
        with open(self.log, "ab") as out:
            out.write(("--- %s starting: %s\n" % (time.strftime("%H:%M:%S"), " ".join(self.command))).encode())
            out.flush()
            self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def stop(self):
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def tend(self):
        """Starts the process again once it has been gone for the back-off."""
        if self.proc.poll() is None:
            return
        now = time.monotonic()
        if not self.exited_at:
            self.exited_at = now
        elif now - self.exited_at >= BACKOFF_S:
            self.exited_at = 0.0
            self.start()


def read_pod(path, bin_dir):
    """(name, command) of a manifest, or None while it cannot be read whole."""
    try:
        pod = yaml.safe_load(path.read_text())
        container = pod["spec"]["containers"][0]
        command = [str(x) for x in (container.get("command") or []) + (container.get("args") or [])]
        name = pod["metadata"]["name"]
    except (OSError, yaml.YAMLError, KeyError, IndexError, TypeError):
        return None
    if not command:
        return None
    return name, [str(bin_dir / Path(command[0]).name)] + command[1:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, type=Path)
    ap.add_argument("--manifests", default="/etc/kubernetes/manifests", type=Path)
    ap.add_argument("--logs", default="/var/log/kubeforge-static-pods", type=Path)
    args = ap.parse_args()
    args.logs.mkdir(parents=True, exist_ok=True)
    pods = {}

    def shutdown(*_):
        for pod in pods.values():
            pod.stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    while True:
        seen = set()
        for path in sorted(args.manifests.glob("*.yaml")) if args.manifests.is_dir() else []:
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                continue
            seen.add(path)
            pod = pods.get(path)
            if pod is not None and pod.digest == digest:
                pod.tend()
                continue
            parsed = read_pod(path, args.bin)
            if parsed is None:
                continue
            if pod is not None:
                pod.stop()
            pods[path] = Pod(parsed[0], digest, parsed[1], args.logs / (path.stem + ".log"))
            pods[path].start()
        for path in [p for p in pods if p not in seen]:
            pods.pop(path).stop()
        time.sleep(POLL_S)


if __name__ == "__main__":
    main()
