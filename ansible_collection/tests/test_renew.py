"""renew against the real worker: kubeadm certs renew as a module, with check mode, diff, renew_before
convergence, backups, and a RETURN that matches its results."""

import base64
import subprocess

import yaml

from test_cluster_modules import Layout
from test_collection_contract import assert_result_matches_return
from test_pki import assert_clean_failure

NAMES = ["admin.conf", "apiserver", "apiserver-etcd-client", "apiserver-kubelet-client", "controller-manager.conf",
         "etcd-healthcheck-client", "etcd-peer", "etcd-server", "front-proxy-client", "scheduler.conf",
         "super-admin.conf"]


def made_tree(ansible, layout):
    for name in ("pki", "kubeconfig"):
        assert not ansible.module(name, layout.args(key_algorithm="ECDSA-P256")).get("failed")


def openssl(*args, stdin=None):
    return subprocess.run(["openssl"] + list(args), input=stdin, capture_output=True, text=True, check=False)


def serial(path):
    return openssl("x509", "-noout", "-serial", "-in", str(path)).stdout.strip()


def test_renew_all_in_check_mode_says_what_and_why_then_renews_every_item_verified_by_openssl(ansible, tmp_path):
    layout = Layout(tmp_path / "host")
    made_tree(ansible, layout)
    before = {p: p.read_bytes() for p in layout.etc.rglob("*") if p.is_file()}
    args = layout.options(key_algorithm="ECDSA-P256")

    check = ansible.module("renew", args, check=True, diff=True)
    assert_result_matches_return("renew", check, True)
    assert check["changed"] is True and check["renewed"] == NAMES
    assert "renewal requested" in check["diff"]["after"] and "PRIVATE KEY" not in str(check)
    assert {p: p.read_bytes() for p in layout.etc.rglob("*") if p.is_file()} == before

    old = serial(layout.pki / "apiserver.crt")
    real = ansible.module("renew", args)
    assert_result_matches_return("renew", real, False)
    assert real["changed"] is True and real["renewed"] == NAMES and real["skipped_certificates"] == []
    assert real["restart"] == ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]
    assert serial(layout.pki / "apiserver.crt") != old
    assert all(r["new_serial"] != r["old_serial"] for r in real["certificates"])
    assert len(real["backups"]) == 7 * 2 + 4
    verify = openssl("verify", "-CAfile", str(layout.pki / "ca.crt"), str(layout.pki / "apiserver.crt"))
    assert verify.returncode == 0, verify.stderr
    admin = yaml.safe_load((layout.etc / "admin.conf").read_text())
    client = base64.b64decode(admin["users"][0]["user"]["client-certificate-data"]).decode()
    subject = openssl("x509", "-noout", "-subject", stdin=client).stdout
    assert "O = kubeadm:cluster-admins, CN = kubernetes-admin" in subject


def test_with_renew_before_a_second_run_is_unchanged_and_writes_nothing(ansible, tmp_path):
    layout = Layout(tmp_path / "host")
    made_tree(ansible, layout)
    # a year of validity is more than 9000h: every item is due now
    due = ansible.module("renew", layout.options(renew_before="9000h"))
    assert due["changed"] is True and due["renewed"] == NAMES
    files = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in layout.etc.rglob("*") if p.is_file()}
    again = ansible.module("renew", layout.options(renew_before="720h"))
    assert again["changed"] is False and again["renewed"] == []
    assert {r["action"] for r in again["certificates"]} == {"kept"}
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in layout.etc.rglob("*") if p.is_file()} == files


def test_an_external_ca_item_is_skipped_and_reported(ansible, tmp_path):
    layout = Layout(tmp_path / "host")
    made_tree(ansible, layout)
    (layout.pki / "front-proxy-ca.key").unlink()
    result = ansible.module("renew", layout.options(certificates=["front-proxy-client", "apiserver"]))
    assert result["renewed"] == ["apiserver"] and result["skipped_certificates"] == ["front-proxy-client"]
    assert any("Detected external front-proxy-ca" in w for w in result["warnings"])


def test_a_bad_renew_before_fails_naming_the_option(ansible, tmp_path):
    layout = Layout(tmp_path / "host")
    result = ansible.module("renew", layout.options(renew_before="a month"))
    assert_clean_failure(ansible, result, "renew_before")


def test_generate_csr_makes_a_key_and_a_csr_for_every_leaf_and_kubeconfig_that_openssl_verifies(ansible, tmp_path):
    layout = Layout(tmp_path / "host")
    result = ansible.module("renew", layout.args(generate_csr=True, key_algorithm="ECDSA-P256"))
    assert_result_matches_return("renew", result, False)
    assert result["changed"] is True and len(result["csrs"]) == 7 + 5
    for entry in result["csrs"]:
        verify = openssl("req", "-verify", "-noout", "-in", entry["csr_path"])
        assert verify.returncode == 0, (entry["name"], verify.stderr)
    assert "DNS:kubernetes" in openssl("req", "-noout", "-text", "-in", str(layout.pki / "apiserver.csr")).stdout
    again = ansible.module("renew", layout.args(generate_csr=True, key_algorithm="ECDSA-P256"))
    assert again["changed"] is False and {c["action"] for c in again["csrs"]} == {"kept"}
