"""kubeforge.cluster.cert_info: the kubeadm certs check-expiration table, the kubelet and the trust bundles."""

import datetime
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def expired_certificate(ca_base):
    """A client certificate valid for one day in 2020, issued by the CA at ``<ca_base>.crt/.key``."""
    ca = x509.load_pem_x509_certificate((ca_base.parent / (ca_base.name + ".crt")).read_bytes())
    ca_key = serialization.load_pem_private_key((ca_base.parent / (ca_base.name + ".key")).read_bytes(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "front-proxy-client")]))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc))
            .not_valid_after(datetime.datetime(2020, 1, 2, tzinfo=datetime.timezone.utc))
            .sign(ca_key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def cert_dir(ansible, tmp_path):
    cert_dir = tmp_path / "etc" / "pki"
    result = ansible.module("pki", {"cert_dir": str(cert_dir), "advertise_address": "192.0.2.10"})
    assert not result.get("failed"), result
    return cert_dir


def test_cert_info_lists_every_certificate_and_ca_with_its_expiry(ansible, cert_dir):
    result = ansible.module("cert_info", {"cert_dir": str(cert_dir), "kubeconfig_dir": str(cert_dir.parent)})
    assert result["changed"] is False
    cas = {c["name"]: c for c in result["certificate_authorities"]}
    assert set(cas) == {"ca", "front-proxy-ca", "etcd-ca"}
    certs = {c["name"]: c for c in result["certificates"]}
    for name in ("apiserver", "apiserver-kubelet-client", "front-proxy-client", "etcd-server", "etcd-peer",
                 "etcd-healthcheck-client", "apiserver-etcd-client"):
        entry = certs[name]
        assert entry["missing"] is False, entry
        assert entry["externally_managed"] is False
        assert 364 * 86400 <= entry["residual_seconds"] <= 365 * 86400, entry
        assert entry["expires"].endswith("Z")
    assert certs["apiserver"]["certificate_authority"] == "ca"
    assert certs["front-proxy-client"]["certificate_authority"] == "front-proxy-ca"
    assert certs["etcd-server"]["certificate_authority"] == "etcd-ca"
    assert cas["ca"]["residual_seconds"] > 9 * 365 * 86400


def test_cert_info_in_check_mode_returns_the_same_table(ansible, cert_dir):
    args = {"cert_dir": str(cert_dir), "kubeconfig_dir": str(cert_dir.parent)}
    normal = ansible.module("cert_info", args)
    checked = ansible.module("cert_info", args, check=True)
    assert checked["changed"] is False
    assert [c["name"] for c in checked["certificates"]] == [c["name"] for c in normal["certificates"]]


def test_cert_info_on_an_empty_folder_marks_everything_missing(ansible, tmp_path):
    result = ansible.module("cert_info", {"cert_dir": str(tmp_path / "none"), "kubeconfig_dir": str(tmp_path)})
    assert not result.get("failed"), result
    assert all(c["missing"] for c in result["certificate_authorities"])


def test_every_item_says_who_issued_it_and_whether_it_verifies_against_the_ca_on_disk(ansible, cert_dir):
    result = ansible.module("cert_info", {"cert_dir": str(cert_dir), "kubeconfig_dir": str(cert_dir.parent)})
    certs = {c["name"]: c for c in result["certificates"]}
    assert certs["apiserver"]["issuer"] == "CN=kubernetes"
    assert certs["apiserver"]["subject"] == "CN=kube-apiserver"
    assert certs["apiserver"]["verified"] is True
    assert certs["apiserver"]["verification"] == "signed by ca (%s)" % (cert_dir / "ca.crt")
    assert certs["etcd-peer"]["verified"] is True
    assert {c["name"]: c["verification"] for c in result["certificate_authorities"]}["ca"] == "self-signed"
    assert result["warn_before"] == "720h0m0s"
    assert result["expiring"] == []


def test_short_lived_and_expired_certificates_are_listed_as_expiring(ansible, tmp_path):
    cert_dir = tmp_path / "short" / "pki"
    made = ansible.module("pki", {"cert_dir": str(cert_dir), "advertise_address": "192.0.2.10",
                                  "certificate_validity": "2h"})
    assert not made.get("failed"), made
    args = {"cert_dir": str(cert_dir), "kubeconfig_dir": str(cert_dir.parent)}

    result = ansible.module("cert_info", dict(args, warn_before="3h"))

    names = sorted(item["name"] for item in result["expiring"])
    assert names == ["apiserver", "apiserver-etcd-client", "apiserver-kubelet-client", "etcd-healthcheck-client",
                     "etcd-peer", "etcd-server", "front-proxy-client"]
    assert all(item["group"] == "certificates" and 0 < item["residual_seconds"] <= 7200 for item in result["expiring"])
    assert ansible.module("cert_info", dict(args, warn_before="1h"))["expiring"] == []

    # an expired certificate in the place of front-proxy-client.crt, signed by the tree's front-proxy CA
    (cert_dir / "front-proxy-client.crt").write_bytes(expired_certificate(cert_dir / "front-proxy-ca"))
    expired = ansible.module("cert_info", dict(args, warn_before="0"))
    assert [item["name"] for item in expired["expiring"]] == ["front-proxy-client"]
    row = expired["expiring"][0]
    assert row["residual_time"] == "<invalid>" and row["residual_seconds"] < 0
    assert row["verified"] is True and row["issuer"] == "CN=front-proxy-ca"


def test_the_kubelet_certificates_and_the_trust_bundles_are_reported(ansible, tmp_path):
    etc = tmp_path / "etc"
    cert_dir = etc / "pki"
    kubelet = tmp_path / "kubelet-pki"
    ansible.module("pki", {"cert_dir": str(cert_dir), "advertise_address": "192.0.2.10"})
    made = ansible.module("kubeconfig", {"cert_dir": str(cert_dir), "kubeconfig_dir": str(etc),
                                         "advertise_address": "192.0.2.10", "node_name": "cp-1"})
    assert not made.get("failed"), made
    kubelet.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(kubelet / "kubelet.key"),
                    "-out", str(kubelet / "kubelet.crt"), "-subj", "/CN=cp-1@1764000000", "-days", "365"],
                   check=True, capture_output=True)

    result = ansible.module("cert_info", {"cert_dir": str(cert_dir), "kubeconfig_dir": str(etc),
                                          "kubelet_cert_dir": str(kubelet)})

    rows = {r["name"]: r for r in result["kubelet_certificates"]}
    assert sorted(rows) == ["kubelet-client", "kubelet-serving", "kubelet.conf"]
    assert rows["kubelet.conf"]["verified"] is True and rows["kubelet.conf"]["trusts_ca_on_disk"] is True
    assert rows["kubelet.conf"]["subject"] == "CN=system:node:cp-1,O=system:nodes"
    assert rows["kubelet-client"]["missing"] is True
    assert rows["kubelet-serving"]["issuer"] == "CN=cp-1@1764000000" and rows["kubelet-serving"]["verified"] is None
    trust = {r["name"]: r for r in result["trust_bundles"]}
    assert sorted(trust) == ["%s:certificate-authority-data[0]" % k for k in
                             ("admin.conf", "controller-manager.conf", "kubelet.conf", "scheduler.conf",
                              "super-admin.conf")]
    assert all(r["verified"] is True and r["subject"] == "CN=kubernetes" for r in trust.values())
    assert all(c["trusts_ca_on_disk"] is True for c in result["certificates"] if c["name"].endswith(".conf"))


