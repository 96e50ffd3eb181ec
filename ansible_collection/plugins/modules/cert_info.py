#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cert_info
short_description: The C(kubeadm certs check-expiration) table as module output, with the kubelet and the trust bundles
version_added: 0.1.0
description:
  - Reads every certificate and certificate authority of a kubeadm tree under O(cert_dir) (and the
    client certificates embedded in the kubeconfig files under O(kubeconfig_dir)) and returns, for
    each, when it expires, the residual time, the CA that signed it and whether it is externally
    managed - the data of C(kubeadm certs check-expiration -o json).
  - Beyond kubeadm, it also reads the kubelet's certificates (the client certificate of
    C(kubelet.conf), C(kubelet-client-current.pem) and the serving certificate under
    O(kubelet_cert_dir)) and the CA bundle every kubeconfig trusts; for every item it says who
    issued it and whether it verifies against the CA on disk.
  - Items that expire within O(warn_before), or have expired, are listed again in RV(expiring),
    soonest first, for a play to C(assert) on.
  - Read only - never changes anything, in check mode or not. Only regular files are opened; a
    file that cannot be read is an C(error) of its row and a warning, not a failure.
  - The kubeforge worker on the managed host does the work (C(POST /v1/cert-info)). The same
    expiries are Prometheus gauges at the worker's C(GET /metrics).
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
      - Folder of C(admin.conf), C(super-admin.conf), C(controller-manager.conf), C(scheduler.conf) and C(kubelet.conf).
    type: path
    default: /etc/kubernetes
  kubelet_cert_dir:
    description:
      - The kubelet's C(--cert-dir), where it keeps C(kubelet-client-current.pem) and C(kubelet.crt)
        (or C(kubelet-server-current.pem) when it rotates its serving certificate).
    type: path
    default: /var/lib/kubelet/pki
  warn_before:
    description:
      - A Go duration (C(720h), C(1h30m)); items that expire within it, or have expired, are listed
        in RV(expiring). C(0) lists only what has expired.
    type: str
    default: 720h
seealso:
  - module: kubeforge.cluster.pki
"""

EXAMPLES = r"""
- name: Read the expiry table
  kubeforge.cluster.cert_info:
    warn_before: 720h
  register: expiry

- name: Fail when anything expires within 30 days
  ansible.builtin.assert:
    that: expiry.expiring | length == 0
    fail_msg: "expiring: {{ expiry.expiring | map(attribute='name') | join(', ') }}"

- name: Fail when a certificate no longer verifies against its CA
  ansible.builtin.assert:
    that: expiry.certificates | selectattr('verified', 'equalto', false) | list | length == 0
"""

RETURN = r"""
certificates:
  description: Leaf certificates and kubeconfig client certificates, as in C(kubeadm certs check-expiration), sorted by name.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: kubeadm's name (C(apiserver), C(admin.conf), ...).
      type: str
    path:
      description: File that holds the certificate (for a kubeconfig, the kubeconfig).
      type: str
    certificate_path:
      description: The file the certificate was read from when a kubeconfig names one (C(client-certificate)).
      type: str
      returned: when the certificate is in a file of its own
    expires:
      description: End of validity, RFC 3339 UTC; null when the file is missing or unreadable.
      type: str
    residual_time:
      description:
        - Time left as the RESIDUAL TIME column of C(kubeadm certs check-expiration) prints it
          (C(364d), C(9y), C(<invalid>) once expired); null when nothing was read.
      type: str
    residual_seconds:
      description: Time left in seconds (negative when expired); null when nothing was read.
      type: int
    certificate_authority:
      description: Name of the CA that should have signed it.
      type: str
    externally_managed:
      description: Whether the signing CA's key is absent (external CA).
      type: bool
    missing:
      description: Whether the file does not exist.
      type: bool
    subject:
      description: Subject, RFC 2253; null when nothing was read.
      type: str
    issuer:
      description: Issuer, RFC 2253; null when nothing was read.
      type: str
    not_before:
      description: Start of validity, RFC 3339 UTC; null when nothing was read.
      type: str
    verified:
      description:
        - Whether it verifies against the CA on disk (chain, names and signature; not dates);
          null when there is nothing to verify or nothing to verify against.
      type: bool
    verification:
      description: Why RV(certificates[].verified) is what it is (C(signed by ca (/etc/kubernetes/pki/ca.crt)), C(missing), ...).
      type: str
    trusts_ca_on_disk:
      description: For a kubeconfig, whether the CA bundle of its cluster holds the CA on disk (C(ca.crt)); null when either cannot be read.
      type: bool
      returned: for kubeconfigs
    error:
      description: Why an existing file could not be read (not a regular file, permission denied, not PEM).
      type: str
      returned: when the file exists but could not be read
  sample:
    - {name: apiserver, path: /etc/kubernetes/pki/apiserver.crt, expires: "2027-11-23T12:00:00Z", residual_time: 364d,
       residual_seconds: 31449600, certificate_authority: ca, externally_managed: false, missing: false,
       subject: CN=kube-apiserver, issuer: CN=kubernetes, not_before: "2026-11-23T11:55:00Z", verified: true,
       verification: signed by ca (/etc/kubernetes/pki/ca.crt)}
