package io.kubeforge.worker.discovery;

import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.support.WorkerException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * DiscoveredConfig is what discovery takes from a kubeconfig (the one in {@code cluster-info}, or
 * a discovery file): the cluster as kubeadm's {@code GetClusterFromKubeConfig} picks it (the
 * unnamed cluster if there is one, else the current context's), its {@code server}, its CA data
 * and whether the current user has credentials.
 *
 * @param clusterName the picked cluster's name ("" for the unnamed one)
 * @param server the cluster's {@code server}
 * @param caPem the cluster's CA bytes (PEM), or null when it names none
 * @param hasCredentials whether the current context's user has a token or a client certificate
 */
record DiscoveredConfig(String clusterName, String server, byte[] caPem, boolean hasCredentials) {

  /**
   * Parses {@code text}; {@code fail} turns a problem into the caller's error, {@code readFile}
   * resolves {@code certificate-authority} (null: file references are refused).
   */
  static DiscoveredConfig parse(String text, Function<String, WorkerException> fail,
                                Function<String, byte[]> readFile) {
    Object root;
    try {
      root = SafeYaml.load(text, "kubeconfig");
    } catch (WorkerException e) {
      throw fail.apply("is not valid YAML");
    }
    if (!(root instanceof Map<?, ?> config)) {
      throw fail.apply("is not a kubeconfig (not a YAML mapping)");
    }
    String current = string(config.get("current-context"));
    Map<?, ?> context = named(config.get("contexts"), "context", current);
    String clusterName = "";
    Map<?, ?> cluster = named(config.get("clusters"), "cluster", "");
    if (cluster == null) {
      if (context == null) {
        throw fail.apply("has no unnamed cluster and its current context '" + (current == null ? "" : current)
            + "' is invalid");
      }
      clusterName = string(context.get("cluster"));
      cluster = clusterName == null ? null : named(config.get("clusters"), "cluster", clusterName);
      if (cluster == null) {
        throw fail.apply("has no matching cluster for the current context '" + current + "'");
      }
    }
    String server = string(cluster.get("server"));
    if (server == null || server.isEmpty()) {
      throw fail.apply("names no server for cluster '" + clusterName + "'");
    }
    byte[] ca = null;
    String data = string(cluster.get("certificate-authority-data"));
    if (data != null && !data.isEmpty()) {
      try {
        ca = Base64.getMimeDecoder().decode(data.strip());
      } catch (IllegalArgumentException e) {
        throw fail.apply("certificate-authority-data is not valid base64");
      }
    } else if (cluster.get("certificate-authority") != null) {
      if (readFile == null) {
        throw fail.apply("names a certificate-authority file instead of embedding it");
      }
      ca = readFile.apply(string(cluster.get("certificate-authority")));
    }
    boolean credentials = false;
    if (context != null) {
      Map<?, ?> user = named(config.get("users"), "user", string(context.get("user")));
      if (user != null) {
        credentials = present(user, "token") || present(user, "tokenFile")
            || (present(user, "client-certificate-data") || present(user, "client-certificate"))
            && (present(user, "client-key-data") || present(user, "client-key"));
      }
    }
    return new DiscoveredConfig(clusterName, server, ca, credentials);
  }

  /** The CA as text, for facts. */
  String caText() {
    return caPem == null ? null : new String(caPem, StandardCharsets.UTF_8);
  }

  private static boolean present(Map<?, ?> m, String key) {
    String s = string(m.get(key));
    return s != null && !s.isEmpty();
  }

  private static Map<?, ?> named(Object list, String itemKey, String name) {
    if (!(list instanceof List<?> items) || name == null) {
      return null;
    }
    for (Object o : items) {
      if (o instanceof Map<?, ?> entry && name.equals(entry.get("name") == null ? "" : string(entry.get("name")))) {
        return entry.get(itemKey) instanceof Map<?, ?> m ? m : null;
      }
    }
    return null;
  }

  private static String string(Object o) {
    return o == null ? null : o.toString();
  }
}
