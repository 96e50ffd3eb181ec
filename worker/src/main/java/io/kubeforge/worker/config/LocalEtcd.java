package io.kubeforge.worker.config;

import java.util.List;

/**
 * LocalEtcd configures the stacked etcd member kubeadm runs as a static Pod.
 *
 * @param dataDir etcd's data directory on the host
 * @param imageRepository image repository override, empty for the cluster's
 * @param imageTag image tag override, empty for kubeadm's etcd version of the Kubernetes minor
 * @param extra extra flags and environment variables (volumes are not supported by kubeadm here)
 * @param serverCertSans extra SANs of the etcd server certificate
 * @param peerCertSans extra SANs of the etcd peer certificate
 */
public record LocalEtcd(String dataDir, String imageRepository, String imageTag, ComponentExtras extra,
                        List<String> serverCertSans, List<String> peerCertSans) {
  public LocalEtcd {
    serverCertSans = List.copyOf(serverCertSans);
    peerCertSans = List.copyOf(peerCertSans);
  }
}