certificate_authorities:
  description:
    - The CAs (C(ca), C(etcd-ca), C(front-proxy-ca)) with the same keys except C(certificate_authority);
      C(verified) says whether a self-signed CA's signature verifies.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: kubeadm's name (C(apiserver), C(admin.conf), ...).
      type: str
    path:
      description: File that holds the certificate (for a kubeconfig, the kubeconfig).
      type: str
    certificate_path:
      description: The file the certificate was read from when a kubeconfig names one (C(client-certificate)).
      type: str
      returned: when the certificate is in a file of its own
    expires:
      description: End of validity, RFC 3339 UTC; null when the file is missing or unreadable.
      type: str
    residual_time:
      description:
        - Time left as the RESIDUAL TIME column of C(kubeadm certs check-expiration) prints it
          (C(364d), C(9y), C(<invalid>) once expired); null when nothing was read.
      type: str
    residual_seconds:
      description: Time left in seconds (negative when expired); null when nothing was read.
      type: int
    certificate_authority:
      description: Name of the CA that should have signed it.
      type: str
    externally_managed:
      description: Whether the signing CA's key is absent (external CA).
      type: bool
    missing:
      description: Whether the file does not exist.
      type: bool
    subject:
      description: Subject, RFC 2253; null when nothing was read.
      type: str
    issuer:
      description: Issuer, RFC 2253; null when nothing was read.
      type: str
    not_before:
      description: Start of validity, RFC 3339 UTC; null when nothing was read.
      type: str
    verified:
      description:
        - Whether it verifies against the CA on disk (chain, names and signature; not dates);
          null when there is nothing to verify or nothing to verify against.
      type: bool
    verification:
      description: Why RV(certificates[].verified) is what it is (C(signed by ca (/etc/kubernetes/pki/ca.crt)), C(missing), ...).
      type: str
    trusts_ca_on_disk:
      description: For a kubeconfig, whether the CA bundle of its cluster holds the CA on disk (C(ca.crt)); null when either cannot be read.
      type: bool
      returned: for kubeconfigs
    error:
      description: Why an existing file could not be read (not a regular file, permission denied, not PEM).
      type: str
      returned: when the file exists but could not be read
  sample:
    - {name: ca, path: /etc/kubernetes/pki/ca.crt, expires: "2036-11-21T12:00:00Z", residual_time: 9y,
       residual_seconds: 315360000, externally_managed: false, missing: false, subject: CN=kubernetes,
       issuer: CN=kubernetes, not_before: "2026-11-23T11:55:00Z", verified: true, verification: self-signed}
