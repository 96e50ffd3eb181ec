package io.kubeforge.worker.kubelet;

import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.HostProbe;
import io.kubeforge.worker.config.KubeYaml;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * KubeletConfigRenderer builds the KubeletConfiguration kubeadm v1.34 writes: the fields of the
 * v1beta1 type that serialise even when zero ({@code 0s} durations, {@code logging},
 * {@code memorySwap: {}}, {@code crashLoopBackOff: {}}, {@code containerRuntimeEndpoint}), the
 * user's own document on top, then kubeadm's {@code Default()}: clusterDNS = 10th address of the
 * first service CIDR, clusterDomain, x509 client CA {@code <pki>/ca.crt}, webhook authentication
 * on, anonymous off, Webhook authorization, healthz on 127.0.0.1:10248, rotateCertificates forced
 * true, cgroupDriver systemd, staticPodPath, and resolvConf when systemd-resolved's file exists.
 * With kubeadm 1.34's NodeLocalCRISocket (beta, on) the CRI socket lands in
 * {@code containerRuntimeEndpoint} (kubeadm patches instance-config.yaml into config.yaml).
 */
public final class KubeletConfigRenderer {
  static final String SYSTEMD_RESOLV_CONF = "/run/systemd/resolve/resolv.conf";
  private static final List<String> ZERO_DURATIONS = List.of("cpuManagerReconcilePeriod",
      "evictionPressureTransitionPeriod", "fileCheckFrequency", "httpCheckFrequency", "imageMaximumGCAge",
      "imageMinimumGCAge", "nodeStatusReportFrequency", "nodeStatusUpdateFrequency", "runtimeRequestTimeout",
      "shutdownGracePeriod", "shutdownGracePeriodCriticalPods", "streamingConnectionIdleTimeout", "syncFrequency",
      "volumeStatsAggPeriod");

  private KubeletConfigRenderer() {}

  /** Builds the tree; warnings collect where the user's values differ from kubeadm's. */
  public static Map<String, Object> tree(ClusterModel m, HostProbe host, List<String> warnings) {
    Map<String, Object> c = zeroValues();
    deepMerge(c, m.kubeletConfiguration());
    c.put("apiVersion", "kubelet.config.k8s.io/v1beta1");
    c.put("kind", "KubeletConfiguration");
    defaultValue(c, "staticPodPath", m.manifestDir().toString(), warnings);
    String dns = m.clusterDnsIp();
    if (!(c.get("clusterDNS") instanceof List<?> l) || l.isEmpty()) {
      c.put("clusterDNS", List.of(dns));
    } else if (l.size() != 1 || !dns.equals(l.get(0))) {
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
    if (host.exists(SYSTEMD_RESOLV_CONF)) {
      defaultValue(c, "resolvConf", SYSTEMD_RESOLV_CONF, warnings);
    }
    if ("".equals(c.get("containerRuntimeEndpoint")) && KubeletFlags.nodeLocalCriSocket(m)) {
      c.put("containerRuntimeEndpoint", m.criSocket());
    }
    return c;
  }

  /** Renders the file content. */
  public static String render(ClusterModel m, HostProbe host, List<String> warnings) {
    return KubeYaml.render(tree(m, host, warnings));
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

  private static void defaultValue(Map<String, Object> map, String key, Object value, List<String> warnings) {
    Object current = map.get(key);
    if (current == null || "".equals(current)) {
      map.put(key, value);
    } else if (!current.equals(value) && warnings != null) {
      warnings.add("KubeletConfiguration." + key + " is " + current + "; kubeadm's default would be " + value);
    }
  }
}
