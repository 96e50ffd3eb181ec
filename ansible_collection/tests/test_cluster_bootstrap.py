"""cluster_bootstrap against the real worker, without a cluster: bad input fails cleanly and
nothing is contacted. Against a real API server it runs in conformance (cluster_phase.py):
creation, kubeadm parity, second run changed=false with no write, check mode."""

from test_pki import assert_clean_failure


def test_a_missing_kubeconfig_fails_naming_it_without_a_traceback(ansible, tmp_path):
    result = ansible.module("cluster_bootstrap", {"advertise_address": "192.0.2.10", "node_name": "cp1",
                                                  "kubeconfig": str(tmp_path / "nowhere" / "admin.conf")})
    assert_clean_failure(ansible, result, "kubeconfig")
    assert result["field"] == "kubeconfig"
    assert result["http_status"] == 400


def test_a_bad_taint_fails_naming_the_entry(ansible, tmp_path):
    result = ansible.module("cluster_bootstrap", {"advertise_address": "192.0.2.10", "node_name": "cp1",
                                                  "kubeconfig": str(tmp_path / "admin.conf"),
                                                  "taints": [{"key": "a", "effect": "Sometimes"}]})
    assert_clean_failure(ansible, result, "taints[0].effect")
    assert result["http_status"] == 400
