#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tls_bootstrap
short_description: Do the kubelet's TLS bootstrap from bootstrap-kubelet.conf, before any container runtime exists
version_added: 0.4.0
description:
  - "What the kubelet does with C(--bootstrap-kubeconfig) (C(pkg/kubelet/certificate/bootstrap)): makes the node's
    ECDSA P-256 key, sends a CertificateSigningRequest for C(CN=system:node:<node_name>, O=system:nodes) with signer
    C(kubernetes.io/kube-apiserver-client-kubelet) and usages C(digital signature), C(client auth), authenticated
    with the bootstrap token of O(bootstrap_kubeconfig), and waits until it is issued."
  - "Writes what the kubelet writes - C(<cert_dir>/kubelet-client-<yyyy-MM-dd-HH-mm-ss>.pem) (certificate and key,
    0600), the link C(kubelet-client-current.pem) to it, and O(kubeconfig) (0600) whose user authenticates with that
    link - so a kubelet started later finds a valid C(kubelet.conf) and skips its own bootstrap."
  - The CSR is approved by whoever approves the kubelets' own (kube-controller-manager's C(csrapproving) controller
    with kubeadm's C(kubeadm:node-autoapprove-bootstrap) binding, or an administrator). Until then the key is kept
    in C(kubelet-client.key.tmp), as the kubelet does, so running again after a timeout reuses the same CSR.
  - When C(kubelet-client-current.pem) already holds an unexpired certificate for this node with its key, no CSR is
    made and nothing is written (C(changed=false)); only a O(kubeconfig) that does not point at it is rewritten.
  - "Refusals have their own C(code) - C(tls_bootstrap.token_rejected) (HTTP 401: the token is expired, deleted or
    wrong), C(tls_bootstrap.forbidden) (403: the token's groups may not create CSRs), C(tls_bootstrap.csr_denied),
    C(tls_bootstrap.csr_failed), C(tls_bootstrap.timeout) (not issued within O(timeout); the message says whether it
    was approved), C(tls_bootstrap.no_bootstrap_kubeconfig)."
  - The kubeforge worker on the managed host does the work (C(POST /v1/tls-bootstrap)).
author:
  - kubeforge maintainers (@kubeforge)
extends_documentation_fragment:
  - kubeforge.cluster.worker
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: The CSR is sent to the API server as a dry run (which checks the token and its rights); nothing is written.
  diff_mode:
    support: none
  platform:
    platforms: posix
  action_group:
    support: full
    membership: [kubeforge.cluster.worker]
options:
  bootstrap_kubeconfig:
    description:
      - The bootstrap kubeconfig with the token, as M(kubeforge.cluster.discovery) writes it.
    type: path
    default: /etc/kubernetes/bootstrap-kubelet.conf
  kubeconfig:
    description:
      - The kubeconfig to write (the kubelet's C(--kubeconfig)).
    type: path
    default: /etc/kubernetes/kubelet.conf
  cert_dir:
    description:
      - The kubelet's certificate folder (its C(--cert-dir)).
    type: path
    default: /var/lib/kubelet/pki
  node_name:
    description:
      - The node's name. Default - the host name in lower case, as the kubelet (give the kubelet's
        C(--hostname-override) here if it has one).
    type: str
  timeout:
    description:
      - Seconds to wait for the certificate, at most 110. Default V(60).
    type: int
  backup:
    description:
      - Back up O(kubeconfig) before replacing it. Default V(true).
    type: bool
  renew_unless_signed_by:
    description:
      - "Beyond kubeadm, for a rotation of the kubernetes CA: the PEM of one or more CA certificates. A current
        certificate that none of them signed is renewed as the kubelet's certificate manager rotates it - a new key,
        a CSR authenticated with O(kubeconfig)'s own credentials (kubeadm's
        C(kubeadm:node-autoapprove-certificate-rotation) binding approves it), a new C(kubelet-client-<time>.pem) and
        the link moved to it; O(kubeconfig) is kept. Restart the kubelet afterwards: it reads its certificate at start."
      - "Run it between M(kubeforge.cluster.ca_rotate)'s V(prepare) (the API servers trust both CAs, the controller-manager
        signs with the new one) and V(finish). A new certificate still not signed by one of these CAs fails with
        C(tls_bootstrap.wrong_signer) and nothing is written; no valid certificate for O(node_name) to renew fails
        with C(tls_bootstrap.no_current_certificate)."
      - "A control plane whose O(kubeconfig) embeds its client certificate (kubeadm init's C(kubelet.conf), before
        the kubelet's rotation points it at C(kubelet-client-current.pem)) is kept when one of these CAs signed it;
        M(kubeforge.cluster.ca_rotate)'s V(reissue) re-signs it. One another CA signed fails with
        C(tls_bootstrap.embedded_certificate) and nothing is written."
    type: str
