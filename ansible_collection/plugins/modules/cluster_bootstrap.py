#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cluster_bootstrap
short_description: Create what C(kubeadm init) creates in the cluster once the API server is up
version_added: 0.3.0
description:
  - Applies, through the API server, the objects of C(kubeadm init phase upload-config all),
    C(mark-control-plane), C(bootstrap-token) (all but the token Secret, see M(kubeforge.cluster.bootstrap_token))
    and C(addon all), as kubeadm 1.34 renders them - the C(kubeadm:apiserver-kubelet-client) binding,
    the bootstrap-token RBAC (C(kubeadm:kubelet-bootstrap), C(kubeadm:node-autoapprove-bootstrap),
    C(kubeadm:node-autoapprove-certificate-rotation), C(kubeadm:get-nodes)), C(cluster-info) in
    C(kube-public) readable by anonymous, the C(kubeadm-config) and C(kubelet-config) ConfigMaps and
    their RBAC, the control-plane labels and taints of the Node, and the kube-proxy and CoreDNS addons.
  - Every object is server-side applied (field manager C(kubeforge)); an unchanged object is not
    written, so a second run reports C(changed=false). Check mode asks the API server for a dry run.
  - A Node that has not registered yet is reported in RV(node), not waited for; run again once its
    kubelet has joined.
  - Reads the cluster model - O(kubeadm_config) and/or the options of the C(kubeforge.cluster.cluster)
    fragment - and talks to the API server with O(kubeconfig).
  - The kubeforge worker on the managed host does the work (C(POST /v1/cluster-bootstrap)).
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
    details: Every apply is sent with C(dryRun=All); nothing is stored.
  diff_mode:
    support: none
  platform:
    platforms: posix
  action_group:
    support: full
    membership: [kubeforge.cluster.worker]
options:
  kubeconfig:
    description:
      - The kubeconfig to talk to the API server with. Defaults to C(<kubeconfig_dir>/admin.conf).
      - Its current cluster (server and CA) is what C(cluster-info) publishes, as kubeadm copies admin.conf's.
    type: path
  timeout:
    description:
      - Seconds one API operation may take, retries included (the worker's default is 30).
    type: int
  skip_phases:
    description:
      - kubeadm's phase names to leave out, as C(kubeadm init --skip-phases) takes them.
      - When empty, the C(skipPhases) of the InitConfiguration in O(kubeadm_config) apply, as kubeadm
        prefers the flag over the config; C(dns.disabled) and C(proxy.disabled) skip their addon.
      - A skipped addon is uploaded in C(kubeadm-config) as disabled, as kubeadm does.
    type: list
    elements: str
    choices: [upload-config/all, upload-config/kubeadm, upload-config/kubelet, mark-control-plane,
              bootstrap-token, addon/all, addon/coredns, addon/kube-proxy]
    default: []
  taints:
    description:
      - The control-plane Node's taints, merged into the Node's own as kubeadm merges them (these
        first, then the Node's others). Overrides C(nodeRegistration.taints) of O(kubeadm_config).
      - Unset in both means C(node-role.kubernetes.io/control-plane:NoSchedule); an empty list means none.
    type: list
    elements: dict
  sign_cluster_info:
    description:
      - Whether C(cluster-info) gets C(jws-kubeconfig-<token id>) signatures from kubeforge when the
        controller-manager's bootstrap signer does not add them (V(auto)), always, or never.
    type: str
    choices: [auto, always, never]
    default: auto
seealso:
  - module: kubeforge.cluster.kubeconfig
  - module: kubeforge.cluster.static_pods
"""

EXAMPLES = r"""
- name: Create the cluster objects of kubeadm init
  kubeforge.cluster.cluster_bootstrap:
    kubeadm_config: /etc/kubernetes/kubeadm-config.yaml
  register: cluster

- name: Everything but the kube-proxy addon (a CNI replaces it)
  kubeforge.cluster.cluster_bootstrap:
    advertise_address: 192.0.2.10
    skip_phases: [addon/kube-proxy]
"""

RETURN = r"""
objects:
  description: Every object applied, in kubeadm's order, with what happened to it.
  returned: success
  type: list
  elements: dict
  contains:
    kind:
      description: The object's kind.
      type: str
      sample: ClusterRoleBinding
    namespace:
      description: Its namespace (absent for cluster-scoped objects).
      type: str
      sample: kube-system
    name:
      description: Its name.
      type: str
      sample: kubeadm:get-nodes
    action:
      description: V(created), V(updated) or V(unchanged).
      type: str
      sample: unchanged
node:
  description: The control-plane Node and its marking.
  returned: success
  type: dict
  contains:
    name:
      description: The Node's name.
      type: str
      sample: cp-1
    registered:
      description: Whether the Node exists (its kubelet has registered).
      type: bool
      sample: true
    message:
      description: Why the Node was not marked, when it has not registered yet.
      type: str
      sample: Node cp-1 is not registered yet (its kubelet has not joined)
    labels:
      description: The control-plane labels it carries.
      type: list
      elements: str
      sample: [node-role.kubernetes.io/control-plane]
    taints:
      description: Its taints after the merge, as C(key[=value]:effect).
      type: list
      elements: str
      sample: ["node-role.kubernetes.io/control-plane:NoSchedule"]
cluster_info_signatures:
  description: The C(jws-kubeconfig-<token id>) signature of cluster-info per signing token.
  returned: success
  type: list
  elements: dict
  contains:
    token_id:
      description: The token's id.
      type: str
      sample: abcdef
    signed_by:
      description: V(signer) (the controller-manager signed it), V(kubeforge) (signed here) or V(none).
      type: str
      sample: signer
    changed:
      description: Whether kubeforge wrote the signature.
      type: bool
      sample: false
skipped_phases:
  description: The phases left out.
  returned: success
  type: list
  elements: str
  sample: [addon/kube-proxy]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeforge.cluster.plugins.module_utils.cluster import (
    cluster_argument_spec,
    cluster_request,
)
from ansible_collections.kubeforge.cluster.plugins.module_utils.worker_client import (
    call_and_exit,
)

PHASES = ["upload-config/all", "upload-config/kubeadm", "upload-config/kubelet", "mark-control-plane",
          "bootstrap-token", "addon/all", "addon/coredns", "addon/kube-proxy"]
OWN = ("kubeconfig", "timeout", "skip_phases", "taints", "sign_cluster_info")


def main():
    module = AnsibleModule(
        argument_spec=cluster_argument_spec(
            kubeconfig=dict(type="path"),
            timeout=dict(type="int"),
            skip_phases=dict(type="list", elements="str", choices=PHASES, default=[]),
            taints=dict(type="list", elements="dict"),
            sign_cluster_info=dict(type="str", choices=["auto", "always", "never"], default="auto"),
        ),
        supports_check_mode=True,
    )
    call_and_exit(module, "/v1/cluster-bootstrap", cluster_request(module.params, OWN, own_paths=("kubeconfig",)))


if __name__ == "__main__":
    main()
