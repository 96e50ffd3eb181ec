package io.kubeforge.worker.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubeforge.worker.api.Capabilities;
import io.kubeforge.worker.api.Capability;
import io.kubeforge.worker.config.TestControlPlane;
import io.kubeforge.worker.support.AesGcm;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.WorkerException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * ClusterCallsIT runs the worker calls {@code bootstrap-token} and {@code upload-certs} (through
 * the capability catalog, as the HTTP layer does) against a fresh real kube-apiserver whose
 * admin.conf has no rights yet, and checks what kubeadm's phases would leave behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterCallsIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private Path dir;
  private KubeTestCluster cluster;
  private final Map<String, Capability> calls = Capabilities.all();

  @BeforeAll
  void start() throws Exception {
    assumeTrue(TestControlPlane.available(), "etcd/kube-apiserver not built (conformance/build.sh)");
    dir = Files.createTempDirectory("cluster-calls-it");
    cluster = KubeTestCluster.start(dir, List.of("--enable-bootstrap-token-auth"));
  }

  @AfterAll
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private PhaseResult call(String name, boolean dryRun, Object... kv) {
    Map<String, Object> body = new HashMap<>();
    body.put("kubeconfig_dir", dir.resolve("etc").toString());
    for (int i = 0; i < kv.length; i += 2) {
      body.put((String) kv[i], kv[i + 1]);
    }
    return calls.get(name).run(body, dryRun);
  }

  private KubeClient admin() {
    return KubeClient.fromKubeconfig(cluster.kubeconfig("admin.conf"), TIMEOUT);
  }

  @Test
  @Order(1)
  void theFirstCallBindsClusterAdminsWithSuperAdminSoAdminConfCanListSecretsEverywhere() {
    try (KubeClient admin = admin()) {
      assertThatThrownBy(() -> admin.list("v1", "Secret", null, null)).isInstanceOf(KubeException.class);
    }
    PhaseResult check = call("bootstrap-token", true, "state", "list");
    assertThat(check.result().get("cluster_admins")).asString().contains("action=created").contains("via=super-admin.conf");
    PhaseResult r = call("bootstrap-token", false, "state", "list");
    assertThat(r.changed()).isTrue();
    assertThat(r.result().get("cluster_admins")).asString().contains("action=created").contains("via=super-admin.conf");
    try (KubeClient admin = admin()) {
      assertThat(admin.list("v1", "Secret", null, null)).isNotNull();
    }
    PhaseResult again = call("bootstrap-token", false, "state", "list");
    assertThat(again.changed()).isFalse();
    assertThat(again.result().get("cluster_admins")).asString().contains("action=unchanged").contains("via=admin.conf");
  }

  @Test
  @Order(2)
  void aTokenIsCreatedAsKubeadmDoesAuthenticatesAndASecondRunWritesNothing() throws Exception {
    PhaseResult dry = call("bootstrap-token", true, "token", "abcdef.0123456789abcdef");
    assertThat(dry.changed()).isTrue();
    try (KubeClient admin = admin()) {
      assertThat(admin.get("v1", "Secret", "kube-system", "bootstrap-token-abcdef")).isEmpty();
    }
    PhaseResult r = call("bootstrap-token", false, "token", "abcdef.0123456789abcdef", "description", "it",
        "certificate_key", "00".repeat(32));
    assertThat(r.changed()).isTrue();
    assertThat(r.result()).containsEntry("token_id", "abcdef").containsEntry("token", "abcdef.0123456789abcdef");
    assertThat((String) r.result().get("ca_cert_hash")).startsWith("sha256:").hasSize(71);
    assertThat((String) r.result().get("join_command")).isEqualTo("kubeadm join " + cluster.cp.apiUrl().substring(8)
        + " --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash " + r.result().get("ca_cert_hash"));
    assertThat((String) r.result().get("join_command_control_plane")).endsWith(" --control-plane --certificate-key " + "00".repeat(32));
    assertThat(r.diff().toString()).doesNotContain("0123456789abcdef").contains("<hidden>");
    String rv;
    try (KubeClient admin = admin()) {
      ObjectNode s = admin.get("v1", "Secret", "kube-system", "bootstrap-token-abcdef").orElseThrow();
      assertThat(s.get("type").asText()).isEqualTo("bootstrap.kubernetes.io/token");
      assertThat(s.get("data").fieldNames()).toIterable().containsExactlyInAnyOrder("token-id", "token-secret",
          "description", "expiration", "usage-bootstrap-signing", "usage-bootstrap-authentication", "auth-extra-groups");
      rv = s.at("/metadata/resourceVersion").asText();
    }
    PhaseResult again = call("bootstrap-token", false, "token", "abcdef.0123456789abcdef", "description", "it");
    assertThat(again.changed()).isFalse();
    assertThat(again.result().get("expires")).isEqualTo(r.result().get("expires"));
    try (KubeClient admin = admin()) {
      assertThat(admin.get("v1", "Secret", "kube-system", "bootstrap-token-abcdef").orElseThrow()
          .at("/metadata/resourceVersion").asText()).isEqualTo(rv);
    }
    try (KubeClient asToken = KubeClient.fromKubeconfig(cluster.tokenKubeconfig("abcdef.0123456789abcdef", "bt.conf"), TIMEOUT)) {
      ObjectNode who = asToken.whoAmI();
      assertThat(who.get("username").asText()).isEqualTo("system:bootstrap:abcdef");
      assertThat(who.get("groups").toString()).contains("system:bootstrappers", BootstrapToken.DEFAULT_GROUP);
    }
  }

  @Test
  @Order(3)
  void withoutATokenOneIsGeneratedOnceAndReused() {
    PhaseResult first = call("bootstrap-token", false, "description", "generated", "ttl", "0");
    assertThat(first.changed()).isTrue();
    assertThat((String) first.result().get("token")).matches("[a-z0-9]{6}\\.[a-z0-9]{16}");
    assertThat(first.result().get("expires")).isNull();
    PhaseResult second = call("bootstrap-token", false, "description", "generated", "ttl", "0");
    assertThat(second.changed()).isFalse();
    assertThat(second.result().get("token")).isEqualTo(first.result().get("token"));
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> tokens = (List<Map<String, Object>>) call("bootstrap-token", false, "state", "list")
        .result().get("tokens");
    assertThat(tokens).extracting(t -> t.get("token_id")).contains("abcdef", first.result().get("token_id"));
    assertThat(tokens.toString()).doesNotContain(((String) first.result().get("token")).substring(7));
    PhaseResult gone = call("bootstrap-token", false, "state", "absent", "token_id", first.result().get("token_id"));
    assertThat(gone.changed()).isTrue();
    assertThat(call("bootstrap-token", false, "state", "absent", "token_id", first.result().get("token_id")).changed()).isFalse();
  }

  @Test
  @Order(4)
  void badInputNamesTheFieldAndCreatesNothing() {
    Map<String, Object[]> cases = Map.of(
        "token", new Object[] {"token", "ABCDEF.0123456789abcdef"},
        "ttl", new Object[] {"ttl", "-1h"},
        "usages[0]", new Object[] {"usages", List.of("signin")},
        "groups[0]", new Object[] {"groups", List.of("system:masters")});
    int before;
    try (KubeClient admin = admin()) {
      before = admin.list("v1", "Secret", "kube-system", null).size();
    }
    cases.forEach((field, kv) -> assertThatThrownBy(() -> call("bootstrap-token", false, kv))
        .isInstanceOfSatisfying(WorkerException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.field()).isEqualTo(field);
        }));
    try (KubeClient admin = admin()) {
      assertThat(admin.list("v1", "Secret", "kube-system", null)).hasSize(before);
    }
  }

  @Test
  @Order(5)
  void uploadCertsSealsTheCaFilesUnderTheKeyOwnedByAShortLivedToken() throws Exception {
    String key = HexFormat.of().formatHex(new byte[32]).replace('0', '7');
    PhaseResult r = call("upload-certs", false, "cert_dir", dir.resolve("pki").toString(), "certificate_key", key);
    assertThat(r.changed()).isTrue();
    assertThat(r.result()).containsEntry("certificate_key", key);
    try (KubeClient admin = admin()) {
      ObjectNode s = admin.get("v1", "Secret", "kube-system", "kubeadm-certs").orElseThrow();
      assertThat(s.get("type").asText()).isEqualTo("Opaque");
      Map<String, String> files = Map.of("ca.crt", "ca.crt", "ca.key", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.crt",
          "front-proxy-ca.key", "front-proxy-ca.key", "sa.pub", "sa.pub", "sa.key", "sa.key",
          "etcd-ca.crt", "etcd/ca.crt", "etcd-ca.key", "etcd/ca.key");
      assertThat(s.get("data").fieldNames()).toIterable().containsExactlyInAnyOrderElementsOf(files.keySet());
      for (var e : files.entrySet()) {
        byte[] sealed = Base64.getDecoder().decode(s.at("/data/" + e.getKey()).asText());
        assertThat(AesGcm.open(sealed, HexFormat.of().parseHex(key))).as(e.getKey())
            .isEqualTo(Files.readAllBytes(dir.resolve("pki").resolve(e.getValue())));
      }
      ObjectNode ref = (ObjectNode) s.at("/metadata/ownerReferences/0");
      ObjectNode owner = admin.get("v1", "Secret", "kube-system", ref.get("name").asText()).orElseThrow();
      assertThat(ref.get("uid").asText()).isEqualTo(owner.at("/metadata/uid").asText());
      assertThat(ref.get("controller").asBoolean()).isTrue();
      assertThat(ref.get("blockOwnerDeletion").asBoolean()).isTrue();
      BootstrapToken t = BootstrapToken.fromSecret(owner).orElseThrow();
      assertThat(t.description()).isEqualTo("Proxy for managing TTL for the kubeadm-certs secret");
      assertThat(t.usages()).isEmpty();
      assertThat(t.groups()).isEmpty();
      assertThat(admin.get("rbac.authorization.k8s.io/v1", "RoleBinding", "kube-system", "kubeadm:kubeadm-certs")).isPresent();
    }
    PhaseResult again = call("upload-certs", false, "cert_dir", dir.resolve("pki").toString(), "certificate_key", key);
    assertThat(again.changed()).isFalse();
    assertThat(again.result().get("owner_token_id")).isEqualTo(r.result().get("owner_token_id"));
    assertThatThrownBy(() -> call("upload-certs", false, "cert_dir", dir.resolve("pki").toString(), "certificate_key", "00".repeat(16)))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.field()).isEqualTo("certificate_key"))
        .hasMessageContaining("32 bytes");
  }

  @Test
  @Order(6)
  void downloadCertsWritesWhatUploadCertsSealedAndAWrongKeyWritesNothing() throws Exception {
    String key = HexFormat.of().formatHex(new byte[32]).replace('0', '7');
    Path node = dir.resolve("joined-pki");
    assertThatThrownBy(() -> call("download-certs", false, "cert_dir", node.toString(), "certificate_key", "ab".repeat(32)))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.code()).isEqualTo("download_certs.wrong_key"))
        .hasMessageContaining("Nothing was written");
    assertThat(node).doesNotExist();
    PhaseResult dry = call("download-certs", true, "cert_dir", node.toString(), "certificate_key", key);
    assertThat(dry.changed()).isTrue();
    assertThat(node).doesNotExist();
    PhaseResult r = call("download-certs", false, "cert_dir", node.toString(), "certificate_key", key);
    assertThat(r.changed()).isTrue();
    for (String f : List.of("ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.pub", "sa.key",
        "etcd/ca.crt", "etcd/ca.key")) {
      assertThat(Files.readAllBytes(node.resolve(f))).as(f).isEqualTo(Files.readAllBytes(dir.resolve("pki").resolve(f)));
      assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(node.resolve(f))))
          .as(f).isEqualTo(f.endsWith(".key") ? "rw-------" : "rw-r--r--");
    }
    assertThat(call("download-certs", false, "cert_dir", node.toString(), "certificate_key", key).changed()).isFalse();
    Files.writeString(node.resolve("sa.pub"), "changed\n");
    PhaseResult healed = call("download-certs", false, "cert_dir", node.toString(), "certificate_key", key);
    assertThat(healed.changed()).isTrue();
    assertThat((List<?>) healed.result().get("backups")).singleElement().asString().contains("sa.pub");
    try (KubeClient admin = admin()) {
      ObjectNode s = admin.get("v1", "Secret", "kube-system", "kubeadm-certs").orElseThrow();
      String owner = s.at("/metadata/ownerReferences/0/name").asText();
      admin.delete("v1", "Secret", "kube-system", owner, false);
    }
    assertThatThrownBy(() -> call("download-certs", false, "cert_dir", dir.resolve("other").toString(), "certificate_key", key))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.code()).isEqualTo("download_certs.expired"));
    call("upload-certs", false, "cert_dir", dir.resolve("pki").toString(), "certificate_key", key);
  }

  @Test
  @Order(7)
  void clusterInfoIsSignedForEverySigningTokenAndKeptByALaterApplyOfItsKubeconfig() {
    try (KubeClient admin = admin()) {
      ObjectNode cm = new ObjectMapper().createObjectNode().put("apiVersion", "v1").put("kind", "ConfigMap");
      cm.putObject("metadata").put("name", "cluster-info").put("namespace", "kube-public");
      cm.putObject("data").put("kubeconfig", "apiVersion: v1\nkind: Config\n");
      admin.apply(cm, true, false);
      List<ClusterInfoSigner.Signature> never = ClusterInfoSigner.ensure(admin, ClusterInfoSigner.Mode.NEVER, Duration.ZERO, false);
      assertThat(never).extracting(ClusterInfoSigner.Signature::signedBy).containsOnly("none");
      long start = System.nanoTime();
      List<ClusterInfoSigner.Signature> auto = ClusterInfoSigner.ensure(admin, ClusterInfoSigner.Mode.AUTO, Duration.ofSeconds(1), false);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
      assertThat(auto).extracting(ClusterInfoSigner.Signature::tokenId).contains("abcdef");
      assertThat(auto).extracting(ClusterInfoSigner.Signature::signedBy).containsOnly("kubeforge");
      admin.apply(cm, true, false);
      ObjectNode signed = admin.get("v1", "ConfigMap", "kube-public", "cluster-info").orElseThrow();
      assertThat(ClusterInfoJws.verify("apiVersion: v1\nkind: Config\n", signed.at("/data/jws-kubeconfig-abcdef").asText(),
          "abcdef", "0123456789abcdef")).isTrue();
      assertThat(ClusterInfoSigner.ensure(admin, ClusterInfoSigner.Mode.AUTO, Duration.ofSeconds(5), false))
          .extracting(ClusterInfoSigner.Signature::signedBy).containsOnly("signer");
    }
  }

  private static final String TOKENS_CONFIG = """
      apiVersion: kubeadm.k8s.io/v1beta4
      kind: InitConfiguration
      bootstrapTokens:
      - token: ghijkl.0123456789abcdef
        description: from config
        ttl: 2h
        groups: [system:bootstrappers:extra]
      - token: mnopqr.0123456789abcdef
      """;

  private Map<String, String> secretData(KubeClient admin, String id) {
    Map<String, String> out = new java.util.TreeMap<>();
    admin.get("v1", "Secret", "kube-system", "bootstrap-token-" + id).orElseThrow().get("data").fields()
        .forEachRemaining(e -> out.put(e.getKey(), new String(Base64.getDecoder().decode(e.getValue().asText()))));
    return out;
  }

  @Test
  @Order(8)
  void theKubeadmConfigsBootstrapTokensAreEachCreatedAsKubeadmDefaultsThemAndExplicitOptionsWin() {
    PhaseResult r = call("bootstrap-token", false, "kubeadm_config", TOKENS_CONFIG);
    assertThat(r.changed()).isTrue();
    assertThat(r.result()).containsEntry("token", "ghijkl.0123456789abcdef");
    assertThat((String) r.result().get("join_command")).contains("--token ghijkl.0123456789abcdef");
    assertThat(r.result().get("tokens")).asList().extracting(t -> (Object) ((Map<?, ?>) t).get("token_id"))
        .containsExactly("ghijkl", "mnopqr");
    String rv1;
    String rv2;
    try (KubeClient admin = admin()) {
      Map<String, String> first = secretData(admin, "ghijkl");
      assertThat(first).containsEntry("description", "from config")
          .containsEntry("auth-extra-groups", "system:bootstrappers:extra")
          .containsEntry("usage-bootstrap-signing", "true").containsEntry("usage-bootstrap-authentication", "true");
      assertThat(java.time.Duration.between(java.time.Instant.now(), java.time.Instant.parse(first.get("expiration"))))
          .isBetween(Duration.ofMinutes(119), Duration.ofHours(2));
      Map<String, String> second = secretData(admin, "mnopqr");
      assertThat(second).doesNotContainKey("description")
          .containsEntry("auth-extra-groups", BootstrapToken.DEFAULT_GROUP)
          .containsEntry("usage-bootstrap-signing", "true").containsEntry("usage-bootstrap-authentication", "true");
      assertThat(java.time.Duration.between(java.time.Instant.now(), java.time.Instant.parse(second.get("expiration"))))
          .isBetween(Duration.ofMinutes(1439), Duration.ofHours(24));
      rv1 = admin.get("v1", "Secret", "kube-system", "bootstrap-token-ghijkl").orElseThrow()
          .at("/metadata/resourceVersion").asText();
      rv2 = admin.get("v1", "Secret", "kube-system", "bootstrap-token-mnopqr").orElseThrow()
          .at("/metadata/resourceVersion").asText();
    }
    assertThat(call("bootstrap-token", false, "kubeadm_config", TOKENS_CONFIG).changed()).isFalse();
    PhaseResult overridden = call("bootstrap-token", true, "kubeadm_config", TOKENS_CONFIG, "description", "option");
    assertThat(overridden.changed()).isTrue();
    assertThat(overridden.result().get("tokens")).asList().extracting(t -> (Object) ((Map<?, ?>) t).get("description"))
        .containsExactly("option", "option");
    PhaseResult explicit = call("bootstrap-token", true, "kubeadm_config", TOKENS_CONFIG,
        "token", "ghijkl.0123456789abcdef", "description", "from config", "ttl", "2h",
        "groups", List.of("system:bootstrappers:extra"));
    assertThat(explicit.result()).doesNotContainKey("tokens");
    assertThat(explicit.changed()).isFalse();
    try (KubeClient admin = admin()) {
      assertThat(admin.get("v1", "Secret", "kube-system", "bootstrap-token-ghijkl").orElseThrow()
          .at("/metadata/resourceVersion").asText()).isEqualTo(rv1);
      assertThat(admin.get("v1", "Secret", "kube-system", "bootstrap-token-mnopqr").orElseThrow()
          .at("/metadata/resourceVersion").asText()).isEqualTo(rv2);
    }
  }

  @Test
  @Order(9)
  void aKubeadmConfigTokenThatKubeadmRefusesNamesItsFieldAndCreatesNothing() {
    Map<String, String> cases = Map.of(
        "InitConfiguration.bootstrapTokens[0].expires", "  expires: \"2030-01-01T00:00:00Z\"\n",
        "InitConfiguration.bootstrapTokens[0].groups", "  usages: [signing]\n",
        "InitConfiguration.bootstrapTokens[0].usages[0]", "  usages: [signin]\n",
        "InitConfiguration.bootstrapTokens[0].token", "  token: ABCDEF.0123456789abcdef\n",
        "InitConfiguration.bootstrapTokens[0].tll", "  tll: 2h\n",
        "InitConfiguration.bootstrapTokens[1].token",
        "  token: dupdup.0123456789abcdef\n- token: dupdup.fedcba9876543210\n");
    int before;
    try (KubeClient admin = admin()) {
      before = admin.list("v1", "Secret", "kube-system", null).size();
    }
    cases.forEach((field, line) -> assertThatThrownBy(() -> call("bootstrap-token", false, "kubeadm_config",
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nbootstrapTokens:\n- description: bad\n" + line))
        .isInstanceOfSatisfying(WorkerException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.field()).isEqualTo(field);
        }));
    try (KubeClient admin = admin()) {
      assertThat(admin.list("v1", "Secret", "kube-system", null)).hasSize(before);
    }
  }

  @Test
  @Order(10)
  void aTokenTheServerRefusesMidwayNamesItsEntryAndTheTokensAppliedBeforeIt() {
    ObjectNode locked = new ObjectMapper().createObjectNode().put("apiVersion", "v1").put("kind", "Secret")
        .put("type", BootstrapToken.SECRET_TYPE).put("immutable", true);
    locked.putObject("metadata").put("name", "bootstrap-token-lockdd").put("namespace", "kube-system");
    locked.putObject("stringData").put("token-id", "lockdd").put("token-secret", "0000000000000000")
        .put("usage-bootstrap-signing", "true");
    try (KubeClient admin = admin()) {
      admin.create(locked, false);
    }
    String config = """
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: InitConfiguration
        bootstrapTokens:
        - token: firstd.0123456789abcdef
        - token: lockdd.0123456789abcdef
        - token: neverd.0123456789abcdef
        """;
    assertThatThrownBy(() -> call("bootstrap-token", false, "kubeadm_config", config))
        .isInstanceOfSatisfying(WorkerException.class, e -> {
          assertThat(e.status()).isEqualTo(422);
          assertThat(e.code()).isEqualTo("kube.invalid");
          assertThat(e.getMessage()).startsWith("applying InitConfiguration.bootstrapTokens[1]: ")
              .contains("immutable")
              .endsWith("applied before the failure: Secret kube-system/bootstrap-token-firstd (created)")
              .doesNotContain("0123456789abcdef");
        });
    try (KubeClient admin = admin()) {
      assertThat(admin.get("v1", "Secret", "kube-system", "bootstrap-token-firstd")).isPresent();
      assertThat(admin.get("v1", "Secret", "kube-system", "bootstrap-token-neverd")).isEmpty();
    }
  }

  @Test
  @Order(11)
  void withExternalEtcdInTheClustersConfigurationUploadAndDownloadCarryItsClientFilesToWhereItNames() throws Exception {
    Path ext = dir.resolve("external-etcd");
    Files.createDirectories(ext);
    Map<String, String> files = Map.of("external-etcd-ca.crt", "ca.crt", "external-etcd.crt", "client.crt",
        "external-etcd.key", "client.key");
    Map<String, String> from = Map.of("ca.crt", "etcd/ca.crt", "client.crt", "front-proxy-ca.crt", "client.key",
        "front-proxy-ca.key");
    for (String f : files.values()) {
      Files.copy(dir.resolve("pki").resolve(from.get(f)), ext.resolve(f));
    }
    ObjectNode cm = new ObjectMapper().createObjectNode().put("apiVersion", "v1").put("kind", "ConfigMap");
    cm.putObject("metadata").put("name", "kubeadm-config").put("namespace", "kube-system");
    cm.putObject("data").put("ClusterConfiguration", """
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: ClusterConfiguration
        kubernetesVersion: v1.34.10
        etcd:
          external:
            endpoints: [https://192.0.2.10:2379]
            caFile: %1$s/ca.crt
            certFile: %1$s/client.crt
            keyFile: %1$s/client.key
        """.formatted(ext));
    try (KubeClient admin = admin()) {
      admin.apply(cm, true, false);
    }
    String key = HexFormat.of().formatHex(new byte[32]).replace('0', '9');
    // no etcd_external_* options: the cluster's ClusterConfiguration names the files
    assertThat(call("upload-certs", false, "cert_dir", dir.resolve("pki").toString(), "certificate_key", key).changed())
        .isTrue();
    try (KubeClient admin = admin()) {
      ObjectNode s = admin.get("v1", "Secret", "kube-system", "kubeadm-certs").orElseThrow();
      assertThat(s.get("data").fieldNames()).toIterable().containsAll(files.keySet())
          .doesNotContain("etcd-ca.crt", "etcd-ca.key");
    }
    // a joining node has none of them: download-certs writes each where the same configuration names it
    for (String f : files.values()) {
      Files.delete(ext.resolve(f));
    }
    Path node = dir.resolve("external-joined-pki");
    PhaseResult r = call("download-certs", false, "cert_dir", node.toString(), "certificate_key", key);
    assertThat(r.changed()).isTrue();
    for (String f : files.values()) {
      assertThat(Files.readAllBytes(ext.resolve(f))).as(f)
          .isEqualTo(Files.readAllBytes(dir.resolve("pki").resolve(from.get(f))));
    }
    assertThat(node.resolve("etcd")).doesNotExist();
    assertThat(call("download-certs", false, "cert_dir", node.toString(), "certificate_key", key).changed()).isFalse();
  }
}
