#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: bootstrap_token
short_description: Manage a kubeadm bootstrap token as C(kubeadm token create|delete|list) does
version_added: 0.3.0
description:
  - With O(state=present), makes sure the C(kube-system/bootstrap-token-<id>) Secret exists exactly
    as kubeadm writes it, and returns the token, its expiry, the CA pin and the C(kubeadm join)
    commands.
  - An existing token keeps its expiry, so a second run writes nothing (kubeadm extends it on every
    run). Without O(token), an unexpired token with the same O(description), O(usages) and
    O(groups) is reused; only when there is none is a new one generated.
  - With O(kubeadm_config) whose C(InitConfiguration) lists C(bootstrapTokens) and no O(token), every
    listed token is created or updated as C(kubeadm init phase bootstrap-token) does, in order, each
    defaulted as kubeadm v1beta4 defaults it (C(ttl) V(24h), C(usages) V(signing) and
    V(authentication), C(groups) V(system:bootstrappers:kubeadm:default-node-token); a missing
    C(token) is generated, or reused as above). Options that are set win over the config's fields
    for every listed token (O(ttl), O(usages), O(groups), O(description)); O(token) replaces the list
    with that one token. As in kubeadm, C(expires) in the config is refused (kubeadm's defaulted
    C(ttl) makes the two mutually exclusive), and so are usages without V(authentication) when
    C(groups) is empty (kubeadm's default group then applies). Beyond kubeadm, a token id listed
    twice is refused (kubeadm lets the later silently replace the earlier). The top-level results
    and join commands are the first token's, as C(kubeadm init) prints the first; RV(tokens) lists
    them all. When the API server refuses one token, the error names its entry and the tokens
    applied before it.
  - O(state=absent) deletes the token; O(state=list) returns what C(kubeadm token list) shows,
    without the token secrets.
  - Every option is checked before the cluster is touched; bad input fails naming the option.
  - The kubeforge worker on the managed host does the work (C(POST /v1/bootstrap-token)).
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
    details: The Secret is sent to the API server as a dry run; nothing is stored.
  diff_mode:
    support: full
    details: The Secret's data before and after, with C(token-secret) hidden.
  platform:
    platforms: posix
  action_group:
    support: full
    membership: [kubeforge.cluster.worker]
options:
  state:
    description:
      - V(present) creates or keeps the token, V(absent) deletes it, V(list) lists every token.
    type: str
    choices: [present, absent, list]
    default: present
  token:
    description:
      - The token, C([a-z0-9]{6}.[a-z0-9]{16}). Generated from a secure random source when not set.
    type: str
  token_id:
    description:
      - The token's id, for O(state=absent) when O(token) is not known.
    type: str
  ttl:
    description:
      - How long the token lives, as a Go duration (C(24h), C(1h30m)). V(0) means it never expires.
        Default V(24h).
    type: str
  usages:
    description:
      - What the token may be used for. Default V(signing) and V(authentication).
    type: list
    elements: str
  groups:
    description:
      - Extra groups the token authenticates as; each must match
        C(system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]). Default
        V(system:bootstrappers:kubeadm:default-node-token).
    type: list
    elements: str
  description:
    description:
      - A human-readable description stored with the token.
    type: str
  kubeadm_config:
    description:
      - kubeadm's own configuration, as YAML text or the path of a file on the managed host (see
        M(kubeforge.cluster.cluster_bootstrap)); only the C(bootstrapTokens) of its
        C(InitConfiguration) are used here, with O(state=present). The documents are read strictly,
        so an unknown field fails naming it.
    type: str
  certificate_key:
    description:
      - The key of the C(kubeadm-certs) Secret (see M(kubeforge.cluster.upload_certs)); when set,
        RV(join_command_control_plane) is returned.
    type: str
notes:
  - "RV(token) and RV(join_command) hold the secret; register the result with C(no_log: true) on the task."
seealso:
  - module: kubeforge.cluster.upload_certs
"""

EXAMPLES = r"""
- name: A token for joining nodes
  kubeforge.cluster.bootstrap_token:
    description: join token for the node plays
  register: join
  no_log: true

