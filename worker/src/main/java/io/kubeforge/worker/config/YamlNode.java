package io.kubeforge.worker.config;

import io.kubeforge.worker.support.WorkerException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * YamlNode is a parsed YAML mapping together with its path ({@code ClusterConfiguration.etcd.local}),
 * so that every type or schema error names the exact field, as kubeadm's strict decoder does.
 */
final class YamlNode {
  private final Map<?, ?> map;
  private final String path;

  private YamlNode(Map<?, ?> map, String path) {
    this.map = map;
    this.path = path;
  }

  static YamlNode of(Object value, String path) {
    if (!(value instanceof Map<?, ?> m)) {
      throw WorkerException.badInput(ConfigCodes.WRONG_TYPE, path, "must be a mapping");
    }
    return new YamlNode(m, path);
  }

  String path() {
    return path;
  }

  String child(String key) {
    return path + "." + key;
  }

  /** Refuses any key outside {@code allowed}; the first unknown key in sorted order is reported. */
  YamlNode allowOnly(Set<String> allowed) {
    TreeSet<String> unknown = new TreeSet<>();
    for (Object k : map.keySet()) {
      if (!(k instanceof String s)) {
        throw WorkerException.badInput(ConfigCodes.WRONG_TYPE, path, "has a non-string key");
      }
      if (!allowed.contains(s)) {
        unknown.add(s);
      }
    }
    if (!unknown.isEmpty()) {
      throw WorkerException.badInput(ConfigCodes.UNKNOWN_FIELD, child(unknown.first()),
          "unknown field (strict decoding, as kubeadm)");
    }
    return this;
  }

  boolean has(String key) {
    return map.get(key) != null;
  }

  String string(String key) {
    Object v = map.get(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw WorkerException.badInput(ConfigCodes.WRONG_TYPE, child(key), "must be a string");
    }
    return s;
  }

  Long integer(String key) {
    Object v = map.get(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Integer || v instanceof Long)) {
      throw WorkerException.badInput(ConfigCodes.WRONG_TYPE, child(key), "must be an integer");
    }
    return ((Number) v).longValue();
  }

  Boolean bool(String key) {
    Object v = map.get(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Boolean b)) {
      throw WorkerException.badInput(ConfigCodes.WRONG_TYPE, child(key), "must be a boolean");
    }
    return b;
  }

  YamlNode node(String key) {
    Object v = map.get(key);
    return v == null ? null : of(v, child(key));
  }

  List<String> strings(String key) {
    Object v = map.get(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof List<?> list)) {
      throw WorkerException.badInput(ConfigCodes.WRONG_TYPE, child(key), "must be a list of strings");
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      if (!(list.get(i) instanceof String s)) {
        throw WorkerException.badInput(ConfigCodes.WRONG_TYPE, child(key) + "[" + i + "]", "must be a string");
      }
      out.add(s);
    }
    return out;
  }

  List<YamlNode> nodes(String key) {
    Object v = map.get(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof List<?> list)) {
      throw WorkerException.badInput(ConfigCodes.WRONG_TYPE, child(key), "must be a list");
    }
    List<YamlNode> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      out.add(of(list.get(i), child(key) + "[" + i + "]"));
    }
    return out;
  }

  /** Reads a string-to-string map (v1beta3 extraArgs); values that are not strings are refused. */
  Map<String, String> stringMap(String key) {
    Object v = map.get(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Map<?, ?> m)) {
      throw WorkerException.badInput(ConfigCodes.WRONG_TYPE, child(key), "must be a map of strings");
    }
    Map<String, String> out = new java.util.TreeMap<>();
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!(e.getKey() instanceof String k) || !(e.getValue() instanceof String s)) {
        throw WorkerException.badInput(ConfigCodes.WRONG_TYPE, child(key) + "." + e.getKey(),
            "must be a string (quote numbers and booleans)");
      }
      out.put(k, s);
    }
    return out;
  }

  Map<?, ?> raw() {
    return map;
  }
}
