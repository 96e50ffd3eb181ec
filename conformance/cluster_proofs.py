"""What the worker's cluster objects let the real Kubernetes components do (cluster_phase.py worker).

Run on the worker's control plane after the cluster-bootstrap checks, with the worker still up:

  * tokens:        a token from POST /v1/bootstrap-token (default usages and group) authenticates as
                   system:bootstrap:<id> in system:bootstrappers + system:bootstrappers:kubeadm:default-node-token;
  * node CSR:      an ECDSA P-256 CSR (openssl) for CN=system:node:kf-csr-node, O=system:nodes, signer
                   kubernetes.io/kube-apiserver-client-kubelet, created with that token, is AutoApproved
                   by the real controller-manager (through the worker's node-autoapprove-bootstrap binding)
                   and issued; the certificate verifies against pki/ca.crt (openssl verify; and not against
                   front-proxy-ca.crt) and authenticates as system:node:kf-csr-node in system:nodes;
  * JWS:           the jws-kubeconfig-<id> the real bootstrap signer wrote into cluster-info verifies with
                   the worker's verifier (ClusterInfoJws.verify, which is byte equality with what
                   ClusterInfoJws.sign makes of the same kubeconfig), as POST /v1/cluster-bootstrap
                   reports it with sign_cluster_info: never, dry_run: signed_by "signer";
  * download-certs: the real `kubeadm join phase control-plane-prepare download-certs` (token discovery
                   pinned by the worker's ca_cert_hash, --control-plane, the certificate key POST
                   /v1/upload-certs generated) decrypts the worker's kubeadm-certs Secret and writes the
                   same bytes as the tree's pki/; it runs in a private mount namespace whose /etc is an
                   overlay (writes land in a scratch dir) with a scratch folder bound over /etc/kubernetes,
                   because kubeadm writes to the cluster's certificatesDir (/etc/kubernetes/pki);
  * expiry:        a token made with ttl 3s is refused (401) by the API server once expired and deleted
                   by the real token cleaner within EXPIRY_BOUND_S of its expiration. It is never used
                   before it expires: the API server caches a successful token authentication for 10 s
                   (--authentication-token-success-cache-ttl is not set by kubeadm).

Standard library, PyYAML and the openssl CLI, like the rest of the harness.
"""
from __future__ import annotations

import base64
import json
import shlex
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import yaml

from controlplane import Client, self_subject_review

CSR_NODE = "kf-csr-node"
EXPIRING_TTL = "3s"
EXPIRY_BOUND_S = 15.0
WAIT_S = 30.0
DISCOVERY_TIMEOUT = "20s"  # kubeadm's default is 5m of retries
SECRET_FACTS = ("token", "certificate_key", "join_command", "join_command_control_plane")
CERT_FILES = ["ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.key", "sa.pub",
              "etcd/ca.crt", "etcd/ca.key"]


