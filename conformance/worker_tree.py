#!/usr/bin/env python3
"""Let the real kubeforge worker write its /etc/kubernetes tree for one kubeadm config.

    worker_tree.py --jar worker/target-conf/kubeforge-worker.jar --config configs/single-stack.yaml \
                   --out DIR [--encryption secretbox] [--kubelet-out KDIR]

The counterpart of run_kubeadm_reference.py: the same kubeadm YAML goes to the worker as
`kubeadm_config` of POST /v1/pki, /v1/kubeconfigs and /v1/static-pods (and, with --encryption,
POST /v1/encryption-config, then /v1/static-pods with `encryption_config_path`, so kube-apiserver
gets --encryption-provider-config). No path option is passed: the worker uses its defaults
(/etc/kubernetes/pki, /etc/kubernetes, /etc/kubernetes/manifests, /var/lib/etcd), so the
manifests carry exactly the paths of a real node.

Nothing touches the host's /etc/kubernetes: as root, this script re-runs itself in a private mount
namespace (unshare --mount --propagation private) where
  * /etc and /var are overlayfs copies whose writes land in a scratch upper dir,
  * DIR is bind-mounted over /etc/kubernetes.
The worker (java -jar, temporary --home) runs in that namespace, so everything it writes under
/etc/kubernetes ends up in DIR. Afterwards every write that landed in the /etc or /var upper dirs
(anything outside /etc/kubernetes) is reported and fails the run.

For a config with etcd.external, <config>.fixture.yaml describes the stand-in external etcd, as for
run_kubeadm_reference.py: POST /v1/pki with the fixture adds the etcd certificates and
apiserver-etcd-client, POST /v1/static-pods with the fixture and manifest_dir
/etc/kubernetes/external-etcd writes its etcd.yaml (the other three manifests of that call are
dropped).

With --kubelet-out, POST /v1/kubelet-config (same kubeadm_config, no path option: the worker's
default /var/lib/kubelet) writes config.yaml, kubeadm-flags.env and instance-config.yaml; KDIR is
bind-mounted over /var/lib/kubelet, so they end up in KDIR (outside the tree, like kubeadm's
kubelet-start phase; node.py runs a kubelet with them).

DIR ends up with pki/, *.conf, manifests/, [encryption/], [external-etcd/] and .kubeforge/ (the
worker's log and every request/response, which carry no key material). Standard library only.
Exit 0 on success.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ETC_K8S = "/etc/kubernetes"
VAR_LIB_KUBELET = "/var/lib/kubelet"


def log(msg: str) -> None:
    print(f"[worker_tree {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def is_external_etcd(text: str) -> bool:
    return any(line.strip() == "external:" for line in text.splitlines())


class Worker:
    """One worker process with its own home; stopped by stop()."""

    def __init__(self, java: str, jar: Path, home: Path, logfile: Path, prefix: list[str] = ()):
        """PREFIX: a command the worker runs under (nsenter into another node's namespaces)."""
        self.home, self.jar = home, jar
        home.mkdir(parents=True, exist_ok=True)
        self.fh = logfile.open("ab")
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        self.p = subprocess.Popen([*prefix, java, "-jar", str(jar), "--home", str(home)], stdin=subprocess.DEVNULL,
                                  stdout=self.fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.logfile = logfile
        deadline = time.monotonic() + 60
        ep = home / "endpoint"
        while time.monotonic() < deadline:
            if self.p.poll() is not None:
                raise SystemExit(f"worker exited with {self.p.returncode} before listening:\n{self.tail()}")
            try:
                e = json.loads(ep.read_text())
                if e.get("pid") == self.p.pid:
                    self.url = e["url"]
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        else:
            self.stop()
            raise SystemExit(f"worker wrote no endpoint within 60s:\n{self.tail()}")
        self.token = (home / "token").read_text().strip()

    def tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def post(self, path: str, body: dict, calls: list) -> dict:
        data = json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method="POST", headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        t0 = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                status, resp = r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
            try:
                resp = json.loads(raw)
            except ValueError:
                resp = raw.decode(errors="replace")
        calls.append({"path": path, "request": body, "status": status, "response": resp,
                      "seconds": round(time.monotonic() - t0, 3)})
        if status != 200:
            raise SystemExit(f"POST {path}: HTTP {status}: {json.dumps(resp)[:2000]}\nworker log:\n{self.tail()}")
        log(f"POST {path}: 200 changed={resp.get('changed')} ({time.monotonic() - t0:.2f}s)")
        for w in resp.get("warnings") or []:
            log(f"  warning: {w}")
        return resp

    def stop(self) -> None:
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait(timeout=5)
        self.fh.close()


def setup_mounts(tree: Path, scratch: Path, kubelet_out: Path | None = None) -> list[tuple[str, Path]]:
    """Inside the private mount namespace: overlay /etc and /var, bind tree over /etc/kubernetes
    (and kubelet_out over /var/lib/kubelet)."""
    def run(*cmd: str) -> None:
        subprocess.run(cmd, check=True)
    uppers = []
    for lower in ("/etc", "/var"):
        name = lower.strip("/")
        up, wk = scratch / f"{name}-upper", scratch / f"{name}-work"
        up.mkdir(parents=True)
        wk.mkdir(parents=True)
        run("mount", "-t", "overlay", "overlay", "-o", f"lowerdir={lower},upperdir={up},workdir={wk}", lower)
        uppers.append((lower, up))
    Path(ETC_K8S).mkdir(exist_ok=True)  # lands in the /etc upper dir only
    run("mount", "--bind", str(tree), ETC_K8S)
    log(f"mount namespace: /etc and /var overlaid (upper dirs in {scratch}), {tree} bound over {ETC_K8S}")
    if kubelet_out is not None:
        Path(VAR_LIB_KUBELET).mkdir(parents=True, exist_ok=True)  # in the /var upper dir only
        run("mount", "--bind", str(kubelet_out), VAR_LIB_KUBELET)
        log(f"{kubelet_out} bound over {VAR_LIB_KUBELET}")
    return uppers


def stray_writes(uppers: list[tuple[str, Path]], mount_points: tuple[str, ...] = (ETC_K8S,)) -> list[str]:
    """Paths the worker created or changed outside the bound folders (overlay upper dirs)."""
    ours = {Path(m) for m in mount_points}
    parents = {q for m in ours for q in m.parents}
    out = []
    for lower, up in uppers:
        for dirpath, dirnames, filenames in os.walk(up):
            rel_dir = Path(dirpath).relative_to(up)
            for n in dirnames + filenames:
                p = Path(lower) / rel_dir / n
                if p in ours or p in parents:
                    continue  # our mount points and the folders made for them
                out.append(str(p))
            if Path(lower) / rel_dir in ours:
                dirnames[:] = []
    return out


def render(a: argparse.Namespace, meta: Path) -> None:
    text = a.config.read_text(encoding="utf-8")
    external = is_external_etcd(text)
    calls: list = []
    w = Worker(a.java, a.jar, a.scratch / "home", meta / "worker.log")  # home (token) is deleted afterwards
    try:
        w.post("/v1/pki", {"kubeadm_config": text}, calls)
        if external:
            fixture = a.config.with_name(a.config.stem + ".fixture.yaml").read_text(encoding="utf-8")
            w.post("/v1/pki", {"kubeadm_config": fixture}, calls)
        w.post("/v1/kubeconfigs", {"kubeadm_config": text}, calls)
        pods: dict = {"kubeadm_config": text}
        if a.encryption:
            r = w.post("/v1/encryption-config", {"kubeadm_config": text, "provider": a.encryption}, calls)
            pods["encryption_config_path"] = r["result"]["path"]
        w.post("/v1/static-pods", pods, calls)
        if a.kubelet_out:
            w.post("/v1/kubelet-config", {"kubeadm_config": text}, calls)
        if external:
            ext = f"{ETC_K8S}/external-etcd"
            w.post("/v1/static-pods", {"kubeadm_config": fixture, "manifest_dir": ext}, calls)
            for f in Path(ext).iterdir():
                if f.name != "etcd.yaml":
                    f.unlink()
    finally:
        (meta / "calls.json").write_text(json.dumps(calls, indent=2) + "\n")
        w.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jar", required=True, type=Path)
    ap.add_argument("--config", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--encryption", metavar="PROVIDER", help="also POST /v1/encryption-config (secretbox, aesgcm, aescbc) and wire it")
    ap.add_argument("--kubelet-out", type=Path, help="also POST /v1/kubelet-config; its files land here")
    ap.add_argument("--java", default=shutil.which("java") or "java")
    ap.add_argument("--in-mountns", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--scratch", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    a.jar, a.config, a.out = a.jar.resolve(), a.config.resolve(), a.out.resolve()
    a.kubelet_out = a.kubelet_out.resolve() if a.kubelet_out else None
    if not a.jar.is_file():
        raise SystemExit(f"no worker jar at {a.jar} (mvn -Dkf.buildDir=... package)")

    if not a.in_mountns:
        if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("mount"):
            raise SystemExit("worker_tree.py needs root, unshare and mount (private mount namespace)")
        if a.out.exists() and any(a.out.iterdir()):
            raise SystemExit(f"{a.out} exists and is not empty")
        a.out.mkdir(parents=True, exist_ok=True)
        if a.kubelet_out:
            if a.kubelet_out.exists() and any(a.kubelet_out.iterdir()):
                raise SystemExit(f"{a.kubelet_out} exists and is not empty")
            a.kubelet_out.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="kf-worker-ns-"))
        try:
            argv = [sys.executable, os.path.abspath(__file__), *sys.argv[1:], "--in-mountns", "--scratch", str(scratch)]
            rc = subprocess.run(["unshare", "--mount", "--propagation", "private", "--fork", "--kill-child", "--",
                                 *argv]).returncode
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if rc == 0:
            print(a.out)
        return rc

    meta = a.out / ".kubeforge"
    meta.mkdir(exist_ok=True)
    uppers = setup_mounts(a.out, a.scratch, a.kubelet_out)
    shutil.copyfile(a.config, meta / "kubeadm-config.yaml")
    render(a, meta)
    stray = stray_writes(uppers, (ETC_K8S, VAR_LIB_KUBELET) if a.kubelet_out else (ETC_K8S,))
    if stray:
        log("the worker wrote outside /etc/kubernetes: " + ", ".join(stray))
        return 1
    log("no write outside /etc/kubernetes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