- name: Join the workers
  ansible.builtin.command: "{{ hostvars[groups['control_plane'][0]].join.join_command }}"
  no_log: true

- name: List the tokens
  kubeforge.cluster.bootstrap_token:
    state: list
  register: tokens
"""

RETURN = r"""
token:
  description: The token (secret).
  returned: state=present
  type: str
  sample: abcdef.0123456789abcdef
token_id:
  description: The token's public id.
  returned: state=present or state=absent
  type: str
  sample: abcdef
expires:
  description: When the token expires (RFC 3339, UTC), or null when it never does.
  returned: state=present
  type: str
  sample: "2026-12-03T02:00:00Z"
ttl:
  description: The requested lifetime.
  returned: state=present
  type: str
  sample: 24h0m0s
usages:
  description: The token's usages.
  returned: state=present
  type: list
  elements: str
  sample: [authentication, signing]
groups:
  description: The token's extra groups.
  returned: state=present
  type: list
  elements: str
  sample: ["system:bootstrappers:kubeadm:default-node-token"]
description:
  description: The token's description.
  returned: state=present
  type: str
  sample: join token
ca_cert_hash:
  description: The pin of the cluster CA, C(sha256:<hex>) of its public key.
  returned: state=present
  type: str
  sample: "sha256:345959acb2c3b2feb87d281961c893f62a314207ef02599f1cc4a5fb255480b3"
api_server_endpoint:
  description: >-
    The API server the token is for, C(host:port) of the kubeconfig's server (IPv6 in brackets), as
    M(kubeforge.cluster.discovery) takes it.
  returned: state=present
  type: str
  sample: "k8s.example.com:6443"
join_command:
  description: C(kubeadm join <endpoint> --token <token> --discovery-token-ca-cert-hash <pin>).
  returned: state=present
  type: str
  sample: kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:3459...
join_command_control_plane:
  description: RV(join_command) plus C(--control-plane --certificate-key <key>), or null without O(certificate_key).
  returned: state=present
  type: str
  sample: kubeadm join 10.0.0.1:6443 --token ... --control-plane --certificate-key 0a1b...
tokens:
  description:
    - With O(state=list), what C(kubeadm token list) shows, without the secrets.
    - With O(state=present) and several C(bootstrapTokens) in O(kubeadm_config), each token's
      C(token) (the secret), C(token_id), C(expires), C(ttl), C(usages), C(groups) and C(description),
      in the config's order.
  returned: state=list, or state=present with bootstrapTokens from kubeadm_config
  type: list
  elements: dict
  sample: [{token_id: abcdef, ttl: 23h59m0s, expires: "2026-12-03T02:00:00Z", expired: false,
            usages: [authentication, signing], description: "", groups: []}]
objects:
  description: The objects written, with C(kind), C(namespace), C(name) and C(action).
  returned: state=present or state=absent
  type: list
  elements: dict
  sample: [{kind: Secret, namespace: kube-system, name: bootstrap-token-abcdef, action: created}]
cluster_admins:
  description: The C(kubeadm:cluster-admins) ClusterRoleBinding step, when O(kubeconfig) is an C(admin.conf).
  returned: when the kubeconfig is an admin.conf
  type: dict
  sample: {kind: ClusterRoleBinding, name: "kubeadm:cluster-admins", action: unchanged, via: admin.conf}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeforge.cluster.plugins.module_utils.kube import run_kube_module

OPTIONS = dict(
    state=dict(type="str", choices=["present", "absent", "list"], default="present"),
    token=dict(type="str", no_log=True),
    token_id=dict(type="str"),
    ttl=dict(type="str"),
    usages=dict(type="list", elements="str"),
    groups=dict(type="list", elements="str"),
    description=dict(type="str"),
    certificate_key=dict(type="str", no_log=True),
    kubeadm_config=dict(type="str", no_log=True),
)


def main():
    run_kube_module("/v1/bootstrap-token", OPTIONS, AnsibleModule)


if __name__ == "__main__":
    main()
