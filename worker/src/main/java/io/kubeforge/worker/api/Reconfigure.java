package io.kubeforge.worker.api;

import io.kubeforge.worker.cluster.ClusterBootstrapPhase;
import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.RequestOptions;
import io.kubeforge.worker.kubeconfig.KubeconfigPhase;
import io.kubeforge.worker.pki.PkiPhase;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.RequestFields;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reconfigure ({@code POST /v1/reconfigure}) applies a changed {@code apiserver_cert_sans},
 * advertise address or {@code control_plane_endpoint} to a running control plane in one call,
 * three steps through the phases that own them:
 * <ol>
 *   <li>{@code pki} with {@code reissue_on_name_change}: only the certificates whose names change
 *       are reissued (with their keys unless {@code reissue_new_key}); kube-apiserver serves a new
 *       serving certificate without a restart;</li>
 *   <li>{@code cluster-bootstrap} limited to {@code upload-config/kubeadm} and
 *       {@code bootstrap-token}: the {@code kubeadm-config} ConfigMap and {@code cluster-info}
 *       (the new endpoint as its server; the bootstrap signer re-signs it) follow the new
 *       configuration, through {@code kubeconfig_dir}'s admin.conf as it still is, so the call
 *       reaches the API server by the address that works today;</li>
 *   <li>{@code kubeconfigs} with {@code reissue_on_name_change}: a file whose server moved has just
 *       that line rewritten, so every identity stays.</li>
 * </ol>
 * The three run as dry runs first: bad input, a missing kubeconfig or an unreachable API server
 * fail the call before anything is written. A step that still fails later (the API server gone
 * between the two passes) stops the call with its error; the steps before it stay done, and a
 * second call finishes the rest (each step compares before writing). A dry run
 * (check mode) runs all three as dry runs: the combined diff shows every file and object that
 * would change. Nothing here writes by itself: each step is its phase, with its own locks,
 * backups and atomic writes.
 */
public final class Reconfigure {
  /** The request fields of this capability besides the model's. */
  public static final Set<String> OWN_FIELDS = Set.of("dry_run", "backup", "reissue_new_key", "kubeconfig",
      "timeout", "sign_cluster_info");
  /** The cluster-bootstrap phases this call does not run (what remains: kubeadm-config, cluster-info and its RBAC). */
  static final List<String> CLUSTER_SKIPPED = List.of("upload-config/kubelet", "mark-control-plane",
      "addon/coredns", "addon/kube-proxy");

  private final PkiPhase pki = new PkiPhase();
  private final ClusterBootstrapPhase cluster = new ClusterBootstrapPhase();
  private final KubeconfigPhase kubeconfigs = new KubeconfigPhase();

  /**
   * Runs the three steps for the worker's {@code Capability} contract: as dry runs first, so bad
   * input, a missing kubeconfig or an unreachable API server fails the call before anything is
   * written; then for real.
   */
  public PhaseResult run(Map<String, Object> body, boolean dryRun) {
    PhaseResult planned = steps(body, true);
    return dryRun ? planned : steps(body, false);
  }

  private PhaseResult steps(Map<String, Object> body, boolean dryRun) {
    ClusterModel m = ClusterModel.fromRequest(body, OWN_FIELDS);
    RequestFields f = RequestOptions.fields(body, OWN_FIELDS);
    boolean backup = f.bool("backup", true);
    Map<String, Object> model = new HashMap<>(body == null ? Map.of() : body);
    OWN_FIELDS.forEach(model::remove);

    Map<String, PhaseResult> steps = new LinkedHashMap<>();
    steps.put("pki", pki.run(m.pkiOptions(backup, true, f.bool("reissue_new_key", false)), dryRun));

    Map<String, Object> clusterBody = new HashMap<>(model);
    clusterBody.put("skip_phases", CLUSTER_SKIPPED);
    for (String k : List.of("kubeconfig", "timeout", "sign_cluster_info")) {
      if (body != null && body.get(k) != null) {
        clusterBody.put(k, body.get(k));
      }
    }
    steps.put("cluster", cluster.run(clusterBody, dryRun, true));

    Map<String, Object> kubeconfigBody = new HashMap<>(model);
    kubeconfigBody.put("backup", backup);
    kubeconfigBody.put("reissue_on_name_change", true);
    steps.put("kubeconfigs", kubeconfigs.run(kubeconfigBody, dryRun));
    return combine(steps);
  }

  /** One result of the steps: changed if any changed, their facts and diffs keyed by step. */
  static PhaseResult combine(Map<String, PhaseResult> steps) {
    boolean changed = false;
    List<String> warnings = new ArrayList<>();
    Map<String, Object> result = new LinkedHashMap<>();
    Map<String, Object> before = new LinkedHashMap<>();
    Map<String, Object> after = new LinkedHashMap<>();
    List<String> changedSteps = new ArrayList<>();
    for (Map.Entry<String, PhaseResult> e : steps.entrySet()) {
      PhaseResult r = e.getValue();
      changed |= r.changed();
      if (r.changed()) {
        changedSteps.add(e.getKey());
      }
      r.warnings().forEach(w -> warnings.add(e.getKey() + ": " + w));
      result.put(e.getKey(), r.result());
      if (r.diff() != null) {
        before.put(e.getKey(), r.diff().get("before"));
        after.put(e.getKey(), r.diff().get("after"));
      }
    }
    result.put("changed_steps", changedSteps);
    Map<String, Object> diff = before.isEmpty() ? null : Map.of("before", before, "after", after);
    return new PhaseResult(changed, warnings, result, diff);
  }
}
