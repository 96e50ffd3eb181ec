"""reconfigure against the real worker, without a cluster: its three steps are planned as dry runs
before any is done, so a kubeconfig that is not there fails the call naming it, and the certificate
whose names would change is not reissued. Against a real API server: worker/.../ReconfigureIT (a SAN
added, an endpoint moved) and conformance/renewal_proof.py (a SAN added on a running control plane)."""

from test_pki import assert_clean_failure, pki_args


def test_a_missing_kubeconfig_fails_naming_it_before_any_certificate_is_reissued(ansible, tmp_path):
    cert_dir = tmp_path / "pki"
    assert ansible.module("pki", pki_args(cert_dir)).get("changed") is True
    serving = (cert_dir / "apiserver.crt").read_bytes()
    result = ansible.module("reconfigure", pki_args(cert_dir, apiserver_cert_sans=["added.example.com"],
                                                    kubeconfig=str(tmp_path / "nowhere" / "admin.conf")))
    assert_clean_failure(ansible, result, "kubeconfig")
    assert result["field"] == "kubeconfig"
    assert (cert_dir / "apiserver.crt").read_bytes() == serving
    assert not list(cert_dir.glob("*.bak"))
