"""kubeforge.cluster.pki against the real worker: tree, idempotence, check mode, diff, errors."""

import hashlib
import re
import stat
import subprocess

import pytest

from test_docs import rendered_doc

ANSIBLE_KEYS = {"changed", "failed", "invocation", "warnings", "deprecations", "diff", "_ansible_no_log"}

LEAVES = ["apiserver", "apiserver-kubelet-client", "front-proxy-client", "etcd/server", "etcd/peer",
          "etcd/healthcheck-client", "apiserver-etcd-client"]
CAS = ["ca", "front-proxy-ca", "etcd/ca"]
KEY_FILES = [n + ".key" for n in CAS + LEAVES] + ["sa.key"]
ALL_FILES = [n + ".crt" for n in CAS + LEAVES] + KEY_FILES + ["sa.pub"]


def pki_args(cert_dir, **extra):
    args = {"cert_dir": str(cert_dir), "advertise_address": "192.0.2.10", "node_name": "cp1"}
    args.update(extra)
    return args


def tree(cert_dir):
    """Maps every file under cert_dir to (mtime_ns, sha256)."""
    return {str(p.relative_to(cert_dir)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(cert_dir.rglob("*")) if p.is_file()}


@pytest.fixture
def created(ansible, tmp_path):
    """A tree made by one run of the module, with that run's result."""
    cert_dir = tmp_path / "pki"
    result = ansible.module("pki", pki_args(cert_dir))
    assert not result.get("failed"), result
    return cert_dir, result


def test_a_first_run_creates_the_kubeadm_tree_and_returns_the_facts(created):
    cert_dir, result = created
    assert result["changed"] is True
    for name in ALL_FILES:
        assert (cert_dir / name).is_file(), name
    names = [c["name"] for c in result["certificates"]]
    assert names[:3] == ["ca", "front-proxy-ca", "etcd-ca"]
    assert sorted(names) == sorted(n.replace("/", "-") for n in CAS + LEAVES)
    assert {c["action"] for c in result["certificates"]} == {"created"}
    assert all(c["path"].startswith(str(cert_dir) + "/") for c in result["certificates"])
    assert result["service_account_key"]["action"] == "created"
    assert result["external_ca"] is False
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", result["ca_cert_hash"])


def test_every_returned_key_is_documented_in_return(created):
    result = created[1]
    documented = rendered_doc("pki")["return"]
    assert set(result) - ANSIBLE_KEYS <= set(documented), set(result) - ANSIBLE_KEYS - set(documented)
    entry_keys = set(documented["certificates"]["contains"])
    for cert in result["certificates"]:
        assert set(cert) <= entry_keys, cert


def test_private_keys_are_readable_by_their_owner_only(created):
    cert_dir = created[0]
    for name in KEY_FILES:
        assert stat.S_IMODE((cert_dir / name).stat().st_mode) == 0o600, name


def test_ca_cert_hash_is_the_sha256_of_the_ca_public_key_as_openssl_computes_it(created):
    cert_dir, result = created
    pub = subprocess.run(["openssl", "x509", "-in", str(cert_dir / "ca.crt"), "-noout", "-pubkey"],
                         check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                         check=True, capture_output=True).stdout
    assert result["ca_cert_hash"] == "sha256:" + hashlib.sha256(der).hexdigest()


def test_a_second_run_reports_no_change_and_touches_no_file(ansible, created):
    cert_dir = created[0]
    before = tree(cert_dir)
    result = ansible.module("pki", pki_args(cert_dir))
    assert result["changed"] is False, result
    assert {c["action"] for c in result["certificates"]} == {"kept"}
    assert result["service_account_key"]["action"] == "kept"
    assert tree(cert_dir) == before


def test_check_mode_reports_the_change_and_writes_nothing(ansible, tmp_path):
    cert_dir = tmp_path / "pki"
    result = ansible.module("pki", pki_args(cert_dir), check=True)
    assert result["changed"] is True, result
    assert {c["action"] for c in result["certificates"]} == {"created"}
    assert not cert_dir.exists() or not any(cert_dir.rglob("*"))


def test_check_mode_on_a_converged_tree_reports_no_change(ansible, created):
    cert_dir = created[0]
    before = tree(cert_dir)
    result = ansible.module("pki", pki_args(cert_dir), check=True)
    assert result["changed"] is False
    assert tree(cert_dir) == before


def test_diff_mode_shows_the_certificates_before_and_after(ansible, tmp_path):
    cert_dir = tmp_path / "pki"
    result = ansible.module("pki", pki_args(cert_dir), check=True, diff=True)
    diff = result["diff"]
    assert set(diff) >= {"before", "after"}
    assert diff["before"] != diff["after"]
    assert "apiserver" in diff["after"]


def test_without_diff_mode_no_diff_is_returned(ansible, tmp_path):
    result = ansible.module("pki", pki_args(tmp_path / "pki"), check=True)
    assert "diff" not in result


def test_an_added_san_reissues_the_apiserver_certificate_saying_why_and_backs_up_the_old_one(ansible, created):
    cert_dir = created[0]
    old = (cert_dir / "apiserver.crt").read_bytes()
    result = ansible.module("pki", pki_args(cert_dir, apiserver_cert_sans=["k8s.example.com"]))
    assert result["changed"] is True, result
    actions = {c["name"]: c for c in result["certificates"]}
    assert actions["apiserver"]["action"] == "reissued"
    assert "k8s.example.com" in actions["apiserver"]["reason"]
    assert "k8s.example.com" in actions["apiserver"]["dns_names"]
    assert actions["ca"]["action"] == "kept"
    assert result["backups"], result
    assert any(open(b, "rb").read() == old for b in result["backups"])


def openssl(*args):
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=False).stdout


