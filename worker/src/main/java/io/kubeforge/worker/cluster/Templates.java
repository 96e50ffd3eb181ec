package io.kubeforge.worker.cluster;

import io.kubeforge.worker.config.KubeYaml;
import io.kubeforge.worker.config.SafeYaml;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Templates reads this phase's object templates, YAML resources under {@code cluster/} that
 * mirror kubeadm's own manifests, and fills their {@code {{ .Name }}} placeholders. Objects are
 * parsed first and filled after, so a value can never change the YAML's structure: a string that
 * is exactly one placeholder takes the value with its type (a number stays a number), any other
 * string gets the values' text.
 */
final class Templates {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{ \\.([A-Za-z]+) }}");

  private Templates() {}

  /** Every document of a template stream, filled; the objects as plain maps. */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> objects(String resource, Map<String, ?> values) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object doc : SafeYaml.loadAll(text(resource), resource)) {
      out.add((Map<String, Object>) fill(doc, values, false));
    }
    return out;
  }

  /** A one-document template as a tree for {@link KubeYaml}, explicit nulls kept as {@link KubeYaml#NULL}. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> tree(String resource, Map<String, ?> values) {
    return (Map<String, Object>) fill(SafeYaml.load(text(resource), resource), values, true);
  }

  /** A text template, filled. */
  static String filledText(String resource, Map<String, ?> values) {
    return substitute(text(resource), values);
  }

  private static String text(String resource) {
    try (InputStream in = Templates.class.getResourceAsStream("/cluster/" + resource)) {
      if (in == null) {
        throw new IllegalStateException("template missing from the jar: cluster/" + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Object fill(Object node, Map<String, ?> values, boolean keepNulls) {
    if (node instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> out.put(String.valueOf(k), fill(v, values, keepNulls)));
      return out;
    }
    if (node instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      list.forEach(v -> out.add(fill(v, values, keepNulls)));
      return out;
    }
    if (node == null) {
      return keepNulls ? KubeYaml.NULL : null;
    }
    if (node instanceof String s) {
      Matcher whole = PLACEHOLDER.matcher(s);
      if (whole.matches()) {
        return value(values, whole.group(1));
      }
      return substitute(s, values);
    }
    return node;
  }

  private static String substitute(String s, Map<String, ?> values) {
    Matcher m = PLACEHOLDER.matcher(s);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(String.valueOf(value(values, m.group(1)))));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static Object value(Map<String, ?> values, String name) {
    if (!values.containsKey(name)) {
      throw new IllegalStateException("template value missing: " + name);
    }
    return values.get(name);
  }
}
