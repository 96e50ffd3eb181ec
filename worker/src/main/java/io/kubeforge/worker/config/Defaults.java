package io.kubeforge.worker.config;

import io.kubeforge.worker.pki.KeyAlgorithm;
import java.time.Duration;

/**
 * Defaults are kubeadm v1beta4's defaults ({@code defaults.go}), the one place every capability
 * takes them from; the OpenAPI document states the same values and a test keeps them equal.
 */
public final class Defaults {
  public static final String CERT_DIR = "/etc/kubernetes/pki";
  public static final String KUBECONFIG_DIR = "/etc/kubernetes";
  public static final String MANIFEST_DIR = "/etc/kubernetes/manifests";
  public static final String KUBELET_CONFIG = "/var/lib/kubelet/config.yaml";
  public static final String SERVICE_SUBNET = "10.96.0.0/12";
  public static final String DNS_DOMAIN = "cluster.local";
  public static final String CLUSTER_NAME = "kubernetes";
  public static final String IMAGE_REPOSITORY = "registry.k8s.io";
  public static final String ETCD_DATA_DIR = "/var/lib/etcd";
  public static final String KUBERNETES_VERSION = "v1.34.10";
  public static final String CRI_SOCKET = "unix:///var/run/containerd/containerd.sock";
  public static final String KEY_ALGORITHM = KeyAlgorithm.DEFAULT.id();
  public static final int BIND_PORT = 6443;
  public static final Duration CERT_VALIDITY = Duration.ofHours(8760);
  public static final Duration CA_VALIDITY = Duration.ofHours(87600);
  public static final Duration HEALTH_CHECK = Duration.ofMinutes(4);
  public static final Duration DISCOVERY_TIMEOUT = Duration.ofMinutes(5);
  /** Longest accepted certificate validity (100 years); X.509 dates end in 9999 and nobody needs more. */
  public static final Duration MAX_VALIDITY = Duration.ofHours(876_000);

  private Defaults() {}
}
