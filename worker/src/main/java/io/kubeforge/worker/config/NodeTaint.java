package io.kubeforge.worker.config;

import io.kubeforge.worker.support.WorkerException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * NodeTaint is one taint of {@code nodeRegistration.taints} (a core/v1 {@code Taint}). kubeadm
 * distinguishes an absent list (a control-plane node gets {@link #CONTROL_PLANE}) from an empty
 * one (no taint at all, {@code taints: []}); the model keeps that difference as null vs empty.
 *
 * @param key the taint key, non-empty
 * @param value its value, empty when none
 * @param effect {@code NoSchedule}, {@code PreferNoSchedule} or {@code NoExecute}
 * @param timeAdded RFC 3339 time the taint was added (NoExecute only), or null
 */
public record NodeTaint(String key, String value, String effect, String timeAdded) {
  /** kubeadm's {@code ControlPlaneTaint}. */
  public static final NodeTaint CONTROL_PLANE =
      new NodeTaint("node-role.kubernetes.io/control-plane", "", "NoSchedule", null);
  /** The taint effects a Node accepts. */
  public static final Set<String> EFFECTS = Set.of("NoSchedule", "PreferNoSchedule", "NoExecute");

  /** The taint as the API server stores it: keys in the JSON order, empty value and timeAdded left out. */
  public Map<String, Object> toObject() {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("key", key);
    if (!value.isEmpty()) {
      t.put("value", value);
    }
    t.put("effect", effect);
    if (timeAdded != null) {
      t.put("timeAdded", timeAdded);
    }
    return t;
  }

  /** kubeadm's {@code Taint.ToString}: {@code key[=value]:effect}. */
  @Override
  public String toString() {
    return key + (value.isEmpty() ? "" : "=" + value) + ":" + effect;
  }

  /**
   * Reads a list of {@code {key, value, effect, timeAdded}} (from YAML or a request option);
   * every error names {@code field[i].key}. Null stays null (not given).
   */
  public static List<NodeTaint> parseList(Object raw, String field) {
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof List<?> list)) {
      throw WorkerException.badInput(ConfigCodes.WRONG_TYPE, field, "must be a list of {key, value, effect}");
    }
    List<NodeTaint> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String f = field + "[" + i + "]";
      if (!(list.get(i) instanceof Map<?, ?> t)) {
        throw WorkerException.badInput(ConfigCodes.WRONG_TYPE, f, "must be a mapping with key, value and effect");
      }
      YamlNode n = YamlNode.of(t, f).allowOnly(Set.of("key", "value", "effect", "timeAdded"));
      String key = n.string("key");
      if (key == null || key.isEmpty()) {
        throw WorkerException.badInput(ConfigCodes.MISSING_FIELD, n.child("key"), "is required");
      }
      String effect = n.string("effect");
      if (effect == null || !EFFECTS.contains(effect)) {
        throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, n.child("effect"),
            "must be one of NoExecute, NoSchedule, PreferNoSchedule, got " + (effect == null ? "nothing" : "'" + effect + "'"));
      }
      String value = n.string("value");
      String timeAdded = n.string("timeAdded");
      out.add(new NodeTaint(key, value == null ? "" : value, effect, timeAdded));
    }
    return List.copyOf(out);
  }
}
