#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: static_pods
short_description: Write the static Pod manifests that C(kubeadm init phase control-plane all) and C(etcd local) write
version_added: 0.2.0
description:
  - Writes C(kube-apiserver.yaml), C(kube-controller-manager.yaml), C(kube-scheduler.yaml) and, for
    local etcd, C(etcd.yaml) under O(manifest_dir), as kubeadm renders them for O(kubernetes_version)
    and O(image_repository) - kubeadm's full default flag set, hostPath volumes, probes, priority
    class, labels and annotations, with C(*_extra_args), C(*_extra_volumes) and C(*_extra_envs) merged
    as kubeadm merges them. External etcd (O(etcd_external_endpoints) and its CA, certificate and key
    files) replaces the local one.
  - With O(encryption_config_path) set, the API server gets C(--encryption-provider-config) and a
    read-only mount of that file's folder (see M(kubeforge.cluster.encryption_config)).
  - Rendering is deterministic - the same model gives byte-identical files - so a second run keeps
    every file. A file that differs is rewritten (action V(updated), with RV(manifests[].reason)); the
    old one is backed up under C(<kubeconfig_dir>/tmp/kubeforge-backup-manifests/), never in the
    folder the kubelet watches.
  - For a control plane joining a cluster with stacked etcd (O(kubeadm_config) holding a
    C(JoinConfiguration) with C(controlPlane), plus the cluster's C(ClusterConfiguration)), O(etcd_join)
    does what C(kubeadm join --control-plane) does for etcd (its C(etcd-join) phase) - through the
    existing members' client URLs and this node's C(etcd/healthcheck-client) certificate it adds this
    node's peer URL (C(https://<advertise address>:2380)) as a learner, writes C(etcd.yaml) with
    C(--initial-cluster) listing every member and C(--initial-cluster-state=existing), and, once the
    kubelet runs the new member, promotes it to a voting member. A member with this peer URL is not
    added again and a voting member is not promoted again, so a second run reports C(changed=false).
    Without O(etcd_join) a C(JoinConfiguration) gets no C(etcd.yaml) (with a warning).
  - Reads the cluster model - O(kubeadm_config) and/or the options of the C(kubeforge.cluster.cluster)
    fragment; one of O(advertise_address) and O(kubeadm_config) is required.
  - The kubeforge worker on the managed host does the work (C(POST /v1/static-pods)); this module only
    passes the options on.
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
    details: The worker renders everything with C(dry_run) and writes nothing.
  diff_mode:
    support: full
    details: The manifests' text before and after.
  platform:
    platforms: posix
  action_group:
    support: full
    membership: [kubeforge.cluster.cluster, kubeforge.cluster.worker]
options:
  etcd_join:
    description:
      - Join this node's local etcd member to the existing stacked etcd cluster (see the description).
      - The call returns once the member is promoted, so the kubelet must be running (it starts
        C(etcd.yaml) from O(manifest_dir)); the module raises O(worker_timeout) to 4 x O(etcd_join.timeout) + 30
        when it is lower.
      - The etcd client uses C(<cert_dir>/etcd/healthcheck-client.crt) and C(.key) and trusts only
        C(<cert_dir>/etcd/ca.crt), as kubeadm does; run M(kubeforge.cluster.download_certs) and
        M(kubeforge.cluster.pki) first.
    type: dict
    suboptions:
      endpoints:
        description:
          - Client URLs (C(https://host:port)) of existing etcd members, tried in order; in a play, the
            first control plane's C(https://<advertise address>:2379).
          - Without them, read as kubeadm reads them - the C(kubeadm.kubernetes.io/etcd.advertise-client-urls)
            annotation of every Pod in C(kube-system) labelled C(component=etcd,tier=control-plane) (the
            kubelet's mirror Pods), through C(<kubeconfig_dir>/admin.conf) (run M(kubeforge.cluster.kubeconfig)
            first), polled within O(etcd_join.timeout) until each such Pod has it.
        type: list
        elements: str
      timeout:
        description:
          - Seconds for each step (listing/adding the member; waiting for it to start and promoting it),
            retries included, at most 600. kubeadm's default C(timeouts.etcdAPICall) is 2 minutes.
        type: int
        default: 120
  certificates_hash:
    description:
      - Beyond kubeadm - annotate each Pod with C(kubeforge.io/certificates-hash), a SHA-256 of the
        certificate, key and kubeconfig files under O(cert_dir) and O(kubeconfig_dir) that its flags name.
        After M(kubeforge.cluster.renew) the manifests of the Pods whose files changed change too, so the
        kubelet restarts exactly those Pods; with nothing renewed the manifests are kept.
    type: bool
    default: false
  backup:
    description:
      - Copy a manifest that is about to be replaced to C(<kubeconfig_dir>/tmp/kubeforge-backup-manifests/) first.
    type: bool
    default: true
seealso:
  - module: kubeforge.cluster.pki
  - module: kubeforge.cluster.kubeconfig
  - module: kubeforge.cluster.encryption_config
  - module: kubeforge.cluster.kubelet_config
"""

EXAMPLES = r"""
- name: Write the control-plane manifests as kubeadm init would
  kubeforge.cluster.static_pods:
    advertise_address: 192.0.2.10
    pod_subnet: 10.244.0.0/16
    apiserver_extra_args:
      audit-log-path: /var/log/kubernetes/audit/audit.log
    apiserver_extra_volumes:
      - name: audit
        host_path: /var/log/kubernetes/audit
        mount_path: /var/log/kubernetes/audit
        path_type: DirectoryOrCreate

- name: A second control plane joins the stacked etcd cluster (kubeadm join --control-plane)
  kubeforge.cluster.static_pods:
    kubeadm_config: "{{ join_control_plane_config }}"  # JoinConfiguration + the ClusterConfiguration
    etcd_join:
      endpoints:
        - "https://{{ hostvars[groups['control_plane'][0]].kubeforge_advertise_address }}:2379"

- name: External etcd, from kubeadm's configuration text
  kubeforge.cluster.static_pods:
    kubeadm_config: "{{ lookup('ansible.builtin.file', 'kubeadm.yaml') }}"
"""

RETURN = r"""
manifest_dir:
  description: Absolute path of the manifest folder.
  returned: success
  type: str
  sample: /etc/kubernetes/manifests
manifests:
  description: One entry per manifest (C(etcd) only with local etcd).
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The component (C(etcd), C(kube-apiserver), C(kube-controller-manager), C(kube-scheduler)).
      type: str
      sample: kube-apiserver
    path:
      description: Absolute path of the manifest.
      type: str
      sample: /etc/kubernetes/manifests/kube-apiserver.yaml
    image:
      description: The container image.
      type: str
      sample: registry.k8s.io/kube-apiserver:v1.34.10
    action:
      description: What happened (or, in check mode, would happen) - V(created), V(kept) or V(updated).
      type: str
      sample: kept
    reason:
      description: Why a manifest was updated.
      type: str
etcd_member:
  description: With O(etcd_join), this node's etcd member.
  returned: when etcd_join is set
  type: dict
  contains:
    name:
      description: The member's name (the node name).
      type: str
      sample: cp2
    peer_url:
      description: Its peer URL.
      type: str
      sample: https://192.0.2.11:2380
    id:
      description: Its member id in hexadecimal, as etcdctl prints it (null in check mode before it was added).
      type: str
      sample: 1c2f7fdc5a441216
    action:
      description: V(added) (in check mode, would be added) or V(present) (a member has this peer URL).
      type: str
      sample: added
    promoted:
      description: Whether it was promoted from learner to voting member by this run (in check mode, would be).
      type: bool
      sample: true
    learner:
      description: Whether it is still a learner after this run.
      type: bool
      sample: false
    initial_cluster:
      description: The C(--initial-cluster) value of C(etcd.yaml) (every member as C(name=peerURL)).
      type: str
      sample: cp1=https://192.0.2.10:2380,cp2=https://192.0.2.11:2380
    endpoints:
      description: The client URLs used (O(etcd_join.endpoints), or those the etcd Pods' annotation gave).
      type: list
      elements: str
      sample: ["https://192.0.2.10:2379"]
    quorum:
      description:
        - Whether a linearizable read through the members succeeded after the promotion (a real run only),
          which needs the quorum that now counts this member; kubeadm's C(WaitForClusterAvailable) only
          asks each endpoint for its status.
      type: bool
      sample: true
backups:
  description: Backup files written before replacing manifests.
  returned: success
  type: list
  elements: str
  sample: ["/etc/kubernetes/tmp/kubeforge-backup-manifests/kube-apiserver.yaml.20261123T120000Z.bak"]
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
            certificates_hash=dict(type="bool", default=False),
            etcd_join=dict(type="dict", options=dict(
                endpoints=dict(type="list", elements="str"),
                timeout=dict(type="int", default=120),
            )),
        ),
        required_one_of=[("advertise_address", "kubeadm_config")],
        supports_check_mode=True,
    )
    join = module.params.get("etcd_join")
    if join and (module.params.get("worker_timeout") or 0) < 4 * join["timeout"] + 30:
        # the worker answers once the learner is promoted: up to four bounded steps (the etcd Pods'
        # endpoints when none are given, listing/adding the member, its start, its promotion)
        module.params["worker_timeout"] = 4 * join["timeout"] + 30
    call_and_exit(module, "/v1/static-pods", cluster_request(module.params, ("backup", "etcd_join", "certificates_hash")))


if __name__ == "__main__":
    main()