def test_a_fifo_in_the_kubelet_folder_is_an_error_of_its_row_not_a_hang(ansible, cert_dir, tmp_path):
    kubelet = tmp_path / "kubelet-pki"
    kubelet.mkdir()
    os.mkfifo(str(kubelet / "kubelet-client-current.pem"))
    result = ansible.module("cert_info", {"cert_dir": str(cert_dir), "kubeconfig_dir": str(cert_dir.parent),
                                          "kubelet_cert_dir": str(kubelet)})
    assert not result.get("failed"), result
    row = {r["name"]: r for r in result["kubelet_certificates"]}["kubelet-client"]
    assert row["error"] == "not a regular file" and row["missing"] is False


@pytest.mark.parametrize("value, message", [("30d", "invalid duration"), ("-1h", "must not be negative")])
def test_a_bad_warn_before_fails_naming_the_option(ansible, cert_dir, value, message):
    result = ansible.module("cert_info", {"cert_dir": str(cert_dir), "warn_before": value})
    assert result["failed"] is True
    assert result["field"] == "warn_before" and result["code"] == "config.invalid_duration"
    assert message in result["msg"] and result["http_status"] == 400


PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: {python}
  tasks:
    - name: Read the expiries
      kubeforge.cluster.cert_info:
        cert_dir: {cert_dir}
        kubeconfig_dir: {etc}
        warn_before: {warn_before}
      register: expiry
    - name: Nothing expires within the warning period
      ansible.builtin.assert:
        that: expiry.expiring | length == 0
        fail_msg: "expiring: {{{{ expiry.expiring | map(attribute='name') | join(', ') }}}}"
