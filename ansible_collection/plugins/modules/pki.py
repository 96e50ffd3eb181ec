#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: pki
short_description: Produce the certificate tree that C(kubeadm init phase certs all) produces
version_added: 0.1.0
description:
  - Creates, keeps or reissues the Kubernetes control-plane PKI under O(cert_dir) - C(ca),
    C(apiserver), C(apiserver-kubelet-client), C(front-proxy-ca), C(front-proxy-client), C(etcd/ca),
    C(etcd/server), C(etcd/peer), C(etcd/healthcheck-client), C(apiserver-etcd-client) (C(.crt) and
    C(.key) each) and C(sa.key)/C(sa.pub) - with kubeadm's subjects, key usages, SAN rules, validity
    defaults, PEM encodings and file modes, so a kubeadm-made tree and this one are interchangeable.
  - Idempotent by comparison - a certificate that is valid, signed by its CA and carries every
    required SAN is kept; any other is reissued (after a backup, see O(backup)) and RV(certificates[].reason)
    says why. A private key that does not match its certificate is an error, never overwritten.
  - SAN and endpoint changes after init - by default a leaf missing a now-required SAN (a new
    O(apiserver_cert_sans) entry, O(advertise_address) or O(control_plane_endpoint)) is reissued with a
    new key and extra SANs are kept. With O(reissue_on_name_change=true) every leaf whose SAN set differs
    in any way (names added or removed) is reissued with its own key (a new one with
    O(reissue_new_key=true)), only those, after a backup; RV(certificates[].reason) and the diff name the
    added and removed names. kubeadm instead refuses the existing certificate; its documented fix is to
    delete the pair and run C(kubeadm init phase certs apiserver) again, which also makes a new key.
    Restart the static pods that use the files afterwards (the API server, etcd).
  - External CA mode as in kubeadm - with C(ca.crt) present and C(ca.key) absent nothing is signed;
    existing leaves are checked against the CA and reported with action C(external).
  - Where kubeadm skips an invalid SAN with a warning, this module fails and names the entry.
  - Reads the cluster model - O(kubeadm_config) and/or the options of the C(kubeforge.cluster.cluster)
    fragment (O(cert_dir), O(advertise_address), O(apiserver_cert_sans), ...); one of
    O(advertise_address) and O(kubeadm_config) is required.
  - All the work is done by the kubeforge worker on the managed host (C(POST /v1/pki)); this module
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
    details: The worker computes everything with C(dry_run) and writes nothing.
  diff_mode:
    support: full
    details: A text summary of each certificate (subject, SANs, expiry) before and after.
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
  reissue_on_name_change:
    description:
      - Reissue every leaf certificate whose SANs differ from the configured ones (added or removed
        names), keeping its private key; only those certificates are touched and each replaced file
        is backed up (see O(backup)). Without it a missing SAN reissues with a new key and extra
        SANs are kept.
    type: bool
    default: false
  reissue_new_key:
    description:
      - With O(reissue_on_name_change=true), give each reissued certificate a new private key too,
        as deleting the pair and re-running the kubeadm phase would.
    type: bool
    default: false
seealso:
  - module: kubeforge.cluster.cert_info
  - module: kubeforge.cluster.worker
"""

EXAMPLES = r"""
- name: Create the control-plane PKI as kubeadm would
  kubeforge.cluster.pki:
    advertise_address: 192.0.2.10
    control_plane_endpoint: k8s.example.com:6443
    apiserver_cert_sans:
      - k8s.example.com
      - 192.0.2.100
  register: pki

- name: Show the join pin
  ansible.builtin.debug:
    msg: "kubeadm join ... --discovery-token-ca-cert-hash {{ pki.ca_cert_hash }}"

- name: A test cluster with 100-year certificates and ECDSA keys, external etcd
  kubeforge.cluster.pki:
    cert_dir: /srv/test/pki
    advertise_address: 2001:db8::10
    service_subnet: 10.96.0.0/12,fd00:10:96::/112
    etcd: external
    etcd_external_endpoints: ["https://[2001:db8::20]:2379"]
    key_algorithm: ECDSA-P256
    certificate_validity: 876000h
    ca_certificate_validity: 876000h

- name: The same tree from kubeadm's own configuration file on the host
  kubeforge.cluster.pki:
    kubeadm_config: /etc/kubeadm/kubeadm.yaml
"""

RETURN = r"""
certificates:
  description: One entry per certificate, the CAs first (C(ca), C(front-proxy-ca), C(etcd-ca)), then the leaves in kubeadm's order.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: kubeadm's phase name (C(apiserver), C(etcd-server), ...).
      type: str
      sample: apiserver
    path:
      description: Absolute path of the C(.crt) file.
      type: str
      sample: /etc/kubernetes/pki/apiserver.crt
    subject:
      description: Subject distinguished name.
      type: str
      sample: CN=kube-apiserver
    issuer:
      description: Issuer distinguished name.
      type: str
      sample: CN=kubernetes
    dns_names:
      description: DNS SANs.
      type: list
      elements: str
      sample: [kubernetes, kubernetes.default]
    ip_addresses:
      description: IP SANs.
      type: list
      elements: str
      sample: [10.96.0.1, 192.0.2.10]
    not_after:
      description: End of validity, RFC 3339 UTC.
      type: str
      sample: "2027-11-23T12:00:00Z"
    action:
      description: What happened (or, in check mode, would happen) - V(created), V(kept), V(reissued) or V(external).
      type: str
      sample: kept
    reason:
      description: Why a certificate was reissued or is wrong in external CA mode, for example C(missing SAN IP:10.0.0.5).
      type: str
      sample: "missing SAN IP:10.0.0.5"
service_account_key:
  description: The service-account signing key pair.
  returned: success
  type: dict
  contains:
    path:
      description: Path of C(sa.key).
      type: str
    public_path:
      description: Path of C(sa.pub).
      type: str
    action:
      description: V(created) or V(kept).
      type: str
  sample: {path: /etc/kubernetes/pki/sa.key, public_path: /etc/kubernetes/pki/sa.pub, action: kept}
ca_cert_hash:
  description:
    - C(sha256:<hex>) of the cluster CA's SubjectPublicKeyInfo, the C(--discovery-token-ca-cert-hash) pin.
    - Null in check mode when the CA would be created - its key does not exist yet, so neither does the pin.
  returned: success
  type: str
  sample: "sha256:6c3b0b6f3f0b8b3c9a8f2d7e1c0a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b"
external_ca:
  description: Whether C(ca.crt) is present without C(ca.key) (external CA mode).
  returned: success
  type: bool
  sample: false
backups:
  description: Backup files written before replacing files.
  returned: success
  type: list
  elements: str
  sample: ["/etc/kubernetes/pki/apiserver.crt.2026-11-23T12:00:00Z.bak"]
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
        argument_spec=cluster_argument_spec(
            backup=dict(type="bool", default=True),
            reissue_on_name_change=dict(type="bool", default=False),
            reissue_new_key=dict(type="bool", default=False),
        ),
        required_one_of=[("advertise_address", "kubeadm_config")],
        supports_check_mode=True,
    )
    call_and_exit(module, "/v1/pki", cluster_request(module.params, ("backup", "reissue_on_name_change", "reissue_new_key")))


if __name__ == "__main__":
    main()
