"""bootstrap_token, upload_certs, cluster_bootstrap, discovery, tls_bootstrap and csr_approve through ansible-playbook, the real
worker jar and a real kube-apiserver v1.34.10 with the real kube-controller-manager's bootstrap and CSR signers
(etcd, kube-apiserver, kube-controller-manager from $KUBEFORGE_KUBE_BIN, else
<repo>/.cache/kube/v1.34.10/bin; skipped when they are missing unless KUBEFORGE_REQUIRE_BINARIES=1).
The PKI and kubeconfigs are the worker's own, so TLS is verified against our CA."""

import os
import shutil
import sys
import subprocess
import base64
import json
import tempfile
import time
import urllib.request
import ssl
from pathlib import Path
from shlex import split as shlex_split

import pytest
import yaml

from conftest import KUBE_BIN, Ansible, free_port, kube_binaries
from test_collection_contract import assert_result_matches_return

BIN = KUBE_BIN
TOKEN = "abcdef.0123456789abcdef"


def control_plane(ansible, root, trust=None):
    """etcd, kube-apiserver and kube-controller-manager (its bootstrap signer, token cleaner and CSR signer and
    approver, as kubeadm's manifest runs them) on the worker's PKI and kubeconfigs under ROOT/etc. TRUST(pki), once
    the PKI exists, may return the API server's --client-ca-file and the CSR signer's (cert, key) instead of
    pki/ca.*. Returns the processes."""
    etc, pki = root / "etc", root / "etc" / "pki"
    port, etcd_port, peer = free_port(), free_port(), free_port()
    opts = {"cert_dir": str(pki), "kubeconfig_dir": str(etc), "node_name": "cp-1", "advertise_address": "127.0.0.1",
            "control_plane_endpoint": "127.0.0.1:%d" % port, "bind_port": port}
    assert not ansible.module("pki", opts).get("failed")
    assert not ansible.module("kubeconfig", opts).get("failed")
    client_ca, signer = trust(pki) if trust else (pki / "ca.crt", (pki / "ca.crt", pki / "ca.key"))
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    procs = []
    with open(root / "etcd.log", "wb") as log:
        procs.append(subprocess.Popen([os.path.join(BIN, "etcd"), "--name", "t", "--data-dir", str(root / "etcd"),
                                       "--listen-client-urls", "http://127.0.0.1:%d" % etcd_port,
                                       "--advertise-client-urls", "http://127.0.0.1:%d" % etcd_port,
                                       "--listen-peer-urls", "http://127.0.0.1:%d" % peer,
                                       "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % peer,
                                       "--initial-cluster", "t=http://127.0.0.1:%d" % peer],
                                      stdout=log, stderr=log, env=env))
    with open(root / "apiserver.log", "wb") as log:
        procs.append(subprocess.Popen([os.path.join(BIN, "kube-apiserver"), "--etcd-servers=http://127.0.0.1:%d" % etcd_port,
                                       "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
                                       "--secure-port=%d" % port, "--tls-cert-file=%s" % (pki / "apiserver.crt"),
                                       "--tls-private-key-file=%s" % (pki / "apiserver.key"),
                                       "--client-ca-file=%s" % client_ca,
                                       "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                                       "--service-account-key-file=%s" % (pki / "sa.pub"),
                                       "--service-account-signing-key-file=%s" % (pki / "sa.key"),
                                       "--authorization-mode=Node,RBAC", "--enable-bootstrap-token-auth", "--allow-privileged=true",
                                       "--service-cluster-ip-range=10.96.0.0/12"],
                                      stdout=log, stderr=log, env=env))
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    deadline = time.time() + 90
    while True:
        try:
            urllib.request.urlopen("https://127.0.0.1:%d/livez" % port, context=ctx, timeout=2)
            break
        except Exception:  # noqa: BLE001 - not up yet
            if time.time() > deadline:
                raise AssertionError((root / "apiserver.log").read_text()[-3000:])
            time.sleep(0.5)
    # with its own kubeconfig and per-controller service-account credentials
    with open(root / "controller-manager.log", "wb") as log:
        procs.append(subprocess.Popen([os.path.join(BIN, "kube-controller-manager"),
                                       "--kubeconfig=%s" % (etc / "controller-manager.conf"),
                                       "--authentication-kubeconfig=%s" % (etc / "controller-manager.conf"),
                                       "--authorization-kubeconfig=%s" % (etc / "controller-manager.conf"),
                                       "--controllers=bootstrapsigner,tokencleaner,csrsigning,csrapproving", "--leader-elect=false",
                                       "--cluster-signing-cert-file=%s" % signer[0],
                                       "--cluster-signing-key-file=%s" % signer[1],
                                       "--use-service-account-credentials=true", "--bind-address=127.0.0.1",
                                       "--secure-port=%d" % free_port()],
                                      stdout=log, stderr=log, env=env))
    return procs


def stop(procs, root):
    for p in reversed(procs):
        p.terminate()
        p.wait(timeout=30)
    shutil.rmtree(root / "etcd", ignore_errors=True)


@pytest.fixture(scope="module")
def cluster(shared_home, tmp_path_factory):
    kube_binaries("etcd", "kube-apiserver", "kube-controller-manager")
    root = tmp_path_factory.mktemp("apicluster")
    ansible = Ansible(shared_home, root)
    procs = control_plane(ansible, root)
    yield ansible, root
    stop(procs, root)


def openssl(*args):
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


def make_ca(d, name):
    """A CA of its own (openssl, ECDSA P-256, basicConstraints CA:TRUE): (cert, key)."""
    d.mkdir(parents=True, exist_ok=True)
    crt, key = d / (name + ".crt"), d / (name + ".key")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=" + name, "-keyout", key, "-out", crt)
    return crt, key


@pytest.fixture(scope="module")
def rotating_cluster(shared_home, tmp_path_factory):
    """A control plane in the middle of a rotation of the kubernetes CA, as between ca_rotate's prepare and finish:
    its API server trusts the old CA and a new one, its CSR signer signs with the new one."""
    kube_binaries("etcd", "kube-apiserver", "kube-controller-manager")
    root = tmp_path_factory.mktemp("rotating")
    ansible = Ansible(shared_home, root)

    def mid_rotation(pki):
        new = make_ca(root / "new-ca", "kf-new-ca")
        bundle = root / "client-ca.crt"
        bundle.write_text((pki / "ca.crt").read_text() + new[0].read_text())
        return bundle, new
    procs = control_plane(ansible, root, mid_rotation)
    yield ansible, root
    stop(procs, root)


def kube_args(root, **extra):
    args = {"kubeconfig_dir": str(root / "etc")}
    args.update(extra)
    return args


