#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: download_certs
short_description: Download the shared CAs and service-account keys as C(kubeadm join --control-plane --certificate-key) does
version_added: 0.4.0
description:
  - Reads C(kube-system/kubeadm-certs) (what M(kubeforge.cluster.upload_certs) or C(kubeadm init phase
    upload-certs --upload-certs) uploaded), opens every entry with O(certificate_key) (AES-GCM), and writes
    C(ca.crt/key), C(front-proxy-ca.crt/key), C(sa.pub/key) and C(etcd/ca.crt/key) (or the external etcd
    files) under O(cert_dir); then M(kubeforge.cluster.pki) makes this node's own certificates from them.
  - Every entry is opened before anything is written - a wrong key, a missing entry, a missing Secret or one
    whose owner token has expired is a clear error and writes nothing.
  - Private keys 0600, certificates and public keys 0644 (as kubeadm). Each file is compared first (a second
    run writes nothing), backed up when different, and a key is committed together with its certificate.
  - The kubeforge worker on the managed host does the work (C(POST /v1/download-certs)).
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
    details: The Secret is read and opened; nothing is written.
  diff_mode:
    support: none
  platform:
    platforms: posix
  action_group:
    support: full
    membership: [kubeforge.cluster.worker]
options:
  cert_dir:
    description:
      - The PKI folder. Default V(/etc/kubernetes/pki).
    type: path
  certificate_key:
    description:
      - The key the Secret is sealed under, hexadecimal (64 characters as kubeadm makes it; 32 and 48 are accepted).
    type: str
    required: true
  etcd_external_ca_file:
    description:
      - Where the external etcd CA goes (when the Secret was uploaded for external etcd).
      - When none of C(etcd_external_*) is set and the Secret holds external etcd files, each goes where the
        cluster's ClusterConfiguration (C(kube-system/kubeadm-config), C(etcd.external)) names it, as
        C(kubeadm join) writes them.
    type: path
  etcd_external_cert_file:
    description:
      - Where the external etcd client certificate goes.
    type: path
  etcd_external_key_file:
    description:
      - Where the external etcd client key goes.
    type: path
  backup:
    description:
      - Back up a file before replacing it. Default V(true).
    type: bool
notes:
  - "On a joining node, use O(kubeconfig) C(/etc/kubernetes/bootstrap-kubelet.conf) (from M(kubeforge.cluster.discovery)):
    kubeadm's RBAC lets its token read this Secret only."
seealso:
  - module: kubeforge.cluster.upload_certs
  - module: kubeforge.cluster.discovery
"""

EXAMPLES = r"""
- name: Fetch the shared CAs for this additional control plane
  kubeforge.cluster.download_certs:
    kubeconfig: /etc/kubernetes/bootstrap-kubelet.conf
    certificate_key: "{{ hostvars[groups['control_plane'][0]].uploaded.certificate_key }}"
  no_log: true
"""

RETURN = r"""
cert_dir:
  description: The PKI folder.
  returned: success
  type: str
  sample: /etc/kubernetes/pki
files:
  description: One entry per file of the Secret that was not empty.
  returned: success
  type: list
  elements: dict
  contains:
    key:
      description: The Secret's data key.
      type: str
    path:
      description: Where it is written.
      type: str
    mode:
      description: C(0600) for private keys, C(0644) for certificates and public keys.
      type: str
    action:
      description: created, kept or updated.
      type: str
  sample: [{key: ca.crt, path: /etc/kubernetes/pki/ca.crt, mode: "0644", action: created}]
backups:
  description: The backups of replaced files.
  returned: success
  type: list
  elements: str
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeforge.cluster.plugins.module_utils.kube import run_kube_module

OPTIONS = dict(
    cert_dir=dict(type="path"),
    certificate_key=dict(type="str", no_log=True, required=True),
    etcd_external_ca_file=dict(type="path"),
    etcd_external_cert_file=dict(type="path"),
    etcd_external_key_file=dict(type="path"),
    backup=dict(type="bool"),
)


def main():
    run_kube_module("/v1/download-certs", OPTIONS, AnsibleModule)


if __name__ == "__main__":
    main()
