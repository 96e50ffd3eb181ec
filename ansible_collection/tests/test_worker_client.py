"""The client's worker lifecycle: auto-start from nothing, reuse, one worker for parallel callers, failures."""

import os
from concurrent.futures import ThreadPoolExecutor

from conftest import Ansible, Home, pid_alive


def info(ansible):
    return ansible.module("cert_info", {"cert_dir": str(ansible.cwd / "pki"), "kubeconfig_dir": str(ansible.cwd)})


def test_a_module_starts_the_worker_when_no_endpoint_exists_and_later_calls_reuse_it(fresh_ansible, fresh_home):
    assert fresh_home.endpoint() is None
    first = info(fresh_ansible)
    assert not first.get("failed"), first
    endpoint = fresh_home.endpoint()
    assert endpoint and pid_alive(endpoint["pid"])
    assert endpoint["url"].startswith("http://127.0.0.1:")
    assert (fresh_home.path / "worker.log").is_file()
    assert oct((fresh_home.path / "token").stat().st_mode & 0o777) == "0o600"
    second = info(fresh_ansible)
    assert not second.get("failed"), second
    assert fresh_home.endpoint() == endpoint


def test_a_worker_that_died_is_started_again(fresh_ansible, fresh_home):
    assert not info(fresh_ansible).get("failed")
    old = fresh_home.endpoint()
    fresh_home.stop()
    assert not pid_alive(old["pid"])
    result = info(fresh_ansible)
    assert not result.get("failed"), result
    assert fresh_home.endpoint()["pid"] != old["pid"]


def test_parallel_first_calls_on_one_host_share_a_single_worker(fresh_ansible, fresh_home, tmp_path):
    calls = [Ansible(fresh_home, tmp_path / str(i)) for i in range(3)]
    for call in calls:
        call.cwd.mkdir()
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(info, calls))
    assert [r.get("failed") for r in results] == [None, None, None], results
    log = (fresh_home.path / "worker.log").read_text(errors="replace")
    assert pid_alive(fresh_home.endpoint()["pid"])
    assert "another worker already runs" not in log


def test_a_wrong_token_fails_with_a_clear_message_and_never_shows_a_token(fresh_ansible, fresh_home):
    assert not info(fresh_ansible).get("failed")
    token_file = fresh_home.path / "token"
    real = token_file.read_text()
    token_file.write_text("0" * 64 + "\n")
    try:
        result = info(fresh_ansible)
    finally:
        token_file.write_text(real)
    assert result.get("failed") is True, result
    assert result["http_status"] == 401
    assert "token" in result["msg"] and str(token_file) in result["msg"]
    output = fresh_ansible.last.stdout + fresh_ansible.last.stderr
    assert "0" * 64 not in output and real.strip() not in output
    assert "Traceback" not in output


def test_the_token_never_appears_in_module_output(fresh_ansible, fresh_home):
    result = fresh_ansible.module("pki", {"cert_dir": str(fresh_ansible.cwd / "pki"), "advertise_address": "192.0.2.1"},
                                  diff=True)
    assert not result.get("failed"), result
    token = (fresh_home.path / "token").read_text().strip()
    assert token not in fresh_ansible.last.stdout + fresh_ansible.last.stderr


def test_a_missing_jar_fails_saying_how_to_install_the_worker(jar, tmp_path):
    ansible = Ansible(Home(tmp_path / "empty"), tmp_path)
    result = info(ansible)
    assert result.get("failed") is True
    assert "worker.jar" in result["msg"] and "kubeforge.cluster.worker" in result["msg"]


def test_a_worker_that_cannot_start_fails_naming_its_log_file(jar, tmp_path):
    home = Home(tmp_path / "broken")
    (home.path / "worker.jar").write_bytes(b"this is not a jar")
    result = info(Ansible(home, tmp_path))
    assert result.get("failed") is True
    assert str(home.path / "worker.log") in result["msg"]


def test_a_missing_java_fails_naming_the_command(fresh_home, tmp_path):
    ansible = Ansible(fresh_home, tmp_path)
    result = ansible.module("cert_info", {"cert_dir": str(tmp_path), "java_executable": "/nonexistent/java"})
    assert result.get("failed") is True
    assert "/nonexistent/java" in result["msg"]


def test_a_stale_endpoint_of_a_dead_worker_is_ignored_and_a_new_worker_started(fresh_ansible, fresh_home):
    assert not info(fresh_ansible).get("failed")
    old = fresh_home.endpoint()
    fresh_home.stop()
    # a crashed worker leaves its endpoint behind; something else may answer on that port later
    (fresh_home.path / "endpoint").write_text('{"url": "%s", "pid": %d}' % (old["url"], old["pid"]))
    result = info(fresh_ansible)
    assert not result.get("failed"), result
    assert fresh_home.endpoint()["pid"] != old["pid"]


def test_an_endpoint_whose_port_refuses_is_replaced_by_a_new_worker(fresh_ansible, fresh_home):
    assert not info(fresh_ansible).get("failed")
    old = fresh_home.endpoint()
    fresh_home.stop()
    # the published process is alive (this test's own) but nothing listens on the port any more:
    # the direct POST is refused, so the client probes, starts a worker and sends again
    (fresh_home.path / "endpoint").write_text('{"url": "%s", "pid": %d}' % (old["url"], os.getpid()))
    result = info(fresh_ansible)
    assert not result.get("failed"), result
    new = fresh_home.endpoint()
    assert new["pid"] not in (old["pid"], os.getpid()) and pid_alive(new["pid"])
