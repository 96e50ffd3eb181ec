"""Each module's documentation (as ansible-doc renders it) matches its argument spec, key by key."""

import importlib
import json
import subprocess
import sys

import pytest

from conftest import BIN, COLLECTIONS

MODULES = ["pki", "cert_info", "worker"]


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
    assert sorted(runtime["action_groups"]["worker"]) == sorted(MODULES)


def test_no_module_option_can_carry_the_token(monkeypatch):
    for name in MODULES:
        options = argument_spec(name, monkeypatch)["argument_spec"]
        assert not [o for o in options if "token" in o or "password" in o or "secret" in o], name