def test_bootstrap_token_check_mode_creates_nothing_then_creates_then_keeps(cluster):
    ansible, root = cluster
    check = ansible.module("bootstrap_token", kube_args(root, token=TOKEN), check=True, diff=True)
    assert check["changed"] is True and not check.get("failed"), check.get("msg", check)
    listed = ansible.module("bootstrap_token", kube_args(root, state="list"))
    assert not listed.get("failed"), listed.get("msg", listed)
    assert "abcdef" not in [t["token_id"] for t in listed["tokens"]]
    created = ansible.module("bootstrap_token", kube_args(root, token=TOKEN, description="join"))
    assert created["changed"] is True and created["token_id"] == "abcdef", created
    assert created["join_command"].startswith("kubeadm join 127.0.0.1:")
    assert created["ca_cert_hash"].startswith("sha256:")
    again = ansible.module("bootstrap_token", kube_args(root, token=TOKEN, description="join"))
    assert again["changed"] is False and again["expires"] == created["expires"], again
    for result, check_mode in ((check, True), (created, False), (again, False), (listed, False)):
        assert_result_matches_return("bootstrap_token", result, check_mode)


def test_bootstrap_token_creates_the_tokens_a_kubeadm_config_file_lists_and_keeps_them(cluster):
    ansible, root = cluster
    config = root / "kubeadm-tokens.yaml"
    config.write_text("apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nbootstrapTokens:\n"
                      "- token: cfgaaa.0123456789abcdef\n  description: from config\n  ttl: 1h\n"
                      "- token: cfgbbb.0123456789abcdef\n")
    created = ansible.module("bootstrap_token", kube_args(root, kubeadm_config=str(config)))
    assert created["changed"] is True and created["token_id"] == "cfgaaa", created
    assert [t["token_id"] for t in created["tokens"]] == ["cfgaaa", "cfgbbb"]
    assert [t["ttl"] for t in created["tokens"]] == ["1h0m0s", "24h0m0s"]
    again = ansible.module("bootstrap_token", kube_args(root, kubeadm_config=str(config)))
    assert again["changed"] is False, again
    assert_result_matches_return("bootstrap_token", created, False)


def test_bad_input_fails_naming_the_option(cluster):
    ansible, root = cluster
    for args, field in (({"ttl": "-5m"}, "ttl"), ({"groups": ["system:masters"]}, "groups[0]"),
                        ({"usages": ["everything"]}, "usages[0]")):
        r = ansible.module("bootstrap_token", kube_args(root, **args))
        assert r["failed"] is True and r["field"] == field and r["http_status"] == 400, r
        assert "Traceback" not in str(r)


def test_upload_certs_generates_a_key_and_is_idempotent_with_it(cluster):
    ansible, root = cluster
    first = ansible.module("upload_certs", kube_args(root, cert_dir=str(root / "etc" / "pki")))
    assert first["changed"] is True and first["certificate_key_generated"] is True, first
    key = first["certificate_key"]
    assert len(key) == 64
    second = ansible.module("upload_certs", kube_args(root, cert_dir=str(root / "etc" / "pki"), certificate_key=key))
    for result in (first, second):
        assert_result_matches_return("upload_certs", result, False)
    assert second["changed"] is False, second
    bad = ansible.module("upload_certs", kube_args(root, cert_dir=str(root / "etc" / "pki"), certificate_key="ab" * 16))
    assert bad["failed"] is True and bad["field"] == "certificate_key", bad
    assert "ab" * 16 not in bad["msg"]


def test_a_kubeconfig_whose_server_is_down_fails_within_the_timeout(cluster):
    ansible, root = cluster
    down = root / "down.conf"
    text = (root / "etc" / "super-admin.conf").read_text()
    import re
    down.write_text(re.sub(r"server: \S+", "server: https://127.0.0.1:%d" % free_port(), text))
    start = time.time()
    r = ansible.module("bootstrap_token", kube_args(root, kubeconfig=str(down), timeout=2, state="list"))
    assert r["failed"] is True and r["http_status"] == 504 and r["code"] == "kube.unreachable", r
    assert time.time() - start < 30  # ansible-playbook start-up included; KubeClientIT bounds the 2 s precisely


def test_cluster_bootstrap_applies_kubeadms_objects_once_and_returns_what_it_documents(cluster):
    ansible, root = cluster
    args = kube_args(root, cert_dir=str(root / "etc" / "pki"), node_name="cp-1", advertise_address="127.0.0.1",
                     sign_cluster_info="always")
    check = ansible.module("cluster_bootstrap", args, check=True)
    assert check["changed"] is True and not check.get("failed"), check.get("msg", check)
    first = ansible.module("cluster_bootstrap", args)
    assert first["changed"] is True and not first.get("failed"), first
    assert {"kubeadm-config", "cluster-info", "coredns", "kube-proxy"} <= {o["name"] for o in first["objects"]}
    assert first["node"]["registered"] is False  # no kubelet here: named, not failed
    second = ansible.module("cluster_bootstrap", args)
    assert second["changed"] is False, [o for o in second["objects"] if o["action"] != "unchanged"]
    for result, check_mode in ((check, True), (first, False), (second, False)):
        assert_result_matches_return("cluster_bootstrap", result, check_mode)


DISCOVERY_TOKEN = "kfdisc.0123456789abcdef"


