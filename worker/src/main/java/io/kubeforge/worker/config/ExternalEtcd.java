package io.kubeforge.worker.config;

import java.util.List;

/**
 * ExternalEtcd points the API server at an etcd cluster kubeadm does not run.
 *
 * @param endpoints client URLs
 * @param caFile CA bundle path, empty if not used
 * @param certFile client certificate path, empty if not used
 * @param keyFile client key path, empty if not used
 */
public record ExternalEtcd(List<String> endpoints, String caFile, String certFile, String keyFile) {
  public ExternalEtcd {
    endpoints = List.copyOf(endpoints);
  }
}
