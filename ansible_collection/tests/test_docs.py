"""Each module's documentation (as ansible-doc renders it) matches its argument spec, key by key."""

import importlib
import json
import subprocess

import pytest

from conftest import BIN, COLLECTIONS, REPO

MODULES = ["pki", "cert_info", "worker", "kubeconfig", "static_pods", "encryption_config", "kubelet_config",
           "bootstrap_token", "upload_certs", "cluster_bootstrap", "preflight", "discovery", "download_certs",
           "csr_approve", "ca_rotate", "renew", "reconfigure",
           "tls_bootstrap"]
# options that are the subject of a module (a bootstrap token), not the worker's bearer token; always no_log
SUBJECT_SECRETS = {"bootstrap_token": {"token", "token_id", "certificate_key"}, "upload_certs": {"certificate_key"},
                   "preflight": {"certificate_key"}, "discovery": {"token"},
                   "download_certs": {"certificate_key"}, "ca_rotate": {"new_key"}}
# modules that read the cluster model (doc fragment kubeforge.cluster.cluster)
CLUSTER_MODULES = ["pki", "kubeconfig", "static_pods", "encryption_config", "kubelet_config", "cluster_bootstrap",
                   "preflight", "renew", "reconfigure"]
OPENAPI = REPO / "worker" / "src" / "main" / "resources" / "openapi.yaml"


class Captured(Exception):
    pass


def argument_spec(name, monkeypatch):
    """Imports the module and captures the argument spec main() hands to AnsibleModule."""
    monkeypatch.syspath_prepend(str(COLLECTIONS))
    mod = importlib.import_module("ansible_collections.kubeforge.cluster.plugins.modules." + name)
    seen = {}

    def fake_module(**kwargs):
        seen.update(kwargs)
        raise Captured()

    monkeypatch.setattr(mod, "AnsibleModule", fake_module)
    with pytest.raises(Captured):
        mod.main()
    return seen


def rendered_doc(name):
    out = subprocess.run([str(BIN / "ansible-doc"), "--json", "kubeforge.cluster." + name], check=True,
                         capture_output=True, text=True, env={"ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
                                                              "PATH": "/usr/bin:/bin"})
    return json.loads(out.stdout)["kubeforge.cluster." + name]


@pytest.mark.parametrize("name", MODULES)
def test_ansible_doc_renders_the_module_and_its_options_match_the_argument_spec(name, monkeypatch):
    doc = rendered_doc(name)
    spec = argument_spec(name, monkeypatch)
    assert spec["supports_check_mode"] is True
    options = doc["doc"]["options"]
    assert sorted(options) == sorted(spec["argument_spec"])
    for option, want in spec["argument_spec"].items():
        got = options[option]
        assert got.get("type", "str") == want.get("type", "str"), option
        assert got.get("default") == want.get("default"), option
        assert got.get("choices") == want.get("choices"), option
        assert bool(got.get("required")) == bool(want.get("required")), option
        assert got.get("elements") == want.get("elements"), option
        assert got.get("description"), option
    assert doc["examples"].strip() and doc["return"]


def test_the_action_group_lists_every_module():
    import yaml

    runtime = yaml.safe_load((COLLECTIONS / "ansible_collections/kubeforge/cluster/meta/runtime.yml").read_text())
    groups = runtime["action_groups"]
    assert sorted(groups["cluster"]) == sorted(CLUSTER_MODULES)
    extends = [entry["metadata"]["extend_group"] for entry in groups["worker"] if isinstance(entry, dict)]
    assert extends == [["kubeforge.cluster.cluster"]]
    own = [entry for entry in groups["worker"] if not isinstance(entry, dict)]
    assert sorted(own + groups["cluster"]) == sorted(MODULES)


def test_no_module_option_can_carry_the_token(monkeypatch):
    for name in MODULES:
        options = argument_spec(name, monkeypatch)["argument_spec"]
        allowed = SUBJECT_SECRETS.get(name, set())
        assert not [o for o in options if ("token" in o or "password" in o or "secret" in o) and o not in allowed], name
        assert all(options[o].get("no_log") for o in allowed if o != "token_id"), name


def cluster_module_utils(monkeypatch):
    monkeypatch.syspath_prepend(str(COLLECTIONS))
    return importlib.import_module("ansible_collections.kubeforge.cluster.plugins.module_utils.cluster")


def cluster_options_schema():
    import yaml

    schema = yaml.safe_load(OPENAPI.read_text())["components"]["schemas"]["ClusterOptions"]["properties"]
    schema.pop("dry_run")
    return schema


def test_the_cluster_options_are_exactly_the_openapi_cluster_options_schema(monkeypatch):
    cluster = cluster_module_utils(monkeypatch)
    assert sorted(cluster.CLUSTER_OPTIONS) == sorted(cluster_options_schema())


def workers_defaults():
    """The defaults the worker applies, as its OpenAPI document states them."""
    return {name: prop["default"] for name, prop in cluster_options_schema().items() if "default" in prop}


@pytest.mark.parametrize("name", CLUSTER_MODULES)
def test_cluster_options_have_no_argspec_default_and_document_the_workers_default(name, monkeypatch):
    """An option with a module default would override kubeadm_config; the default is stated in words."""
    cluster = cluster_module_utils(monkeypatch)
    spec = argument_spec(name, monkeypatch)["argument_spec"]
    options = rendered_doc(name)["doc"]["options"]
    defaults = workers_defaults()
    for option in cluster.CLUSTER_OPTIONS:
        assert spec[option].get("default") is None, option
        assert options[option].get("default") is None, option
        if option in defaults:
            text = " ".join(options[option]["description"])
            assert "Default V(%s)" % defaults[option] in text \
                or "Default C(%s)" % defaults[option] in text, (option, text)


@pytest.mark.parametrize("name", CLUSTER_MODULES)
def test_kubeadm_config_is_never_logged(name, monkeypatch):
    assert argument_spec(name, monkeypatch)["argument_spec"]["kubeadm_config"]["no_log"] is True


@pytest.mark.parametrize("role", ["pki", "control_plane"])
def test_each_role_has_one_variable_per_cluster_option_defaulting_to_null(role, monkeypatch):
    """The roles read the same kubeforge_<option> variables; null leaves the field to kubeforge_kubeadm_config."""
    import yaml

    cluster = cluster_module_utils(monkeypatch)
    root = COLLECTIONS / "ansible_collections/kubeforge/cluster/roles" / role
    spec = yaml.safe_load((root / "meta/argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    defaults = yaml.safe_load((root / "defaults/main.yml").read_text())
    for option, want in cluster.CLUSTER_OPTIONS.items():
        var = "kubeforge_" + option
        assert var in spec and var in defaults, var
        assert defaults[var] is None and "default" not in spec[var], var
        assert spec[var]["type"] == want["type"] and spec[var].get("elements") == want.get("elements"), var
    assert sorted(spec) == sorted(defaults), set(spec) ^ set(defaults)