def super_admin_request(root, path, body=None):
    """A GET (or, with ``body``, a POST) with super-admin.conf's client certificate, TLS verified
    by our CA; returns the decoded answer."""
    conf = yaml.safe_load((root / "etc" / "super-admin.conf").read_text())
    server = conf["clusters"][0]["cluster"]["server"]
    user = conf["users"][0]["user"]
    with tempfile.TemporaryDirectory() as d:
        cert, key = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
        with open(cert, "wb") as f:
            f.write(base64.b64decode(user["client-certificate-data"]))
        with open(key, "wb") as f:
            f.write(base64.b64decode(user["client-key-data"]))
        ctx = ssl.create_default_context(cafile=str(root / "etc" / "pki" / "ca.crt"))
        ctx.load_cert_chain(cert, key)
        req = urllib.request.Request(server + path, data=None if body is None else json.dumps(body).encode(),
                                     method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json"})
        return json.loads(urllib.request.urlopen(req, context=ctx, timeout=10).read())


def super_admin_get(root, path):
    return super_admin_request(root, path)


def test_discovery_trusts_the_cluster_info_the_real_controller_managers_bootstrap_signer_signed(cluster):
    ansible, root = cluster
    token = ansible.module("bootstrap_token", kube_args(root, token=DISCOVERY_TOKEN, description="discovery"))
    assert not token.get("failed"), token
    # cluster-info without our own signatures: only kube-controller-manager's signer can sign for the new token
    boot = ansible.module("cluster_bootstrap", kube_args(root, cert_dir=str(root / "etc" / "pki"), node_name="cp-1",
                                                         advertise_address="127.0.0.1", sign_cluster_info="never"))
    assert not boot.get("failed"), boot.get("msg", boot)
    endpoint = token["join_command"].split()[2]
    node = root / "node"
    args = {"api_server_endpoint": endpoint, "token": DISCOVERY_TOKEN, "ca_cert_hashes": [token["ca_cert_hash"]],
            "timeout": 60, "kubeconfig_dir": str(node / "etc")}
    check = ansible.module("discovery", args, check=True)
    assert check["changed"] is True and not (node / "etc").exists(), check
    first = ansible.module("discovery", args)
    assert first["changed"] is True, first
    assert first["server"] == "https://%s" % endpoint and first["ca_cert_hash"] == token["ca_cert_hash"]
    assert first["ca_cert"] == (root / "etc" / "pki" / "ca.crt").read_text()
    # kubeadm join's read of kubeadm-config with the token (the kubeadm:nodes-kubeadm-config Role)
    cluster_config = yaml.safe_load(first["cluster_configuration"])
    assert cluster_config["kind"] == "ClusterConfiguration" and cluster_config["kubernetesVersion"], cluster_config
    assert cluster_config == yaml.safe_load(super_admin_get(
        root, "/api/v1/namespaces/kube-system/configmaps/kubeadm-config")["data"]["ClusterConfiguration"])
    assert (node / "etc" / "pki" / "ca.crt").read_text() == first["ca_cert"]
    conf = yaml.safe_load((node / "etc" / "bootstrap-kubelet.conf").read_text())
    assert conf["users"] == [{"name": "tls-bootstrap-token-user", "user": {"token": DISCOVERY_TOKEN}}]
    assert conf["current-context"] == "tls-bootstrap-token-user@kubernetes"
    assert oct((node / "etc" / "bootstrap-kubelet.conf").stat().st_mode & 0o777) == "0o600"
    assert DISCOVERY_TOKEN.split(".")[1] not in json.dumps(first)  # no_log: never in the result
    second = ansible.module("discovery", args)
    assert second["changed"] is False and {f["action"] for f in second["files"]} == {"kept"}, second
    for result, check_mode in ((check, True), (first, False), (second, False)):
        assert_result_matches_return("discovery", result, check_mode)

    cm = super_admin_get(root, "/api/v1/namespaces/kube-public/configmaps/cluster-info")
    signers = [m["manager"] for m in cm["metadata"]["managedFields"]
               if "f:jws-kubeconfig-kfdisc" in json.dumps(m.get("fieldsV1", {}))]
    assert signers == ["kube-controller-manager"], signers

    wrong = ansible.module("discovery", dict(args, token="kfdisc.ffffffffffffffff", kubeconfig_dir=str(root / "x")))
    assert wrong["failed"] is True and wrong["code"] == "discovery.bad_signature", wrong
    assert "ffffffffffffffff" not in wrong["msg"] and not (root / "x").exists()
    unknown = ansible.module("discovery", dict(args, token="zzzzzz.0123456789abcdef", timeout=6, kubeconfig_dir=None))
    assert unknown["failed"] is True and unknown["code"] == "discovery.no_signature", unknown
    assert 'token ID "zzzzzz"' in unknown["msg"] and "expired" in unknown["msg"]


def test_download_certs_opens_what_the_real_kubeadm_upload_certs_uploaded(cluster):
    ansible, root = cluster
    kubeadm = os.path.join(kube_binaries("kubeadm"), "kubeadm")
    pki = root / "etc" / "pki"
    key = os.urandom(32).hex()
    # admin.conf gets its rights (kubeadm:cluster-admins) from any kube module's first call
    assert not ansible.module("bootstrap_token", kube_args(root, state="list")).get("failed")
    port = int(yaml.safe_load((root / "etc" / "admin.conf").read_text())["clusters"][0]["cluster"]["server"].rsplit(":", 1)[1])
    config = root / "upload-certs.yaml"
    config.write_text(
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\ncertificateKey: %s\n"
        "localAPIEndpoint: {advertiseAddress: 192.0.2.10, bindPort: %d}\n"  # kubeadm refuses loopback; unused here
        "nodeRegistration: {name: cp-1, criSocket: unix:///var/run/containerd/containerd.sock}\n---\n"
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\ncertificatesDir: %s\n"
        "controlPlaneEndpoint: 127.0.0.1:%d\n" % (key, port, pki, port))
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    proc = subprocess.run([kubeadm, "init", "phase", "upload-certs", "--upload-certs", "--config", str(config),
                           "--kubeconfig", str(root / "etc" / "admin.conf")],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    node = root / "joined" / "pki"
    wrong = ansible.module("download_certs", kube_args(root, cert_dir=str(node), certificate_key=os.urandom(32).hex()))
    assert wrong["failed"] is True and wrong["code"] == "download_certs.wrong_key", wrong
    assert not node.exists()
    first = ansible.module("download_certs", kube_args(root, cert_dir=str(node), certificate_key=key))
    assert first["changed"] is True, first
    for name in ("ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.pub", "sa.key", "etcd/ca.crt",
                 "etcd/ca.key"):
        assert (node / name).read_bytes() == (pki / name).read_bytes(), name
        assert oct((node / name).stat().st_mode & 0o777) == ("0o600" if name.endswith(".key") else "0o644"), name
    second = ansible.module("download_certs", kube_args(root, cert_dir=str(node), certificate_key=key))
    assert second["changed"] is False, second
    for result in (first, second):
        assert_result_matches_return("download_certs", result, False)
        assert key not in json.dumps(result)


def register_node(root, name, taints):
    """Creates a Node as its kubelet would register it (with super-admin.conf's client certificate)."""
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "spec": {"taints": taints}}
    super_admin_request(root, "/api/v1/nodes", node)


def kubeadm_config(root, node, taints):
    return ("apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n"
            "localAPIEndpoint:\n  advertiseAddress: 127.0.0.1\nnodeRegistration:\n  name: %s\n  taints: %s\n---\n"
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\ncertificatesDir: %s\n"
            "dns:\n  disabled: true\n" % (node, taints, root / "etc" / "pki"))


def test_cluster_bootstrap_reads_taints_and_disabled_addons_from_the_kubeadm_config(cluster):
    ansible, root = cluster
    gpu = {"key": "example.com/gpu", "value": "true", "effect": "NoSchedule"}
    register_node(root, "cp-2", [gpu])
    taints = ("[{key: node-role.kubernetes.io/control-plane, effect: NoSchedule},"
              " {key: dedicated, value: infra, effect: PreferNoSchedule}]")
    args = kube_args(root, kubeadm_config=kubeadm_config(root, "cp-2", taints), sign_cluster_info="always")
    first = ansible.module("cluster_bootstrap", args)
    assert not first.get("failed"), first
    # kubeadm's order: the configured taints, then the Node's own (the API server's admission added
    # not-ready to the Node at registration, as it does for a kubelet's)
    assert first["node"]["taints"] == ["node-role.kubernetes.io/control-plane:NoSchedule",
                                       "dedicated=infra:PreferNoSchedule", "example.com/gpu=true:NoSchedule",
                                       "node.kubernetes.io/not-ready:NoSchedule"]
    assert first["skipped_phases"] == ["addon/coredns"]
    applied = {(o["kind"], o["name"]): o["action"] for o in first["objects"]}
    assert ("DaemonSet", "kube-proxy") in applied and ("Deployment", "coredns") not in applied
    assert applied[("Node", "cp-2")] == "updated"
    assert applied[("ConfigMap", "kubeadm-config")] == "updated"  # now with dns.disabled
    second = ansible.module("cluster_bootstrap", args)
    assert second["changed"] is False, [o for o in second["objects"] if o["action"] != "unchanged"]

    register_node(root, "cp-3", [gpu])
    none = ansible.module("cluster_bootstrap", kube_args(root, kubeadm_config=kubeadm_config(root, "cp-3", "[]"),
                                                         sign_cluster_info="always"))
    assert not none.get("failed"), none
    # `taints: []`: none added, the Node's own kept
    assert none["node"]["taints"] == ["example.com/gpu=true:NoSchedule", "node.kubernetes.io/not-ready:NoSchedule"]


def super_admin_call(root, method, path, body=None, headers=None, content_type="application/json"):
    """One API call with super-admin.conf's client certificate (TLS verified by our CA); headers may impersonate."""
    conf = yaml.safe_load((root / "etc" / "super-admin.conf").read_text())
    server = conf["clusters"][0]["cluster"]["server"]
    user = conf["users"][0]["user"]
    with tempfile.TemporaryDirectory() as d:
        cert, key = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
        with open(cert, "wb") as f:
            f.write(base64.b64decode(user["client-certificate-data"]))
        with open(key, "wb") as f:
            f.write(base64.b64decode(user["client-key-data"]))
        ctx = ssl.create_default_context(cafile=str(root / "etc" / "pki" / "ca.crt"))
        ctx.load_cert_chain(cert, key)
        h = dict(headers or {})
        if body is not None:
            h["Content-Type"] = content_type
        req = urllib.request.Request(server + path, data=None if body is None else json.dumps(body).encode(),
                                     method=method, headers=h)
        return json.loads(urllib.request.urlopen(req, context=ctx, timeout=10).read())


def csr_pem(node, dns=(), ips=(), rsa=False):
    """A certificate request as the kubelet makes it for its serving certificate."""
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa as rsa_keys
    from cryptography.x509.oid import NameOID
    key = rsa_keys.generate_private_key(65537, 2048) if rsa else ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName(n) for n in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    req = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:nodes"),
                                    x509.NameAttribute(NameOID.COMMON_NAME, "system:node:%s" % node)]))
           .add_extension(x509.SubjectAlternativeName(names), critical=False)
           .sign(key, hashes.SHA256()))
    return req.public_bytes(serialization.Encoding.PEM)


