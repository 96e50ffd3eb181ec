"""static_pods' etcd_join through ansible-playbook, the real worker jar and a real etcd v3.6.5 that runs
with the worker's own etcd certificates (client and peer TLS with client certificates, as kubeadm runs
it). A second node (cp-2, peer https://127.0.0.2:2380) joins it: check mode reads the members and writes
nothing; a real run adds the learner, writes etcd.yaml with both members and the existing state, and
- since no kubelet starts that member here - fails after its timeout with a named error; a second run
does not add it again. The promotion of a running learner is proven in conformance/ (join_proof.py)."""

import json
import os
import shutil
import ssl
import subprocess
import time
import urllib.request

import pytest
import yaml

from conftest import KUBE_BIN, Ansible, free_port, kube_binaries
from test_collection_contract import assert_result_matches_return

BIN = KUBE_BIN
JOINING_PEER = "https://127.0.0.2:2380"


@pytest.fixture(scope="module")
def etcd(shared_home, tmp_path_factory):
    kube_binaries("etcd")
    root = tmp_path_factory.mktemp("etcdjoin")
    ansible = Ansible(shared_home, root)
    pki = root / "pki"
    assert not ansible.module("pki", {"cert_dir": str(pki), "node_name": "cp-1", "advertise_address": "127.0.0.1",
                                      "key_algorithm": "ECDSA-P256"}).get("failed")
    client, peer = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    e = pki / "etcd"
    with open(root / "etcd.log", "wb") as log:
        proc = subprocess.Popen([os.path.join(BIN, "etcd"), "--name=cp-1", "--data-dir=%s" % (root / "data"),
                                 "--listen-client-urls=https://127.0.0.1:%d" % client,
                                 "--advertise-client-urls=https://127.0.0.1:%d" % client,
                                 "--listen-peer-urls=https://127.0.0.1:%d" % peer,
                                 "--initial-advertise-peer-urls=https://127.0.0.1:%d" % peer,
                                 "--initial-cluster=cp-1=https://127.0.0.1:%d" % peer,
                                 "--cert-file=%s" % (e / "server.crt"), "--key-file=%s" % (e / "server.key"),
                                 "--trusted-ca-file=%s" % (e / "ca.crt"), "--client-cert-auth=true",
                                 "--peer-cert-file=%s" % (e / "peer.crt"), "--peer-key-file=%s" % (e / "peer.key"),
                                 "--peer-trusted-ca-file=%s" % (e / "ca.crt"), "--peer-client-cert-auth=true",
                                 "--listen-metrics-urls=http://127.0.0.1:%d" % free_port()],
                                stdout=log, stderr=log, env=env)
    url = "https://127.0.0.1:%d" % client
    deadline = time.time() + 60
    while True:
        try:
            members(pki, url)
            break
        except Exception:  # noqa: BLE001 - not up yet
            if time.time() > deadline or proc.poll() is not None:
                raise AssertionError((root / "etcd.log").read_text()[-3000:])
            time.sleep(0.3)
    yield ansible, root, url, peer
    proc.terminate()
    proc.wait(timeout=30)
    shutil.rmtree(root / "data", ignore_errors=True)


def members(pki, url):
    ctx = ssl.create_default_context(cafile=str(pki / "etcd" / "ca.crt"))
    ctx.load_cert_chain(str(pki / "apiserver-etcd-client.crt"), str(pki / "apiserver-etcd-client.key"))
    req = urllib.request.Request(url + "/v3/cluster/member/list", data=b"{}", method="POST")
    with urllib.request.urlopen(req, context=ctx, timeout=5) as r:
        return json.loads(r.read())["members"]


def joining(root, url, **extra):
    args = {"cert_dir": str(root / "pki"), "kubeconfig_dir": str(root / "cp-2"),
            "manifest_dir": str(root / "cp-2" / "manifests"), "node_name": "cp-2", "advertise_address": "127.0.0.2",
            "etcd_join": {"endpoints": [url], "timeout": 5}}
    args.update(extra)
    return args


def test_a_joining_member_is_added_as_a_learner_once_and_listed_in_initial_cluster(etcd):
    ansible, root, url, peer = etcd
    first = "cp-1=https://127.0.0.1:%d" % peer
    check = ansible.module("static_pods", joining(root, url), check=True)
    assert check["changed"] is True and not check.get("failed"), check.get("msg", check)
    m = check["etcd_member"]
    assert m["action"] == "added" and m["peer_url"] == JOINING_PEER and m["id"] is None, m
    assert sorted(m["initial_cluster"].split(",")) == sorted([first, "cp-2=" + JOINING_PEER]), m
    assert not (root / "cp-2" / "manifests").exists(), "check mode wrote manifests"
    assert len(members(root / "pki", url)) == 1, "check mode added a member"
    assert_result_matches_return("static_pods", check, True)

    real = ansible.module("static_pods", joining(root, url))
    assert real["failed"] is True and "did not start within 5 s" in real["msg"], real
    assert "Traceback" not in str(real)
    listed = members(root / "pki", url)
    learner = [x for x in listed if x.get("isLearner")]
    assert len(listed) == 2 and [x["peerURLs"] for x in learner] == [[JOINING_PEER]], listed
    manifest = yaml.safe_load((root / "cp-2" / "manifests" / "etcd.yaml").read_text())
    flags = [a for a in manifest["spec"]["containers"][0]["command"] if a.startswith("--initial-cluster")]
    # etcd lists members by id, so the real order is known only once the member is added: check mode
    # (no id yet) names the same members, perhaps in another order
    assert "--initial-cluster-state=existing" in flags, flags
    written = [a.split("=", 1)[1] for a in flags if a.startswith("--initial-cluster=")]
    assert len(written) == 1 and sorted(written[0].split(",")) == sorted(m["initial_cluster"].split(",")), flags
    assert oct((root / "cp-2" / "manifests" / "etcd.yaml").stat().st_mode & 0o777) == "0o600"

    again = ansible.module("static_pods", joining(root, url), check=True)
    assert again["etcd_member"]["action"] == "present" and again["changed"] is True, again  # still to promote
    assert again["etcd_member"]["initial_cluster"] == written[0], again["etcd_member"]
    assert {x["action"] for x in again["manifests"]} == {"kept"}, again["manifests"]
    assert len(members(root / "pki", url)) == 2, "added twice"
