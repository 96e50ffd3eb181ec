#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kubelet_config
short_description: Write the kubelet's configuration as C(kubeadm init phase kubelet-start) does
version_added: 0.2.0
description:
  - Writes the kubelet's C(KubeletConfiguration) at O(kubelet_config_path) (C(/var/lib/kubelet/config.yaml)
    on a real host) with kubeadm's defaults - webhook authentication and authorisation, the client CA
    C(<cert_dir>/ca.crt), C(staticPodPath) O(manifest_dir), the cluster DNS address derived from
    O(service_subnet) (its tenth address, one per family for dual-stack) and O(dns_domain) - merged
    with a C(KubeletConfiguration) document of O(kubeadm_config), plus C(kubeadm-flags.env) and
    C(instance-config.yaml) beside it as kubeadm writes them.
  - Idempotent - a file with the same content is kept; another is rewritten after a backup (see O(backup)).
  - Reads the cluster model - O(kubeadm_config) and/or the options of the C(kubeforge.cluster.cluster)
    fragment.
  - The kubeforge worker on the managed host does the work (C(POST /v1/kubelet-config)); this module
    only passes the options on.
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
    details: The worker renders everything with C(dry_run) and writes nothing.
  diff_mode:
    support: full
    details: The three files' text before and after.
  platform:
    platforms: posix
  action_group:
    support: full
    membership: [kubeforge.cluster.cluster, kubeforge.cluster.worker]
options:
  backup:
    description:
      - Copy a file that is about to be replaced to C(<file>.<UTC timestamp>.bak) first.
    type: bool
    default: true
seealso:
  - module: kubeforge.cluster.static_pods
  - module: kubeforge.cluster.kubeconfig
"""

EXAMPLES = r"""
- name: Write the kubelet's configuration as kubeadm would
  kubeforge.cluster.kubelet_config:
    advertise_address: 192.0.2.10
    service_subnet: 10.96.0.0/12,fd00:10:96::/112
  register: kubelet

- name: Show the cluster DNS addresses
  ansible.builtin.debug:
    msg: "{{ kubelet.cluster_dns }}"
"""

RETURN = r"""
path:
  description: Absolute path of the C(KubeletConfiguration) file.
  returned: success
  type: str
  sample: /var/lib/kubelet/config.yaml
action:
  description: What happened to it (or, in check mode, would happen) - V(created), V(kept) or V(updated).
  returned: success
  type: str
  sample: kept
files:
  description: Every file written, with what happened to it.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The file name (C(config.yaml), C(instance-config.yaml), C(kubeadm-flags.env)).
      type: str
      sample: kubeadm-flags.env
    path:
      description: Absolute path of the file.
      type: str
      sample: /var/lib/kubelet/kubeadm-flags.env
    action:
      description: V(created), V(kept) or V(updated).
      type: str
      sample: kept
cluster_dns:
  description: The kubelet's C(clusterDNS) addresses.
  returned: success
  type: list
  elements: str
  sample: [10.96.0.10]
cluster_domain:
  description: The kubelet's C(clusterDomain).
  returned: success
  type: str
  sample: cluster.local
static_pod_path:
  description: The folder the kubelet watches for static Pods.
  returned: success
  type: str
  sample: /etc/kubernetes/manifests
backups:
  description: Backup files written before replacing files.
  returned: success
  type: list
  elements: str
  sample: ["/var/lib/kubelet/config.yaml.20261123T120000Z.bak"]
owner:
  description: Owner of the file at RV(path) (Ansible adds the file's attributes to any result with a C(path)).
  returned: success, when the file exists
  type: str
  sample: root
group:
  description: Group of the file at RV(path).
  returned: success, when the file exists
  type: str
  sample: root
uid:
  description: Owner id of the file at RV(path).
  returned: success, when the file exists
  type: int
  sample: 0
gid:
  description: Group id of the file at RV(path).
  returned: success, when the file exists
  type: int
  sample: 0
mode:
  description: Permissions of the file at RV(path), in octal.
  returned: success, when the file exists
  type: str
  sample: "0600"
size:
  description: Size of the file at RV(path) in bytes.
  returned: success, when the file exists
  type: int
  sample: 412
state:
  description: V(file) when the file at RV(path) exists.
  returned: success, when the file exists
  type: str
  sample: file
secontext:
  description: SELinux context of the file at RV(path), on hosts with SELinux.
  returned: success, when the file exists and SELinux is enabled
  type: str
  sample: system_u:object_r:etc_t:s0
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeforge.cluster.plugins.module_utils.cluster import (
    cluster_argument_spec,
    cluster_request,
)
from ansible_collections.kubeforge.cluster.plugins.module_utils.worker_client import (
    call_and_exit,
)


def main():
    module = AnsibleModule(
        argument_spec=cluster_argument_spec(backup=dict(type="bool", default=True)),
        supports_check_mode=True,
    )
    call_and_exit(module, "/v1/kubelet-config", cluster_request(module.params, ("backup",)))


if __name__ == "__main__":
    main()
