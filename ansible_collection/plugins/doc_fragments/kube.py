# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Options of every module that talks to an API server through the worker."""

    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - The kubeconfig the worker uses on the managed host (client certificate in PKCS#1, SEC 1 or
        PKCS#8 PEM, or a bearer token). TLS is always verified against its CA.
      - Default C(<kubeconfig_dir>/admin.conf). For an C(admin.conf), the C(kubeadm:cluster-admins)
        ClusterRoleBinding is ensured first, with the C(super-admin.conf) beside it when
        C(admin.conf) has no rights yet, as kubeadm 1.29+ does.
      - C(HTTPS_PROXY) and C(NO_PROXY) of the worker's environment are honoured as kubectl does.
    type: path
  kubeconfig_dir:
    description:
      - The folder of C(admin.conf) and C(super-admin.conf). Default V(/etc/kubernetes).
    type: path
  timeout:
    description:
      - Seconds for one API operation, retries included (an unreachable server, 429, 5xx are
        retried with backoff within it). Default V(30).
    type: int
"""
