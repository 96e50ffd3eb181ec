package io.kubeforge.worker.config;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * KubeProxySchema decodes a {@code KubeProxyConfiguration} ({@code kubeproxy.config.k8s.io/v1alpha1})
 * strictly, as kubeadm's {@code strict.VerifyUnmarshalStrict} does: a field the type does not have
 * (names match exactly, case included) is an error naming its path. The field table is data,
 * taken by reflection from {@code k8s.io/kube-proxy@v0.34.10/config/v1alpha1.KubeProxyConfiguration}
 * (JSON names, inline structs flattened; types with their own JSON decoding, such as durations and
 * quantities, are leaves). Keys are paths of nested objects; a list of objects ({@code
 * logging.vmodule}) is checked element by element.
 *
 * <p>kubeadm 1.34 itself only logs a warning for these fields in {@code kubeadm init --config}
 * ({@code BytesToInitConfiguration} passes {@code strictErrors=false}) and fails on them in
 * {@code kubeadm config validate}; kubeforge refuses them, as it does for kubeadm's own kinds.
 */
final class KubeProxySchema {
  static final Map<String, Set<String>> FIELDS = Map.ofEntries(
      Map.entry("", Set.of("apiVersion", "bindAddress", "bindAddressHardFail", "clientConnection", "clusterCIDR",
          "configSyncPeriod", "conntrack", "detectLocal", "detectLocalMode", "enableProfiling", "featureGates",
          "healthzBindAddress", "hostnameOverride", "iptables", "ipvs", "kind", "logging", "metricsBindAddress",
          "mode", "nftables", "nodePortAddresses", "oomScoreAdj", "portRange", "showHiddenMetricsForVersion",
          "windowsRunAsService", "winkernel")),
      Map.entry("clientConnection", Set.of("acceptContentTypes", "burst", "contentType", "kubeconfig", "qps")),
      Map.entry("conntrack", Set.of("maxPerCore", "min", "tcpBeLiberal", "tcpCloseWaitTimeout",
          "tcpEstablishedTimeout", "udpStreamTimeout", "udpTimeout")),
      Map.entry("detectLocal", Set.of("bridgeInterface", "interfaceNamePrefix")),
      Map.entry("iptables", Set.of("localhostNodePorts", "masqueradeAll", "masqueradeBit", "minSyncPeriod",
          "syncPeriod")),
      Map.entry("ipvs", Set.of("excludeCIDRs", "minSyncPeriod", "scheduler", "strictARP", "syncPeriod",
          "tcpFinTimeout", "tcpTimeout", "udpTimeout")),
      Map.entry("logging", Set.of("flushFrequency", "format", "options", "verbosity", "vmodule")),
      Map.entry("logging.options", Set.of("json", "text")),
      Map.entry("logging.options.json", Set.of("infoBufferSize", "splitStream")),
      Map.entry("logging.options.text", Set.of("infoBufferSize", "splitStream")),
      Map.entry("logging.vmodule", Set.of("filePattern", "verbosity")),
      Map.entry("nftables", Set.of("masqueradeAll", "masqueradeBit", "minSyncPeriod", "syncPeriod")),
      Map.entry("winkernel", Set.of("enableDSR", "forwardHealthCheckVip", "networkName", "rootHnsEndpointName",
          "sourceVip")));

  private KubeProxySchema() {}

  /** Refuses the first unknown field (sorted, outermost first), naming its path below {@code doc}'s. */
  static void check(YamlNode doc) {
    check(doc, "");
  }

  private static void check(YamlNode n, String schemaPath) {
    n.allowOnly(FIELDS.get(schemaPath));
    for (String key : new java.util.TreeSet<>(FIELDS.get(schemaPath))) {
      String sub = schemaPath.isEmpty() ? key : schemaPath + "." + key;
      Object v = n.raw().get(key);
      if (!FIELDS.containsKey(sub) || v == null) {
        continue;
      }
      if (v instanceof List<?> items) {
        for (int i = 0; i < items.size(); i++) {
          check(YamlNode.of(items.get(i), n.child(key) + "[" + i + "]"), sub);
        }
      } else {
        check(YamlNode.of(v, n.child(key)), sub);
      }
    }
  }
}