def create_csr_as_node(root, name, node, pem, usages, signer="kubernetes.io/kubelet-serving"):
    """Creates a CSR as the node's kubelet would: impersonating system:node:<node> in group system:nodes."""
    body = {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": {"name": name},
            "spec": {"request": base64.b64encode(pem).decode(), "signerName": signer, "usages": usages}}
    return super_admin_call(root, "POST", "/apis/certificates.k8s.io/v1/certificatesigningrequests", body,
                            {"Impersonate-User": "system:node:%s" % node, "Impersonate-Group": "system:nodes"})


def csr_conditions(root, name):
    csr = super_admin_call(root, "GET", "/apis/certificates.k8s.io/v1/certificatesigningrequests/" + name)
    return {c["type"]: c for c in csr.get("status", {}).get("conditions", [])}, csr


def test_csr_approve_approves_a_nodes_own_serving_csr_and_leaves_the_rest(cluster):
    ansible, root = cluster
    node = "csr-node-1"
    super_admin_call(root, "POST", "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node}})
    super_admin_call(root, "PATCH", "/api/v1/nodes/%s/status" % node,
                     {"status": {"addresses": [{"type": "InternalIP", "address": "10.20.0.7"},
                                               {"type": "Hostname", "address": node},
                                               {"type": "InternalDNS", "address": node + ".cluster.example"}]}},
                     content_type="application/merge-patch+json")
    serving = ["digital signature", "server auth"]
    create_csr_as_node(root, "kf-good", node, csr_pem(node, dns=[node, node + ".cluster.example"], ips=["10.20.0.7"]),
                       serving)
    create_csr_as_node(root, "kf-rsa", node, csr_pem(node, dns=[node], rsa=True),
                       ["digital signature", "key encipherment", "server auth"])
    create_csr_as_node(root, "kf-foreign-san", node, csr_pem(node, dns=[node, "kubernetes.default.svc"]), serving)
    create_csr_as_node(root, "kf-other-node", "csr-node-2", csr_pem(node, dns=[node]), serving)
    create_csr_as_node(root, "kf-client", node, csr_pem(node, dns=[node]), ["digital signature", "client auth"],
                       signer="kubernetes.io/kube-apiserver-client-kubelet")

    check = ansible.module("csr_approve", kube_args(root), check=True)
    assert check["changed"] is True and not check.get("failed"), check.get("msg", check)
    decisions = {c["name"]: c for c in check["csrs"]}
    assert decisions["kf-good"]["decision"] == "approved" and decisions["kf-rsa"]["decision"] == "approved", decisions
    assert "kf-client" not in decisions and check["other_signers"] >= 1
    assert csr_conditions(root, "kf-good")[0] == {}, "check mode approved something"

    first = ansible.module("csr_approve", kube_args(root))
    assert first["changed"] is True and not first.get("failed"), first
    decisions = {c["name"]: c for c in first["csrs"]}
    assert decisions["kf-good"]["decision"] == "approved" and decisions["kf-good"]["node"] == node
    assert decisions["kf-rsa"]["decision"] == "approved"
    assert decisions["kf-foreign-san"]["decision"] == "pending"
    assert "DNS:kubernetes.default.svc" in decisions["kf-foreign-san"]["reason"], decisions["kf-foreign-san"]
    assert decisions["kf-other-node"]["decision"] == "pending"
    assert "CN=system:node:csr-node-2" in decisions["kf-other-node"]["reason"], decisions["kf-other-node"]
    approved = csr_conditions(root, "kf-good")[0]
    assert approved["Approved"]["reason"] == "KubeforgeApproved" and approved["Approved"]["status"] == "True"
    assert csr_conditions(root, "kf-foreign-san")[0] == {}
    assert csr_conditions(root, "kf-client")[0] == {}, "another signer's CSR was touched"

    second = ansible.module("csr_approve", kube_args(root))
    assert second["changed"] is False and second["approved"] == 0 and second["already_decided"] >= 2, second

    denied = ansible.module("csr_approve", kube_args(root, deny_invalid=True))
    assert denied["changed"] is True and denied["denied"] == 2, denied
    conditions = csr_conditions(root, "kf-foreign-san")[0]
    assert conditions["Denied"]["reason"] == "KubeforgeDenied"
    assert "kubernetes.default.svc" in conditions["Denied"]["message"]
    assert csr_conditions(root, "kf-client")[0] == {}
    again = ansible.module("csr_approve", kube_args(root, deny_invalid=True))
    assert again["changed"] is False and again["csrs"] == [], again
    for result, check_mode in ((check, True), (first, False), (second, False), (denied, False), (again, False)):
        assert_result_matches_return("csr_approve", result, check_mode)

    # the real controller-manager's kubelet-serving signer issues the approved one from our CA
    from cryptography import x509
    deadline = time.time() + 60
    while True:
        csr = csr_conditions(root, "kf-good")[1]
        if csr.get("status", {}).get("certificate"):
            break
        assert time.time() < deadline, csr.get("status")
        time.sleep(1)
    cert = x509.load_pem_x509_certificate(base64.b64decode(csr["status"]["certificate"]))
    ca = x509.load_pem_x509_certificate((root / "etc" / "pki" / "ca.crt").read_bytes())
    assert cert.issuer == ca.subject
    cert.verify_directly_issued_by(ca)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(sans.get_values_for_type(x509.DNSName)) == {node, node + ".cluster.example"}
    assert [str(i) for i in sans.get_values_for_type(x509.IPAddress)] == ["10.20.0.7"]


def who_am_i(root, kubeconfig):
    """SelfSubjectReview with a kubeconfig whose user is a client-certificate file (as the kubelet's kubelet.conf)."""
    conf = yaml.safe_load(kubeconfig.read_text())
    cluster, user = conf["clusters"][0]["cluster"], conf["users"][0]["user"]
    ctx = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    ctx.load_cert_chain(user["client-certificate"], user["client-key"])
    body = json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}).encode()
    req = urllib.request.Request(cluster["server"] + "/apis/authentication.k8s.io/v1/selfsubjectreviews", data=body,
                                 method="POST", headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req, context=ctx, timeout=10).read())["status"]["userInfo"]


