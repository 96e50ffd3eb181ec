"""kubeconfig, static_pods, encryption_config and kubelet_config against the real worker.

The behaviour they share (create, keep, check mode, diff, bad input, kubeadm_config as text or as a
path, options over the YAML) is tested for each module; what is special to one module follows.
"""

import hashlib
import json
import os
import re
import shutil

import pytest

from conftest import Ansible
from test_docs import rendered_doc
from test_pki import ANSIBLE_KEYS, assert_clean_failure

MODULES = ["kubeconfig", "static_pods", "encryption_config", "kubelet_config"]
KUBECONFIGS = ["admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf", "kubelet.conf"]
MANIFESTS = ["etcd.yaml", "kube-apiserver.yaml", "kube-controller-manager.yaml", "kube-scheduler.yaml"]
KUBELET_FILES = ["config.yaml", "kubeadm-flags.env", "instance-config.yaml"]


class Layout:
    """Where one test's files go: <root>/etc/kubernetes/{pki,manifests,...}, <root>/var/lib/kubelet."""

    def __init__(self, root):
        self.root = root
        self.etc = root / "etc" / "kubernetes"
        self.pki = self.etc / "pki"
        self.manifests = self.etc / "manifests"
        self.encryption = self.etc / "encryption" / "encryption-config.yaml"
        self.kubelet = root / "var" / "lib" / "kubelet" / "config.yaml"

    def options(self, **extra):
        args = {"cert_dir": str(self.pki), "kubeconfig_dir": str(self.etc), "manifest_dir": str(self.manifests),
                "kubelet_config_path": str(self.kubelet), "encryption_config_path": str(self.encryption)}
        args.update(extra)
        return args

    def args(self, **extra):
        return self.options(advertise_address="192.0.2.10", node_name="cp1", **extra)

    def files(self, name):
        """The files module `name` writes."""
        if name == "kubeconfig":
            return [self.etc / f for f in KUBECONFIGS]
        if name == "static_pods":
            return [self.manifests / f for f in MANIFESTS]
        if name == "encryption_config":
            return [self.encryption]
        return [self.kubelet.parent / f for f in KUBELET_FILES]

    def tree(self):
        """Maps every file but the PKI to (mtime_ns, sha256)."""
        return {str(p.relative_to(self.root)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
                for p in sorted(self.root.rglob("*")) if p.is_file() and self.pki not in p.parents}


def kubeadm_yaml(layout, cluster_name="yaml-cluster", service_subnet="10.100.0.0/16", extra=""):
    return (
        "apiVersion: kubeadm.k8s.io/v1beta4\n"
        "kind: InitConfiguration\n"
        "localAPIEndpoint:\n"
        "  advertiseAddress: 192.0.2.10\n"
        "nodeRegistration:\n"
        "  name: cp1\n"
        "---\n"
        "apiVersion: kubeadm.k8s.io/v1beta4\n"
        "kind: ClusterConfiguration\n"
        "clusterName: %s\n"
        "certificatesDir: %s\n"
        "networking:\n"
        "  serviceSubnet: %s\n"
        "%s" % (cluster_name, layout.pki, service_subnet, extra))


@pytest.fixture(scope="module")
def ca_tree(shared_home, tmp_path_factory):
    """One kubeadm PKI made by kubeforge.cluster.pki; tests copy it."""
    root = tmp_path_factory.mktemp("ca")
    layout = Layout(root)
    result = Ansible(shared_home, root).module("pki", layout.args())
    assert not result.get("failed"), result
    return layout.pki


@pytest.fixture
def layout(tmp_path, ca_tree):
    layout = Layout(tmp_path / "host")
    shutil.copytree(ca_tree, layout.pki)
    return layout


@pytest.fixture(params=MODULES)
def name(request):
    return request.param


def test_a_first_run_writes_every_file_and_reports_what_it_did(ansible, layout, name):
    result = ansible.module(name, layout.args())
    assert not result.get("failed"), result
    assert result["changed"] is True
    for path in layout.files(name):
        assert path.is_file(), path
    documented = rendered_doc(name)["return"]
    assert set(result) - ANSIBLE_KEYS <= set(documented), set(result) - ANSIBLE_KEYS - set(documented)


def test_a_second_run_reports_no_change_and_touches_no_file(ansible, layout, name):
    assert ansible.module(name, layout.args())["changed"] is True
    before = layout.tree()
    result = ansible.module(name, layout.args())
    assert result["changed"] is False, result
    assert layout.tree() == before


def test_check_mode_reports_the_change_and_writes_nothing(ansible, layout, name):
    result = ansible.module(name, layout.args(), check=True)
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert layout.tree() == {}


def test_diff_mode_shows_the_files_before_and_after(ansible, layout, name):
    result = ansible.module(name, layout.args(), check=True, diff=True)
    diff = result["diff"]
    assert set(diff) >= {"before", "after"}
    assert diff["before"] != diff["after"]
    plain = ansible.module(name, layout.args(), check=True)
    assert "diff" not in plain


def test_an_unknown_field_in_kubeadm_config_fails_naming_it_without_a_traceback(ansible, layout, name):
    config = kubeadm_yaml(layout, extra="bogusField: 1\n")
    result = ansible.module(name, layout.options(kubeadm_config=config))
    assert_clean_failure(ansible, result, "ClusterConfiguration.bogusField")
    assert result["http_status"] == 400
    assert layout.tree() == {}


def test_a_bad_cidr_fails_naming_the_option_without_a_traceback(ansible, layout, name):
    result = ansible.module(name, layout.args(service_subnet="10.96.0.0/33"))
    assert_clean_failure(ansible, result, "service_subnet")
    assert result["field"] == "service_subnet"
    assert layout.tree() == {}


def test_kubeadm_config_as_text_and_as_a_path_give_the_same_files(ansible, layout, name, tmp_path):
    config = kubeadm_yaml(layout)
    first = ansible.module(name, layout.options(kubeadm_config=config))
    assert first["changed"] is True, first
    before = layout.tree()
    (tmp_path / "kubeadm.yaml").write_text(config)
    # relative: made absolute against the working directory (the test's tmp_path)
    again = ansible.module(name, layout.options(kubeadm_config="kubeadm.yaml"))
    assert not again.get("failed"), again
    assert again["changed"] is False, again
    assert layout.tree() == before


def test_kubeadm_config_text_is_not_logged(ansible, layout):
    result = ansible.module("static_pods", layout.options(kubeadm_config=kubeadm_yaml(layout)), check=True)
    assert "yaml-cluster" not in json.dumps(result["invocation"])
    assert "yaml-cluster" not in ansible.last.stdout


def test_an_option_overrides_the_kubeadm_config_field(ansible, layout):
    config = kubeadm_yaml(layout)
    kubeconfigs = ansible.module("kubeconfig", layout.options(kubeadm_config=config, cluster_name="opt-cluster"))
    assert {k["cluster"] for k in kubeconfigs["kubeconfigs"]} == {"opt-cluster"}
    ansible.module("static_pods", layout.options(kubeadm_config=config, service_subnet="10.200.0.0/16"))
    manifest = (layout.manifests / "kube-apiserver.yaml").read_text()
    assert "--service-cluster-ip-range=10.200.0.0/16" in manifest
    kubelet = ansible.module("kubelet_config", layout.options(kubeadm_config=config, dns_domain="opt.local"))
    assert kubelet["cluster_domain"] == "opt.local"
    assert kubelet["cluster_dns"] == ["10.100.0.10"]  # from the YAML's serviceSubnet


def test_without_options_the_kubeadm_config_fields_apply(ansible, layout):
    config = kubeadm_yaml(layout)
    kubeconfigs = ansible.module("kubeconfig", layout.options(kubeadm_config=config), check=True)
    assert {k["cluster"] for k in kubeconfigs["kubeconfigs"]} == {"yaml-cluster"}
    assert {k["server"] for k in kubeconfigs["kubeconfigs"] if k["name"] == "admin.conf"} == {"https://192.0.2.10:6443"}


def test_kubeconfigs_limits_the_files_written(ansible, layout):
    result = ansible.module("kubeconfig", layout.args(kubeconfigs=["admin.conf"]))
    assert [k["name"] for k in result["kubeconfigs"]] == ["admin.conf"]
    assert sorted(p.name for p in layout.etc.glob("*.conf")) == ["admin.conf"]


def test_an_unknown_kubeconfig_name_is_refused_with_the_choices(ansible, layout):
    result = ansible.module("kubeconfig", layout.args(kubeconfigs=["root.conf"]))
    assert_clean_failure(ansible, result, "kubeconfigs")
    assert "admin.conf" in result["msg"]


def test_a_changed_server_reissues_the_kubeconfigs_and_backs_them_up(ansible, layout):
    ansible.module("kubeconfig", layout.args())
    old = (layout.etc / "admin.conf").read_bytes()
    result = ansible.module("kubeconfig", layout.args(control_plane_endpoint="k8s.example.com:6443"), diff=True)
    admin = {k["name"]: k for k in result["kubeconfigs"]}["admin.conf"]
    assert admin["action"] == "reissued" and "https://k8s.example.com:6443" in admin["reason"], admin
    assert admin["server"] == "https://k8s.example.com:6443"
    assert any(open(b, "rb").read() == old for b in result["backups"])
    for name in KUBECONFIGS:  # neither the old nor the new client key is in the result or the diff
        for conf in [old.decode()] + [(layout.etc / name).read_text()]:
            key = re.search(r"client-key-data: (\S+)", conf).group(1)
            assert key[:64] not in json.dumps(result) + ansible.last.stdout


def test_reissue_on_name_change_rewrites_only_the_server_of_the_moved_kubeconfigs(ansible, layout):
    ansible.module("kubeconfig", layout.args())
    before = {name: (layout.etc / name).read_text() for name in KUBECONFIGS}
    args = layout.args(control_plane_endpoint="k8s.example.com:6443", reissue_on_name_change=True)
    result = ansible.module("kubeconfig", args, diff=True)
    actions = {k["name"]: k["action"] for k in result["kubeconfigs"]}
    assert actions == {name: "updated" if "admin" in name else "kept" for name in actions}, actions
    for name in KUBECONFIGS:
        expected = before[name].replace("server: https://192.0.2.10:6443", "server: https://k8s.example.com:6443") \
            if "admin" in name else before[name]
        assert (layout.etc / name).read_text() == expected, name
    assert sorted(open(b).read() for b in result["backups"]) == sorted(
        before[n] for n in KUBECONFIGS if "admin" in n)
    assert ansible.module("kubeconfig", args)["changed"] is False


def test_static_pods_wire_the_encryption_config_into_the_api_server(ansible, layout):
    ansible.module("static_pods", layout.args())
    assert "--encryption-provider-config=%s" % layout.encryption in (layout.manifests / "kube-apiserver.yaml").read_text()


def test_static_pods_without_an_encryption_config_leave_encryption_out(ansible, layout):
    args = layout.args()
    del args["encryption_config_path"]
    ansible.module("static_pods", args)
    assert "encryption-provider-config" not in (layout.manifests / "kube-apiserver.yaml").read_text()


def test_external_etcd_writes_no_etcd_manifest(ansible, layout):
    result = ansible.module("static_pods", layout.args(
        etcd_external_endpoints=["https://10.0.0.5:2379"], etcd_external_ca_file="/etc/etcd/ca.crt",
        etcd_external_cert_file="/etc/etcd/client.crt", etcd_external_key_file="/etc/etcd/client.key"))
    assert not result.get("failed"), result
    assert [m["name"] for m in result["manifests"]] == ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]
    assert "--etcd-servers=https://10.0.0.5:2379" in (layout.manifests / "kube-apiserver.yaml").read_text()


