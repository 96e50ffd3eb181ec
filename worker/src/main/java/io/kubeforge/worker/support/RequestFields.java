package io.kubeforge.worker.support;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * RequestFields reads typed options out of a decoded JSON request body and turns every problem
 * into a {@link WorkerException#badInput} that names the field. A JSON {@code null} counts as
 * "not given", because Ansible sends {@code None} for options the user left unset.
 */
public final class RequestFields {
  /** Code for a field the capability does not know. */
  public static final String UNKNOWN_FIELD = "request.unknown_field";
  /** Code for a value of the wrong JSON type. */
  public static final String WRONG_TYPE = "request.wrong_type";
  /** Code for a required field that is absent or null. */
  public static final String MISSING_FIELD = "request.missing_field";

  private final Map<String, Object> body;

  private RequestFields(Map<String, Object> body) {
    this.body = body;
  }

  /**
   * Wraps a request body after checking that it only holds the allowed field names; the first
   * unknown field (in sorted order, so the answer is stable) is reported.
   */
  public static RequestFields of(Map<String, Object> body, Set<String> allowed) {
    Map<String, Object> safe = body == null ? Map.of() : body;
    Set<String> unknown = new TreeSet<>(safe.keySet());
    unknown.removeAll(allowed);
    if (!unknown.isEmpty()) {
      String name = unknown.iterator().next();
      throw WorkerException.badInput(UNKNOWN_FIELD, name,
          "unknown field; allowed fields are " + String.join(", ", new TreeSet<>(allowed)));
    }
    return new RequestFields(safe);
  }

  /** Returns the string value of a field, or empty when absent or null. */
  public Optional<String> string(String field) {
    Object v = body.get(field);
    if (v == null) {
      return Optional.empty();
    }
    if (!(v instanceof String s)) {
      throw wrongType(field, "a string", v);
    }
    return Optional.of(s);
  }

  /** Returns the string value of a field; absent, null or empty is a missing-field error. */
  public String requiredString(String field) {
    String s = string(field).orElse("");
    if (s.isEmpty()) {
      throw WorkerException.badInput(MISSING_FIELD, field, "is required");
    }
    return s;
  }

  /** Returns a boolean field or the default; strings such as "yes" are refused. */
  public boolean bool(String field, boolean defaultValue) {
    Object v = body.get(field);
    if (v == null) {
      return defaultValue;
    }
    if (!(v instanceof Boolean b)) {
      throw wrongType(field, "a boolean", v);
    }
    return b;
  }

  /** Returns an integral number field or the default; 6443.0 is accepted, 6443.5 is not. */
  public long integer(String field, long defaultValue) {
    Object v = body.get(field);
    if (v == null) {
      return defaultValue;
    }
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
        && Math.abs(n.doubleValue()) < 1e15) {
      return (long) n.doubleValue();
    }
    throw wrongType(field, "an integer", v);
  }

  /** Returns a list of strings, or an empty list when absent; items are named {@code field[i]}. */
  public List<String> stringList(String field) {
    Object v = body.get(field);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof List<?> list)) {
      throw wrongType(field, "a list of strings", v);
    }
    List<String> out = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      Object item = list.get(i);
      if (!(item instanceof String s)) {
        throw wrongType(field + "[" + i + "]", "a string", item);
      }
      out.add(s);
    }
    return List.copyOf(out);
  }

  private static WorkerException wrongType(String field, String expected, Object actual) {
    return WorkerException.badInput(WRONG_TYPE, field,
        "must be " + expected + ", got " + jsonType(actual));
  }

  private static String jsonType(Object v) {
    if (v instanceof String) {
      return "a string";
    }
    if (v instanceof Boolean) {
      return "a boolean";
    }
    if (v instanceof Number) {
      return "a number";
    }
    if (v instanceof List<?>) {
      return "a list";
    }
    if (v instanceof Map<?, ?>) {
      return "an object";
    }
    return "null";
  }
}
