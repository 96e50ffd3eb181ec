package io.kubeforge.worker.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.NodeTaint;
import io.kubeforge.worker.config.RequestOptions;
import io.kubeforge.worker.kube.Action;
import io.kubeforge.worker.kube.Applied;
import io.kubeforge.worker.kube.ClusterAccess;
import io.kubeforge.worker.kube.ClusterInfoSigner;
import io.kubeforge.worker.kube.KubeClient;
import io.kubeforge.worker.kube.KubeException;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.RequestFields;
import io.kubeforge.worker.support.WorkerException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * ClusterBootstrapPhase applies, through the {@code kube} client, what kubeadm v1.34's init
 * creates once the API server is up (kubeadm.md §5; not the bootstrap token Secret and not
 * kubeadm-certs): upload-config, mark-control-plane, the bootstrap-token RBAC and cluster-info,
 * and the CoreDNS and kube-proxy addons. Every object is server-side applied (field manager
 * {@code kubeforge}, forced where kubeadm overwrites), so a second run changes no resourceVersion;
 * kubeadm's exceptions are kept: an existing Corefile that is not kubeadm's is retained, an
 * existing CoreDNS Deployment keeps its replica count, and a Node that is not registered yet is
 * reported, not waited for. A dry run sends {@code dryRun=All} and writes nothing.
 */
public final class ClusterBootstrapPhase {
  /** The request fields of this capability besides the model's. */
  public static final Set<String> OWN_FIELDS = Set.of("dry_run", "kubeconfig", "skip_phases", "timeout", "taints",
      "sign_cluster_info");
  /** kubeadm's phase names accepted by {@code skip_phases}. */
  public static final List<String> PHASES = List.of("upload-config/kubeadm", "upload-config/kubelet",
      "mark-control-plane", "bootstrap-token", "addon/coredns", "addon/kube-proxy");
  static final String LABEL_CONTROL_PLANE = "node-role.kubernetes.io/control-plane";
  static final String LABEL_EXCLUDE_LB = "node.kubernetes.io/exclude-from-external-load-balancers";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BAD_OPTION = "cluster.invalid_option";
  /** How long {@code sign_cluster_info: auto} waits for the controller-manager's bootstrap signer. */
  private static final Duration SIGNER_WAIT = Duration.ofSeconds(10);

  private final Map<String, String> environment;

  /** A phase that passes the worker's own proxy environment on to kube-proxy, as kubeadm does. */
  public ClusterBootstrapPhase() {
    this(System.getenv());
  }

