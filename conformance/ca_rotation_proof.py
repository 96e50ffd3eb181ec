"""Full rotations of the kubernetes CA, then of the front-proxy CA, on a running control plane
(controlplane.py --then), no request failing.

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

Then, each on its own on the same control plane: the front-proxy CA (front_proxy: a loop authenticating
through the front-proxy headers must never fail), the service-account key (service_account) and the etcd
CA (etcd), these two with the restarts their readers need (KF_CONTROL).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from controlplane import Client, KubeconfigIdentity  # noqa: E402
from renewal_proof import restart  # noqa: E402
from worker_tree import Worker  # noqa: E402

SECRET = "kf-ca-rotation"
PROXIED = "kf-proxied-user"  # the X-Remote-User of the front-proxy probes
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
    """The client that must never fail: each probe reads its trust and credentials from disk per request
    (a fresh TLS connection each time) and answers None when the request did what it must."""

    def __init__(self, probes: dict):
        super().__init__(daemon=True)
        self.probes = probes
        self.ok, self.failures = 0, []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            for name, probe in self.probes.items():
                try:
                    wrong = probe()
                except Exception as e:  # noqa: BLE001
                    wrong = f"{type(e).__name__}: {e}"
                if wrong is None:
                    self.ok += 1
                else:
                    self.failures.append(f"{time.strftime('%H:%M:%S')} {name}: {wrong}")
            time.sleep(0.05)

    def verdict(self, total: float, timings: dict) -> str:
        if self.failures or self.ok == 0:
            raise AssertionError(f"{len(self.failures)} failed of {self.ok + len(self.failures)}: {self.failures[:5]}")
        return f"{self.ok} requests in {total:.1f}s, 0 failed; " + ", ".join(f"{k} after {v:.1f}s" for k, v in timings.items())


def kubeconfig_gets(kubeconfig: Path, scratch: Path) -> dict:
    """/readyz and the Secret, trust and credentials from KUBECONFIG on disk each time, as kubectl does."""
    def get(path: str):
        def probe():
            st, body = KubeconfigIdentity(kubeconfig, scratch).client().request("GET", path)
            return None if st == 200 else f"HTTP {st} {body[:120]!r}"
        return probe
    return {path: get(path) for path in ("/readyz", f"/api/v1/namespaces/default/secrets/{SECRET}")}


def proxied_user(sup: KubeconfigIdentity, cadata: str, cert: tuple[str, str]) -> tuple[int, str | None]:
    """A SelfSubjectReview through the front-proxy headers with CERT: the status and the user it names."""
    c = Client(sup.ip, sup.port, None, cadata=cadata, cert=cert, server_name=sup.server_name,
               headers={"X-Remote-User": PROXIED, "X-Remote-Group": "kf-proxied-group"})
    st, body = c.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                         {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    return st, json.loads(body)["status"]["userInfo"].get("username") if st == 201 else None


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def probe_cert(scratch: Path, ca_crt: Path, ca_key: Path, name: str, subject: str = "") -> tuple[str, str]:
    """A client certificate signed by the given CA (openssl, ECDSA P-256): SUBJECT, else system:masters/NAME."""
    key, csr, crt = scratch / f"{name}.key", scratch / f"{name}.csr", scratch / f"{name}.crt"
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(key))
    openssl("req", "-new", "-key", str(key), "-subj", subject or f"/O=system:masters/CN={name}", "-out", str(csr))
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
    loop = Loop(kubeconfig_gets(etc / "super-admin.conf", scratch / "loop"))
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
          "read, trust and credentials from super-admin.conf on disk) failed", lambda: loop.verdict(total, timings))
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
    front_proxy(w, etc, pki, scratch, calls)
    service_account(w, etc, pki, scratch, calls)
    etcd(w, etc, pki, scratch, calls)
    return 0 if all(results) else 1


def front_proxy(w: Worker, etc: Path, pki: Path, scratch: Path, calls: list) -> None:
    """The front-proxy CA rotated on the same running control plane, on its own: kube-apiserver reloads
    --requestheader-client-ca-file itself, so a client loop authenticating through the front-proxy
    headers with front-proxy-client.crt (read from disk per request) must never fail, and after finish
    a front-proxy certificate of the old CA must no longer carry the headers' user."""
    sup = KubeconfigIdentity(etc / "super-admin.conf", scratch / "fp-sup")
    client = (str(pki / "front-proxy-client.crt"), str(pki / "front-proxy-client.key"))
    old_copy = (scratch / "old-front-proxy-client.crt", scratch / "old-front-proxy-client.key")
    for src, dst in zip(client, old_copy):
        shutil.copyfile(src, dst)
    old = tuple(str(x) for x in old_copy)
    new_crt, new_key = pki / "rotation" / "front-proxy" / "new.crt", pki / "rotation" / "front-proxy" / "new.key"

    def as_proxy():
        trust = KubeconfigIdentity(etc / "super-admin.conf", scratch / "fp-loop")
        st, user = proxied_user(trust, trust.cadata, client)
        return None if user == PROXIED else f"HTTP {st}, user {user}"
    # the control: a front-proxy-client certificate of a CA the server does not trust carries no user
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-subj", "/CN=kf-stranger-ca", "-keyout", str(scratch / "stranger-ca.key"), "-out", str(scratch / "stranger-ca.crt"))
    stranger = probe_cert(scratch, scratch / "stranger-ca.crt", scratch / "stranger-ca.key", "kf-stranger",
                          "/CN=front-proxy-client")
    stranger_before = proxied_user(sup, sup.cadata, stranger)
    loop = Loop({"front-proxy SelfSubjectReview": as_proxy})
    base = {"ca": "front-proxy", "cert_dir": str(pki), "kubeconfig_dir": str(etc)}
    timings = {}
    loop.start()
    t0 = time.monotonic()
    try:
        w.post("/v1/ca-rotate", dict(base, phase="prepare"), calls)
        probe = probe_cert(scratch, new_crt, new_key, "kf-front-proxy-probe", "/CN=front-proxy-client")
        timings["requestheader CA reloaded"] = until(
            "kube-apiserver taking the front-proxy headers from a certificate of the new front-proxy CA",
            lambda: proxied_user(sup, sup.cadata, probe)[1] == PROXIED)
        reissued = w.post("/v1/ca-rotate", dict(base, phase="reissue"), calls)
        finished = w.post("/v1/ca-rotate", dict(base, phase="finish"), calls)
        timings["old front-proxy CA dropped"] = until(
            "kube-apiserver refusing the old front-proxy CA's certificate",
            lambda: proxied_user(sup, sup.cadata, old)[1] != PROXIED)
        time.sleep(1.0)
    finally:
        loop.halt.set()
        loop.join(30)
    total = time.monotonic() - t0
    check("a front-proxy-client certificate of a CA the server does not trust carries no user (the control)",
          lambda: f"HTTP {stranger_before[0]}" if stranger_before[1] != PROXIED
          else (_ for _ in ()).throw(AssertionError(f"accepted: {stranger_before}")))
    check("during a rotation of the front-proxy CA no request authenticated through the front-proxy headers "
          "(front-proxy-client.crt from disk) failed", lambda: loop.verdict(total, timings))

    def refused() -> str:
        files = sorted(Path(r["path"]).name for r in reissued["result"].get("files", []) if r.get("action") == "reissued")
        assert any(f.endswith("front-proxy-client.crt") for f in files), f"reissued: {reissued['result']}"
        v = subprocess.run(["openssl", "verify", "-CAfile", str(pki / "front-proxy-ca.crt"), client[0]],
                           capture_output=True, text=True)
        assert v.returncode == 0, v.stdout + v.stderr
        assert (pki / "front-proxy-ca.crt").read_text() == new_crt.read_text(), "front-proxy-ca.crt is not the new CA alone"
        st, user = proxied_user(sup, sup.cadata, old)
        assert user != PROXIED and st == 401, f"old front-proxy certificate: HTTP {st}, user {user}"
        again = w.post("/v1/ca-rotate", dict(base, phase="finish"), calls)
        assert again["changed"] is False, json.dumps(again["result"])[:400]
        return (f"reissued {', '.join(files)} (openssl verify -CAfile front-proxy-ca.crt: OK); front-proxy-ca.crt "
                f"holds the new CA alone; the old front-proxy certificate: HTTP {st}; a second finish writes nothing "
                f"(finish: {finished['result'].get('state')})")
    check("after the front-proxy finish, a front-proxy certificate of the old CA no longer carries the headers' user "
          "(401), the reissued one does", refused)


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


