# -*- coding: utf-8 -*-
# Copyright: kubeforge developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The cluster model options (module_utils/cluster.py cluster_argument_spec, ClusterOptions schema)."""

    DOCUMENTATION = r"""
options:
  kubeadm_config:
    description:
      - kubeadm's own configuration - C(InitConfiguration), C(ClusterConfiguration), C(JoinConfiguration)
        and C(KubeletConfiguration) documents of C(kubeadm.k8s.io/v1beta4) (C(v1beta3) is converted on
        read), multi-document YAML, strictly decoded as kubeadm decodes it - either as YAML text or as
        the path of a file on the managed host (at most 1 MiB).
      - A C(KubeProxyConfiguration) (C(kubeproxy.config.k8s.io/v1alpha1)) is decoded strictly too; a
        field kube-proxy's type does not have fails naming its path, as C(kubeadm config validate)
        fails (C(kubeadm init) only warns).
      - A value that contains a newline or starts with C(apiVersion) is YAML text; any other value is a
        path, made absolute against the module's working directory. A one-line flow-style YAML
        document is therefore read as a file name; write it as a block.
      - The YAML is read first; every other option of this fragment that is set overrides its field;
        kubeadm's defaults (stated with each option) fill the rest. An unknown field fails the task
        naming its YAML path, for example C(ClusterConfiguration.networking.bogus).
      - Not logged (C(no_log)) - an C(InitConfiguration) can carry bootstrap tokens and a certificate key.
    type: str
  cert_dir:
    description:
      - Folder of the certificate tree (C(ClusterConfiguration.certificatesDir)). Default C(/etc/kubernetes/pki).
      - A relative path is made absolute against the module's working directory (for a local
        connection, the directory Ansible was started from), as for every path option.
    type: path
  kubeconfig_dir:
    description:
      - Folder of C(admin.conf), C(super-admin.conf), C(controller-manager.conf), C(scheduler.conf) and
        C(kubelet.conf). Default C(/etc/kubernetes).
    type: path
  manifest_dir:
    description:
      - Folder of the static Pod manifests the kubelet watches (the kubelet's C(staticPodPath)).
        Default C(/etc/kubernetes/manifests).
    type: path
  kubelet_config_path:
    description:
      - The kubelet's C(KubeletConfiguration) file; C(kubeadm-flags.env) and C(instance-config.yaml)
        are written beside it. Default C(/var/lib/kubelet/config.yaml).
    type: path
  encryption_config_path:
    description:
      - The API server's C(EncryptionConfiguration) file. When set, the kube-apiserver manifest gets
        C(--encryption-provider-config) and a read-only hostPath mount of its folder.
      - M(kubeforge.cluster.encryption_config) writes C(<kubeconfig_dir>/encryption/encryption-config.yaml)
        when it is not set; the other modules then leave encryption out.
    type: path
  node_name:
    description:
      - The node's name (RFC 1123) (C(nodeRegistration.name)), used in SANs, etcd's member name, the
        C(kubelet.conf) user and the manifests. Default the host name, lower-cased.
    type: str
  advertise_address:
    description:
      - The IP address the API server advertises on this host (C(localAPIEndpoint.advertiseAddress)).
        M(kubeforge.cluster.pki), M(kubeforge.cluster.kubeconfig) and M(kubeforge.cluster.static_pods)
        require it unless O(kubeadm_config) sets it.
    type: str
  bind_port:
    description:
      - The API server's port on this host (C(localAPIEndpoint.bindPort)); also the port of
        O(control_plane_endpoint) when that has none. Default C(6443).
    type: int
  control_plane_endpoint:
    description:
      - A stable C(host) or C(host:port) for the control plane (load balancer)
        (C(ClusterConfiguration.controlPlaneEndpoint)); the server of C(admin.conf), C(super-admin.conf)
        and C(kubelet.conf) and a SAN of C(apiserver).
    type: str
  service_subnet:
    description:
      - The Service CIDR, or two comma-separated CIDRs for dual-stack (C(networking.serviceSubnet)).
        The first address of each is a SAN of C(apiserver); the tenth of the first is the cluster DNS
        address. Default C(10.96.0.0/12).
    type: str
  pod_subnet:
    description:
      - The Pod CIDR, or two comma-separated for dual-stack (C(networking.podSubnet)); sets
        C(--cluster-cidr) and C(--allocate-node-cidrs) of the controller manager. Default none.
    type: str
  dns_domain:
    description:
      - The cluster's DNS domain (C(networking.dnsDomain)). Default C(cluster.local).
    type: str
  cluster_name:
    description:
      - The cluster's name in the kubeconfig files and the controller manager (C(clusterName)).
        Default C(kubernetes).
    type: str
  kubernetes_version:
    description:
      - The control-plane version, for the images and version-dependent flags (C(kubernetesVersion)).
        Default C(v1.34.10).
    type: str
  image_repository:
    description:
      - The registry of the control-plane images (C(imageRepository)). Default C(registry.k8s.io).
    type: str
  apiserver_cert_sans:
    description:
      - Extra SANs for C(apiserver) (C(apiServer.certSANs)) - IP addresses, DNS names or C(*.wildcard)
        names. An entry that is none of these fails the task and is named in the message. Default none.
    type: list
    elements: str
  etcd:
    description:
      - V(local) runs etcd as a static Pod with its own CA and certificates; V(external) uses
        O(etcd_external_endpoints) instead. Default V(local), or V(external) when
        O(etcd_external_endpoints) is set.
    type: str
    choices: [local, external]
  etcd_external_endpoints:
    description:
      - The external etcd's client URLs (C(etcd.external.endpoints)).
    type: list
    elements: str
  etcd_external_ca_file:
    description:
      - CA file of the external etcd, on the host (C(etcd.external.caFile)).
    type: path
  etcd_external_cert_file:
    description:
      - Client certificate for the external etcd (C(etcd.external.certFile)).
    type: path
  etcd_external_key_file:
    description:
      - Client key for the external etcd (C(etcd.external.keyFile)).
    type: path
  etcd_data_dir:
    description:
      - The local etcd's data folder on the host (C(etcd.local.dataDir)). Default C(/var/lib/etcd).
    type: path
  etcd_image_tag:
    description:
      - Image tag of the local etcd (C(etcd.local.imageTag)). Default the etcd version kubeadm pairs
        with O(kubernetes_version).
    type: str
  etcd_server_cert_sans:
    description:
      - Extra SANs for C(etcd/server) (C(etcd.local.serverCertSANs)), with the rules of
        O(apiserver_cert_sans). Default none.
    type: list
    elements: str
  etcd_peer_cert_sans:
    description:
      - Extra SANs for C(etcd/peer) (C(etcd.local.peerCertSANs)), with the rules of
        O(apiserver_cert_sans). Default none.
    type: list
    elements: str
  key_algorithm:
    description:
      - Algorithm of every new private key (C(encryptionAlgorithm)); existing keys are kept.
        Default V(RSA-2048).
    type: str
    choices: [RSA-2048, RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384]
  certificate_validity:
    description:
      - Validity of leaf certificates, including the client certificates of the kubeconfig files, as a
        Go duration (V(8760h), V(90m), V(1h30m)) (C(certificateValidityPeriod)). Default V(8760h).
    type: str
  ca_certificate_validity:
    description:
      - Validity of the CA certificates, as a Go duration (C(caCertificateValidityPeriod)); V(876000h)
        gives 100 years. Default V(87600h).
    type: str
  apiserver_extra_args:
    description:
      - Extra flags of kube-apiserver (C(apiServer.extraArgs)), merged as kubeadm merges them (an
        extra flag replaces the default of the same name). A dict name to value (sorted by name, as
        kubeadm converts v1beta3), or a list of C({name, value}) (order and repeats kept, as v1beta4).
    type: raw
  controller_manager_extra_args:
    description:
      - Extra flags of kube-controller-manager (C(controllerManager.extraArgs)), as O(apiserver_extra_args).
    type: raw
  scheduler_extra_args:
    description:
      - Extra flags of kube-scheduler (C(scheduler.extraArgs)), as O(apiserver_extra_args).
    type: raw
  etcd_extra_args:
    description:
      - Extra flags of the local etcd (C(etcd.local.extraArgs)), as O(apiserver_extra_args).
    type: raw
  kubelet_extra_args:
    description:
      - Extra kubelet flags for C(kubeadm-flags.env) (C(nodeRegistration.kubeletExtraArgs)), as
        O(apiserver_extra_args).
    type: raw
  apiserver_extra_volumes:
    description:
      - Extra hostPath volumes of kube-apiserver (C(apiServer.extraVolumes)), each
        C({name, host_path, mount_path, read_only, path_type}).
    type: list
    elements: dict
  controller_manager_extra_volumes:
    description:
      - Extra hostPath volumes of kube-controller-manager, as O(apiserver_extra_volumes).
    type: list
    elements: dict
  scheduler_extra_volumes:
    description:
      - Extra hostPath volumes of kube-scheduler, as O(apiserver_extra_volumes).
    type: list
    elements: dict
  apiserver_extra_envs:
    description:
      - Extra environment variables of kube-apiserver (C(apiServer.extraEnvs)), a dict name to value
        or a list of C({name, value}).
      - The values are written into the manifest in clear, but kept out of the task's output -
        they are C(no_log), so every occurrence of a value in results and diffs is masked.
    type: raw
  controller_manager_extra_envs:
    description:
      - Extra environment variables of kube-controller-manager, as O(apiserver_extra_envs).
    type: raw
  scheduler_extra_envs:
    description:
      - Extra environment variables of kube-scheduler, as O(apiserver_extra_envs).
    type: raw
  etcd_extra_envs:
    description:
      - Extra environment variables of the local etcd, as O(apiserver_extra_envs).
    type: raw
  cri_socket:
    description:
      - The container runtime's socket (C(nodeRegistration.criSocket)), for C(kubeadm-flags.env),
        C(instance-config.yaml) and the kubelet configuration. Default
        C(unix:///var/run/containerd/containerd.sock).
    type: str
  control_plane_component_health_check:
    description:
      - kubeadm's timeout for control-plane components to become healthy
        (C(timeouts.controlPlaneComponentHealthCheck)), a Go duration. Default V(4m0s).
    type: str
notes:
  - The options of this fragment have no module-side defaults - an option that is not set is not
    sent, so the matching field of O(kubeadm_config) applies, else kubeadm's default, which the
    worker fills and each option states.
  - Every module of this fragment reads the same model, so one dict (or one O(kubeadm_config)) can be
    handed to M(kubeforge.cluster.pki), M(kubeforge.cluster.kubeconfig), M(kubeforge.cluster.static_pods),
    M(kubeforge.cluster.encryption_config) and M(kubeforge.cluster.kubelet_config) alike.
"""