def call(w, path: str, body: dict, calls: list) -> tuple[int, dict]:
    """POST to the worker; unlike Worker.post a non-200 is returned, not raised."""
    req = urllib.request.Request(w.url + path, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {w.token}", "Content-Type": "application/json"})
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            status, resp = r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        status, resp = e.code, json.loads(e.read() or b"{}")
    shown = dict(resp)
    if isinstance(resp.get("result"), dict):  # no secret in the calls file
        shown["result"] = {k: v for k, v in resp["result"].items() if k not in SECRET_FACTS}
    calls.append({"path": path, "request": body, "status": status, "response": shown,
                  "seconds": round(time.monotonic() - t0, 3)})
    return status, resp


def ok(w, path: str, body: dict, calls: list) -> dict:
    st, resp = call(w, path, body, calls)
    if st != 200:
        raise AssertionError(f"POST {path}: HTTP {st}: {json.dumps(resp)[:600]}")
    return resp["result"]


def until(what: str, fn: Callable[[], object], seconds: float = WAIT_S, step: float = 0.2):
    deadline = time.monotonic() + seconds
    while True:
        got = fn()
        if got:
            return got
        if time.monotonic() >= deadline:
            raise AssertionError(f"no {what} within {seconds:.0f}s")
        time.sleep(step)


def openssl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run(["openssl", *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args[:2])}: {p.stdout}{p.stderr}")
    return p


class Proofs:
    def __init__(self, w, sup: Client, etc: Path, pki: Path, bin_dir: Path, scratch: Path, hosts: Path | None,
                 config_text: str, check: Callable[[str, Callable[[], str | None]], None],
                 join: tuple[str, Path] | None = None):
        self.w, self.sup, self.etc, self.pki, self.bin = w, sup, etc, pki, bin_dir
        self.join = join  # (the first etcd's client URL, a log folder): run join_proof.py too
        self.scratch, self.hosts, self.config_text, self.check = scratch, hosts, config_text, check
        self.calls: list = []
        self.access = {"kubeconfig_dir": str(etc)}

    def bearer(self, token: str) -> Client:
        s = self.sup
        return Client(s.ip, s.port, None, cadata=self.cadata(), server_name=s.server_name, bearer=token)

    def cadata(self) -> str:
        return (self.pki / "ca.crt").read_text()

    def cluster_info(self) -> dict:
        st, body = self.sup.request("GET", "/api/v1/namespaces/kube-public/configmaps/cluster-info")
        assert st == 200, f"cluster-info: HTTP {st}"
        return json.loads(body)["data"]

    # ------------------------------------------------------------------------------------------
    def run(self) -> None:
        t0 = time.monotonic()
        # the expiring token first: its 3 s run while the other proofs do
        expiring = ok(self.w, "/v1/bootstrap-token", dict(self.access, ttl=EXPIRING_TTL,
                      description="kubeforge conformance: expires"), self.calls)
        token = ok(self.w, "/v1/bootstrap-token", dict(self.access, description="kubeforge conformance: node"),
                   self.calls)
        token["created"] = time.monotonic()
        self.check("a token from /v1/bootstrap-token authenticates as system:bootstrap:<id> in its groups",
                   lambda: self.token_identity(token))
        self.check("a node-client CSR made with that token is auto-approved by kube-controller-manager and "
                   "issued by the CA (openssl verify)", lambda: self.node_csr(token))
        self.check("the bootstrap signer's jws-kubeconfig-<id> verifies with the worker's verifier "
                   "(equal to what it signs)", lambda: self.jws(token))
        self.check("kubeadm join phase control-plane-prepare download-certs decrypts /v1/upload-certs' "
                   "kubeadm-certs and writes the same files", lambda: self.download_certs(token))
        self.check(f"a token with ttl {EXPIRING_TTL} is refused (401) once expired and deleted by the token "
                   f"cleaner within {EXPIRY_BOUND_S:.0f}s", lambda: self.expired(expiring))
        if self.join and getattr(self, "upload", None):
            self.join_control_plane(token)
        print(f"[cluster_proofs] {time.monotonic() - t0:.1f}s", flush=True)

    # ------------------------------------------------------------------------------------------
    def token_identity(self, token: dict) -> str:
        ui = self_subject_review(self.bearer(token["token"]))
        want_user = f"system:bootstrap:{token['token_id']}"
        want_groups = {"system:bootstrappers", *token["groups"], "system:authenticated"}
        assert ui.get("username") == want_user, f"username {ui.get('username')!r}, want {want_user!r}"
        assert set(ui.get("groups") or []) == want_groups, f"groups {ui.get('groups')}, want {sorted(want_groups)}"
        bad = self.bearer(token["token_id"] + ".0000000000000000").request(
            "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})[0]
        assert bad == 401, f"the same id with another secret: HTTP {bad}, want 401"
        return f"{ui['username']} {sorted(ui['groups'])}; the id with a wrong secret: 401"

    def node_csr(self, token: dict) -> str:
        d = Path(tempfile.mkdtemp(dir=self.scratch, prefix="csr-"))
        key, csr, crt = d / "node.key", d / "node.csr", d / "node.crt"
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key),
                "-out", str(csr), "-subj", f"/O=system:nodes/CN=system:node:{CSR_NODE}")
        name = f"kf-node-csr-{token['token_id']}"
        body = {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
                "metadata": {"name": name},
                "spec": {"request": base64.b64encode(csr.read_bytes()).decode(),
                         "signerName": "kubernetes.io/kube-apiserver-client-kubelet",
                         "usages": ["digital signature", "client auth"]}}
        t0 = time.monotonic()
        created = self.bearer(token["token"]).json("POST", "/apis/certificates.k8s.io/v1/certificatesigningrequests",
                                                   body, expect=(201,))
        assert created["spec"]["username"] == f"system:bootstrap:{token['token_id']}", created["spec"]["username"]
        path = f"/apis/certificates.k8s.io/v1/certificatesigningrequests/{name}"

        def issued():
            st = self.sup.json("GET", path).get("status", {})
            conds = st.get("conditions") or []
            if any(c["type"] in ("Denied", "Failed") for c in conds):
                raise AssertionError(f"CSR {conds}")
            return st if st.get("certificate") and conds else None
        st = issued_status = until(f"approved and issued CSR {name}", issued)
        took = time.monotonic() - t0
        approved = next((c for c in st["conditions"] if c["type"] == "Approved"), None)
        assert approved and approved.get("reason") == "AutoApproved", f"conditions {st['conditions']}"
        crt.write_bytes(base64.b64decode(issued_status["certificate"]))
        v = openssl("verify", "-CAfile", str(self.pki / "ca.crt"), str(crt))
        assert v.stdout.strip().endswith(": OK"), v.stdout
        other = openssl("verify", "-CAfile", str(self.pki / "front-proxy-ca.crt"), str(crt), check=False)
        assert other.returncode != 0, "the node certificate also verifies against front-proxy-ca.crt?!"
        subject = openssl("x509", "-in", str(crt), "-noout", "-subject", "-nameopt", "RFC2253").stdout.strip()
        s = self.sup
        ui = self_subject_review(Client(s.ip, s.port, None, cadata=self.cadata(), cert=(str(crt), str(key)),
                                        server_name=s.server_name))
        assert ui.get("username") == f"system:node:{CSR_NODE}" and "system:nodes" in (ui.get("groups") or []), ui
        return (f"{approved['reason']} and issued in {took:.1f}s; {subject}; openssl verify -CAfile ca.crt: OK "
                f"(front-proxy-ca.crt: refused); authenticates as {ui['username']} {sorted(ui['groups'])}")

    def jws(self, token: dict) -> str:
        tid = token["token_id"]
        key = f"jws-kubeconfig-{tid}"
        data = until(f"{key} in cluster-info (bootstrap signer)", lambda: (lambda d: d if key in d else None)(
            self.cluster_info()))
        seen = time.monotonic() - token["created"]
        header = json.loads(base64.urlsafe_b64decode(data[key].split(".")[0] + "=="))
        assert header == {"alg": "HS256", "kid": tid}, f"signer's header {header}"
        body = {"kubeadm_config": self.config_text, **self.access, "dry_run": True, "sign_cluster_info": "never",
                "skip_phases": ["upload-config/all", "mark-control-plane", "addon/all"]}
        r = ok(self.w, "/v1/cluster-bootstrap", body, self.calls)
        sig = next((s for s in r["cluster_info_signatures"] if s["token_id"] == tid), None)
        assert sig is not None, f"no signature reported for {tid}: {r['cluster_info_signatures']}"
        assert sig["signed_by"] == "signer" and not sig["changed"], (
            f"the worker's verifier does not accept the signer's {key}: {sig}")
        after = self.cluster_info()
        assert after.get(key) == data[key], "the signature changed under a dry run with sign_cluster_info: never"
        return f"signer's {key} seen {seen:.1f}s after the token was made; worker reports {sig}"

    def download_certs(self, token: dict) -> str:
        # external etcd: the ClusterConfiguration names its client files under /etc/kubernetes, which this
        # harness' worker (no mount namespace) finds in the tree; kubeadm writes them where the cluster's
        # ClusterConfiguration names them (/etc/kubernetes is `out` for it)
        cluster = [d for d in yaml.safe_load_all(self.config_text) if (d or {}).get("kind") == "ClusterConfiguration"]
        ext = ((cluster[0] if cluster else {}).get("etcd") or {}).get("external")
        files, body = list(CERT_FILES), dict(self.access, cert_dir=str(self.pki))
        if ext:
            named = {k: str(Path(ext[k]).relative_to("/etc/kubernetes/pki")) for k in ("caFile", "certFile", "keyFile")}
            files = files[:6] + list(named.values())
            body.update(etcd_external_ca_file=str(self.pki / named["caFile"]),
                        etcd_external_cert_file=str(self.pki / named["certFile"]),
                        etcd_external_key_file=str(self.pki / named["keyFile"]))
        up = ok(self.w, "/v1/upload-certs", body, self.calls)
        assert up["certificate_key_generated"], "no key generated"
        self.upload = up
        d = Path(tempfile.mkdtemp(dir=self.scratch, prefix="download-certs-"))
        out = d / "etc-kubernetes"
        out.mkdir()
        port, endpoint = self.sup.port, f"{self.sup.ip}:{self.sup.port}"
        join = d / "join.yaml"
        join.write_text(f"""apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: "{endpoint}"
    token: {token['token']}
    caCertHashes: ["{token['ca_cert_hash']}"]
timeouts:
  discovery: {DISCOVERY_TIMEOUT}
nodeRegistration:
  name: kf-second-control-plane
  criSocket: unix:///var/run/containerd/containerd.sock
controlPlane:
  localAPIEndpoint:
    advertiseAddress: {self.sup.ip}
    bindPort: {port}
  certificateKey: {up['certificate_key']}
""")
        join.chmod(0o600)
        t0 = time.monotonic()
        p = self.kubeadm_in_mountns(d, out, ["join", "phase", "control-plane-prepare", "download-certs",
                                             "--config", str(join)])
        took = time.monotonic() - t0
        assert p.returncode == 0, f"kubeadm exited {p.returncode}:\n{p.stdout[-1500:]}"
        written = sorted(str(f.relative_to(out / "pki")) for f in (out / "pki").rglob("*") if f.is_file())
        assert written == sorted(files), f"kubeadm wrote {written}, want {sorted(files)}"
        differ = [n for n in files if (out / "pki" / n).read_bytes() != (self.pki / n).read_bytes()]
        assert not differ, f"kubeadm's decrypted files differ from the tree's: {differ}"
        stray = [str(f) for f in (d / "etc-upper").rglob("*") if f.name != "kubernetes" and f.name != "hosts"]
        assert not stray, f"kubeadm wrote outside /etc/kubernetes: {stray}"
        return (f"{len(written)} files byte-equal to the tree's pki/ ({', '.join(written)}), kubeadm {took:.1f}s; "
                f"Secret owned by token {up['owner_token_id']} (expires {up['expires']})")

    def join_control_plane(self, token: dict) -> None:
        from join_proof import JOIN_IP, JOIN_NODE, JoinProof
        t0 = time.monotonic()
        j = JoinProof(self, *self.join)
        joined = []

        def join():
            detail = j.join(token, self.upload)
            joined.append(True)
            return detail
        try:
            self.check(f"join: a second control plane ({JOIN_NODE}, {JOIN_IP}) joined by playbooks/join.yml from the "
                       "first's hostvars alone (discovery, download-certs, pki, kubeconfig, static_pods with etcd_join: "
                       "learner added, promoted once its etcd runs; TLS bootstrap) answers /readyz", join)
            if joined:
                self.check("join: etcd has two voting members and an object written before the join is read through "
                           "the second API server", j.members)
                self.check("join: objects written through either API server are read through the other (same uid "
                           "and resourceVersion)", j.same_objects)
                self.check("join: every certificate of the second tree verifies against the first's CAs (openssl "
                           "verify)", j.signed_by_first)
                self.check("join: a second run of join.yml is changed=0 on both hosts (member present, the joined "
                           "tree untouched)", j.second_run)
                self.check("join: the joining etcd.yaml equals kubeadm join phase etcd-join's for the "
                           "same node and cluster", j.kubeadm_etcd)
        finally:
            j.cleanup()
            print(f"[cluster_proofs] join {time.monotonic() - t0:.1f}s", flush=True)

    def kubeadm_in_mountns(self, d: Path, out: Path, args: list[str]) -> subprocess.CompletedProcess:
        """kubeadm in a private mount namespace: /etc an overlay whose writes land in d/etc-upper,
        `out` bound over /etc/kubernetes, /etc/hosts with the harness' names (dual-stack)."""
        (d / "etc-upper").mkdir()
        (d / "etc-work").mkdir()
        script = [f"mount -t overlay overlay -o lowerdir=/etc,upperdir={d}/etc-upper,workdir={d}/etc-work /etc",
                  "mkdir -p /etc/kubernetes", f"mount --bind {out} /etc/kubernetes"]
        if self.hosts:
            script.append(f"cp {self.hosts} /etc/hosts")
        script.append("exec " + shlex.join([str(self.bin / "kubeadm"), *args]))
        return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-ec", " && ".join(script)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)

    def expired(self, expiring: dict) -> str:
        tid = expiring["token_id"]
        expires = datetime.fromisoformat(expiring["expires"].replace("Z", "+00:00"))
        wait = (expires - datetime.now(timezone.utc)).total_seconds()
        if wait > -0.05:
            time.sleep(wait + 0.05)
        secret = f"/api/v1/namespaces/kube-system/secrets/bootstrap-token-{tid}"
        present = self.sup.request("GET", secret)[0] == 200
        st, body = self.bearer(expiring["token"]).request("GET", "/api/v1/namespaces/kube-public/configmaps/cluster-info")
        assert st == 401, f"expired token: HTTP {st}, want 401: {body[:200]!r}"
        until(f"deletion of bootstrap-token-{tid}", lambda: self.sup.request("GET", secret)[0] == 404,
              seconds=EXPIRY_BOUND_S)
        gone = (datetime.now(timezone.utc) - expires).total_seconds()
        return (f"401 {'while its Secret still existed' if present else 'after its Secret was deleted'}; "
                f"Secret seen deleted {gone:.1f}s after the expiry (bound {EXPIRY_BOUND_S:.0f}s)")


def hosts_file(scratch: Path) -> Path | None:
    """The /etc/hosts cluster_phase.named_server wrote for a controlPlaneEndpoint name, if any."""
    p = scratch / "hosts"
    return p if p.exists() else None

