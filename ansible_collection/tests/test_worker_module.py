"""kubeforge.cluster.worker: install by checksum, start, restart on a new jar, stop; check mode."""

import shutil
import zipfile

import pytest

from conftest import Ansible, Home, pid_alive


@pytest.fixture
def empty_home(tmp_path):
    home = Home(tmp_path / "home")
    yield home
    home.stop()


@pytest.fixture
def staged(jar, tmp_path):
    src = tmp_path / "stage" / "kubeforge-worker.jar"
    src.parent.mkdir()
    shutil.copyfile(jar, src)
    return src


def test_the_worker_module_installs_and_starts_the_worker_then_changes_nothing(empty_home, staged, tmp_path):
    ansible = Ansible(empty_home, tmp_path)
    first = ansible.module("worker", {"src": str(staged)})
    assert first["changed"] is True and first["installed"] is True and first["running"] is True, first
    assert (empty_home.path / "worker.jar").read_bytes() == staged.read_bytes()
    assert first["pid"] == empty_home.endpoint()["pid"] and first["version"]
    second = ansible.module("worker", {"src": str(staged)})
    assert second["changed"] is False and second["installed"] is False, second
    assert second["pid"] == first["pid"] and second["sha256"] == first["sha256"]


def test_check_mode_installs_nothing_and_starts_nothing(empty_home, staged, tmp_path):
    result = Ansible(empty_home, tmp_path).module("worker", {"src": str(staged)}, check=True)
    assert result["changed"] is True and result["installed"] is True, result
    assert not (empty_home.path / "worker.jar").exists()
    assert empty_home.endpoint() is None


def test_a_new_jar_is_installed_and_the_running_worker_restarted(empty_home, staged, tmp_path):
    ansible = Ansible(empty_home, tmp_path)
    first = ansible.module("worker", {"src": str(staged)})
    with zipfile.ZipFile(staged, "a") as jar:  # a valid jar with another checksum
        jar.writestr("META-INF/kubeforge-test-marker.txt", "upgrade")
    second = ansible.module("worker", {"src": str(staged)})
    assert second["changed"] is True and second["installed"] is True, second
    assert second["sha256"] != first["sha256"]
    assert second["pid"] != first["pid"] and not pid_alive(first["pid"])
    assert pid_alive(second["pid"])


def test_state_stopped_stops_a_running_worker_and_then_changes_nothing(empty_home, staged, tmp_path):
    ansible = Ansible(empty_home, tmp_path)
    pid = ansible.module("worker", {"src": str(staged)})["pid"]
    checked = ansible.module("worker", {"state": "stopped"}, check=True)
    assert checked["changed"] is True and pid_alive(pid)
    stopped = ansible.module("worker", {"state": "stopped"})
    assert stopped["changed"] is True and stopped["running"] is False, stopped
    assert not pid_alive(pid)
    again = ansible.module("worker", {"state": "stopped"})
    assert again["changed"] is False


def test_state_started_without_src_or_installed_jar_fails_naming_src(empty_home, tmp_path):
    result = Ansible(empty_home, tmp_path).module("worker", {})
    assert result.get("failed") is True and "src" in result["msg"], result
