#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cert_info
short_description: The C(kubeadm certs check-expiration) table as module output
version_added: 0.1.0
description:
  - Reads every certificate and certificate authority of a kubeadm tree under O(cert_dir) (and the
    client certificates embedded in the kubeconfig files under O(kubeconfig_dir)) and returns, for
    each, when it expires, the residual time, the CA that signed it and whether it is externally
    managed - the data of C(kubeadm certs check-expiration -o json).
  - Read only - never changes anything, in check mode or not.
  - The kubeforge worker on the managed host does the work (C(POST /v1/cert-info)).
author:
  - kubeforge maintainers (@kubeforge)
extends_documentation_fragment:
  - kubeforge.cluster.worker
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Reading is all this module does.
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
      - Folder of the certificate tree; a relative path is made absolute against the module's working directory.
    type: path
    default: /etc/kubernetes/pki
  kubeconfig_dir:
    description:
      - Folder of C(admin.conf), C(super-admin.conf), C(controller-manager.conf) and C(scheduler.conf).
    type: path
    default: /etc/kubernetes
seealso:
  - module: kubeforge.cluster.pki
"""

EXAMPLES = r"""
- name: Read the expiry table
  kubeforge.cluster.cert_info:
  register: expiry

- name: Fail when a certificate expires within 30 days
  ansible.builtin.assert:
    that: item.missing or item.residual_seconds > 30 * 86400
    fail_msg: "{{ item.name }} expires {{ item.expires }}"
    quiet: true
  loop: "{{ expiry.certificates + expiry.certificate_authorities }}"
  loop_control:
    label: "{{ item.name }}"
"""

RETURN = r"""
certificates:
  description: Leaf certificates and kubeconfig client certificates, as in C(kubeadm certs check-expiration).
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: kubeadm's name (C(apiserver), C(admin.conf), ...).
      type: str
    path:
      description: File that holds the certificate.
      type: str
    expires:
      description: End of validity, RFC 3339 UTC.
      type: str
    residual_time:
      description: Time left, in kubeadm's short form (C(364d), C(9y)).
      type: str
    residual_seconds:
      description: Time left in seconds (negative when expired).
      type: int
    certificate_authority:
      description: Name of the signing CA.
      type: str
    externally_managed:
      description: Whether the signing CA's key is absent (external CA).
      type: bool
    missing:
      description: Whether the file does not exist.
      type: bool
  sample:
    - {name: apiserver, path: /etc/kubernetes/pki/apiserver.crt, expires: "2027-11-23T12:00:00Z", residual_time: 364d,
       residual_seconds: 31449600, certificate_authority: ca, externally_managed: false, missing: false}
certificate_authorities:
  description: The CAs (C(ca), C(front-proxy-ca), C(etcd-ca)) with the same keys except C(certificate_authority).
  returned: success
  type: list
  elements: dict
  sample:
    - {name: ca, path: /etc/kubernetes/pki/ca.crt, expires: "2036-11-21T12:00:00Z", residual_time: 9y,
       residual_seconds: 315360000, externally_managed: false, missing: false}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeforge.cluster.plugins.module_utils.worker_client import (
    call_and_exit,
    request_from_params,
    worker_argument_spec,
)

PATHS = ("cert_dir", "kubeconfig_dir")


def main():
    module = AnsibleModule(
        argument_spec=worker_argument_spec(
            cert_dir=dict(type="path", default="/etc/kubernetes/pki"),
            kubeconfig_dir=dict(type="path", default="/etc/kubernetes"),
        ),
        supports_check_mode=True,
    )
    # The worker answers changed=false and no diff for this read-only call.
    call_and_exit(module, "/v1/cert-info", request_from_params(module.params, PATHS, paths=PATHS))


if __name__ == "__main__":
    main()
