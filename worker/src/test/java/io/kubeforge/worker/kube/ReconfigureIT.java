package io.kubeforge.worker.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubeforge.worker.api.Capabilities;
import io.kubeforge.worker.api.Capability;
import io.kubeforge.worker.config.Openssl;
import io.kubeforge.worker.config.TestControlPlane;
import io.kubeforge.worker.support.PhaseResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * POST /v1/reconfigure on a real kube-apiserver: a SAN added after init and a moved
 * control-plane endpoint each take one call that reissues only the certificates whose names
 * change, updates kubeadm-config and cluster-info, rewrites only the kubeconfigs' server lines,
 * and a second call changes nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReconfigureIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final String NEW_SAN = "kf-added.example";
  private Path dir;
  private KubeTestCluster cluster;
  private int port;
  private final Map<String, Capability> calls = Capabilities.all();

  @BeforeAll
  void start() throws Exception {
    assumeTrue(TestControlPlane.available(), "etcd/kube-apiserver not built (conformance/build.sh)");
    dir = Files.createTempDirectory("reconfigure-it");
    cluster = KubeTestCluster.start(dir, List.of());
    port = java.net.URI.create(cluster.cp.apiUrl()).getPort();
  }

  @AfterAll
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private Map<String, Object> body(String endpoint, List<String> sans, Object... kv) {
    Map<String, Object> body = new HashMap<>();
    body.put("cert_dir", dir.resolve("pki").toString());
    body.put("kubeconfig_dir", dir.resolve("etc").toString());
    body.put("node_name", "cp-1");
    body.put("advertise_address", "127.0.0.1");
    body.put("bind_port", port);
    body.put("control_plane_endpoint", endpoint);
    body.put("apiserver_cert_sans", sans);
    body.put("sign_cluster_info", "never");
    for (int i = 0; i < kv.length; i += 2) {
      body.put((String) kv[i], kv[i + 1]);
    }
    return body;
  }

  private PhaseResult reconfigure(String endpoint, List<String> sans, boolean dryRun) {
    return calls.get("reconfigure").run(body(endpoint, sans), dryRun);
  }

  /** name → action of a step's list ({@code certificates}, {@code objects}, {@code kubeconfigs}) without the unchanged ones. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> changedItems(PhaseResult r, String step, String list) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map<String, Object> item : (List<Map<String, Object>>) ((Map<String, Object>) r.result().get(step)).get(list)) {
      Object action = item.get("action");
      if (!List.of("kept", "unchanged").contains(action)) {
        out.put((String) item.get("name"), action);
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> changedItems(PhaseResult r, String list) {
    return changedItems(new PhaseResult(r.changed(), r.warnings(), Map.of("step", r.result()), null), "step", list);
  }

  private Map<String, byte[]> files(String sub) throws Exception {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (Stream<Path> s = Files.list(dir.resolve(sub))) {
      for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
        out.put(p.getFileName().toString(), Files.readAllBytes(p));
      }
    }
    return out;
  }

  private ObjectNode configMap(String ns, String name) {
    try (KubeClient admin = KubeClient.fromKubeconfig(cluster.kubeconfig("admin.conf"), TIMEOUT)) {
      return admin.get("v1", "ConfigMap", ns, name).orElseThrow();
    }
  }

  @Test
  @Order(0)
  void initOnAClusterWhoseClusterAdminsBindingKubeadmCreatedSharesTheBindingInsteadOfAConflict() {
    try (KubeClient superAdmin = KubeClient.fromKubeconfig(cluster.kubeconfig("super-admin.conf"), TIMEOUT)) {
      ObjectNode asKubeadm = ClusterAdmins.binding();
      ((ObjectNode) asKubeadm.get("subjects").get(0)).remove("apiGroup");  // kubeadm's POST leaves it to the server
      superAdmin.create(asKubeadm, false);
    }
    PhaseResult init = calls.get("cluster-bootstrap").run(body("127.0.0.1:" + port, List.of(),
        "skip_phases", List.of("mark-control-plane", "addon/all")), false);
    assertThat(init.changed()).isTrue();
    assertThat(changedItems(init, "objects")).containsKey("kubeadm-config");
    try (KubeClient admin = KubeClient.fromKubeconfig(cluster.kubeconfig("admin.conf"), TIMEOUT)) {
      ObjectNode crb = admin.get("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", null, "kubeadm:cluster-admins")
          .orElseThrow();
      assertThat(crb.get("subjects").toString())
          .isEqualTo("[{\"kind\":\"Group\",\"apiGroup\":\"rbac.authorization.k8s.io\",\"name\":\"kubeadm:cluster-admins\"}]");
    }
  }

  @Test
  @Order(1)
  void aSanAddedAfterInitReissuesOnlyTheServingCertificateAndUploadsTheConfigInOneCall() throws Exception {
    String endpoint = "127.0.0.1:" + port;
    byte[] serving = Files.readAllBytes(dir.resolve("pki/apiserver.crt"));
    byte[] key = Files.readAllBytes(dir.resolve("pki/apiserver.key"));
    Map<String, byte[]> kubeconfigs = files("etc");
    String configVersion = configMap("kube-system", "kubeadm-config").at("/metadata/resourceVersion").asText();

    PhaseResult dry = reconfigure(endpoint, List.of(NEW_SAN), true);
    assertThat(dry.changed()).isTrue();
    assertThat(dry.result().get("changed_steps")).isEqualTo(List.of("pki", "cluster"));
    assertThat(Files.readAllBytes(dir.resolve("pki/apiserver.crt"))).isEqualTo(serving);
    assertThat(configMap("kube-system", "kubeadm-config").at("/metadata/resourceVersion").asText()).isEqualTo(configVersion);

    PhaseResult r = reconfigure(endpoint, List.of(NEW_SAN), false);
    assertThat(r.result().get("changed_steps")).isEqualTo(List.of("pki", "cluster"));
    assertThat(changedItems(r, "pki", "certificates")).isEqualTo(Map.of("apiserver", "reissued"));
    assertThat(changedItems(r, "cluster", "objects")).isEqualTo(Map.of("kubeadm-config", "updated"));
    assertThat(Files.readAllBytes(dir.resolve("pki/apiserver.key"))).isEqualTo(key);
    assertThat(Openssl.run(dir, "x509", "-in", "pki/apiserver.crt", "-noout", "-ext", "subjectAltName").output())
        .contains("DNS:" + NEW_SAN);
    assertThat(configMap("kube-system", "kubeadm-config").at("/data/ClusterConfiguration").asText()).contains(NEW_SAN);
    assertThat(files("etc")).usingRecursiveComparison().isEqualTo(kubeconfigs);

    PhaseResult again = reconfigure(endpoint, List.of(NEW_SAN), false);
    assertThat(again.changed()).isFalse();
    assertThat(again.result().get("changed_steps")).isEqualTo(List.of());
  }

  @Test
  @Order(2)
  void aMovedEndpointIsPublishedInClusterInfoAndOnlyTheKubeconfigsServerLinesChange() throws Exception {
    String moved = "localhost:" + port;
    Map<String, byte[]> before = files("etc");
    String oldServer = "https://127.0.0.1:" + port;

    PhaseResult r = reconfigure(moved, List.of(NEW_SAN), false);
    assertThat(r.result().get("changed_steps")).isEqualTo(List.of("pki", "cluster", "kubeconfigs"));
    assertThat(changedItems(r, "pki", "certificates")).containsOnlyKeys("apiserver");
    assertThat(changedItems(r, "cluster", "objects")).isEqualTo(Map.of("kubeadm-config", "updated", "cluster-info", "updated"));
    assertThat(configMap("kube-public", "cluster-info").at("/data/kubeconfig").asText())
        .contains("server: https://localhost:" + port);
    Map<String, byte[]> after = files("etc");
    assertThat(changedItems(r, "kubeconfigs", "kubeconfigs")).containsKeys("admin.conf", "super-admin.conf")
        .doesNotContainKeys("controller-manager.conf", "scheduler.conf");  // kubeadm: the local endpoint
    for (String name : before.keySet()) {  // after also holds the backups of the rewritten ones
      String rewritten = new String(before.get(name)).replace(oldServer, "https://localhost:" + port);
      assertThat(new String(after.get(name))).as(name + ": at most its server line moved")
          .isIn(new String(before.get(name)), rewritten);
    }
    try (KubeClient admin = KubeClient.fromKubeconfig(cluster.kubeconfig("admin.conf"), TIMEOUT)) {
      assertThat(admin.kubeconfig().server().toString()).isEqualTo("https://localhost:" + port);
      assertThat(admin.get("v1", "ConfigMap", "kube-public", "cluster-info")).isPresent();
    }

    PhaseResult again = reconfigure(moved, List.of(NEW_SAN), false);
    assertThat(again.changed()).isFalse();
  }
}