seealso:
  - module: kubeforge.cluster.discovery
  - module: kubeforge.cluster.csr_approve
"""

EXAMPLES = r"""
- name: Discover the cluster and write bootstrap-kubelet.conf
  kubeforge.cluster.discovery:
    api_server_endpoint: "{{ hostvars[groups['control_plane'][0]].kubeforge_endpoint }}"
    token: "{{ hostvars[groups['control_plane'][0]].join_token.token }}"
    ca_cert_hashes:
      - "{{ hostvars[groups['control_plane'][0]].join_token.ca_cert_hash }}"
    kubeconfig_dir: /etc/kubernetes
  no_log: true

- name: Get the node's client certificate and kubelet.conf
  kubeforge.cluster.tls_bootstrap:
    node_name: "{{ inventory_hostname }}"
  register: bootstrap

- name: During a CA rotation, renew the kubelet's certificate from the new CA
  kubeforge.cluster.tls_bootstrap:
    node_name: "{{ inventory_hostname }}"
    renew_unless_signed_by: "{{ new_ca_pem }}"
  register: renewed
"""

RETURN = r"""
node_name:
  description: The node the certificate is for.
  returned: success
  type: str
  sample: worker-1
username:
  description: Who the certificate authenticates as, C(system:node:<node_name>) (group C(system:nodes)).
  returned: success
  type: str
  sample: "system:node:worker-1"
csr:
  description:
    - The CertificateSigningRequest; null when the current certificate was kept.
  returned: success
  type: dict
  contains:
    name:
      description: Its name, C(node-csr-<hash of key, subject and usages>) as the kubelet names it.
      type: str
    signer_name:
      description: C(kubernetes.io/kube-apiserver-client-kubelet).
      type: str
    action:
      description: created, reused (an earlier attempt's for the same key) or would_create (check mode).
      type: str
    approval:
      description: The reason of its Approved condition (C(AutoApproved) from kube-controller-manager); null in check mode.
      type: str
    reason:
      description: With O(renew_unless_signed_by), why the current certificate was renewed.
      type: str
  sample: {name: node-csr-Jt3x1d0yVhoJ0fVGPOfBXq9TLOaI8KVwgzxKd6Mgx7k, signer_name: kubernetes.io/kube-apiserver-client-kubelet,
           action: created, approval: AutoApproved}
certificate:
  description:
    - The current client certificate; null in check mode when one would be requested.
  returned: success
  type: dict
  contains:
    path:
      description: The link the kubeconfig uses, C(<cert_dir>/kubelet-client-current.pem).
      type: str
    file:
      description: The file it links to.
      type: str
    subject:
      description: The certificate's subject (RFC 2253).
      type: str
    not_after:
      description: Its expiry (UTC, ISO 8601).
      type: str
  sample: {path: /var/lib/kubelet/pki/kubelet-client-current.pem,
           file: /var/lib/kubelet/pki/kubelet-client-2026-12-02-17-40-03.pem,
           subject: "CN=system:node:worker-1,O=system:nodes", not_after: "2027-12-02T17:35:03Z"}
kubeconfig:
  description: The kubeconfig written (or kept).
  returned: success
  type: str
  sample: /etc/kubernetes/kubelet.conf
files:
  description: The files written (or, in check mode, that would be), each with C(name), C(path) and C(action) (created, kept, updated, linked).
  returned: success
  type: list
  elements: dict
  sample: [{name: kubelet-client-2026-12-02-17-40-03.pem, path: /var/lib/kubelet/pki/kubelet-client-2026-12-02-17-40-03.pem,
            action: created}]
backups:
  description: Backup copies of replaced files.
  returned: success
  type: list
  elements: str
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeforge.cluster.plugins.module_utils.worker_client import (
    call_and_exit,
    request_from_params,
    worker_argument_spec,
)

OPTIONS = dict(
    bootstrap_kubeconfig=dict(type="path", default="/etc/kubernetes/bootstrap-kubelet.conf"),
    kubeconfig=dict(type="path", default="/etc/kubernetes/kubelet.conf"),
    cert_dir=dict(type="path", default="/var/lib/kubelet/pki"),
    node_name=dict(type="str"),
    timeout=dict(type="int"),
    backup=dict(type="bool"),
    renew_unless_signed_by=dict(type="str"),
)


def main():
    module = AnsibleModule(argument_spec=worker_argument_spec(**OPTIONS), supports_check_mode=True)
    # the worker answers once the certificate is issued; wait for it a little longer than its timeout
    module.params["worker_timeout"] = max(module.params["worker_timeout"] or 0, (module.params["timeout"] or 60) + 15)
    call_and_exit(module, "/v1/tls-bootstrap",
                  request_from_params(module.params, list(OPTIONS),
                                      paths=["bootstrap_kubeconfig", "kubeconfig", "cert_dir"]))


if __name__ == "__main__":
    main()
