package io.kubeforge.worker.config;

import io.kubeforge.worker.support.WorkerException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * SafeYaml parses untrusted YAML into plain maps, lists and scalars with SnakeYAML's
 * {@link SafeConstructor} only: no custom or global tags ({@code !!java...}) are honoured,
 * aliases, nesting, size and duplicate keys are bounded (CVE-2022-1471, CVE-2019-11253).
 */
public final class SafeYaml {
  /** The largest document accepted, in characters. */
  public static final int MAX_CHARS = 1 << 20;
  private static final int MAX_ALIASES = 16;
  private static final int MAX_DEPTH = 64;
  private static final int MAX_NODES = 1 << 20;

  private SafeYaml() {}

  /**
   * Parses every document of a YAML stream; empty documents are skipped. Errors name
   * {@code field} and carry {@code config.invalid_yaml}; the message never echoes the content.
   */
  public static List<Object> loadAll(String text, String field) {
    if (text.length() > MAX_CHARS) {
      throw WorkerException.badInput(ConfigCodes.INVALID_YAML, field,
          "is larger than " + MAX_CHARS + " characters");
    }
    try {
      List<Object> docs = new ArrayList<>();
      for (Object doc : yaml().loadAll(text)) {
        if (doc != null) {
          if (containsItself(doc, new java.util.IdentityHashMap<>(), new int[] {MAX_NODES})) {
            throw WorkerException.badInput(ConfigCodes.INVALID_YAML, field,
                "is not valid YAML for a configuration: an alias refers to a collection that contains it"
                + " (or aliases expand it beyond " + MAX_NODES + " nodes)");
          }
          docs.add(doc);
        }
      }
      return docs;
    } catch (YAMLException e) {
      throw WorkerException.badInput(ConfigCodes.INVALID_YAML, field, "is not valid YAML: " + firstLine(e));
    } catch (NumberFormatException e) {
      // SnakeYAML's YAML 1.1 float pattern takes "._" for a number its constructor cannot read
      throw WorkerException.badInput(ConfigCodes.INVALID_YAML, field, "is not valid YAML: a scalar looks like a "
          + "number but is not one");
    } catch (StackOverflowError e) {
      throw WorkerException.badInput(ConfigCodes.INVALID_YAML, field, "is nested too deeply");
    }
  }

  /** Parses exactly one document (null for an empty stream), with the same limits. */
  public static Object load(String text, String field) {
    List<Object> docs = loadAll(text, field);
    if (docs.size() > 1) {
      throw WorkerException.badInput(ConfigCodes.INVALID_YAML, field, "holds more than one YAML document");
    }
    return docs.isEmpty() ? null : docs.get(0);
  }

  /**
   * Tells whether a collection holds itself through an alias ({@code &a [*a]}): such a tree has
   * no end, and printing, hashing or comparing it overflows the stack. Aliases make a tree a
   * graph, so the walk is bounded by {@code budget} nodes; a larger expansion is refused too.
   */
  private static boolean containsItself(Object node, java.util.IdentityHashMap<Object, Boolean> path, int[] budget) {
    if (!(node instanceof Map<?, ?>) && !(node instanceof java.util.Collection<?>)) {
      return false;
    }
    if (--budget[0] < 0) {
      return true; // refused as well: aliases that expand this far are no configuration
    }
    if (path.put(node, Boolean.TRUE) != null) {
      return true;
    }
    Iterable<?> children = node instanceof Map<?, ?> m ? concat(m) : (java.util.Collection<?>) node;
    for (Object child : children) {
      if (containsItself(child, path, budget)) {
        return true;
      }
    }
    path.remove(node);
    return false;
  }

  private static List<Object> concat(Map<?, ?> m) {
    List<Object> all = new ArrayList<>(m.keySet());
    all.addAll(m.values());
    return all;
  }

  private static Yaml yaml() {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(MAX_ALIASES);
    options.setAllowRecursiveKeys(false);
    options.setNestingDepthLimit(MAX_DEPTH);
    options.setCodePointLimit(MAX_CHARS);
    options.setProcessComments(false);
    return new Yaml(new SafeConstructor(options));
  }

  private static String firstLine(YAMLException e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    String line = nl < 0 ? m : m.substring(0, nl);
    // keep problem descriptions, drop snippets of the input
    return line.length() > 160 ? line.substring(0, 160) : line;
  }
}
