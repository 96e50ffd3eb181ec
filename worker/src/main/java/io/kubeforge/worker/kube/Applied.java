package io.kubeforge.worker.kube;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Applied is the outcome of one server-side apply.
 *
 * @param kind the object's kind
 * @param namespace its namespace, or null for a cluster-scoped object
 * @param name its name
 * @param action created, updated or unchanged (from the resourceVersion before and after)
 * @param object what the server returned (in a dry run: what it would store)
 * @param before the object as it was before the apply, or null when it did not exist
 */
public record Applied(String kind, String namespace, String name, Action action, ObjectNode object,
                      ObjectNode before) {
  /** Whether the apply wrote (or in a dry run would write) anything. */
  public boolean changed() {
    return action != Action.UNCHANGED;
  }

  /** The fact for this object: {@code {kind, namespace, name, action}} (namespace omitted when null). */
  public Map<String, Object> fact() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("kind", kind);
    if (namespace != null) {
      out.put("namespace", namespace);
    }
    out.put("name", name);
    out.put("action", action.fact());
    return out;
  }

  /** {@code Kind namespace/name} or {@code Kind name}, for messages. */
  public String describe() {
    return kind + " " + (namespace == null ? "" : namespace + "/") + name;
  }
}
