package io.kubeforge.worker.kubeconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.Fixtures;
import io.kubeforge.worker.config.Golden;
import io.kubeforge.worker.config.Openssl;
import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.WorkerException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class KubeconfigPhaseTest {
  /** The client certificate's serial is random (CertificateFactory), so golden files hold this instead. */
  static final String CERT_MARKER = "ISSUED-PER-RUN-CHECKED-BY-OPENSSL";

  private static PhaseResult runIn(Path root, Map<String, Object> cluster) {
    Map<String, Object> body = Fixtures.under(cluster, root);
    Fixtures.installCa(root.resolve("pki"), false);
    return new KubeconfigPhase(Fixtures.clientKeys(), Fixtures.CLOCK).run(body, false);
  }

  static Stream<Arguments> files() {
    List<Arguments> out = new ArrayList<>();
    String[][] expect = {
        {"single-stack", "admin.conf", "kubernetes-admin", "/O=kubeadm:cluster-admins/CN=kubernetes-admin", "https://192.168.10.11:6443"},
        {"single-stack", "super-admin.conf", "kubernetes-super-admin", "/O=system:masters/CN=kubernetes-super-admin", "https://192.168.10.11:6443"},
        {"single-stack", "kubelet.conf", "system:node:cp-1", "/O=system:nodes/CN=system:node:cp-1", "https://192.168.10.11:6443"},
        {"single-stack", "controller-manager.conf", "system:kube-controller-manager", "/CN=system:kube-controller-manager", "https://192.168.10.11:6443"},
        {"single-stack", "scheduler.conf", "system:kube-scheduler", "/CN=system:kube-scheduler", "https://192.168.10.11:6443"},
        {"dual-stack", "admin.conf", "kubernetes-admin", "/O=kubeadm:cluster-admins/CN=kubernetes-admin", "https://cp.example.internal:8443"},
        {"dual-stack", "super-admin.conf", "kubernetes-super-admin", "/O=system:masters/CN=kubernetes-super-admin", "https://cp.example.internal:8443"},
        {"dual-stack", "kubelet.conf", "system:node:cp-1", "/O=system:nodes/CN=system:node:cp-1", "https://[fd00:10:0:1::11]:6443"},
        {"dual-stack", "controller-manager.conf", "system:kube-controller-manager", "/CN=system:kube-controller-manager", "https://[fd00:10:0:1::11]:6443"},
        {"dual-stack", "scheduler.conf", "system:kube-scheduler", "/CN=system:kube-scheduler", "https://[fd00:10:0:1::11]:6443"}};
    for (String[] e : expect) {
      out.add(Arguments.of(e[0] + "/" + e[1] + " is a Config for " + e[2] + " at " + e[4]
          + " whose certificate openssl verifies", e[0], e[1], e[2], e[3], e[4]));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void eachKubeconfigMatchesGoldenSchemaSubjectAndVerifiesWithOpenssl(String name, String cluster, String file,
      String user, String subject, String server, @TempDir Path root) throws Exception {
    runIn(root, Fixtures.cluster(cluster));
    Path path = root.resolve("etc").resolve(file);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("rw-------");
    String yaml = Files.readString(path);
    Map<?, ?> cfg = (Map<?, ?>) SafeYaml.load(yaml, "kubeconfig");
    assertThat(KubeconfigSchema.violations(cfg)).isEmpty();
    String clusterName = cluster.equals("dual-stack") ? "lab" : "kubernetes";
    assertThat(cfg.get("current-context")).isEqualTo(user + "@" + clusterName);
    Map<?, ?> clusterEntry = (Map<?, ?>) ((Map<?, ?>) ((List<?>) cfg.get("clusters")).get(0)).get("cluster");
    assertThat(clusterEntry.get("server")).isEqualTo(server);
    Map<?, ?> auth = (Map<?, ?>) ((Map<?, ?>) ((List<?>) cfg.get("users")).get(0)).get("user");
    String certPem = decode(auth.get("client-certificate-data"));
    String caPem = decode(clusterEntry.get("certificate-authority-data"));
    assertThat(caPem).isEqualTo(Fixtures.resource("config/pki/ca.crt"));

    Openssl.Run verify = Openssl.verify(root, caPem, certPem, Fixtures.NOW.getEpochSecond());
    assertThat(verify.exit()).as(verify.output()).isZero();
    Openssl.Run text = Openssl.run(root, "x509", "-noout", "-subject", "-dates", "-ext", "extendedKeyUsage",
        "-nameopt", "compat", "-in", Files.writeString(root.resolve("leaf.pem"), certPem).toString());
    assertThat(text.output()).contains("subject=" + subject).contains("TLS Web Client Authentication")
        .contains("notBefore=Jan  1 00:00:00 2025 GMT").contains("notAfter=Nov 23 12:00:00 2027 GMT");
    X509Certificate leaf = Pem.parseCertificates(certPem.getBytes(StandardCharsets.UTF_8)).get(0);
    assertThat(KeyPairsMatch.matches(decode(auth.get("client-key-data")), leaf)).isTrue();

    Golden.assertMatches(cluster + "/" + file, yaml.replace((String) auth.get("client-certificate-data"), CERT_MARKER));
  }

  @Test
  void aSecondRunKeepsEveryFileAndNamesNoKeyMaterial(@TempDir Path root) {
    PhaseResult first = runIn(root, Fixtures.singleStack());
    assertThat(first.changed()).isTrue();
    PhaseResult second = runIn(root, Fixtures.singleStack());
    assertThat(second.changed()).isFalse();
    assertThat(actions(second)).containsOnly("kept");
    String all = first.result() + " " + first.diff() + " " + second.result();
    assertThat(all).doesNotContain("PRIVATE KEY").doesNotContain("LS0t");
  }

  @Test
  void theCapabilityEntryPointTakesDryRunFromTheEnvelopeAndCanPickFiles(@TempDir Path root) {
    Map<String, Object> body = Fixtures.under(Fixtures.singleStack(), root);
    Fixtures.installCa(root.resolve("pki"), false);
    body.put("kubeconfigs", List.of("admin.conf"));
    KubeconfigPhase p = new KubeconfigPhase(Fixtures.clientKeys(), Fixtures.CLOCK);
    assertThat(p.run(body, true).changed()).isTrue();
    assertThat(root.resolve("etc/admin.conf")).doesNotExist();
    assertThat(actions(p.run(body, false))).containsExactly("created");
    assertThat(root.resolve("etc/super-admin.conf")).doesNotExist();
    body.put("kubeconfigs", List.of("root.conf"));
    assertThatThrownBy(() -> p.run(body, false)).isInstanceOfSatisfying(WorkerException.class,
        e -> assertThat(e.field()).isEqualTo("kubeconfigs"));
  }

  @Test
  void anEcdsaKeyAlgorithmGivesSec1KeysWhoseCertificatesStillVerify(@TempDir Path root) throws Exception {
    Map<String, Object> cluster = Fixtures.singleStack();
    cluster.put("key_algorithm", "ECDSA-P256");
    runIn(root, cluster);
    Map<?, ?> cfg = (Map<?, ?>) SafeYaml.load(Files.readString(root.resolve("etc/admin.conf")), "x");
    Map<?, ?> auth = (Map<?, ?>) ((Map<?, ?>) ((List<?>) cfg.get("users")).get(0)).get("user");
    assertThat(decode(auth.get("client-key-data"))).startsWith("-----BEGIN EC PRIVATE KEY-----");
    Openssl.Run verify = Openssl.verify(root, Fixtures.resource("config/pki/ca.crt"),
        decode(auth.get("client-certificate-data")), Fixtures.NOW.getEpochSecond());
    assertThat(verify.exit()).as(verify.output()).isZero();
  }

  @Test
  void dryRunWritesNothing(@TempDir Path root) {
    Map<String, Object> body = Fixtures.under(Fixtures.singleStack(), root);
    Fixtures.installCa(root.resolve("pki"), false);
    PhaseResult r = new KubeconfigPhase(Fixtures.clientKeys(), Fixtures.CLOCK).run(body, true);
    assertThat(r.changed()).isTrue();
    assertThat(actions(r)).containsOnly("created");
    assertThat(root.resolve("etc/admin.conf")).doesNotExist();
  }

  @Test
  void aFileSignedByAnotherCaIsReissuedAfterABackup(@TempDir Path root) throws Exception {
    Map<String, Object> body = Fixtures.under(Fixtures.singleStack(), root);
    Fixtures.installCa(root.resolve("pki"), true);
    new KubeconfigPhase(Fixtures.clientKeys(), Fixtures.CLOCK).run(body, false);
    Fixtures.installCa(root.resolve("pki"), false);
    PhaseResult r = new KubeconfigPhase(Fixtures.clientKeys(), Fixtures.CLOCK).run(body, false);
    assertThat(actions(r)).containsOnly("reissued");
    assertThat(reasons(r)).allMatch(s -> s.contains("wrong CA"));
    @SuppressWarnings("unchecked")
    List<String> backups = (List<String>) r.result().get("backups");
    assertThat(backups).hasSize(5).allMatch(b -> b.endsWith(".20261123T120000Z.bak"));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(backups.get(0))))).isEqualTo("rw-------");
  }

  @Test
  void aNewControlPlaneEndpointReissuesOnlyTheFilesThatPointAtIt(@TempDir Path root) {
    runIn(root, Fixtures.singleStack());
    Map<String, Object> moved = Fixtures.singleStack();
    moved.put("control_plane_endpoint", "lb.example.internal");
    PhaseResult r = runIn(root, moved);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> files = (List<Map<String, Object>>) r.result().get("kubeconfigs");
    for (Map<String, Object> f : files) {
      // kubelet.conf points at the local API server too (ControlPlaneKubeletLocalMode, on in 1.34)
      boolean local = !f.get("name").equals("admin.conf") && !f.get("name").equals("super-admin.conf");
      assertThat(f.get("action")).as(f.get("name").toString()).isEqualTo(local ? "kept" : "reissued");
      if (!local) {
        assertThat(f.get("reason").toString()).contains("expected https://lb.example.internal:6443");
      }
    }
  }

  @Test
  void turningControlPlaneKubeletLocalModeOffPointsKubeletConfAtTheControlPlaneEndpoint() {
    Map<String, Object> body = Fixtures.singleStack();
    body.put("kubeadm_config", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
        + "controlPlaneEndpoint: lb.example.internal\nfeatureGates:\n  ControlPlaneKubeletLocalMode: false\n");
    ClusterModel m = ClusterModel.fromRequest(body);
    assertThat(KubeconfigCatalog.serverUrl(KubeconfigCatalog.KUBELET, m)).isEqualTo("https://lb.example.internal:6443");
    m = ClusterModel.fromRequest(Map.of("advertise_address", "10.0.0.1", "node_name", "n", "control_plane_endpoint", "lb"));
    assertThat(KubeconfigCatalog.serverUrl(KubeconfigCatalog.KUBELET, m)).isEqualTo("https://10.0.0.1:6443");
  }

  @Test
  void withoutTheCaKeyAMissingFileIsAConflictAndExistingOnesAreKept(@TempDir Path root) throws Exception {
    runIn(root, Fixtures.singleStack());
    Files.delete(root.resolve("pki/ca.key"));
    Map<String, Object> body = Fixtures.under(Fixtures.singleStack(), root);
    assertThat(new KubeconfigPhase(Fixtures.clientKeys(), Fixtures.CLOCK).run(body, false).changed()).isFalse();
    Files.delete(root.resolve("etc/admin.conf"));
    assertThatThrownBy(() -> new KubeconfigPhase(Fixtures.clientKeys(), Fixtures.CLOCK).run(body, false))
        .isInstanceOfSatisfying(WorkerException.class, e -> {
          assertThat(e.status()).isEqualTo(409);
          assertThat(e.code()).isEqualTo("kubeconfig.external_ca");
        });
  }

  @Test
  void aKubeconfigThatIsASymlinkIsNeitherReadNorReplaced(@TempDir Path root) throws Exception {
    Path target = Files.writeString(root.resolve("evil.conf"), "not a kubeconfig");
    Files.createDirectories(root.resolve("etc"));
    Files.createSymbolicLink(root.resolve("etc/admin.conf"), target);
    assertThatThrownBy(() -> runIn(root, Fixtures.singleStack()))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.code()).isEqualTo("kubeconfig.symlink_in_path"));
    assertThat(Files.readString(target)).isEqualTo("not a kubeconfig");
  }

  @Test
  void aMissingCaIsAConflictThatSaysToCreateThePkiFirst(@TempDir Path root) {
    Map<String, Object> body = Fixtures.under(Fixtures.singleStack(), root);
    assertThatThrownBy(() -> new KubeconfigPhase(Fixtures.clientKeys(), Fixtures.CLOCK).run(body, false))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.code()).isEqualTo("kubeconfig.ca_missing"))
        .hasMessageContaining("create the PKI first");
  }

  @Test
  void aJoinConfigurationWritesOnlyTheControlPlaneFilesKubeadmJoinWrites() {
    ClusterModel m = ClusterModel.fromRequest(Map.of("kubeadm_config", """
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: JoinConfiguration
        discovery:
          bootstrapToken:
            token: abcdef.0123456789abcdef
            apiServerEndpoint: 10.0.0.1:6443
            unsafeSkipCAVerification: true
        controlPlane:
          localAPIEndpoint:
            advertiseAddress: 10.0.0.2
        nodeRegistration:
          name: cp-2
        """));
    assertThat(KubeconfigCatalog.forModel(m)).extracting(KubeconfigSpec::fileName)
        .containsExactly("admin.conf", "controller-manager.conf", "scheduler.conf");
  }

  private static String decode(Object b64) {
    return new String(Base64.getDecoder().decode((String) b64), StandardCharsets.UTF_8);
  }

  @SuppressWarnings("unchecked")
  private static List<Object> actions(PhaseResult r) {
    return ((List<Map<String, Object>>) r.result().get("kubeconfigs")).stream().map(m -> m.get("action")).toList();
  }

  @SuppressWarnings("unchecked")
  private static List<String> reasons(PhaseResult r) {
    return ((List<Map<String, Object>>) r.result().get("kubeconfigs")).stream()
        .map(m -> String.valueOf(m.get("reason"))).toList();
  }

  /** KeyPairsMatch checks that the embedded key is the certificate's key. */
  static final class KeyPairsMatch {
    static boolean matches(String keyPem, X509Certificate cert) {
      return io.kubeforge.worker.pki.KeyPairs.matches(
          Pem.parsePrivateKey(keyPem.getBytes(StandardCharsets.UTF_8)), cert.getPublicKey());
    }
  }
}
