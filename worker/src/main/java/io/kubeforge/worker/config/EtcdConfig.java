package io.kubeforge.worker.config;

/**
 * EtcdConfig is either a local (stacked) member or an external cluster, never both.
 *
 * @param local the local member, or null
 * @param external the external cluster, or null
 */
public record EtcdConfig(LocalEtcd local, ExternalEtcd external) {
  /** Tells whether the API server talks to an external etcd cluster. */
  public boolean isExternal() {
    return external != null;
  }
}
