package io.kubeforge.worker.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * KubeletDefaults builds the cluster-wide KubeletConfiguration of kubeadm v1.34: the fields of
 * the v1beta1 type that serialise even when zero ({@code 0s} durations, {@code logging},
 * {@code memorySwap: {}}, {@code crashLoopBackOff: {}}, {@code containerRuntimeEndpoint: ""}), the
 * user's own document on top, then kubeadm's {@code kubeletConfig.Default()}: clusterDNS = 10th
 * address of the first service CIDR, clusterDomain, x509 client CA {@code <pki>/ca.crt}, webhook
 * authentication on, anonymous off, Webhook authorization, healthz on 127.0.0.1:10248,
 * rotateCertificates forced true, cgroupDriver systemd and staticPodPath. It is what kubeadm
 * uploads in the {@code kubelet-config} ConfigMap and the base of the node's own
 * {@code config.yaml}, to which the kubelet phase adds the host's part ({@code Mutate()}).
 */
public final class KubeletDefaults {
  private static final List<String> ZERO_DURATIONS = List.of("cpuManagerReconcilePeriod",
      "evictionPressureTransitionPeriod", "fileCheckFrequency", "httpCheckFrequency", "imageMaximumGCAge",
      "imageMinimumGCAge", "nodeStatusReportFrequency", "nodeStatusUpdateFrequency", "runtimeRequestTimeout",
      "shutdownGracePeriod", "shutdownGracePeriodCriticalPods", "streamingConnectionIdleTimeout", "syncFrequency",
      "volumeStatsAggPeriod");

  private KubeletDefaults() {}

  /**
   * Builds the tree (a fresh, mutable one on every call).
   *
   * @param staticPodPath the default of {@code staticPodPath}
   * @param warnings collects where the user's values differ from kubeadm's; null for none
   */
  public static Map<String, Object> tree(ClusterModel m, String staticPodPath, List<String> warnings) {
    Map<String, Object> c = zeroValues();
    deepMerge(c, m.kubeletConfiguration());
    c.put("apiVersion", "kubelet.config.k8s.io/v1beta1");
    c.put("kind", "KubeletConfiguration");
    defaultValue(c, "staticPodPath", staticPodPath, warnings);
    String dns = m.clusterDnsIp();
    if (!(c.get("clusterDNS") instanceof List<?> l) || l.isEmpty()) {
      c.put("clusterDNS", new ArrayList<>(List.of(dns)));
    } else if ((l.size() != 1 || !dns.equals(l.get(0))) && warnings != null) {
      warnings.add("KubeletConfiguration.clusterDNS is " + l + "; kubeadm's default would be [" + dns + "]");
    }
    defaultValue(c, "clusterDomain", m.dnsDomain(), warnings);
    Map<String, Object> authn = child(c, "authentication");
    defaultValue(child(authn, "x509"), "clientCAFile", m.certDir().resolve("ca.crt").toString(), warnings);
    defaultValue(child(authn, "anonymous"), "enabled", false, warnings);
    defaultValue(child(authn, "webhook"), "enabled", true, warnings);
    defaultValue(child(c, "authorization"), "mode", "Webhook", warnings);
    defaultValue(c, "healthzBindAddress", "127.0.0.1", warnings);
    defaultValue(c, "healthzPort", 10248, warnings);
    c.put("rotateCertificates", true);
    defaultValue(c, "cgroupDriver", "systemd", null);
    return c;
  }

  /**
   * Sets {@code key} to kubeadm's {@code value} when it is unset or empty; otherwise keeps the
   * user's value and, when it differs, adds a warning (unless {@code warnings} is null).
   */
  public static void defaultValue(Map<String, Object> map, String key, Object value, List<String> warnings) {
    Object current = map.get(key);
    if (current == null || "".equals(current)) {
      map.put(key, value);
    } else if (!current.equals(value) && warnings != null) {
      warnings.add("KubeletConfiguration." + key + " is " + current + "; kubeadm's default would be " + value);
    }
  }

  private static Map<String, Object> zeroValues() {
    Map<String, Object> c = new LinkedHashMap<>();
    Map<String, Object> authn = new LinkedHashMap<>();
    authn.put("anonymous", new LinkedHashMap<>());
    authn.put("webhook", new LinkedHashMap<>(Map.of("cacheTTL", "0s")));
    authn.put("x509", new LinkedHashMap<>());
    c.put("authentication", authn);
    Map<String, Object> authz = new LinkedHashMap<>();
    authz.put("webhook", new LinkedHashMap<>(Map.of("cacheAuthorizedTTL", "0s", "cacheUnauthorizedTTL", "0s")));
    c.put("authorization", authz);
    c.put("containerRuntimeEndpoint", "");
    c.put("crashLoopBackOff", new LinkedHashMap<>());
    for (String d : ZERO_DURATIONS) {
      c.put(d, "0s");
    }
    Map<String, Object> logging = new LinkedHashMap<>();
    logging.put("flushFrequency", 0);
    Map<String, Object> options = new LinkedHashMap<>();
    options.put("json", new LinkedHashMap<>(Map.of("infoBufferSize", "0")));
    options.put("text", new LinkedHashMap<>(Map.of("infoBufferSize", "0")));
    logging.put("options", options);
    logging.put("verbosity", 0);
    c.put("logging", logging);
    c.put("memorySwap", new LinkedHashMap<>());
    return c;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> child(Map<String, Object> parent, String key) {
    Object v = parent.get(key);
    if (v instanceof Map<?, ?> m) {
      return (Map<String, Object>) m;
    }
    Map<String, Object> created = new LinkedHashMap<>();
    parent.put(key, created);
    return created;
  }

  @SuppressWarnings("unchecked")
  private static void deepMerge(Map<String, Object> base, Map<String, ?> over) {
    over.forEach((k, v) -> {
      if (v instanceof Map<?, ?> vm && base.get(k) instanceof Map<?, ?>) {
        deepMerge((Map<String, Object>) base.get(k), (Map<String, Object>) vm);
      } else if (v instanceof Map<?, ?> vm) {
        Map<String, Object> copy = new LinkedHashMap<>();
        deepMerge(copy, (Map<String, Object>) vm);
        base.put(k, copy);
      } else if (v instanceof List<?> l) {
        base.put(k, new ArrayList<>(l));
      } else {
        base.put(k, v);
      }
    });
  }
}
