"""Runs kubeforge.cluster modules through ansible-playbook against the real worker jar.

No HTTP mocks: every test talks to a worker started from worker/target/kubeforge-worker.jar
(or $KUBEFORGE_TEST_JAR) in a temporary worker home, and stops it afterwards.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COLLECTIONS = Path(os.environ.get("KUBEFORGE_TEST_COLLECTIONS", REPO / "_build" / "collections"))
# tests/unit imports ansible_collections.kubeforge.cluster (as under ansible-test units)
sys.path.insert(0, str(COLLECTIONS))


# the Kubernetes binaries conformance/build.sh builds
KUBE_BIN = os.environ.get("KUBEFORGE_KUBE_BIN", str(REPO / ".cache" / "kube" / "v1.34.10" / "bin"))


def kube_binaries(*names, root=False):
    """Returns KUBE_BIN when every named binary is there (and, with ``root``, the tests run as root);
    else skips the test, or fails it when KUBEFORGE_REQUIRE_BINARIES=1 (CI, where they are built)."""
    missing = [n for n in names if not os.access(os.path.join(KUBE_BIN, n), os.X_OK)]
    if not missing and (not root or os.geteuid() == 0):
        return KUBE_BIN
    why = ("%s missing in %s" % ("/".join(missing), KUBE_BIN)) if missing else "not root"
    if os.environ.get("KUBEFORGE_REQUIRE_BINARIES") == "1":
        pytest.fail(why)
    pytest.skip(why + " (conformance/build.sh)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_jar():
    jar = Path(os.environ.get("KUBEFORGE_TEST_JAR", REPO / "worker" / "target" / "kubeforge-worker.jar"))
    if not jar.is_file():
        pytest.fail("%s is missing: run `make jar` (make test-python builds it)" % jar)
    if not (COLLECTIONS / "ansible_collections" / "kubeforge" / "cluster").is_dir():
        pytest.fail("the collection is not built: run `make collection`")
    return jar


class Home:
    """A worker home for tests: the jar installed, the worker stopped at teardown."""

    def __init__(self, path, jar=None):
        self.path = Path(path)
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if jar is not None:
            shutil.copyfile(jar, self.path / "worker.jar")

    def endpoint(self):
        try:
            return json.loads((self.path / "endpoint").read_text())
        except (OSError, ValueError):
            return None

    def stop(self):
        endpoint = self.endpoint()
        if endpoint and endpoint.get("pid"):
            pid = int(endpoint["pid"])
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            deadline = time.time() + 15
            while time.time() < deadline and pid_alive(pid):
                time.sleep(0.1)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


class Ansible:
    """Runs one module task (or a playbook) with the JSON callback and returns the parsed result."""

    def __init__(self, home, cwd):
        self.home = home
        self.cwd = Path(cwd)
        self.last = None

    def env(self, **extra):
        env = dict(os.environ)
        env.update(
            ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
            ANSIBLE_CALLBACK_PLUGINS=str(Path(__file__).parent / "callback"),
            ANSIBLE_STDOUT_CALLBACK="test_json",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            ANSIBLE_LOCALHOST_WARNING="0",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
            ANSIBLE_NOCOLOR="1",
            KUBEFORGE_HOME=str(self.home.path),
        )
        env.pop("ANSIBLE_CONFIG", None)
        env.update(extra)
        return env

    def module(self, name, args=None, check=False, diff=False, **env):
        """Runs kubeforge.cluster.<name> on localhost; returns the task result (failed ones too)."""
        play = [{
            "name": "test", "hosts": "localhost", "connection": "local", "gather_facts": False,
            "vars": {"ansible_python_interpreter": sys.executable},
            "tasks": [{"name": name, "kubeforge.cluster." + name: args or {}}],
        }]
        book = self.cwd / ("play-%s.json" % name)
        book.write_text(json.dumps(play))
        out = self.playbook(book, check=check, diff=diff, **env)
        return out["plays"][0]["tasks"][0]["hosts"]["localhost"]

    def playbook(self, book, *extra_args, check=False, diff=False, **env):
        cmd = [str(BIN / "ansible-playbook"), "-i", "localhost,", str(book)] + list(extra_args)
        cmd += ["--check"] if check else []
        cmd += ["--diff"] if diff else []
        proc = subprocess.run(cmd, check=False, cwd=self.cwd, env=self.env(**env), capture_output=True, text=True, timeout=300)
        self.last = proc
        try:
            return json.loads(proc.stdout)
        except ValueError:
            raise AssertionError("ansible-playbook printed no JSON (rc %s):\n%s\n%s"
                                 % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))


@pytest.fixture(scope="session")
def jar():
    return worker_jar()


@pytest.fixture(scope="session")
def shared_home(jar, tmp_path_factory):
    """One worker for the whole session, like one host's worker."""
    home = Home(tmp_path_factory.mktemp("kfhome"), jar)
    yield home
    home.stop()


@pytest.fixture
def fresh_home(jar, tmp_path):
    """A worker home with the jar installed and nothing running yet."""
    home = Home(tmp_path / "home", jar)
    yield home
    home.stop()


@pytest.fixture
def ansible(shared_home, tmp_path):
    return Ansible(shared_home, tmp_path)


@pytest.fixture
def fresh_ansible(fresh_home, tmp_path):
    return Ansible(fresh_home, tmp_path)
