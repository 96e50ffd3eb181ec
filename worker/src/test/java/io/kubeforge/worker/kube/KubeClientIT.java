package io.kubeforge.worker.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubeforge.worker.config.TestControlPlane;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * KubeClientIT drives the client against the real kube-apiserver v1.34.10, serving with a PKI and
 * kubeconfigs the worker wrote: apply create/update/unchanged, the key forms kubeadm writes, a
 * bearer token, and the failures an operator must be able to read (wrong CA, server down,
 * missing rights).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubeClientIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private Path dir;
  private KubeTestCluster cluster;

  @BeforeAll
  void start() throws Exception {
    assumeTrue(TestControlPlane.available(), "etcd/kube-apiserver not built (conformance/build.sh)");
    dir = Files.createTempDirectory("kube-client-it");
    // a second serving certificate, from another CA, that the API server presents only to a
    // client asking for SNI_NAME: reaching it proves the name went out in SNI
    Path sni = Files.createDirectories(dir.resolve("sni"));
    openssl(sni, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
        "-subj", "/CN=sni-ca", "-keyout", "ca.key", "-out", "ca.crt");
    openssl(sni, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + SNI_NAME,
        "-keyout", "server.key", "-out", "server.csr");
    Files.writeString(sni.resolve("ext.cnf"), "subjectAltName=DNS:" + SNI_NAME + "\n");
    openssl(sni, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", "ext.cnf", "-out", "server.crt");
    cluster = KubeTestCluster.start(dir, List.of(
        "--tls-sni-cert-key=" + sni.resolve("server.crt") + "," + sni.resolve("server.key")));
  }

  @AfterAll
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static final String SNI_NAME = "sni.kubeforge.test";

  private static void openssl(Path dir, String... args) {
    io.kubeforge.worker.config.Openssl.Run r = io.kubeforge.worker.config.Openssl.run(dir, args);
    assertThat(r.exit()).as(r.output()).isZero();
  }

  /** super-admin.conf with its cluster entry changed: another server URL, a tls-server-name, maybe another CA. */
  private Path withTlsServerName(String file, String server, String name, Path ca) throws Exception {
    String text = Files.readString(cluster.kubeconfig("super-admin.conf"));
    text = text.replaceAll("server: \\S+", "server: " + server + "\n    tls-server-name: " + name);
    if (ca != null) {
      String data = java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(ca));
      text = text.replaceAll("certificate-authority-data: \\S+", "certificate-authority-data: " + data);
    }
    Path out = dir.resolve(file);
    Files.writeString(out, text);
    return out;
  }

  @Test
  void aTlsServerNameIsSentInSniAndTheCertificateIsCheckedAgainstIt() throws Exception {
    int port = java.net.URI.create(cluster.cp.apiUrl()).getPort();
    // the API server answers SNI_NAME with the certificate of the other CA; without SNI it would
    // present its default one, which that CA did not sign
    Path viaSni = withTlsServerName("sni.conf", "https://127.0.0.1:" + port, SNI_NAME, dir.resolve("sni/ca.crt"));
    try (KubeClient kube = KubeClient.fromKubeconfig(viaSni, TIMEOUT)) {
      assertThat(kube.whoAmI().get("username").asText()).isEqualTo("kubernetes-super-admin");
    }
    // localhost is not among the default certificate's names, "kubernetes" is: kubectl connects to
    // localhost and verifies "kubernetes"
    Path viaName = withTlsServerName("name.conf", "https://localhost:" + port, "kubernetes", null);
    try (KubeClient kube = KubeClient.fromKubeconfig(viaName, TIMEOUT)) {
      assertThat(kube.whoAmI().get("username").asText()).isEqualTo("kubernetes-super-admin");
    }
  }

  @Test
  void aFieldManagerConflictFailsAtOnceWhereAConcurrentWritesConflictWouldBeRetried() {
    ObjectNode cm = JSON.createObjectNode().put("apiVersion", "v1").put("kind", "ConfigMap");
    cm.putObject("metadata").put("name", "kf-owned-elsewhere").put("namespace", "default");
    cm.putObject("data").put("a", "1");
    try (KubeClient kube = KubeClient.fromKubeconfig(cluster.kubeconfig("super-admin.conf"), TIMEOUT)) {
      kube.create(cm, false);  // an Update by another manager than apply's
      ((ObjectNode) cm.get("data")).put("a", "2");
      long start = System.nanoTime();
      assertThatThrownBy(() -> kube.apply(cm, false, false)).isInstanceOfSatisfying(KubeException.class, e -> {
        assertThat(e.code()).isEqualTo("kube.conflict");
        assertThat(e.getMessage()).contains(".data.a");
      });
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  void aTlsServerNameTheCertificateDoesNotCarryIsATlsErrorNamingIt() throws Exception {
    int port = java.net.URI.create(cluster.cp.apiUrl()).getPort();
    Path kubeconfig = withTlsServerName("wrong-name.conf", "https://127.0.0.1:" + port, "wrong.kubeforge.test", null);
    try (KubeClient kube = KubeClient.fromKubeconfig(kubeconfig, TIMEOUT)) {
      assertThatThrownBy(kube::whoAmI).isInstanceOfSatisfying(KubeException.class, e -> {
        assertThat(e.code()).isEqualTo("kube.tls");
        assertThat(e.getMessage()).contains("does not name wrong.kubeforge.test (tls-server-name in " + kubeconfig + ")");
      });
    }
  }

  @Test
  void clientsOfOneKubeconfigShareOneHttpClientUntilTheFilesContentChanges() throws Exception {
    Path kubeconfig = dir.resolve("cached/admin.conf");
    Files.createDirectories(kubeconfig.getParent());
    Files.copy(cluster.kubeconfig("super-admin.conf"), kubeconfig);
    KubeClient first = KubeClient.fromKubeconfig(kubeconfig, TIMEOUT);
    try (KubeClient second = KubeClient.fromKubeconfig(kubeconfig, TIMEOUT)) {
      assertThat(second.sharesHttpClientWith(first)).isTrue();
      first.close();
      // the first lease ended: the shared client still serves the second
      assertThat(second.whoAmI().get("username").asText()).isEqualTo("kubernetes-super-admin");
    }
    Files.copy(cluster.kubeconfig("admin.conf"), kubeconfig, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    try (KubeClient changed = KubeClient.fromKubeconfig(kubeconfig, TIMEOUT)) {
      assertThat(changed.sharesHttpClientWith(first)).isFalse();
      assertThat(changed.whoAmI().get("username").asText()).isEqualTo("kubernetes-admin");
    }
  }

  private KubeClient superAdmin() {
    return KubeClient.fromKubeconfig(cluster.kubeconfig("super-admin.conf"), TIMEOUT);
  }

  private static ObjectNode configMap(String name, Map<String, String> data) {
    ObjectNode cm = JSON.createObjectNode().put("apiVersion", "v1").put("kind", "ConfigMap");
    cm.putObject("metadata").put("name", name).put("namespace", "default");
    data.forEach(cm.putObject("data")::put);
    return cm;
  }

  @Test
  void applyCreatesThenLeavesUnchangedWithoutAWriteThenUpdates() {
    try (KubeClient kube = superAdmin()) {
      Applied created = kube.apply(configMap("apply-cycle", Map.of("a", "1")), false, false);
      assertThat(created.action()).isEqualTo(Action.CREATED);
      String rv = created.object().at("/metadata/resourceVersion").asText();

      Applied again = kube.apply(configMap("apply-cycle", Map.of("a", "1")), false, false);
      assertThat(again.action()).isEqualTo(Action.UNCHANGED);
      assertThat(again.object().at("/metadata/resourceVersion").asText()).as("no write").isEqualTo(rv);

      Applied dryChange = kube.apply(configMap("apply-cycle", Map.of("a", "2")), false, true);
      assertThat(dryChange.action()).isEqualTo(Action.UPDATED);
      assertThat(dryChange.object().at("/data/a").asText()).isEqualTo("2");
      Applied drySame = kube.apply(configMap("apply-cycle", Map.of("a", "1")), false, true);
      assertThat(drySame.action()).isEqualTo(Action.UNCHANGED);
      assertThat(kube.get("v1", "ConfigMap", "default", "apply-cycle").orElseThrow()
          .at("/metadata/resourceVersion").asText()).as("dry runs wrote nothing").isEqualTo(rv);

      Applied updated = kube.apply(configMap("apply-cycle", Map.of("a", "2")), false, false);
      assertThat(updated.action()).isEqualTo(Action.UPDATED);
      assertThat(updated.before().at("/data/a").asText()).isEqualTo("1");
      assertThat(updated.object().at("/data/a").asText()).isEqualTo("2");
      assertThat(updated.fact()).containsEntry("action", "updated").containsEntry("namespace", "default");
    }
  }

  @Test
  void aDryRunCreateCreatesNothing() {
    try (KubeClient kube = superAdmin()) {
      assertThat(kube.apply(configMap("dry-only", Map.of("a", "1")), false, true).action()).isEqualTo(Action.CREATED);
      assertThat(kube.get("v1", "ConfigMap", "default", "dry-only")).isEmpty();
    }
  }

  @Test
  void getListAndDelete() {
    try (KubeClient kube = superAdmin()) {
      ObjectNode cm = configMap("listed", Map.of("x", "y"));
      ((ObjectNode) cm.get("metadata")).putObject("labels").put("kubeforge-it", "list");
      kube.apply(cm, false, false);
      List<ObjectNode> listed = kube.list("v1", "ConfigMap", "default", "kubeforge-it=list");
      assertThat(listed).hasSize(1);
      assertThat(listed.get(0).get("kind").asText()).isEqualTo("ConfigMap");
      assertThat(kube.list("v1", "Namespace", null, null)).extracting(n -> n.at("/metadata/name").asText())
          .contains("default", "kube-system", "kube-public");
      assertThat(kube.delete("v1", "ConfigMap", "default", "listed", true)).isTrue();
      assertThat(kube.get("v1", "ConfigMap", "default", "listed")).isPresent();
      assertThat(kube.delete("v1", "ConfigMap", "default", "listed", false)).isTrue();
      assertThat(kube.get("v1", "ConfigMap", "default", "listed")).isEmpty();
      assertThat(kube.delete("v1", "ConfigMap", "default", "listed", false)).isFalse();
    }
  }

  @Test
  void rsaEcdsaAndPkcs8ClientKeysAuthenticate() throws Exception {
    Map<Path, String> expected = Map.of(
        cluster.kubeconfig("super-admin.conf"), "kubernetes-super-admin",
        dir.resolve("etc-ec/super-admin.conf"), "kubernetes-super-admin",
        cluster.pkcs8Copy("super-admin.conf"), "kubernetes-super-admin",
        dir.resolve("etc-ec/controller-manager.conf"), "system:kube-controller-manager");
    assertThat(Files.readString(dir.resolve("etc-ec/super-admin.conf"))).doesNotContain("RSA");
    for (Map.Entry<Path, String> e : expected.entrySet()) {
      try (KubeClient kube = KubeClient.fromKubeconfig(e.getKey(), TIMEOUT)) {
        assertThat(kube.whoAmI().get("username").asText()).as(e.getKey().toString()).isEqualTo(e.getValue());
      }
    }
  }

  @Test
  void aBearerTokenAuthenticates() throws Exception {
    try (KubeClient kube = KubeClient.fromKubeconfig(cluster.tokenKubeconfig(TestControlPlane.TOKEN, "token.conf"), TIMEOUT)) {
      assertThat(kube.whoAmI().get("username").asText()).isEqualTo("it-admin");
    }
  }

  @Test
  void aWrongCaIsATlsErrorNamingTheKubeconfig() throws Exception {
    Path kubeconfig = dir.resolve("wrong-ca.conf");
    String otherCa = java.util.Base64.getEncoder().encodeToString(
        io.kubeforge.worker.config.Fixtures.bytes("config/other-pki/ca.crt"));
    String text = Files.readString(cluster.kubeconfig("super-admin.conf"));
    Files.writeString(kubeconfig, text.replaceAll("certificate-authority-data: \\S+", "certificate-authority-data: " + otherCa));
    try (KubeClient kube = KubeClient.fromKubeconfig(kubeconfig, TIMEOUT)) {
      long start = System.nanoTime();
      assertThatThrownBy(kube::whoAmI).isInstanceOfSatisfying(KubeException.class, e -> {
        assertThat(e.code()).isEqualTo("kube.tls");
        assertThat(e.status()).isEqualTo(502);
        assertThat(e.getMessage()).contains("not signed by the CA in " + kubeconfig);
      });
      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no retries").isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  void aServerThatIsDownIsAClearErrorWithinTheTimeout() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path kubeconfig = dir.resolve("down.conf");
    Files.writeString(kubeconfig, Files.readString(cluster.kubeconfig("super-admin.conf"))
        .replaceAll("server: \\S+", "server: https://127.0.0.1:" + port));
    try (KubeClient kube = KubeClient.fromKubeconfig(kubeconfig, Duration.ofSeconds(2))) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> kube.get("v1", "Namespace", null, "default"))
          .isInstanceOfSatisfying(KubeException.class, e -> {
            assertThat(e.status()).isEqualTo(504);
            assertThat(e.code()).isEqualTo("kube.unreachable");
            assertThat(e.getMessage()).contains("https://127.0.0.1:" + port).contains("attempts")
                .containsIgnoringCase("refused");
          });
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(1500), Duration.ofMillis(3000));
    }
  }

  @Test
  void aUserWithoutRightsGetsA403NamingUserVerbAndResource() {
    try (KubeClient kube = KubeClient.fromKubeconfig(cluster.kubeconfig("admin.conf"), TIMEOUT)) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> kube.list("v1", "Secret", null, null))
          .isInstanceOfSatisfying(KubeException.class, e -> {
            assertThat(e.status()).isEqualTo(403);
            assertThat(e.code()).isEqualTo("kube.forbidden");
            assertThat(e.reason()).isEqualTo("Forbidden");
            assertThat(e.getMessage()).contains("kubernetes-admin").contains("list").contains("secrets");
          });
      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no retries").isLessThan(Duration.ofSeconds(2));
    }
  }

  @Test
  void aFailureMidwayNamesWhatWasAppliedBeforeIt() {
    ObjectNode ok = configMap("midway-ok", Map.of("a", "1"));
    ObjectNode bad = configMap("midway-bad", Map.of("a", "1"));
    ((ObjectNode) bad.get("metadata")).put("namespace", "no-such-namespace");
    try (KubeClient kube = superAdmin()) {
      assertThatThrownBy(() -> kube.applyAll(List.of(ok, bad), false, false))
          .isInstanceOfSatisfying(KubeException.class, e -> {
            assertThat(e.getMessage()).contains("applying ConfigMap no-such-namespace/midway-bad")
                .contains("applied before the failure: ConfigMap default/midway-ok (created)");
            assertThat(e.applied()).extracting(Applied::name).containsExactly("midway-ok");
            assertThat(e.status()).isEqualTo(404);
          });
    }
  }
}
