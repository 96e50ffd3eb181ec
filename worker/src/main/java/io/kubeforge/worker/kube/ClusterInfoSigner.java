package io.kubeforge.worker.kube;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubeforge.worker.support.WorkerException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * ClusterInfoSigner does for {@code kube-public/cluster-info} what kube-controller-manager's
 * bootstrap signer does, for clusters that run without it: for every unexpired token Secret with
 * {@code usage-bootstrap-signing: "true"} it makes sure {@code jws-kubeconfig-<id>} holds the
 * detached JWS of the {@code kubeconfig} key.
 *
 * <p>Modes ({@code sign_cluster_info}): {@code never} only reports; {@code always} signs at once;
 * {@code auto} waits up to {@code wait} for the signer and signs itself only what is still
 * missing or wrong then. Our signatures are applied under their own field manager
 * ({@value #FIELD_MANAGER}), so that applying cluster-info's {@code kubeconfig} under
 * {@code kubeforge} never removes them, and with force, so the signer and we can take turns.
 */
public final class ClusterInfoSigner {
  /** The field manager of the signatures we write. */
  public static final String FIELD_MANAGER = "kubeforge-bootstrap-signer";
  /** The JWS key prefix. */
  public static final String PREFIX = "jws-kubeconfig-";

  private static final ObjectMapper JSON = new ObjectMapper();

  private ClusterInfoSigner() {}

  /** {@code sign_cluster_info}. */
  public enum Mode {
    AUTO, ALWAYS, NEVER;

    /** Parses the option; anything else is a 400 naming {@code field}. */
    public static Mode parse(String value, String field) {
      try {
        return valueOf(value.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw WorkerException.badInput("kube.invalid_value", field, "'" + value + "' must be one of auto, always, never");
      }
    }
  }

  /**
   * What happened per token.
   *
   * @param tokenId the token
   * @param signedBy {@code signer} (a valid signature was there), {@code kubeforge} (we signed)
   *     or {@code none} (missing or invalid, mode never)
   * @param changed whether we wrote (or in a dry run would write) the signature
   */
  public record Signature(String tokenId, String signedBy, boolean changed) {
    /** As a fact. */
    public Map<String, Object> fact() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("token_id", tokenId);
      m.put("signed_by", signedBy);
      m.put("changed", changed);
      return m;
    }
  }

  /** Ensures the signatures as described above; empty when cluster-info does not exist. */
  public static List<Signature> ensure(KubeClient kube, Mode mode, Duration wait, boolean dryRun) {
    List<BootstrapToken> tokens = signingTokens(kube);
    long deadline = System.nanoTime() + (mode == Mode.AUTO ? wait.toNanos() : 0);
    while (true) {
      Optional<ObjectNode> cm = kube.get("v1", "ConfigMap", "kube-public", "cluster-info");
      if (cm.isEmpty()) {
        return List.of();
      }
      String content = cm.get().path("data").path("kubeconfig").asText("");
      List<BootstrapToken> missing = new ArrayList<>();
      for (BootstrapToken t : tokens) {
        String jws = cm.get().path("data").path(PREFIX + t.id()).asText(null);
        if (!ClusterInfoJws.verify(content, jws, t.id(), t.secret())) {
          missing.add(t);
        }
      }
      if (missing.isEmpty() || mode != Mode.AUTO || System.nanoTime() >= deadline) {
        return finish(kube, mode, tokens, missing, content, dryRun);
      }
      try {
        Thread.sleep(Math.min(500, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return finish(kube, mode, tokens, missing, content, dryRun);
      }
    }
  }

  private static List<Signature> finish(KubeClient kube, Mode mode, List<BootstrapToken> tokens,
                                        List<BootstrapToken> missing, String content, boolean dryRun) {
    List<Signature> out = new ArrayList<>();
    ObjectNode patch = JSON.createObjectNode().put("apiVersion", "v1").put("kind", "ConfigMap");
    patch.putObject("metadata").put("name", "cluster-info").put("namespace", "kube-public");
    ObjectNode data = patch.putObject("data");
    for (BootstrapToken t : tokens) {
      boolean sign = missing.contains(t) && mode != Mode.NEVER;
      if (sign) {
        data.put(PREFIX + t.id(), ClusterInfoJws.sign(content, t.id(), t.secret()));
      }
      out.add(new Signature(t.id(), missing.contains(t) ? (sign ? "kubeforge" : "none") : "signer", sign));
    }
    if (data.size() > 0) {
      kube.apply(patch, true, dryRun, FIELD_MANAGER);
    }
    return out;
  }

  /** The tokens the bootstrap signer would sign for: valid, unexpired, usage signing. */
  static List<BootstrapToken> signingTokens(KubeClient kube) {
    Instant now = Instant.now();
    List<BootstrapToken> out = new ArrayList<>();
    for (ObjectNode s : kube.list("v1", "Secret", BootstrapToken.NAMESPACE, null)) {
      if (!BootstrapToken.SECRET_TYPE.equals(s.path("type").asText())) {
        continue;
      }
      BootstrapToken.fromSecret(s).filter(t -> !t.expiredAt(now) && t.usages().contains("signing")).ifPresent(out::add);
    }
    return out;
  }
}
