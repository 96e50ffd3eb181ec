#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ca_rotate
short_description: Rotate a cluster CA or the service-account key without downtime, in three phases
version_added: 0.5.0
description:
  - Beyond kubeadm, which cannot rotate a CA. Three phases that a playbook drives across the nodes
    (see C(playbooks/rotate-ca.yml)); each is idempotent and keeps its state in files, so a run that
    stops midway resumes.
  - V(prepare) makes a new CA in C(<cert_dir>/rotation/<ca>/new.crt) and C(new.key) (0600) beside the old one
    and makes the trust bundle (C(ca.crt), C(front-proxy-ca.crt) or C(etcd/ca.crt)) hold the old, then the new CA;
    C(ca.key) stays the old key. For the kubernetes CA also every kubeconfig's C(certificate-authority-data)
    and, with O(update_cluster_info), C(kube-public/cluster-info); RV(ca_cert_hashes) then lists both join pins.
  - V(reissue) re-signs every leaf of that CA under O(cert_dir) and every embedded kubeconfig client
    certificate with the new CA (same subject, key, usages and SANs; new validity) while everything trusts both.
  - V(finish) makes the new CA C(ca.crt)/C(ca.key) alone and drops the old one from the bundles and kubeconfigs
    (every replaced file backed up). It refuses while a leaf is still signed by the old CA unless O(force).
  - For O(ca=service-account), V(prepare) makes a new C(sa.key) in the rotation folder and puts both public keys
    in C(sa.pub) (kube-apiserver verifies tokens with every key of C(--service-account-key-file)); V(reissue) makes
    the new key C(sa.key) (new tokens are signed with it); V(finish) leaves only the new public key in C(sa.pub).
  - The kubeforge worker on the managed host does the work (C(POST /v1/ca-rotate)).
author:
  - kubeforge maintainers (@kubeforge)
extends_documentation_fragment:
  - kubeforge.cluster.kube
  - kubeforge.cluster.worker
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Everything is computed; nothing is written, neither files nor cluster-info.
  diff_mode:
    support: full
    details: One line per file that would change, with the reason.
  platform:
    platforms: posix
  action_group:
    support: full
    membership: [kubeforge.cluster.worker]
options:
  phase:
    description:
      - The step of the rotation.
    type: str
    required: true
    choices: [prepare, reissue, finish]
  ca:
    description:
      - What to rotate; each on its own. Default V(kubernetes).
    type: str
    choices: [kubernetes, front-proxy, etcd, service-account]
  cert_dir:
    description:
      - The PKI folder. Default V(/etc/kubernetes/pki).
    type: path
  kubeconfigs:
    description:
      - File names in O(kubeconfig_dir) whose trust and embedded client certificate follow the kubernetes CA.
        Default C(admin.conf), C(super-admin.conf), C(controller-manager.conf), C(scheduler.conf), C(kubelet.conf)
        (those present).
    type: list
    elements: str
  new_cert:
    description:
      - The new CA (PEM, RV(new_cert) of the first control plane). Other control planes and workers take it
        instead of making their own.
    type: str
  new_key:
    description:
      - The new CA's key (or the new service-account key), PEM, for the other control planes. Never logged.
    type: str
  key_algorithm:
    description:
      - Key type of the new CA. Default that of the old one.
    type: str
  ca_certificate_validity:
    description:
      - Validity of the new CA, a Go duration. Default V(87600h).
    type: str
  certificate_validity:
    description:
      - Validity of re-signed leaves, a Go duration. Default V(8760h).
    type: str
  backup:
    description:
      - Back up a file before replacing it. Default V(true).
    type: bool
  force:
    description:
      - With V(finish), drop the old CA although some leaf is still signed by it (that leaf stops working).
    type: bool
  update_cluster_info:
    description:
      - Kubernetes CA only, on one control plane - also set C(kube-public/cluster-info)'s CA to the bundle (prepare)
        or the new CA (finish), through O(kubeconfig). Default V(false).
    type: bool