  /** A phase with a given process environment (only its {@code *_proxy} variables are used). */
  public ClusterBootstrapPhase(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  /** Decodes a request body and runs for the worker's {@code Capability} contract. */
  public PhaseResult run(Map<String, Object> body, boolean dryRun) {
    return run(body, dryRun, false);
  }

  /**
   * Same as {@link #run(Map, boolean)}; with {@code publishModelEndpoint} cluster-info carries
   * the model's control-plane endpoint (what admin.conf will hold) instead of the server of the
   * kubeconfig the call connects with (what admin.conf holds now): a moved endpoint is published
   * while the call still reaches the API server where it is today.
   */
  public PhaseResult run(Map<String, Object> body, boolean dryRun, boolean publishModelEndpoint) {
    ClusterModel m = ClusterModel.fromRequest(body, OWN_FIELDS);
    RequestFields f = RequestOptions.fields(body, OWN_FIELDS);
    Set<String> skip = skippedPhases(f.stringList("skip_phases"), m.skipPhases());
    // kubeadm's manageSkippedAddons: a skipped addon is uploaded as disabled, a disabled one skipped
    m = m.withAddonsDisabled(m.dns().disabled() || skip.contains("addon/coredns"),
        m.proxyDisabled() || skip.contains("addon/kube-proxy"));
    if (m.dns().disabled()) {
      skip.add("addon/coredns");
    }
    if (m.proxyDisabled()) {
      skip.add("addon/kube-proxy");
    }
    if (body != null && body.get("taints") != null) {
      m = m.withTaints(NodeTaint.parseList(body.get("taints"), "taints"));
    }
    List<NodeTaint> taints = m.controlPlaneTaints();
    ClusterInfoSigner.Mode sign = ClusterInfoSigner.Mode.parse(f.string("sign_cluster_info").orElse("auto"),
        "sign_cluster_info");
    // the one way in: admin.conf (its kubeadm:cluster-admins binding ensured first, through
    // super-admin.conf on a fresh cluster; in check mode the rest is then read with that file)
    try (ClusterAccess.Opened access = ClusterAccess.open(f, dryRun)) {
      List<Applied> applied = new ArrayList<>();
      if (access.clusterAdmins() != null) {
        applied.add(access.clusterAdmins().applied());
      }
      return apply(access.client(), m, skip, taints, sign, dryRun, applied, publishModelEndpoint);
    }
  }

  /**
   * The phases to skip: the {@code skip_phases} option, or when it is empty the
   * InitConfiguration's {@code skipPhases}, as kubeadm prefers {@code --skip-phases} over the
   * config. Names in the option must be this capability's; names in the config that belong to
   * other parts of {@code kubeadm init} (preflight, certs, ...) are left to them.
   */
  static Set<String> skippedPhases(List<String> option, List<String> fromConfig) {
    boolean useOption = !option.isEmpty();
    List<String> given = useOption ? option : fromConfig;
    Set<String> skip = new HashSet<>();
    for (int i = 0; i < given.size(); i++) {
      String p = given.get(i);
      if (p.equals("addon/all") || p.equals("upload-config/all") || p.equals("upload-config") || p.equals("addon")) {
        PHASES.stream().filter(x -> x.startsWith(p.replace("/all", "") + "/")).forEach(skip::add);
      } else if (PHASES.contains(p)) {
        skip.add(p);
      } else if (useOption) {
        throw WorkerException.badInput(BAD_OPTION, "skip_phases[" + i + "]",
            "'" + p + "' is not one of " + PHASES + " (or upload-config/all, addon/all)");
      }
    }
    return skip;
  }

  /**
   * Applies every step not skipped, after {@code applied} (the kubeadm:cluster-admins binding);
   * see the class comment.
   */
  public PhaseResult apply(KubeClient client, ClusterModel m, Set<String> skip, List<NodeTaint> taints,
                           ClusterInfoSigner.Mode sign, boolean dryRun, List<Applied> applied) {
    return apply(client, m, skip, taints, sign, dryRun, applied, false);
  }

  private PhaseResult apply(KubeClient client, ClusterModel m, Set<String> skip, List<NodeTaint> taints,
                            ClusterInfoSigner.Mode sign, boolean dryRun, List<Applied> applied,
                            boolean publishModelEndpoint) {
    List<String> warnings = new ArrayList<>();
    String caPem = new String(client.kubeconfig().caPem(), StandardCharsets.US_ASCII);
    ClusterObjects.AdminCluster admin = publishModelEndpoint ? ClusterObjects.AdminCluster.of(m, caPem)
        : new ClusterObjects.AdminCluster(client.kubeconfig().server().toString(), caPem);
    int replicas = dnsReplicas(client, skip);
    Map<String, Object> node = null;
    for (ClusterObjects.Rendered r : ClusterObjects.render(m, admin, skip, replicas, environment)) {
      if (r.step() == ClusterObjects.Step.BOOTSTRAP_TOKEN && !skip.contains("mark-control-plane")) {
        node = markControlPlane(client, m.nodeName(), taints, dryRun, applied);
      }
      for (Map<String, Object> o : r.objects()) {
        ObjectNode obj = JSON.valueToTree(o);
        if (r.step() == ClusterObjects.Step.ADDON_COREDNS && "ConfigMap".equals(o.get("kind"))
            && keepsCorefile(client, obj, warnings, applied)) {
          continue;
        }
        applied.add(applyOne(client, obj, dryRun, applied));
      }
    }
    if (node == null && !skip.contains("mark-control-plane") && skip.contains("bootstrap-token")) {
      node = markControlPlane(client, m.nodeName(), taints, dryRun, applied);
    }
    List<Object> signatures = new ArrayList<>();
    boolean changed = false;
    if (!skip.contains("bootstrap-token")) {
      for (ClusterInfoSigner.Signature sig : ClusterInfoSigner.ensure(client, sign, SIGNER_WAIT, dryRun)) {
        signatures.add(sig.fact());
        changed |= sig.changed();
      }
    }
    Map<String, Object> result = new LinkedHashMap<>();
    List<Object> objects = new ArrayList<>();
    for (Applied a : applied) {
      objects.add(a.fact());
      changed |= a.changed();
    }
    result.put("objects", objects);
    result.put("node", node == null ? Map.of("name", m.nodeName(), "skipped", true) : node);
    result.put("cluster_info_signatures", signatures);
    result.put("skipped_phases", PHASES.stream().filter(skip::contains).toList());
    return new PhaseResult(changed, warnings, result, null);
  }

  private static Applied applyOne(KubeClient client, ObjectNode obj, boolean dryRun, List<Applied> done) {
    try {
      return client.apply(obj, true, dryRun);
    } catch (KubeException e) {
      throw e.afterApplying(done, obj.path("kind").asText() + " " + obj.path("metadata").path("name").asText());
    }
  }

  /** kubeadm keeps the replica count of an existing CoreDNS Deployment. */
  private static int dnsReplicas(KubeClient client, Set<String> skip) {
    if (skip.contains("addon/coredns")) {
      return ClusterObjects.DEFAULT_DNS_REPLICAS;
    }
    List<ObjectNode> found = client.list("apps/v1", "Deployment", "kube-system", "k8s-app=kube-dns");
    if (found.size() > 1) {
      throw WorkerException.conflict("cluster.multiple_dns_deployments",
          "more than one Deployment with label k8s-app=kube-dns in kube-system; kubeadm refuses this too");
    }
    return found.isEmpty() ? ClusterObjects.DEFAULT_DNS_REPLICAS
        : found.get(0).path("spec").path("replicas").asInt(ClusterObjects.DEFAULT_DNS_REPLICAS);
  }

  /**
   * kubeadm retains a Corefile that is not its own default (CreateOrRetain; it would migrate an
   * older default, which does not apply to a cluster made by this version).
   */
  private static boolean keepsCorefile(KubeClient client, ObjectNode ours, List<String> warnings, List<Applied> applied) {
    Optional<ObjectNode> existing = client.get("v1", "ConfigMap", "kube-system", "coredns");
    if (existing.isEmpty()) {
      return false;
    }
    JsonNode theirs = existing.get().path("data").path("Corefile");
    if (theirs.isMissingNode() || theirs.asText().isEmpty() || theirs.equals(ours.path("data").path("Corefile"))) {
      return false;
    }
    warnings.add("kept the existing Corefile of kube-system/coredns (it is not kubeadm's default; kubeadm retains it too)");
    applied.add(new Applied("ConfigMap", "kube-system", "coredns", Action.UNCHANGED, existing.get(), existing.get()));
    return true;
  }

  /**
   * kubeadm's mark-control-plane ({@code markControlPlaneNode}): the two labels (value "") and
   * the taints: the configured ones first, then every taint of the Node that is not one of them.
   * Nothing is written when the Node already has exactly that; a Node that has not registered yet
   * is reported.
   */
  private static Map<String, Object> markControlPlane(KubeClient client, String nodeName,
                                                      List<NodeTaint> taints, boolean dryRun,
                                                      List<Applied> applied) {
    Map<String, Object> fact = new LinkedHashMap<>();
    fact.put("name", nodeName);
    Optional<ObjectNode> found = client.get("v1", "Node", null, nodeName);
    if (found.isEmpty()) {
      fact.put("registered", false);
      fact.put("message", "Node " + nodeName + " is not registered yet (its kubelet has not joined): "
          + "labels and taints not applied; run again once it is");
      return fact;
    }
    fact.put("registered", true);
    ObjectNode current = found.get();
    JsonNode labels = current.path("metadata").path("labels");
    boolean labelled = "".equals(labels.path(LABEL_CONTROL_PLANE).asText(null))
        && "".equals(labels.path(LABEL_EXCLUDE_LB).asText(null));
    List<NodeTaint> existing = new ArrayList<>();
    current.path("spec").path("taints").forEach(t -> existing.add(new NodeTaint(t.path("key").asText(),
        t.path("value").asText(""), t.path("effect").asText(), t.hasNonNull("timeAdded") ? t.path("timeAdded").asText() : null)));
    List<NodeTaint> merged = mergeTaints(taints, existing);
    fact.put("labels", List.of(LABEL_CONTROL_PLANE, LABEL_EXCLUDE_LB));
    fact.put("taints", merged.stream().map(NodeTaint::toString).toList());
    if (labelled && merged.equals(existing)) {
      applied.add(new Applied("Node", null, nodeName, Action.UNCHANGED, current, current));
      return fact;
    }
    ObjectNode patch = JSON.createObjectNode().put("apiVersion", "v1").put("kind", "Node");
    ObjectNode meta = patch.putObject("metadata").put("name", nodeName);
    meta.putObject("labels").put(LABEL_CONTROL_PLANE, "").put(LABEL_EXCLUDE_LB, "");
    ArrayNode list = patch.putObject("spec").putArray("taints");
    merged.forEach(t -> list.add(JSON.valueToTree(t.toObject())));
    applied.add(applyOne(client, patch, dryRun, applied));
    return fact;
  }

  /** kubeadm's merge: the configured taints, then the Node's own that are not among them. */
  static List<NodeTaint> mergeTaints(List<NodeTaint> configured, List<NodeTaint> existing) {
    List<NodeTaint> merged = new ArrayList<>(configured);
    for (NodeTaint t : existing) {
      if (!configured.contains(t)) {
        merged.add(t);
      }
    }
    return merged;
  }
}
