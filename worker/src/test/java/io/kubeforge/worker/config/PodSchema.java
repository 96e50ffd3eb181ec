package io.kubeforge.worker.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * PodSchema validates a parsed YAML tree against the Kubernetes v1.34 OpenAPI definitions (the
 * {@code io.k8s.api.core.v1.Pod} closure kept in {@code config/schema/pod-v1.34.json}): types,
 * required fields, enums and no unknown fields (the API server's strict field validation), plus
 * the cross-field rules the API server's validation adds for what kubeadm writes (mounts name
 * volumes, named probe ports exist, names unique).
 */
public final class PodSchema {
  private static final JsonNode DEFS;

  static {
    try {
      DEFS = new ObjectMapper().readTree(Fixtures.bytes("config/schema/pod-v1.34.json")).get("definitions");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private PodSchema() {}

  /** Returns the list of violations; empty when the tree is a valid Pod. */
  public static List<String> violations(Object tree) {
    List<String> errors = new ArrayList<>();
    check(tree, DEFS.get("io.k8s.api.core.v1.Pod"), "Pod", errors);
    if (tree instanceof Map<?, ?> pod) {
      if (!"v1".equals(pod.get("apiVersion")) || !"Pod".equals(pod.get("kind"))) {
        errors.add("apiVersion/kind must be v1/Pod");
      }
      crossChecks(pod, errors);
    }
    return errors;
  }

  private static void check(Object v, JsonNode schema, String path, List<String> errors) {
    if (schema.has("$ref")) {
      String name = schema.get("$ref").asText().replace("#/definitions/", "");
      check(v, DEFS.get(name), path, errors);
      return;
    }
    String type = schema.path("type").asText("");
    String format = schema.path("format").asText("");
    if (format.equals("int-or-string")) {
      if (!(v instanceof String || v instanceof Integer)) {
        errors.add(path + ": must be an integer or a string");
      }
      return;
    }
    switch (type) {
      case "object" -> {
        if (!(v instanceof Map<?, ?> m)) {
          errors.add(path + ": must be an object");
          return;
        }
        JsonNode props = schema.get("properties");
        JsonNode additional = schema.get("additionalProperties");
        for (Map.Entry<?, ?> e : m.entrySet()) {
          String k = String.valueOf(e.getKey());
          if (props != null && props.has(k)) {
            check(e.getValue(), props.get(k), path + "." + k, errors);
          } else if (additional != null) {
            check(e.getValue(), additional, path + "." + k, errors);
          } else if (props != null) {
            errors.add(path + "." + k + ": unknown field");
          }
        }
        for (JsonNode r : schema.path("required")) {
          if (!m.containsKey(r.asText())) {
            errors.add(path + "." + r.asText() + ": required");
          }
        }
      }
      case "array" -> {
        if (!(v instanceof List<?> l)) {
          errors.add(path + ": must be a list");
          return;
        }
        for (int i = 0; i < l.size(); i++) {
          check(l.get(i), schema.get("items"), path + "[" + i + "]", errors);
        }
      }
      case "string" -> {
        if (!(v instanceof String s)) {
          errors.add(path + ": must be a string, got " + v);
          return;
        }
        if (schema.has("enum")) {
          Set<String> allowed = new HashSet<>();
          schema.get("enum").forEach(x -> allowed.add(x.asText()));
          if (!allowed.contains(s)) {
            errors.add(path + ": '" + s + "' not in " + allowed);
          }
        }
      }
      case "integer" -> {
        if (!(v instanceof Integer || v instanceof Long)) {
          errors.add(path + ": must be an integer");
        }
      }
      case "boolean" -> {
        if (!(v instanceof Boolean)) {
          errors.add(path + ": must be a boolean");
        }
      }
      case "number" -> {
        if (!(v instanceof Number)) {
          errors.add(path + ": must be a number");
        }
      }
      default -> errors.add(path + ": schema without a type");
    }
  }

  private static void crossChecks(Map<?, ?> pod, List<String> errors) {
    Map<?, ?> spec = (Map<?, ?>) pod.get("spec");
    Map<?, ?> meta = (Map<?, ?>) pod.get("metadata");
    if (meta == null || !(meta.get("name") instanceof String name) || !io.kubeforge.worker.support.DnsNames.isSubdomain(name)) {
      errors.add("metadata.name must be a DNS subdomain");
    }
    if (spec == null || !(spec.get("containers") instanceof List<?> containers) || containers.isEmpty()) {
      errors.add("spec.containers must not be empty");
      return;
    }
    Set<String> volumes = new HashSet<>();
    if (spec.get("volumes") instanceof List<?> vols) {
      for (Object o : vols) {
        Object n = ((Map<?, ?>) o).get("name");
        if (!volumes.add(String.valueOf(n))) {
          errors.add("spec.volumes: duplicate name " + n);
        }
      }
    }
    for (Object o : containers) {
      Map<?, ?> c = (Map<?, ?>) o;
      if (!(c.get("command") instanceof List<?> cmd) || cmd.isEmpty()) {
        errors.add("container command must not be empty");
      }
      if (!(c.get("image") instanceof String img) || img.isEmpty()) {
        errors.add("container image is required");
      }
      Set<String> portNames = new HashSet<>();
      if (c.get("ports") instanceof List<?> ports) {
        for (Object p : ports) {
          Map<?, ?> pm = (Map<?, ?>) p;
          portNames.add(String.valueOf(pm.get("name")));
          if (!(pm.get("containerPort") instanceof Integer port) || port < 1 || port > 65535) {
            errors.add("containerPort out of range");
          }
        }
      }
      Set<String> mounts = new HashSet<>();
      if (c.get("volumeMounts") instanceof List<?> vms) {
        for (Object vm : vms) {
          Map<?, ?> m = (Map<?, ?>) vm;
          if (!volumes.contains(String.valueOf(m.get("name")))) {
            errors.add("volumeMount " + m.get("name") + " names no volume");
          }
          if (!mounts.add(String.valueOf(m.get("mountPath")))) {
            errors.add("duplicate mountPath " + m.get("mountPath"));
          }
        }
      }
      for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
        if (c.get(probe) instanceof Map<?, ?> p && p.get("httpGet") instanceof Map<?, ?> get
            && get.get("port") instanceof String named && !portNames.contains(named)) {
          errors.add(probe + " names port " + named + " the container does not declare");
        }
      }
    }
  }
}
