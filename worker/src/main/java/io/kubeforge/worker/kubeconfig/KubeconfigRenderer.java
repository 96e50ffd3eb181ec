package io.kubeforge.worker.kubeconfig;

import io.kubeforge.worker.config.KubeYaml;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * KubeconfigRenderer writes a kubeconfig as client-go v0.34's {@code clientcmd.Write} does
 * (kubeadm's {@code CreateWithCerts}): one cluster named after the cluster, one user named after
 * the client, one context {@code <user>@<cluster>} that is current; {@code *-data} fields hold
 * base64 of the PEM. Keys come out sorted ({@code apiVersion}, {@code clusters}, {@code contexts},
 * {@code current-context}, {@code kind}, {@code users}); the empty {@code preferences} is omitted,
 * as client-go 0.34 marks it {@code omitzero}.
 */
public final class KubeconfigRenderer {
  private KubeconfigRenderer() {}

  /** Builds the Config tree. */
  public static Map<String, Object> tree(String clusterName, String server, String user, String caPem,
                                         String certPem, String keyPem) {
    Map<String, Object> cluster = new LinkedHashMap<>();
    cluster.put("certificate-authority-data", b64(caPem));
    cluster.put("server", server);
    Map<String, Object> context = new LinkedHashMap<>();
    context.put("cluster", clusterName);
    context.put("user", user);
    Map<String, Object> auth = new LinkedHashMap<>();
    auth.put("client-certificate-data", b64(certPem));
    auth.put("client-key-data", b64(keyPem));
    String contextName = user + "@" + clusterName;
    Map<String, Object> cfg = new LinkedHashMap<>();
    cfg.put("apiVersion", "v1");
    cfg.put("clusters", List.of(Map.of("cluster", cluster, "name", clusterName)));
    cfg.put("contexts", List.of(Map.of("context", context, "name", contextName)));
    cfg.put("current-context", contextName);
    cfg.put("kind", "Config");
    cfg.put("users", List.of(Map.of("name", user, "user", auth)));
    return cfg;
  }

  /** Renders the Config as YAML bytes. */
  public static String render(String clusterName, String server, String user, String caPem, String certPem,
                              String keyPem) {
    return KubeYaml.render(tree(clusterName, server, user, caPem, certPem, keyPem));
  }

  private static String b64(String pem) {
    return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.UTF_8));
  }
}
