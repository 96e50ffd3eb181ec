package io.kubeforge.worker.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.kube.EtcdClient;
import io.kubeforge.worker.kube.KubeClient;
import io.kubeforge.worker.support.WorkerException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * EtcdJoin is {@code kubeadm join}'s stacked etcd step ({@code phases/etcd/local.go}
 * {@code CreateStackedEtcdStaticPodManifestFile}, {@code util/etcd}): through the existing
 * members' client endpoints (option {@code etcd_join.endpoints}, or, without it, as kubeadm reads
 * them: the {@code kubeadm.kubernetes.io/etcd.advertise-client-urls} annotation of the etcd Pods,
 * through {@code admin.conf}) and the node's
 * {@code etcd/healthcheck-client} certificate, this node's peer URL is added as a learner unless
 * a member already has it; {@code --initial-cluster} is every member (this one under its node
 * name, a member without a name under its id in hexadecimal, as kubeadm does) with
 * {@code --initial-cluster-state=existing}; once the manifest is written, the learner is promoted
 * when it has started (kubeadm's {@code MemberPromote}: wait until it reports a name, then retry
 * the promotion until etcd accepts it), then, on every real run, a linearizable read through the
 * existing members must succeed (kubeadm's {@code WaitForClusterAvailable} asks each endpoint for
 * its status; a read needs the quorum that now counts this member). In a dry run the members are
 * only read.
 */
final class EtcdJoin {
  /** The fields of {@code etcd_join}. */
  static final Set<String> FIELDS = Set.of("endpoints", "timeout");
  /** kubeadm's default {@code timeouts.etcdAPICall} (2 minutes), per step. */
  static final long DEFAULT_TIMEOUT_S = 120;
  /**
   * At most 10 minutes per step: the call (four steps) must end within the worker's idle timeout
   * ({@code WorkerServer.IDLE_TIMEOUT_S}), which closes a connection that carries no bytes.
   */
  static final long MAX_TIMEOUT_S = 600;
  private static final int MAX_PEM = 1 << 16;

  /** The parsed option. */
  record Options(List<URI> endpoints, Duration timeout) {}

  /**
   * What was found and done before the manifest is written.
   *
   * @param peerUrl this member's peer URL
   * @param memberId its id once known (decimal), null in a dry run before it was added
   * @param added whether it was added as a learner (or, in a dry run, would be)
   * @param learner whether it is (still) a learner
   * @param initialCluster the {@code --initial-cluster} value
   */
  record Prepared(String peerUrl, String memberId, boolean added, boolean learner, String initialCluster) {}

  private EtcdJoin() {}

