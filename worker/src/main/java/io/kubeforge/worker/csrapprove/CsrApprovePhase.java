package io.kubeforge.worker.csrapprove;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubeforge.worker.kube.ClusterAccess;
import io.kubeforge.worker.kube.KubeClient;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.RequestFields;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** CsrApprovePhase serves {@code POST /v1/csr-approve}; see the package documentation. */
public final class CsrApprovePhase {
  /** The reason of the Approved condition. */
  public static final String APPROVED_REASON = "KubeforgeApproved";
  /** The reason of the Denied condition. */
  public static final String DENIED_REASON = "KubeforgeDenied";
  /** The fields of the request. */
  public static final Set<String> FIELDS;
  private static final String CSR_API = "certificates.k8s.io/v1";
  private static final String CSR_KIND = "CertificateSigningRequest";

  static {
    Set<String> f = new HashSet<>(ClusterAccess.FIELDS);
    f.add("deny_invalid");
    FIELDS = Set.copyOf(f);
  }

  /** Runs one call. */
  public PhaseResult run(Map<String, Object> body, boolean dryRun) {
    RequestFields f = RequestFields.of(body, FIELDS);
    boolean denyInvalid = f.bool("deny_invalid", false);
    List<Map<String, Object>> decisions = new ArrayList<>();
    int ignored = 0;
    int decided = 0;
    boolean changed = false;
    try (ClusterAccess.Opened access = ClusterAccess.open(f, dryRun)) {
      KubeClient client = access.client();
      Map<String, Optional<ObjectNode>> nodes = new HashMap<>();
      List<ObjectNode> csrs = new ArrayList<>(client.list(CSR_API, CSR_KIND, null, null));
      csrs.sort((a, b) -> name(a).compareTo(name(b)));
      for (ObjectNode csr : csrs) {
        Optional<ObjectNode> node = CsrRules.nodeName(csr)
            .filter(n -> CsrRules.SIGNER.equals(csr.path("spec").path("signerName").asText()))
            .flatMap(n -> nodes.computeIfAbsent(n, x -> client.get("v1", "Node", null, x)));
        CsrRules.Judgement j = CsrRules.judge(csr, node);
        switch (j.verdict()) {
          case IGNORED -> {
            ignored++;
            continue;
          }
          case DECIDED -> {
            decided++;
            continue;
          }
          default -> { }
        }
        String decision;
        if (j.verdict() == CsrRules.Verdict.VALID) {
          decision = "approved";
          condition(client, csr, "Approved", APPROVED_REASON, "approved by kubeforge: " + j.reason(), dryRun);
          changed = true;
        } else if (denyInvalid) {
          decision = "denied";
          condition(client, csr, "Denied", DENIED_REASON, "denied by kubeforge: " + j.reason(), dryRun);
          changed = true;
        } else {
          decision = "pending";
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", name(csr));
        row.put("username", csr.path("spec").path("username").asText(""));
        row.put("node", CsrRules.nodeName(csr).orElse(null));
        row.put("decision", decision);
        row.put("reason", j.reason());
        decisions.add(row);
      }
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("csrs", decisions);
    result.put("approved", decisions.stream().filter(d -> d.get("decision").equals("approved")).count());
    result.put("denied", decisions.stream().filter(d -> d.get("decision").equals("denied")).count());
    result.put("pending", decisions.stream().filter(d -> d.get("decision").equals("pending")).count());
    result.put("already_decided", decided);
    result.put("other_signers", ignored);
    return new PhaseResult(changed, List.of(), result, null);
  }

  private static String name(ObjectNode o) {
    return o.path("metadata").path("name").asText("");
  }

  /** Adds the condition through the approval subresource, as {@code kubectl certificate approve|deny} does. */
  private static void condition(KubeClient client, ObjectNode csr, String type, String reason, String message,
                                boolean dryRun) {
    ObjectNode update = csr.deepCopy();
    ObjectNode status = update.with("status");
    ArrayNode conditions = status.withArray("conditions");
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    conditions.addObject().put("type", type).put("status", "True").put("reason", reason).put("message", message)
        .put("lastUpdateTime", now).put("lastTransitionTime", now);
    client.updateSubresource(update, "approval", dryRun);
  }
}