def test_tls_bootstrap_gets_a_node_certificate_the_real_controller_manager_approves_and_then_keeps_it(cluster):
    ansible, root = cluster
    boot = ansible.module("cluster_bootstrap", kube_args(root, cert_dir=str(root / "etc" / "pki"), node_name="cp-1",
                                                         advertise_address="127.0.0.1"))
    assert not boot.get("failed"), boot.get("msg", boot)
    token = ansible.module("bootstrap_token", kube_args(root, token="kfboot.0123456789abcdef", description="tls"))
    node = root / "tlsnode"
    disc = ansible.module("discovery", {"api_server_endpoint": token["join_command"].split()[2],
                                        "token": "kfboot.0123456789abcdef", "ca_cert_hashes": [token["ca_cert_hash"]],
                                        "kubeconfig_dir": str(node / "etc")})
    assert not disc.get("failed"), disc
    args = {"bootstrap_kubeconfig": str(node / "etc" / "bootstrap-kubelet.conf"),
            "kubeconfig": str(node / "etc" / "kubelet.conf"), "cert_dir": str(node / "pki"), "node_name": "Worker-7",
            "timeout": 30}

    check = ansible.module("tls_bootstrap", args, check=True)
    assert check["changed"] is True and check["csr"]["action"] == "would_create", check
    assert not (node / "pki").exists() and not (node / "etc" / "kubelet.conf").exists()

    first = ansible.module("tls_bootstrap", args)
    assert first["changed"] is True and not first.get("failed"), first
    assert first["node_name"] == "worker-7" and first["csr"]["approval"] == "AutoApproved", first
    assert first["csr"]["name"].startswith("node-csr-")
    current = node / "pki" / "kubelet-client-current.pem"
    assert os.path.islink(current) and os.readlink(current) == first["certificate"]["file"]
    assert oct(os.stat(first["certificate"]["file"]).st_mode & 0o777) == "0o600"
    assert oct((node / "etc" / "kubelet.conf").stat().st_mode & 0o777) == "0o600"
    assert not (node / "pki" / "kubelet-client.key.tmp").exists()
    me = who_am_i(root, node / "etc" / "kubelet.conf")
    assert (me["username"], me["groups"]) == ("system:node:worker-7", ["system:nodes", "system:authenticated"]), me
    csr = super_admin_call(root, "GET", "/apis/certificates.k8s.io/v1/certificatesigningrequests/" + first["csr"]["name"])
    assert csr["spec"]["usages"] == ["digital signature", "client auth"]
    assert csr["spec"]["username"] == "system:bootstrap:kfboot" and csr["spec"]["signerName"] == \
        "kubernetes.io/kube-apiserver-client-kubelet"
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
    leaf = x509.load_pem_x509_certificate(open(first["certificate"]["file"], "rb").read())
    assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey) and leaf.public_key().curve.name == "secp256r1"

    mtime = os.stat(first["certificate"]["file"]).st_mtime_ns
    second = ansible.module("tls_bootstrap", args)
    assert second["changed"] is False and second["csr"] is None, second
    assert os.stat(first["certificate"]["file"]).st_mtime_ns == mtime
    (node / "etc" / "kubelet.conf").unlink()
    healed = ansible.module("tls_bootstrap", dict(args, bootstrap_kubeconfig=str(node / "etc" / "bootstrap-kubelet.conf")))
    assert healed["changed"] is True and healed["csr"] is None, healed  # kubelet.conf rewritten, no new CSR
    for result, check_mode in ((check, True), (first, False), (second, False), (healed, False)):
        assert_result_matches_return("tls_bootstrap", result, check_mode)

    conf = (node / "etc" / "bootstrap-kubelet.conf").read_text()
    wrong = node / "wrong.conf"
    wrong.write_text(conf.replace("kfboot.0123456789abcdef", "kfboot.ffffffffffffffff"))
    rejected = ansible.module("tls_bootstrap", dict(args, bootstrap_kubeconfig=str(wrong), cert_dir=str(node / "p2"),
                                                    kubeconfig=str(node / "k2.conf")))
    assert rejected["failed"] is True and rejected["code"] == "tls_bootstrap.token_rejected", rejected
    assert "401" in rejected["msg"] and "ffffffffffffffff" not in json.dumps(rejected)
    assert not (node / "k2.conf").exists()


