"""What users of the collection rely on beyond one module: module_defaults groups, RETURN against
real results, secrets kept out of output. Every module runs through ansible-playbook against the
real worker."""

import json
import shutil

import pytest

from conftest import Ansible
from test_cluster_modules import Layout
from test_docs import MODULES, rendered_doc

# the cluster modules that only read and write files on this host (no API server needed)
FILE_MODULES = ["pki", "kubeconfig", "static_pods", "encryption_config", "kubelet_config"]
# modules whose RETURN is checked against real results where they can run:
# preflight here (every check ignored), the API server's modules in test_cluster_api_modules.py,
# renew in test_renew.py, reconfigure in ReconfigureIT and conformance (it needs an API server)
ELSEWHERE = {"preflight", "cluster_bootstrap", "bootstrap_token", "upload_certs", "discovery", "download_certs",
             "csr_approve", "ca_rotate", "renew", "reconfigure",
             "tls_bootstrap"}
from test_pki import ANSIBLE_KEYS


def play(tasks, module_defaults):
    return [{"name": "defaults", "hosts": "localhost", "connection": "local", "gather_facts": False,
             "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
             "module_defaults": module_defaults, "tasks": tasks}]


def run(ansible, tasks, module_defaults):
    book = ansible.cwd / "defaults.json"
    book.write_text(json.dumps(play(tasks, module_defaults)))
    out = ansible.playbook(book)
    return [t["hosts"]["localhost"] for t in out["plays"][0]["tasks"]]


def test_group_cluster_hands_the_cluster_model_to_every_cluster_module(ansible, tmp_path):
    layout = Layout(tmp_path / "host")
    defaults = {"group/kubeforge.cluster.cluster": dict(layout.args())}
    tasks = [{"name": name, "kubeforge.cluster." + name: {}} for name in FILE_MODULES]
    results = run(ansible, tasks, defaults)
    for name, result in zip(FILE_MODULES, results):
        assert not result.get("failed"), (name, result)
        assert result["changed"] is True, name
    assert (layout.pki / "ca.crt").is_file() and (layout.manifests / "kube-apiserver.yaml").is_file()


def test_group_worker_reaches_every_module_with_the_worker_options_only(ansible, tmp_path):
    """worker_timeout set for the group: accepted by all seven modules, cluster modules included."""
    layout = Layout(tmp_path / "host")
    defaults = {"group/kubeforge.cluster.worker": {"worker_timeout": 77, "worker_home": str(ansible.home.path)},
                "group/kubeforge.cluster.cluster": dict(layout.args())}
    tasks = [{"name": name, "kubeforge.cluster." + name: {}} for name in FILE_MODULES]
    tasks += [{"name": "cert_info", "kubeforge.cluster.cert_info": {}},
              {"name": "worker", "kubeforge.cluster.worker": {"state": "present"}}]
    results = run(ansible, tasks, defaults)
    for task, result in zip(tasks, results):
        assert not result.get("failed"), (task["name"], result)
        assert result["invocation"]["module_args"]["worker_timeout"] == 77, task["name"]
    assert "advertise_address" not in results[-2]["invocation"]["module_args"]


def test_a_cluster_option_in_group_worker_is_refused_by_cert_info_which_is_why_the_groups_are_split(ansible):
    results = run(ansible, [{"name": "cert_info", "kubeforge.cluster.cert_info": {}}],
                  {"group/kubeforge.cluster.worker": {"advertise_address": "192.0.2.10"}})
    assert results[0].get("failed") is True
    assert "advertise_address" in results[0]["msg"]


def documented_returns(name):
    return rendered_doc(name)["return"]


def assert_result_matches_return(name, result, check_mode):
    assert not result.get("failed"), (name, result)
    documented = documented_returns(name)
    keys = set(result) - ANSIBLE_KEYS
    assert keys <= set(documented), "%s returns undocumented %s" % (name, sorted(keys - set(documented)))
    for key, doc in documented.items():
        if doc.get("returned") in ("always", "success"):
            assert key in result, "%s documents %s as returned %s" % (name, key, doc["returned"])
            if result[key] is None:  # a documented null says when it happens
                assert "null" in " ".join(doc["description"]).lower(), (name, key, check_mode)
        entries = result.get(key) or [] if doc.get("type") == "list" and doc.get("contains") else []
        for entry in entries:
            assert set(entry) <= set(doc["contains"]), (name, key, sorted(set(entry) - set(doc["contains"])))


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "real"])
def test_every_module_returns_what_its_return_documents(ansible, tmp_path, check_mode):
    layout = Layout(tmp_path / "host")
    if check_mode:
        # check mode on an empty host: nothing exists yet (ca_cert_hash is null then, as documented)
        assert_result_matches_return("pki", ansible.module("pki", layout.args(), check=True), True)
        Ansible(ansible.home, tmp_path).module("pki", layout.args())
    for name in FILE_MODULES:
        result = ansible.module(name, layout.args(), check=check_mode)
        assert_result_matches_return(name, result, check_mode)
    checks = ansible.module("preflight", layout.args(ignore=["all"]), check=check_mode)
    assert_result_matches_return("preflight", checks, check_mode)
    info = ansible.module("cert_info", {"cert_dir": str(layout.pki), "kubeconfig_dir": str(layout.etc)},
                          check=check_mode)
    assert_result_matches_return("cert_info", info, check_mode)
    worker = ansible.module("worker", {"state": "started"}, check=check_mode)
    assert_result_matches_return("worker", worker, check_mode)
    assert set(MODULES) == set(FILE_MODULES) | ELSEWHERE | {"cert_info", "worker"}


def test_the_encryption_config_says_why_only_when_it_changes_an_existing_file(ansible, tmp_path):
    layout = Layout(tmp_path / "host")
    ansible.module("pki", layout.args())
    created = ansible.module("encryption_config", layout.args())
    assert created["action"] == "created" and "reason" not in created
    rotated = ansible.module("encryption_config", layout.args(rotate=True))
    assert rotated["action"] == "rotated" and rotated["reason"]


def test_extra_env_values_are_masked_in_results_diffs_and_verbose_output(ansible, tmp_path):
    layout = Layout(tmp_path / "host")
    ansible.module("pki", layout.args())
    secret = "s3cr3t-env-value-4711"
    result = ansible.module("static_pods", layout.args(apiserver_extra_envs={"VAULT_TOKEN": secret}), diff=True)
    assert not result.get("failed"), result
    assert secret in (layout.manifests / "kube-apiserver.yaml").read_text()
    output = ansible.last.stdout + ansible.last.stderr
    assert secret not in output
    assert "VAULT_TOKEN" in json.dumps(result["diff"]) and secret not in json.dumps(result)
    shutil.rmtree(layout.manifests)
    book = ansible.cwd / "play-static_pods.json"
    try:
        ansible.playbook(book, "-vvv", diff=True)
    except AssertionError:
        pass  # -vvv mixes its own lines into the JSON; the output is what is checked
    verbose = ansible.last.stdout + ansible.last.stderr
    assert ansible.last.returncode == 0 and "apiserver_extra_envs" in verbose
    assert secret not in verbose
