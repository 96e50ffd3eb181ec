package io.kubeforge.worker.kubeconfig;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * KubeconfigSchema checks a parsed kubeconfig against client-go v0.34's
 * {@code clientcmd/api/v1.Config} (json tags of types.go): only known fields, the right types,
 * the required {@code clusters}/{@code users}/{@code contexts}/{@code current-context}, unique
 * names, and that the current context resolves to a cluster and a user, as {@code clientcmd}
 * validation requires for a usable config.
 */
final class KubeconfigSchema {
  private static final Set<String> TOP = Set.of("kind", "apiVersion", "preferences", "clusters", "users",
      "contexts", "current-context", "extensions");
  private static final Set<String> CLUSTER = Set.of("server", "tls-server-name", "insecure-skip-tls-verify",
      "certificate-authority", "certificate-authority-data", "proxy-url", "disable-compression", "extensions");
  private static final Set<String> AUTH = Set.of("client-certificate", "client-certificate-data", "client-key",
      "client-key-data", "token", "tokenFile", "as", "as-uid", "as-groups", "as-user-extra", "username", "password",
      "auth-provider", "exec", "extensions");
  private static final Set<String> CONTEXT = Set.of("cluster", "user", "namespace", "extensions");

  private KubeconfigSchema() {}

  static List<String> violations(Object tree) {
    List<String> errors = new ArrayList<>();
    if (!(tree instanceof Map<?, ?> cfg)) {
      return List.of("not a mapping");
    }
    only(cfg, TOP, "Config", errors);
    if (!"v1".equals(cfg.get("apiVersion")) || !"Config".equals(cfg.get("kind"))) {
      errors.add("apiVersion/kind must be v1/Config");
    }
    Set<String> clusters = named(cfg, "clusters", "cluster", CLUSTER, errors);
    Set<String> users = named(cfg, "users", "user", AUTH, errors);
    Set<String> contexts = named(cfg, "contexts", "context", CONTEXT, errors);
    if (!(cfg.get("current-context") instanceof String current) || !contexts.contains(current)) {
      errors.add("current-context must name a context");
    }
    if (cfg.get("contexts") instanceof List<?> list) {
      for (Object o : list) {
        Map<?, ?> ctx = (Map<?, ?>) ((Map<?, ?>) o).get("context");
        if (ctx != null && (!clusters.contains(String.valueOf(ctx.get("cluster")))
            || !users.contains(String.valueOf(ctx.get("user"))))) {
          errors.add("context " + ((Map<?, ?>) o).get("name") + " names an unknown cluster or user");
        }
      }
    }
    return errors;
  }

  private static Set<String> named(Map<?, ?> cfg, String listKey, String itemKey, Set<String> fields,
                                   List<String> errors) {
    Set<String> names = new HashSet<>();
    if (!(cfg.get(listKey) instanceof List<?> list)) {
      errors.add(listKey + " must be a list");
      return names;
    }
    for (Object o : list) {
      if (!(o instanceof Map<?, ?> item)) {
        errors.add(listKey + " items must be mappings");
        continue;
      }
      only(item, Set.of("name", itemKey), listKey + "[]", errors);
      if (!(item.get("name") instanceof String n) || !names.add(n)) {
        errors.add(listKey + ": missing or duplicate name");
      }
      if (!(item.get(itemKey) instanceof Map<?, ?> body)) {
        errors.add(listKey + "[]." + itemKey + " must be a mapping");
      } else {
        only(body, fields, listKey + "[]." + itemKey, errors);
        body.forEach((k, v) -> {
          if (String.valueOf(k).endsWith("-data") && !(v instanceof String s && s.matches("[A-Za-z0-9+/=]+"))) {
            errors.add(k + " must be base64");
          }
        });
      }
    }
    return names;
  }

  private static void only(Map<?, ?> m, Set<String> allowed, String path, List<String> errors) {
    for (Object k : m.keySet()) {
      if (!allowed.contains(String.valueOf(k))) {
        errors.add(path + "." + k + ": unknown field");
      }
    }
  }
}