def test_tls_bootstrap_names_a_denied_csr(cluster):
    """A token whose group may create CSRs but is not auto-approved; an administrator denies the request."""
    import threading
    ansible, root = cluster
    group = "system:bootstrappers:kf-manual"
    token = ansible.module("bootstrap_token", kube_args(root, token="kfdeny.0123456789abcdef", groups=[group]))
    assert not token.get("failed"), token
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": "kf-manual-bootstrap"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:node-bootstrapper"},
               "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}]}
    super_admin_call(root, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", binding)
    node = root / "denied"
    disc = ansible.module("discovery", {"api_server_endpoint": token["join_command"].split()[2],
                                        "token": "kfdeny.0123456789abcdef", "ca_cert_hashes": [token["ca_cert_hash"]],
                                        "kubeconfig_dir": str(node / "etc")})
    assert not disc.get("failed"), disc
    done = {}
    run = threading.Thread(target=lambda: done.update(ansible.module("tls_bootstrap", {
        "bootstrap_kubeconfig": str(node / "etc" / "bootstrap-kubelet.conf"), "kubeconfig": str(node / "etc" / "kubelet.conf"),
        "cert_dir": str(node / "pki"), "node_name": "denied-1", "timeout": 60})))
    run.start()
    deadline = time.time() + 60
    while time.time() < deadline:
        csrs = super_admin_call(root, "GET", "/apis/certificates.k8s.io/v1/certificatesigningrequests")["items"]
        mine = [c for c in csrs if c["spec"]["username"] == "system:bootstrap:kfdeny"]
        if mine:
            break
        time.sleep(0.3)
    csr = mine[0]
    csr.setdefault("status", {})["conditions"] = [{"type": "Denied", "status": "True", "reason": "NotThisNode",
                                                  "message": "no"}]
    super_admin_call(root, "PUT", "/apis/certificates.k8s.io/v1/certificatesigningrequests/%s/approval"
                     % csr["metadata"]["name"], csr)
    run.join(90)
    assert done["failed"] is True and done["code"] == "tls_bootstrap.csr_denied", done
    assert "NotThisNode" in done["msg"] and not (node / "etc" / "kubelet.conf").exists()
    assert not os.path.exists(node / "pki" / "kubelet-client-current.pem")


def run_kubelet_until_it_stops(argv, log_path, env, seconds=90):
    """Runs the kubelet until it exits (it does without a container runtime); returns (seconds, its log)."""
    t0 = time.time()
    with open(log_path, "wb") as log:
        kubelet = subprocess.Popen(argv, stdout=log, stderr=log, env=env, start_new_session=True)
    try:
        kubelet.wait(seconds)
    except subprocess.TimeoutExpired:
        kubelet.kill()
        kubelet.wait()
        raise AssertionError("the kubelet did not stop within %d s: %s" % (seconds, log_path.read_text()[-2000:]))
    return time.time() - t0, log_path.read_text()


def test_the_real_kubelet_reads_our_files_and_takes_the_certificate_our_module_bootstrapped(cluster):
    """kubeadm join's last step with our artifacts: the kubelet v1.34.10 started as kubeadm's systemd drop-in starts it
    (--bootstrap-kubeconfig, --kubeconfig, --config, $KUBELET_KUBEADM_ARGS) with discovery's bootstrap-kubelet.conf and
    kubelet_config's config.yaml and kubeadm-flags.env, on a host without a container runtime. Without one the kubelet
    stops at the CRI check, before its background client-certificate bootstrap (rotateCertificates: true) sends a CSR;
    it has written kubelet.conf by then, byte for byte what tls_bootstrap writes; tls_bootstrap then bootstraps into the
    kubelet's own certificate store, and the kubelet started again finds that certificate valid."""
    kubelet_bin = os.path.join(kube_binaries("kubelet", root=True), "kubelet")
    ansible, root = cluster
    assert not ansible.module("cluster_bootstrap", kube_args(root, cert_dir=str(root / "etc" / "pki"), node_name="cp-1",
                                                             advertise_address="127.0.0.1")).get("failed")
    token = ansible.module("bootstrap_token", kube_args(root, token="kfkblt.0123456789abcdef", description="kubelet"))
    node = root / "kubelet-node"
    etc, var = node / "etc", node / "var" / "lib" / "kubelet"
    assert not ansible.module("discovery", {"api_server_endpoint": token["join_command"].split()[2],
                                            "token": "kfkblt.0123456789abcdef", "ca_cert_hashes": [token["ca_cert_hash"]],
                                            "kubeconfig_dir": str(etc)}).get("failed")
    kcfg = ansible.module("kubelet_config", {"cert_dir": str(etc / "pki"), "kubeconfig_dir": str(etc),
                                             "kubelet_config_path": str(var / "config.yaml"),
                                             "advertise_address": "127.0.0.1", "node_name": "kf-kubelet-1"})
    assert not kcfg.get("failed"), kcfg
    flags = next(shlex_split(line.split("=", 1)[1])[0].split() for line in (var / "kubeadm-flags.env").read_text().splitlines()
                 if line.startswith("KUBELET_KUBEADM_ARGS="))
    # machine settings only (no systemd, cgroup v1, swap, no CAP_SYS_RESOURCE, ports other tests may hold, no
    # static pods from the host's /etc/kubernetes/manifests, no container runtime; --root-dir and --cert-dir: the
    # test's folder instead of /var/lib/kubelet); the files we wrote are untouched
    dropin = node / "kubelet.conf.d"
    dropin.mkdir()
    (dropin / "10-machine.conf").write_text(json.dumps({
        "apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration", "cgroupDriver": "cgroupfs",
        "failCgroupV1": False, "failSwapOn": False, "oomScoreAdj": 0, "port": free_port(), "healthzPort": free_port(),
        "readOnlyPort": 0, "staticPodPath": str(node / "manifests"),
        "containerRuntimeEndpoint": "unix://%s" % (node / "no-runtime.sock")}))
    argv = [kubelet_bin, "--bootstrap-kubeconfig=%s" % (etc / "bootstrap-kubelet.conf"),
            "--kubeconfig=%s" % (etc / "kubelet.conf"), "--config=%s" % (var / "config.yaml"), *flags,
            "--root-dir=%s" % var, "--cert-dir=%s" % (var / "pki"), "--config-dir=%s" % dropin, "--v=2"]
    if not any(f.startswith("--hostname-override=") for f in flags):
        argv.append("--hostname-override=kf-kubelet-1")
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}

    took, log = run_kubelet_until_it_stops(argv, node / "kubelet-1.log", env)
    assert "validate CRI v1 runtime API" in log, log[-3000:]  # the first thing it could not do: not our files
    assert "Use the bootstrap credentials to request a cert" in log, log[-3000:]
    assert (etc / "kubelet.conf").exists() and not (var / "pki" / "kubelet-client-current.pem").exists()
    print("kubelet without a runtime: stopped at the CRI check after %.1f s" % took)
    written_by_kubelet = (etc / "kubelet.conf").read_bytes()

    def token_csrs():
        return {c["metadata"]["name"] for c in super_admin_call(
            root, "GET", "/apis/certificates.k8s.io/v1/certificatesigningrequests")["items"]
            if c["spec"]["username"] == "system:bootstrap:kfkblt"}
    # the first kubelet bootstraps in the background and may have sent its CSR before it stopped
    before_ours = token_csrs()

    ours = ansible.module("tls_bootstrap", {"bootstrap_kubeconfig": str(etc / "bootstrap-kubelet.conf"),
                                            "kubeconfig": str(etc / "kubelet.conf"), "cert_dir": str(var / "pki"),
                                            "node_name": "kf-kubelet-1", "timeout": 30})
    assert ours["changed"] is True and ours["csr"]["approval"] == "AutoApproved", ours
    assert {f["name"]: f["action"] for f in ours["files"]}["kubelet.conf"] == "kept", ours["files"]
    assert (etc / "kubelet.conf").read_bytes() == written_by_kubelet
    me = who_am_i(root, etc / "kubelet.conf")
    assert (me["username"], me["groups"]) == ("system:node:kf-kubelet-1", ["system:nodes", "system:authenticated"]), me

    took, log = run_kubelet_until_it_stops(argv, node / "kubelet-2.log", env)
    assert "Current kubeconfig file contents are still valid, no bootstrap necessary" in log, log[-3000:]
    assert "validate CRI v1 runtime API" in log, log[-3000:]
    assert os.readlink(var / "pki" / "kubelet-client-current.pem") == ours["certificate"]["file"]
    # once our module had bootstrapped, the kubelet sent no CSR of its own
    assert token_csrs() == before_ours | {ours["csr"]["name"]}, (token_csrs(), before_ours)