notes:
  - kube-controller-manager's signer reads exactly one certificate (C(--cluster-signing-cert-file)), so during a
    kubernetes CA rotation it must sign from the rotation folder; RV(controller_manager_extra_args) says how
    (give it to M(kubeforge.cluster.static_pods) as C(controller_manager_extra_args)); it is empty after V(finish).
  - Components that read certificates only at start (kube-controller-manager, kube-scheduler, the kubelet, etcd,
    and kube-apiserver for C(sa.pub) and its etcd client certificate) must restart after each phase that changed
    their files; C(playbooks/rotate-ca.yml) does this one control plane at a time.
seealso:
  - module: kubeforge.cluster.pki
  - module: kubeforge.cluster.cert_info
"""

EXAMPLES = r"""
- name: Trust a new kubernetes CA beside the old one (first control plane)
  kubeforge.cluster.ca_rotate:
    phase: prepare
    update_cluster_info: true
  register: prepared

- name: Re-sign every leaf and kubeconfig with it
  kubeforge.cluster.ca_rotate:
    phase: reissue

- name: Drop the old CA
  kubeforge.cluster.ca_rotate:
    phase: finish
    update_cluster_info: true
"""

RETURN = r"""
phase:
  description: The phase that ran.
  returned: success
  type: str
  sample: prepare
ca:
  description: What was rotated.
  returned: success
  type: str
  sample: kubernetes
rotation_dir:
  description: The folder holding the rotation's state (the new CA or key).
  returned: success
  type: str
  sample: /etc/kubernetes/pki/rotation/kubernetes/
state:
  description: prepared, reissued or finished.
  returned: success unless check mode of a first prepare
  type: str
  sample: prepared
new_cert:
  description: The new CA certificate (PEM), for the other nodes' O(new_cert).
  returned: certificate CAs, unless check mode of a first prepare
  type: str
  sample: "-----BEGIN CERTIFICATE-----\n..."
ca_cert_hashes:
  description: The join pins (C(sha256:) of each trusted CA's public key); both during the rotation.
  returned: certificate CAs
  type: list
  elements: str
  sample: ["sha256:1f0e...", "sha256:9ab3..."]
controller_manager_extra_args:
  description: The kube-controller-manager signer flags this phase needs (empty once finished or for other CAs).
  returned: certificate CAs, unless check mode of a first prepare
  type: dict
  sample: {cluster-signing-cert-file: /etc/kubernetes/pki/rotation/kubernetes/new.crt,
           cluster-signing-key-file: /etc/kubernetes/pki/rotation/kubernetes/new.key}
cluster_info:
  description: What happened to C(kube-public/cluster-info).
  returned: with O(update_cluster_info)
  type: dict
  sample: {action: updated, changed: true}
files:
  description: Every file looked at, with created, kept, updated or reissued and why.
  returned: success
  type: list
  elements: dict
  sample: [{path: /etc/kubernetes/pki/ca.crt, action: updated, reason: trust the old and the new CA}]
backups:
  description: The backups of replaced files.
  returned: success
  type: list
  elements: str
  sample: ["/etc/kubernetes/pki/ca.crt.2026-12-02T17-00-00.bak"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeforge.cluster.plugins.module_utils.kube import run_kube_module

OPTIONS = dict(
    phase=dict(type="str", required=True, choices=["prepare", "reissue", "finish"]),
    ca=dict(type="str", choices=["kubernetes", "front-proxy", "etcd", "service-account"]),
    cert_dir=dict(type="path"),
    kubeconfigs=dict(type="list", elements="str"),
    new_cert=dict(type="str"),
    new_key=dict(type="str", no_log=True),
    key_algorithm=dict(type="str"),
    ca_certificate_validity=dict(type="str"),
    certificate_validity=dict(type="str"),
    backup=dict(type="bool"),
    force=dict(type="bool"),
    update_cluster_info=dict(type="bool"),
)


def main():
    run_kube_module("/v1/ca-rotate", OPTIONS, AnsibleModule)


if __name__ == "__main__":
    main()
