"""Renewal of every certificate on a running control plane, each component restarted (controlplane.py --then).

Run after the control plane's checks, with the worker jar (`--jar`); KF_ETC, KF_PKI, KF_ETCD and
KF_CONTROL come from controlplane.py. It MUTATES the tree's pki/ and the rewritten kubeconfigs (every
leaf and kubeconfig client certificate is issued again), so it runs on a tree of its own:

  python3 conformance/worker_tree.py --jar JAR --config conformance/configs/single-stack.yaml --out /tmp/ren
  .venv/bin/python conformance/controlplane.py --bin BIN --tree /tmp/ren --work /tmp/ren-run --netns \\
      --then ".venv/bin/python conformance/renewal_proof.py --jar JAR --config conformance/configs/single-stack.yaml"

Before: a Secret and a ServiceAccount token (TokenRequest) are made. Then POST /v1/renew (all) with
cert_dir = the tree's pki/ and kubeconfig_dir = the kubeconfigs the components read (KF_ETC), and each
component is restarted by the harness (KF_CONTROL: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler, in that order, each waited for by its boot probe), as the kubelet restarts static pods.
After: /readyz over TLS verified by ca.crt with the renewed serving certificate; admin.conf,
super-admin.conf, controller-manager.conf and scheduler.conf, read again, authenticate with their
renewed certificates as their users; the restarted controller-manager and scheduler take their leases
again; etcd serves its renewed certificate and answers /health and a key read with the renewed
apiserver-etcd-client; the token made before the renewal still authenticates and the Secret is read
unchanged (with super-admin.conf: admin.conf's group kubeadm:cluster-admins is bound by
/v1/cluster-bootstrap, which this bare control plane has not had). Expiry: /v1/pki with
certificate_validity 1h into a scratch cert_dir; /v1/cert-info lists its leaves (and not its CAs) as
expiring with warn_before 2h and nothing with 30m; GET /metrics, with <home>/metrics.yaml naming that
folder, reports each leaf's expiry gauge at cert-info's NotAfter. With --config (the tree's kubeadm
configuration; run.sh passes it): a SAN added after init (san_change), one POST /v1/reconfigure, is
reissued into apiserver.crt alone and served by the running kube-apiserver, and uploaded in kubeadm-config
(which /v1/cluster-bootstrap put there first); every kubeconfig untouched; a dry run first writes nothing.
Then the control-plane endpoint moves (endpoint_move), one more POST /v1/reconfigure: apiserver.crt reissued
with the new address and served, kubeadm-config and cluster-info updated, only admin.conf's and
super-admin.conf's server lines moved, both authenticating through it, an old copy still working.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from controlplane import COMPONENTS, Client, KubeconfigIdentity, self_subject_review  # noqa: E402
from worker_tree import Worker  # noqa: E402

SECRET, SA, NS = "kf-renewal", "kf-renewal", "default"
KUBECONFIGS = {
    "admin.conf": ("kubernetes-admin", {"kubeadm:cluster-admins"}),
    "super-admin.conf": ("kubernetes-super-admin", {"system:masters"}),
    "controller-manager.conf": ("system:kube-controller-manager", set()),
    "scheduler.conf": ("system:kube-scheduler", set()),
}
results: list[bool] = []


def check(name: str, fn) -> None:
    try:
        detail = fn() or ""
        print(f"PASS {name}{': ' + detail if detail else ''}", flush=True)
        results.append(True)
    except Exception as e:  # noqa: BLE001
        print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
        results.append(False)


def until(what: str, fn, seconds: float) -> float:
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < seconds:
        try:
            if fn():
                return time.monotonic() - t0
        except Exception as e:  # noqa: BLE001
            last = e
        time.sleep(0.5)
    raise AssertionError(f"{what} not within {seconds:.0f}s (last error: {last!r})")


def serial_of_pem(pem: bytes) -> str:
    out = subprocess.run(["openssl", "x509", "-noout", "-serial"], input=pem, capture_output=True, check=True)
    return out.stdout.decode().strip().split("=", 1)[1].upper()


def served_der(ip: str, port: int, cafile: str, server_name: str, cert: tuple[str, str] | None = None) -> bytes:
    """The certificate a server presents, the connection verified by cafile."""
    ctx = ssl.create_default_context(cafile=cafile)
    if cert:
        ctx.load_cert_chain(*cert)
    with socket.create_connection((ip, port), timeout=10) as raw, ctx.wrap_socket(raw, server_hostname=server_name) as s:
        return s.getpeercert(binary_form=True)


def file_der(path: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(path.read_text())


def restart(component: str) -> float:
    """Ask controlplane.py (KF_CONTROL) to restart one of its components; seconds until its probe passed."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(300)
        s.connect(os.environ["KF_CONTROL"])
        s.sendall(f"restart {component}\n".encode())
        answer = s.makefile().readline().strip()
    if not answer.startswith("ok "):
        raise AssertionError(f"restart {component}: {answer or 'no answer'}")
    return float(answer.split()[1])