def test_join_yml_joins_two_workers_from_the_first_control_planes_facts_and_a_second_run_changes_nothing(cluster, jar):
    """playbooks/join.yml (the end of site.yml) on an inventory of three hosts: the control plane's token, API server
    and CA pin reach each worker only through hostvars; every worker's kubelet.conf then authenticates as its node."""
    ansible, root = cluster
    boot = ansible.module("cluster_bootstrap", kube_args(root, cert_dir=str(root / "etc" / "pki"), node_name="cp-1",
                                                         advertise_address="127.0.0.1"))
    assert not boot.get("failed"), boot.get("msg", boot)
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    workers = {}
    for name in ("kf-join-a", "kf-join-b"):
        node = root / "join" / name
        workers[name] = dict(local, kubeforge_kubeconfig_dir=str(node / "etc"),
                             kubeforge_kubelet_config_path=str(node / "var" / "lib" / "kubelet" / "config.yaml"),
                             kubeforge_node_name=name, kubeforge_join_tls_bootstrap_timeout=60)
    inventory = root / "join-inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {
        "vars": {"kubeforge_cluster": True, "kubeforge_worker_jar": str(jar), "kubeforge_preflight_ignore": ["all"]},
        "children": {"control_plane": {"hosts": {"kf-join-cp": dict(local, kubeforge_kubeconfig_dir=str(root / "etc"))}},
                     "workers": {"hosts": workers}}}}))
    book = Path(__file__).resolve().parents[2] / "playbooks" / "join.yml"

    check = ansible.playbook(book, "-i", str(inventory), check=True)
    assert ansible.last.returncode == 0, ansible.last.stdout[-4000:]
    assert not (root / "join").exists()
    assert "check mode: the join token would be created on kf-join-cp" in json.dumps(check)

    first = ansible.playbook(book, "-i", str(inventory))
    assert ansible.last.returncode == 0, ansible.last.stdout[-4000:]
    assert {h: s["failures"] for h, s in first["stats"].items()} == {"kf-join-cp": 0, "kf-join-a": 0, "kf-join-b": 0}
    assert first["stats"]["kf-join-a"]["changed"] > 0 and first["stats"]["kf-join-b"]["changed"] > 0
    token = yaml.safe_load((root / "join" / "kf-join-a" / "etc" / "bootstrap-kubelet.conf").read_text())
    token = token["users"][0]["user"]["token"]
    assert token.split(".")[1] not in ansible.last.stdout  # no_log: the token is never printed
    for name in workers:
        node = root / "join" / name
        me = who_am_i(root, node / "etc" / "kubelet.conf")
        assert (me["username"], me["groups"]) == ("system:node:" + name, ["system:nodes", "system:authenticated"]), me
        assert (node / "etc" / "pki" / "ca.crt").read_bytes() == (root / "etc" / "pki" / "ca.crt").read_bytes()
        for f in ("config.yaml", "kubeadm-flags.env", "pki/kubelet-client-current.pem"):
            assert (node / "var" / "lib" / "kubelet" / f).exists(), f
        kubelet = yaml.safe_load((node / "var" / "lib" / "kubelet" / "config.yaml").read_text())
        assert kubelet["clusterDNS"] == ["10.96.0.10"] and kubelet["clusterDomain"] == "cluster.local", kubelet

    for check_mode in (True, False):  # check mode now runs discovery and TLS bootstrap against the real token
        second = ansible.playbook(book, "-i", str(inventory), check=check_mode)
        assert ansible.last.returncode == 0, ansible.last.stdout[-4000:]
        assert {h: (s["changed"], s["failures"]) for h, s in second["stats"].items()} == \
            {"kf-join-cp": (0, 0), "kf-join-a": (0, 0), "kf-join-b": (0, 0)}, ansible.last.stdout[-4000:]


def etcd_pod(root, node, annotations):
    """An etcd Pod as the kubelet mirrors it (a mirror Pod needs no service account), labelled as kubeadm's."""
    return super_admin_call(root, "POST", "/api/v1/namespaces/kube-system/pods", {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "etcd-" + node, "namespace": "kube-system",
                     "labels": {"component": "etcd", "tier": "control-plane"},
                     "annotations": dict(annotations, **{"kubernetes.io/config.mirror": "test"})},
        "spec": {"nodeName": node, "containers": [{"name": "etcd", "image": "registry.k8s.io/etcd:3.6.5-0"}]}})


