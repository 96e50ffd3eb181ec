"""Full rotation of the kubernetes CA on a running control plane (controlplane.py --then), no request failing.

Run after the control plane's checks, with the worker jar (`--jar`); KF_ETC and KF_PKI come from
controlplane.py. It MUTATES the tree's pki/ and the rewritten kubeconfigs (the CA ends up replaced), so
it runs on a tree of its own, never on one that later steps reuse:

  python3 conformance/worker_tree.py --jar JAR --config conformance/configs/single-stack.yaml --out /tmp/rot
  .venv/bin/python conformance/controlplane.py --bin BIN --tree /tmp/rot --work /tmp/rot-run --netns \\
      --then ".venv/bin/python conformance/ca_rotation_proof.py --jar JAR"

While a client loop (a fresh TLS connection per request, credentials and trust read from
super-admin.conf on disk each time, as kubectl does) GETs /readyz and a Secret and counts failures,
POST /v1/ca-rotate runs prepare (with update_cluster_info), reissue and finish on the live tree.
Between phases it waits for what the next phase relies on: after prepare, that kube-apiserver accepts a
client certificate signed by the new CA (it reloads --client-ca-file itself); after reissue, that it
serves a certificate that verifies against the new CA alone (it reloads its serving certificate
itself). Checks: 0 failed requests; after finish a client certificate from the old CA is refused
(401) and the re-signed one is accepted; cluster-info carries the new CA alone; a second finish
writes nothing. kube-apiserver is never restarted (none of the files it reads only at start
changes in a kubernetes CA rotation); kube-controller-manager and kube-scheduler are not restarted
by this harness (playbooks/rotate-ca.yml restarts them).
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from controlplane import Client, KubeconfigIdentity  # noqa: E402
from worker_tree import Worker  # noqa: E402

SECRET = "kf-ca-rotation"
WAIT_S = 90.0
results: list[bool] = []


def check(name: str, fn) -> None:
    try:
        detail = fn() or ""
        print(f"PASS {name}{': ' + detail if detail else ''}", flush=True)
        results.append(True)
    except Exception as e:  # noqa: BLE001
        print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
        results.append(False)


def until(what: str, fn, seconds: float = WAIT_S) -> float:
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < seconds:
        try:
            if fn():
                return time.monotonic() - t0
        except Exception as e:  # noqa: BLE001
            last = e
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {seconds:.0f}s (last error: {last!r})")


class Loop(threading.Thread):
    """The client that must never fail: trust and credentials read from disk for every request."""

    def __init__(self, kubeconfig: Path, scratch: Path):
        super().__init__(daemon=True)
        self.kubeconfig, self.scratch = kubeconfig, scratch
        self.ok, self.failures = 0, []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            for path in ("/readyz", f"/api/v1/namespaces/default/secrets/{SECRET}"):
                try:
                    st, body = KubeconfigIdentity(self.kubeconfig, self.scratch).client().request("GET", path)
                    if st == 200:
                        self.ok += 1
                    else:
                        self.failures.append(f"{time.strftime('%H:%M:%S')} {path}: HTTP {st} {body[:120]!r}")
                except Exception as e:  # noqa: BLE001
                    self.failures.append(f"{time.strftime('%H:%M:%S')} {path}: {type(e).__name__}: {e}")
            time.sleep(0.05)


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def probe_cert(scratch: Path, ca_crt: Path, ca_key: Path, name: str) -> tuple[str, str]:
    """A system:masters client certificate signed by the given CA (openssl, ECDSA P-256)."""
    key, csr, crt = scratch / f"{name}.key", scratch / f"{name}.csr", scratch / f"{name}.crt"
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(key))
    openssl("req", "-new", "-key", str(key), "-subj", f"/O=system:masters/CN={name}", "-out", str(csr))
    ext = scratch / f"{name}.ext"
    ext.write_text("keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_crt), "-CAkey", str(ca_key), "-CAcreateserial",
            "-days", "1", "-extfile", str(ext), "-out", str(crt))
    return str(crt), str(key)


def review_status(ident: KubeconfigIdentity, cadata: str, cert: tuple[str, str]) -> int:
    c = Client(ident.ip, ident.port, None, cadata=cadata, cert=cert, server_name=ident.server_name)
    st, _ = c.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                      {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    return st


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jar", required=True, type=Path)
    a = ap.parse_args()
    etc, pki = Path(os.environ["KF_ETC"]), Path(os.environ["KF_PKI"])
    scratch = Path(tempfile.mkdtemp(prefix="kf-rotation-"))
    w = Worker(shutil.which("java") or "java", a.jar, scratch / "home", scratch / "worker.log")
    calls: list = []
    try:
        return prove(w, etc, pki, scratch, calls)
    finally:
        w.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def prove(w: Worker, etc: Path, pki: Path, scratch: Path, calls: list) -> int:
    sup = KubeconfigIdentity(etc / "super-admin.conf", scratch / "sup")
    sup.client().json("POST", "/api/v1/namespaces/default/secrets", {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": SECRET}, "data": {"k": "dg=="}}, expect=(201, 409))
    # cluster-info as kubeadm publishes it (a bare control plane has none yet; POST /v1/cluster-bootstrap makes it)
    info = {"apiVersion": "v1", "kind": "Config", "clusters": [{"name": "", "cluster": {
        "certificate-authority-data": base64.b64encode(sup.cadata.encode()).decode(),
        "server": f"https://{sup.ip}:{sup.port}"}}], "contexts": [], "users": []}
    sup.client().json("POST", "/api/v1/namespaces/kube-public/configmaps", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cluster-info", "namespace": "kube-public"},
        "data": {"kubeconfig": yaml.safe_dump(info)}}, expect=(201, 409))
    old_cert = (str(sup.cert), str(sup.key))
    old_ca = (pki / "ca.crt").read_text()
    base = {"cert_dir": str(pki), "kubeconfig_dir": str(etc), "kubeconfig": str(etc / "super-admin.conf")}
    new_crt, new_key = pki / "rotation" / "kubernetes" / "new.crt", pki / "rotation" / "kubernetes" / "new.key"
    loop = Loop(etc / "super-admin.conf", scratch / "loop")
    loop.start()
    t0 = time.monotonic()
    timings = {}
    try:
        prepared = w.post("/v1/ca-rotate", dict(base, phase="prepare", update_cluster_info=True), calls)
        probe = probe_cert(scratch, new_crt, new_key, "kf-rotation-probe")
        timings["client CA reloaded"] = until("kube-apiserver accepting a client certificate of the new CA",
                                              lambda: review_status(sup, (pki / "ca.crt").read_text(), probe) == 201)
        w.post("/v1/ca-rotate", dict(base, phase="reissue"), calls)
        timings["serving certificate reloaded"] = until(
            "kube-apiserver serving a certificate of the new CA",
            lambda: Client(sup.ip, sup.port, None, cadata=new_crt.read_text(),
                           server_name=sup.server_name).request("GET", "/readyz")[0] == 200)
        finished = w.post("/v1/ca-rotate", dict(base, phase="finish", update_cluster_info=True), calls)
        new_ca = new_crt.read_text()
        timings["old CA dropped"] = until("kube-apiserver refusing the old CA's client certificate",
                                          lambda: review_status(sup, new_ca, old_cert) == 401)
        time.sleep(1.0)
    finally:
        loop.halt.set()
        loop.join(30)
    total = time.monotonic() - t0

    check("during a full rotation of the kubernetes CA no request of the client loop (/readyz and a Secret "
          "read, trust and credentials from super-admin.conf on disk) failed",
          lambda: (_ for _ in ()).throw(AssertionError(f"{len(loop.failures)} failed of "
                                                       f"{loop.ok + len(loop.failures)}: {loop.failures[:5]}"))
          if loop.failures or loop.ok == 0 else f"{loop.ok} requests in {total:.1f}s, 0 failed; "
          + ", ".join(f"{k} after {v:.1f}s" for k, v in timings.items()))
    check("prepare returned both join pins, finish the new one alone",
          lambda: None if len(prepared["result"]["ca_cert_hashes"]) == 2
          and finished["result"]["ca_cert_hashes"] == prepared["result"]["ca_cert_hashes"][1:]
          else (_ for _ in ()).throw(AssertionError(json.dumps([prepared["result"], finished["result"]])[:400])))
    check("after finish a client certificate from the old CA is refused (401) and the re-signed one accepted",
          lambda: proven_refusal(sup, etc, scratch, old_cert, new_crt.read_text()))
    check("after finish ca.crt and cluster-info hold the new CA alone, and kube-apiserver serves it",
          lambda: cluster_info_is(sup, etc / "super-admin.conf", scratch, new_crt.read_text(), old_ca, pki))
    again = w.post("/v1/ca-rotate", dict(base, phase="finish", update_cluster_info=True), calls)
    check("a second finish writes nothing", lambda: None if again["changed"] is False
          else (_ for _ in ()).throw(AssertionError(json.dumps(again["result"])[:400])))
    return 0 if all(results) else 1


def proven_refusal(sup: KubeconfigIdentity, etc: Path, scratch: Path, old_cert: tuple[str, str], new_ca: str) -> str:
    assert review_status(sup, new_ca, old_cert) == 401, "old certificate not refused"
    fresh = KubeconfigIdentity(etc / "super-admin.conf", scratch / "fresh")
    st = review_status(fresh, new_ca, (str(fresh.cert), str(fresh.key)))
    assert st == 201, f"re-signed super-admin.conf: HTTP {st}"
    return "old: 401, re-signed super-admin.conf: 201"


def cluster_info_is(sup: KubeconfigIdentity, sup_path: Path, scratch: Path, new_ca: str, old_ca: str, pki: Path) -> str:
    assert (pki / "ca.crt").read_text() == new_ca, "ca.crt is not the new CA alone"
    assert new_ca != old_ca
    fresh = KubeconfigIdentity(sup_path, scratch / "info")
    c = Client(sup.ip, sup.port, None, cadata=new_ca, cert=(str(fresh.cert), str(fresh.key)),
               server_name=sup.server_name)
    cm = c.json("GET", "/api/v1/namespaces/kube-public/configmaps/cluster-info")
    kc = yaml.safe_load(cm["data"]["kubeconfig"])
    data = base64.b64decode(kc["clusters"][0]["cluster"]["certificate-authority-data"]).decode()
    assert data == new_ca, "cluster-info's CA is not the new CA alone"
    return "ca.crt, cluster-info: 1 certificate each"


if __name__ == "__main__":
    sys.exit(main())
