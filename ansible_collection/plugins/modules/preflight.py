#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: preflight
short_description: Run kubeadm's preflight checks and return each as data
version_added: 0.2.0
description:
  - Runs the checks C(kubeadm init), C(kubeadm join) or C(kubeadm join --control-plane) runs
    before it changes anything (kubeadm v1.34's names, severities and wording) and returns each
    one - C(name), C(severity), C(passed), C(ignored), C(message) - so a play can stop early with
    the reason or assert on single checks.
  - Fails when an error check fails and is not ignored, listing every failing check in one message.
  - 'Failing warnings become module warnings, C([WARNING <name>]: <message>) as kubeadm prints them.'
  - Read only - nothing on the host is changed, so check mode is the same run and C(changed) is always false.
  - Checks - C(IsPrivilegedUser), C(NumCPU), C(Mem), C(KubernetesVersion), C(Port-<bind port>),
    C(Port-10259), C(Port-10257), C(Port-10250), C(Port-2379) and C(Port-2380) (local etcd),
    C(FileAvailable-...) for the static Pod manifests (and, for join, C(kubelet.conf),
    C(bootstrap-kubelet.conf) and C(ca.crt)), C(DirAvailable-...) for the etcd data folder, C(Swap),
    C(FileExisting-losetup), C(FileExisting-mount), C(FileExisting-cp), C(FileContent--proc-sys-net-ipv4-ip_forward)
    and its IPv6 twin per address family, C(Hostname), C(HTTPProxy), C(HTTPProxyCIDR), C(ExternalEtcdClientCertificates),
    C(ExternalEtcdVersion), C(CRI) (the runtime socket accepts a connection), C(KubeletVersion), and for
    V(join_control_plane) C(ControlPlaneEndpoint) and C(SharedCertificates), which cannot be ignored (as in kubeadm).
  - Not run - C(Firewalld), C(SystemVerification), C(Service-Kubelet), C(ImagePull) (listed in RV(not_checked)).
  - Reads the cluster model - O(kubeadm_config) and/or the options of the C(kubeforge.cluster.cluster)
    fragment.
  - The kubeforge worker on the managed host does the work (C(POST /v1/preflight)); this module
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
    details: The checks only read; check mode runs them all the same.
  diff_mode:
    support: none
  platform:
    platforms: posix
  action_group:
    support: full
    membership: [kubeforge.cluster.worker]
options:
  mode:
    description:
      - Which kubeadm command the host is checked for.
    type: str
    choices: [init, join, join_control_plane]
    default: init
  ignore:
    description:
      - Check names (case-insensitive) whose errors become warnings, or V(all) alone, as kubeadm's
        C(--ignore-preflight-errors).
    type: list
    elements: str
    default: []
  certificate_key:
    description:
      - For O(mode=join_control_plane) - the key the shared certificates will be downloaded with, so
        they need not be on disk yet. Only its presence matters; it is never logged.
    type: str
  api_server_endpoint:
    description:
      - For the join modes - the discovery endpoint C(host:port) (kubeadm's
        C(discovery.bootstrapToken.apiServerEndpoint)); defaults to O(control_plane_endpoint).
    type: str
seealso:
  - module: kubeforge.cluster.static_pods
  - name: kubeadm preflight checks
    description: kubeadm's own source of the checks.
    link: https://github.com/kubernetes/kubernetes/blob/v1.34.10/cmd/kubeadm/app/preflight/checks.go
"""

EXAMPLES = r"""
- name: Check the host before kubeadm init, ignoring what cannot pass without a container runtime
  kubeforge.cluster.preflight:
    advertise_address: 192.0.2.10
    pod_subnet: 10.244.0.0/16
    ignore: [CRI, KubeletVersion]
  register: preflight

- name: Show the failing checks
  ansible.builtin.debug:
    msg: "{{ preflight.checks | rejectattr('passed') | map(attribute='name') | list }}"
"""

RETURN = r"""
mode:
  description: The mode the checks ran for.
  returned: success
  type: str
  sample: init
checks:
  description: Every check run, in kubeadm's order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: kubeadm's name of the check (path-derived names follow the configured folders).
      type: str
      sample: Port-6443
    severity:
      description: V(error) or V(warning); an ignored error is a V(warning).
      type: str
      sample: error
    passed:
      description: Whether the check passed.
      type: bool
      sample: false
    ignored:
      description: Whether O(ignore) named the check (or was V(all)).
      type: bool
      sample: false
    message:
      description: kubeadm's message for the failure; empty when the check passed.
      type: str
      sample: Port 6443 is in use
error_count:
  description: Failing checks that are errors (not ignored).
  returned: always
  type: int
  sample: 0
warning_count:
  description: Failing checks that are warnings, ignored errors included.
  returned: always
  type: int
  sample: 2
not_checked:
  description: kubeadm's checks the worker does not run.
  returned: success
  type: list
  elements: str
  sample: [Firewalld, SystemVerification, Service-Kubelet, ImagePull]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubeforge.cluster.plugins.module_utils.cluster import (
    cluster_argument_spec,
    cluster_request,
)
from ansible_collections.kubeforge.cluster.plugins.module_utils.worker_client import (
    call_and_exit,
)

OWN = ("mode", "ignore", "certificate_key", "api_server_endpoint")


def failing_errors(result):
    """kubeadm's fatal list: every failing error that was not ignored, in one message."""
    errors = [c for c in result["checks"] if not c["passed"] and c["severity"] == "error"]
    if not errors:
        return None
    return "preflight: %d check(s) failed: %s" % (
        len(errors), "; ".join("[ERROR %s]: %s" % (c["name"], c["message"]) for c in errors))


def main():
    module = AnsibleModule(
        argument_spec=cluster_argument_spec(
            mode=dict(type="str", choices=["init", "join", "join_control_plane"], default="init"),
            ignore=dict(type="list", elements="str", default=[]),
            certificate_key=dict(type="str", no_log=True),
            api_server_endpoint=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    call_and_exit(module, "/v1/preflight", cluster_request(module.params, OWN), failure=failing_errors)


if __name__ == "__main__":
    main()
