#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: encryption_config
short_description: The API server's EncryptionConfiguration for Secrets at rest, with key rotation
version_added: 0.2.0
description:
  - Writes the C(EncryptionConfiguration) that kube-apiserver reads with C(--encryption-provider-config)
    at O(encryption_config_path) (default C(<kubeconfig_dir>/encryption/encryption-config.yaml)), mode
    0600 - the Secrets resource encrypted with O(provider), then C(identity) so data written before
    encryption stays readable. Keys come from the worker's secure random source.
  - An existing file whose active key is of O(provider) is kept. A different O(provider) puts a new key
    of it first and keeps the old provider for decryption (action V(updated)). O(rotate=true) puts a
    new key first and keeps the old ones, so Secrets written with them stay readable; O(retire_keys) removes named old keys once
    every Secret has been rewritten with the new one (C(kubectl get secrets -A -o json | kubectl replace -f -)).
  - Key material is never returned, logged or shown in a diff - the result names keys only.
  - Pass the same O(encryption_config_path) to M(kubeforge.cluster.static_pods) to wire the file into
    the API server's manifest.
  - The kubeforge worker on the managed host does the work (C(POST /v1/encryption-config)); this module
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
    details: The worker computes the change with C(dry_run) and writes nothing.
  diff_mode:
    support: full
    details: The file's text before and after, every key's secret replaced by C(<redacted>).
  platform:
    platforms: posix
  action_group:
    support: full
    membership: [kubeforge.cluster.cluster, kubeforge.cluster.worker]
options:
  provider:
    description:
      - The encryption provider of new keys. V(secretbox) (XSalsa20-Poly1305) is the default;
        V(aescbc) is rated weak by the Kubernetes documentation; V(aesgcm) needs a key rotation at least
        every 200,000 writes.
    type: str
    choices: [aescbc, aesgcm, secretbox]
    default: secretbox
  rotate:
    description:
      - Put a new key first and keep the old ones. Not idempotent by design - every run with
        O(rotate=true) rotates; guard it with a condition.
    type: bool
    default: false
  retire_keys:
    description:
      - Names of old keys to remove (see RV(keys)). Retiring the active (first) key fails - rotate
        first; a name that is not in the file is a warning (already retired).
    type: list
    elements: str
  backup:
    description:
      - Copy the file to C(<file>.<UTC timestamp>.bak) (mode 0600) before replacing it. The backup holds
        the old keys.
    type: bool
    default: true
notes:
  - The file holds the keys that decrypt every Secret; anyone who can read it (or its backups) can read
    them. Keep O(encryption_config_path) on the control-plane hosts only.
seealso:
  - module: kubeforge.cluster.static_pods
  - name: Encrypting Confidential Data at Rest
    description: The Kubernetes documentation of the file and of key rotation.
    link: https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/
"""

EXAMPLES = r"""
- name: Encrypt Secrets at rest
  kubeforge.cluster.encryption_config:
    encryption_config_path: /etc/kubernetes/encryption/encryption-config.yaml
  register: encryption

- name: Wire it into the API server
  kubeforge.cluster.static_pods:
    advertise_address: 192.0.2.10
    encryption_config_path: "{{ encryption.path }}"

- name: Rotate - a new key first, the old one kept
  kubeforge.cluster.encryption_config:
    encryption_config_path: /etc/kubernetes/encryption/encryption-config.yaml
    rotate: true
  register: rotated

- name: After every Secret was rewritten, retire the old keys
  kubeforge.cluster.encryption_config:
    encryption_config_path: /etc/kubernetes/encryption/encryption-config.yaml
    retire_keys: "{{ rotated['keys'] | map(attribute='name') | reject('equalto', rotated.active_key) | list }}"
"""

RETURN = r"""
path:
  description: Absolute path of the file.
  returned: success
  type: str
  sample: /etc/kubernetes/encryption/encryption-config.yaml
provider:
  description: The provider of the active key.
  returned: success
  type: str
  sample: secretbox
active_key:
  description: The name of the key new Secrets are encrypted with (never the key itself).
  returned: success
  type: str
  sample: key-20261123T120000Z
keys:
  description: Every key in the file, the active one first, by name and provider (never the key material).
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The key's name.
      type: str
      sample: key-20261123T120000Z
    provider:
      description: The key's provider.
      type: str
      sample: secretbox
action:
  description: What happened (or, in check mode, would happen) - V(created), V(kept), V(rotated) or V(updated).
  returned: success
  type: str
  sample: kept
reason:
  description: Why an existing file was (or would be) changed.
  returned: when RV(action) is V(rotated) or V(updated) (not for V(created) or V(kept))
  type: str
  sample: new key first; old keys kept until retired
retired:
  description: Names of the keys removed by O(retire_keys).
  returned: success
  type: list
  elements: str
  sample: [key-20261123T120000Z]
backups:
  description: Backup files written before replacing the file.
  returned: success
  type: list
  elements: str
  sample: ["/etc/kubernetes/encryption/encryption-config.yaml.20261123T120000Z.bak"]
owner:
  description: Owner of the file at RV(path) (Ansible adds the file's attributes to any result with a C(path)).
  returned: success, when the file exists
  type: str
  sample: root
group:
  description: Group of the file at RV(path).
  returned: success, when the file exists
  type: str
  sample: root
uid:
  description: Owner id of the file at RV(path).
  returned: success, when the file exists
  type: int
  sample: 0
gid:
  description: Group id of the file at RV(path).
  returned: success, when the file exists
  type: int
  sample: 0
mode:
  description: Permissions of the file at RV(path), in octal.
  returned: success, when the file exists
  type: str
  sample: "0600"
size:
  description: Size of the file at RV(path) in bytes.
  returned: success, when the file exists
  type: int
  sample: 412
state:
  description: V(file) when the file at RV(path) exists.
  returned: success, when the file exists
  type: str
  sample: file
secontext:
  description: SELinux context of the file at RV(path), on hosts with SELinux.
  returned: success, when the file exists and SELinux is enabled
  type: str
  sample: system_u:object_r:etc_t:s0
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeforge.cluster.plugins.module_utils.cluster import (
    cluster_argument_spec,
    cluster_request,
)
from ansible_collections.kubeforge.cluster.plugins.module_utils.worker_client import (
    call_and_exit,
)

OWN_FIELDS = ("provider", "rotate", "retire_keys", "backup")


def main():
    module = AnsibleModule(
        argument_spec=cluster_argument_spec(
            provider=dict(type="str", choices=["aescbc", "aesgcm", "secretbox"], default="secretbox"),
            rotate=dict(type="bool", default=False),
            retire_keys=dict(type="list", elements="str", no_log=False),
            backup=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    call_and_exit(module, "/v1/encryption-config", cluster_request(module.params, OWN_FIELDS))


if __name__ == "__main__":
    main()
