package io.kubeforge.worker.kube;

import io.kubeforge.worker.support.WorkerException;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Kinds is the kind → REST path table, as data: every kind the worker reads or writes, with its
 * API group/version, its plural resource name and whether it lives in a namespace.
 */
public final class Kinds {
  /**
   * One row: {@code apiVersion} ({@code v1} or {@code group/version}), kind, plural, scope, and the
   * subresources the worker writes (e.g. a CSR's {@code approval}).
   */
  public record Kind(String apiVersion, String kind, String plural, boolean namespaced, List<String> subresources) {
    /** A row without subresources. */
    public Kind(String apiVersion, String kind, String plural, boolean namespaced) {
      this(apiVersion, kind, plural, namespaced, List.of());
    }

    /** The subresource path: the object path plus {@code /<subresource>}, for subresources in the table only. */
    public String subresource(String namespace, String name, String subresource) {
      if (!subresources.contains(subresource)) {
        throw new IllegalArgumentException("subresource " + subresource + " of " + kind + " is not in the kube/Kinds table");
      }
      return object(namespace, name) + "/" + subresource;
    }

    /** The collection path: {@code /api/v1[/namespaces/<ns>]/<plural>}. */
    public String collection(String namespace) {
      String root = apiVersion.contains("/") ? "/apis/" + apiVersion : "/api/" + apiVersion;
      return root + (namespaced && namespace != null ? "/namespaces/" + namespace : "") + "/" + plural;
    }

    /** The object path: the collection path plus {@code /<name>}. */
    public String object(String namespace, String name) {
      return collection(namespace) + "/" + name;
    }
  }

  /** The table. A kind missing here is refused by the client with a clear error. */
  public static final List<Kind> ALL = List.of(
      new Kind("v1", "ConfigMap", "configmaps", true),
      new Kind("v1", "Secret", "secrets", true),
      new Kind("v1", "Service", "services", true),
      new Kind("v1", "ServiceAccount", "serviceaccounts", true),
      new Kind("v1", "Pod", "pods", true),
      new Kind("v1", "Endpoints", "endpoints", true),
      new Kind("v1", "Node", "nodes", false),
      new Kind("v1", "Namespace", "namespaces", false),
      new Kind("rbac.authorization.k8s.io/v1", "Role", "roles", true),
      new Kind("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", true),
      new Kind("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", false),
      new Kind("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", false),
      new Kind("apps/v1", "DaemonSet", "daemonsets", true),
      new Kind("apps/v1", "Deployment", "deployments", true),
      new Kind("certificates.k8s.io/v1", "CertificateSigningRequest", "certificatesigningrequests", false,
          List.of("approval")),
      new Kind("coordination.k8s.io/v1", "Lease", "leases", true),
      new Kind("authentication.k8s.io/v1", "SelfSubjectReview", "selfsubjectreviews", false),
      new Kind("authorization.k8s.io/v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", false));

  private static final Map<String, Kind> BY_KEY = ALL.stream()
      .collect(Collectors.toUnmodifiableMap(k -> k.apiVersion() + " " + k.kind(), Function.identity()));

  private Kinds() {}

  /** Returns the row for {@code apiVersion}/{@code kind}; unknown kinds are a worker fault (500). */
  public static Kind of(String apiVersion, String kind) {
    Kind k = BY_KEY.get(apiVersion + " " + kind);
    if (k == null) {
      throw new IllegalArgumentException("kind " + apiVersion + " " + kind + " is not in the kube/Kinds table");
    }
    return k;
  }

  /** Returns the row for a kind the user named; unknown kinds are bad input naming {@code field}. */
  public static Kind ofInput(String apiVersion, String kind, String field) {
    Kind k = BY_KEY.get(apiVersion + " " + kind);
    if (k == null) {
      throw WorkerException.badInput("kube.unknown_kind", field, apiVersion + " " + kind + " is not a kind the worker handles");
    }
    return k;
  }
}
