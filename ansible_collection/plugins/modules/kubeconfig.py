#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kubeconfig
short_description: Write the kubeconfig files that C(kubeadm init phase kubeconfig all) writes
version_added: 0.2.0
description:
  - Creates, keeps or reissues C(admin.conf), C(super-admin.conf), C(controller-manager.conf),
    C(scheduler.conf) and C(kubelet.conf) under O(kubeconfig_dir), exactly as kubeadm - cluster name,
    server URL (O(control_plane_endpoint) if set, else O(advertise_address); the local endpoint for
    the controller manager and the scheduler), user and context names, the cluster CA and a client
    certificate and key signed by C(<cert_dir>/ca.key) with kubeadm's subjects and organisations,
    embedded.
  - Idempotent by comparison as kubeadm is - a file with the same CA data and server is kept (other
    fields, such as the cluster name, are not compared, as in kubeadm); any other is reissued (after a
    backup, see O(backup)) and RV(kubeconfigs[].reason) says why.
  - After a move of O(control_plane_endpoint) or O(advertise_address), O(reissue_on_name_change=true)
    rewrites only the files whose server changes and only their C(server) line (action V(updated),
    backup first), so the identities in them stay valid; kubeadm only warns about a different server.
  - Needs the CA made by M(kubeforge.cluster.pki) under O(cert_dir).
  - Reads the cluster model - O(kubeadm_config) and/or the options of the C(kubeforge.cluster.cluster)
    fragment; one of O(advertise_address) and O(kubeadm_config) is required.
  - The kubeforge worker on the managed host does the work (C(POST /v1/kubeconfigs)); this module only
    passes the options on.
author:
  - kubeforge maintainers (@kubeforge)
extends_documentation_fragment:
  - kubeforge.cluster.cluster
  - kubeforge.cluster.worker
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: The worker computes everything with C(dry_run) and writes nothing.
  diff_mode:
    support: full
    details: Each file's cluster, server, user and client certificate summary before and after; never key material.
  platform:
    platforms: posix
  action_group:
    support: full
    membership: [kubeforge.cluster.cluster, kubeforge.cluster.worker]
options:
  kubeconfigs:
    description:
      - The files to write. Default all five for an C(InitConfiguration) (or no configuration file),
        C(admin.conf), C(controller-manager.conf) and C(scheduler.conf) for a C(JoinConfiguration).
    type: list
    elements: str
    choices: [admin.conf, super-admin.conf, controller-manager.conf, scheduler.conf, kubelet.conf]
  backup:
    description:
      - Copy a file that is about to be replaced to C(<file>.<UTC timestamp>.bak) first (mode 0600).
    type: bool
    default: true
  reissue_on_name_change:
    description:
      - A file whose only difference is its server URL gets just that URL changed, keeping its client
        certificate and key (action V(updated)). Without it such a file is reissued with a new key.
    type: bool
    default: false
seealso:
  - module: kubeforge.cluster.pki
  - module: kubeforge.cluster.static_pods
  - module: kubeforge.cluster.cert_info
"""

EXAMPLES = r"""
- name: Write the five kubeconfig files as kubeadm init would
  kubeforge.cluster.kubeconfig:
    advertise_address: 192.0.2.10
    control_plane_endpoint: k8s.example.com:6443
  register: kubeconfigs

- name: Only admin.conf, from kubeadm's configuration file on the host
  kubeforge.cluster.kubeconfig:
    kubeadm_config: /etc/kubeadm/kubeadm.yaml
    kubeconfigs: [admin.conf]
"""

RETURN = r"""
kubeconfig_dir:
  description: Absolute path of the folder of the files.
  returned: success
  type: str
  sample: /etc/kubernetes
kubeconfigs:
  description: One entry per file.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The file name.
      type: str
      sample: admin.conf
    path:
      description: Absolute path of the file.
      type: str
      sample: /etc/kubernetes/admin.conf
    cluster:
      description: The cluster's name in the file.
      type: str
      sample: kubernetes
    server:
      description: The API server URL in the file.
      type: str
      sample: https://k8s.example.com:6443
    user:
      description: The user name, which is also the client certificate's CN.
      type: str
      sample: kubernetes-admin
    context:
      description: The context name.
      type: str
      sample: kubernetes-admin@kubernetes
    organizations:
      description: The client certificate's organisations (its groups).
      type: list
      elements: str
      sample: ["kubeadm:cluster-admins"]
    not_after:
      description: End of validity of the client certificate, RFC 3339 UTC.
      type: str
      sample: "2027-11-23T12:00:00Z"
    action:
      description:
        - What happened (or, in check mode, would happen) - V(created), V(kept),
          V(updated) (only the server changed, with O(reissue_on_name_change)) or V(reissued).
      type: str
      sample: kept
    reason:
      description: Why a file was reissued or updated, for example a different server or CA.
      type: str
      sample: "the existing file has an unexpected API server URL: expected https://k8s.example.com:6443, got https://192.0.2.10:6443"
backups:
  description: Backup files written before replacing files.
  returned: success
  type: list
  elements: str
  sample: ["/etc/kubernetes/admin.conf.20261123T120000Z.bak"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeforge.cluster.plugins.module_utils.cluster import (
    cluster_argument_spec,
    cluster_request,
)
from ansible_collections.kubeforge.cluster.plugins.module_utils.worker_client import (
    call_and_exit,
)

KUBECONFIGS = ["admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf", "kubelet.conf"]


def main():
    module = AnsibleModule(
        argument_spec=cluster_argument_spec(
            kubeconfigs=dict(type="list", elements="str", choices=KUBECONFIGS),
            backup=dict(type="bool", default=True),
            reissue_on_name_change=dict(type="bool", default=False),
        ),
        required_one_of=[("advertise_address", "kubeadm_config")],
        supports_check_mode=True,
    )
    call_and_exit(module, "/v1/kubeconfigs", cluster_request(module.params, ("kubeconfigs", "backup", "reissue_on_name_change")))


if __name__ == "__main__":
    main()
