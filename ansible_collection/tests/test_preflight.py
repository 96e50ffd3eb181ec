"""kubeforge.cluster.preflight through ansible-playbook against the real worker jar, on this host.

This host has no container runtime and no kubelet, so CRI and KubeletVersion fail here by
construction; the rest depends on the host, so tests name only what they cause themselves.
"""

import json
import socket

from test_pki import assert_clean_failure


def options(tmp_path, **extra):
    args = {
        "node_name": "cp1", "advertise_address": "192.0.2.10",
        "manifest_dir": str(tmp_path / "k8s" / "manifests"), "kubeconfig_dir": str(tmp_path / "k8s"),
        "cert_dir": str(tmp_path / "k8s" / "pki"), "etcd_data_dir": str(tmp_path / "etcd"),
        "cri_socket": "unix://%s" % (tmp_path / "no-runtime.sock"),
    }
    args.update(extra)
    return args


def by_name(result):
    rows = {}
    for row in result["checks"]:
        rows.setdefault(row["name"], row)
    return rows


def failing_errors(result):
    return [c["name"] for c in result["checks"] if not c["passed"] and c["severity"] == "error"]


def dashed(path):
    return str(path).replace("/", "-")


def test_without_a_runtime_and_a_kubelet_the_task_fails_listing_every_failing_error(ansible, tmp_path):
    result = ansible.module("preflight", options(tmp_path))
    assert result["failed"] is True
    assert result["changed"] is False
    rows = by_name(result)
    assert rows["CRI"]["passed"] is False and rows["CRI"]["severity"] == "error"
    assert rows["KubeletVersion"]["message"] == (
        "couldn't get kubelet version: cannot execute 'kubelet --version': executable file not found in $PATH")
    errors = failing_errors(result)
    assert result["error_count"] == len(errors) >= 2
    for name in errors:
        assert "[ERROR %s]: " % name in result["msg"]
    assert result["msg"].startswith("preflight: %d check(s) failed: " % len(errors))


def test_ignoring_the_failing_errors_by_name_in_any_case_turns_them_into_warnings(ansible, tmp_path):
    first = ansible.module("preflight", options(tmp_path))
    errors = failing_errors(first)
    result = ansible.module("preflight", options(tmp_path, ignore=[n.lower() for n in errors]))
    assert not result.get("failed"), result.get("msg")
    assert result["error_count"] == 0
    rows = by_name(result)
    for name in errors:
        assert rows[name]["severity"] == "warning" and rows[name]["ignored"] is True and rows[name]["passed"] is False
        assert any(w.startswith("[WARNING %s]: " % name) for w in result["warnings"]), result["warnings"]


def test_a_leftover_manifest_fails_its_file_available_check(ansible, tmp_path):
    manifest = tmp_path / "k8s" / "manifests" / "kube-apiserver.yaml"
    manifest.parent.mkdir(parents=True)
    manifest.write_text("kind: Pod\n")
    result = ansible.module("preflight", options(tmp_path, ignore=["CRI", "KubeletVersion"]))
    name = "FileAvailable-" + dashed(manifest)
    assert result["failed"] is True
    assert "[ERROR %s]: %s already exists" % (name, manifest) in result["msg"]
    assert by_name(result)[name]["passed"] is False
    assert manifest.read_text() == "kind: Pod\n"


def test_a_port_taken_by_a_listener_fails_its_port_check_and_ignore_makes_it_a_warning(ansible, tmp_path):
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        listener.bind(("::", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        result = ansible.module("preflight", options(tmp_path, bind_port=port))
        assert "[ERROR Port-%d]: Port %d is in use" % (port, port) in result["msg"]
        ignored = ansible.module("preflight", options(tmp_path, bind_port=port, ignore=["Port-%d" % port]))
        row = by_name(ignored)["Port-%d" % port]
        assert row["severity"] == "warning" and row["ignored"] is True and row["passed"] is False
        assert "Port-%d" % port not in ignored.get("msg", "")


def test_check_mode_runs_the_same_checks_and_writes_nothing(ansible, tmp_path):
    result = ansible.module("preflight", options(tmp_path, ignore=["all"]), check=True)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False and result["error_count"] == 0
    assert [c["name"] for c in result["checks"]][:2] == ["IsPrivilegedUser", "NumCPU"]
    assert not (tmp_path / "k8s").exists() and not (tmp_path / "etcd").exists()


def test_join_control_plane_without_an_endpoint_fails_even_with_ignore_all_and_the_key_is_not_logged(ansible, tmp_path):
    key = "ab" * 32
    result = ansible.module("preflight", options(tmp_path, mode="join_control_plane", ignore=["all"], certificate_key=key))
    assert result["failed"] is True
    assert "[ERROR ControlPlaneEndpoint]: unable to add a new control plane instance" in result["msg"]
    assert "SharedCertificates" not in by_name(result)
    assert key not in json.dumps(result) and key not in ansible.last.stdout + ansible.last.stderr


def test_all_beside_a_check_name_is_refused_naming_ignore(ansible, tmp_path):
    result = ansible.module("preflight", options(tmp_path, ignore=["all", "CRI"]))
    assert_clean_failure(ansible, result, "ignore")
    assert result["http_status"] == 400
