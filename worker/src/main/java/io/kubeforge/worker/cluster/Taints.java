package io.kubeforge.worker.cluster;

import io.kubeforge.worker.support.WorkerException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Taints reads the control-plane taints ({@code nodeRegistration.taints}): absent means kubeadm's
 * default {@code node-role.kubernetes.io/control-plane:NoSchedule}, an empty list means none.
 */
final class Taints {
  private static final Set<String> EFFECTS = Set.of("NoSchedule", "PreferNoSchedule", "NoExecute");
  private static final String CODE = "cluster.invalid_taint";

  private Taints() {}

  static List<Map<String, Object>> fromRequest(Object value) {
    if (value == null) {
      return List.of(taint("node-role.kubernetes.io/control-plane", null, "NoSchedule"));
    }
    if (!(value instanceof List<?> list)) {
      throw WorkerException.badInput(CODE, "taints", "must be a list of {key, value, effect}");
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String field = "taints[" + i + "]";
      if (!(list.get(i) instanceof Map<?, ?> t) || !(t.get("key") instanceof String key) || key.isEmpty()) {
        throw WorkerException.badInput(CODE, field, "must be an object with a non-empty key");
      }
      Object effect = t.get("effect");
      if (!(effect instanceof String e) || !EFFECTS.contains(e)) {
        throw WorkerException.badInput(CODE, field + ".effect", "must be one of " + EFFECTS + ", got " + effect);
      }
      Object v = t.get("value");
      if (v != null && !(v instanceof String)) {
        throw WorkerException.badInput(CODE, field + ".value", "must be a string");
      }
      out.add(taint(key, (String) v, (String) effect));
    }
    return out;
  }

  private static Map<String, Object> taint(String key, String value, String effect) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("effect", effect);
    t.put("key", key);
    if (value != null && !value.isEmpty()) {
      t.put("value", value);
    }
    return t;
  }
}