def lease_holder(c: Client, name: str) -> str:
    lease = c.json("GET", f"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/{name}")
    return lease["spec"].get("holderIdentity") or ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jar", required=True, type=Path)
    ap.add_argument("--config", type=Path, help="the tree's kubeadm configuration: adds the SAN-change proof")
    a = ap.parse_args()
    etc, pki = Path(os.environ["KF_ETC"]), Path(os.environ["KF_PKI"])
    scratch = Path(tempfile.mkdtemp(prefix="kf-renewal-"))
    t0 = time.monotonic()
    w = Worker(shutil.which("java") or "java", a.jar, scratch / "home", scratch / "worker.log")
    try:
        return prove(w, etc, pki, scratch, a.config.read_text() if a.config else None)
    finally:
        w.stop()
        shutil.rmtree(scratch, ignore_errors=True)
        print(f"[renewal_proof] {time.monotonic() - t0:.1f} s", flush=True)


def prove(w: Worker, etc: Path, pki: Path, scratch: Path, config: str | None) -> int:
    calls: list = []
    sup = KubeconfigIdentity(etc / "super-admin.conf", scratch / "before")
    c = sup.client()
    c.json("POST", f"/api/v1/namespaces/{NS}/secrets", {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": SECRET}, "data": {"k": "cmVuZXdhbA=="}},
        expect=(201, 409))
    c.json("POST", f"/api/v1/namespaces/{NS}/serviceaccounts",
           {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": SA}}, expect=(201, 409))
    token = c.json("POST", f"/api/v1/namespaces/{NS}/serviceaccounts/{SA}/token", {
        "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
        "spec": {"expirationSeconds": 3600}})["status"]["token"]
    holders = {n: lease_holder(c, n) for n in ("kube-controller-manager", "kube-scheduler")}
    before = {n: serial_of_pem(base64.b64decode(
        next(u["user"] for u in yaml.safe_load((etc / n).read_text())["users"])["client-certificate-data"]))
        for n in KUBECONFIGS}
    before.update({n: serial_of_pem((pki / f"{n}.crt").read_bytes())
                   for n in ("apiserver", "apiserver-etcd-client", "etcd/server")})

    t_renew = time.monotonic()
    renewed = w.post("/v1/renew", {"cert_dir": str(pki), "kubeconfig_dir": str(etc), "certificates": ["all"]}, calls)
    t_renew = time.monotonic() - t_renew
    items = renewed["result"]["certificates"]

    def all_renewed() -> str:
        bad = [f"{i['name']}: {i['action']}" for i in items if i["action"] != "renewed"]
        same = [i["name"] for i in items if i.get("old_serial") == i.get("new_serial")]
        assert not bad and not same and len(items) == 11, f"not renewed: {bad}, same serial: {same}, {len(items)} items"
        return f"{len(items)} items renewed in {t_renew:.1f}s, restart: {renewed['result'].get('restart')}"
    check("POST /v1/renew (all) on the running control plane renews the 7 leaf certificates and 4 kubeconfigs "
          "with new serials", all_renewed)

    restarts: dict[str, float] = {}

    def restart_all() -> str:
        for comp in COMPONENTS:
            restarts[comp] = restart(comp)
        return ", ".join(f"{k} {v:.1f}s" for k, v in restarts.items())
    check("each control-plane component restarted by the harness and up again (boot probe)", restart_all)

    def readyz() -> str:
        der = served_der(sup.ip, sup.port, str(pki / "ca.crt"), sup.server_name)
        assert der == file_der(pki / "apiserver.crt"), "kube-apiserver does not serve the renewed apiserver.crt"
        st, body = Client(sup.ip, sup.port, str(pki / "ca.crt"), server_name=sup.server_name).request("GET", "/readyz")
        assert st == 200, f"HTTP {st} {body[-300:]!r}"
        assert serial_of_pem((pki / "apiserver.crt").read_bytes()) != before["apiserver"]
        return "HTTP 200, served certificate = the renewed apiserver.crt"
    check("after renewal and restart: /readyz over TLS verified by pki/ca.crt, serving the renewed certificate", readyz)

    for conf, (user, groups) in KUBECONFIGS.items():
        def ident(conf=conf, user=user, groups=groups) -> str:
            i = KubeconfigIdentity(etc / conf, scratch / "after")
            serial = serial_of_pem(i.cert.read_bytes())
            assert serial != before[conf], f"{conf} still holds its old client certificate"
            ui = self_subject_review(i.client())
            got = set(ui.get("groups", [])) - {"system:authenticated"}
            assert ui.get("username") == user and got == groups, ui
            return f"{user} {sorted(groups)}, new serial {serial[:12]}..."
        check(f"after renewal and restart: renewed {conf} authenticates as {user}", ident)

    def leases() -> str:
        fresh = KubeconfigIdentity(etc / "super-admin.conf", scratch / "lease").client()
        out = []
        for n, old in holders.items():
            took = until(f"{n}'s lease taken by the restarted process",
                         lambda n=n, old=old: lease_holder(fresh, n) not in ("", old), 90)
            out.append(f"{n} after {took:.1f}s")
        return ", ".join(out)
    check("the restarted kube-controller-manager and kube-scheduler (renewed kubeconfigs) take their leases again",
          leases)

    def etcd() -> str:
        u = urllib.parse.urlsplit(os.environ["KF_ETCD"])
        cert = (str(pki / "apiserver-etcd-client.crt"), str(pki / "apiserver-etcd-client.key"))
        assert serial_of_pem(Path(cert[0]).read_bytes()) != before["apiserver-etcd-client"]
        der = served_der(u.hostname, u.port, str(pki / "etcd" / "ca.crt"), u.hostname, cert)
        assert der == file_der(pki / "etcd" / "server.crt"), "etcd does not serve the renewed etcd/server.crt"
        ec = Client(u.hostname, u.port, str(pki / "etcd" / "ca.crt"), cert=cert)
        st, body = ec.request("GET", "/health")
        assert st == 200 and b'"health":"true"' in body, f"/health: HTTP {st} {body!r}"
        key = base64.b64encode(f"/registry/secrets/{NS}/{SECRET}".encode()).decode()
        r = ec.json("POST", "/v3/kv/range", {"key": key, "count_only": True}, expect=(200,))
        assert r.get("count") == "1", f"range count {r}"
        return "renewed etcd/server.crt served; /health true and the Secret's key read (count 1) with the renewed client"
    check("after renewal and restart: etcd authenticates the renewed apiserver-etcd-client (/health, a key read)", etcd)

    def old_token() -> str:
        ui = self_subject_review(Client(sup.ip, sup.port, str(pki / "ca.crt"), server_name=sup.server_name,
                                        bearer=token))
        assert ui.get("username") == f"system:serviceaccount:{NS}:{SA}", ui
        # super-admin.conf: admin.conf's group kubeadm:cluster-admins is bound by /v1/cluster-bootstrap, not run here
        s = KubeconfigIdentity(etc / "super-admin.conf", scratch / "secret").client().json(
            "GET", f"/api/v1/namespaces/{NS}/secrets/{SECRET}")
        assert s["data"] == {"k": "cmVuZXdhbA=="}, s["data"]
        return f"token from before the renewal: {ui['username']}; Secret read unchanged with renewed super-admin.conf"
    check("after renewal and restart: a ServiceAccount token issued before the renewal still authenticates",
          old_token)

    expiry(w, scratch, calls)
    if config:
        san_change(w, etc, pki, scratch, calls, config)
    return 0 if all(results) else 1


NEW_SAN = "kf-added-after-init.example"


def san_change(w: Worker, etc: Path, pki: Path, scratch: Path, calls: list, config: str) -> None:
    """A SAN added after init, in one call: POST /v1/reconfigure with the tree's configuration plus one
    more certSAN reissues only apiserver.crt, with its key, and updates the kubeadm-config ConfigMap that
    /v1/cluster-bootstrap uploaded at "init"; the running kube-apiserver picks the file up by itself (no
    restart) and serves the new name; every kubeconfig is untouched and still works; a dry run first
    writes nothing, a second call changes nothing."""
    sup = KubeconfigIdentity(etc / "super-admin.conf", scratch / "san").client()
    ca = str(pki / "ca.crt")
    cluster = next(d for d in yaml.safe_load_all(config) if d and d.get("kind") == "ClusterConfiguration")
    sans = list(cluster.get("apiServer", {}).get("certSANs", [])) + [NEW_SAN]
    # bind_port: the harness' API server port, which the kubeconfigs of KF_ETC name
    init = {"kubeadm_config": config, "cert_dir": str(pki), "kubeconfig_dir": str(etc), "bind_port": sup.port}
    w.post("/v1/cluster-bootstrap", dict(init, skip_phases=["mark-control-plane", "addon/all"]), calls)
    body = dict(init, apiserver_cert_sans=sans)
    kubeconfigs = {f.name: f.read_bytes() for f in etc.glob("*.conf")}
    key_before = (pki / "apiserver.key").read_bytes()
    config_path = "/api/v1/namespaces/kube-system/configmaps/kubeadm-config"

    def dry_run() -> str:
        crt = (pki / "apiserver.crt").read_bytes()
        rv = sup.json("GET", config_path)["metadata"]["resourceVersion"]
        r = w.post("/v1/reconfigure", dict(body, dry_run=True), calls)
        assert r["changed"] and r["result"]["changed_steps"] == ["pki", "cluster"], r["result"]["changed_steps"]
        assert (pki / "apiserver.crt").read_bytes() == crt, "apiserver.crt written by a dry run"
        assert sup.json("GET", config_path)["metadata"]["resourceVersion"] == rv, "kubeadm-config written by a dry run"
        return f"would change {r['result']['changed_steps']}; apiserver.crt and kubeadm-config (resourceVersion {rv}) untouched"
    check("reconfigure in check mode reports the pki and cluster steps and writes nothing", dry_run)

    def refused_before() -> str:
        try:
            served_der(sup.ip, sup.port, ca, NEW_SAN)
        except ssl.SSLCertVerificationError as e:
            return f"before: {e.verify_message}"
        raise AssertionError(f"{NEW_SAN} was served before it was added")
    check(f"before the change, a client asking for {NEW_SAN} is refused (hostname mismatch)", refused_before)

    def reissued() -> str:
        r = w.post("/v1/reconfigure", body, calls)
        certs = r["result"]["pki"]["certificates"]
        acts = {c["name"]: c["action"] for c in certs}
        changed = {n: a for n, a in acts.items() if a != "kept"}
        assert changed == {"apiserver": "reissued"}, f"not only apiserver reissued: {changed}"
        objects = {o["name"]: o["action"] for o in r["result"]["cluster"]["objects"] if o["action"] != "unchanged"}
        assert objects == {"kubeadm-config": "updated"}, f"objects changed: {objects}"
        uploaded = sup.json("GET", config_path)["data"]["ClusterConfiguration"]
        assert NEW_SAN in uploaded, f"kubeadm-config does not name {NEW_SAN}"
        reason = next(c["reason"] for c in certs if c["name"] == "apiserver")
        assert f"added DNS:{NEW_SAN}" in reason and "same key" in reason, reason
        assert (pki / "apiserver.key").read_bytes() == key_before, "apiserver.key changed"
        t = until(f"kube-apiserver serving {NEW_SAN}", lambda: served_der(sup.ip, sup.port, ca, NEW_SAN), 90)
        assert served_der(sup.ip, sup.port, ca, NEW_SAN) == file_der(pki / "apiserver.crt")
        return (f"{len(acts)} certificates, only apiserver reissued ({reason}); kubeadm-config updated, cluster-info "
                f"unchanged; served after {t:.1f}s without a restart")
    check(f"a SAN added after init ({NEW_SAN}), one reconfigure call: only apiserver.crt is reissued, with its key, "
          "kubeadm-config names it, and the running kube-apiserver serves it over TLS verified by ca.crt", reissued)

    def kubeconfigs_kept() -> str:
        changed = [n for n, b in kubeconfigs.items() if (etc / n).read_bytes() != b]
        assert not changed, f"kubeconfigs rewritten: {changed}"
        who = []
        for conf, (user, _groups) in KUBECONFIGS.items():
            ui = self_subject_review(KubeconfigIdentity(etc / conf, scratch / "san-after").client())
            assert ui.get("username") == user, ui
            who.append(user)
        again = w.post("/v1/reconfigure", body, calls)
        assert again["changed"] is False, again["result"]["changed_steps"]
        return f"{len(kubeconfigs)} kubeconfigs byte-equal, {', '.join(who)} authenticate; a second call changed=false"
    check("after the SAN change every kubeconfig is untouched and still authenticates; a second call writes nothing",
          kubeconfigs_kept)
    endpoint_move(w, etc, pki, scratch, calls, body, sup)


def changed_items(step: dict, key: str) -> dict:
    return {i["name"]: i["action"] for i in step[key] if i["action"] not in ("kept", "unchanged")}


def endpoint_move(w: Worker, etc: Path, pki: Path, scratch: Path, calls: list, body: dict, sup: Client) -> None:
    """The control-plane endpoint moved on the running control plane, one POST /v1/reconfigure: to
    127.0.0.1:<port> (this netns' loopback, where the API server also listens; no DNS needed). apiserver.crt
    is reissued with the new IP (same key) and served without a restart; kubeadm-config and cluster-info name
    the new endpoint; only admin.conf's and super-admin.conf's server lines move (controller-manager.conf and
    scheduler.conf keep the local endpoint, as kubeadm writes them) and they authenticate through it; a copy
    of the old admin.conf, as another user holds it, still works at the old address; a second call changes
    nothing."""
    moved = f"127.0.0.1:{sup.port}"
    old = {f.name: f.read_bytes() for f in etc.glob("*.conf")}
    key_before = (pki / "apiserver.key").read_bytes()
    ca = str(pki / "ca.crt")
    body = dict(body, control_plane_endpoint=moved)

    def move() -> str:
        r = w.post("/v1/reconfigure", body, calls)["result"]
        certs = changed_items(r["pki"], "certificates")
        assert certs == {"apiserver": "reissued"}, f"certificates changed: {certs}"
        objects = changed_items(r["cluster"], "objects")
        assert objects == {"kubeadm-config": "updated", "cluster-info": "updated"}, f"objects changed: {objects}"
        confs = changed_items(r["kubeconfigs"], "kubeconfigs")
        assert {"admin.conf", "super-admin.conf"} <= set(confs) and not {"controller-manager.conf", "scheduler.conf"} & set(confs), confs
        assert (pki / "apiserver.key").read_bytes() == key_before, "apiserver.key changed"
        t = until("kube-apiserver serving the reissued apiserver.crt",
                  lambda: served_der("127.0.0.1", sup.port, ca, "127.0.0.1") == file_der(pki / "apiserver.crt"), 90)
        info = yaml.safe_load(sup.json("GET", "/api/v1/namespaces/kube-public/configmaps/cluster-info")["data"]["kubeconfig"])
        server = info["clusters"][0]["cluster"]["server"]
        assert server == f"https://{moved}", f"cluster-info server {server}"
        uploaded = yaml.safe_load(sup.json("GET", "/api/v1/namespaces/kube-system/configmaps/kubeadm-config")
                                  ["data"]["ClusterConfiguration"])
        assert uploaded.get("controlPlaneEndpoint") == moved, uploaded.get("controlPlaneEndpoint")
        return (f"apiserver reissued (same key), served at 127.0.0.1 after {t:.1f}s without a restart; kubeadm-config "
                f"and cluster-info name {moved}; kubeconfigs rewritten: {', '.join(sorted(confs))}")
    check(f"the control-plane endpoint moved to {moved}, one reconfigure call: apiserver.crt reissued with it and "
          "served, kubeadm-config and cluster-info name it, only admin.conf's and super-admin.conf's server moves", move)

    def through_it() -> str:
        who = []
        for conf in ("admin.conf", "super-admin.conf"):
            ident = KubeconfigIdentity(etc / conf, scratch / "moved")
            assert (ident.ip, ident.port) == ("127.0.0.1", sup.port), f"{conf} names {ident.ip}:{ident.port}"
            moved_only = old[conf].replace(f"https://{sup.ip}:{sup.port}".encode(), f"https://{moved}".encode())
            assert (etc / conf).read_bytes() == moved_only, f"{conf}: more than its server line changed"
            who.append(self_subject_review(ident.client())["username"])
        for conf in ("controller-manager.conf", "scheduler.conf"):
            assert (etc / conf).read_bytes() == old[conf], f"{conf} rewritten"
        copy = scratch / "old-copy"
        copy.mkdir(exist_ok=True)
        (copy / "admin.conf").write_bytes(old["admin.conf"])
        kept = KubeconfigIdentity(copy / "admin.conf", copy)
        user = self_subject_review(kept.client())["username"]
        again = w.post("/v1/reconfigure", body, calls)
        assert again["changed"] is False, again["result"]["changed_steps"]
        return (f"{', '.join(who)} through https://{moved}, only the server line moved; controller-manager.conf and "
                f"scheduler.conf byte-equal; the old admin.conf copy ({kept.ip}:{kept.port}) is still {user}; a second "
                "call changed=false")
    check("after the move admin.conf and super-admin.conf authenticate through the new endpoint, an old copy still "
          "works at the old one, and a second call writes nothing", through_it)


def expiry(w: Worker, scratch: Path, calls: list) -> None:
    short, empty = scratch / "short" / "pki", scratch / "short" / "empty"
    empty.mkdir(parents=True)
    w.post("/v1/pki", {"cert_dir": str(short), "certificate_validity": "1h", "key_algorithm": "ECDSA-P256",
                       "node_name": "kf-expiry", "advertise_address": "192.0.2.10"}, calls)
    folders = {"cert_dir": str(short), "kubeconfig_dir": str(empty), "kubelet_cert_dir": str(empty)}
    info = w.post("/v1/cert-info", dict(folders, warn_before="2h"), calls)["result"]
    leaves = {r["name"]: r for r in info["certificates"] if not r.get("missing")}

    def expiring() -> str:
        names = sorted(r["name"] for r in info["expiring"])
        assert leaves and names == sorted(leaves), f"expiring {names}, leaves {sorted(leaves)}"
        assert all(0 < r["residual_seconds"] <= 3600 for r in leaves.values()), [r["residual_seconds"] for r in leaves.values()]
        assert not any(r["group"] == "certificate_authorities" for r in info["expiring"])
        quiet = w.post("/v1/cert-info", dict(folders, warn_before="30m"), calls)["result"]["expiring"]
        assert quiet == [], f"warn_before 30m lists {[r['name'] for r in quiet]}"
        return f"{len(names)} leaves of 1h listed with warn_before {info['warn_before']} (CAs not); none with 30m"
    check("certificates made with certificate_validity 1h are listed by cert-info as expiring (warn_before 2h)",
          expiring)

    def metrics() -> str:
        (w.home / "metrics.yaml").write_text(json.dumps(folders))  # YAML is a superset of JSON
        req = urllib.request.Request(w.url + "/metrics", headers={"Authorization": f"Bearer {w.token}"})
        with urllib.request.urlopen(req, timeout=60) as r:
            text = r.read().decode()
        series = {}
        for m in re.finditer(r'^kubeforge_certificate_expiry_timestamp_seconds\{([^}]*)\} (\S+)$', text, re.M):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
            if labels.get("group") == "certificates":
                series[labels["name"]] = float(m.group(2))
        assert sorted(series) == sorted(leaves), f"gauges for {sorted(series)}, leaves {sorted(leaves)}"
        for name, value in series.items():
            want = datetime.fromisoformat(leaves[name]["expires"].replace("Z", "+00:00")).timestamp()
            assert abs(value - want) < 1.5, f"{name}: gauge {value}, cert-info {leaves[name]['expires']}"
            assert value - time.time() <= 3600, f"{name}: expires in {value - time.time():.0f}s"
        return f"{len(series)} expiry gauges = cert-info's NotAfter, each within 1h"
    check("GET /metrics reports the expiry of the 1h certificates (kubeforge_certificate_expiry_timestamp_seconds)",
          metrics)


if __name__ == "__main__":
    sys.exit(main())