def test_the_kubelet_gets_the_cluster_dns_address_from_the_service_subnet(ansible, layout):
    result = ansible.module("kubelet_config", layout.args(service_subnet="10.100.0.0/16"))
    assert result["cluster_dns"] == ["10.100.0.10"]
    assert result["static_pod_path"] == str(layout.manifests)
    assert sorted(f["name"] for f in result["files"]) == sorted(KUBELET_FILES)


def secrets(path):
    return re.findall(r"secret: (\S+)", path.read_text())


def key_names(path):
    # names, not substrings: a key made in the same second as another is named <name>-2
    return re.findall(r"- name: (\S+)", path.read_text())


def test_encryption_rotate_keeps_the_old_key_and_retire_removes_it_and_no_key_material_is_returned(ansible, layout):
    results = []
    created = ansible.module("encryption_config", layout.args(), diff=True)
    results.append((created, ansible.last.stdout))
    first = created["active_key"]
    seen = set(secrets(layout.encryption))

    rotated = ansible.module("encryption_config", layout.args(rotate=True), diff=True)
    results.append((rotated, ansible.last.stdout))
    assert rotated["changed"] is True and rotated["action"] == "rotated"
    assert rotated["active_key"] != first
    assert [k["name"] for k in rotated["keys"]] == [rotated["active_key"], first]
    seen |= set(secrets(layout.encryption))
    assert len(seen) == 2

    retired = ansible.module("encryption_config", layout.args(retire_keys=[first]), diff=True)
    results.append((retired, ansible.last.stdout))
    assert retired["changed"] is True
    assert retired["retired"] == [first]
    assert [k["name"] for k in retired["keys"]] == [rotated["active_key"]]
    assert key_names(layout.encryption) == [rotated["active_key"]]

    kept = ansible.module("encryption_config", layout.args(), diff=True)
    results.append((kept, ansible.last.stdout))
    assert kept["changed"] is False

    for result, stdout in results:
        text = json.dumps(result) + stdout
        assert not [s for s in seen if s in text], "key material in a result"
    for backup in rotated["backups"] + retired["backups"]:
        assert os.stat(backup).st_mode & 0o777 == 0o600, backup


def test_the_encryption_config_is_readable_by_its_owner_only(ansible, layout):
    ansible.module("encryption_config", layout.args())
    assert layout.encryption.stat().st_mode & 0o777 == 0o600


def test_an_unknown_provider_is_refused_with_the_choices(ansible, layout):
    result = ansible.module("encryption_config", layout.args(provider="rot13"))
    assert_clean_failure(ansible, result, "provider")
    assert "secretbox" in result["msg"]


def test_retiring_the_active_key_fails_naming_the_entry(ansible, layout):
    created = ansible.module("encryption_config", layout.args())
    result = ansible.module("encryption_config", layout.args(retire_keys=[created["active_key"]]))
    assert_clean_failure(ansible, result, "retire_keys[0]")


def test_retiring_a_key_that_is_not_there_is_a_warning_not_a_change(ansible, layout):
    ansible.module("encryption_config", layout.args())
    result = ansible.module("encryption_config", layout.args(retire_keys=["gone"]))
    assert result["changed"] is False
    assert any("gone" in w for w in result["warnings"]), result