def test_etcd_join_without_endpoints_reads_them_from_the_etcd_pods_annotation_as_kubeadm_does(cluster):
    ansible, root = cluster
    manifests = root / "joining-manifests"
    args = {"cert_dir": str(root / "etc" / "pki"), "kubeconfig_dir": str(root / "etc"), "manifest_dir": str(manifests),
            "node_name": "cp-9", "advertise_address": "127.0.0.9", "etcd_join": {"timeout": 2}}
    # admin.conf's rights come from init's kubeadm:cluster-admins binding (made by the first cluster call)
    assert not ansible.module("bootstrap_token", kube_args(root, state="list")).get("failed")

    none = ansible.module("static_pods", args)
    assert none["failed"] is True and none["code"] == "manifests.etcd_endpoints_unknown", none
    assert none["field"] == "etcd_join.endpoints" and "no Pod in kube-system has the labels" in none["msg"], none

    etcd_pod(root, "cp-8", {})
    unannotated = ansible.module("static_pods", args)
    assert unannotated["code"] == "manifests.etcd_endpoints_unknown", unannotated
    assert "the etcd Pods etcd-cp-8 have no kubeadm.kubernetes.io/etcd.advertise-client-urls" in unannotated["msg"]

    closed = "https://127.0.0.1:%d" % free_port()  # the annotation names a member that does not answer
    super_admin_call(root, "DELETE", "/api/v1/namespaces/kube-system/pods/etcd-cp-8?gracePeriodSeconds=0")
    etcd_pod(root, "cp-1", {"kubeadm.kubernetes.io/etcd.advertise-client-urls": closed})
    tried = ansible.module("static_pods", args)
    assert tried["failed"] is True and tried["code"] == "etcd.unavailable", tried
    assert closed in tried["msg"], tried["msg"]
    assert "Traceback" not in json.dumps(tried) and not manifests.exists()


def test_tls_bootstrap_renews_a_kubelet_certificate_of_the_old_ca_from_the_new_signer_with_the_nodes_own_credentials(
        rotating_cluster):
    ansible, root = rotating_cluster
    boot = ansible.module("cluster_bootstrap", kube_args(root, cert_dir=str(root / "etc" / "pki"), node_name="cp-1",
                                                         advertise_address="127.0.0.1"))
    assert not boot.get("failed"), boot.get("msg", boot)  # kubeadm's kubeadm:node-autoapprove-certificate-rotation
    pki, node = root / "etc" / "pki", root / "rotnode"
    certs, etc = node / "pki", node / "etc"
    certs.mkdir(parents=True)
    etc.mkdir()
    # the node as a year of the old CA left it: its client certificate signed by the old CA, kubelet.conf on the link
    key, csr, crt = node / "k.pem", node / "r.csr", node / "c.pem"
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key)
    openssl("req", "-new", "-key", key, "-subj", "/O=system:nodes/CN=system:node:worker-9", "-out", csr)
    (node / "ext").write_text("keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n")
    openssl("x509", "-req", "-in", csr, "-CA", pki / "ca.crt", "-CAkey", pki / "ca.key", "-CAcreateserial", "-days", "1",
            "-extfile", node / "ext", "-out", crt)
    old_file = certs / "kubelet-client-2026-01-01-00-00-00.pem"
    old_file.write_text(crt.read_text() + key.read_text())
    os.chmod(old_file, 0o600)
    os.symlink(old_file, certs / "kubelet-client-current.pem")
    server = yaml.safe_load((root / "etc" / "super-admin.conf").read_text())["clusters"][0]["cluster"]["server"]
    current = str(certs / "kubelet-client-current.pem")
    (etc / "kubelet.conf").write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "default-context",
        "clusters": [{"name": "default-cluster", "cluster": {
            "server": server, "certificate-authority-data": base64.b64encode((pki / "ca.crt").read_bytes()).decode()}}],
        "contexts": [{"name": "default-context",
                      "context": {"cluster": "default-cluster", "namespace": "default", "user": "default-auth"}}],
        "users": [{"name": "default-auth", "user": {"client-certificate": current, "client-key": current}}]}))
    os.chmod(etc / "kubelet.conf", 0o600)
    conf = (etc / "kubelet.conf").read_bytes()
    new_ca = (root / "new-ca" / "kf-new-ca.crt").read_text()
    args = {"kubeconfig": str(etc / "kubelet.conf"), "cert_dir": str(certs), "node_name": "worker-9", "timeout": 30,
            "bootstrap_kubeconfig": str(etc / "no-bootstrap-kubelet.conf")}  # a joined node has none left
    listing = sorted(os.listdir(certs))

    kept = ansible.module("tls_bootstrap", dict(args, renew_unless_signed_by=(pki / "ca.crt").read_text()))
    assert kept["changed"] is False and kept["csr"] is None, kept  # signed by a CA of the list: nothing to do

    check = ansible.module("tls_bootstrap", dict(args, renew_unless_signed_by=new_ca), check=True)
    assert check["changed"] is True and check["csr"]["action"] == "would_create", check
    assert "not by a CA of renew_unless_signed_by" in check["csr"]["reason"], check
    assert sorted(os.listdir(certs)) == listing

    stranger = make_ca(node / "stranger", "kf-stranger-ca")[0].read_text()
    wrong = ansible.module("tls_bootstrap", dict(args, renew_unless_signed_by=stranger))
    assert wrong["failed"] is True and wrong["code"] == "tls_bootstrap.wrong_signer", wrong
    assert "kf-new-ca" in wrong["msg"] and "Nothing was written" in wrong["msg"], wrong["msg"]
    assert sorted(os.listdir(certs)) == listing and os.readlink(certs / "kubelet-client-current.pem") == str(old_file)

    renewed = ansible.module("tls_bootstrap", dict(args, renew_unless_signed_by=new_ca))
    assert renewed["changed"] is True and renewed["csr"]["approval"] == "AutoApproved", renewed
    new_file = renewed["certificate"]["file"]
    assert os.readlink(certs / "kubelet-client-current.pem") == new_file != str(old_file)
    assert oct(os.stat(new_file).st_mode & 0o777) == "0o600" and old_file.exists()
    v = subprocess.run(["openssl", "verify", "-CAfile", str(root / "new-ca" / "kf-new-ca.crt"), new_file],
                       capture_output=True, text=True, check=False)
    assert v.returncode == 0, v.stdout + v.stderr
    assert (etc / "kubelet.conf").read_bytes() == conf, "kubelet.conf must be kept: it names the link"
    assert not (certs / "kubelet-client.key.tmp").exists()
    sent = super_admin_call(root, "GET", "/apis/certificates.k8s.io/v1/certificatesigningrequests/" + renewed["csr"]["name"])
    assert sent["spec"]["username"] == "system:node:worker-9", sent["spec"]  # the node's own credentials, no token
    me = who_am_i(root, etc / "kubelet.conf")
    assert (me["username"], me["groups"]) == ("system:node:worker-9", ["system:nodes", "system:authenticated"]), me

    again = ansible.module("tls_bootstrap", dict(args, renew_unless_signed_by=new_ca))
    assert again["changed"] is False and again["csr"] is None, again
    for result, check_mode in ((kept, False), (check, True), (renewed, False), (again, False)):
        assert_result_matches_return("tls_bootstrap", result, check_mode)