def seconds(restarts: dict) -> str:
    return ", ".join(f"{k} {v:.1f}s" for k, v in restarts.items())


def key_id(pem: Path, private: bool) -> str:
    """The kid kube-apiserver puts in the tokens it signs with this key: base64url(SHA-256(PKIX DER))."""
    der = subprocess.run(["openssl", "pkey", *([] if private else ["-pubin"]), "-in", str(pem), "-pubout",
                          "-outform", "DER"], check=True, capture_output=True).stdout
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")


def token_kid(token: str) -> str:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"]


def service_account(w: Worker, etc: Path, pki: Path, scratch: Path, calls: list) -> None:
    """The service-account key rotated on the same running control plane, on its own. kube-apiserver reads
    sa.pub (--service-account-key-file) and sa.key (--service-account-signing-key-file) and
    kube-controller-manager sa.key only at start, so the harness restarts them after each phase (KF_CONTROL),
    as playbooks/rotate-ca.yml does. One kube-apiserver cannot restart without a gap, so what must hold is
    the tokens': one issued before the rotation authenticates through prepare and reissue, tokens issued
    after reissue are signed by the new key, and after finish the old one is refused (401)."""
    sup = lambda: KubeconfigIdentity(etc / "super-admin.conf", scratch / "sa-sup")  # noqa: E731 - fresh per call
    sa, ns = "kf-sa-rotation", "default"
    sup().client().json("POST", f"/api/v1/namespaces/{ns}/serviceaccounts", {
        "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa}}, expect=(201, 409))

    def token() -> str:
        return sup().client().json("POST", f"/api/v1/namespaces/{ns}/serviceaccounts/{sa}/token", {
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
            "spec": {"expirationSeconds": 3600}})["status"]["token"]

    def who(tok: str) -> tuple[int, str | None]:
        i = sup()
        st, body = Client(i.ip, i.port, None, cadata=i.cadata, server_name=i.server_name, bearer=tok).request(
            "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
        return st, json.loads(body)["status"]["userInfo"]["username"] if st == 201 else None

    want = f"system:serviceaccount:{ns}:{sa}"
    base = {"ca": "service-account", "cert_dir": str(pki), "kubeconfig_dir": str(etc)}

    def tokens() -> str:
        seen, restarts = {}, {}
        old_kid = key_id(pki / "sa.key", private=True)
        old = token()

        def phase(name: str, components: tuple[str, ...]) -> None:
            w.post("/v1/ca-rotate", dict(base, phase=name), calls)
            for c in components:
                restarts[f"{name}: {c}"] = restart(c)
            seen[name] = who(old)

        phase("prepare", ("kube-apiserver",))
        phase("reissue", ("kube-apiserver", "kube-controller-manager"))
        new = token()
        new_kid = key_id(pki / "sa.key", private=True)
        seen["a token issued after reissue"] = who(new)
        phase("finish", ("kube-apiserver",))
        seen["a token issued after reissue, after finish"] = who(new)
        again = w.post("/v1/ca-rotate", dict(base, phase="finish"), calls)
        assert seen["prepare"] == (201, want) and seen["reissue"] == (201, want), \
            f"the token from before the rotation, after prepare and reissue: {seen}"
        assert new_kid != old_kid and token_kid(old) == old_kid and token_kid(new) == new_kid, \
            f"kids: old key {old_kid}, new key {new_kid}, old token {token_kid(old)}, new token {token_kid(new)}"
        assert seen["a token issued after reissue"] == (201, want), seen
        assert seen["finish"][0] == 401, f"the old key's token after finish: {seen['finish']}"
        assert seen["a token issued after reissue, after finish"] == (201, want), seen
        pubs = (pki / "sa.pub").read_text().count("BEGIN PUBLIC KEY")
        assert pubs == 1 and key_id(pki / "sa.pub", private=False) == new_kid, f"sa.pub holds {pubs} keys"
        assert again["changed"] is False, json.dumps(again["result"])[:400]
        return (f"the token from before (kid {old_kid[:8]}…) authenticates as {want} after prepare and after reissue, "
                f"gets 401 after finish; the token issued after reissue carries the new key's kid ({new_kid[:8]}…) and "
                f"authenticates before and after finish; sa.pub holds the new key alone; a second finish writes "
                f"nothing; restarts: {seconds(restarts)}")
    check("a rotation of the service-account key with the restarts it needs: the old key's tokens work until "
          "finish and are refused after it, the new key signs from reissue on", tokens)


def etcd(w: Worker, etc: Path, pki: Path, scratch: Path, calls: list) -> None:
    """The etcd CA rotated on the same running control plane, on its own. etcd and kube-apiserver's etcd
    client read their certificates and trust only at start, so the harness restarts etcd, then kube-apiserver
    after each phase (KF_CONTROL), as playbooks/rotate-ca.yml does. After each phase: kube-apiserver is
    ready and reads a Secret through etcd; after reissue etcd serves a certificate of the new CA; after
    finish etcd refuses a client certificate of the old CA and takes the reissued one."""
    u = urllib.parse.urlsplit(os.environ["KF_ETCD"])
    client = (str(pki / "apiserver-etcd-client.crt"), str(pki / "apiserver-etcd-client.key"))
    old_copy = (scratch / "old-etcd-client.crt", scratch / "old-etcd-client.key")
    for src, dst in zip(client, old_copy):
        shutil.copyfile(src, dst)
    old = tuple(str(x) for x in old_copy)
    new_ca = pki / "rotation" / "etcd" / "new.crt"

    def etcd_health(cert: tuple[str, str], cadata: str) -> int:
        return Client(u.hostname, u.port, None, cadata=cadata, cert=cert).request("GET", "/health")[0]

    def through_apiserver() -> str:
        i = KubeconfigIdentity(etc / "super-admin.conf", scratch / "etcd-sup")
        ready = i.client().request("GET", "/readyz")
        secret = i.client().request("GET", f"/api/v1/namespaces/default/secrets/{SECRET}")
        return f"readyz {ready[0]}, Secret {secret[0]}"

    base = {"ca": "etcd", "cert_dir": str(pki), "kubeconfig_dir": str(etc)}

    def rotated() -> str:
        after, restarts = {}, {}
        for name in ("prepare", "reissue", "finish"):
            finished = w.post("/v1/ca-rotate", dict(base, phase=name), calls)
            for c in ("etcd", "kube-apiserver"):
                restarts[f"{name}: {c}"] = restart(c)
            after[name] = through_apiserver()
            if name == "reissue":
                after["etcd serves the new CA's certificate"] = etcd_health(client, new_ca.read_text())
        again = w.post("/v1/ca-rotate", dict(base, phase="finish"), calls)
        want = "readyz 200, Secret 200"
        assert all(after[p] == want for p in ("prepare", "reissue", "finish")), after
        assert after["etcd serves the new CA's certificate"] == 200, after
        assert (pki / "etcd" / "ca.crt").read_text() == new_ca.read_text(), "etcd/ca.crt is not the new CA alone"
        try:
            st = etcd_health(old, new_ca.read_text())
            raise AssertionError(f"etcd took the old CA's client certificate: HTTP {st}")
        except ssl.SSLError as e:
            refused = e.reason or str(e)
        assert etcd_health(client, new_ca.read_text()) == 200, "the reissued apiserver-etcd-client is refused"
        assert again["changed"] is False, json.dumps(again["result"])[:400]  # a second finish
        return (f"after each phase and the restarts kube-apiserver {want}; after reissue etcd serves a certificate "
                f"of the new CA; after finish ({finished['result'].get('state')}) etcd/ca.crt holds the new CA alone, "
                f"etcd refuses the old CA's client certificate ({refused}) and takes the reissued one; a second finish "
                f"writes nothing; restarts: {seconds(restarts)}")
    check("a rotation of the etcd CA with the restarts it needs: kube-apiserver reads through etcd after every "
          "phase, and after finish etcd refuses the old CA's client certificate", rotated)


if __name__ == "__main__":
    sys.exit(main())
