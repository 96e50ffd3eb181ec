package io.kubeforge.worker.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * EnvVar is one environment variable of a static Pod container (kubeadm's {@code extraEnvs}).
 *
 * @param name the variable name
 * @param value its literal value
 */
public record EnvVar(String name, String value) {
  /**
   * Returns kubeadm's {@code GetProxyEnvVars}: every variable of {@code environment} whose
   * lower-cased name ends in {@code _proxy} and whose value is not empty, sorted by name (as
   * {@code MergeKubeadmEnvVars} leaves them). kubeadm passes its own environment on to the control
   * plane's static Pods and to kube-proxy's DaemonSet.
   */
  public static List<EnvVar> proxyVariables(Map<String, String> environment) {
    List<EnvVar> out = new ArrayList<>();
    new TreeMap<>(environment).forEach((k, v) -> {
      if (k.toLowerCase(Locale.ROOT).endsWith("_proxy") && v != null && !v.isEmpty()) {
        out.add(new EnvVar(k, v));
      }
    });
    return out;
  }
}
