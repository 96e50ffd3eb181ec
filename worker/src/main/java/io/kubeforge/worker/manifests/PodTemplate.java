package io.kubeforge.worker.manifests;

import io.kubeforge.worker.config.EnvVar;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * PodTemplate builds the pieces of a kubeadm static Pod as JSON-shaped maps, following
 * {@code util/staticpod} of kubeadm v1.34: {@code ComponentPod} (labels, priority
 * {@code system-node-critical}/2000001000, host network, RuntimeDefault seccomp), the probe
 * helpers with their fixed timings and the named port {@code probe-port}. Fields Kubernetes
 * omits when empty are left out, so rendering gives kubeadm's bytes.
 */
final class PodTemplate {
  /** kubeadm's ProbePort. */
  static final String PROBE_PORT = "probe-port";
  static final int PRIORITY = 2000001000;

  private PodTemplate() {}

  static Map<String, Object> componentPod(Map<String, Object> container, List<Object> volumes,
                                          Map<String, String> annotations) {
    Map<String, Object> metadata = new LinkedHashMap<>();
    if (annotations != null && !annotations.isEmpty()) {
      metadata.put("annotations", new TreeMap<>(annotations));
    }
    Map<String, Object> labels = new LinkedHashMap<>();
    labels.put("component", container.get("name"));
    labels.put("tier", "control-plane");
    metadata.put("labels", labels);
    metadata.put("name", container.get("name"));
    metadata.put("namespace", "kube-system");

    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("containers", List.of(container));
    spec.put("hostNetwork", true);
    spec.put("priority", PRIORITY);
    spec.put("priorityClassName", "system-node-critical");
    spec.put("securityContext", Map.of("seccompProfile", Map.of("type", "RuntimeDefault")));
    if (!volumes.isEmpty()) {
      spec.put("volumes", volumes);
    }

    Map<String, Object> pod = new LinkedHashMap<>();
    pod.put("apiVersion", "v1");
    pod.put("kind", "Pod");
    pod.put("metadata", metadata);
    pod.put("spec", spec);
    pod.put("status", Map.of());
    return pod;
  }

  static Map<String, Object> liveness(String host, String path, String scheme) {
    return probe(host, path, scheme, 10, 15, 8, 10);
  }

  static Map<String, Object> readiness(String host, String path, String scheme) {
    return probe(host, path, scheme, 0, 15, 3, 1);
  }

  /** Startup probe: failureThreshold = ceil(health-check timeout / 10 s), 24 for kubeadm's 4m. */
  static Map<String, Object> startup(String host, String path, String scheme, Duration healthCheck) {
    int failure = (int) Math.ceil(healthCheck.toMillis() / 1000.0 / 10.0);
    return probe(host, path, scheme, 10, 15, failure, 10);
  }

  private static Map<String, Object> probe(String host, String path, String scheme, int initialDelay,
                                           int timeout, int failureThreshold, int period) {
    Map<String, Object> get = new LinkedHashMap<>();
    if (!host.isEmpty()) {
      get.put("host", host);
    }
    get.put("path", path);
    get.put("port", PROBE_PORT);
    get.put("scheme", scheme);
    Map<String, Object> p = new LinkedHashMap<>();
    if (failureThreshold != 0) {
      p.put("failureThreshold", failureThreshold);
    }
    p.put("httpGet", get);
    if (initialDelay != 0) {
      p.put("initialDelaySeconds", initialDelay);
    }
    p.put("periodSeconds", period);
    p.put("timeoutSeconds", timeout);
    return p;
  }

  static List<Object> ports(int containerPort) {
    Map<String, Object> port = new LinkedHashMap<>();
    port.put("containerPort", containerPort);
    port.put("name", PROBE_PORT);
    port.put("protocol", "TCP");
    return List.of(port);
  }

  static Map<String, Object> resources(String cpu, String memory) {
    Map<String, Object> requests = new LinkedHashMap<>();
    requests.put("cpu", cpu);
    if (memory != null) {
      requests.put("memory", memory);
    }
    return Map.of("requests", requests);
  }

  /**
   * Merges environment lists as kubeadm's {@code MergeKubeadmEnvVars}: later lists override
   * earlier ones by name; the result is sorted by name. An empty value is left out of the YAML.
   */
  @SafeVarargs
  static List<Object> env(List<EnvVar>... lists) {
    Map<String, String> merged = new TreeMap<>();
    for (List<EnvVar> l : lists) {
      for (EnvVar e : l) {
        merged.put(e.name(), e.value());
      }
    }
    List<Object> out = new ArrayList<>();
    merged.forEach((k, v) -> {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", k);
      if (!v.isEmpty()) {
        e.put("value", v);
      }
      out.add(e);
    });
    return out;
  }

  /** Returns kubeadm's {@code GetProxyEnvVars} (see {@link EnvVar#proxyVariables}). */
  static List<EnvVar> proxyEnv(Map<String, String> environment) {
    return EnvVar.proxyVariables(environment);
  }
}
