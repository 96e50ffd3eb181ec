package io.kubeforge.worker.renew;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.Fixtures;
import io.kubeforge.worker.config.Openssl;
import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.kubeconfig.KubeconfigPhase;
import io.kubeforge.worker.pki.CertChecks;
import io.kubeforge.worker.pki.KeyPairs;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.pki.PkiPhase;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.WorkerException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RenewPhaseTest {
  private static final KeyPairs.KeySource KEYS = KeyPairs::generate;
  private static final List<String> ALL = List.of("admin.conf", "apiserver", "apiserver-etcd-client",
      "apiserver-kubelet-client", "controller-manager.conf", "etcd-healthcheck-client", "etcd-peer", "etcd-server",
      "front-proxy-client", "scheduler.conf", "super-admin.conf");

  private static Map<String, Object> body(Path root) {
    Map<String, Object> b = Fixtures.under(Fixtures.singleStack(), root);
    b.put("key_algorithm", "ECDSA-P256");
    return b;
  }

  @TempDir
  static Path template;

  /** One control-plane tree made by the pki and kubeconfig phases at {@link Fixtures#NOW}, copied by each test. */
  @BeforeAll
  static void makeTree() {
    Map<String, Object> b = body(template);
    new PkiPhase(Fixtures.CLOCK, KEYS).run(ClusterModel.pkiRequest(b), false);
    new KubeconfigPhase(KEYS, Fixtures.CLOCK).run(b, false);
  }

  /** A copy of the template tree under {@code root} (modes kept). */
  private static Map<String, Object> tree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(template)) {
      for (Path p : s.toList()) {
        Path to = root.resolve(template.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.copy(p, to, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
    return body(root);
  }

  private static PhaseResult renew(Map<String, Object> body, Duration after, boolean dryRun) {
    return new RenewPhase(KEYS, Clock.fixed(Fixtures.NOW.plus(after), ZoneOffset.UTC)).run(body, dryRun);
  }

  private static Map<String, Object> with(Map<String, Object> body, String key, Object value) {
    Map<String, Object> b = new HashMap<>(body);
    b.put(key, value);
    return b;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> items(PhaseResult r) {
    Map<String, Map<String, Object>> out = new TreeMap<>();
    for (Object o : (List<Object>) r.result().get("certificates")) {
      Map<String, Object> m = (Map<String, Object>) o;
      out.put((String) m.get("name"), m);
    }
    return out;
  }

  private static Map<Path, byte[]> snapshot(Path root) throws IOException {
    Map<Path, byte[]> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        out.put(root.relativize(p), Files.readAllBytes(p));
      }
    }
    return out;
  }

  private static X509Certificate cert(Path file) throws IOException {
    return Pem.parseCertificates(Files.readAllBytes(file)).get(0);
  }

  @SuppressWarnings("unchecked")
  private static String embedded(Path kubeconfig, String field) throws IOException {
    Map<String, Object> cfg = (Map<String, Object>) SafeYaml.load(Files.readString(kubeconfig), "kubeconfig");
    Map<String, Object> user = (Map<String, Object>) ((Map<String, Object>) ((List<Object>) cfg.get("users")).get(0)).get("user");
    return new String(Base64.getDecoder().decode((String) user.get(field)), StandardCharsets.UTF_8);
  }

  @Test
  void renewAllReissuesEveryLeafAndKubeconfigWithTheOldNamesANewKeyAndABackupAndOpensslVerifiesThem(@TempDir Path root)
      throws Exception {
    Map<String, Object> b = tree(root);
    X509Certificate oldApi = cert(root.resolve("pki/apiserver.crt"));
    String oldKey = Files.readString(root.resolve("pki/apiserver.key"));
    String oldAdminKey = embedded(root.resolve("etc/admin.conf"), "client-key-data");

    PhaseResult r = renew(b, Duration.ofDays(100), false);

    assertThat(r.changed()).isTrue();
    assertThat(r.result().get("renewed")).isEqualTo(ALL);
    assertThat(r.result().get("restart")).isEqualTo(List.of("etcd", "kube-apiserver", "kube-controller-manager",
        "kube-scheduler"));
    Map<String, Map<String, Object>> items = items(r);
    assertThat(items.keySet()).containsExactlyInAnyOrderElementsOf(ALL);
    for (Map<String, Object> it : items.values()) {
      assertThat(it.get("action")).as(it.toString()).isEqualTo("renewed");
      assertThat(it.get("new_serial")).isNotEqualTo(it.get("old_serial")).isNotNull();
      assertThat(it.get("old_not_after")).isEqualTo("2027-11-23T12:00:00Z");
      assertThat(it.get("new_not_after")).isEqualTo("2028-03-02T12:00:00Z");
    }
    X509Certificate api = cert(root.resolve("pki/apiserver.crt"));
    assertThat(api.getSubjectX500Principal()).isEqualTo(oldApi.getSubjectX500Principal());
    assertThat(CertChecks.altNames(api)).isEqualTo(CertChecks.altNames(oldApi));
    assertThat(api.getExtendedKeyUsage()).isEqualTo(oldApi.getExtendedKeyUsage());
    assertThat(api.getNotBefore().toInstant()).isEqualTo(Fixtures.NOW.plus(Duration.ofDays(100)).minusSeconds(300));
    assertThat(Files.readString(root.resolve("pki/apiserver.key"))).isNotEqualTo(oldKey);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("pki/apiserver.key"))))
        .isEqualTo("rw-------");
    String ca = Files.readString(root.resolve("pki/ca.crt"));
    long at = Fixtures.NOW.plus(Duration.ofDays(100)).getEpochSecond();
    Openssl.Run v = Openssl.verify(root, ca, Files.readString(root.resolve("pki/apiserver.crt")), at);
    assertThat(v.exit()).as(v.output()).isZero();
    Openssl.Run etcd = Openssl.verify(root, Files.readString(root.resolve("pki/etcd/ca.crt")),
        Files.readString(root.resolve("pki/etcd/peer.crt")), at);
    assertThat(etcd.exit()).as(etcd.output()).isZero();
    Openssl.Run admin = Openssl.verify(root, ca, embedded(root.resolve("etc/admin.conf"), "client-certificate-data"), at);
    assertThat(admin.exit()).as(admin.output()).isZero();
    assertThat(embedded(root.resolve("etc/admin.conf"), "client-key-data")).isNotEqualTo(oldAdminKey);
    assertThat((List<?>) r.result().get("backups")).hasSize(7 * 2 + 4);
    assertThat(r.diff()).isNotNull();
    assertThat(r.diff().toString()).doesNotContain("PRIVATE KEY");
  }

  @Test
  void withRenewBeforeOnlyWhatExpiresWithinItIsRenewedAndASecondRunChangesNothing(@TempDir Path root) throws Exception {
    Map<String, Object> b = with(tree(root), "renew_before", "720h");
    PhaseResult early = renew(b, Duration.ofDays(200), false);
    assertThat(early.changed()).isFalse();
    assertThat(items(early).get("apiserver").get("action")).isEqualTo("kept");

    PhaseResult due = renew(b, Duration.ofDays(340), false);
    assertThat(due.changed()).isTrue();
    assertThat(due.result().get("renewed")).isEqualTo(ALL);
    assertThat((String) items(due).get("apiserver").get("reason")).startsWith("expires on 2027-11-23T12:00:00Z, within renew_before (720h0m0s)");

    Map<Path, byte[]> before = snapshot(root);
    PhaseResult again = renew(b, Duration.ofDays(340), false);
    assertThat(again.changed()).isFalse();
    assertThat(again.result().get("renewed")).isEqualTo(List.of());
    assertThat(snapshot(root)).containsExactlyEntriesOf(before);
  }

  @Test
  void aDryRunSaysWhatWouldBeRenewedAndWhyAndWritesNothing(@TempDir Path root) throws Exception {
    Map<String, Object> b = with(tree(root), "certificates", List.of("apiserver", "scheduler.conf"));
    Map<Path, byte[]> before = snapshot(root);
    PhaseResult r = renew(b, Duration.ofDays(400), true);
    assertThat(r.changed()).isTrue();
    assertThat(r.result().get("renewed")).isEqualTo(List.of("apiserver", "scheduler.conf"));
    assertThat(items(r).get("apiserver").get("reason")).isEqualTo("expired on 2027-11-23T12:00:00Z");
    assertThat(items(r).get("apiserver").get("new_serial")).isNull();
    assertThat(r.diff().get("after").toString()).contains("# apiserver", "# scheduler.conf", "expired on");
    assertThat(snapshot(root)).containsExactlyEntriesOf(before);
  }

  @Test
  void itemsOfACaWithoutItsKeyAreSkippedAndReportedAndTheOthersRenewed(@TempDir Path root) throws Exception {
    Map<String, Object> b = tree(root);
    Files.delete(root.resolve("pki/front-proxy-ca.key"));
    Files.delete(root.resolve("pki/etcd/healthcheck-client.crt"));
    byte[] frontProxy = Files.readAllBytes(root.resolve("pki/front-proxy-client.crt"));
    PhaseResult r = renew(b, Duration.ofDays(1), false);
    Map<String, Map<String, Object>> items = items(r);
    assertThat(items.get("front-proxy-client")).containsEntry("action", "external").containsEntry("skipped", true);
    assertThat(items.get("etcd-healthcheck-client")).containsEntry("action", "missing").containsEntry("skipped", true);
    assertThat(r.result().get("skipped_certificates")).isEqualTo(List.of("etcd-healthcheck-client", "front-proxy-client"));
    assertThat(r.warnings()).contains("Detected external front-proxy-ca, front-proxy-client can't be renewed");
    assertThat(Files.readAllBytes(root.resolve("pki/front-proxy-client.crt"))).isEqualTo(frontProxy);
    assertThat(items.get("apiserver").get("action")).isEqualTo("renewed");
  }

  @Test
  void reuseKeyKeepsTheKeyFileAndTheEmbeddedKey(@TempDir Path root) throws Exception {
    Map<String, Object> b = with(with(tree(root), "reuse_key", true), "certificates", List.of("etcd-server", "admin.conf"));
    byte[] key = Files.readAllBytes(root.resolve("pki/etcd/server.key"));
    String adminKey = embedded(root.resolve("etc/admin.conf"), "client-key-data");
    String adminCert = embedded(root.resolve("etc/admin.conf"), "client-certificate-data");
    PhaseResult r = renew(b, Duration.ofDays(10), false);
    assertThat(r.result().get("renewed")).isEqualTo(List.of("admin.conf", "etcd-server"));
    assertThat(items(r).get("etcd-server").get("key")).isEqualTo("reused");
    assertThat(Files.readAllBytes(root.resolve("pki/etcd/server.key"))).isEqualTo(key);
    assertThat(embedded(root.resolve("etc/admin.conf"), "client-key-data")).isEqualTo(adminKey);
    assertThat(embedded(root.resolve("etc/admin.conf"), "client-certificate-data")).isNotEqualTo(adminCert);
  }

  @Test
  void recomputeNamesTakesTheApiServerSansFromTheConfigurationInsteadOfTheOldCertificate(@TempDir Path root)
      throws Exception {
    Map<String, Object> b = with(tree(root), "apiserver_cert_sans", List.of("api.example.com"));
    renew(with(b, "certificates", List.of("apiserver")), Duration.ofDays(1), false);
    assertThat(CertChecks.altNames(cert(root.resolve("pki/apiserver.crt"))).dnsNames()).doesNotContain("api.example.com");
    renew(with(with(b, "certificates", List.of("apiserver")), "recompute_names", true), Duration.ofDays(1), false);
    assertThat(CertChecks.altNames(cert(root.resolve("pki/apiserver.crt"))).dnsNames()).contains("api.example.com");
  }

  @Test
  void anUnknownNameOrABadDurationIsA400NamingTheFieldAndNothingIsWritten(@TempDir Path root) throws Exception {
    Map<String, Object> b = tree(root);
    Map<Path, byte[]> before = snapshot(root);
    assertThatThrownBy(() -> renew(with(b, "certificates", List.of("apiserver", "kubelet.conf")), Duration.ZERO, false))
        .isInstanceOfSatisfying(WorkerException.class, e -> {
          assertThat(e.field()).isEqualTo("certificates[1]");
          assertThat(e.status()).isEqualTo(400);
        });
    assertThatThrownBy(() -> renew(with(b, "renew_before", "30 days"), Duration.ZERO, false))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.field()).isEqualTo("renew_before"));
    assertThat(snapshot(root)).containsExactlyEntriesOf(before);
  }
}
