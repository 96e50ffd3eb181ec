"""kubeforge.cluster.cert_info: the kubeadm certs check-expiration table."""

import pytest


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
