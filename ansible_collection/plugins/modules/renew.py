#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: renew
short_description: Renew certificates as C(kubeadm certs renew) does
version_added: 0.3.0
description:
  - Renews all (V(all), the default) or the named certificates, as C(kubeadm certs renew) v1.34 - the
    leaves C(apiserver), C(apiserver-kubelet-client), C(front-proxy-client), C(apiserver-etcd-client),
    C(etcd-server), C(etcd-peer), C(etcd-healthcheck-client) and the client certificates embedded in
    C(admin.conf), C(super-admin.conf), C(controller-manager.conf) and C(scheduler.conf). CAs are never
    renewed, and C(kubelet.conf) is left to the kubelet's own rotation, as in kubeadm.
  - Each certificate is issued again by its CA under O(cert_dir) with the subject (CN, O), SANs and
    extended key usages copied from the old certificate, valid from five minutes before now for
    O(certificate_validity); a kubeconfig also gets the CA data of C(ca.crt).
  - A new key of O(key_algorithm) by default - kubeadm 1.34 always makes a new key (of the configured
    algorithm, not of the old key's) and has no option to keep it; O(reuse_key) keeps the old one.
  - An item whose CA key is absent (external CA) or whose file is missing is skipped and reported in
    RV(skipped_certificates) and a warning, as kubeadm prints it and goes on.
  - Idempotence - kubeadm renews unconditionally, so without O(renew_before) every run renews and
    reports C(changed). With O(renew_before) only what expires within that duration (or has expired)
    is renewed, so a re-run converges with C(changed=false).
  - Every replaced file is backed up first (see O(backup)); a key and its certificate are written as
    one unit, keys with mode 0600.
  - After a renewal the static Pods in RV(restart) must be restarted to use the new files - the
    C(playbooks/renew-certs.yml) playbook does that node by node.
  - The kubeforge worker on the managed host does the work (C(POST /v1/renew)).
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
    details: The worker decides everything with C(dry_run) and writes nothing; RV(certificates[].reason) says why an item would be renewed.
  diff_mode:
    support: full
    details: Per renewed item its serial and expiry before, and the reason, names, key and new expiry after; never key material.
  platform:
    platforms: posix
  action_group:
    support: full
    membership: [kubeforge.cluster.cluster, kubeforge.cluster.worker]
options:
  certificates:
    description:
      - kubeadm's names of the certificates to renew, or V(all). A name that does not exist in this
        cluster (the etcd ones with an external etcd) is refused.
    type: list
    elements: str
    default: [all]
    choices: [all, admin.conf, apiserver, apiserver-etcd-client, apiserver-kubelet-client, controller-manager.conf,
              etcd-healthcheck-client, etcd-peer, etcd-server, front-proxy-client, scheduler.conf, super-admin.conf]
  renew_before:
    description:
      - A Go duration (V(720h)). Only certificates that expire within it, or have expired, are
        renewed; the others are V(kept). Not set - every named certificate is renewed, as kubeadm does.
    type: str
  reuse_key:
    description:
      - Keep each certificate's key instead of making a new one (beyond kubeadm).
    type: bool
    default: false
  recompute_names:
    description:
      - Take the CN and SANs of the C(apiserver), C(etcd-server) and C(etcd-peer) certificates from the
        configuration (O(apiserver_cert_sans), the advertise address, ...) instead of the old
        certificate. The other items' names do not depend on the configuration.
    type: bool
    default: false
  generate_csr:
    description:
      - Instead of renewing, C(kubeadm certs generate-csr) for external-CA mode (C(POST /v1/generate-csr)) -
        a new key and a request C(<cert_dir>/<base>.key|.csr) for every leaf certificate with the configured
        subject and SANs, and for every kubeconfig a file with the server, the names and the client key (no CA,
        no certificate) beside C(<kubeconfig_dir>/<name>.csr); all 0600. Needs O(advertise_address) or
        O(kubeadm_config). A key and request that already exist and match are kept (kubeadm fails instead);
        any other existing file fails the task and nothing is written. Returns RV(csrs); the renewal options
        are ignored.
    type: bool
    default: false
  backup:
    description:
      - Copy a file that is about to be replaced to C(<file>.<UTC timestamp>.bak) first.
    type: bool
    default: true
seealso:
  - module: kubeforge.cluster.cert_info
  - module: kubeforge.cluster.pki
  - module: kubeforge.cluster.static_pods
"""

EXAMPLES = r"""
- name: Renew everything, as kubeadm certs renew all
  kubeforge.cluster.renew:
    certificates: [all]

- name: Renew what expires within 30 days (a re-run reports changed=false)
  kubeforge.cluster.renew:
    renew_before: 720h
  register: renewal

- name: Renew the API server certificate with the SANs of the configuration
  kubeforge.cluster.renew:
    kubeadm_config: /etc/kubeadm/kubeadm.yaml
    certificates: [apiserver]
    recompute_names: true
"""

RETURN = r"""
cert_dir:
  description: Absolute path of the certificate folder.
  returned: success
  type: str
  sample: /etc/kubernetes/pki
kubeconfig_dir:
  description: Absolute path of the kubeconfig folder.
  returned: success
  type: str
  sample: /etc/kubernetes
certificates:
  description: One entry per asked certificate, in kubeadm's order (by name).
  returned: unless O(generate_csr)
  type: list
  elements: dict
  contains:
    name:
      description: kubeadm's name.
      type: str
      sample: apiserver
    kind:
      description: V(certificate) (a C(.crt)/C(.key) pair) or V(kubeconfig) (an embedded client certificate).
      type: str
      sample: certificate
    path:
      description: The certificate or kubeconfig file.
      type: str
      sample: /etc/kubernetes/pki/apiserver.crt
    ca:
      description: Base name of the signing CA.
      type: str
      sample: ca
    action:
      description: V(renewed), V(kept) (not within O(renew_before)), V(external) (CA key absent) or V(missing).
      type: str
      sample: renewed
    reason:
      description: Why.
      type: str
      sample: "expires on 2027-11-23T12:00:00Z, within renew_before (720h0m0s)"
    skipped:
      description: True for V(external) and V(missing) items.
      type: bool
      sample: false
    old_not_after:
      description: Expiry of the certificate found, RFC 3339 UTC; null when missing.
      type: str
      sample: "2027-11-23T12:00:00Z"
    old_serial:
      description: Serial of the certificate found (hex); null when missing.
      type: str
      sample: 3f2a9c1e0b7d4e21
    new_not_after:
      description: Expiry of the renewed certificate; null when not renewed.
      type: str
      sample: "2028-11-01T09:30:00Z"
    new_serial:
      description: Serial of the renewed certificate; null when not renewed and in check mode.
      type: str
      sample: 51c0e8a7d2b94f06
    key:
      description: V(new <algorithm>) or V(reused) for a renewed item, else null.
      type: str
      sample: new RSA-2048
    components:
      description: The static Pods that read this file.
      type: list
      elements: str
      sample: [kube-apiserver]
renewed:
  description: Names renewed (in check mode, that would be).
  returned: unless O(generate_csr)
  type: list
  elements: str
  sample: [apiserver, admin.conf]
skipped_certificates:
  description: Names skipped (external CA or missing); C(skipped) is a name Ansible keeps for itself.
  returned: unless O(generate_csr)
  type: list
  elements: str
  sample: []
restart:
  description: Static Pods that use a renewed file and must be restarted.
  returned: unless O(generate_csr)
  type: list
  elements: str
  sample: [kube-apiserver]
backups:
  description: Backup files written before replacing files.
  returned: unless O(generate_csr)
  type: list
  elements: str
  sample: ["/etc/kubernetes/pki/apiserver.crt.20261123T120000Z.bak"]
dry_run:
  description: True in check mode.
  returned: unless O(generate_csr)
  type: bool
  sample: false
csrs:
  description: With O(generate_csr), one entry per key and request.
  returned: when O(generate_csr)
  type: list
  elements: dict
  contains:
    name:
      description: kubeadm's certificate name or the kubeconfig file name.
      type: str
      sample: apiserver
    kind:
      description: V(certificate) or V(kubeconfig).
      type: str
      sample: certificate
    key_path:
      description: The key file (for a kubeconfig, the kubeconfig that holds the key).
      type: str
      sample: /etc/kubernetes/pki/apiserver.key
    csr_path:
      description: The request file.
      type: str
      sample: /etc/kubernetes/pki/apiserver.csr
    subject:
      description: The requested subject.
      type: str
      sample: CN=kube-apiserver
    sans:
      description: The requested SANs.
      type: list
      elements: str
      sample: ["DNS:kubernetes", "IP:10.96.0.1"]
    action:
      description: V(created) or V(kept).
      type: str
      sample: created
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeforge.cluster.plugins.module_utils.cluster import (
    cluster_argument_spec,
    cluster_request,
)
from ansible_collections.kubeforge.cluster.plugins.module_utils.worker_client import (
    call_and_exit,
)

NAMES = ["all", "admin.conf", "apiserver", "apiserver-etcd-client", "apiserver-kubelet-client", "controller-manager.conf",
         "etcd-healthcheck-client", "etcd-peer", "etcd-server", "front-proxy-client", "scheduler.conf", "super-admin.conf"]


def main():
    module = AnsibleModule(
        argument_spec=cluster_argument_spec(
            certificates=dict(type="list", elements="str", choices=NAMES, default=["all"]),
            renew_before=dict(type="str"),
            reuse_key=dict(type="bool", default=False),
            recompute_names=dict(type="bool", default=False),
            generate_csr=dict(type="bool", default=False),
            backup=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    if module.params["generate_csr"]:
        call_and_exit(module, "/v1/generate-csr", cluster_request(module.params))
    call_and_exit(module, "/v1/renew", cluster_request(
        module.params, ("certificates", "renew_before", "reuse_key", "recompute_names", "backup")))


if __name__ == "__main__":
    main()