kubelet_certificates:
  description:
    - The kubelet's certificates, which kubeadm leaves to the kubelet - C(kubelet.conf) (its client
      certificate, embedded or the file it names), C(kubelet-client) (C(kubelet-client-current.pem)) and
      C(kubelet-serving) (C(kubelet-server-current.pem) when it exists, else the self-signed C(kubelet.crt),
      which has nothing on disk to verify against).
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: kubeadm's name (C(apiserver), C(admin.conf), ...).
      type: str
    path:
      description: File that holds the certificate (for a kubeconfig, the kubeconfig).
      type: str
    certificate_path:
      description: The file the certificate was read from when a kubeconfig names one (C(client-certificate)).
      type: str
      returned: when the certificate is in a file of its own
    expires:
      description: End of validity, RFC 3339 UTC; null when the file is missing or unreadable.
      type: str
    residual_time:
      description:
        - Time left as the RESIDUAL TIME column of C(kubeadm certs check-expiration) prints it
          (C(364d), C(9y), C(<invalid>) once expired); null when nothing was read.
      type: str
    residual_seconds:
      description: Time left in seconds (negative when expired); null when nothing was read.
      type: int
    certificate_authority:
      description: Name of the CA that should have signed it.
      type: str
    externally_managed:
      description: Whether the signing CA's key is absent (external CA).
      type: bool
    missing:
      description: Whether the file does not exist.
      type: bool
    subject:
      description: Subject, RFC 2253; null when nothing was read.
      type: str
    issuer:
      description: Issuer, RFC 2253; null when nothing was read.
      type: str
    not_before:
      description: Start of validity, RFC 3339 UTC; null when nothing was read.
      type: str
    verified:
      description:
        - Whether it verifies against the CA on disk (chain, names and signature; not dates);
          null when there is nothing to verify or nothing to verify against.
      type: bool
    verification:
      description: Why RV(certificates[].verified) is what it is (C(signed by ca (/etc/kubernetes/pki/ca.crt)), C(missing), ...).
      type: str
    trusts_ca_on_disk:
      description: For a kubeconfig, whether the CA bundle of its cluster holds the CA on disk (C(ca.crt)); null when either cannot be read.
      type: bool
      returned: for kubeconfigs
    error:
      description: Why an existing file could not be read (not a regular file, permission denied, not PEM).
      type: str
      returned: when the file exists but could not be read
trust_bundles:
  description:
    - One row per CA certificate that a kubeconfig trusts (C(certificate-authority-data) or the
      C(certificate-authority) file of its current cluster), named C(<kubeconfig>:<source>[<i>]);
      C(verified) says whether it is the CA on disk.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: kubeadm's name (C(apiserver), C(admin.conf), ...).
      type: str
    path:
      description: File that holds the certificate (for a kubeconfig, the kubeconfig).
      type: str
    certificate_path:
      description: The file the certificate was read from when a kubeconfig names one (C(client-certificate)).
      type: str
      returned: when the certificate is in a file of its own
    expires:
      description: End of validity, RFC 3339 UTC; null when the file is missing or unreadable.
      type: str
    residual_time:
      description:
        - Time left as the RESIDUAL TIME column of C(kubeadm certs check-expiration) prints it
          (C(364d), C(9y), C(<invalid>) once expired); null when nothing was read.
      type: str
    residual_seconds:
      description: Time left in seconds (negative when expired); null when nothing was read.
      type: int
    certificate_authority:
      description: Name of the CA that should have signed it.
      type: str
    externally_managed:
      description: Whether the signing CA's key is absent (external CA).
      type: bool
    missing:
      description: Whether the file does not exist.
      type: bool
    subject:
      description: Subject, RFC 2253; null when nothing was read.
      type: str
    issuer:
      description: Issuer, RFC 2253; null when nothing was read.
      type: str
    not_before:
      description: Start of validity, RFC 3339 UTC; null when nothing was read.
      type: str
    verified:
      description:
        - Whether it verifies against the CA on disk (chain, names and signature; not dates);
          null when there is nothing to verify or nothing to verify against.
      type: bool
    verification:
      description: Why RV(certificates[].verified) is what it is (C(signed by ca (/etc/kubernetes/pki/ca.crt)), C(missing), ...).
      type: str
    trusts_ca_on_disk:
      description: For a kubeconfig, whether the CA bundle of its cluster holds the CA on disk (C(ca.crt)); null when either cannot be read.
      type: bool
      returned: for kubeconfigs
    error:
      description: Why an existing file could not be read (not a regular file, permission denied, not PEM).
      type: str
      returned: when the file exists but could not be read
  sample:
    - {name: "admin.conf:certificate-authority-data[0]", path: /etc/kubernetes/admin.conf, expires: "2036-11-21T12:00:00Z",
       residual_time: 9y, residual_seconds: 315360000, certificate_authority: ca, externally_managed: false, missing: false,
       subject: CN=kubernetes, issuer: CN=kubernetes, not_before: "2026-11-23T11:55:00Z", verified: true,
       verification: is ca on disk (/etc/kubernetes/pki/ca.crt)}
