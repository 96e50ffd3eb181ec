#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: reconfigure
short_description: Apply a changed SAN list, advertise address or control-plane endpoint to a running control plane
version_added: 0.5.0
description:
  - One call for what kubeadm leaves to deleting files and re-running phases by hand after
    O(apiserver_cert_sans), O(advertise_address) or O(control_plane_endpoint) changes, in three steps.
  - C(pki) - only the certificates whose names change are reissued, each with its own key unless
    O(reissue_new_key=true), after a backup. kube-apiserver serves a new serving certificate without a restart.
  - C(cluster) - the C(kubeadm-config) ConfigMap and C(cluster-info) (its server; the bootstrap signer
    re-signs it) follow the new configuration, through the admin.conf that still reaches the API server.
  - C(kubeconfigs) - a kubeconfig whose server moved has only that line rewritten, so every identity stays.
  - A step that fails stops the call; the steps before it stay done and a second run finishes the rest.
    A second run with nothing left to do reports C(changed=false) and writes nothing.
  - Check mode runs the three steps as dry runs (the API server's C(dryRun=All) for the objects); the
    diff shows every certificate, kubeconfig and object that would change.
  - Restart the static Pods whose flags change (an advertise address is in kube-apiserver's and etcd's
    manifests) with M(kubeforge.cluster.static_pods); an etcd member's peer URL is not changed here.
  - The kubeforge worker on the managed host does the work (C(POST /v1/reconfigure)).
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
    details: Every step runs as a dry run; nothing is written to disk or stored in the cluster.
  diff_mode:
    support: full
    details: Per step, the certificates, kubeconfigs and objects before and after.
  platform:
    platforms: posix
  action_group:
    support: full
    membership: [kubeforge.cluster.cluster, kubeforge.cluster.worker]
options:
  backup:
    description:
      - Back up each certificate, key and kubeconfig before it is replaced.
    type: bool
    default: true
  reissue_new_key:
    description:
      - Give each reissued certificate a new private key too.
    type: bool
    default: false
  kubeconfig:
    description:
      - The kubeconfig to talk to the API server with. Defaults to C(<kubeconfig_dir>/admin.conf) as it is
        before this call rewrites its server.
    type: path
  timeout:
    description:
      - Seconds one API operation may take, retries included (the worker's default is 30).
    type: int
  sign_cluster_info:
    description:
      - As for M(kubeforge.cluster.cluster_bootstrap) - whether kubeforge signs C(cluster-info) when the
        controller-manager's bootstrap signer does not.
    type: str
    choices: [auto, always, never]
    default: auto
seealso:
  - module: kubeforge.cluster.pki
  - module: kubeforge.cluster.kubeconfig
  - module: kubeforge.cluster.cluster_bootstrap
"""

EXAMPLES = r"""
- name: Serve the API under one more name, and publish it
  kubeforge.cluster.reconfigure:
    kubeadm_config: /etc/kubernetes/kubeadm-config.yaml
    apiserver_cert_sans: [api.example.com, 192.0.2.100]
  register: reconfigured

- name: Move the cluster behind a load balancer (check mode first shows what would change)
  kubeforge.cluster.reconfigure:
    kubeadm_config: /etc/kubernetes/kubeadm-config.yaml
    control_plane_endpoint: lb.example.com:6443
  check_mode: true
  diff: true
"""

RETURN = r"""
pki:
  description: The C(pki) step's facts, as M(kubeforge.cluster.pki) returns them.
  returned: success
  type: dict
cluster:
  description: The C(cluster) step's facts, as M(kubeforge.cluster.cluster_bootstrap) returns them.
  returned: success
  type: dict
kubeconfigs:
  description: The C(kubeconfigs) step's facts, as M(kubeforge.cluster.kubeconfig) returns them.
  returned: success
  type: dict
changed_steps:
  description: The steps that changed something (or, in check mode, would).
  returned: success
  type: list
  elements: str
  sample: [pki, cluster]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeforge.cluster.plugins.module_utils.cluster import (
    cluster_argument_spec,
    cluster_request,
)
from ansible_collections.kubeforge.cluster.plugins.module_utils.worker_client import (
    call_and_exit,
)

OWN = ("backup", "reissue_new_key", "kubeconfig", "timeout", "sign_cluster_info")


def main():
    module = AnsibleModule(
        argument_spec=cluster_argument_spec(
            backup=dict(type="bool", default=True),
            reissue_new_key=dict(type="bool", default=False),
            kubeconfig=dict(type="path"),
            timeout=dict(type="int"),
            sign_cluster_info=dict(type="str", choices=["auto", "always", "never"], default="auto"),
        ),
        required_one_of=[("advertise_address", "kubeadm_config")],
        supports_check_mode=True,
    )
    call_and_exit(module, "/v1/reconfigure", cluster_request(module.params, OWN, own_paths=("kubeconfig",)))


if __name__ == "__main__":
    main()