"""


def test_a_playbook_asserting_on_the_expiring_list_fails_exactly_when_something_expires_soon(ansible, tmp_path):
    cert_dir = tmp_path / "etc" / "pki"
    ansible.module("pki", {"cert_dir": str(cert_dir), "advertise_address": "192.0.2.10",
                           "certificate_validity": "48h"})
    outcomes = {}
    for warn_before in ("24h", "72h"):
        book = tmp_path / ("assert-%s.yml" % warn_before)
        book.write_text(PLAYBOOK.format(python=sys.executable, cert_dir=cert_dir, etc=cert_dir.parent,
                                        warn_before=warn_before))
        out = ansible.playbook(book)
        outcomes[warn_before] = (ansible.last.returncode, out["plays"][0]["tasks"][1]["hosts"]["localhost"])
    assert outcomes["24h"][0] == 0 and not outcomes["24h"][1].get("failed")
    rc, assertion = outcomes["72h"]
    assert rc != 0 and assertion["failed"] is True
    assert assertion["msg"].startswith("expiring: apiserver, apiserver-etcd-client")


def scrape(home, token):
    """GET /metrics of the worker of ``home``; returns (status, body)."""
    url = json.loads((home.path / "endpoint").read_text())["url"]
    headers = {"Authorization": "Bearer " + token} if token else {}
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never a proxy
        with opener.open(urllib.request.Request(url + "/metrics", headers=headers), timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_the_real_worker_serves_the_expiries_at_metrics_only_with_the_token(fresh_ansible, tmp_path):
    cert_dir = tmp_path / "etc" / "pki"
    made = fresh_ansible.module("pki", {"cert_dir": str(cert_dir), "advertise_address": "192.0.2.10",
                                        "certificate_validity": "48h"})
    assert not made.get("failed"), made
    home = fresh_ansible.home
    (home.path / "metrics.yaml").write_text("cert_dir: %s\nkubeconfig_dir: %s\nkubelet_cert_dir: %s\n"
                                            % (cert_dir, cert_dir.parent, tmp_path / "kubelet"))
    token = (home.path / "token").read_text().strip()

    assert scrape(home, None)[0] == 401
    status, body = scrape(home, "0" * 64)
    assert status == 401 and json.loads(body)["error"]["code"] == "auth.unauthorized"

    status, body = scrape(home, token)
    assert status == 200
    series = {}
    for line in body.splitlines():
        if line.startswith("kubeforge_certificate_residual_seconds{"):
            labels, value = line.rsplit(" ", 1)
            series[labels] = float(value)
    api = 'kubeforge_certificate_residual_seconds{group="certificates",name="apiserver",path="%s"}' % (
        cert_dir / "apiserver.crt")
    assert 47 * 3600 < series[api] <= 48 * 3600
    assert len(series) == 10  # 7 leaves and 3 CAs; nothing for the files that do not exist
    assert 'kubeforge_certificate_expiry_timestamp_seconds{group="certificate_authorities",name="ca"' in body