def test_reissue_on_name_change_reissues_only_the_renamed_certificate_with_its_own_key(ansible, created):
    cert_dir = created[0]
    before = tree(cert_dir)
    args = pki_args(cert_dir, apiserver_cert_sans=["k8s.example.com"], reissue_on_name_change=True)
    check = ansible.module("pki", args, check=True, diff=True)
    assert check["changed"] is True and tree(cert_dir) == before
    assert "(names changed: added DNS:k8s.example.com; same key)" in check["diff"]["after"]

    result = ansible.module("pki", args)
    apiserver = {c["name"]: c for c in result["certificates"]}["apiserver"]
    assert apiserver["reason"] == "names changed: added DNS:k8s.example.com; same key", apiserver
    after = tree(cert_dir)
    assert [f for f in after if f in before and after[f] != before[f]] == ["apiserver.crt"]
    crt, key = str(cert_dir / "apiserver.crt"), str(cert_dir / "apiserver.key")
    assert "does match" in openssl("x509", "-in", crt, "-noout", "-checkhost", "k8s.example.com")
    assert openssl("x509", "-in", crt, "-noout", "-pubkey") == openssl("pkey", "-in", key, "-pubout")
    assert ansible.module("pki", args)["changed"] is False


def test_a_relative_cert_dir_is_made_absolute_against_the_working_directory(ansible):
    result = ansible.module("pki", pki_args("rel/pki"), check=True)
    assert not result.get("failed"), result
    assert result["certificates"][0]["path"] == str(ansible.cwd / "rel" / "pki" / "ca.crt")


def test_external_etcd_leaves_out_every_etcd_certificate(ansible, tmp_path):
    result = ansible.module("pki", pki_args(tmp_path / "pki", etcd="external",
                                            etcd_external_endpoints=["https://10.0.0.20:2379"]), check=True)
    names = [c["name"] for c in result["certificates"]]
    assert not [n for n in names if n.startswith("etcd") or n == "apiserver-etcd-client"], names
    assert "apiserver" in names and "front-proxy-ca" in names


def assert_clean_failure(ansible, result, field):
    assert result.get("failed") is True, result
    assert field in result["msg"], result["msg"]
    assert "Traceback" not in ansible.last.stdout + ansible.last.stderr
    assert "module_stderr" not in result
    assert "Traceback" not in result.get("exception", "")  # 2.19 says "(traceback unavailable)" for fail_json


def test_an_invalid_san_fails_naming_the_entry_without_a_traceback(ansible, tmp_path):
    cert_dir = tmp_path / "pki"
    result = ansible.module("pki", pki_args(cert_dir, apiserver_cert_sans=["ok.example.com", "bad name!"]))
    assert_clean_failure(ansible, result, "apiserver_cert_sans[1]")
    assert result["field"] == "apiserver_cert_sans[1]"
    assert result["http_status"] == 400
    assert result["code"]
    assert not cert_dir.exists() or not any(cert_dir.rglob("*.key"))


def test_an_advertise_address_that_is_no_ip_fails_naming_the_field(ansible, tmp_path):
    result = ansible.module("pki", pki_args(tmp_path / "pki", advertise_address="not-an-ip"))
    assert_clean_failure(ansible, result, "advertise_address")
    assert result["http_status"] == 400


def test_a_bad_duration_fails_naming_the_field(ansible, tmp_path):
    result = ansible.module("pki", pki_args(tmp_path / "pki", certificate_validity="one year"))
    assert_clean_failure(ansible, result, "certificate_validity")


def test_a_missing_advertise_address_is_refused_before_the_worker_is_asked(ansible, tmp_path):
    result = ansible.module("pki", {"cert_dir": str(tmp_path / "pki")})
    assert_clean_failure(ansible, result, "advertise_address")
    assert "http_status" not in result


def test_an_unknown_key_algorithm_is_refused_with_the_choices(ansible, tmp_path):
    result = ansible.module("pki", pki_args(tmp_path / "pki", key_algorithm="DSA-1024"))
    assert_clean_failure(ansible, result, "key_algorithm")
    assert "ECDSA-P256" in result["msg"]


KUBEADM_CONFIG = """apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 192.0.2.20
nodeRegistration:
  name: cp2
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
apiServer:
  certSANs: [from-yaml.example.com]
"""


def test_kubeadm_config_gives_the_sans_and_the_address_and_an_option_overrides_it(ansible, tmp_path):
    result = ansible.module("pki", {"cert_dir": str(tmp_path / "pki"), "kubeadm_config": KUBEADM_CONFIG,
                                    "apiserver_cert_sans": ["from-option.example.com"]}, check=True)
    assert not result.get("failed"), result
    apiserver = {c["name"]: c for c in result["certificates"]}["apiserver"]
    assert "192.0.2.20" in apiserver["ip_addresses"] and "cp2" in apiserver["dns_names"]
    assert "from-option.example.com" in apiserver["dns_names"]
    assert "from-yaml.example.com" not in apiserver["dns_names"]
