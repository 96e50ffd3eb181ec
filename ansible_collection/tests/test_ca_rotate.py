"""kubeforge.cluster.ca_rotate through ansible-playbook against the real worker: the three phases on a
control-plane tree in one play, checked with openssl (the phases one by one are CaRotatePhaseTest's)."""

import json
import subprocess
import sys

from test_cluster_modules import Layout
from test_collection_contract import assert_result_matches_return


def openssl_verifies(ca_file, cert_file):
    return subprocess.run(["openssl", "verify", "-CAfile", str(ca_file), str(cert_file)],
                          capture_output=True, check=False).returncode == 0


def certificates_in(path):
    return path.read_text().count("-----BEGIN CERTIFICATE-----")


def test_a_play_rotates_the_kubernetes_ca_once_refusing_phases_out_of_order_and_openssl_follows(ansible, tmp_path):
    layout = Layout(tmp_path / "host")
    rotate = {"cert_dir": str(layout.pki), "kubeconfig_dir": str(layout.etc)}
    old_apiserver = tmp_path / "old-apiserver.crt"

    def step(name, phase, **keywords):
        return dict({"name": name, "kubeforge.cluster.ca_rotate": dict(rotate, phase=phase)}, **keywords)

    tasks = [
        {"name": "pki", "kubeforge.cluster.pki": layout.args(key_algorithm="ECDSA-P256")},
        {"name": "kubeconfig", "kubeforge.cluster.kubeconfig": layout.args(key_algorithm="ECDSA-P256")},
        {"name": "keep", "ansible.builtin.copy": {"src": str(layout.pki / "apiserver.crt"), "dest": str(old_apiserver),
                                                  "remote_src": True, "mode": "0644"}},
        step("too early", "reissue", ignore_errors=True),
        step("checked", "prepare", check_mode=True, diff=True),
        step("prepare", "prepare"),
        step("prepare again", "prepare"),
        step("reissue", "reissue"),
        step("finish", "finish"),
        step("finish again", "finish"),
    ]
    book = tmp_path / "rotate.json"
    book.write_text(json.dumps([{"name": "rotate", "hosts": "localhost", "connection": "local", "gather_facts": False,
                                 "vars": {"ansible_python_interpreter": sys.executable}, "tasks": tasks}]))
    out = ansible.playbook(book)
    r = {t["task"]["name"]: t["hosts"]["localhost"] for t in out["plays"][0]["tasks"]}

    too_early = r["too early"]
    assert too_early["failed"] is True and too_early["field"] == "phase" and too_early["http_status"] == 409
    assert "run phase=prepare first" in too_early["msg"]
    assert_result_matches_return("ca_rotate", r["checked"], True)
    assert r["checked"]["changed"] is True and "ca.crt" in r["checked"]["diff"]["after"]
    for name in ("prepare", "reissue", "finish"):
        assert_result_matches_return("ca_rotate", r[name], False)
        assert r[name]["changed"] is True, name
    assert r["prepare again"]["changed"] is False and r["finish again"]["changed"] is False
    assert len(r["prepare"]["ca_cert_hashes"]) == 2
    assert r["finish"]["ca_cert_hashes"] == r["prepare"]["ca_cert_hashes"][1:]
    assert r["prepare"]["controller_manager_extra_args"]["cluster-signing-key-file"].endswith("rotation/kubernetes/new.key")
    assert r["finish"]["controller_manager_extra_args"] == {}
    assert certificates_in(layout.pki / "ca.crt") == 1
    assert openssl_verifies(layout.pki / "ca.crt", layout.pki / "apiserver.crt")
    assert not openssl_verifies(layout.pki / "ca.crt", old_apiserver)
