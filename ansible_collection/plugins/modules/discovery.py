#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: discovery
short_description: Find and verify the cluster as C(kubeadm join) does, before the kubelet starts
version_added: 0.4.0
description:
  - "Token discovery, as kubeadm's C(--discovery-token-ca-cert-hash): reads C(kube-public/cluster-info)
    from O(api_server_endpoint) without trusting the server and without sending any credential (the
    token secret never leaves the host), checks its detached JWS C(jws-kubeconfig-<token id>) with the
    token (HS256 only, compared in constant time), checks its CA against O(ca_cert_hashes), then reads it
    again over TLS that trusts only the pinned CA certificate(s) and requires the same kubeconfig."
  - Beyond kubeadm, a CA that cluster-info carries beside the pinned one is never trusted (kubeadm trusts
    the whole bundle), and every refusal has its own C(code) and a message saying what to do -
    C(discovery.no_signature) (the token is expired or deleted, or no bootstrap signer runs),
    C(discovery.clock_skew) (no signature, and the server's HTTP Date is more than 5 minutes from this host's
    clock, naming the measured offset; the signer judges expiry by the control plane's clock),
    C(discovery.bad_signature) (wrong token secret), C(discovery.unsupported_algorithm) (not HS256),
    C(discovery.ca_not_pinned) (with the hash that was found), C(discovery.untrusted_server) (an impostor's
    certificate), C(discovery.content_changed) (the two fetches differ), C(discovery.redirect) (never followed),
    C(discovery.unreachable) (nothing usable within O(timeout)).
  - File discovery, as C(--discovery-file) - O(discovery_file) is a kubeconfig path or an C(https://) URL;
    its server must verify against its own CA.
  - With O(kubeconfig_dir) and/or O(cert_dir) it writes C(bootstrap-kubelet.conf) (0600) and C(ca.crt) as
    C(kubeadm join) does, each compared first and backed up when different.
  - The kubeforge worker on the managed host does the work (C(POST /v1/discovery)).
author:
  - kubeforge maintainers (@kubeforge)
extends_documentation_fragment:
  - kubeforge.cluster.worker
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: Discovery runs (it only reads from the API server); nothing is written.
  diff_mode:
    support: none
  platform:
    platforms: posix
  action_group:
    support: full
    membership: [kubeforge.cluster.worker]
options:
  api_server_endpoint:
    description:
      - The API server to discover from, C(host:port) (C([IPv6]:port)), as C(kubeadm join <endpoint>).
      - Required unless O(discovery_file) is set.
    type: str
  token:
    description:
      - The bootstrap token C([a-z0-9]{6}.[a-z0-9]{16}). With token discovery it verifies cluster-info's
        signature; it is also the token C(bootstrap-kubelet.conf) carries (kubeadm's C(--token)).
      - With O(discovery_file), the TLS bootstrap token; without it the file's own credentials are used.
    type: str
  ca_cert_hashes:
    description:
      - The CA public-key pins, C(sha256:<64 hex>) (RV(ca_cert_hash) of M(kubeforge.cluster.pki) or
        M(kubeforge.cluster.bootstrap_token)). One of them must match a CA in cluster-info.
    type: list
    elements: str
  unsafe_skip_ca_verification:
    description:
      - Trust cluster-info's CA without a pin (only its signature is checked). The result then carries a warning.
    type: bool
    default: false
  discovery_file:
    description:
      - A kubeconfig path or an C(https://) URL (file discovery) instead of token discovery.
    type: str
  timeout:
    description:
      - Seconds for the whole discovery, retries included (every 5 seconds, as kubeadm). Default V(60), at
        most 110 (kubeadm's default is 5 minutes).
    type: int
  kubeconfig_dir:
    description:
      - Where to write C(bootstrap-kubelet.conf) (kubeadm's V(/etc/kubernetes)). Not set - nothing is written.
    type: path
  cert_dir:
    description:
      - Where to write C(ca.crt). Default C(<kubeconfig_dir>/pki) when O(kubeconfig_dir) is set.
    type: path
  backup:
    description:
      - Back up a file before replacing it. Default V(true).
    type: bool
notes:
  - "O(token) is secret; it is never returned, but C(bootstrap-kubelet.conf) holds it (mode 0600)."
seealso:
  - module: kubeforge.cluster.bootstrap_token
  - module: kubeforge.cluster.pki
"""

EXAMPLES = r"""
- name: Discover the cluster from the first control plane's facts and write bootstrap-kubelet.conf
  kubeforge.cluster.discovery:
    api_server_endpoint: "{{ hostvars[groups['control_plane'][0]].kubeforge_endpoint }}"
    token: "{{ hostvars[groups['control_plane'][0]].join_token.token }}"
    ca_cert_hashes:
      - "{{ hostvars[groups['control_plane'][0]].join_token.ca_cert_hash }}"
    kubeconfig_dir: /etc/kubernetes
  no_log: true
"""

RETURN = r"""
method:
  description: C(token) or C(file).
  returned: success
  type: str
  sample: token
server:
  description: The API server URL cluster-info names (the cluster's controlPlaneEndpoint), as bootstrap-kubelet.conf uses it.
  returned: success
  type: str
  sample: https://10.0.0.10:6443
cluster_name:
  description: The cluster's name in bootstrap-kubelet.conf (C(kubernetes), as kubeadm's), or the discovery file's.
  returned: success
  type: str
  sample: kubernetes
ca_cert:
  description:
    - The trusted CA certificate(s), PEM; only the pinned ones with token discovery.
    - null when cluster-info names no CA (only with unsafe_skip_ca_verification).
  returned: success
  type: str
  sample: "-----BEGIN CERTIFICATE-----\n..."
ca_cert_hash:
  description: The pin of the (first) trusted CA, C(sha256:<hex>); null when there is no CA.
  returned: success
  type: str
  sample: sha256:345959acb2c3b2feb87d281961c893f62a314207ef02599f1cc4a5fb255480b3
cluster_configuration:
  description:
    - The cluster's C(ClusterConfiguration) (YAML text), read as C(kubeadm join) reads it before it joins - the
      C(kube-system/kubeadm-config) ConfigMap, with the token, over TLS that trusts only the verified CA.
    - Null (with a warning) for file discovery, or when the token may not read it (kubeadm's
      C(kubeadm:nodes-kubeadm-config) Role lets the default bootstrap-token group read it) or it was not uploaded.
  returned: success
  type: str
  sample: "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n..."
files:
  description: The files written (or, in check mode, that would be), each with C(name), C(path) and C(action) (created, kept, updated).
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The file's name.
      type: str
    path:
      description: The file's path.
      type: str
    action:
      description: created, kept or updated.
      type: str
  sample: [{name: bootstrap-kubelet.conf, path: /etc/kubernetes/bootstrap-kubelet.conf, action: created}]
backups:
  description: The backups of replaced files.
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
    api_server_endpoint=dict(type="str"),
    token=dict(type="str", no_log=True),
    ca_cert_hashes=dict(type="list", elements="str"),
    unsafe_skip_ca_verification=dict(type="bool", default=False),
    discovery_file=dict(type="str"),
    timeout=dict(type="int"),
    kubeconfig_dir=dict(type="path"),
    cert_dir=dict(type="path"),
    backup=dict(type="bool"),
)


def main():
    module = AnsibleModule(argument_spec=worker_argument_spec(**OPTIONS), supports_check_mode=True,
                           mutually_exclusive=[("discovery_file", "api_server_endpoint")])
    # the worker answers after the whole discovery; wait for it a little longer than its timeout
    module.params["worker_timeout"] = max(module.params["worker_timeout"] or 0, (module.params["timeout"] or 60) + 15)
    call_and_exit(module, "/v1/discovery",
                  request_from_params(module.params, list(OPTIONS), paths=["kubeconfig_dir", "cert_dir"]))


if __name__ == "__main__":
    main()
