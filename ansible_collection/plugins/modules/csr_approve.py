#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: csr_approve
short_description: Approve the kubelets' serving certificate requests that name only their own Node's addresses
version_added: 0.4.0
description:
  - Beyond kubeadm. With C(serverTLSBootstrap=true) in the kubelet configuration each kubelet asks for its serving certificate with a
    C(kubernetes.io/kubelet-serving) CertificateSigningRequest that nothing approves; this module approves
    the pending ones that are safe to approve.
  - "A CSR is approved only when the requester (C(spec.username)) is C(system:node:<name>) in the group
    C(system:nodes); the request's subject is exactly C(CN=system:node:<name>, O=system:nodes); its usages
    are exactly the kubelet's (C(digital signature), C(key encipherment) with an RSA key, C(server auth));
    it names DNS and IP subject alternative names only, at least one, each the Node's name or one of its
    C(status.addresses) (InternalIP, ExternalIP, Hostname, InternalDNS, ExternalDNS); and its signature verifies."
  - A CSR that fails a rule is denied with O(deny_invalid), else left pending; each decision is returned
    with its reason (a SAN outside the Node's addresses is named).
  - The approval is a C(Approved) (or C(Denied)) condition with reason C(KubeforgeApproved) (C(KubeforgeDenied))
    written through the CSR's C(approval) subresource, as C(kubectl certificate approve) does; the
    controller-manager's signer then issues the certificate.
  - CSRs of other signers, and those already approved or denied, are never touched, so a second run
    reports C(changed=false).
  - The kubeforge worker on the managed host does the work (C(POST /v1/csr-approve)).
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
    details: The decisions are computed and sent to the API server as a dry run; nothing is stored.
  diff_mode:
    support: none
  platform:
    platforms: posix
  action_group:
    support: full
    membership: [kubeforge.cluster.worker]
options:
  deny_invalid:
    description:
      - Deny the pending kubelet-serving CSRs that fail a rule. When V(false) they are left pending (and reported).
    type: bool
    default: false
seealso:
  - module: kubeforge.cluster.kubelet_config
"""

EXAMPLES = r"""
- name: Approve the kubelets' serving certificates
  kubeforge.cluster.csr_approve:
  register: csrs

- name: Approve, and deny what a node may not ask for
  kubeforge.cluster.csr_approve:
    deny_invalid: true
"""

RETURN = r"""
csrs:
  description: One entry per pending C(kubernetes.io/kubelet-serving) CSR, by name.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The CSR's name.
      type: str
    username:
      description: Who asked for it (C(spec.username)).
      type: str
    node:
      description: The node the requester is, or null when the requester is not a node.
      type: str
    decision:
      description: approved, denied or pending (left as it was); in check mode what would be done.
      type: str
    reason:
      description: Why.
      type: str
  sample: [{name: csr-7x2bq, username: "system:node:worker-1", node: worker-1, decision: approved,
            reason: requested by node worker-1 for its own name and addresses}]
approved:
  description: How many CSRs were (or would be) approved.
  returned: success
  type: int
  sample: 1
denied:
  description: How many CSRs were (or would be) denied.
  returned: success
  type: int
  sample: 0
pending:
  description: How many invalid CSRs were left pending.
  returned: success
  type: int
  sample: 0
already_decided:
  description: How many kubelet-serving CSRs were already approved or denied (not touched).
  returned: success
  type: int
  sample: 3
other_signers:
  description: How many CSRs of other signers were seen (never touched).
  returned: success
  type: int
  sample: 2
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeforge.cluster.plugins.module_utils.kube import run_kube_module

OPTIONS = dict(
    deny_invalid=dict(type="bool", default=False),
)


def main():
    run_kube_module("/v1/csr-approve", OPTIONS, AnsibleModule)


if __name__ == "__main__":
    main()