  /** Reads {@code etcd_join} (absent or null: empty); every fault is a 400 naming the sub-field. */
  static Optional<Options> parse(Object raw) {
    if (raw == null) {
      return Optional.empty();
    }
    if (!(raw instanceof Map<?, ?> map)) {
      throw WorkerException.badInput("request.wrong_type", "etcd_join", "must be an object with endpoints (and timeout)");
    }
    for (Object k : new TreeSet<>(map.keySet().stream().map(String::valueOf).toList())) {
      if (!FIELDS.contains(k)) {
        throw WorkerException.badInput("request.unknown_field", "etcd_join." + k,
            "unknown field; allowed fields are endpoints, timeout");
      }
    }
    Object eps = map.get("endpoints");
    List<URI> endpoints = new ArrayList<>();
    if (eps != null && (!(eps instanceof List<?> list) || list.isEmpty())) {
      throw WorkerException.badInput("request.wrong_type", "etcd_join.endpoints",
          "must be a non-empty list of the existing etcd members' client URLs, e.g. https://192.0.2.10:2379"
              + " (leave it out to read them from the etcd Pods, as kubeadm does)");
    }
    List<?> list = eps == null ? List.of() : (List<?>) eps;
    for (int i = 0; i < list.size(); i++) {
      String field = "etcd_join.endpoints[" + i + "]";
      if (!(list.get(i) instanceof String s)) {
        throw WorkerException.badInput("request.wrong_type", field, "must be a string");
      }
      String bad = clientUrlProblem(s);
      if (bad != null) {
        throw WorkerException.badInput("config.invalid_value", field, bad);
      }
      endpoints.add(URI.create(s));
    }
    long seconds = DEFAULT_TIMEOUT_S;
    Object t = map.get("timeout");
    if (t != null) {
      if (!(t instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
        throw WorkerException.badInput("request.wrong_type", "etcd_join.timeout", "must be a whole number of seconds");
      }
      seconds = n.longValue();
      if (seconds < 1 || seconds > MAX_TIMEOUT_S) {
        throw WorkerException.badInput("request.invalid_value", "etcd_join.timeout", "must be between 1 and "
            + MAX_TIMEOUT_S + " seconds");
      }
    }
    return Optional.of(new Options(endpoints, Duration.ofSeconds(seconds)));
  }

  /** Why {@code s} is not an etcd client URL ({@code https://HOST:PORT}), or null when it is one. */
  private static String clientUrlProblem(String s) {
    URI u;
    try {
      u = new URI(s);
    } catch (URISyntaxException e) {
      return "is not a URL: " + e.getReason();
    }
    if (!"https".equals(u.getScheme()) || u.getHost() == null || u.getPort() < 1
        || (u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/"))
        || u.getRawQuery() != null || u.getRawUserInfo() != null) {
      return "must be https://HOST:PORT (an etcd client URL; stacked etcd always uses TLS), got " + s;
    }
    return null;
  }

  /** The annotation the kubelet's etcd mirror Pod carries (kubeadm's {@code EtcdAdvertiseClientUrlsAnnotationKey}). */
  static final String CLIENT_URLS_ANNOTATION = "kubeadm.kubernetes.io/etcd.advertise-client-urls";
  /** kubeadm's {@code KubernetesAPICallRetryInterval}. */
  private static final long POD_POLL_MS = 500;

  /** The kubeconfig the endpoints are read with: {@code admin.conf}, as kubeadm join's client. */
  static Path adminConf(ClusterModel m) {
    return m.kubeconfigDir().resolve("admin.conf");
  }

  /**
   * The option with the endpoints kubeadm's {@code getRawEtcdEndpointsFromPodAnnotation} finds:
   * the annotation of every Pod in {@code kube-system} labelled {@code component=etcd,tier=control-plane},
   * polled until there is at least one and every such Pod has it, within the option's timeout.
   */
  static Options endpointsFromPods(ClusterModel m, Options o) {
    Path admin = adminConf(m);
    if (!Files.isRegularFile(admin)) {
      throw WorkerException.conflict("manifests.etcd_endpoints_unknown", "etcd_join.endpoints", "not given, and " + admin
          + " to read them from the etcd Pods with is missing: run kubeconfig first, or pass etcd_join.endpoints");
    }
    long deadline = System.nanoTime() + o.timeout().toNanos();
    try (KubeClient kube = KubeClient.fromKubeconfig(admin, o.timeout())) {
      while (true) {
        List<URI> found = new ArrayList<>();
        List<String> without = new ArrayList<>();
        List<ObjectNode> pods = kube.list("v1", "Pod", "kube-system", "component=etcd,tier=control-plane");
        for (ObjectNode pod : pods) {
          String name = pod.path("metadata").path("name").asText();
          JsonNode url = pod.path("metadata").path("annotations").path(CLIENT_URLS_ANNOTATION);
          if (!url.isTextual()) {
            without.add(name);
            continue;
          }
          String bad = clientUrlProblem(url.asText());
          if (bad != null) {
            throw WorkerException.conflict("manifests.etcd_endpoints_unknown", "etcd_join.endpoints",
                "the " + CLIENT_URLS_ANNOTATION + " annotation of Pod kube-system/" + name + " " + bad);
          }
          found.add(URI.create(url.asText()));
        }
        if (!found.isEmpty() && without.isEmpty()) {
          return new Options(found, o.timeout());
        }
        if (System.nanoTime() >= deadline) {
          throw WorkerException.conflict("manifests.etcd_endpoints_unknown", "etcd_join.endpoints",
              "could not retrieve the list of etcd endpoints within " + o.timeout().toSeconds() + " s: "
                  + (pods.isEmpty() ? "no Pod in kube-system has the labels component=etcd,tier=control-plane"
                      : "the etcd Pods " + String.join(", ", without) + " have no " + CLIENT_URLS_ANNOTATION
                          + " annotation")
                  + " (the kubelet of the first control plane mirrors its etcd Pod there); pass etcd_join.endpoints");
        }
        sleep();
      }
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(POD_POLL_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw WorkerException.conflict("manifests.etcd_endpoints_unknown", "etcd_join.endpoints",
          "interrupted while reading the etcd Pods");
    }
  }

  /** Refuses what kubeadm cannot join: external etcd. */
  static void requireStacked(ClusterModel m) {
    if (m.etcd().isExternal()) {
      throw WorkerException.badInput("config.invalid_value", "etcd_join",
          "is for a stacked (local) etcd member; this configuration uses external etcd, which has no member to add");
    }
  }

  /** The client certificate, key and CA this node talks to etcd with. */
  static List<Path> clientFiles(ClusterModel m) {
    Path dir = m.certDir().resolve("etcd");
    return List.of(dir.resolve("ca.crt"), dir.resolve("healthcheck-client.crt"), dir.resolve("healthcheck-client.key"));
  }

  /**
   * What a dry run reports when this node has no etcd client certificate yet (check mode of a whole
   * join play, before download_certs and pki wrote anything): the member would be added, and
   * {@code --initial-cluster} can only name this member, as kubeadm's own dry run renders it.
   */
  static Prepared unknownMembers(ClusterModel m) {
    String peerUrl = ComponentCatalog.etcdPeerUrl(m);
    return new Prepared(peerUrl, null, true, true, m.nodeName() + "=" + peerUrl);
  }

  /** Opens the membership client with the node's {@code etcd/healthcheck-client} certificate. */
  static EtcdClient open(ClusterModel m, Options o) {
    List<Path> f = clientFiles(m);
    return EtcdClient.open(o.endpoints(), pem(f.get(0)), pem(f.get(1)), pem(f.get(2)));
  }

  private static byte[] pem(Path p) {
    try {
      if (!Files.isRegularFile(p) || Files.size(p) > MAX_PEM) {
        throw WorkerException.conflict("manifests.etcd_client_missing", "cert_dir", p + " is missing (or not a PEM"
            + " file): a joining etcd member talks to the cluster with etcd/healthcheck-client and trusts etcd/ca.crt;"
            + " run download_certs and pki first");
      }
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw WorkerException.conflict("manifests.etcd_client_missing", "cert_dir", "cannot read " + p + ": " + e.getMessage());
    }
  }

  /** Adds the member as a learner unless present (dry run: only reads) and computes --initial-cluster. */
  static Prepared prepare(EtcdClient etcd, ClusterModel m, Options o, boolean dryRun) {
    String peerUrl = ComponentCatalog.etcdPeerUrl(m);
    List<EtcdClient.Member> members = etcd.list(o.timeout());
    Optional<EtcdClient.Member> self = members.stream().filter(x -> x.peerUrl().equals(peerUrl)).findFirst();
    boolean added = false;
    if (self.isEmpty()) {
      added = true;
      if (dryRun) {
        members = new ArrayList<>(members);
        members.add(new EtcdClient.Member("", m.nodeName(), List.of(peerUrl), List.of(), true));
      } else {
        members = etcd.addLearner(peerUrl, o.timeout());
      }
      self = members.stream().filter(x -> x.peerUrl().equals(peerUrl)).findFirst();
    }
    List<String> cluster = new ArrayList<>();
    for (EtcdClient.Member x : members) {
      String name = x.peerUrl().equals(peerUrl) ? m.nodeName() : x.name().isEmpty() ? EtcdClient.hex(x.id()) : x.name();
      cluster.add(name + "=" + x.peerUrl());
    }
    String id = self.map(EtcdClient.Member::id).filter(s -> !s.isEmpty()).orElse(null);
    return new Prepared(peerUrl, id, added, self.map(EtcdClient.Member::learner).orElse(true), String.join(",", cluster));
  }

  /**
   * Promotes the learner once it has started (kubeadm's {@code MemberPromote}); returns whether a
   * promotion was made (false: it was a voting member already). Bounded by the option's timeout
   * for the wait and again for the promotion.
   */
  static boolean promote(EtcdClient etcd, Prepared p, Options o) {
    long deadline = System.nanoTime() + o.timeout().toNanos();
    String id = p.memberId();
    while (true) {
      List<EtcdClient.Member> members = etcd.list(o.timeout());
      EtcdClient.Member me = members.stream().filter(x -> id == null ? x.peerUrl().equals(p.peerUrl()) : x.id().equals(id))
          .findFirst().orElseThrow(() -> WorkerException.conflict("manifests.etcd_member_gone",
              "the etcd member " + p.peerUrl() + " is no longer in the cluster (removed while joining?)"));
      if (!me.learner()) {
        return false;
      }
      if (me.started()) {
        try {
          etcd.promote(me.id(), Duration.ofMillis(Math.max(1000, (deadline - System.nanoTime()) / 1_000_000)));
          return true;
        } catch (WorkerException e) {
          if (e.getMessage() == null || !e.getMessage().contains("can only promote a learner member")) {
            throw e;
          }
          // promoted meanwhile (by a concurrent run): the next list says so
        }
      }
      if (System.nanoTime() >= deadline) {
        throw WorkerException.conflict("manifests.etcd_learner_not_started", "etcd learner " + EtcdClient.hex(me.id())
            + " (" + p.peerUrl() + ") did not start within " + o.timeout().toSeconds() + " s: the kubelet runs etcd.yaml"
            + " from the manifest folder; check that it is running and that the peer port is reachable from the other"
            + " members. Run again to promote it once it runs");
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw WorkerException.conflict("manifests.etcd_learner_not_started", "interrupted while waiting for the learner");
      }
    }
  }

  /**
   * After the promotion, what kubeadm's {@code WaitForClusterAvailable} waits for, made stricter: a
   * linearizable read through the existing members, which needs a quorum that now counts this member.
   */
  static void awaitQuorum(EtcdClient etcd, Options o) {
    etcd.quorumRead(o.timeout());
  }

  /** The {@code etcd_member} fact. */
  static Map<String, Object> fact(ClusterModel m, Prepared p, boolean promoted, boolean dryRun, List<URI> endpoints,
                                  boolean quorum) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("name", m.nodeName());
    r.put("peer_url", p.peerUrl());
    r.put("id", p.memberId() == null ? null : EtcdClient.hex(p.memberId()));
    r.put("action", p.added() ? "added" : "present");
    r.put("promoted", promoted || (dryRun && p.learner()));
    r.put("learner", p.learner() && !promoted && !dryRun);
    r.put("initial_cluster", p.initialCluster());
    r.put("endpoints", endpoints.stream().map(URI::toString).toList());
    r.put("quorum", quorum);
    return r;
  }
}