warn_before:
  description: The O(warn_before) used, as Go prints a duration (C(720h0m0s)).
  returned: success
  type: str
  sample: 720h0m0s
expiring:
  description:
    - The items of every list above that expire within O(warn_before) or have expired, soonest first,
      each with the list it comes from in C(group). Empty when nothing needs attention.
  returned: success
  type: list
  elements: dict
  contains:
    group:
      description: C(certificates), C(certificate_authorities), C(kubelet_certificates) or C(trust_bundles).
      type: str
    name:
      description: kubeadm's name (C(apiserver), C(admin.conf), ...).
      type: str
    path:
      description: File that holds the certificate (for a kubeconfig, the kubeconfig).
      type: str
    certificate_path:
      description: The file the certificate was read from when a kubeconfig names one (C(client-certificate)).
      type: str
      returned: when the certificate is in a file of its own
    expires:
      description: End of validity, RFC 3339 UTC; null when the file is missing or unreadable.
      type: str
    residual_time:
      description:
        - Time left as the RESIDUAL TIME column of C(kubeadm certs check-expiration) prints it
          (C(364d), C(9y), C(<invalid>) once expired); null when nothing was read.
      type: str
    residual_seconds:
      description: Time left in seconds (negative when expired); null when nothing was read.
      type: int
    certificate_authority:
      description: Name of the CA that should have signed it.
      type: str
    externally_managed:
      description: Whether the signing CA's key is absent (external CA).
      type: bool
    missing:
      description: Whether the file does not exist.
      type: bool
    subject:
      description: Subject, RFC 2253; null when nothing was read.
      type: str
    issuer:
      description: Issuer, RFC 2253; null when nothing was read.
      type: str
    not_before:
      description: Start of validity, RFC 3339 UTC; null when nothing was read.
      type: str
    verified:
      description:
        - Whether it verifies against the CA on disk (chain, names and signature; not dates);
          null when there is nothing to verify or nothing to verify against.
      type: bool
    verification:
      description: Why RV(certificates[].verified) is what it is (C(signed by ca (/etc/kubernetes/pki/ca.crt)), C(missing), ...).
      type: str
    trusts_ca_on_disk:
      description: For a kubeconfig, whether the CA bundle of its cluster holds the CA on disk (C(ca.crt)); null when either cannot be read.
      type: bool
      returned: for kubeconfigs
    error:
      description: Why an existing file could not be read (not a regular file, permission denied, not PEM).
      type: str
      returned: when the file exists but could not be read
  sample:
    - {name: apiserver, group: certificates, path: /etc/kubernetes/pki/apiserver.crt, expires: "2026-11-25T12:00:00Z",
       residual_time: 24h, residual_seconds: 86400, certificate_authority: ca, externally_managed: false, missing: false,
       subject: CN=kube-apiserver, issuer: CN=kubernetes, not_before: "2026-11-23T11:55:00Z", verified: true,
       verification: signed by ca (/etc/kubernetes/pki/ca.crt)}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeforge.cluster.plugins.module_utils.worker_client import (
    call_and_exit,
    request_from_params,
    worker_argument_spec,
)

PATHS = ("cert_dir", "kubeconfig_dir", "kubelet_cert_dir")


def main():
    module = AnsibleModule(
        argument_spec=worker_argument_spec(
            cert_dir=dict(type="path", default="/etc/kubernetes/pki"),
            kubeconfig_dir=dict(type="path", default="/etc/kubernetes"),
            kubelet_cert_dir=dict(type="path", default="/var/lib/kubelet/pki"),
            warn_before=dict(type="str", default="720h"),
        ),
        supports_check_mode=True,
    )
    # The worker answers changed=false and no diff for this read-only call.
    call_and_exit(module, "/v1/cert-info", request_from_params(module.params, PATHS + ("warn_before",), paths=PATHS))


if __name__ == "__main__":
    main()
